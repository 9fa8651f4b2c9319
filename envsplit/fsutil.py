"""Atomic file writes: a reader never sees half a file, and a failed run leaves the old files intact."""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ._yaml import display_path
from .errors import InputError, WriteError


def unchanged(path: Path, text: str) -> bool:
    """Whether ``path`` already holds exactly ``text`` (a folder or unreadable file in its place does not)."""
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def write_files(files: Mapping[Path, str]) -> None:
    """Write every file to a temp sibling first, then rename them all; nothing is replaced if any write fails."""
    staged: list[tuple[str, Path]] = []
    path = Path()
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            staged.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
        for tmp, path in staged:
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
    except OSError as exc:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        # Something in the way (a folder where a file goes) is the user's to move; a full disk or a
        # read-only folder is the machine's, and gets its own exit code.
        cls = InputError if exc.errno in (errno.EISDIR, errno.ENOTDIR, errno.EEXIST) else WriteError
        raise cls(
            f"{display_path(path)}: cannot write ({exc.strerror or exc}); check that its folder is writable, "
            "has space, and that nothing else (a folder, a file) is in the way"
        ) from None
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
