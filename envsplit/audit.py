"""``envsplit audit``: sizes, exclusive weights and flags per locked environment, and how variants differ.

The result is plain data (:class:`AuditReport`); renderers in ``audit_render/`` turn it into a table,
markdown, JSON or HTML.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import graph as depgraph
from .errors import InputError
from .models import LockedPackage
from .targets import Target

SCHEMA_VERSION = 2

# Named on purpose, because the image maintainers asked for exactly this list: GDAL and its plugins, the
# PROJ/GEOS/SpatiaLite libraries and the Python packages built on them.
GEOSPATIAL_NAMES = (
    "cartopy",
    "exactextract",
    "fiona",
    "gdal",
    "geocube",
    "geopandas",
    "geopandas-base",
    "geos",
    "geotiff",
    "libgdal",
    "libgdal-*",
    "libgeotiff",
    "libkml",
    "librttopo",
    "libspatialindex",
    "libspatialite",
    "localtileserver",
    "mapclassify",
    "odc-geo",
    "proj",
    "pyogrio",
    "pyproj",
    "rasterio",
    "rasterstats",
    "rio-cogeo",
    "rioxarray",
    "rtree",
    "shapely",
    "spatialite-tools",
    "stackstac",
    "tippecanoe",
)
# A package whose dependencies reach one of these is geospatial too, by what it pulls in.
GEOSPATIAL_CORES = ("geos", "libgdal", "libgdal-core", "proj")

FLAG_HEAVY = "heavy"
FLAG_GEOSPATIAL = "geospatial"
FLAG_PULLS_GEOSPATIAL = "pulls-geospatial"

BASIS_DOWNLOAD = "download"
BASIS_INSTALLED = "installed"

DEFAULT_THRESHOLD = "50MB"
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "m": 1000**2,
    "mb": 1000**2,
    "g": 1000**3,
    "gb": 1000**3,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
}


@dataclass(frozen=True)
class Threshold:
    """Bytes, or a percentage of each environment's total weight."""

    text: str
    bytes: int | None = None
    percent: float | None = None

    def for_total(self, total: int) -> int:
        if self.percent is not None:
            return int(total * self.percent / 100)
        return self.bytes or 0


def parse_threshold(text: str) -> Threshold:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z%]*)\s*", text)
    unit = match.group(2).lower() if match else ""
    if match is None or (unit != "%" and unit not in _UNITS):
        raise InputError(
            f"--threshold {text!r}: expected a size such as 50MB, 1.5GB, 200MiB, 1000000 (bytes) or a share "
            "of the environment such as 5%"
        )
    value = float(match.group(1))
    if unit == "%":
        if not 0 < value <= 100:
            raise InputError(
                f"--threshold {text!r}: a share of the environment must be more than 0% and at most 100%, such as 5%"
            )
        return Threshold(text.strip(), percent=value)
    return Threshold(text.strip(), bytes=int(value * _UNITS[unit]))


def is_geospatial_name(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in GEOSPATIAL_NAMES)


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


@dataclass(frozen=True)
class AuditOptions:
    platforms: tuple[str, ...] = ()
    installed_size: bool = False
    threshold: Threshold = field(default_factory=lambda: parse_threshold(DEFAULT_THRESHOLD))
    mirrors: Mapping[str, str] = field(default_factory=dict)
    cache_dir: Path | None = None
    base_dir: Path = Path(".")
    regenerate: str = "envsplit audit"


