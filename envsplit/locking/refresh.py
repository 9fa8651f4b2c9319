"""``envsplit refresh``: relock from scratch, re-render Dockerfiles, and describe the change.

This is what the scheduled CI job runs; its markdown becomes the body of the one refresh pull request.
A variant that cannot be solved keeps its old locks (and so do the extensions built on it) while every
other variant is written; with ``keep_going`` that is a *partial* refresh (exit 5), not a failure (exit 1).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from envsplit import lockfile
from envsplit.diff.compare import LockDiff, diff_locksets
from envsplit.diff.policy import PolicyHit, evaluate
from envsplit.diff.render import MAX_MARKDOWN, render_markdown
from envsplit.diff.sections import Failure
from envsplit.diff.sides import LockSet, RepodataSizes, read_side, requested_from_project
from envsplit.errors import EXIT_CHANGED, EXIT_FAILED, EXIT_PARTIAL, EXIT_POLICY, InputError
from envsplit.generated import regenerate_command
from envsplit.inputs.compose import base_chain, variant_order
from envsplit.locking.outcome import LockOutcome
from envsplit.locking.plan import LockOptions
from envsplit.locking.run import Reporter, default_cache_dir, lock_project
from envsplit.locking.solver import Solver
from envsplit.models import Project


@dataclass(frozen=True)
class RefreshResult:
    report: LockOutcome
    diff: LockDiff
    markdown: str
    dockerfiles: list[Path]
    warnings: list[str]
    failures: tuple[Failure, ...] = ()
    policy: tuple[PolicyHit, ...] = ()  # changes that the project's refresh.fail-on refuses
    variants: tuple[str, ...] = ()  # the variants relocked, base first

    @property
    def changed(self) -> bool:
        return self.diff.changed or bool(self.dockerfiles)

    @property
    def relocked_any(self) -> bool:
        """Whether at least one (variant, platform) came through (relocked, or found up to date)."""
        return any(r.status != "failed" for r in self.report.results)


def exit_status(result: RefreshResult, keep_going: bool, exit_code: bool) -> int:
    """The exit code, by precedence: 1 failed > 5 partial > 6 policy > 3 changed (with --exit-code) > 0.

    A failed variant is exit 1 without ``keep_going`` (as before there was a choice), and with it when
    nothing at all came through; otherwise 5. The PR body and stderr list every reason that applies,
    whichever code wins.
    """
    if result.failures and (not keep_going or not result.relocked_any):
        return EXIT_FAILED
    if result.failures:
        return EXIT_PARTIAL
    if result.policy:
        return EXIT_POLICY
    if exit_code and result.changed:
        return EXIT_CHANGED
    return 0


def family(project: Project, names: Sequence[str]) -> tuple[str, ...]:
    """The variants ``--variant NAME`` relocks: NAME's whole family, base first.

    A relock from scratch moves a base, and an extension is locked on its base's lock: relocking only an
    extension would relock its base too, and relocking a base leaves every extension of it stale. So a
    family (a root variant and everything built on it, at any depth) is relocked as one; unrelated
    families keep their locks untouched.
    """
    for name in names:
        if name not in project.variants:
            close = difflib.get_close_matches(name, list(project.variants), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise InputError(
                f"--variant {name}: no such variant in {project.config.name}; {hint}"
                f"declared: {', '.join(project.variants)}"
            )
    roots = {([n, *base_chain(project, n)])[-1] for n in names}
    return tuple(n for n in variant_order(project) if ([n, *base_chain(project, n)])[-1] in roots)


def _side(project: Project, label: str, only: Sequence[str]) -> LockSet:
    if not any(project.output.glob(f"*/{lockfile.LOCK_NAME}")):
        return LockSet(label=label, locks={})
    side = read_side(project.output, requested_from_project(project), label=label)
    if not only:
        return side
    return replace(side, locks={k: v for k, v in side.locks.items() if k in only})


def _failures(project: Project, report: LockOutcome) -> tuple[Failure, ...]:
    failed = {r.variant for r in report.failed}
    out = []
    for r in report.failed:
        config = project.variants.get(r.variant)
        base = config.base if config is not None else None
        out.append(Failure(r.variant, r.platform, r.detail, base if base in failed else None))
    return tuple(out)


def refresh(
    project: Project,
    options: LockOptions,
    reporter: Reporter | None = None,
    sizes: bool = True,
    variants: Sequence[str] = (),
    fed: Sequence[PolicyHit] = (),
    solver_factory: Callable[[], Solver] | None = None,
) -> RefreshResult:
    """Relock from scratch (``lock --update``), re-render dockerfiles/, diff old and new locks.

    ``variants``: relock only these variants' families (see :func:`family`); the description covers
    only them. ``fed``: findings of other steps for the ``refresh.fail-on`` policy (diff.policy).
    """
    only = family(project, variants) if variants else ()
    before = _side(project, "current locks", only)
    # Refuses bad input (a hand-edited Dockerfile too) before anything is solved or written.
    report = lock_project(
        project, replace(options, update=(), check=False, variants=only), reporter, solver_factory
    )
    dockerfiles = list(report.rendered)
    warnings: list[str] = []  # the lock's own warnings already went through the reporter
    after = _side(project, "refreshed locks", only)
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
    failures = _failures(project, report)
    layered = [
        PolicyHit("layering-downgrade", c.variant, c.platform, c.message()) for c in report.layering.costs
    ]
    policy = tuple(evaluate(diff, project.refresh_fail_on, [*fed, *layered]))
    command = regenerate_command("refresh")
    # What layering cost goes after the lock changes; the changes shrink to leave it room.
    layering = report.layering.markdown()
    budget = MAX_MARKDOWN - len(layering) - 1
    markdown = render_markdown(diff, command=command, max_chars=budget, failures=failures, policy=policy)
    if layering:
        markdown = f"{markdown.rstrip()}\n\n{layering}"
    return RefreshResult(report, diff, markdown, dockerfiles, warnings, failures, policy, only)
