"""``why`` and ``tree`` over a DepGraph: the chains from requested packages down to one package, and the tree.

Both walk without recursion (a chain can be as deep as the lock is large) and within a step budget, so a
hostile lock gets a bounded answer that says what it left out. networkx is imported only for ``why --all``
(the cycles a chain could run into).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from envsplit.audit.graph import DepGraph

# Enough for any readable answer; the full set of simple paths in a 600-package graph can be astronomic.
MAX_CHAINS = 200
# Steps one ``why --all`` may take to list and count chains: real locks need a few thousand; a hostile
# one (a maze of cycles) gets an answer that says what it could not count, in about a second.
MAX_STEPS = 1_000_000


@dataclass(frozen=True)
class Chains:
    """What ``why`` found: the chains to show, and what it says about the ones it did not show."""

    chains: list[list[str]]
    left_out: int = 0  # chains that exist but are not in ``chains``
    counted: bool = True  # False: more chains exist than could be counted within MAX_STEPS
    cut: bool = False  # the listing itself hit MAX_STEPS: ``chains`` holds what was found by then


class _OutOfSteps(Exception):
    pass


class _Budget:
    """The steps one ``why --all`` may spend: a hostile lock must not turn an answer into hours."""

    def __init__(self) -> None:
        self.left = MAX_STEPS

    def spend(self, n: int = 1) -> None:
        self.left -= n
        if self.left < 0:
            raise _OutOfSteps


def _shortest_chains(
    graph: DepGraph, target: str, dependents: Mapping[str, Sequence[str]]
) -> list[list[str]]:
    roots = set(graph.roots)
    parent: dict[str, str | None] = {target: None}
    queue = deque([target])
    found: list[str] = []
    while queue:
        node = queue.popleft()
        if node in roots:
            found.append(node)
            if node != target:
                continue
        for up in dependents[node]:
            if up not in parent:
                parent[up] = node
                queue.append(up)
    chains = []
    for r in found:
        chain: list[str] = []
        cur: str | None = r
        while cur is not None:
            chain.append(cur)
            cur = parent[cur]
        chains.append(chain)
    return chains


def _upward(
    graph: DepGraph, target: str, dependents: Mapping[str, Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """The part of the reversed graph a chain to ``target`` can use: a requested package ends a chain, so
    it leads nowhere here (unless it is ``target`` itself, where every chain starts)."""
    roots = set(graph.roots)
    up: dict[str, tuple[str, ...]] = {}
    queue = deque([target])
    while queue:
        node = queue.popleft()
        if node in up:
            continue
        up[node] = () if node in roots and node != target else tuple(dependents[node])
        queue.extend(u for u in up[node] if u not in up)
    return up


def _components(up: Mapping[str, Sequence[str]]) -> tuple[dict[str, int], list[list[str]]]:
    """Strongly connected components of ``up``: node -> component, and the components with every edge
    between two of them pointing from a later one in the list to an earlier one."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(up)
    g.add_edges_from((n, u) for n, ups in up.items() for u in ups)
    dag = nx.condensation(g)
    order = list(reversed(list(nx.topological_sort(dag))))
    members = [sorted(dag.nodes[c]["members"]) for c in order]
    comp = {n: i for i, ms in enumerate(members) for n in ms}
    return comp, members


def _count(
    target: str,
    roots: set[str],
    up: Mapping[str, Sequence[str]],
    comp: Mapping[str, int],
    members: Sequence[Sequence[str]],
    budget: _Budget,
) -> int:
    """The number of chains to ``target``, exactly: simple paths in ``up`` from ``target`` to a root.

    Once a chain leaves a strongly connected component it cannot come back, so counts are summed over
    the components in order; only the simple paths inside one component are enumerated (a handful in
    real locks, python <-> pip; a hostile lock runs out of ``budget``).
    """
    count: dict[str, int] = {}  # chains from a node entered from outside its component

    def exits(w: str, c: int) -> int:
        budget.spend(len(up[w]) + 1)
        return (w in roots) + sum(count[u] for u in up[w] if comp[u] != c)

    for c, nodes in enumerate(members):
        if len(nodes) == 1:
            count[nodes[0]] = exits(nodes[0], c)
            continue
        inside = set(nodes)
        # Only the target and nodes entered from another component start a count.
        for start in [target] if target in inside else nodes:
            total = exits(start, c)
            path = {start}
            stack = [(start, iter(up[start]))]
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    stack.pop()
                    path.discard(node)
                    continue
                if nxt in inside and nxt not in path:
                    total += exits(nxt, c)
                    path.add(nxt)
                    stack.append((nxt, iter(up[nxt])))
            count[start] = total
    return count[target]


