"""``envsplit lock``."""

from __future__ import annotations

from pathlib import Path

import click

from .._yaml import display_path
from ..channels import parse_mirror_option
from ..errors import InputError
from ..pipeline import LockOptions, lock
from ..render import stale_dockerfiles, write_dockerfiles
from ..sources import read_project
from . import cli
from .options import cache_dir_option, mirror_option
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
    reporter = CliReporter(obj["verbosity"])
    try:
        report = lock(project, options, reporter)
    finally:
        reporter.stop()
    quiet = obj["verbosity"] < 0
    if check:
        for r in report.stale:
            click.echo(f"stale: {r.variant} {r.platform}: {r.detail}")
        # Dockerfiles follow the locks; with stale locks they are redone anyway.
        docker_stale = [] if no_dockerfiles or report.stale or variants else stale_dockerfiles(project)
        for path in docker_stale:
            click.echo(f"stale: {display_path(path)}: not rendered from the current locks")
        if report.stale or docker_stale:
            click.echo(
                f"{len(report.stale) + len(docker_stale)} stale file(s); run 'envsplit lock' to update them."
            )
            raise click.exceptions.Exit(1)
        if not quiet:
            click.echo(f"all {len(report.results)} locks are up to date")
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
    unchanged = sum(r.status == "unchanged" for r in report.results)
    if not quiet or report.failed:
        click.echo(
            f"{report.solved} solved, {unchanged} unchanged, {len(report.failed)} failed; "
            f"{len(report.written)} file(s) written"
        )
    if report.failed:
        raise click.exceptions.Exit(1)
