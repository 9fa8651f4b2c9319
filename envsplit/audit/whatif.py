"""Group what-ifs on the locked graph: what leaves if several requested packages (or an overlay's) go together,
and the candidate groups the markdown and HTML reports rank.

No solve: the answer is the dominator tree of the lock's graph with the dropped roots under one virtual node
(``graph.group_leaves``), so it is exact for the locked builds; ``--resolve`` (``audit.resolve``) checks it
against a real solve.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from envsplit.audit import graph as depgraph
from envsplit.audit.flags import FLAG_GEOSPATIAL, FLAG_HEAVY, FLAG_PULLS_GEOSPATIAL
from envsplit.audit.lock_target import OverlayGroup, Target
from envsplit.audit.model import Candidate, Row, Total, WhatIf, total_of
from envsplit.errors import InputError

DROP = "drop"
OVERLAY = "overlay"


@dataclass(frozen=True)
class Request:
    """One ``--drop a,b`` (names) or ``--drop-overlay NAME`` (one name)."""

    kind: str
    names: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"--drop {','.join(self.names)}" if self.kind == DROP else f"--drop-overlay {self.names[0]}"


def parse_drops(drops: Sequence[str], overlays: Sequence[str]) -> tuple[Request, ...]:
    out = []
    for value in drops:
        names = tuple(dict.fromkeys(n.strip().lower() for n in value.split(",") if n.strip()))
        if not names:
            raise InputError(f"--drop {value!r}: give one or more package names, comma-separated")
        out.append(Request(DROP, names))
    out += [Request(OVERLAY, (name,)) for name in dict.fromkeys(overlays)]
    return tuple(out)


@dataclass(frozen=True)
class EnvView:
    """What the what-ifs read of one audited environment."""

    target: Target
    title: str
    graph: depgraph.DepGraph
    layer_only: bool  # the layer view: only what the layer adds counts

    def overlay(self, name: str) -> OverlayGroup | None:
        return next((o for o in self.target.overlays if o.name == name), None)


def check_requests(requests: Sequence[Request], views: Sequence[EnvView]) -> None:
    """Refuse a name no audited environment has, and an overlay no audited variant uses."""
    for request in requests:
        if request.kind == OVERLAY:
            _check_overlay(request.names[0], views)
            continue
        for name in request.names:
            if any(name in v.graph.packages for v in views):
                if not any(name in v.graph.requested for v in views):
                    raise InputError(
                        f"--drop {name}: not a requested package of {_where(views)}, only a dependency; "
                        f"'envsplit why {name}' shows what needs it"
                    )
                continue
            every = sorted({n for v in views for n in v.graph.packages})
            close = difflib.get_close_matches(name, every, n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(close)}?" if close else "; 'envsplit tree' lists what it has"
            raise InputError(f"--drop {name}: no package of that name in the lock of {_where(views)}{hint}")


def _where(views: Sequence[EnvView]) -> str:
    return ", ".join(dict.fromkeys(v.target.label for v in views))


def _check_overlay(name: str, views: Sequence[EnvView]) -> None:
    if any(v.overlay(name) is not None for v in views):
        return
    uses = [
        f"variant {v.target.label} uses "
        + (", ".join(o.name for o in v.target.overlays) if v.target.overlays else "none")
        if v.target.kind == "variant"
        else f"{v.target.label} is a lockfile, without overlays"
        for v in {v.target.label: v for v in views}.values()
    ]
    raise InputError(f"--drop-overlay {name}: not used by the audited variant(s); " + "; ".join(uses))


def what_if(
    view: EnvView, request: Request, measure: Mapping[str, int | None], in_layer: Callable[[str], bool]
) -> WhatIf:
    """What leaves the environment if the request's requested packages all go (in its measure)."""
    g = view.graph
    notes: list[str] = []
    if request.kind == OVERLAY:
        group = view.overlay(request.names[0])
        if group is None:
            return WhatIf(request.label, (), (), Total(0), ("this variant does not use the overlay",))
        names = group.adds
        for old, new in group.replaces:
            notes.append(
                f"replaces {old} with {new}: dropping the overlay swaps them back, so {new} is not counted "
                "as freed (--resolve solves the swap)"
            )
    else:
        names = request.names
    dropped = tuple(n for n in names if n in g.requested)
    absent = [n for n in names if n not in g.packages]
    if absent:
        notes.append("not in this environment: " + ", ".join(absent))
    leaves = depgraph.group_leaves(g, dropped)
    stays = [n for n in dropped if n not in set(leaves)]
    if stays:
        notes.append(
            "stays, a kept package needs it: " + ", ".join(stays) + " ('envsplit why NAME' shows the chain)"
        )
    if view.layer_only:
        base = [n for n in leaves if not in_layer(n)]
        if base:
            notes.append(
                f"{len(base)} more package(s) would leave the full image but come with the base image: "
                "they are not counted here (--whole counts them)"
            )
        leaves = [n for n in leaves if in_layer(n)]
    return WhatIf(
        label=request.label,
        dropped=dropped,
        leaves=tuple(leaves),
        frees=total_of([measure[n] for n in leaves]),
        notes=tuple(notes),
    )


def candidates(
    view: EnvView,
    rows: Mapping[str, Row],
    measure: Mapping[str, int | None],
    limit: int,
    in_layer: Callable[[str], bool],
    alone: Mapping[str, Sequence[str]],
) -> tuple[Candidate, ...]:
    """Each overlay of the variant (its own only, in the layer view) and each ranked requested package,
    with what it frees, heaviest first; ``alone`` is what each requested package frees by itself
    (``graph.exclusive_sets``: one dominator tree for all of them)."""
    out = []
    for group in view.target.overlays:
        if view.layer_only and not group.own:
            continue
        w = what_if(view, Request(OVERLAY, (group.name,)), measure, in_layer)
        out.append(_candidate(OVERLAY, group.name, w.dropped, w.leaves, w.frees, rows, limit))
    for name in view.graph.requested:
        r = rows[name]
        if view.layer_only and r.in_layer is False:
            continue
        leaves = list(alone[name])
        if view.layer_only:
            leaves = [n for n in leaves if in_layer(n)]
        out.append(
            _candidate("package", name, (name,), leaves, total_of([measure[n] for n in leaves]), rows, limit)
        )
    return tuple(sorted(out, key=lambda c: (-c.frees.bytes, c.kind, c.name)))


def _candidate(
    kind: str,
    name: str,
    members: Sequence[str],
    leaves: Sequence[str],
    frees: Total,
    rows: Mapping[str, Row],
    limit: int,
) -> Candidate:
    flags = []
    if frees.bytes >= limit and frees.bytes > 0:
        flags.append(FLAG_HEAVY)
    if any({FLAG_GEOSPATIAL, FLAG_PULLS_GEOSPATIAL} & set(rows[n].flags) for n in leaves):
        flags.append(FLAG_GEOSPATIAL)
    return Candidate(kind, name, tuple(members), len(leaves), frees, tuple(flags))
