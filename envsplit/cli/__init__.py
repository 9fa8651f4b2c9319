"""Command line: thin click commands over the library; every user-facing error exits 2 without a traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from envsplit import __version__
from envsplit.cli.options import SafePath
from envsplit.errors import EXIT_INTERRUPTED, EnvsplitError
from envsplit.redact import redact_text


def _report(exc: EnvsplitError) -> int:
    # Messages quote channel URLs as the user wrote them: a literal token or password stops here.
    for line in redact_text(str(exc)).splitlines() or [""]:  # several findings: one "error:" line each
        click.echo(f"error: {line}" if line and not line.startswith(" ") else line, err=True)
    return exc.exit_code


def _interrupted() -> int:
    click.echo("Interrupted.", err=True)
    return EXIT_INTERRUPTED


class _Group(click.Group):
    def make_context(
        self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any
    ) -> click.Context:
        # The group's own flags (-C) are read here, before invoke(): same one-line errors.
        try:
            return super().make_context(info_name, args, parent, **extra)
        except EnvsplitError as exc:
            raise click.exceptions.Exit(_report(exc)) from None

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except EnvsplitError as exc:
            ctx.exit(_report(exc))
        except KeyboardInterrupt:  # click would turn it into Abort, exit 1
            ctx.exit(_interrupted())


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="envsplit")
@click.option(
    "--project",
    "-C",
    type=SafePath(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Folder holding envsplit.yml (or a bare environment.yml).",
)
@click.option("-v", "--verbose", count=True, help="More detail (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors and the final summary.")
@click.pass_context
def cli(ctx: click.Context, project: Path, verbose: int, quiet: bool) -> None:
    """Keep conda-based container images reproducible, small and current.

    One canonical environment.yml plus small overlays (add, remove, replace,
    channels, virtual packages) composed into named variants, each locked per
    platform into conda-lock's formats under locks/.

    \b
    Typical use:
      envsplit lock            solve every variant x platform that changed
      envsplit lock --check    in CI: exit 1 and list what is stale
      envsplit show cpu        the composed environment of variant 'cpu'
    """
    ctx.obj = {"project": project, "verbosity": -1 if quiet else verbose}


def main() -> None:
    """Console entry point.

    py-rattler can crash at interpreter shutdown after a solve (exit 134/139); flushing and
    leaving through os._exit keeps the real exit code.
    """
    try:
        # Without standalone mode click returns the code of ctx.exit() instead of raising it.
        returned = cli.main(standalone_mode=False)
        code = returned if isinstance(returned, int) else 0
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):  # click's wrapping of Ctrl-C
            code = _interrupted()
        else:
            click.echo("Aborted.", err=True)
            code = 1
    except KeyboardInterrupt:
        code = _interrupted()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 1)


# Each module registers its commands on ``cli``; imported last because they import ``cli`` from here.
from envsplit.cli import diff, dockerfile, images, import_, inspect, install, lock, refresh, show  # noqa: E402, F401
