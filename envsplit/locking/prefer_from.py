"""``lock --prefer-from PATH``: start from the builds a project already publishes.

PATH is a conda-lock.yml, an ``@EXPLICIT`` file, or a folder of lock folders (another envsplit project's
locks/, or any folder whose subfolders hold a conda-lock.yml). Its builds are preferred where the specs allow,
before the current lock's own (rattler's locked packages; the solver matches them to the channel's repodata by
subdir and file name, so a published build the channels no longer have is simply not preferred).

A single file applies to every variant; a folder applies each subfolder to the variant of the same name, and
its builds merged (first per name, folders in sorted order) to variants it has no folder for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from envsplit.errors import InputError
from envsplit.inputs.yaml_lines import display_path
from envsplit.locking.layering import first_per_name
from envsplit.models import LockedPackage

Builds = dict[str, list[LockedPackage]]  # platform -> packages

_WHAT = "expected a conda-lock.yml, an explicit (@EXPLICIT) lockfile, or a locks/ folder of lock folders"


@dataclass(frozen=True)
class Published:
    by_variant: Mapping[str, Builds]  # variant (folder) name -> builds; "" for a single file
    merged: Builds  # every variant's builds, first per name

    def builds(self, variant: str, platform: str) -> list[LockedPackage]:
        own = self.by_variant.get(variant)
        return list((own if own is not None else self.merged).get(platform, []))


def read_published(path: Path) -> Published:
    """The published builds at ``path``; an InputError naming ``path`` when it is not a lock."""
    shown = f"--prefer-from {display_path(path)}"
    if path.is_dir():
        files = sorted(path.glob("*/conda-lock.yml"))
        if (path / "conda-lock.yml").is_file():
            by_variant = {"": _read_file(path / "conda-lock.yml", shown)}
        elif files:
            by_variant = {f.parent.name: _read_file(f, shown) for f in files}
        else:
            raise InputError(f"{shown}: no conda-lock.yml in this folder or its subfolders; {_WHAT}")
    else:
        by_variant = {"": _read_file(path, shown)}
    merged: Builds = {}
    for builds in by_variant.values():
        for platform, packages in builds.items():
            merged[platform] = first_per_name([*merged.get(platform, []), *packages])
    if not any(merged.values()):
        raise InputError(f"{shown}: holds no conda packages; {_WHAT}")
    return Published(by_variant if set(by_variant) != {""} else {}, merged)


def _read_file(path: Path, shown: str) -> Builds:
    from envsplit.lockfile import conda_lock_yml, explicit

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{shown}: cannot read it ({exc}); {_WHAT}") from None
    lines = [ln.strip() for ln in text.splitlines()]
    if "@EXPLICIT" in lines:
        try:
            packages = explicit.packages(path)
        except InputError as exc:
            problem = str(exc).split(": ", 1)[-1].split("; delete the file")[0]  # not ours to regenerate
            raise InputError(f"{shown}: {problem}; {_WHAT}") from None
        return {_explicit_platform(lines, packages, shown): packages}
    try:
        return conda_lock_yml.read(path)
    except InputError:
        raise InputError(f"{shown}: not a lockfile; {_WHAT}") from None


def _explicit_platform(lines: Sequence[str], packages: Sequence[LockedPackage], shown: str) -> str:
    """The ``# platform:`` line conda writes, else the subdir most of its packages come from."""
    for line in lines:
        if line.startswith("# platform:"):
            return line.partition(":")[2].strip()
    subdirs = Counter(p.subdir for p in packages if p.subdir != "noarch")
    if not subdirs:
        raise InputError(f"{shown}: cannot tell its platform (no '# platform:' line); {_WHAT}")
    return subdirs.most_common(1)[0][0]


def kept_builds(solved: Sequence[LockedPackage], published: Sequence[LockedPackage]) -> tuple[int, int]:
    """(packages that kept their published build, packages of the solution the published lock also has)."""
    files = {p.name: (p.subdir, p.file_name) for p in published}
    common = [p for p in solved if p.name in files]
    return sum(files[p.name] == (p.subdir, p.file_name) for p in common), len(common)