def audit(targets: Sequence[Target], options: AuditOptions) -> AuditReport:
    from . import targets as targets_mod
    from .pipeline import default_cache_dir

    loaded: list[tuple[Target, str, list[LockedPackage]]] = []
    for target in targets:
        locked = targets_mod.load(target)
        for platform in targets_mod.select_platforms(target, locked, options.platforms):
            loaded.append((target, platform, locked[platform]))
    every = [p for _, _, pkgs in loaded for p in pkgs]
    cache_dir = options.cache_dir or default_cache_dir()
    warnings: list[str] = []
    from .sizes import repodata_sizes

    lookup = repodata_sizes(every, options.mirrors, cache_dir, options.base_dir)
    installed: dict[str, int] | None = None
    if options.installed_size:
        from .installed_size import installed_sizes

        found = installed_sizes(every, options.mirrors, cache_dir, options.base_dir)
        installed = found.sizes
        reasons = sorted(set(found.failed.values()))
        if found.failed:
            warnings.append(
                f"no installed size for {len(found.failed)} archive(s): " + "; ".join(reasons[:3])
            )
    envs = [
        _env_audit(target, platform, pkgs, lookup.sizes, installed, options.threshold)
        for target, platform, pkgs in loaded
    ]
    for env in envs:
        if env.unreached:
            warnings.append(
                f"{env.title}: {len(env.unreached)} package(s) are not needed by any requested package "
                f"({', '.join(env.unreached[:5])}{', ...' if len(env.unreached) > 5 else ''}); "
                "they are counted as if requested"
            )
    return AuditReport(
        envs=tuple(envs),
        differences=tuple(_differences(envs)),
        warnings=tuple(warnings),
        installed=options.installed_size,
        threshold=options.threshold,
        regenerate=options.regenerate,
    )


def _env_audit(
    target: Target,
    platform: str,
    packages: Sequence[LockedPackage],
    sizes: Mapping[str, int],
    installed: Mapping[str, int] | None,
    threshold: Threshold,
) -> EnvAudit:
    g = depgraph.build(packages, target.requested)
    size_of = {n: sizes.get(p.url, 0) for n, p in g.packages.items()}
    w = depgraph.weights(g, size_of)
    total = sum(size_of.values())
    installed_of: dict[str, int | None] = (
        {n: installed.get(p.url) for n, p in g.packages.items()} if installed is not None else {}
    )
    missing = [n for n, v in installed_of.items() if v is None]
    installed_total = _known_sum(list(installed_of.values())) if installed is not None else None
    wi = None
    unknown_freed: Mapping[str, int] = {}
    if installed is not None:
        wi = depgraph.weights(g, {n: v or 0 for n, v in installed_of.items()})
        if missing:
            # The same dominator arithmetic over 1 per unknown package counts the unknowns each requested
            # package would free: its installed figure is known only when that count is 0.
            unknown_freed = depgraph.weights(g, dict.fromkeys(missing, 1)).exclusive
    # Heavy means heavy in the image: installed bytes when every package has them; with one unknown, an
    # installed total or ranking would be a guess, so the download sizes stay the basis.
    basis, basis_total = w, total
    if wi is not None and installed_total is not None:
        basis, basis_total = wi, installed_total
    limit = threshold.for_total(basis_total)
    requested = set(g.requested)
    pulls = _pulls_geospatial(g)
    layer_urls, layer_file = _layer(target, platform)
    rows = []
    for name, p in g.packages.items():
        flags = []
        if name in requested and basis.exclusive[name] >= limit and basis.exclusive[name] > 0:
            flags.append(FLAG_HEAVY)
        if is_geospatial_name(name):
            flags.append(FLAG_GEOSPATIAL)
        elif name in pulls:
            flags.append(FLAG_PULLS_GEOSPATIAL)
        rows.append(
            Row(
                name=name,
                version=p.version,
                build=p.build,
                subdir=p.subdir,
                url=p.url,
                size=sizes.get(p.url),
                installed_size=installed_of.get(name),
                requested=name in requested,
                exclusive_bytes=w.exclusive[name] if name in requested else None,
                exclusive_installed_bytes=wi.exclusive[name]
                if wi is not None and name in requested and not unknown_freed.get(name)
                else None,
                shared_bytes=w.shared(name) if name in requested else None,
                dominated_bytes=w.dominated[name],
                flags=tuple(flags),
                in_layer=(p.url in layer_urls) if layer_urls is not None else None,
            )
        )
    geo = [r for r in rows if FLAG_GEOSPATIAL in r.flags or FLAG_PULLS_GEOSPATIAL in r.flags]
    geo_requested = frozenset(r.name for r in geo if r.requested)
    kept = depgraph.reachable(g.deps, [r for r in g.roots if r not in geo_requested])
    layer = None
    if layer_urls is not None and layer_file is not None:
        in_layer = [r for r in rows if r.in_layer]
        layer = Layer(
            file=layer_file,
            packages=len(in_layer),
            size=sum(r.size or 0 for r in in_layer),
            installed_size=_known_sum([r.installed_size for r in in_layer])
            if installed is not None
            else None,
        )
    return EnvAudit(
        target=target.label,
        kind=target.kind,
        platform=platform,
        base=target.base,
        depth=target.depth,
        requested_from="specs" if target.requested is not None else "top-level",
        rows=tuple(rows),
        size=total,
        installed_size=installed_total,
        size_missing=tuple(r.name for r in rows if r.size is None),
        installed_size_missing=tuple(missing),
        unreached=tuple(sorted(set(g.packages) - depgraph.reachable(g.deps, g.requested))),
        geospatial_packages=len(geo),
        geospatial_size=sum(r.size or 0 for r in geo),
        geospatial_removal_bytes=total - sum(size_of[n] for n in kept),
        layer=layer,
        groups=tuple((top, tuple(members)) for top, members in depgraph.dominator_groups(g, w).items()),
        heavy_threshold_bytes=limit,
        weight_basis=BASIS_INSTALLED if basis is wi else BASIS_DOWNLOAD,
    )


