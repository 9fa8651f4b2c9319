"""The dependency graph of one locked environment (one lock, one platform), and what it says about weight.

Nodes are package names (a conda environment holds one package per name); an edge goes from a package
to each dependency that is in the same environment. Virtual packages (``__glibc``) and anything else
outside the lock are not nodes.

networkx is imported only inside the functions that need it: ``envsplit lock`` never comes here, and
``why``/``tree`` need it only for ``why --all`` (the cycles a chain could run into).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from .models import LockedPackage, dep_name

# Not a valid conda package name, so it cannot collide with one.
ROOT = "<requested>"

# Enough for any readable answer; the full set of simple paths in a 600-package graph can be astronomic.
MAX_CHAINS = 200
# Steps one ``why --all`` may take to list and count chains: real locks need a few thousand; a hostile
# one (a maze of cycles) gets an answer that says what it could not count, in about a second.
MAX_STEPS = 1_000_000


@dataclass(frozen=True)
class DepGraph:
    packages: Mapping[str, LockedPackage]
    deps: Mapping[str, tuple[str, ...]]  # name -> sorted names of its dependencies in this environment
    requested: tuple[str, ...]  # sorted; the roots the user asked for
    # Packages no requested one reaches (only with a lossy or hand-edited lock); their own top-level
    # packages hang from the root too, so every package is counted somewhere.
    extra_roots: tuple[str, ...] = ()
    from_specs: bool = True  # False: ``requested`` is the top-level guess for a lockfile without specs

    @property
    def roots(self) -> tuple[str, ...]:
        return tuple(sorted({*self.requested, *self.extra_roots}))

    def dependents(self) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {n: [] for n in self.packages}
        for name, deps in self.deps.items():
            for d in deps:
                out[d].append(name)
        return {n: tuple(sorted(v)) for n, v in out.items()}

    def label(self, name: str) -> str:
        p = self.packages[name]
        return f"{p.name} {p.version} {p.build}"


def _internal_deps(package: LockedPackage, names: Collection[str]) -> list[str]:
    # Sorted names of what ``package`` needs among ``names``; linear in its own dependencies (``names -
    # {own}`` would copy every name once per package).
    return sorted({n for n in map(dep_name, package.depends) if n in names} - {package.name})


def top_level(packages: Sequence[LockedPackage]) -> tuple[str, ...]:
    """The packages nothing else depends on, plus every member of a dependency cycle nothing outside needs.

    This is the best guess of "requested" for a lockfile whose specs are unknown. A cycle (python <-> pip)
    that nothing outside depends on contributes all its members, since no member is more "requested" than
    another.
    """
    names = {p.name for p in packages}
    deps = {p.name: _internal_deps(p, names) for p in packages}
    return _top_level_of(names, deps)


def _top_level_of(names: set[str], deps: Mapping[str, Sequence[str]]) -> tuple[str, ...]:
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from((n, d) for n in names for d in deps[n] if d in names)
    # Source components of the condensation: single packages without dependents, and cycles nothing
    # outside them needs.
    dag = nx.condensation(g)
    members = dag.graph["mapping"]
    sources = {c for c in dag.nodes if dag.in_degree(c) == 0}
    return tuple(sorted(n for n in names if members[n] in sources))


def reachable(
    deps: Mapping[str, Sequence[str]], starts: Iterable[str], removed: frozenset[str] = frozenset()
) -> set[str]:
    """Every name reachable from ``starts`` (included) without passing through ``removed``."""
    seen: set[str] = set()
    queue = deque(s for s in starts if s not in removed)
    while queue:
        name = queue.popleft()
        if name in seen:
            continue
        seen.add(name)
        queue.extend(d for d in deps.get(name, ()) if d not in seen and d not in removed)
    return seen


def build(packages: Sequence[LockedPackage], requested: Iterable[str] | None = None) -> DepGraph:
    """The graph of one environment; ``requested=None`` means "unknown": the top-level packages stand in."""
    by_name = {p.name: p for p in sorted(packages, key=lambda p: p.name)}
    deps = {n: tuple(_internal_deps(p, by_name.keys())) for n, p in by_name.items()}
    roots = tuple(sorted(set(requested) & by_name.keys())) if requested is not None else top_level(packages)
    seen = reachable(deps, roots)
    extra: tuple[str, ...] = ()
    if len(seen) < len(by_name):
        rest = set(by_name) - seen
        extra = _top_level_of(rest, {n: [d for d in deps[n] if d in rest] for n in rest})
    return DepGraph(by_name, deps, roots, extra, from_specs=requested is not None)


@dataclass(frozen=True)
class Weights:
    """Bytes per package, from the dominator tree of the graph hung from a virtual root.

    - ``dominated[n]``: the bytes that leave if package ``n`` itself disappeared (n and everything reachable
      only through n). Defined for every package.
    - ``exclusive[r]`` (requested ``r`` only): the bytes that leave if ``r`` is dropped from the specs. That is
      ``dominated[r]`` when nothing outside r's own subtree depends on r, else 0: a requested package that
      another one also needs stays.
    - ``closure[r]``: the bytes of everything r needs (r included); ``shared[r] = closure[r] - exclusive[r]``,
      what r needs that stays anyway.
    """

    dominated: Mapping[str, int]
    exclusive: Mapping[str, int]
    closure: Mapping[str, int]
    idom: Mapping[str, str]

    def shared(self, name: str) -> int:
        return self.closure[name] - self.exclusive[name]


def weights(graph: DepGraph, size: Mapping[str, int]) -> Weights:
    import networkx as nx

    g = nx.DiGraph()
    g.add_node(ROOT)
    g.add_nodes_from(graph.packages)
    g.add_edges_from((ROOT, r) for r in graph.roots)
    g.add_edges_from((n, d) for n, deps in graph.deps.items() for d in deps)
    idom = {n: d for n, d in nx.immediate_dominators(g, ROOT).items() if n != ROOT}
    children: dict[str, list[str]] = {}
    for node, parent in idom.items():
        children.setdefault(parent, []).append(node)
    dominated: dict[str, int] = {}
    # Iterative post-order: dominator trees of real environments are deep enough to worry recursion.
    stack: list[tuple[str, bool]] = [(ROOT, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            if node != ROOT:
                dominated[node] = size.get(node, 0) + sum(dominated[c] for c in children.get(node, ()))
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children.get(node, ()))
    dependents = graph.dependents()
    exclusive: dict[str, int] = {}
    closure: dict[str, int] = {}
    for r in graph.requested:
        # Removing the edge root -> r frees r's dominated set exactly when every other way into r goes
        # through r itself (a cycle such as python -> pip -> python); otherwise r stays and frees nothing.
        kept = any(not _dominates(idom, r, u) for u in dependents[r])
        exclusive[r] = 0 if kept else dominated[r]
        closure[r] = sum(size.get(n, 0) for n in reachable(graph.deps, [r]))
    return Weights(dominated, exclusive, closure, idom)


def _dominates(idom: Mapping[str, str], a: str, b: str) -> bool:
    node = b
    while node != ROOT:
        if node == a:
            return True
        node = idom[node]
    return False


def dominator_groups(graph: DepGraph, w: Weights) -> dict[str, list[str]]:
    """Root's children in the dominator tree, each with every package it dominates (itself first).

    This partitions the environment: every package belongs to exactly one group.
    """
    groups: dict[str, list[str]] = {}
    for name in sorted(graph.packages):
        top = name
        while w.idom[top] != ROOT:
            top = w.idom[top]
        groups.setdefault(top, []).append(name)
    for top, members in groups.items():
        members.remove(top)
        members.insert(0, top)
    return groups


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
