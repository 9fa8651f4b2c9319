"""Small file helpers the tests share: lay out a project, edit one of its files, read an explicit lock, git."""

from __future__ import annotations

import subprocess
from pathlib import Path


def write(root: Path, files: dict[str, str | None]) -> Path:
    """Write each file under ``root`` (None deletes it); returns ``root``."""
    for name, text in files.items():
        path = root / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first ``old`` in ``path``; a test whose anchor text vanished fails loudly."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path} no longer contains {old!r}; update the test"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def explicit_lines(path: Path) -> list[str]:
    """The ``url#md5`` lines of an explicit lockfile, read independently of envsplit's own reader."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln for ln in lines[lines.index("@EXPLICIT") + 1 :] if ln and not ln.startswith("#")]


def git(repo: Path, *args: str) -> None:
    """Run git in ``repo`` with a throwaway identity, failing the test on error."""
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=repo,
        check=True,
        capture_output=True,
    )
