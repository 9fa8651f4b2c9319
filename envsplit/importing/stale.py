"""``import --force`` over an existing project: the overlays of the old project the new one does not write.

Left behind they would look like part of the new project, so they are removed after the new files are
written, but only those import can prove it wrote: listed by the old envsplit.yml and still starting
with the note import puts on an overlay (files.py). An overlay the old envsplit.yml lists without that
note is the user's: import refuses, naming it, before writing anything. Files the old envsplit.yml does
not list are never touched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from envsplit.errors import InputError
from envsplit.inputs import yaml_lines as _yaml
from envsplit.inputs.config import overlays_folder

# The first line files.py writes on every overlay.
_IMPORT_NOTE = re.compile(r"^# Variant '[^']+': what .+ (differs by from|adds to) ")


def _listed(config: Path) -> list[Path]:
    """The overlay files the old envsplit.yml lists; an unreadable one lists none (it is replaced anyway)."""
    try:
        src = _yaml.load(config, "envsplit.yml")
        folder = overlays_folder(src, config.parent, src.data)
    except (InputError, AttributeError):
        return []
    variants: Any = src.data.get("variants") if isinstance(src.data, dict) else None
    found: list[Path] = []
    for entry in (variants or {}).values() if isinstance(variants, dict) else []:
        names = entry.get("overlays") if isinstance(entry, dict) else None
        for name in names if isinstance(names, list) else []:
            if isinstance(name, str) and (folder / f"{name}.yml") not in found:
                found.append(folder / f"{name}.yml")
    return found


def _written_by_import(path: Path) -> bool:
    with path.open(encoding="utf-8", errors="replace") as fh:
        return _IMPORT_NOTE.match(fh.readline()) is not None


def stale_overlays(output: Path, new_files: Iterable[Path]) -> list[Path]:
    """Old overlays to remove once the new project is written; an InputError for any import did not write."""
    config = output / "envsplit.yml"
    if not config.is_file():
        return []
    new = {p.absolute() for p in new_files}
    stale = [p for p in _listed(config) if p.is_file() and p.absolute() not in new]
    foreign = [p for p in stale if not _written_by_import(p)]
    if foreign:
        names = ", ".join(_yaml.display_path(p) for p in foreign)
        raise InputError(
            f"{_yaml.display_path(config)}: --force would leave {names} behind, listed by the old project but "
            "not written by envsplit import; move or delete it yourself, then import again"
        )
    return stale
