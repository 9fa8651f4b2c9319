"""The dependency graph and its weights, checked against brute force on real locks.

Brute force: drop a package (or a requested root), recompute what is still reachable from the requested
packages, and count what left. It shares no code with envsplit.graph but the lockfile reader.
"""

from __future__ import annotations

import itertools
import json
from collections import deque
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

import pytest
from conftest import CHANNELS, DATA, REPO

from envsplit.audit import graph
from envsplit.audit import why_chains as graph_paths
from envsplit.inputs.compose import compose
from envsplit.inputs.project import read_project
from envsplit.lockfile import conda_lock_yml
from envsplit.models import LockedPackage

SOURCES = DATA / "sources"


def pkg(name: str, *depends: str) -> LockedPackage:
    url = f"https://conda.anaconda.org/conda-forge/noarch/{name}-1.0-0.conda"
    return LockedPackage(
        name,
        "1.0",
        "0",
        "noarch",
        "https://conda.anaconda.org/conda-forge",
        url,
        "0" * 32,
        None,
        None,
        depends,
    )


@cache
def channel_sizes() -> dict[str, int]:
    """URL -> size, straight from the offline channel's repodata files."""
    out = {}
    for repodata in sorted(CHANNELS.glob("*/*/repodata.json")):
        channel, subdir = repodata.parent.parent.name, repodata.parent.name
        doc = json.loads(repodata.read_text())
        for key in ("packages", "packages.conda"):
            for file_name, record in doc.get(key, {}).items():
                out[f"https://conda.anaconda.org/{channel}/{subdir}/{file_name}"] = record["size"]
    return out


def edges(packages: Iterable[LockedPackage]) -> dict[str, set[str]]:
    names = {p.name for p in packages}
    return {p.name: {d.split()[0] for d in p.depends if d.split()[0] in names} - {p.name} for p in packages}


def reach(deps: Mapping[str, set[str]], starts: Iterable[str], without: str | None = None) -> set[str]:
    seen: set[str] = set()
    todo = deque(s for s in starts if s != without)
    while todo:
        n = todo.popleft()
        if n not in seen:
            seen.add(n)
            todo.extend(d for d in deps[n] if d != without)
    return seen


def check_against_brute_force(
    packages: list[LockedPackage], requested: Iterable[str] | None
) -> graph.Weights:
    sizes = channel_sizes()
    size = {p.name: sizes.get(p.url, 0) for p in packages}
    g = graph.build(packages, requested)
    assert not g.extra_roots, "a real lock has no package outside what its requested packages need"
    w = graph.weights(g, size)
    deps = edges(packages)
    roots = list(g.requested)
    everything = reach(deps, roots)
    assert everything == {p.name for p in packages}
    total = sum(size.values())

    def freed(kept: set[str]) -> int:
        return total - sum(size[n] for n in kept)

    for r in roots:
        assert w.exclusive[r] == freed(reach(deps, [x for x in roots if x != r])), r
        assert w.closure[r] == sum(size[n] for n in reach(deps, [r])), r
    for name in size:
        assert w.dominated[name] == freed(reach(deps, roots, without=name)), name
    return w


@cache
def rocker_locks() -> dict[str, dict[str, list[LockedPackage]]]:
    project = read_project(REPO)
    return {v: conda_lock_yml.read(REPO / "locks" / v / "conda-lock.yml") for v in project.variants}


@pytest.mark.parametrize("variant", ["cpu", "cuda", "cpu-spatial", "cuda-spatial"])
def test_rocker_weights_match_brute_force(variant: str) -> None:
    project = read_project(REPO)
    requested = {d.name for d in compose(project, variant).dependencies}
    for platform, packages in rocker_locks()[variant].items():
        w = check_against_brute_force(packages, requested)
        # The figures are not all trivially 0: the heaviest requested package frees something real.
        assert max(w.exclusive.values()) > 10_000_000, (variant, platform)


