"""The files of one variant's lock: conda-lock.yml, explicit files and, for an extension, layer files."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from envsplit.channels import canonical_url
from envsplit.generated import regenerate_command
from envsplit.lockfile import explicit, header
from envsplit.lockfile.lockdir import LockDir
from envsplit.models import LockedPackage, Project, VariantSpec


@dataclass(frozen=True)
class Rendered:
    files: dict[Path, str]  # path -> text, for every file to (re)write
    lines: dict[str, list[str]]  # platform -> explicit package lines, in install order


def render_variant(
    project: Project,
    spec: VariantSpec,
    packages: Mapping[str, Sequence[LockedPackage]],
    hashes: Mapping[str, str],
    rewrite: set[str],
    base_lines: Callable[[str], Sequence[str]],
    known_lines: Mapping[str, list[str]] | None = None,
) -> Rendered:
    """Render ``spec``'s lock for the platforms in ``packages``; explicit and layer files only for ``rewrite``.

    ``hashes`` holds each platform's input hash as it should be recorded: the new one for a platform solved
    now, the old one for a platform carried over unchanged (so that it stays stale if it was).
    ``known_lines`` are explicit lines already ordered (conda_lock_yml.explicit_lines) for some platforms.
    """
    from envsplit.lockfile import conda_lock_yml

    folder = LockDir(project.output, spec.name, spec.base)
    sources = [os.path.relpath(project.environment.path, folder.path)] + [
        os.path.relpath(project.overlays[o].source.path, folder.path) for o in spec.overlays
    ]
    custom = {"envsplit_variant": spec.name}
    if spec.base:
        custom["envsplit_base"] = spec.base
    model = conda_lock_yml.build(packages, [canonical_url(c) for c in spec.channels], hashes, sources, custom)
    regen = regenerate_command("lock", "--variant", spec.name)
    files = {
        folder.lock_path: conda_lock_yml.render(
            model, header.header(spec.name, hashes, "conda-lock unified lockfile", regen)
        )
    }
    lines: dict[str, list[str]] = {}
    for platform in sorted(packages):
        known = (known_lines or {}).get(platform)
        lines[platform] = known if known is not None else conda_lock_yml.explicit_lines(packages[platform])
        if platform not in rewrite:
            continue
        one = {platform: hashes[platform]}
        files[folder.explicit(platform)] = explicit.render(
            header.header(spec.name, one, "explicit lockfile", regen), platform, lines[platform]
        )
        if spec.base is not None:
            in_base = set(base_lines(platform))
            layer = [ln for ln in lines[platform] if ln not in in_base]
            what = f"explicit layer: only what {spec.name!r} adds to {spec.base!r}"
            files[folder.layer(platform)] = explicit.render(
                header.header(spec.name, one, what, regen), platform, layer
            )
    return Rendered(files, lines)
