"""``envsplit refresh``: relock everything from scratch, re-render Dockerfiles, and describe the change.

This is what the scheduled CI job runs; its markdown becomes the body of the one refresh pull request.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from envsplit import lockfile
from envsplit.diff.compare import LockDiff, diff_locksets
from envsplit.diff.render import render_markdown
from envsplit.diff.sides import LockSet, RepodataSizes, read_side, requested_from_project
from envsplit.generated import regenerate_command
from envsplit.locking.outcome import LockOutcome
from envsplit.locking.plan import LockOptions
from envsplit.locking.run import Reporter, default_cache_dir, lock_project
from envsplit.models import Project


@dataclass(frozen=True)
class RefreshResult:
    report: LockOutcome
    diff: LockDiff
    markdown: str
    dockerfiles: list[Path]
    warnings: list[str]

    @property
    def changed(self) -> bool:
        return self.diff.changed or bool(self.dockerfiles)


def _side(project: Project, label: str) -> LockSet:
    if not any(project.output.glob(f"*/{lockfile.LOCK_NAME}")):
        return LockSet(label=label, locks={})
    return read_side(project.output, requested_from_project(project), label=label)


def refresh(
    project: Project, options: LockOptions, reporter: Reporter | None = None, sizes: bool = True
) -> RefreshResult:
    """Relock from scratch (``lock --update``), re-render dockerfiles/, diff old and new locks."""
    before = _side(project, "current locks")
    # Refuses bad input (a hand-edited Dockerfile too) before anything is solved or written.
    report = lock_project(project, replace(options, update=(), check=False), reporter)
    dockerfiles = list(report.rendered)
    warnings: list[str] = []  # the lock's own warnings already went through the reporter
    after = _side(project, "refreshed locks")
    lookup = None
    if sizes:
        lookup = RepodataSizes(
            mirrors={**project.mirrors, **options.mirrors},
            cache_dir=options.cache_dir or default_cache_dir(),
            base_dir=project.root,
            only_mirrored=False,
        )
    diff = diff_locksets(before, after, lookup)
    if lookup is not None:
        warnings += lookup.warnings
    markdown = render_markdown(
        diff, command=regenerate_command("refresh"), failed={(r.variant, r.platform) for r in report.failed}
    )
    return RefreshResult(report, diff, markdown, dockerfiles, warnings)