def test_rocker_cuda_pytorch_is_the_heavy_one() -> None:
    project = read_project(REPO)
    requested = {d.name for d in compose(project, "cuda").dependencies}
    packages = rocker_locks()["cuda"]["linux-64"]
    sizes = channel_sizes()
    w = graph.weights(graph.build(packages, requested), {p.name: sizes[p.url] for p in packages})
    ranked = sorted(w.exclusive, key=lambda n: -w.exclusive[n])
    assert ranked[:2] == ["pytorch", "cudf"]
    # python is requested but everything needs it: dropping it from the specs frees nothing.
    assert w.exclusive["python"] == 0
    assert w.shared("python") == w.closure["python"] > 0


@pytest.mark.parametrize(
    ("source", "platforms"),
    [
        ("py-rocket-base.conda-lock.yml", ["linux-64"]),
        ("pangeo-notebook.conda-lock.yml", ["linux-64", "linux-aarch64"]),
    ],
)
def test_published_lockfile_weights_match_brute_force(source: str, platforms: list[str]) -> None:
    locked = conda_lock_yml.read(SOURCES / source)
    for platform in platforms:
        packages = locked[platform]
        w = check_against_brute_force(packages, None)
        assert sum(w.exclusive.values()) > 0


def test_requested_package_needed_by_another_frees_nothing() -> None:
    packages = [pkg("app", "lib", "numpy"), pkg("numpy", "libblas"), pkg("libblas"), pkg("lib")]
    g = graph.build(packages, ["app", "numpy"])
    w = graph.weights(g, {"app": 1, "numpy": 10, "libblas": 100, "lib": 1000})
    assert w.exclusive == {"app": 1001, "numpy": 0}
    assert w.dominated["numpy"] == 110
    assert w.shared("numpy") == 110


def test_cycle_of_requested_and_dependency_is_freed_together() -> None:
    # conda-forge's python depends on pip, which depends on python.
    packages = [pkg("python", "pip", "libc"), pkg("pip", "python"), pkg("libc"), pkg("tool", "libc")]
    w = graph.weights(
        graph.build(packages, ["python", "tool"]), {"python": 5, "pip": 3, "libc": 7, "tool": 1}
    )
    assert w.exclusive == {"python": 8, "tool": 1}
    w = graph.weights(
        graph.build(packages, ["python", "pip", "tool"]), {"python": 5, "pip": 3, "libc": 7, "tool": 1}
    )
    assert w.exclusive == {"python": 0, "pip": 0, "tool": 1}


def test_top_level_takes_leaves_and_whole_source_cycles() -> None:
    packages = [
        pkg("a", "b"),
        pkg("b", "c"),
        pkg("c", "b"),
        pkg("x", "y"),
        pkg("y", "x"),
        pkg("z", "__glibc >=2.17"),
    ]
    assert graph.top_level(packages) == ("a", "x", "y", "z")


def test_unreached_packages_hang_from_the_root() -> None:
    packages = [pkg("app", "lib"), pkg("lib"), pkg("stray", "lib2"), pkg("lib2")]
    g = graph.build(packages, ["app"])
    assert g.extra_roots == ("stray",)
    w = graph.weights(g, {"app": 1, "lib": 2, "stray": 4, "lib2": 8})
    assert w.dominated["stray"] == 12 and w.exclusive == {"app": 3}


def test_dep_name_strips_specs_and_channels() -> None:
    assert graph.dep_name("libgdal-core >=3.12,<3.13") == "libgdal-core"
    assert graph.dep_name("conda-forge::numpy>=2") == "numpy"
    assert graph.dep_name("python_abi 3.12.* *_cp312") == "python_abi"
    assert graph.dep_name("Python") == "python"


def shortest_distance(deps: Mapping[str, set[str]], start: str, target: str, stop: set[str]) -> int | None:
    """Edges on the shortest path start -> target whose inner nodes are not in ``stop``."""
    dist = {start: 0}
    todo = deque([start])
    while todo:
        n = todo.popleft()
        if n == target:
            return dist[n]
        if n in stop and n != start:
            continue
        for d in deps[n]:
            if d not in dist:
                dist[d] = dist[n] + 1
                todo.append(d)
    return None


