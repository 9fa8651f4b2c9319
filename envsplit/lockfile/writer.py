"""The files of one variant's lock: conda-lock.yml, explicit files and, for an extension, layer files."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..channels import canonical_url
from ..models import LockedPackage, Project, VariantSpec
from . import explicit, header
from .lockdir import LockDir


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
) -> Rendered:
    """Render ``spec``'s lock for the platforms in ``packages``; explicit and layer files only for ``rewrite``.

    ``hashes`` holds each platform's input hash as it should be recorded: the new one for a platform solved
    now, the old one for a platform carried over unchanged (so that it stays stale if it was).
    """
    from . import conda_lock_yml

    folder = LockDir(project.output, spec.name, spec.base)
    sources = [os.path.relpath(project.environment.path, folder.path)] + [
        os.path.relpath(project.overlays[o].source.path, folder.path) for o in spec.overlays
    ]
    custom = {"envsplit_variant": spec.name}
    if spec.base:
        custom["envsplit_base"] = spec.base
    model = conda_lock_yml.build(packages, [canonical_url(c) for c in spec.channels], hashes, sources, custom)
    regen = f"envsplit lock --variant {spec.name}"
    files = {
        folder.lock_path: conda_lock_yml.render(
            model, header.header(spec.name, hashes, "conda-lock unified lockfile", regen)
        )
    }
    lines: dict[str, list[str]] = {}
    for platform in sorted(packages):
        lines[platform] = conda_lock_yml.explicit_lines(model, platform)
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


def platform_lines(platform: str, packages: Sequence[LockedPackage]) -> list[str]:
    """The explicit lines ``render_variant`` writes for ``platform``, from its packages alone.

    The order (conda-lock's topological one) depends only on that platform's packages, so an extension can be
    hashed against its base's new lock before the base is written.
    """
    from . import conda_lock_yml

    model = conda_lock_yml.build({platform: packages}, [], {}, [], {})
    model.alphasort_inplace()
    model.filter_virtual_packages_inplace()
    return conda_lock_yml.explicit_lines(model, platform)
