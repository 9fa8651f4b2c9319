"""What an audit finds, as plain frozen data: renderers in ``audit_render/`` read only these types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from envsplit.audit.flags import Threshold

SCHEMA_VERSION = 3

BASIS_DOWNLOAD = "download"
BASIS_INSTALLED = "installed"


@dataclass(frozen=True)
class Total:
    """A sum of sizes, honest about the sizes it could not read: ``bytes`` is then a lower bound."""

    bytes: int
    unknown: int = 0  # how many of the summed packages have no size in this measure
    of: int = 0  # how many packages were summed

    @property
    def lower_bound(self) -> bool:
        return self.unknown > 0


def total_of(values: Sequence[int | None]) -> Total:
    return Total(sum(v or 0 for v in values), sum(v is None for v in values), len(values))


@dataclass(frozen=True)
class Row:
    name: str
    version: str
    build: str
    subdir: str
    url: str
    size: int | None
    installed_size: int | None
    requested: bool
    exclusive_bytes: int | None  # requested packages only
    # Requested packages, with --installed-size, when every package it would free has a known installed size.
    exclusive_installed_bytes: int | None
    shared_bytes: int | None  # requested packages only
    dominated_bytes: int
    flags: tuple[str, ...]
    in_layer: bool | None  # None when the environment is not a layered variant
    manager: str = "conda"  # "pip": from the PyPI index (no build; size from the index or unknown)
    # Requested packages only, in the environment's measure (download, or installed with --installed-size):
    # what dropping it alone frees (a lower bound when some of it has no size), and what it needs that stays.
    frees: Total | None = None
    shares: int | None = None


@dataclass(frozen=True)
class Layer:
    file: str
    packages: int
    size: int
    installed_size: int | None
    total: Total = Total(0)  # in the environment's measure


@dataclass(frozen=True)
class Resolved:
    """A what-if confirmed by solving the variant without the group (conda packages; pip ones as dropped)."""

    frees: Total  # the lock's measure minus the solve's
    removed: tuple[str, ...]  # names the solve no longer has
    added: tuple[str, ...]  # names only the solve has
    changed: tuple[str, ...]  # "name old -> new": kept at another version or build
    kept: tuple[str, ...]  # names the graph says leave but the solve keeps
    also_removed: tuple[str, ...]  # names the solve removes that the graph keeps
    base_changes: bool = False  # the group touches the base image: solved as one image, base not pinned

    @property
    def agrees(self) -> bool:
        return not (self.added or self.changed or self.kept or self.also_removed)


@dataclass(frozen=True)
class WhatIf:
    """What leaves if a group of requested packages is dropped together, read from the locked graph."""

    label: str  # "--drop a,b" or "--drop-overlay spatial"
    dropped: tuple[str, ...]  # the requested packages dropped
    leaves: tuple[str, ...]  # every package that would leave, sorted
    frees: Total  # in the environment's measure
    notes: tuple[str, ...] = ()
    resolved: Resolved | None = None


@dataclass(frozen=True)
class Candidate:
    """A group the maintainers could drop: an overlay's requested packages, or one requested package."""

    kind: str  # "overlay" or "package"
    name: str
    members: tuple[str, ...]
    packages: int  # how many packages would leave
    frees: Total
    flags: tuple[str, ...]


@dataclass(frozen=True)
class EnvAudit:
    target: str
    kind: str
    platform: str
    base: str | None
    depth: int
    requested_from: str  # "specs" (an envsplit variant) or "top-level" (a foreign lockfile)
    rows: tuple[Row, ...]  # sorted by name
    size: int
    installed_size: int | None  # None unless every package's installed size is known
    size_missing: tuple[str, ...]
    installed_size_missing: tuple[str, ...]
    unreached: tuple[str, ...]
    geospatial_packages: int
    geospatial_size: int
    geospatial_removal_bytes: int  # what dropping every geospatial requested package at once frees
    layer: Layer | None
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # dominator groups, for the treemap
    heavy_threshold_bytes: int
    # What "heavy", the threshold and the treemap weigh: installed bytes only when every package has one.
    weight_basis: str = BASIS_DOWNLOAD
    size_total: Total = Total(0)
    installed_total: Total | None = None  # with --installed-size
    geospatial_total: Total = Total(0)  # geospatial_size with its unknown sizes
    geospatial_removal: Total = Total(0)  # geospatial_removal_bytes with its unknown sizes
    view: str | None = None  # "layer" or "whole" for a layered variant, None otherwise
    what_ifs: tuple[WhatIf, ...] = ()
    candidates: tuple[Candidate, ...] = ()

    @property
    def measure_total(self) -> Total:
        return self.installed_total if self.installed_total is not None else self.size_total

    @property
    def title(self) -> str:
        return f"{self.target} · {self.platform}"

    def requested_rows(self) -> list[Row]:
        """Requested packages ranked, heaviest exclusive weight first; in the layer view only those the
        layer adds (the base's are :meth:`in_base`)."""
        rows = [r for r in self.rows if r.requested and not self._in_base(r)]
        return sorted(rows, key=lambda r: (-_bytes(r.frees), -(r.shares or 0), r.name))

    def in_base(self) -> list[str]:
        """The requested packages the layer view does not rank: they come with the base image."""
        return sorted(r.name for r in self.rows if r.requested and self._in_base(r))

    def _in_base(self, r: Row) -> bool:
        return self.view == "layer" and r.in_layer is False

    def heaviest_rows(self) -> list[Row]:
        return sorted(self.rows, key=lambda r: (-(r.size or 0), r.name))


@dataclass(frozen=True)
class Difference:
    a: str
    b: str
    platform: str
    only_a_packages: int
    only_a_size: int
    only_b_packages: int
    only_b_size: int
    size_a: int
    size_b: int
    only_a: Total = Total(0)  # the only-in figures with their unknown sizes, in the audit's measure
    only_b: Total = Total(0)

    @property
    def delta(self) -> int:
        return self.size_b - self.size_a


@dataclass(frozen=True)
class AuditReport:
    envs: tuple[EnvAudit, ...]
    differences: tuple[Difference, ...]
    warnings: tuple[str, ...]
    installed: bool  # whether installed sizes were read
    threshold: Threshold
    regenerate: str

    @property
    def weight_basis(self) -> str:
        """``installed`` or ``download`` when every environment uses that basis, else ``mixed``."""
        bases = {e.weight_basis for e in self.envs}
        return bases.pop() if len(bases) == 1 else "mixed" if bases else BASIS_DOWNLOAD


def _bytes(t: Total | None) -> int:
    return 0 if t is None else t.bytes


def known_sum(values: Sequence[int | None]) -> int | None:
    """The sum, or None when any value is unknown: a partial sum would read as the whole."""
    return None if any(v is None for v in values) else sum(v or 0 for v in values)
