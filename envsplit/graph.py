"""The dependency graph of one locked environment (one lock, one platform), and what it says about weight.

Nodes are package names (a conda environment holds one package per name); an edge goes from a package
to each dependency that is in the same environment. Virtual packages (``__glibc``) and anything else
outside the lock are not nodes.

networkx is imported only inside the functions that need it: ``envsplit lock`` never comes here, and
``why``/``tree`` do not need it at all.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from .models import LockedPackage, dep_name

# Not a valid conda package name, so it cannot collide with one.
ROOT = "<requested>"

# Enough for any readable answer; the full set of simple paths in a 600-package graph can be astronomic.
MAX_CHAINS = 200


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


def top_level(packages: Sequence[LockedPackage]) -> tuple[str, ...]:
    """The packages nothing else depends on, plus every member of a dependency cycle nothing outside needs.

    This is the best guess of "requested" for a lockfile whose specs are unknown. A cycle (python <-> pip)
    that nothing outside depends on contributes all its members, since no member is more "requested" than
    another.
    """
    names = {p.name for p in packages}
    deps = {p.name: sorted({dep_name(d) for d in p.depends} & names - {p.name}) for p in packages}
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
    deps = {
        n: tuple(sorted({dep_name(d) for d in p.depends} & by_name.keys() - {n})) for n, p in by_name.items()
    }
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


def why(graph: DepGraph, target: str, all_chains: bool = False) -> tuple[list[list[str]], bool]:
    """Chains ``[requested, ..., target]`` that explain why ``target`` is in the environment.

    A chain stops at the first requested package met walking up from ``target``: a longer chain through
    that package adds nothing. By default one shortest chain per requested package; with ``all_chains``
    every simple chain, up to MAX_CHAINS. Sorted shortest first, then by names. The flag says whether the
    list was cut at MAX_CHAINS.
    """
    dependents = graph.dependents()
    roots = set(graph.roots)
    if not all_chains:
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
        return sorted(chains, key=lambda c: (len(c), c)), False
    chains = []
    truncated = False
    stack: list[list[str]] = [[target]]
    while stack:
        path = stack.pop()
        node = path[-1]
        if node in roots:
            chains.append(list(reversed(path)))
            if len(chains) >= MAX_CHAINS:
                truncated = bool(stack)
                break
            if node != target:
                continue
        stack.extend([*path, up] for up in reversed(dependents[node]) if up not in path)
    return sorted(chains, key=lambda c: (len(c), c)), truncated


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

    def walk(level: dict[str, dict], prefix: str) -> Iterator[str]:
        items = list(level.items())
        for i, (name, sub) in enumerate(items):
            last = i == len(items) - 1
            yield f"{prefix}{'└── ' if last else '├── '}{label(name, False)}"
            yield from walk(sub, prefix + ("    " if last else "│   "))

    for name, sub in trie.items():
        yield label(name, True)
        yield from walk(sub, "")


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

    def walk(name: str, prefix: str, level: int, path: frozenset[str]) -> Iterator[str]:
        children = [c for c in edges[name] if c not in path]
        if not children:
            return
        if depth is not None and level >= depth:
            yield f"{prefix}└── ..."
            return
        for i, child in enumerate(children):
            last = i == len(children) - 1
            branch, indent = ("└── ", "    ") if last else ("├── ", "│   ")
            if child in expanded and edges[child]:
                yield f"{prefix}{branch}{label(child)} (*)"
                continue
            yield f"{prefix}{branch}{label(child)}"
            if depth is None or level + 1 < depth:
                expanded.add(child)  # only a subtree shown in full may be abbreviated to (*) later
            yield from walk(child, prefix + indent, level + 1, path | {child})

    for top in tops:
        yield (
            label(top)
            if invert is not None
            else label(top) + ("" if top in requested else " [not requested]")
        )
        expanded.add(top)
        yield from walk(top, "", 0, frozenset([top]))
