"""Explicit lockfiles (``@EXPLICIT`` then one ``url#md5`` per line), as conda, mamba and micromamba install them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError


def render(header_lines: Sequence[str], platform: str, package_lines: Sequence[str]) -> str:
    return "\n".join([*header_lines, f"# platform: {platform}", "@EXPLICIT", *package_lines]) + "\n"


def package_lines(path: Path) -> list[str]:
    """The ``url#md5`` lines of an explicit file, in file order."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: lockfile not found; run 'envsplit lock' first") from None
    lines = [ln.strip() for ln in text.splitlines()]
    if "@EXPLICIT" not in lines:
        raise InputError(
            f"{path}: not an explicit lockfile (no @EXPLICIT line); regenerate it with 'envsplit lock'"
        )
    start = lines.index("@EXPLICIT") + 1
    return [ln for ln in lines[start:] if ln and not ln.startswith("#")]
