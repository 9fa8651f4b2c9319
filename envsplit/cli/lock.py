"""``envsplit lock``."""

from __future__ import annotations

from pathlib import Path

import click

from envsplit.channels import parse_mirror_option
from envsplit.cli import cli
from envsplit.cli.options import (
    SafePath,
    cache_dir_option,
    exclude_newer_option,
    mirror_option,
    pypi_index_option,
    timeout_option,
)
from envsplit.cli.progress import CliReporter
from envsplit.errors import InputError
from envsplit.inputs.project import read_project
from envsplit.locking.outcome import LockOutcome
from envsplit.locking.plan import LockOptions
from envsplit.locking.run import lock_project


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
@pypi_index_option()
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
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    metavar="N",
    help="Solve N independent chains at once (a variant without a base and its extensions, on one "
    "platform). Default: one per chain, up to the number of CPUs. The locks are the same for any N.",
)
@exclude_newer_option()
@click.option(
    "--strict-layering",
    is_flag=True,
    help="Fail (exit 1, nothing written for it) an extension whose base costs it a requested package: "
    "older by a major or minor version, missing, or another build variant than its standalone solve "
    "(also 'strict-layering: true' in envsplit.yml). Without it, such costs are warnings.",
)
@click.option(
    "--prefer-from",
    type=SafePath(exists=True, path_type=Path),
    metavar="PATH",
    help="Start from published locks: keep the builds of PATH (a conda-lock.yml, an @EXPLICIT file, or a "
    "locks/ folder) where the specs allow, e.g. 'envsplit lock --prefer-from ../old/conda-lock.yml'.",
)
@click.pass_obj
def lock_command(
    obj: dict,
    variants: tuple[str, ...],
    platforms: tuple[str, ...],
    force: bool,
    check: bool,
    mirrors: tuple[str, ...],
    cache_dir: Path | None,
    pypi_index: str | None,
    no_dockerfiles: bool,
    update: bool,
    packages: tuple[str, ...],
    jobs: int | None,
    exclude_newer: str | None,
    strict_layering: bool,
    prefer_from: Path | None,
) -> None:
    """Solve every variant x platform whose inputs changed and write locks/.

    Each variant gets locks/<variant>/conda-lock.yml (conda-lock's unified
    format, all platforms) and conda-<platform>.lock (explicit, installable
    with conda, mamba or micromamba). A variant with a base also gets
    layer-<platform>.lock: only what it adds on top of its base, whose
    packages stay pinned exactly. A variant with pip entries also gets
    pip-<platform>.txt (and pip-layer-<platform>.txt for an extension),
    resolved with uv for the locked Python; what conda provides is not
    taken from PyPI.

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
        dockerfiles=not no_dockerfiles,
        jobs=jobs,
        pypi_index=pypi_index,
        exclude_newer=exclude_newer,
        strict_layering=strict_layering,
        prefer_from=prefer_from,
    )
    project = read_project(obj["project"])
    reporter = CliReporter(obj["verbosity"])
    try:
        outcome = lock_project(project, options, reporter)
    finally:
        reporter.stop()
    if check:
        _report_check(outcome, obj["verbosity"] < 0)
        return
    for kept in outcome.preferred:
        click.echo(kept.message())
    for r in outcome.failed:
        click.echo(f"FAILED {r.variant} {r.platform}:\n{r.detail}", err=True)
    click.echo(
        f"{outcome.solved} solved, {outcome.unchanged} unchanged, {len(outcome.failed)} failed; "
        f"{len(outcome.written)} file(s) written"
    )
    if outcome.failed:
        raise click.exceptions.Exit(1)


def _report_check(outcome: LockOutcome, quiet: bool) -> None:
    # Dockerfiles follow the locks; with stale locks they are redone anyway (the outcome lists them only then).
    stale = [f"{r.variant} {r.platform}: {r.detail}" for r in outcome.stale] + list(outcome.stale_dockerfiles)
    for line in stale:
        click.echo(f"stale: {line}")
    if stale:
        click.echo(f"{len(stale)} stale (listed above); run 'envsplit lock' to update them.")
        raise click.exceptions.Exit(1)
    if not quiet:
        click.echo(f"all {len(outcome.results)} locks are up to date")
