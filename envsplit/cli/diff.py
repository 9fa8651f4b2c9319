"""``envsplit diff``."""

from __future__ import annotations

from pathlib import Path

import click

from envsplit.channels import parse_mirror_option
from envsplit.cli import cli
from envsplit.cli.options import SafePath, cache_dir_option, mirror_option, output_option, timeout_option
from envsplit.errors import EnvsplitError, InputError
from envsplit.models import Project


def _project(root: Path) -> Project | None:
    """The project, for what each variant requests; diffing foreign lockfiles needs none."""
    from envsplit.inputs.project import CONFIG_NAME, read_project

    if not (root / CONFIG_NAME).exists() and not (root / "environment.yml").exists():
        return None
    try:
        return read_project(root)
    except EnvsplitError as exc:
        click.echo(f"warning: {exc}\nwarning: requested packages are guessed from the locks", err=True)
        return None


@cli.command("diff")
@click.argument("old", required=False, type=SafePath(path_type=Path))
@click.argument("new", required=False, type=SafePath(path_type=Path))
@click.option(
    "--git",
    "rev",
    metavar="REV",
    help="Compare the working tree's locks (or the one path given) with the same path at git revision REV.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json"]),
    default="markdown",
    show_default=True,
    help="markdown: a pull-request body; json: see docs/diff-schema.md.",
)
@output_option("-o", "--output", help="Write here, not stdout")
@click.option(
    "--sizes/--no-sizes",
    default=None,
    help="Look download sizes up in the channels' repodata (default: only through configured mirrors).",
)
@mirror_option(" for download sizes")
@click.option(
    "--pypi-index",
    metavar="URL|FOLDER",
    help="Read pip packages' download sizes from this index (PEP 691), like --mirror for conda; with --sizes "
    "the default is pypi-index: in envsplit.yml, else https://pypi.org/simple.",
)
@cache_dir_option()
@timeout_option()
@click.option(
    "--allow-variant-mismatch",
    is_flag=True,
    help="Compare locks even when their envsplit_variant metadata differ (e.g. cpu against cuda).",
)
@click.pass_obj
def diff_command(
    obj: dict,
    old: Path | None,
    new: Path | None,
    rev: str | None,
    fmt: str,
    output: Path | None,
    sizes: bool | None,
    mirrors: tuple[str, ...],
    pypi_index: str | None,
    cache_dir: Path | None,
    allow_variant_mismatch: bool,
) -> None:
    """Show what changed between two sets of locks, per variant and platform.

    OLD and NEW are each a conda-lock.yml (envsplit's or anyone's) or a
    locks/ folder of <variant>/conda-lock.yml. With --git REV, the
    locks folder (or the one PATH given) is compared with itself at REV.

    \b
    Examples:
      envsplit diff --git HEAD~1                     what the last commit changed
      envsplit diff --git origin/main --format json
      envsplit diff old/conda-lock.yml new/conda-lock.yml -o pr-body.md
    """
    from envsplit.diff.compare import diff_locksets
    from envsplit.diff.render import render_json, render_markdown
    from envsplit.diff.sides import RepodataSizes, read_git_sides, read_side, requested_from_project

    root: Path = obj["project"]
    if rev is not None and new is not None:
        raise InputError("--git REV takes at most one PATH (compared with itself at REV), not two")
    if rev is None and (old is None or new is None):
        raise InputError("give OLD and NEW (each a conda-lock.yml or a locks/ folder), or --git REV")
    project = _project(root)
    requested = requested_from_project(project)
    if rev is not None:
        path = old if old is not None else (project.output if project else root / "locks")
        old_side, new_side = read_git_sides(rev, path, project, root)
    else:
        assert old is not None and new is not None
        old_side = read_side(old, requested)
        new_side = read_side(new, requested)

    all_mirrors = {**(project.mirrors if project else {}), **dict(parse_mirror_option(m) for m in mirrors)}
    lookup = None
    index = pypi_index or getattr(project, "pypi_index", None)
    if sizes or (sizes is None and (all_mirrors or pypi_index)):
        from envsplit.locking.run import default_cache_dir

        lookup = RepodataSizes(
            mirrors=all_mirrors,
            cache_dir=cache_dir or default_cache_dir(),
            base_dir=project.root if project else root,
            only_mirrored=not sizes,
            pypi_index=index,
        )
    result = diff_locksets(old_side, new_side, sizes=lookup, allow_mismatch=allow_variant_mismatch)
    for warning in lookup.warnings if lookup else []:
        click.echo(f"warning: {warning}", err=True)

    command = _command(root, old, new, rev, fmt)
    text = render_json(result, command) if fmt == "json" else render_markdown(result, command)
    if output is None:
        click.echo(text, nl=False)
        return
    from envsplit.generated import write

    write({output: text})
    if obj["verbosity"] >= 0:
        state = "changes" if result.changed else "no changes"
        click.echo(f"{state}; wrote {output}", err=True)


def _command(root: Path, old: Path | None, new: Path | None, rev: str | None, fmt: str) -> str:
    from envsplit.generated import regenerate_command

    args = ["diff"]
    if rev is not None:
        args += ["--git", rev]
    args += [str(p) for p in (old, new) if p is not None]
    if fmt != "markdown":
        args += ["--format", fmt]
    return regenerate_command(*args, root=root)
