"""The files of one variant's lock: conda-lock.yml, explicit files and, for an extension, layer files."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from envsplit.channels import canonical_url
from envsplit.generated import regenerate_command
from envsplit.lockfile import explicit, header
from envsplit.lockfile.lockdir import LockDir
from envsplit.models import LockedPackage, Project, VariantSpec

if TYPE_CHECKING:
    from envsplit.pip.resolve import PipPackage


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
    pip: Mapping[str, Sequence[PipPackage]] | None = None,
    base_pip: Callable[[str], Sequence[PipPackage]] | None = None,
    cutoffs: Mapping[str, str] | None = None,
) -> Rendered:
    """Render ``spec``'s lock for the platforms in ``packages``; explicit and layer files only for ``rewrite``.

    ``hashes`` holds each platform's input hash as it should be recorded: the new one for a platform solved
    now, the old one for a platform carried over unchanged (so that it stays stale if it was).
    ``known_lines`` are explicit lines already ordered (conda_lock_yml.explicit_lines) for some platforms.
    ``pip`` holds each platform's pip packages (the base's too) when the variant has pip entries:
    pip-<platform>.txt, and for an extension pip-layer-<platform>.txt without ``base_pip``'s.
    ``cutoffs``: each platform's resolved date cutoff, recorded in conda-lock.yml's header when set.
    """
    from envsplit.lockfile import conda_lock_yml

    folder = LockDir(project.output, spec.name, spec.base)
    sources = [os.path.relpath(project.environment.path, folder.path)] + [
        os.path.relpath(project.overlays[o].source.path, folder.path) for o in spec.overlays
    ]
    custom = {"envsplit_variant": spec.name}
    if spec.base:
        custom["envsplit_base"] = spec.base
    model = conda_lock_yml.build(
        packages, [canonical_url(c) for c in spec.channels], hashes, sources, custom, pip
    )
    regen = regenerate_command("lock", "--variant", spec.name)
    files = {
        folder.lock_path: conda_lock_yml.render(
            model, header.header(spec.name, hashes, "conda-lock unified lockfile", regen, cutoffs)
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
        if pip is not None:
            files.update(_pip_files(spec, folder, platform, one, regen, pip[platform], base_pip))
    return Rendered(files, lines)


def _pip_files(
    spec: VariantSpec,
    folder: LockDir,
    platform: str,
    one: Mapping[str, str],
    regen: str,
    packages: Sequence[PipPackage],
    base_pip: Callable[[str], Sequence[PipPackage]] | None,
) -> dict[Path, str]:
    from envsplit.pip.records import pip_txt_lines

    def render(what: str, chosen: Sequence[PipPackage]) -> str:
        lines = [*header.header(spec.name, one, what, regen), f"# platform: {platform}"]
        return header.seal(lines, "".join(f"{line}\n" for line in pip_txt_lines(chosen)))

    usage = "pip install --no-deps --require-hashes -r"
    files = {folder.pip(platform): render(f"pip packages, for {usage}", packages)}
    if spec.base is not None:
        in_base = {p.name for p in (base_pip(platform) if base_pip else ())}
        what = f"pip layer: only what {spec.name!r} adds to {spec.base!r}, for {usage}"
        files[folder.pip_layer(platform)] = render(what, [p for p in packages if p.name not in in_base])
    return files
