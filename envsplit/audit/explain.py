"""``envsplit why`` and ``envsplit tree``: readable answers from the locks alone (no channel is read)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence

from envsplit.audit import graph as depgraph
from envsplit.audit import why_chains as graph_paths
from envsplit.audit.lock_target import Target, load, select_platforms
from envsplit.errors import InputError


def _graphs(
    targets: Sequence[Target], platforms: Sequence[str]
) -> Iterator[tuple[Target, str, depgraph.DepGraph]]:
    for target in targets:
        locked = load(target)
        for platform in select_platforms(target, locked, platforms):
            yield target, platform, depgraph.build(locked[platform], target.requested)


_PIP_WHY = (
    "is a pip package: installed from the PyPI index after the conda packages; the lock records no "
    "dependencies between pip packages, so no chain leads to it"
)
_PIP_TREE = "pip packages stand at the top level: the lock records no dependencies between them"


def _unknown(name: str, known: set[str], where: str) -> InputError:
    close = difflib.get_close_matches(name, sorted(known), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else "; check the name (conda names are lower case)"
    return InputError(f"{name!r} is not in {where}{hint}")


def why(targets: Sequence[Target], package: str, platforms: Sequence[str], all_chains: bool) -> list[str]:
    """One section per locked environment holding ``package``: the chains from requested packages to it."""
    name = package.strip().lower()
    lines: list[str] = []
    known: set[str] = set()
    for target, platform, g in _graphs(targets, platforms):
        known |= set(g.packages)
        if name not in g.packages:
            continue
        if g.packages[name].is_pip:
            if lines:
                lines.append("")
            lines.append(f"{target.label} ({platform}): {g.label(name)} {_PIP_WHY}")
            continue
        found = graph_paths.find_chains(g, name, all_chains)
        chains = found.chains
        if lines:
            lines.append("")
        others = sorted({c[0] for c in chains} - {name})
        what = "requested" if target.requested is not None else "top-level"
        if name in g.requested:
            head = f"is {what} itself" + (
                f", and needed by {len(others)} other {what} package(s)" if others else ""
            )
        else:
            head = f"is needed by {len(others)} {what} package(s)"
        if others and not all_chains:
            head += "; shortest chain each (--all for every chain)"
        lines.append(f"{target.label} ({platform}): {g.label(name)} {head}")
        lines += list(graph_paths.render_chains(g, chains))
        lines += _left_out(found)
    if not lines:
        where = ", ".join(f"{t.label}" for t in targets)
        raise _unknown(name, known, f"the locks of {where}")
    return lines


def _left_out(found: graph_paths.Chains) -> list[str]:
    if found.cut:
        return [f"... stopped looking for more chains after {graph_paths.MAX_STEPS:,} steps"]
    if not found.counted:
        return ["... more chains left out (too many to count)"]
    if found.left_out:
        return [f"... {found.left_out:,} more chains left out"]
    return []


def tree(
    targets: Sequence[Target], platforms: Sequence[str], invert: str | None, depth: int | None
) -> list[str]:
    lines: list[str] = []
    found = invert is None
    known: set[str] = set()
    for target, platform, g in _graphs(targets, platforms):
        known |= set(g.packages)
        name = invert.strip().lower() if invert is not None else None
        if name is not None and name not in g.packages:
            continue
        found = True
        if lines:
            lines.append("")
        lines.append(f"# {target.label} ({platform})")
        lines += list(graph_paths.tree(g, name, depth))
        if g.pip and (name is None or g.packages[name].is_pip):
            lines.append(f"({_PIP_TREE})")
    if not found and invert is not None:
        raise _unknown(invert.strip().lower(), known, "the locks of " + ", ".join(t.label for t in targets))
    return lines
