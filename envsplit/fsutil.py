"""Atomic file writes: a reader never sees half a file, and a failed run leaves the old files intact."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ._yaml import display_path
from .errors import InputError


def write_files(files: Mapping[Path, str]) -> None:
    """Write every file to a temp sibling first, then rename them all; nothing is replaced if any write fails."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
    except BaseException as exc:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise _cannot_write(exc) from None
        raise
    try:
        for tmp, path in staged:
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
    except OSError as exc:
        raise _cannot_write(exc) from None


def _cannot_write(exc: OSError) -> InputError:
    where = display_path(Path(exc.filename).parent) if exc.filename else "output"
    return InputError(
        f"{where}: cannot write ({exc.strerror or exc}); check the folder's permissions and space"
    )
