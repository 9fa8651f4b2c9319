"""Explicit lockfiles (``@EXPLICIT`` then one ``url#md5`` per line), as conda, mamba and micromamba install them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from envsplit.errors import InputError
from envsplit.inputs.yaml_lines import display_path
from envsplit.models import LockedPackage


def render(header_lines: Sequence[str], platform: str, package_lines: Sequence[str]) -> str:
    from envsplit.lockfile.header import seal

    return seal([*header_lines, f"# platform: {platform}"], "\n".join(["@EXPLICIT", *package_lines]) + "\n")


def package_lines(path: Path) -> list[str]:
    """The ``url#md5`` lines of an explicit file, in file order."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{display_path(path)}: lockfile not found; run 'envsplit lock' first") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{display_path(path)}: cannot read the lockfile ({exc})") from None
    lines = [ln.strip() for ln in text.splitlines()]
    if "@EXPLICIT" not in lines:
        raise InputError(
            f"{display_path(path)}: not an explicit lockfile (no @EXPLICIT line); "
            "delete the file and run 'envsplit lock' to regenerate it"
        )
    start = lines.index("@EXPLICIT") + 1
    return [ln for ln in lines[start:] if ln and not ln.startswith("#")]


def packages(path: Path) -> list[LockedPackage]:
    """Enough of each locked package to pin or prefer it: name, version and build come from the file name.

    A line that is not ``<channel>/<subdir>/<name>-<version>-<build>.<ext>#<md5>`` is an InputError.
    """
    out = []
    for line in package_lines(path):
        url, _, md5 = line.partition("#")
        parts = url.rsplit("/", 2)
        stem = parts[-1].removesuffix(".conda").removesuffix(".tar.bz2")
        fields = stem.rsplit("-", 2)
        if len(parts) != 3 or len(fields) != 3 or not md5 or stem == parts[-1]:
            raise InputError(
                f"{display_path(path)}: {line!r} is not a package line (URL#MD5 of a .conda or .tar.bz2); "
                "delete the file and run 'envsplit lock' to regenerate it"
            )
        name, version, build = fields
        out.append(LockedPackage(name, version, build, parts[1], parts[0], url, md5, None, None, ()))
    return out
