"""``envsplit import``."""

from __future__ import annotations

from pathlib import Path

import click

from envsplit.cli import cli
from envsplit.cli.options import SafePath
from envsplit.inputs.yaml_lines import display_path


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=SafePath(dir_okay=False, path_type=Path))
@click.option(
    "--base",
    "bases",
    multiple=True,
    metavar="EXT=BASE",
    help="EXT extends BASE (variants or files); its overlay holds only what it changes.",
)
@click.option(
    "--extends-mode",
    "extends_modes",
    multiple=True,
    metavar="[EXT=]MODE",
    help="Read an extension's file as complete (the whole environment) or additive (what it adds to its "
    "base, as `mamba env update` does); MODE alone sets every --base pair. Default auto: complete if the "
    "file holds every package of its base, additive if it holds fewer than half.",
)
@click.option(
    "--name",
    "names",
    multiple=True,
    metavar="VARIANT=FILE",
    help="Name FILE's variant (default: from the file name).",
)
@click.option(
    "-o",
    "--output",
    type=SafePath(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write the project to (default: the -C folder).",
)
@click.option(
    "--force", is_flag=True, help="Write even where an envsplit.yml or an input file is in the way."
)
@click.option("--check", is_flag=True, help="Only print the drift report; write nothing.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="Format of the drift report.",
)
@click.option(
    "--dockerfile",
    "dockerfiles",
    multiple=True,
    metavar="VARIANT=PATH",
    help="Adopt a hand-written Dockerfile for VARIANT.",
)
@click.option(
    "--virtual-package",
    "virtual_packages",
    multiple=True,
    metavar="VARIANT:NAME=VERSION",
    help="Put a virtual package in VARIANT's overlay, e.g. cuda:__cuda=12.9 (a CUDA file locks only with it).",
)
@click.pass_obj
def import_command(
    obj: dict,
    files: tuple[Path, ...],
    bases: tuple[str, ...],
    names: tuple[str, ...],
    output: Path | None,
    force: bool,
    check: bool,
    fmt: str,
    dockerfiles: tuple[str, ...],
    virtual_packages: tuple[str, ...],
    extends_modes: tuple[str, ...],
) -> None:
    """Adopt existing conda environment files: one shared environment.yml plus an overlay per file.

    Every FILE becomes a variant (environment.yml: default, environment.cpu.yml: cpu, extend/environment.yml:
    extend). Before writing, each variant is composed back and must list exactly its file's specs, channels
    (in order) and pip entries, or nothing is written. The drift report compares the files that should
    mirror each other: --base pairs and names differing by a suffix (.cpu, -gpu).

    An extension's file that lists only what it adds to its base (applied with `mamba env update` on the
    base image) is read as additive: then show EXT lists show BASE plus the file's specs, a same-name
    spec replacing the base's. The report says how each extension was read.

    \b
    Example:
      envsplit import --check environment.yml environment.cpu.yml extend/environment.yml \\
          extend/environment.cpu.yml --base extend=default --base extend-cpu=cpu
      envsplit import -o ml environment.yml environment.cpu.yml ...   (same arguments)
      envsplit -C ml lock
    """
    from envsplit.importing.run import ImportRequest, import_project

    request = ImportRequest(
        files=list(files),
        output=output if output is not None else obj["project"],
        names=names,
        bases=bases,
        dockerfiles=dockerfiles,
        virtual_packages=virtual_packages,
        extends_modes=extends_modes,
        force=force,
        check=check,
        format=fmt,
    )
    result = import_project(request)
    click.echo(result.report, nl=False)
    if not check:
        target = request.output
        overlays = sum(1 for p in result.written if p.parent.name == "overlays")
        click.echo(
            f"Imported {len(result.variants)} files into {target}: environment.yml, envsplit.yml and "
            f"{overlays} overlay{'s' * (overlays != 1)} (variants: {', '.join(result.variants)}). "
            f"Next: envsplit -C {target} lock",
            err=True,
        )
        if result.removed:
            gone = ", ".join(display_path(p) for p in result.removed)
            click.echo(f"  removed the old project's overlays it no longer has: {gone}", err=True)
        for reading in result.readings.values():
            click.echo(f"  {reading.describe()}", err=True)
