"""What an audit finds, as plain frozen data: renderers in ``audit_render/`` read only these types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from envsplit.audit.flags import Threshold

SCHEMA_VERSION = 2

BASIS_DOWNLOAD = "download"
BASIS_INSTALLED = "installed"


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


@dataclass(frozen=True)
class Layer:
    file: str
    packages: int
    size: int
    installed_size: int | None


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

    @property
    def title(self) -> str:
        return f"{self.target} · {self.platform}"

    def requested_rows(self) -> list[Row]:
        """Requested packages, heaviest exclusive weight first."""
        rows = [r for r in self.rows if r.requested]
        return sorted(rows, key=lambda r: (-(r.exclusive_bytes or 0), -(r.shared_bytes or 0), r.name))

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


def known_sum(values: Sequence[int | None]) -> int | None:
    """The sum, or None when any value is unknown: a partial sum would read as the whole."""
    return None if any(v is None for v in values) else sum(v or 0 for v in values)
