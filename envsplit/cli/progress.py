"""Progress for long runs: a rich progress bar on a terminal, plain lines with -v, silence otherwise."""

from __future__ import annotations

import sys
from typing import Any

import click

from envsplit.locking.outcome import PairResult


class CliReporter:
    def __init__(self, verbosity: int) -> None:
        self.verbosity = verbosity
        self._progress: Any = None
        self._task: Any = None

    def start(self, total: int) -> None:
        if self.verbosity >= 0 and sys.stderr.isatty() and total:
            from rich.progress import Progress

            self._progress = Progress(transient=True)
            self._progress.start()
            self._task = self._progress.add_task("locking", total=total)

    def begin(self, variant: str, platform: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=f"solving {variant} on {platform}")
        elif self.verbosity >= 1:
            click.echo(f"solving {variant} on {platform} ...", err=True)

    def done(self, result: PairResult) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)
        if self.verbosity >= 1:  # failures are told in full by the command itself
            detail = f": {result.detail}" if result.detail and result.status != "failed" else ""
            self._print(f"{result.variant:<20} {result.platform:<14} {result.status}{detail}")

    def warn(self, message: str) -> None:
        if self.verbosity >= 0:
            self._print(f"warning: {message}")

    def _print(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            click.echo(text, err=True)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
