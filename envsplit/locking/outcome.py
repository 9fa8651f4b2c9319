"""What a lock run reports: one result per (variant, platform), the files written, what to tell the user."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PairResult:
    variant: str
    platform: str
    status: str  # "locked", "unchanged", "stale", "failed"
    detail: str = ""


@dataclass(frozen=True)
class LockOutcome:
    results: tuple[PairResult, ...] = ()
    written: tuple[Path, ...] = ()  # locks, then Dockerfiles and the bake file
    rendered: tuple[Path, ...] = ()  # the Dockerfiles and bake file among them
    leftovers: tuple[Path, ...] = ()  # lock folders and Dockerfiles of variants no longer declared
    warnings: tuple[str, ...] = ()  # already told through the reporter
    # --check only: why the Dockerfiles are not what the locks render (refused or out of date)
    stale_dockerfiles: tuple[str, ...] = ()

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
