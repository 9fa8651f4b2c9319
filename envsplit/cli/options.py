"""Options several commands share, declared once so they read and behave the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def mirror_option(purpose: str) -> Callable[[Any], Any]:
    """``--mirror CHANNEL=URL`` (repeatable); ``purpose`` says what the channel is read for."""
    return click.option(
        "--mirror",
        "mirrors",
        multiple=True,
        metavar="CHANNEL=URL",
        help=f"Read CHANNEL from URL (http(s) or a local folder){purpose}. Repeatable.",
    )


def cache_dir_option(what: str = "Repodata cache") -> Callable[[Any], Any]:
    return click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="ENVSPLIT_CACHE_DIR",
        help=f"{what} (default: the user cache dir; env ENVSPLIT_CACHE_DIR).",
    )
