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
from envsplit.errors import InputError
from envsplit.generated import write
from envsplit.inputs.project import read_project
from envsplit.locking.plan import LockOptions
from envsplit.locking.refresh import refresh


@cli.command("refresh")
@output_option(
    "--output-markdown",
    help="Write the pull-request body (a readable diff with size deltas) here",
    none_is_stdout=False,
)
@click.option("--exit-code", is_flag=True, help="Exit 3 when anything changed (for scripts); default is 0.")
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
    download-size deltas; --output-markdown writes it for a pull request.
    Exits 0 whether or not anything changed (unless --exit-code), and 1 if
    a variant could not be solved (its old locks are kept).
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
        result = refresh(project, options, reporter, sizes=not no_sizes)
    finally:
        reporter.stop()
    for warning in result.warnings:
        reporter.warn(warning)
    if output_markdown is not None:
        write({output_markdown: result.markdown})
    for r in result.report.failed:
        click.echo(f"FAILED {r.variant} {r.platform}:\n{r.detail}", err=True)
    if result.report.failed:
        raise click.exceptions.Exit(1)
    click.echo(
        "changed: locks or Dockerfiles were updated" if result.changed else "unchanged: nothing to update"
    )
    if exit_code and result.changed:
        raise click.exceptions.Exit(3)


def _check_writable(path: Path) -> None:
    """Refuse a PR-body path that cannot be written before relocking, not after."""
    blocked = next((p for p in [path, *path.parents] if p.exists() and not p.is_dir()), None)
    if path.is_dir() or (blocked is not None and blocked != path):
        raise InputError(
            f"--output-markdown {path}: not a writable file path; name a file in an existing folder"
        )
