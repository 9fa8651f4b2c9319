"""The dependency graph of one locked environment (one lock, one platform), and what it says about weight.

Nodes are package names (a conda environment holds one package per name); an edge goes from a package
to each dependency that is in the same environment. Virtual packages (``__glibc``) and anything else
outside the lock are not nodes.

networkx is imported only inside the functions that need it: ``envsplit lock`` never comes here. The
answers of ``why`` and ``tree`` are in ``graph_paths``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from envsplit.models import LockedPackage, dep_name

# Not a valid conda package name, so it cannot collide with one.
ROOT = "<requested>"


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
        return f"{p.name} {p.version} (pip)" if p.is_pip else f"{p.name} {p.version} {p.build}"

    @property
    def pip(self) -> tuple[str, ...]:
        """The pip packages, sorted: roots, since the lock records no dependencies between them."""
        return tuple(n for n, p in self.packages.items() if p.is_pip)


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
    """The graph of one environment; ``requested=None`` means "unknown": the top-level packages stand in.

    pip packages count as requested either way: the lock records no edges from or to them, so each stands
    at the top, weighing its own size.
    """
    by_name = {p.name: p for p in sorted(packages, key=lambda p: p.name)}
    deps = {n: tuple(_internal_deps(p, by_name.keys())) for n, p in by_name.items()}
    if requested is None:
        roots = top_level(packages)
    else:
        pip = {n for n, p in by_name.items() if p.is_pip}
        roots = tuple(sorted((set(requested) | pip) & by_name.keys()))
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
