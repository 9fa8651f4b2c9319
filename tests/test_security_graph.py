"""``why`` and ``tree`` on hostile locks: lattices with an astronomic number of chains, cycles that turn a
chain search into a maze of dead ends, and a chain 2,500 packages deep.

Each command runs in a subprocess with a timeout, so a regression to exponential time fails the test
instead of hanging the suite: the inputs are sized so that the old algorithms would never finish (the
maze of 40 has about 10**8 dead-end paths) or hit Python's recursion limit.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from test_graph import pkg

from envsplit.audit import graph
from envsplit.audit import why_chains as graph_paths

TIMEOUT = 60
DEEP = 2500  # well past Python's recursion limit (1000); reading a 5,000-package lock alone takes seconds
BRANCH = re.compile(r"^[│ ]*(?:├── |└── )?")


def lock_yml(deps: Mapping[str, Sequence[str]]) -> str:
    """A conda-lock.yml (v1) for linux-64 holding one noarch package per key, depending on its values."""
    packages = [
        {
            "name": name,
            "version": "1.0",
            "manager": "conda",
            "platform": "linux-64",
            "dependencies": {d: "*" for d in depends},
            "url": f"https://conda.anaconda.org/conda-forge/noarch/{name}-1.0-0.conda",
            "hash": {"md5": "0" * 32, "sha256": "0" * 64},
            "category": "main",
            "optional": False,
        }
        for name, depends in deps.items()
    ]
    doc = {
        "version": 1,
        "metadata": {
            "content_hash": {"linux-64": "0" * 64},
            "channels": [{"url": "conda-forge", "used_env_vars": []}],
            "platforms": ["linux-64"],
            "sources": ["environment.yml"],
        },
        "package": packages,
    }
    return json.dumps(doc)  # JSON is YAML


def lattice(n: int) -> dict[str, list[str]]:
    """p00 -> p01, p02; p01 -> p02, p03; ...: the chains from p00 to the last are Fibonacci-many."""
    names = [f"p{i:02d}" for i in range(n)]
    return {name: names[i + 1 : i + 3] for i, name in enumerate(names)}


def maze(n: int) -> dict[str, list[str]]:
    """app -> hub -> m00, a lattice of m00..m{n-1} whose last two lead back to hub: one strongly connected
    component entered only through hub. Walking up from hub, every path into the m's is a dead end."""
    names = [f"m{i:02d}" for i in range(n)]
    deps = {"app": ["hub"], "hub": [names[0]]}
    deps |= {name: names[i + 1 : i + 3] for i, name in enumerate(names)}
    deps[names[-1]].append("hub")
    deps[names[-2]].append("hub")
    return deps


def chain(n: int) -> dict[str, list[str]]:
    names = [f"c{i:04d}" for i in range(n)]
    return {name: names[i + 1 : i + 2] for i, name in enumerate(names)}


def envsplit(tmp_path: Path, deps: Mapping[str, Sequence[str]], *args: str) -> list[str]:
    """stdout lines of ``envsplit ARGS --variant hostile.conda-lock.yml``, which must exit 0 in time."""
    lock = tmp_path / "hostile.conda-lock.yml"
    if not lock.exists():
        lock.write_text(lock_yml(deps))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "envsplit", *args, "--variant", lock.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"envsplit {' '.join(args)} did not finish within {TIMEOUT} s")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stderr == ""
    return proc.stdout.splitlines()


def names(lines: Sequence[str]) -> list[str]:
    return [BRANCH.sub("", line).split(" ")[0] for line in lines]


def test_why_all_in_a_maze_of_cycles_lists_the_one_chain(tmp_path: Path) -> None:
    lines = envsplit(tmp_path, maze(40), "why", "hub", "--all")
    assert lines == [
        "hostile.conda-lock.yml (linux-64): hub 1.0 0 is needed by 1 top-level package(s)",
        "app 1.0 0 [top level]",
        "└── hub 1.0 0",
    ]


def test_why_all_inside_a_maze_is_bounded_and_says_what_it_left_out(tmp_path: Path) -> None:
    deps = maze(40)
    lines = envsplit(tmp_path, deps, "why", "m20", "--all")
    assert lines[0] == "hostile.conda-lock.yml (linux-64): m20 1.0 0 is needed by 1 top-level package(s)"
    assert lines[1] == "app 1.0 0 [top level]"
    assert sum(line.endswith("m20 1.0 0") for line in lines) == graph_paths.MAX_CHAINS
    assert lines[-1] == "... more chains left out (too many to count)"
    # Every printed line is a step down a dependency edge from the line it hangs from.
    shown = lines[1:-1]
    depth = [len(line) - len(BRANCH.sub("", line)) for line in shown]
    for i in range(1, len(shown)):
        parent = max(j for j in range(i) if depth[j] < depth[i])
        assert names(shown[i : i + 1])[0] in deps[names(shown[parent : parent + 1])[0]]


