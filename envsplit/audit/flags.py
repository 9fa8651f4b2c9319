"""The audit's flag rules: ``--threshold`` parsing, what counts as heavy, and what counts as geospatial."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Set
from dataclasses import dataclass

from envsplit.audit import graph as depgraph
from envsplit.errors import InputError

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
FLAG_PIP = "pip"  # installed from the PyPI index, not a conda package

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


def pulls_geospatial(g: depgraph.DepGraph) -> set[str]:
    """Packages whose dependency closure contains one of GEOSPATIAL_CORES (the cores themselves excluded)."""
    cores = [c for c in GEOSPATIAL_CORES if c in g.packages]
    if not cores:
        return set()
    return depgraph.reachable(g.dependents(), cores) - set(cores)


def flags(name: str, exclusive: int | None, limit: int, pulls: Set[str]) -> tuple[str, ...]:
    """The flags of one package; ``exclusive`` is what it alone would free, None unless it is requested."""
    out = []
    if exclusive is not None and exclusive >= limit and exclusive > 0:
        out.append(FLAG_HEAVY)
    if is_geospatial_name(name):
        out.append(FLAG_GEOSPATIAL)
    elif name in pulls:
        out.append(FLAG_PULLS_GEOSPATIAL)
    return tuple(out)