def _known_sum(values: Sequence[int | None]) -> int | None:
    """The sum, or None when any value is unknown: a partial sum would read as the whole."""
    return None if any(v is None for v in values) else sum(v or 0 for v in values)


def _pulls_geospatial(g: depgraph.DepGraph) -> set[str]:
    """Packages whose dependency closure contains one of GEOSPATIAL_CORES (the cores themselves excluded)."""
    cores = [c for c in GEOSPATIAL_CORES if c in g.packages]
    if not cores:
        return set()
    return depgraph.reachable(g.dependents(), cores) - set(cores)


def _layer(target: Target, platform: str) -> tuple[set[str] | None, str | None]:
    from .lockfile import explicit

    for layer_platform, path in target.layer_paths:
        if layer_platform == platform:
            if not path.is_file():
                raise InputError(
                    f"{path}: the layer file of variant {target.label!r} is missing; run 'envsplit lock --variant {target.label}'"
                )
            lines = explicit.package_lines(path)
            return {line.partition("#")[0] for line in lines}, path.as_posix()
    return None, None


def _differences(envs: Sequence[EnvAudit]) -> list[Difference]:
    """Each pair of environments on the same platform at the same layer depth (cpu vs cuda, and their
    spatial extensions with each other); an extension against its own base is its layer instead."""
    out = []
    for i, a in enumerate(envs):
        for b in envs[i + 1 :]:
            if a.platform != b.platform or a.depth != b.depth or a.target == b.target:
                continue
            urls_a = {r.url: r for r in a.rows}
            urls_b = {r.url: r for r in b.rows}
            only_a = [r for u, r in urls_a.items() if u not in urls_b]
            only_b = [r for u, r in urls_b.items() if u not in urls_a]
            out.append(
                Difference(
                    a=a.target,
                    b=b.target,
                    platform=a.platform,
                    only_a_packages=len(only_a),
                    only_a_size=sum(r.size or 0 for r in only_a),
                    only_b_packages=len(only_b),
                    only_b_size=sum(r.size or 0 for r in only_b),
                    size_a=a.size,
                    size_b=b.size,
                )
            )
    return out
