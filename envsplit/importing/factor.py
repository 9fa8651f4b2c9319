"""Factor the files into one shared environment plus, per variant, the overlay operations that make it.

The shared environment (environment.yml) is computed from the files without a ``--base`` (the root files):

- **dependencies**: the first root file's packages, in its order, that every other root file has too or
  has a stand-in for (pairing.py: ``pytorch`` in one, ``pytorch-cpu`` in another); each with the spec most
  root files write (a tie goes to the earliest file);
- **channels**: the largest part of the first file's channels that every root file can reach with one
  ``channels: {remove, prepend, append}`` (an overlay cannot reorder channels it keeps);
- **pip**: the first file's pip requirements that every root file writes identically.

Each root variant's overlay then holds what its file differs by from the shared environment, and each
extension's overlay what its file differs by from its base's file. Operations are written in the order
compose runs them: channels, remove, replace, add, pip (remove before add).
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

from envsplit.errors import InputError
from envsplit.importing.pairing import pair
from envsplit.importing.read import EnvFile
from envsplit.inputs.compose import pip_name

# Channel lists are short; past this many the shared channels are searched among the first ones only.
_MAX_CHANNEL_SEARCH = 10


@dataclass(frozen=True)
class State:
    """A reference environment: package name -> spec in order, channels in order, pip requirements."""

    specs: dict[str, str]
    channels: tuple[str, ...]
    pip: tuple[str, ...]

    @classmethod
    def of(cls, env: EnvFile) -> State:
        return cls({d.name: d.spec for d in env.dependencies}, env.channels, env.pip)


@dataclass(frozen=True)
class OverlayOps:
    """One variant's overlay, each list in the order it is written."""

    virtual_packages: dict[str, str] = field(default_factory=dict)  # given with --virtual-package
    channels: dict[str, list[str]] = field(default_factory=dict)  # remove / prepend / append
    remove: list[str] = field(default_factory=list)
    replace: list[tuple[str, str]] = field(default_factory=list)  # old name -> new spec
    add: list[str] = field(default_factory=list)
    pip_remove: list[str] = field(default_factory=list)
    pip_add: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.channels or self.remove or self.replace or self.add or self.pip_remove or self.pip_add
        )


@dataclass(frozen=True)
class Factored:
    shared: State
    first: EnvFile  # the root file whose order, comments and name environment.yml keeps
    overlays: dict[str, OverlayOps]  # variant -> its operations (empty: the variant needs no overlay)


def channel_ops(reference: tuple[str, ...], target: tuple[str, ...]) -> dict[str, list[str]] | None:
    """The ``channels:`` operation turning ``reference`` into ``target``; None if it would need a reorder."""
    kept = [c for c in target if c in reference]
    if kept != [c for c in reference if c in kept]:
        return None
    if kept:
        start = target.index(kept[0])
        if list(target[start : start + len(kept)]) != kept:
            return None
    else:
        start = len(target)
    ops = {
        "remove": [c for c in reference if c not in target],
        "prepend": list(target[:start]),
        "append": list(target[start + len(kept) :]),
    }
    return {k: v for k, v in ops.items() if v}


def _shared_channels(roots: list[EnvFile]) -> tuple[str, ...]:
    first = roots[0].channels
    best: tuple[tuple[int, int], tuple[str, ...]] | None = None
    for size in range(len(first[:_MAX_CHANNEL_SEARCH]), -1, -1):
        for chosen in itertools.combinations(first[:_MAX_CHANNEL_SEARCH], size):
            if all(channel_ops(chosen, f.channels) is not None for f in roots):
                score = (sum(len(set(chosen) & set(f.channels)) for f in roots), size)
                if best is None or score > best[0]:
                    best = (score, chosen)
    assert best is not None  # no shared channel at all always works
    return best[1]


def _shared_specs(roots: list[EnvFile]) -> dict[str, str]:
    candidate = roots[0].names
    missing: set[str] = set()
    for env in roots[1:]:
        paired = dict(pair(candidate, env.names))
        missing.update(n for n in candidate if n not in env.names and n not in paired)
    specs = {}
    for name in candidate:
        if name in missing:
            continue
        written = [f.spec_of(name) for f in roots if name in f.names]
        counts = Counter(written)
        top = max(counts.values())
        specs[name] = next(s for s in written if counts[s] == top)  # a tie: the earliest file's
    return specs


def overlay_ops(reference: State, env: EnvFile, label: str) -> OverlayOps:
    """What turns ``reference`` into ``env``; ``label`` names the reference in the reorder error."""
    channels = channel_ops(reference.channels, env.channels)
    if channels is None:
        raise InputError(
            f"{env.label}: channels: {', '.join(env.channels)} reorders channels of {label} "
            f"({', '.join(reference.channels)}); an overlay can only remove, prepend and append channels: "
            "give both files the same order for the channels they share"
        )
    ref_names = list(reference.specs)
    target = {d.name: d.spec for d in env.dependencies}
    paired = dict(pair(ref_names, env.names))
    replace = []
    for name in ref_names:
        if name in paired:
            replace.append((name, target[paired[name]]))
        elif name in target and target[name] != reference.specs[name]:
            replace.append((name, target[name]))
    added = set(paired.values())
    pip_kept = set(env.pip)
    pip_remove = list(dict.fromkeys(pip_name(r) for r in reference.pip if r not in pip_kept))
    remaining = {r for r in reference.pip if pip_name(r) not in pip_remove}
    return OverlayOps(
        channels=channels,
        remove=[n for n in ref_names if n not in target and n not in paired],
        replace=replace,
        add=[d.spec for d in env.dependencies if d.name not in reference.specs and d.name not in added],
        pip_remove=pip_remove,
        pip_add=[r for r in env.pip if r not in remaining],
    )


def factor(files: dict[str, EnvFile], bases: dict[str, str]) -> Factored:
    """The shared environment and every variant's overlay; ``files`` in the order given, by variant."""
    roots = [env for variant, env in files.items() if variant not in bases]
    pip_shared = tuple(r for r in roots[0].pip if all(r in f.pip for f in roots[1:]))
    shared = State(_shared_specs(roots), _shared_channels(roots), pip_shared)
    overlays = {}
    for variant, env in files.items():
        base = bases.get(variant)
        if base is None:
            overlays[variant] = overlay_ops(shared, env, "the shared environment")
        else:
            overlays[variant] = overlay_ops(State.of(files[base]), env, f"its base {files[base].label}")
    return Factored(shared, roots[0], overlays)
