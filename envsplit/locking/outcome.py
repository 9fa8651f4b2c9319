"""What a lock run reports: one result per (variant, platform), the files written, what to tell the user."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envsplit.locking.layering_cost import LayeringCost


@dataclass(frozen=True)
class PairResult:
    variant: str
    platform: str
    status: str  # "locked", "unchanged", "stale", "failed"
    detail: str = ""


@dataclass(frozen=True)
class Kept:
    """--prefer-from: how many packages of one solved (variant, platform) kept their published build."""

    variant: str
    platform: str
    kept: int
    total: int

    def message(self) -> str:
        return (
            f"{self.variant} {self.platform}: {self.kept} of {self.total} packages kept their published build"
        )


@dataclass(frozen=True)
class Layering:
    """What layering cost the extensions solved this run (see envsplit/locking/layering_cost.py)."""

    costs: tuple[LayeringCost, ...] = ()
    seconds: float = 0.0  # spent on the standalone solves that priced it

    def markdown(self) -> str:
        from envsplit.locking.layering_cost import layering_markdown

        return layering_markdown(self.costs)


@dataclass(frozen=True)
class LockOutcome:
    results: tuple[PairResult, ...] = ()
    written: tuple[Path, ...] = ()  # locks, then Dockerfiles and the bake file
    rendered: tuple[Path, ...] = ()  # the Dockerfiles and bake file among them
    leftovers: tuple[Path, ...] = ()  # lock folders and Dockerfiles of variants no longer declared
    warnings: tuple[str, ...] = ()  # already told through the reporter
    # --check only: why the Dockerfiles are not what the locks render (refused or out of date)
    stale_dockerfiles: tuple[str, ...] = ()
    layering: Layering = field(default_factory=Layering)  # costs warned of (failures with --strict-layering)
    preferred: tuple[Kept, ...] = ()  # --prefer-from: how many builds each solved pair kept

    @property
    def failed(self) -> list[PairResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def stale(self) -> list[PairResult]:
        return [r for r in self.results if r.status == "stale"]

    @property
    def solved(self) -> int:
        return sum(r.status == "locked" for r in self.results)

    @property
    def unchanged(self) -> int:
        return sum(r.status == "unchanged" for r in self.results)
