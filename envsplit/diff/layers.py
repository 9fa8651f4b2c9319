"""Which changes of an extension its base already made: an image built FROM another inherits its moves.

An extension's lock holds its base's packages too, so a relock that moves 80 base packages shows 80 changes
in every image built on that base. A change is inherited when the base's diff on the same platform holds the
very same move (same name, same old and new file); it is then marked with the variant that made it first,
so a chain cpu → cpu-spatial → cpu-spatial-ml credits ``cpu``, not its middle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from envsplit.diff.compare import Change, LockDiff, PlatformDiff, VariantDiff


def lock_bases(diff: LockDiff) -> dict[str, str]:
    """Variant -> base, as envsplit's lock headers record it (the new lock's first, else the old one's)."""
    bases = {}
    for v in diff.variants:
        base = next((lock.base for lock in (v.new_lock, v.old_lock) if lock is not None and lock.base), None)
        if base is not None:
            bases[v.name] = base
    return bases


def _move(c: Change) -> tuple[str, str | None, str | None]:
    return c.name, c.old.url if c.old else None, c.new.url if c.new else None


def mark_inherited(diff: LockDiff, bases: Mapping[str, str] | None = None) -> LockDiff:
    """``diff`` with each extension's inherited changes marked (``bases``: variant -> base; default: lock_bases)."""
    bases = lock_bases(diff) if bases is None else bases
    by_name = {v.name: v for v in diff.variants}
    done: dict[str, VariantDiff] = {}

    def marked(name: str, seen: tuple[str, ...] = ()) -> VariantDiff:
        if name in done:
            return done[name]
        v = by_name[name]
        base = bases.get(name)
        if base is None or base not in by_name or base in seen:  # a cycle is refused by lock; never loop
            done[name] = v
            return v
        parent = marked(base, (*seen, name))
        theirs = {
            pd.platform: {_move(c): c.inherited_from or base for c in pd.changes} for pd in parent.platforms
        }
        platforms = tuple(_platform(pd, theirs.get(pd.platform, {})) for pd in v.platforms)
        done[name] = replace(v, platforms=platforms)
        return done[name]

    return replace(diff, variants=tuple(marked(v.name) for v in diff.variants))


def _platform(pd: PlatformDiff, theirs: Mapping[tuple[str, str | None, str | None], str]) -> PlatformDiff:
    changes = tuple(
        replace(c, inherited_from=theirs[_move(c)]) if _move(c) in theirs else c for c in pd.changes
    )
    return replace(pd, changes=changes)


def own(changes: tuple[Change, ...] | list[Change]) -> list[Change]:
    return [c for c in changes if c.inherited_from is None]


def inherited(changes: tuple[Change, ...] | list[Change]) -> dict[str, int]:
    """Base -> how many of ``changes`` it made, in base order of first appearance."""
    counts: dict[str, int] = {}
    for c in changes:
        if c.inherited_from is not None:
            counts[c.inherited_from] = counts.get(c.inherited_from, 0) + 1
    return counts
