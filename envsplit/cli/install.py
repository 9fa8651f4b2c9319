"""``envsplit install``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from envsplit.channels import parse_mirror_option
from envsplit.cli import cli
from envsplit.cli.options import SafePath, cache_dir_option, mirror_option, pypi_index_option, timeout_option
from envsplit.inputs.project import read_project


@cli.command("install")
@click.argument("variant")
@click.option(
    "--prefix",
    required=True,
    type=SafePath(path_type=Path),
    help="Folder of the environment (created if missing). A second run into it changes nothing.",
)
@click.option(
    "--platform", metavar="PLATFORM", help="The lock to install (default: this machine's platform)."
)
@mirror_option("; conda-meta keeps the locked URLs")
@pypi_index_option(
    "Read the pip files' wheels from this index or local simple-index folder (default: pypi-index: in "
    "envsplit.yml, else https://pypi.org/simple; env ENVSPLIT_PYPI_INDEX)."
)
@click.option(
    "--force",
    is_flag=True,
    help="Install into a folder that holds another environment (or other files), making its conda "
    "packages exactly the lock's.",
)
@cache_dir_option("Archive and wheel cache")
@timeout_option()
@click.pass_obj
def install_command(
    obj: dict,
    variant: str,
    prefix: Path,
    platform: str | None,
    mirrors: tuple[str, ...],
    pypi_index: str | None,
    force: bool,
    cache_dir: Path | None,
) -> None:
    """Create VARIANT's exact locked environment in --prefix, no Docker needed.

    \b
    1. The conda lock (locks/<variant>/conda-<platform>.lock): each archive
       fetched (through --mirror if given), checked against its locked md5,
       and installed with py-rattler's installer.
    2. Then the pip file (pip-<platform>.txt), if the variant has one, with
       `uv pip install --no-deps --require-hashes` into the prefix's Python.

    The lock must be current (as `envsplit lock --check` sees it). An
    extension variant's full lock is installed, so installing it into a
    prefix that holds its base adds only the extension's packages. A prefix
    holding anything not in the lock is refused unless --force, which makes
    its conda packages exactly the lock's (pip packages outside the pip file
    are left alone). Nothing is fetched when the prefix already matches.
    """
    # Imported here: the installer pulls in asyncio, uv and pip helpers that `envsplit lock` never needs.
    from envsplit.install import InstallOptions, install_variant

    options = InstallOptions(
        platform=platform,
        mirrors=dict(parse_mirror_option(m) for m in mirrors),
        pypi_index=pypi_index,
        cache_dir=cache_dir,
        force=force,
        progress=obj["verbosity"] >= 0 and sys.stderr.isatty(),
    )
    project = read_project(obj["project"])

    def say(message: str) -> None:
        if obj["verbosity"] >= 0:
            click.echo(message, err=True)

    outcome = install_variant(project, variant, prefix.absolute(), options, say)
    if outcome.nothing_to_do:
        click.echo(f"nothing to do: {prefix} already holds {variant} ({outcome.platform})")
        return
    removed = f", {len(outcome.conda_removed)} replaced or removed" if outcome.conda_removed else ""
    click.echo(
        f"installed {variant} ({outcome.platform}) into {prefix}: {len(outcome.conda_added)} conda "
        f"package(s){removed}, {len(outcome.pip_installed)} pip package(s)"
    )
