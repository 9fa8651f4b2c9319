"""``refresh: {fail-on: [...]}``: changes a relock may not contain without someone looking.

Each kind is computed from the diff of the old and new locks. A kind this module cannot see in a diff is
*fed* by the step that knows it (FED_KINDS): the integrator of the layering report passes its findings as
PolicyHit(kind="layering-downgrade", ...) to :func:`evaluate`, and adds the kind to FED_KINDS so that
envsplit.yml accepts it. Until then the name is refused like any unknown one, rather than accepted and
never checked.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from envsplit.diff.compare import Change, LockDiff

# name -> what it refuses (the help text of envsplit.yml's refresh.fail-on; README "Keeping current").
DIFF_KINDS = {
    "requested-major-downgrade": "a package the variant asks for moves down a major version",
    "requested-downgrade": "a package the variant asks for moves to any older version (calendar versions too)",
    "requested-removed": "a package the variant asked for is no longer in its lock",
    "major-downgrade": "any package moves down a major version",
    "build-variant-change": "a package changes build variant (cuda → cpu, mkl → openblas, py312 → py313)",
}
# Kinds other steps find and pass to evaluate(): the lock run's layering report (locking/layering_cost.py).
FED_KINDS: dict[str, str] = {
    "layering-downgrade": "an extension gets a requested package older (major/minor), not at all, or in another "
    "build variant because of its base, compared with solving it alone",
}


def valid_kinds() -> tuple[str, ...]:
    return tuple(sorted({**DIFF_KINDS, **FED_KINDS}))


@dataclass(frozen=True)
class PolicyHit:
    """One change a ``fail-on`` kind refuses: where, and what (plain text; renderers escape it)."""

    kind: str
    variant: str
    platform: str
    what: str


def _matches(kind: str, c: Change) -> bool:
    if kind == "requested-removed":
        return c.requested and c.kind == "removed"
    if kind == "build-variant-change":
        return c.kind == "build-variant"
    downgrade = c.direction == "downgrade"
    if kind == "requested-downgrade":
        return c.requested and downgrade
    if kind == "requested-major-downgrade":
        return c.requested and downgrade and c.level == "major"
    if kind == "major-downgrade":
        return downgrade and c.level == "major"
    return False


def _what(c: Change) -> str:
    if c.old is None or c.new is None:
        return f"{c.name} {c.old.version if c.old else ''} removed".replace("  ", " ")
    text = f"{c.name} {c.old.version} {c.old.build} → {c.new.version} {c.new.build}"
    if c.inherited_from:
        text += f" (inherited from {c.inherited_from})"
    return text


def evaluate(diff: LockDiff, fail_on: Collection[str], fed: Iterable[PolicyHit] = ()) -> list[PolicyHit]:
    """The changes of ``diff`` (and the ``fed`` findings) that one of the ``fail_on`` kinds refuses, sorted."""
    hits = [
        PolicyHit(kind, v.name, pd.platform, _what(c))
        for v in diff.variants
        for pd in v.platforms
        for c in pd.changes
        for kind in sorted(fail_on)
        if kind in DIFF_KINDS and _matches(kind, c)
    ]
    hits += [h for h in fed if h.kind in fail_on]
    return sorted(set(hits), key=lambda h: (h.kind, h.variant, h.platform, h.what))


def summary(hits: Sequence[PolicyHit]) -> list[str]:
    """One line per hit for stderr: ``fail-on requested-major-downgrade: cpu linux-64: numpy 2.1 → 1.26``."""
    return [f"fail-on {h.kind}: {h.variant} {h.platform}: {h.what}" for h in hits]
