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
