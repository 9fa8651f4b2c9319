"""``envsplit lock``."""

from __future__ import annotations

from pathlib import Path

import click

from .._yaml import display_path
from ..channels import parse_mirror_option
from ..errors import InputError
from ..fsutil import check_inside
from ..models import Project
from ..pipeline import LockReport, lock
from ..plan import LockOptions, leftovers, lock_paths, select
from ..render import refused_dockerfiles, stale_dockerfiles, write_dockerfiles
from ..sources import read_project
from . import cli
from .options import cache_dir_option, mirror_option, timeout_option
from .progress import CliReporter


@cli.command("lock")
@click.option(
    "--variant",
    "variants",
    multiple=True,
    metavar="NAME",
    help="Only this variant (and its bases). Repeatable.",
)
@click.option(
    "--platform", "platforms", multiple=True, metavar="PLATFORM", help="Only this platform. Repeatable."
)
@click.option("--force", is_flag=True, help="Solve again even where the inputs did not change.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 and list the stale locks if any.")
@mirror_option("; locks keep the canonical URLs")
@cache_dir_option()
@timeout_option()
@click.option(
    "--update",
    "update",
    is_flag=True,
    help="Move packages to the newest versions the specs allow: the PKG arguments only (and what they "
    "force), or with no PKG every package, relocking from scratch.",
)
@click.argument("packages", nargs=-1, metavar="[PKG]...")
@click.option("--no-dockerfiles", is_flag=True, help="Do not re-render dockerfiles/ after locking.")
@click.pass_obj
def lock_command(
    obj: dict,
    variants: tuple[str, ...],
    platforms: tuple[str, ...],
    force: bool,
    check: bool,
    mirrors: tuple[str, ...],
    cache_dir: Path | None,
    no_dockerfiles: bool,
    update: bool,
    packages: tuple[str, ...],
) -> None:
    """Solve every variant x platform whose inputs changed and write locks/.

    Each variant gets locks/<variant>/conda-lock.yml (conda-lock's unified
    format, all platforms) and conda-<platform>.lock (explicit, installable
    with conda, mamba or micromamba). A variant with a base also gets
    layer-<platform>.lock: only what it adds on top of its base, whose
    packages stay pinned exactly.

    Unchanged inputs mean no solve and no write. Otherwise the solve keeps
    each package at its locked build where the specs allow, so an unrelated
    change does not churn the rest; --update PKG... moves just those. A variant that cannot be
    solved is reported with the solver's explanation; the others are still
    locked, and the exit code is 1.
    """
    if packages and not update:
        raise InputError(
            f"unexpected argument(s) {' '.join(packages)}; did you mean 'lock --update {' '.join(packages)}'?"
        )
    options = LockOptions(
        update=tuple(p.lower() for p in packages) if update else None,
        variants=variants,
        platforms=platforms,
        force=force,
        check=check,
        mirrors=dict(parse_mirror_option(m) for m in mirrors),
        cache_dir=cache_dir,
    )
    project = read_project(obj["project"])
    plan = select(project, options)  # bad input in the variants is reported before anything about Dockerfiles
    refused = [] if no_dockerfiles else refused_dockerfiles(project)
    if refused and not check:
        # Refuse before solving: otherwise the locks would be written and the Dockerfiles left behind.
        raise InputError(refused[0])
    if not check:
        docker = project.root / project.docker.output
        names = [] if no_dockerfiles else [*(f"Dockerfile.{v}" for v in project.variants), "docker-bake.hcl"]
        check_inside([*lock_paths(project, plan), *(docker / n for n in names)], project.root)
    reporter = CliReporter(obj["verbosity"])
    try:
        report = lock(project, options, reporter)
    finally:
        reporter.stop()
    if check:
        _report_check(project, report, refused, no_dockerfiles or bool(variants), obj["verbosity"] < 0)
        return
    for r in report.failed:
        click.echo(f"FAILED {r.variant} {r.platform}:\n{r.detail}", err=True)
    failed = {r.variant for r in report.failed}
    locked = tuple(sorted({r.variant for r in report.results} - failed))
    # An empty selection means "every variant" to write_dockerfiles; here it means nothing was locked.
    if not no_dockerfiles and locked:
        written, skipped = write_dockerfiles(project, locked, skip_unlocked=True)
        report.written.extend(written)
        for name in skipped:
            reporter.warn(f"Dockerfile.{name} not rendered: not every platform of {name!r} is locked yet")
    for leftover in leftovers(project):
        reporter.warn(f"{display_path(leftover)} belongs to no variant of {project.config.name}; delete it")
    unchanged = sum(r.status == "unchanged" for r in report.results)
    click.echo(
        f"{report.solved} solved, {unchanged} unchanged, {len(report.failed)} failed; "
        f"{len(report.written)} file(s) written"
    )
    if report.failed:
        raise click.exceptions.Exit(1)


def _report_check(
    project: Project, report: LockReport, refused: list[str], skip_dockerfiles: bool, quiet: bool
) -> None:
    stale = [f"{r.variant} {r.platform}: {r.detail}" for r in report.stale]
    # Dockerfiles follow the locks; with stale locks they are redone anyway.
    if not skip_dockerfiles and not stale:
        stale += refused
        if not refused:
            stale += [
                f"{display_path(p)}: not rendered from the current locks" for p in stale_dockerfiles(project)
            ]
    for line in stale:
        click.echo(f"stale: {line}")
    if stale:
        click.echo(f"{len(stale)} stale (listed above); run 'envsplit lock' to update them.")
        raise click.exceptions.Exit(1)
    if not quiet:
        click.echo(f"all {len(report.results)} locks are up to date")
