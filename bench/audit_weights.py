"""Audit weights on hostile chains: is the dominator arithmetic near-linear?

Builds a chain c0 -> c1 -> ... of N packages (one top-level package) and times, for N and 2N, what the
audit runs per environment: ``weights`` (dominator tree, exclusive weights), ``dominator_groups`` (the
treemap's partition), ``exclusive_sets`` (the candidates) and ``group_leaves`` (one --drop what-if).
Prints the seconds and the ratio 2N/N: about 2 is linear, about 4 quadratic.

    python bench/audit_weights.py            # N = 5000
    python bench/audit_weights.py 20000
"""

from __future__ import annotations

import sys
import time

from envsplit.audit import graph
from envsplit.models import LockedPackage


def chain(n: int) -> list[LockedPackage]:
    return [
        LockedPackage(
            f"c{i:06d}",
            "1.0",
            "0",
            "linux-64",
            "c",
            f"https://x/c{i}.conda",
            "0" * 32,
            None,
            1,
            (f"c{i + 1:06d}",) if i + 1 < n else (),
        )
        for i in range(n)
    ]


def run(n: int) -> float:
    packages = chain(n)
    start = time.perf_counter()
    g = graph.build(packages, ["c000000"])
    w = graph.weights(g, {p.name: 1 for p in packages})
    graph.dominator_groups(g, w)
    graph.exclusive_sets(g, w)
    graph.group_leaves(g, ["c000000"])
    return time.perf_counter() - start


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    run(200)  # warm-up: imports networkx
    small, big = min(run(n) for _ in range(3)), min(run(2 * n) for _ in range(3))
    print(
        f"N={n}: {small:.3f} s   2N={2 * n}: {big:.3f} s   ratio {big / small:.2f} (2 = linear, 4 = quadratic)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