def test_why_all_on_a_lattice_counts_what_it_left_out(tmp_path: Path) -> None:
    lines = envsplit(tmp_path, lattice(40), "why", "p39", "--all")
    assert sum(line.endswith("p39 1.0 0") for line in lines) == graph_paths.MAX_CHAINS
    # Chains p00 -> p39 by steps of one or two: Fibonacci(40) = 102,334,155.
    assert lines[-1] == f"... {102_334_155 - graph_paths.MAX_CHAINS:,} more chains left out"


def test_why_on_a_lattice_gives_a_shortest_chain(tmp_path: Path) -> None:
    lines = envsplit(tmp_path, lattice(40), "why", "p39")
    assert lines[0] == (
        "hostile.conda-lock.yml (linux-64): p39 1.0 0 is needed by 1 top-level package(s); "
        "shortest chain each (--all for every chain)"
    )
    steps = [int(n[1:]) for n in names(lines[1:])]
    assert steps[0] == 0 and steps[-1] == 39 and len(steps) == 21
    assert all(b - a in (1, 2) for a, b in itertools.pairwise(steps))


def test_why_and_tree_on_a_deep_chain(tmp_path: Path) -> None:
    deps = chain(DEEP)
    order = list(deps)
    last, indent = order[-1], " " * 4 * (DEEP - 2)
    head = f"hostile.conda-lock.yml (linux-64): {last} 1.0 0 is needed by 1 top-level package(s)"
    why = envsplit(tmp_path, deps, "why", last, "--all")
    assert why[0] == head
    assert names(why[1:]) == order
    assert why[-1] == f"{indent}└── {last} 1.0 0"
    assert envsplit(tmp_path, deps, "why", last)[1:] == why[1:]
    tree = envsplit(tmp_path, deps, "tree")
    assert tree[:2] == ["# hostile.conda-lock.yml (linux-64)", "c0000 1.0 0"]
    assert names(tree[1:]) == order
    assert tree[-1] == why[-1]
    inverted = envsplit(tmp_path, deps, "tree", "--invert", last)
    assert names(inverted[1:]) == order[::-1]
    assert inverted[-1] == f"{indent}└── c0000 1.0 0 [top level]"


def test_tree_of_a_maze_shows_each_package_once_in_full(tmp_path: Path) -> None:
    deps = maze(40)
    lines = envsplit(tmp_path, deps, "tree")
    full = [n for n, line in zip(names(lines[1:]), lines[1:], strict=True) if not line.endswith("(*)")]
    assert sorted(full) == sorted(deps)
    inverted = envsplit(tmp_path, deps, "tree", "--invert", "m39")
    assert inverted[1] == "m39 1.0 0"
    assert "app" in names(inverted[2:])


def test_library_answers_match_on_small_cycles() -> None:
    # python <-> pip as in real locks: the chains through the cycle are all there, and only simple ones.
    packages = [
        pkg("app", "python", "pip"),
        pkg("python", "pip", "openssl"),
        pkg("pip", "python"),
        pkg("openssl"),
    ]
    g = graph.build(packages, ["app"])
    chains, truncated = graph_paths.why(g, "openssl", all_chains=True)
    assert chains == [["app", "python", "openssl"], ["app", "pip", "python", "openssl"]]
    assert not truncated
    found = graph_paths.find_chains(g, "openssl", all_chains=True)
    assert (found.left_out, found.counted) == (0, True)


def brute_force_chains(g: graph.DepGraph, target: str) -> set[tuple[str, ...]]:
    """Every simple chain, by the plain walk ``why --all`` used to do (exponential; small graphs only)."""
    dependents = g.dependents()
    roots = set(g.roots)
    out = set()
    stack = [[target]]
    while stack:
        path = stack.pop()
        if path[-1] in roots:
            out.add(tuple(reversed(path)))
            if path[-1] != target:
                continue
        stack.extend([*path, up] for up in dependents[path[-1]] if up not in path)
    return out


@pytest.mark.parametrize("seed", range(40))
def test_chains_and_their_count_match_brute_force_on_random_cyclic_graphs(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    names = [f"n{i}" for i in range(10)]
    packages = [pkg(n, *rng.sample([m for m in names if m != n], rng.randint(0, 3))) for n in names]
    g = graph.build(packages, rng.sample(names, 2))
    monkeypatch.setattr(graph_paths, "MAX_CHAINS", 3)
    for target in names:
        expected = brute_force_chains(g, target)
        found = graph_paths.find_chains(g, target, all_chains=True)
        assert found.counted and not found.cut
        assert {tuple(c) for c in found.chains} <= expected
        assert len(found.chains) == min(3, len(expected))
        assert len(found.chains) + found.left_out == len(expected)


def test_a_listing_out_of_steps_keeps_the_shortest_chains(monkeypatch: pytest.MonkeyPatch) -> None:
    g = graph.build([pkg(n, *d) for n, d in maze(12).items()], None)
    monkeypatch.setattr(graph_paths, "MAX_STEPS", 30)
    found = graph_paths.find_chains(g, "m06", all_chains=True)
    assert found.cut and not found.counted
    assert graph_paths.find_chains(g, "m06").chains[0] in found.chains
