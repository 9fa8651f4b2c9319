"""Options several commands share, declared once so they read and behave the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..channels import parse_mirror_option
from ..errors import InputError
from ..fields import has_control_character


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


def cache_dir_option(what: str = "Repodata cache") -> Callable[[Any], Any]:
    return click.option(
        "--cache-dir",
        type=SafePath(file_okay=False, path_type=Path),
        envvar="ENVSPLIT_CACHE_DIR",
        help=f"{what} (default: the user cache dir; env ENVSPLIT_CACHE_DIR).",
    )
