"""What a version or build change means beyond "newer" or "older": build-variant swaps and calendar versions.

Build strings carry the variant a package was built for: ``cuda129_mkl_py312_h2ff76c1_300`` is pytorch for
CUDA 12.9 with MKL on CPython 3.12, ``cpu_mkl_py312_h335930c_100`` the CPU build. A move between two of them
changes what the image can do (no GPU, another BLAS, another interpreter), which "rebuild" hides.

Calendar versions (``2025.1.0``, ``tzdata 2025b``, ``libabseil 20250512.1``) count years, not API breaks:
a new year is a newer release, not a major one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

LEVELS = ("major", "minor", "patch")
CALVER = "calver"  # the level of a move between two calendar versions: newer or older, never "major"

# A build string's tokens: underscore-separated; a python tag may also be glued to the hash (py312h72c5963_0).
_ACCELERATOR = re.compile(r"(?:^|_)(cpu|cuda\d*|rocm\d*)(?=_|$)")
_BLAS = re.compile(r"(?:^|_)(mkl|openblas|blis|accelerate|newaccelerate|netlib)(?=_|$)")
_PYTHON = re.compile(r"(?:^|_)(py\d{2,3}|cp\d{2,3})(?=_|h[0-9a-f]{7}|$)")
AXES = (("accelerator", _ACCELERATOR), ("blas", _BLAS), ("python", _PYTHON))

# Years a calendar version may start with. Only four-digit years (and YYYYMMDD dates) from 2000 on: a
# two-digit "24.1" is as often an ordinary major version 24 (icu 75, pcre2 10), and conda-forge has no
# calendar-versioned package from before 2000, while numbers like 1900-1999 do occur as plain versions.
_YEARS = range(2000, 2100)


@dataclass(frozen=True)
class Swap:
    """A build-variant change on one axis: ``accelerator`` (cuda129 → cpu), ``blas``, ``python`` (py312 → py313)."""

    axis: str
    old: str
    new: str

    def text(self) -> str:
        return f"{self.old} → {self.new}"


def build_swaps(old_build: str, new_build: str) -> tuple[Swap, ...]:
    """The axes on which two builds of a package differ; an axis one build does not name is no swap."""
    swaps = []
    for axis, pattern in AXES:
        a, b = pattern.search(old_build), pattern.search(new_build)
        if a is not None and b is not None and a.group(1) != b.group(1):
            swaps.append(Swap(axis, a.group(1), b.group(1)))
    return tuple(swaps)


def calendar_year(first: object) -> bool:
    """Whether a version's first number reads as a date: a year (2025) or a whole date (20250512)."""
    if not isinstance(first, int):
        return False
    text = str(first)
    if len(text) == 4:
        return first in _YEARS
    if len(text) == 8:
        year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
        return year in _YEARS and 1 <= month <= 12 and 1 <= day <= 31
    return False


# --- versions --------------------------------------------------------------------------------------


def classify(old: str, new: str, pip: bool = False) -> tuple[str, str | None]:
    """(``upgrade``/``downgrade``, level) in conda's version order (PEP 440's for ``pip``); (``same``, None)
    if equal; else ``version``.

    The level comes from the first version segment that differs, as rattler splits versions: the 1st is
    major, the 2nd minor, any later one patch. A difference after a segment's leading number (a letter
    or pre-release suffix: ``2025b -> 2025c``, ``1.2rc1 -> 1.2``) counts one level lower, and a
    different epoch is major. Two calendar versions (both starting with a year, diff.classify) are
    ``calver``: a newer or older release, whatever component moved.
    """
    if pip:
        return _classify_pep440(old, new)
    from rattler import Version

    try:
        a, b = Version(old), Version(new)
    except Exception:  # rattler's InvalidVersionError: a foreign lock may hold anything
        return ("same", None) if old == new else ("version", None)
    if a == b:
        return "same", None
    kind = "upgrade" if b > a else "downgrade"
    if (a.epoch or 0) == (b.epoch or 0) and all(calendar_year(v.segments()[0][0]) for v in (a, b)):
        return kind, CALVER
    return kind, _level(a, b)


def _classify_pep440(old: str, new: str) -> tuple[str, str | None]:
    from packaging.version import InvalidVersion, Version

    try:
        a, b = Version(old), Version(new)
    except InvalidVersion:
        return ("same", None) if old == new else ("version", None)
    if a == b:
        return "same", None
    kind = "upgrade" if b > a else "downgrade"
    if a.epoch != b.epoch:
        return kind, "major"
    ra, rb = a.release, b.release
    if calendar_year(ra[0]) and calendar_year(rb[0]):
        return kind, CALVER
    for i in range(max(len(ra), len(rb))):
        if (ra[i] if i < len(ra) else 0) != (rb[i] if i < len(rb) else 0):
            return kind, LEVELS[min(i, 2)]
    return kind, "patch"  # pre-, post-, dev-release or local part


def _level(a: Any, b: Any) -> str:
    if (a.epoch or 0) != (b.epoch or 0):
        return "major"
    sa, sb = a.segments(), b.segments()
    for i in range(max(len(sa), len(sb))):
        # A missing trailing segment or component counts as 0, as conda compares them (1.2 == 1.2.0).
        x, y = (sa[i] if i < len(sa) else [0]), (sb[i] if i < len(sb) else [0])
        if x == y:
            continue
        j = next(k for k in range(max(len(x), len(y))) if _at(x, k) != _at(y, k))
        return LEVELS[min(i + (j > 0), 2)]
    return "patch"  # only the local part (+...) differs


def _at(segment: list[Any], k: int) -> Any:
    return segment[k] if k < len(segment) else 0
