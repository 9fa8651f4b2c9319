"""Options several commands share, declared once so they read and behave the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from envsplit.channels import parse_mirror_option
from envsplit.errors import InputError
from envsplit.inputs.values import has_control_character


class SafePath(click.Path):
    """click.Path refusing control characters: a NUL makes os.stat raise ValueError, which click lets through."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and has_control_character(value):
            flag = max(param.opts, key=len) if param is not None and param.opts else "path"
            raise InputError(f"{flag} {value!r}: holds a control character; name a plain path")
        return super().convert(value, param, ctx)


def _check_mirrors(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    """Every --mirror is checked while the flags are read, before any file is read or written."""
    for value in values:
        parse_mirror_option(value)
    return values


def mirror_option(purpose: str) -> Callable[[Any], Any]:
    """``--mirror CHANNEL=URL`` (repeatable); ``purpose`` says what the channel is read for."""
    return click.option(
        "--mirror",
        "mirrors",
        multiple=True,
        metavar="CHANNEL=URL",
        callback=_check_mirrors,
        help=f"Read CHANNEL from URL (http(s) or a local folder){purpose}. Repeatable.",
    )


def _check_pypi_index(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A URL as given; a folder made absolute, as the user's shell meant it (like --mirror)."""
    if value is None:
        return None
    from urllib.parse import urlparse

    from envsplit.channels import mirror_target_problem
    from envsplit.redact import redact_text

    problem = mirror_target_problem(value) if value else "expected a URL or a folder"
    if problem:
        raise InputError(f"--pypi-index {redact_text(value)!r}: {problem}")
    if urlparse(value).scheme in ("http", "https", "file"):
        return value
    return str(Path(value).absolute())


def pypi_index_option(
    help: str = "Read the PyPI index (pypi-index: in envsplit.yml, default https://pypi.org/simple) from this "
    "http(s) mirror or local simple-index folder; locks keep the public file URLs (env ENVSPLIT_PYPI_INDEX).",
) -> Callable[[Any], Any]:
    """``--pypi-index URL|FOLDER``: where the pip entries' index is read; the locks keep the public URLs."""
    return click.option(
        "--pypi-index",
        metavar="URL|FOLDER",
        envvar="ENVSPLIT_PYPI_INDEX",
        callback=_check_pypi_index,
        help=help,
    )


def cache_dir_option(what: str = "Repodata cache") -> Callable[[Any], Any]:
    return click.option(
        "--cache-dir",
        type=SafePath(file_okay=False, path_type=Path),
        envvar="ENVSPLIT_CACHE_DIR",
        help=f"{what} (default: the user cache dir; env ENVSPLIT_CACHE_DIR).",
    )


def timeout_option() -> Callable[[Any], Any]:
    """``--timeout SECONDS``: a process-wide setting (like a proxy), so it reaches every fetch without plumbing."""
    from envsplit.fetch import DEFAULT_TIMEOUT, set_timeout

    def apply(ctx: click.Context, param: click.Parameter, value: float | None) -> None:
        set_timeout(value)  # called on every run, so None resets what an earlier in-process run set

    return click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        envvar="ENVSPLIT_TIMEOUT",
        metavar="SECONDS",
        expose_value=False,
        callback=apply,
        help=f"Give up on a channel or mirror that does not connect or answer within SECONDS "
        f"(default {DEFAULT_TIMEOUT:g}; env ENVSPLIT_TIMEOUT).",
    )


def output_option(*decls: str, help: str, none_is_stdout: bool = True) -> Callable[[Any], Any]:
    """A file to write instead of stdout; ``-`` is stdout, and devices or FIFOs are written through.

    Where leaving the option out already means stdout, ``-`` becomes None; elsewhere it stays ``-``,
    which the writer (envsplit.atomic) sends to stdout.
    """

    def dash(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
        return None if none_is_stdout and value is not None and str(value) == "-" else value

    return click.option(
        *decls,
        type=SafePath(dir_okay=False, allow_dash=True, path_type=Path),
        callback=dash,
        help=f"{help} ('-': stdout).",
    )


def exclude_newer_option() -> Callable[[Any], Any]:
    """``--exclude-newer DATE|DURATION``: the run's date cutoff, replacing ``exclude-newer:``'s value."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        from envsplit.locking.cutoff import parse_cutoff

        try:
            return parse_cutoff(value)
        except ValueError as exc:
            raise InputError(f"--exclude-newer: {exc}") from None

    return click.option(
        "--exclude-newer",
        metavar="DATE|DURATION",
        callback=check,
        help="Ignore packages published after DATE (2026-01-31 = 00:00 UTC, or 2026-01-31T12:00:00Z) or "
        "within DURATION before now (36h, 7d, 2w), as 'exclude-newer:' in envsplit.yml does (its exemptions "
        "still apply). The lock header records the resolved cutoff.",
    )
