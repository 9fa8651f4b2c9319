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
GROUP = "<dropped>"  # the virtual parent of a dropped group's roots


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


def _dominator_tree(graph: DepGraph, drop: Collection[str] = ()) -> dict[str, str]:
    """Immediate dominators of the graph hung from ROOT; with ``drop``, the dropped roots hang from one
    virtual node under ROOT instead, so that node dominates exactly what dropping them all would free."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_node(ROOT)
    g.add_nodes_from(graph.packages)
    if drop:
        g.add_edge(ROOT, GROUP)
        g.add_edges_from((GROUP, r) for r in drop)
    g.add_edges_from((ROOT, r) for r in graph.roots if r not in drop)
    g.add_edges_from((n, d) for n, deps in graph.deps.items() for d in deps)
    return {n: d for n, d in nx.immediate_dominators(g, ROOT).items() if n != ROOT}


@dataclass(frozen=True)
class _Tree:
    """A dominator tree with pre/post numbers: "a dominates b" in O(1), subtree sums in one pass."""

    children: Mapping[str, Sequence[str]]
    order: Sequence[str]  # pre-order from ROOT
    enter: Mapping[str, int]
    leave: Mapping[str, int]

    def dominates(self, a: str, b: str) -> bool:
        return self.enter[a] <= self.enter[b] and self.leave[b] <= self.leave[a]

    def subtree_sums(self, size: Mapping[str, int]) -> dict[str, int]:
        out: dict[str, int] = {}
        for node in reversed(self.order):  # children before parents
            out[node] = size.get(node, 0) + sum(out[c] for c in self.children.get(node, ()))
        return out

    def subtree(self, top: str) -> list[str]:
        return list(self.order[self.enter[top] : self.leave[top]])


def _tree(idom: Mapping[str, str]) -> _Tree:
    children: dict[str, list[str]] = {}
    for node, parent in sorted(idom.items()):
        children.setdefault(parent, []).append(node)
    order: list[str] = []
    enter: dict[str, int] = {}
    leave: dict[str, int] = {}
    # Iterative: dominator trees of real (and hostile) environments are deep enough to worry recursion.
    stack: list[tuple[str, bool]] = [(ROOT, False)]
    while stack:
        node, done = stack.pop()
        if done:
            leave[node] = len(order)
            continue
        enter[node] = len(order)
        order.append(node)
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(children.get(node, ())))
    return _Tree(children, order, enter, leave)


def weights(graph: DepGraph, size: Mapping[str, int]) -> Weights:
    idom = _dominator_tree(graph)
    tree = _tree(idom)
    sums = tree.subtree_sums(size)
    dominated = {n: sums[n] for n in graph.packages}
    dependents = graph.dependents()
    exclusive: dict[str, int] = {}
    closure: dict[str, int] = {}
    for r in graph.requested:
        # Removing the edge root -> r frees r's dominated set exactly when every other way into r goes
        # through r itself (a cycle such as python -> pip -> python); otherwise r stays and frees nothing.
        kept = any(not tree.dominates(r, u) for u in dependents[r])
        exclusive[r] = 0 if kept else dominated[r]
        # Linear per requested package: the sizes of all closures cannot be summed faster in general.
        closure[r] = sum(size.get(n, 0) for n in reachable(graph.deps, [r]))
    return Weights(dominated, exclusive, closure, idom)


def exclusive_sets(graph: DepGraph, w: Weights) -> dict[str, list[str]]:
    """Requested name -> the packages that leave if it alone is dropped (sorted; empty when it stays)."""
    tree = _tree(w.idom)
    dependents = graph.dependents()
    out: dict[str, list[str]] = {}
    for r in graph.requested:
        kept = any(not tree.dominates(r, u) for u in dependents[r])
        out[r] = [] if kept else sorted(tree.subtree(r))
    return out


def group_leaves(graph: DepGraph, drop: Collection[str]) -> list[str]:
    """The packages that leave if every requested package in ``drop`` is dropped from the specs at once,
    sorted: what only the dropped ones need, the dropped ones included unless a kept package needs them.

    One dominator tree with the dropped roots under a virtual node: near-linear, like the per-package
    exclusive weights, and the same notion generalised to a set.
    """
    roots = [r for r in drop if r in graph.roots]
    if not roots:
        return []
    tree = _tree(_dominator_tree(graph, roots))
    return sorted(n for n in tree.subtree(GROUP) if n != GROUP)


def dominator_groups(graph: DepGraph, w: Weights) -> dict[str, list[str]]:
    """Root's children in the dominator tree, each with every package it dominates (itself first).

    This partitions the environment: every package belongs to exactly one group. Linear: one pre-order
    walk of the tree, each subtree read as a slice.
    """
    tree = _tree(w.idom)
    groups: dict[str, list[str]] = {}
    for top in sorted(tree.children.get(ROOT, ())):
        members = sorted(n for n in tree.subtree(top) if n != top)
        groups[top] = [top, *members]
    return dict(sorted(groups.items(), key=lambda kv: kv[0]))
