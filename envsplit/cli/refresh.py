"""``envsplit refresh``."""

from __future__ import annotations

from pathlib import Path

import click

from envsplit.channels import parse_mirror_option
from envsplit.cli import cli
from envsplit.cli.options import (
    cache_dir_option,
    exclude_newer_option,
    mirror_option,
    output_option,
    pypi_index_option,
    timeout_option,
)
from envsplit.cli.progress import CliReporter
from envsplit.errors import EXIT_FAILED, InputError
from envsplit.generated import write
from envsplit.inputs.project import read_project
from envsplit.locking.plan import LockOptions


@cli.command("refresh")
@output_option(
    "--output-markdown",
    help="Write the pull-request body (a readable diff with size deltas) here",
    none_is_stdout=False,
)
@click.option("--exit-code", is_flag=True, help="Exit 3 when anything changed (for scripts); default is 0.")
@click.option(
    "--keep-going",
    is_flag=True,
    help="When a variant cannot be solved, still write every variant that could and exit 5 (partial) "
    "instead of 1; the body's 'Could not relock' section says why each failed.",
)
@click.option(
    "--variant",
    "variants",
    multiple=True,
    metavar="NAME",
    help="Relock only NAME's family (its base chain and every variant built on them), for separate "
    "schedules; the body covers only them. Repeatable.",
)
@click.option("--no-sizes", is_flag=True, help="Do not look download sizes up in the channels' repodata.")
@mirror_option("; locks keep the canonical URLs")
@pypi_index_option()
@cache_dir_option()
@timeout_option()
@exclude_newer_option()
@click.pass_obj
def refresh_command(
    obj: dict,
    output_markdown: Path | None,
    exit_code: bool,
    keep_going: bool,
    variants: tuple[str, ...],
    no_sizes: bool,
    mirrors: tuple[str, ...],
    pypi_index: str | None,
    cache_dir: Path | None,
    exclude_newer: str | None,
) -> None:
    """Relock every variant from scratch, re-render dockerfiles/, and describe what changed.

    Packages move to the newest versions the specs allow (bases still
    prefer what their extensions need). The description lists, per variant
    and platform, what was added, removed, upgraded or downgraded, with
    download-size deltas; an extension lists only its own changes and
    counts those inherited from its base. --output-markdown writes it for
    a pull request.

    A variant that cannot be solved keeps its old locks, and so do the
    variants built on it; every other variant is written. Exit codes: 0
    done (changed or not), 1 a variant failed (with --keep-going: every
    variant failed), 5 partial (--keep-going: some failed, the rest was
    written), 6 a change that envsplit.yml's refresh: fail-on refuses,
    3 changes found (--exit-code); the first of 1, 5, 6, 3 wins.

    \b
    Example (the scheduled workflow):
      envsplit refresh --keep-going --output-markdown "$RUNNER_TEMP/pr-body.md"
      envsplit refresh --variant cuda --keep-going   # the cuda family only
    """
    project = read_project(obj["project"])
    if output_markdown is not None:
        _check_writable(output_markdown)
    options = LockOptions(
        mirrors=dict(parse_mirror_option(m) for m in mirrors),
        cache_dir=cache_dir,
        pypi_index=pypi_index,
        exclude_newer=exclude_newer,
    )
    reporter = CliReporter(obj["verbosity"])
    try:
        # Imported here: the diff machinery is not needed by the other commands' startup (lock's no-op path).
        from envsplit.diff.policy import summary
        from envsplit.locking.refresh import exit_status, refresh

        result = refresh(project, options, reporter, sizes=not no_sizes, variants=variants)
    finally:
        reporter.stop()
    for warning in result.warnings:
        reporter.warn(warning)
    if output_markdown is not None:
        write({output_markdown: result.markdown})
    for r in result.report.failed:
        click.echo(f"FAILED {r.variant} {r.platform}:\n{r.detail}", err=True)
    for line in summary(result.policy):
        click.echo(line, err=True)
    status = exit_status(result, keep_going, exit_code)
    if status == EXIT_FAILED:
        raise click.exceptions.Exit(status)
    if result.failures:
        n = len(result.failures)
        click.echo(
            f"partial: {n} variant/platform pair(s) could not be relocked and kept their locks", err=True
        )
    if result.policy:
        click.echo("refused: the relock holds changes that refresh: fail-on in envsplit.yml names", err=True)
    click.echo(
        "changed: locks or Dockerfiles were updated" if result.changed else "unchanged: nothing to update"
    )
    if status:
        raise click.exceptions.Exit(status)


def _check_writable(path: Path) -> None:
    """Refuse a PR-body path that cannot be written before relocking, not after."""
    blocked = next((p for p in [path, *path.parents] if p.exists() and not p.is_dir()), None)
    if path.is_dir() or (blocked is not None and blocked != path):
        raise InputError(
            f"--output-markdown {path}: not a writable file path; name a file in an existing folder"
        )
