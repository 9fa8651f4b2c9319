"""Dockerfiles (and a docker-bake.hcl) rendered from the locks."""

from __future__ import annotations

import os
from pathlib import Path

from ..compose import compose, variant_order
from ..errors import InputError
from ..lockfile import explicit_name, layer_name, variant_dir
from ..models import Project, VariantSpec
from . import bake, dockerfile, regions


def render_all(project: Project, variants: tuple[str, ...] = ()) -> dict[Path, str]:
    """Path -> text for each selected variant's Dockerfile and the bake file (all variants)."""
    cache: dict[str, VariantSpec] = {}
    specs = [compose(project, name, cache) for name in variant_order(project)]
    out_dir = project.root / project.docker.output
    files: dict[Path, str] = {}
    for spec in specs:
        if variants and spec.name not in variants:
            continue
        lock_dir = variant_dir(project.output, spec.name)
        for platform in spec.platforms:
            needed = lock_dir / (layer_name(platform) if spec.base else explicit_name(platform))
            if not needed.exists():
                raise InputError(
                    f"{os.path.relpath(needed)}: missing; run 'envsplit lock --variant {spec.name}' before "
                    "rendering its Dockerfile"
                )
        rel = Path(os.path.relpath(lock_dir, project.root)).as_posix()
        text = dockerfile.render(spec, project.docker, rel, project.variants[spec.name].image)
        path = out_dir / f"Dockerfile.{spec.name}"
        files[path] = regions.finish(text, path)
    files[out_dir / "docker-bake.hcl"] = bake.render(specs, project.docker)
    return files


def write_dockerfiles(project: Project, variants: tuple[str, ...] = ()) -> list[Path]:
    """Render and write what changed; returns the paths written. Nothing is written if any file is refused."""
    from ..fsutil import write_files

    files = render_all(project, variants)
    changed = {p: t for p, t in files.items() if not p.exists() or p.read_text(encoding="utf-8") != t}
    write_files(changed)
    return sorted(changed)


def stale_dockerfiles(project: Project) -> list[Path]:
    files = render_all(project)
    return sorted(p for p, t in files.items() if not p.exists() or p.read_text(encoding="utf-8") != t)