def test_why_gives_valid_shortest_chains_on_rocker() -> None:
    project = read_project(REPO)
    requested = {d.name for d in compose(project, "cpu-spatial").dependencies}
    packages = rocker_locks()["cpu-spatial"]["linux-64"]
    g = graph.build(packages, requested)
    deps = edges(packages)
    for target in ("proj", "libgdal-core", "python", "geopandas"):
        chains, truncated = graph_paths.why(g, target)
        assert not truncated
        starts = [c[0] for c in chains]
        assert len(starts) == len(set(starts)), "one chain per requested package"
        for chain in chains:
            assert chain[0] in requested and chain[-1] == target
            assert all(b in deps[a] for a, b in itertools.pairwise(chain))
            assert not set(chain[1:-1]) & requested
            assert len(chain) - 1 == shortest_distance(deps, chain[0], target, requested - {target})
        # Every requested package that reaches the target without passing another requested one is there.
        expected = {
            r for r in requested if shortest_distance(deps, r, target, requested - {target}) is not None
        }
        assert set(starts) == expected
        assert [len(c) for c in chains] == sorted(len(c) for c in chains)
    all_chains, _ = graph_paths.why(g, "proj", all_chains=True)
    shortest, _ = graph_paths.why(g, "proj")
    assert {tuple(c) for c in shortest} <= {tuple(c) for c in all_chains}
    assert len(all_chains) > len(shortest)
    assert len({tuple(c) for c in all_chains}) == len(all_chains)


def test_why_all_is_capped() -> None:
    # A ladder of diamonds: 2**12 distinct chains from the top to the bottom.
    packages = [pkg("top", "a0", "b0")]
    for i in range(12):
        nxt = [f"a{i + 1}", f"b{i + 1}"] if i < 11 else ["bottom"]
        packages += [pkg(f"a{i}", *nxt), pkg(f"b{i}", *nxt)]
    packages.append(pkg("bottom"))
    g = graph.build(packages, ["top"])
    chains, truncated = graph_paths.why(g, "bottom", all_chains=True)
    assert truncated and len(chains) == graph_paths.MAX_CHAINS


def test_tree_shows_every_package_and_respects_depth() -> None:
    project = read_project(REPO)
    requested = {d.name for d in compose(project, "cpu").dependencies}
    packages = rocker_locks()["cpu"]["linux-64"]
    g = graph.build(packages, requested)
    lines = list(graph_paths.tree(g))
    shown = {line.lstrip("│├└─ ").split(" ")[0] for line in lines}
    assert shown == {p.name for p in packages}
    assert sum(not line.startswith((" ", "│", "├", "└")) for line in lines) == len(g.requested)
    shallow = list(graph_paths.tree(g, depth=1))
    assert all(len(line) - len(line.lstrip("│├└─ ")) <= 8 for line in shallow)
    inverted = list(graph_paths.tree(g, invert="libblas"))
    assert inverted[0].startswith("libblas ")
    assert any("[requested]" in line for line in inverted)


def test_render_chains_merges_common_prefixes() -> None:
    packages = [pkg("app", "mid"), pkg("mid", "leaf", "other"), pkg("other", "leaf"), pkg("leaf")]
    g = graph.build(packages, ["app"])
    chains, _ = graph_paths.why(g, "leaf", all_chains=True)
    assert chains == [["app", "mid", "leaf"], ["app", "mid", "other", "leaf"]]
    assert list(graph_paths.render_chains(g, chains)) == [
        "app 1.0 0 [requested]",
        "└── mid 1.0 0",
        "    ├── leaf 1.0 0",
        "    └── other 1.0 0",
        "        └── leaf 1.0 0",
    ]


def test_every_source_lockfile_has_provenance() -> None:
    provenance = (SOURCES / "PROVENANCE.md").read_text()
    for path in sorted(Path(SOURCES).glob("*.conda-lock.yml")):
        assert path.name in provenance
