"""The one writer of files: a reader never sees half a file, and a failed run leaves the old files intact.

Also what the writer never does: replace a device, a FIFO or ``/dev/stdout`` with a regular file (those are
written through, and ``-`` is stdout), follow a symbolic link out of the project it writes for, or leave the
temporary files of a killed run behind for good.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from envsplit.errors import InputError, WriteError
from envsplit.inputs.yaml_lines import display_path

try:
    import fcntl
except ImportError:  # not on Windows: leftovers are then told apart by age alone
    fcntl = None  # type: ignore[assignment]

STDOUT = Path("-")
# What mkstemp(prefix=".<name>.", suffix=".tmp") makes: the temporary sibling of a file being written.
_TEMP = re.compile(r"\..+\.[A-Za-z0-9_]{8}\.tmp")
# A temporary file younger than this may belong to a run that has not locked it yet.
_TEMP_GRACE_SECONDS = 2.0


def unchanged(path: Path, text: str) -> bool:
    """Whether ``path`` already holds exactly ``text`` (a folder or unreadable file in its place does not).

    Bytes, not text: text mode would read CRLF lines as LF, and a file envsplit writes byte for byte (an
    adopted Dockerfile keeps its CRLF lines) would never compare equal.
    """
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def _write_through(path: Path) -> bool:
    """Whether ``path`` is something to open and write, not to replace: a device, a FIFO, a socket."""
    if path == STDOUT:
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    # /dev/stdout may lead to a regular file (a redirect); it is still not ours to replace.
    return (not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)) or os.path.abspath(path).startswith("/dev/")


def _target(path: Path, root: Path | None) -> Path:
    """Where ``path`` really is (symbolic links followed); inside ``root`` when one is given."""
    target = path.resolve()
    if root is not None and not target.is_relative_to(root.resolve()):
        raise InputError(
            f"{display_path(path)}: is or lies under a symbolic link leading outside the project "
            f"{display_path(root)}; envsplit writes only inside it: replace the link with a real folder or file"
        )
    return target


def check_inside(paths: Iterable[Path], root: Path) -> None:
    """Refuse, before anything is written, any of ``paths`` that a symbolic link leads outside ``root``."""
    for path in paths:
        _target(path, root)


def clean_leftovers(folders: Iterable[Path]) -> None:
    """Remove the temporary files a killed run left in ``folders``; those of a run still writing are kept."""
    now = time.time()
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not _TEMP.fullmatch(entry.name) or not entry.is_file(follow_symlinks=False):
                continue
            try:
                if now - entry.stat(follow_symlinks=False).st_mtime < _TEMP_GRACE_SECONDS:
                    continue
                fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            except OSError:
                continue
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held by a writer that is alive
                os.unlink(entry.path)
            except OSError:
                pass
            finally:
                os.close(fd)


def _error(path: Path, exc: OSError) -> InputError | WriteError:
    # Something in the way (a folder where a file goes) is the user's to move; a full disk or a
    # read-only folder is the machine's, and gets its own exit code.
    cls = InputError if exc.errno in (errno.EISDIR, errno.ENOTDIR, errno.EEXIST) else WriteError
    return cls(
        f"{display_path(path)}: cannot write ({exc.strerror or exc}); check that its folder is writable, "
        "has space, and that nothing else (a folder, a file) is in the way"
    )


def write_files(files: Mapping[Path, str], root: Path | None = None) -> None:
    """Write every file to a temp sibling first, then rename them all; nothing is replaced if any write fails.

    ``-`` is stdout and special files are written through. With ``root``, a file whose real location
    (symbolic links followed) is outside ``root`` is refused before anything is written.
    """
    through = {p: t for p, t in files.items() if _write_through(p)}
    targets = {p: _target(p, root) for p in files if p not in through}
    clean_leftovers({t.parent for t in targets.values()})
    staged: list[tuple[str, Path, int]] = []
    path = Path()
    try:
        for path, target in targets.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            staged.append((tmp, target, fd))
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # tells clean_leftovers of another run that this one lives
            data = files[path].encode("utf-8")
            while data:
                data = data[os.write(fd, data) :]
        for tmp, target, _ in staged:
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        for path, text in through.items():
            if path == STDOUT:
                sys.stdout.write(text)
                sys.stdout.flush()
                continue
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
    except OSError as exc:
        raise _error(path, exc) from None
    finally:
        for tmp, _, fd in staged:
            os.close(fd)
            Path(tmp).unlink(missing_ok=True)  # only still there when the run failed before renaming it
