"""Solving: a small protocol so the pipeline does not depend on one solver library."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from envsplit.models import LockedPackage, VariantSpec

if TYPE_CHECKING:
    from envsplit.locking.cutoff import SolveCutoff


class Solver(Protocol):
    def solve(
        self,
        variant: VariantSpec,
        platform: str,
        pinned: Sequence[LockedPackage] = (),
        preferred: Sequence[LockedPackage] = (),
        cutoff: SolveCutoff | None = None,
    ) -> list[LockedPackage]:
        """Solve ``variant`` on ``platform``.

        ``cutoff``: records published after its instant are invisible, but for its exempt names.

        ``pinned`` packages must stay exactly as they are (a base image's contents); ``preferred`` ones are
        kept when the specs allow (the previous lock), so unrelated packages do not churn.
        Raises SolveError when the variant cannot be solved.
        """
        ...

    def unknown_names(self, variant: VariantSpec, platform: str) -> dict[str, list[str]]:
        """Requested names that no channel has on ``platform``, each with close matches (for typos)."""
        ...

    def close(self) -> None: ...


def rattler_solver(mirrors: dict[str, str], cache_dir: str, base_dir: str) -> Solver:
    from envsplit.locking.solver._rattler import RattlerSolver

    return RattlerSolver(mirrors=mirrors, cache_dir=cache_dir, base_dir=base_dir)
