"""``envsplit why``, ``envsplit tree`` and ``envsplit audit``: what the locks contain and what it weighs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from envsplit.audit.flags import DEFAULT_THRESHOLD
from envsplit.channels import parse_mirror_option
from envsplit.cli import cli
from envsplit.cli.options import cache_dir_option, mirror_option, output_option, timeout_option
from envsplit.errors import InputError

if TYPE_CHECKING:
    from envsplit.audit.lock_target import Target
    from envsplit.models import Project

_VARIANT_HELP = "A variant of the project, or the path of any conda-lock.yml."


def _targets(obj: dict, values: tuple[str, ...]) -> tuple[list[Target], Project | None]:
    from envsplit.audit.lock_target import resolve

    return resolve(values, obj["project"])


def _single(obj: dict, variant: str | None) -> list[Target]:
    targets, _ = _targets(obj, (variant,) if variant else ())
    return targets


@cli.command("why")
@click.argument("package")
@click.option("--variant", metavar="NAME|LOCKFILE", help=_VARIANT_HELP + " Default: every variant.")
@click.option(
    "--platform", "platforms", multiple=True, metavar="PLATFORM", help="Only this platform. Repeatable."
)
@click.option(
    "--all", "all_chains", is_flag=True, help="Every chain, not only the shortest per requested package."
)
@click.pass_obj
def why_command(
    obj: dict, package: str, variant: str | None, platforms: tuple[str, ...], all_chains: bool
) -> None:
    """Why PACKAGE is in the locks: the chains from requested packages down to it."""
    from envsplit.audit.explain import why

    click.echo("\n".join(why(_single(obj, variant), package, platforms, all_chains)))


@cli.command("tree")
@click.option("--variant", metavar="NAME|LOCKFILE", help=_VARIANT_HELP + " Default: every variant.")
@click.option(
    "--platform", "platforms", multiple=True, metavar="PLATFORM", help="Only this platform. Repeatable."
)
@click.option(
    "--invert",
    metavar="PACKAGE",
    help="Start from PACKAGE and show what depends on it, up to requested ones.",
)
@click.option("--depth", type=click.IntRange(min=0), help="Show at most this many levels below the top.")
@click.pass_obj
def tree_command(
    obj: dict, variant: str | None, platforms: tuple[str, ...], invert: str | None, depth: int | None
) -> None:
    """The dependency tree of the locks; a package already shown above is marked (*)."""
    from envsplit.audit.explain import tree

    click.echo("\n".join(tree(_single(obj, variant), platforms, invert, depth)))


def _regenerate(obj: dict, args: list[str]) -> str:
    from envsplit.generated import regenerate_command

    return regenerate_command("audit", *args, root=obj["project"])


@cli.command("audit")
@click.option(
    "--variant",
    "variants",
    multiple=True,
    metavar="NAME|LOCKFILE",
    help=_VARIANT_HELP + " Repeatable; default: every variant.",
)
@click.option(
    "--platform", "platforms", multiple=True, metavar="PLATFORM", help="Only this platform. Repeatable."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "json", "html"]),
    default="table",
    show_default=True,
)
@output_option("-o", "--output", help="Write to FILE instead of stdout")
@click.option(
    "--installed-size",
    is_flag=True,
    help="Also read installed sizes (info/paths.json, by HTTP range requests).",
)
@click.option(
    "--threshold",
    default=DEFAULT_THRESHOLD,
    show_default=True,
    help="Flag requested packages freeing at least this much as heavy (e.g. 200MB, 1GiB, 5%).",
)
@click.option(
    "--top",
    type=click.IntRange(min=0),
    default=25,
    show_default=True,
    help="Rows per environment in table and markdown (0: all).",
)
@mirror_option(" for download sizes")
@click.option(
    "--pypi-index",
    metavar="URL|FOLDER",
    help="Read pip packages' download sizes from this index (PEP 691). Default: pypi-index: in envsplit.yml, "
    "else https://pypi.org/simple.",
)
@click.option(
    "--drop",
    "drops",
    multiple=True,
    metavar="PKG[,PKG...]",
    help="What if these requested packages went together: what leaves and what it frees, read from the "
    "locked graph. Repeat for several what-ifs.",
)
@click.option(
    "--drop-overlay",
    "drop_overlays",
    multiple=True,
    metavar="NAME",
    help="What if the variant did without this overlay: the requested packages it adds, together. "
    "A replace: swap is undone, not freed. Repeatable.",
)
@click.option(
    "--resolve",
    is_flag=True,
    help="Confirm each --drop/--drop-overlay with a real solve of the variant without them (slow: one solve "
    "per variant and platform), shown beside the graph's figure.",
)
@click.option(
    "--whole",
    is_flag=True,
    help="For a variant built on a base image, rank the full image instead of only what its layer adds.",
)
@cache_dir_option("Repodata and installed-size cache")
@timeout_option()
@click.pass_obj
def audit_command(
    obj: dict,
    variants: tuple[str, ...],
    platforms: tuple[str, ...],
    fmt: str,
    output: Path | None,
    installed_size: bool,
    threshold: str,
    top: int,
    mirrors: tuple[str, ...],
    pypi_index: str | None,
    drops: tuple[str, ...],
    drop_overlays: tuple[str, ...],
    resolve: bool,
    whole: bool,
    cache_dir: Path | None,
) -> None:
    """Sizes of the locked environments, what each requested package alone would free, heavy and
    geospatial packages, and how variants differ.

    \b
    Download sizes come from the channels' repodata (through --mirror like
    lock); --installed-size also reads each archive's info/paths.json with
    HTTP range requests, a small part of each file, and caches the result,
    and then every table, the treemap and the what-ifs weigh installed bytes.
    A total with unknown sizes reads "at least X (N of M sizes unknown)".
    A variant built on a base ranks only what its layer adds (--whole: all).

    \b
    Example: what would dropping the spatial overlay, or two viz apps, free?
      envsplit audit --variant cpu-spatial --drop-overlay spatial \\
        --drop leafmap,jupytergis --installed-size --resolve
    """
    from envsplit.audit.flags import parse_threshold
    from envsplit.audit.render import render
    from envsplit.audit.report import AuditOptions, audit
    from envsplit.audit.whatif import parse_drops
    from envsplit.generated import write
    from envsplit.sizes.pypi import DEFAULT_INDEX

    limit = parse_threshold(threshold)
    requests = parse_drops(drops, drop_overlays)
    if resolve and not requests:
        raise InputError("--resolve: confirms a what-if; give --drop PKG or --drop-overlay NAME with it")
    targets, project = _targets(obj, variants)
    args: list[str] = []
    for v in variants:
        args += ["--variant", v]
    for p in platforms:
        args += ["--platform", p]
    if fmt != "table":
        args += ["--format", fmt]
    if installed_size:
        args.append("--installed-size")
    if threshold != DEFAULT_THRESHOLD:
        args += ["--threshold", threshold]
    if top != 25:
        args += ["--top", str(top)]
    for d in drops:
        args += ["--drop", d]
    for o in drop_overlays:
        args += ["--drop-overlay", o]
    if resolve:
        args.append("--resolve")
    if whole:
        args.append("--whole")
    if output is not None:
        args += ["-o", str(output)]
    options = AuditOptions(
        platforms=platforms,
        installed_size=installed_size,
        threshold=limit,
        mirrors={
            **(project.mirrors if project is not None else {}),
            **dict(parse_mirror_option(m) for m in mirrors),
        },
        cache_dir=cache_dir,
        base_dir=project.root if project is not None else Path("."),
        regenerate=_regenerate(obj, args),
        pypi_index=pypi_index or getattr(project, "pypi_index", None) or DEFAULT_INDEX,
        requests=requests,
        resolve=resolve,
        whole=whole,
        project=project,
        progress=(lambda m: click.echo(m, err=True)) if obj["verbosity"] >= 0 else (lambda _m: None),
    )
    text = render(audit(targets, options), fmt, top)
    if output is None:
        click.echo(text, nl=False)
        return
    if output.is_dir():
        raise InputError(f"-o {output}: is a folder; give a file name")
    write({output: text})
    if obj["verbosity"] >= 0:
        click.echo(f"wrote {output}", err=True)
