"""What two files that should mirror each other differ by: packages, specs, channel order, pip requirements."""

from __future__ import annotations

from dataclasses import dataclass

from envsplit.importing.pairing import pair
from envsplit.importing.read import EnvFile
from envsplit.inputs.compose import pip_name


@dataclass(frozen=True)
class PairDrift:
    """``other`` compared with ``reference`` (the base, or the file without the suffix); every list sorted."""

    reference: str  # file label
    other: str
    why: str  # "base" (a --base pair) or "suffix" (names differing by a suffix)
    only_in_reference: list[str]  # specs the other file lacks
    only_in_other: list[str]
    replaced: list[tuple[str, str]]  # reference spec -> the other's stand-in spec
    specs_differ: list[tuple[str, str, str]]  # name, reference spec, other spec
    channels: tuple[list[str], list[str]] | None  # both lists when they differ
    pip_only_in_reference: list[str]
    pip_only_in_other: list[str]
    pip_differ: list[tuple[str, str, str]]
    additions: bool = False  # two additive extensions: their files (what each adds) are compared

    @property
    def additions_expected(self) -> bool:
        """An extension is meant to add to its base: its additions are its overlay, not drift."""
        return self.why == "base"

    @property
    def count(self) -> int:
        """Differences that are drift (an extension's additions are not)."""
        added = 0 if self.additions_expected else len(self.only_in_other) + len(self.pip_only_in_other)
        return (
            len(self.only_in_reference)
            + added
            + len(self.replaced)
            + len(self.specs_differ)
            + (1 if self.channels else 0)
            + len(self.pip_only_in_reference)
            + len(self.pip_differ)
        )


def _pip_drift(
    a: tuple[str, ...], b: tuple[str, ...]
) -> tuple[list[str], list[str], list[tuple[str, str, str]]]:
    by_a = {pip_name(r): r for r in a}
    by_b = {pip_name(r): r for r in b}
    return (
        sorted(r for n, r in by_a.items() if n not in by_b),
        sorted(r for n, r in by_b.items() if n not in by_a),
        sorted((n, by_a[n], by_b[n]) for n in by_a.keys() & by_b.keys() if by_a[n] != by_b[n]),
    )


def drift(reference: EnvFile, other: EnvFile, why: str, additions: bool = False) -> PairDrift:
    a = {d.name: d.spec for d in reference.dependencies}
    b = {d.name: d.spec for d in other.dependencies}
    pairs = pair(reference.names, other.names)
    paired_old, paired_new = {old for old, _ in pairs}, {new for _, new in pairs}
    pip_a, pip_b, pip_diff = _pip_drift(reference.pip, other.pip)
    return PairDrift(
        reference=reference.label,
        other=other.label,
        why=why,
        only_in_reference=sorted(a[n] for n in a if n not in b and n not in paired_old),
        only_in_other=sorted(b[n] for n in b if n not in a and n not in paired_new),
        replaced=sorted((a[old], b[new]) for old, new in pairs),
        specs_differ=sorted((n, a[n], b[n]) for n in a.keys() & b.keys() if a[n] != b[n]),
        channels=None
        if reference.channels == other.channels
        else (list(reference.channels), list(other.channels)),
        pip_only_in_reference=pip_a,
        pip_only_in_other=pip_b,
        pip_differ=pip_diff,
        additions=additions,
    )
