"""When a package one file lacks and a package the other adds count as one standing in for the other.

The rule (README "Adopting an existing project"): a name the reference has and the file lacks, and a
name the file has and the reference lacks, differ only by a build-flavour word as a ``-suffix``
(``pytorch`` / ``pytorch-cpu``, ``tensorflow-gpu`` / ``tensorflow-cpu``, ``jaxlib`` / ``jaxlib-cuda12``).
The words are those of ``FLAVOURS``: a ``-git`` or ``-server`` suffix names another package, not another
build. Each such name is paired with the first match in the file's order.

A pair becomes ``replace: {old: new}`` in an overlay (the new package keeps the old one's position) and a
"replaced" line in the drift report; unpaired names are a ``remove`` or an ``add``. Position alone is not
enough: a file that lost ``xarray`` and gained ``dask`` in the same spot did not swap one for the other,
and the report must say it lost ``xarray``. Whatever is paired, the composed variant is the same: the rule
only decides how a difference reads.
"""

from __future__ import annotations

import re

FLAVOURS = re.compile(
    r"cpu|gpu|cuda\d*|rocm\d*|mkl|nomkl|openblas|blis|accelerate|headless|core|base|minimal|lite|full"
)


def _flavour_of(longer: str, shorter: str) -> bool:
    return longer.startswith(shorter + "-") and FLAVOURS.fullmatch(longer[len(shorter) + 1 :]) is not None


def stands_in(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are builds of one package by rule 1."""
    if a == b:
        return False
    if _flavour_of(a, b) or _flavour_of(b, a):
        return True
    stem_a, _, flavour_a = a.rpartition("-")
    stem_b, _, flavour_b = b.rpartition("-")
    return (
        bool(stem_a)
        and stem_a == stem_b
        and bool(FLAVOURS.fullmatch(flavour_a) and FLAVOURS.fullmatch(flavour_b))
    )


def pair(reference: list[str], target: list[str]) -> list[tuple[str, str]]:
    """(old, new) pairs of names in ``reference`` only and ``target`` only, in ``reference``'s order."""
    ref_set, target_set = set(reference), set(target)
    removed = [n for n in reference if n not in target_set]
    added = [n for n in target if n not in ref_set]
    pairs: dict[str, str] = {}
    taken: set[str] = set()
    for old in removed:
        new = next((n for n in added if n not in taken and stands_in(old, n)), None)
        if new is not None:
            pairs[old] = new
            taken.add(new)
    return [(old, pairs[old]) for old in removed if old in pairs]
