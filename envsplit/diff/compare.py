"""What changed between two sets of locks: per variant and platform, package by package, with sizes.

The model is plain frozen data; :mod:`envsplit.diff_render` turns it into markdown or json.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from envsplit.audit.graph import top_level
from envsplit.diff.classify import CALVER, LEVELS, Swap, build_swaps, classify
from envsplit.diff.sides import Lock, LockSet, SizeLookup
from envsplit.errors import InputError
from envsplit.models import LockedPackage

__all__ = ["CALVER", "CHANGE_KINDS", "LEVELS", "classify", "diff_locksets", "diff_platform", "pair"]

# Kinds of change for a package present on both sides, in the order reports list them.
CHANGE_KINDS = ("upgrade", "downgrade", "build-variant", "build", "file", "version")


@dataclass(frozen=True)
class Change:
    """One package that differs. ``kind`` is added/removed, or one of CHANGE_KINDS for a changed package.

    ``build``: same version, other build. ``file``: same version and build from another file (channel,
    format or checksum). ``version``: the versions differ but cannot be ordered (unparsable).
    ``build-variant``: the builds differ in what they were built for (``swaps``: cuda → cpu, mkl → openblas,
    py312 → py313), whether or not the version moved too (``moved``: upgrade or downgrade, with ``level``).
    ``inherited_from``: in an extension, the base whose diff holds this very change (see diff.layers).
    """

    name: str
    kind: str
    old: LockedPackage | None
    new: LockedPackage | None
    requested: bool
    level: str | None = None  # major / minor / patch / calver for upgrade and downgrade (and a moved swap)
    old_size: int | None = None
    new_size: int | None = None
    swaps: tuple[Swap, ...] = ()
    moved: str | None = None  # build-variant only: upgrade / downgrade when the version moved as well
    inherited_from: str | None = None

    @property
    def direction(self) -> str | None:
        """``upgrade`` or ``downgrade`` when the version moved, whatever the kind; else None."""
        return self.kind if self.kind in ("upgrade", "downgrade") else self.moved

    @property
    def size_delta(self) -> int | None:
        old = 0 if self.old is None else self.old_size
        new = 0 if self.new is None else self.new_size
        if old is None or new is None:
            return None
        return new - old


@dataclass(frozen=True)
class SizeDelta:
    """A download-size change: the sum over the packages whose sizes are known, and how many are not."""

    bytes: int
    unknown: int
    counted: int

    @property
    def known(self) -> bool:
        return self.unknown == 0


def total(changes: Sequence[Change]) -> SizeDelta:
    deltas = [c.size_delta for c in changes]
    known = [d for d in deltas if d is not None]
    return SizeDelta(bytes=sum(known), unknown=len(deltas) - len(known), counted=len(known))


@dataclass(frozen=True)
class PlatformDiff:
    platform: str
    status: str  # changed, unchanged, added (platform only in the new lock), removed (only in the old)
    changes: tuple[Change, ...]
    old_count: int
    new_count: int

    @property
    def added(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "added"]

    @property
    def removed(self) -> list[Change]:
        return [c for c in self.changes if c.kind == "removed"]

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.kind in CHANGE_KINDS]

    def counts(self) -> dict[str, int]:
        """Changes by kind, every kind present, in report order."""
        return {k: sum(c.kind == k for c in self.changes) for k in (*CHANGE_KINDS, "added", "removed")}

    @property
    def size_delta(self) -> SizeDelta:
        return total(self.changes)


@dataclass(frozen=True)
class VariantDiff:
    name: str
    status: str  # changed, unchanged, added (only in new), removed (only in old)
    old_lock: Lock | None
    new_lock: Lock | None
    platforms: tuple[PlatformDiff, ...]

    @property
    def requested_basis(self) -> str:
        """``specs`` when requested packages came from the composed specs, ``leaves`` when guessed, or ``mixed``."""
        locks = [lock for lock in (self.old_lock, self.new_lock) if lock is not None]
        known = [lock.requested is not None for lock in locks]
        return "specs" if all(known) else "leaves" if not any(known) else "mixed"


@dataclass(frozen=True)
class LockDiff:
    old_label: str
    new_label: str
    variants: tuple[VariantDiff, ...]
    sizes_looked_up: bool = False

    @property
    def changed(self) -> bool:
        return any(v.status != "unchanged" for v in self.variants)

    def changes(self) -> list[Change]:
        return [c for v in self.variants for p in v.platforms for c in p.changes]

    @property
    def size_delta(self) -> SizeDelta:
        return total(self.changes())


# --- computing -------------------------------------------------------------------------------------


def _by_name(packages: Sequence[LockedPackage]) -> dict[tuple[str, str], LockedPackage]:
    # A conda environment holds one package per name; if a foreign lock lists one twice, the last wins.
    # pip packages are their own: a name moving from pip to conda is one removed and one added.
    return {(p.name, p.manager): p for p in packages}


def diff_platform(
    platform: str,
    old: Sequence[LockedPackage] | None,
    new: Sequence[LockedPackage] | None,
    old_requested: frozenset[str] | None,
    new_requested: frozenset[str] | None,
) -> PlatformDiff:
    """The changes on one platform; ``old``/``new`` None when the platform is missing from that lock."""
    before, after = _by_name(old or ()), _by_name(new or ())
    # A foreign lock does not say what was asked for: the audit's guess (graph.top_level) stands in, so
    # both commands call the same packages requested.
    req_old = _requested(old_requested, before.values())
    req_new = _requested(new_requested, after.values())
    changes = []
    for key in sorted(before.keys() | after.keys()):
        name = key[0]
        o, n = before.get(key), after.get(key)
        if o is None and n is not None:
            changes.append(Change(name, "added", None, n, name in req_new, new_size=n.size))
        elif n is None and o is not None:
            changes.append(Change(name, "removed", o, None, name in req_old, old_size=o.size))
        elif o is not None and n is not None and (o.url, o.md5) != (n.url, n.md5):
            kind, level = classify(o.version, n.version, pip=n.is_pip)
            swaps = () if n.is_pip or o.is_pip else build_swaps(o.build, n.build)
            moved = kind if swaps and kind in ("upgrade", "downgrade") else None
            if swaps:
                kind = "build-variant"
            elif kind == "same":
                kind = "build" if o.build != n.build else "file"
            requested = name in req_old or name in req_new
            changes.append(Change(name, kind, o, n, requested, level, o.size, n.size, swaps, moved))
    if old is None:
        status = "added"
    elif new is None:
        status = "removed"
    else:
        status = "changed" if changes else "unchanged"
    return PlatformDiff(platform, status, tuple(changes), len(before), len(after))


def _requested(named: frozenset[str] | None, packages: Collection[LockedPackage]) -> frozenset[str]:
    # The lock records no dependencies between pip packages: each stands at the top, as in the audit.
    pip = {p.name for p in packages if p.is_pip}
    if named is not None:
        return named | pip if pip else named
    return frozenset(top_level(list(packages)))


def diff_locks(name: str, old: Lock | None, new: Lock | None) -> VariantDiff:
    old_pk = old.packages if old is not None else {}
    new_pk = new.packages if new is not None else {}
    platforms = tuple(
        diff_platform(
            platform,
            old_pk.get(platform),  # None: the platform is not in that lock
            new_pk.get(platform),
            old.requested if old is not None else None,
            new.requested if new is not None else None,
        )
        for platform in sorted(set(old_pk) | set(new_pk))
    )
    if old is None:
        status = "added"
    elif new is None:
        status = "removed"
    else:
        status = "changed" if any(p.status != "unchanged" for p in platforms) else "unchanged"
    return VariantDiff(name, status, old, new, platforms)


def pair(
    old: LockSet, new: LockSet, allow_mismatch: bool = False
) -> list[tuple[str, Lock | None, Lock | None]]:
    """Match the locks of both sides: by variant, or the only lock of a one-file side with its namesake."""
    pairs: list[tuple[str, Lock | None, Lock | None]]
    if old.single and new.single:
        (o,), (n,) = old.locks.values(), new.locks.values()
        pairs = [(o.key if o.key == n.key else f"{o.key} → {n.key}", o, n)]
    elif old.single or new.single:
        one, many = (old, new) if old.single else (new, old)
        (lock,) = one.locks.values()
        other = many.locks.get(lock.key)
        if other is None:
            raise InputError(
                f"{lock.source} is variant {lock.key!r}, which {many.label} does not have "
                f"(it has {', '.join(sorted(many.locks))}); compare it with one conda-lock.yml instead"
            )
        pairs = [(lock.key, lock, other) if one is old else (lock.key, other, lock)]
    else:
        keys = sorted(old.locks.keys() | new.locks.keys())
        pairs = [(k, old.locks.get(k), new.locks.get(k)) for k in keys]
    for _, before, after in pairs:
        if before is None or after is None or not (before.variant and after.variant):
            continue
        if before.variant != after.variant and not allow_mismatch:
            raise InputError(
                f"{before.source} locks variant {before.variant!r} but {after.source} locks variant "
                f"{after.variant!r}: they describe different environments; compare locks of the same "
                "variant, or pass --allow-variant-mismatch to compare them anyway"
            )
    return pairs


def _with_sizes(diff: VariantDiff, sizes: Mapping[str, int]) -> VariantDiff:
    def sized(c: Change) -> Change:
        old_size = c.old_size if c.old is None or c.old_size is not None else sizes.get(c.old.url)
        new_size = c.new_size if c.new is None or c.new_size is not None else sizes.get(c.new.url)
        return replace(c, old_size=old_size, new_size=new_size)

    platforms = tuple(replace(p, changes=tuple(sized(c) for c in p.changes)) for p in diff.platforms)
    return replace(diff, platforms=platforms)


def diff_locksets(
    old: LockSet,
    new: LockSet,
    sizes: SizeLookup | None = None,
    allow_mismatch: bool = False,
) -> LockDiff:
    """Compare two sides. ``sizes`` is asked once, for every changed package whose size is not known yet.

    An extension's changes that its base made too are marked ``inherited_from`` (diff.layers).
    """
    variants = [diff_locks(name, o, n) for name, o, n in pair(old, new, allow_mismatch)]
    if sizes is not None:
        unsized = {
            p.url: p
            for v in variants
            for pd in v.platforms
            for c in pd.changes
            for p, s in ((c.old, c.old_size), (c.new, c.new_size))
            if p is not None and s is None
        }
        found = dict(sizes([unsized[u] for u in sorted(unsized)])) if unsized else {}
        variants = [_with_sizes(v, found) for v in variants]
    from envsplit.diff.layers import mark_inherited  # it builds on this module's types

    diff = LockDiff(old.label, new.label, tuple(sorted(variants, key=lambda v: v.name)), sizes is not None)
    return mark_inherited(diff)