def find_chains(graph: DepGraph, target: str, all_chains: bool = False) -> Chains:
    """Chains ``[requested, ..., target]`` that explain why ``target`` is in the environment.

    A chain stops at the first requested package met walking up from ``target``: a longer chain through
    that package adds nothing. By default one shortest chain per requested package (breadth-first). With
    ``all_chains`` every simple chain, depth first, up to MAX_CHAINS, and the number of the others; a walk
    that could only end on its own path is never started, so each step leads to a chain and dependency
    cycles cannot make the walk exponential. Sorted shortest first, then by names.
    """
    dependents = graph.dependents()
    if not all_chains:
        return Chains(sorted(_shortest_chains(graph, target, dependents), key=lambda c: (len(c), c)))
    roots = set(graph.roots)
    up = _upward(graph, target, dependents)
    comp, members = _components(up)
    budget = _Budget()
    path = [target]
    on_path = {target}

    def leads_to_a_root(u: str, node: str) -> bool:
        # Only a step inside the current node's component can come back to the path and find no way
        # out (a step out of it cannot return); check those by a search that avoids the path.
        if comp[u] != comp[node]:
            return True
        seen = {u}
        queue = deque([u])
        while queue:
            n = queue.popleft()
            budget.spend(len(up[n]) + 1)
            if n in roots:
                return True
            for v in up[n]:
                if v not in seen and v not in on_path:
                    seen.add(v)
                    queue.append(v)
        return False

    chains: list[list[str]] = [[target]] if target in roots else []
    stack = [iter(up[target])]
    try:
        while stack and len(chains) < MAX_CHAINS:
            u = next(stack[-1], None)
            budget.spend()
            if u is None:
                stack.pop()
                on_path.discard(path.pop())
            elif u in on_path or not leads_to_a_root(u, path[-1]):
                continue
            elif u in roots:
                chains.append([u, *reversed(path)])
            else:
                path.append(u)
                on_path.add(u)
                stack.append(iter(up[u]))
    except _OutOfSteps:
        # Unreadable anyway by now; keep what was found and the shortest chain per requested package.
        known = {tuple(c) for c in chains}
        chains += [c for c in _shortest_chains(graph, target, dependents) if tuple(c) not in known]
        return Chains(sorted(chains, key=lambda c: (len(c), c)), counted=False, cut=True)
    ordered = sorted(chains, key=lambda c: (len(c), c))
    if not stack:
        return Chains(ordered)
    try:
        total = _count(target, roots, up, comp, members, budget)
    except _OutOfSteps:
        return Chains(ordered, counted=False)
    return Chains(ordered, left_out=total - len(chains))


def why(graph: DepGraph, target: str, all_chains: bool = False) -> tuple[list[list[str]], bool]:
    """``find_chains``' chains, and whether some were left out."""
    found = find_chains(graph, target, all_chains)
    return found.chains, bool(found.left_out) or not found.counted


def render_chains(graph: DepGraph, chains: Sequence[Sequence[str]]) -> Iterator[str]:
    """The chains merged into one tree (common prefixes once), requested packages at the top."""
    trie: dict[str, dict] = {}
    for chain in chains:
        level = trie
        for name in chain:
            level = level.setdefault(name, {})
    requested = set(graph.requested) if graph.from_specs else set()

    def label(name: str, top: bool) -> str:
        text = graph.label(name)
        if top:
            text += " [requested]" if name in requested else " [top level]"
        return text

    for name, sub in trie.items():
        yield label(name, True)
        # Depth first without recursion: a chain can be as deep as the lock is large.
        stack = [("", list(sub.items()), 0)]
        while stack:
            prefix, items, i = stack.pop()
            if i == len(items):
                continue
            stack.append((prefix, items, i + 1))
            name, sub = items[i]
            last = i == len(items) - 1
            yield f"{prefix}{'└── ' if last else '├── '}{label(name, False)}"
            stack.append((prefix + ("    " if last else "│   "), list(sub.items()), 0))


def tree(graph: DepGraph, invert: str | None = None, depth: int | None = None) -> Iterator[str]:
    """The dependency tree from the requested packages down, or with ``invert`` from one package up.

    A package whose subtree was already printed is shown again with ``(*)`` and not expanded, as cargo
    tree does; ``depth`` cuts the tree below that many levels (``...`` marks a cut).
    """
    requested = set(graph.requested)
    mark = " [requested]" if graph.from_specs else " [top level]"
    if invert is None:
        edges: Mapping[str, Sequence[str]] = graph.deps
        tops: Sequence[str] = graph.roots
    else:
        edges = graph.dependents()
        tops = [invert]
    expanded: set[str] = set()

    def label(name: str) -> str:
        text = graph.label(name)
        if invert is not None and name in requested:
            text += mark
        return text

    def children(name: str, path: set[str]) -> list[str]:
        return [c for c in edges[name] if c not in path]

    for top in tops:
        yield (
            label(top)
            if invert is not None
            else label(top) + ("" if top in requested else " [not requested]")
        )
        expanded.add(top)
        # Depth first without recursion (a dependency chain can be thousands deep). A frame is a
        # package being expanded: its children not on the path to it, and the next one to show.
        path = {top}
        stack: list[tuple[str, str, int, list[str], int]] = []
        kids = children(top, path)
        if kids and depth is not None and depth <= 0:
            yield "└── ..."
        elif kids:
            stack.append((top, "", 0, kids, 0))
        while stack:
            name, prefix, level, kids, i = stack.pop()
            if i == len(kids):
                path.discard(name)
                continue
            stack.append((name, prefix, level, kids, i + 1))
            child = kids[i]
            last = i == len(kids) - 1
            branch, indent = ("└── ", "    ") if last else ("├── ", "│   ")
            if child in expanded and edges[child]:
                yield f"{prefix}{branch}{label(child)} (*)"
                continue
            yield f"{prefix}{branch}{label(child)}"
            if depth is None or level + 1 < depth:
                expanded.add(child)  # only a subtree shown in full may be abbreviated to (*) later
            path.add(child)
            grandkids = children(child, path)
            if not grandkids:
                path.discard(child)
            elif depth is not None and level + 1 >= depth:
                yield f"{prefix + indent}└── ..."
                path.discard(child)
            else:
                stack.append((child, prefix + indent, level + 1, grandkids, 0))
