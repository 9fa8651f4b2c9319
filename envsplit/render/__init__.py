"""Dockerfiles (and a docker-bake.hcl) rendered from the locks."""

from __future__ import annotations

import os
from pathlib import Path

from envsplit import generated
from envsplit.atomic import unchanged
from envsplit.errors import InputError
from envsplit.inputs.compose import compose, variant_order
from envsplit.inputs.yaml_lines import display_path
from envsplit.lockfile.lockdir import LockDir
from envsplit.models import Project, VariantSpec
from envsplit.render import adopt, bake, dockerfile, regions

BAKE_NAME = "docker-bake.hcl"


def _specs(project: Project) -> list[VariantSpec]:
    cache: dict[str, VariantSpec] = {}
    return [compose(project, name, cache) for name in variant_order(project)]


def render_all(
    project: Project, variants: tuple[str, ...] = (), skip_unlocked: bool = False
) -> tuple[dict[Path, str], list[str]]:
    """Path -> text for each selected variant's Dockerfile and the bake file, and the variants skipped.

    A variant whose locks are not all there yet is an error, or skipped with ``skip_unlocked`` (after a
    ``lock --platform`` run that locked only some platforms).
    """
    specs = _specs(project)
    out_dir = project.root / project.docker.output
    files: dict[Path, str] = {}
    skipped: list[str] = []
    for spec in specs:
        if variants and spec.name not in variants:
            continue
        folder = LockDir(project.output, spec.name, spec.base)
        missing = [folder.installed(p) for p in spec.platforms if not folder.installed(p).exists()]
        if missing and skip_unlocked:
            skipped.append(spec.name)
            continue
        if missing:
            raise InputError(
                f"{display_path(missing[0])}: missing; run 'envsplit lock --variant {spec.name}' before "
                "rendering its Dockerfile"
            )
        rel = Path(os.path.relpath(folder.path, project.root)).as_posix()
        pip = [
            p
            for p in spec.platforms
            if _installs_pip(folder.path / dockerfile.pip_name(p, spec.base is not None))
        ]
        adopted = project.variants[spec.name].dockerfile
        if adopted is not None:  # a hand-written Dockerfile: envsplit rewrites only its region
            files[adopted] = adopt.render(adopted, spec, project.docker, rel, pip)
            continue
        text = dockerfile.render(spec, project.docker, rel, project.variants[spec.name].image, pip)
        path = out_dir / f"Dockerfile.{spec.name}"
        files[path] = regions.finish(text, path)
    bake_path = out_dir / BAKE_NAME
    files[bake_path] = regions.finish(bake.render(specs, project.docker, _adopted(project)), bake_path)
    return files, skipped


def _adopted(project: Project) -> dict[str, str]:
    """Variant -> its adopted Dockerfile, relative to the project root (the build context)."""
    return {
        name: Path(os.path.relpath(v.dockerfile, project.root)).as_posix()
        for name, v in project.variants.items()
        if v.dockerfile is not None
    }


def _installs_pip(path: Path) -> bool:
    """Whether ``path`` names a pip package: an extension that adds none to its base's gets no pip step."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return False
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{display_path(path)}: cannot be read ({exc}); run 'envsplit lock' to rewrite it"
        ) from None
    return any(line.strip() and not line.lstrip().startswith("#") for line in lines)


def write_dockerfiles(
    project: Project, variants: tuple[str, ...] = (), skip_unlocked: bool = False
) -> tuple[list[Path], list[str]]:
    """Render and write what changed; returns the paths written and the variants skipped.

    Nothing is written if any file is refused.
    """
    files, skipped = render_all(project, variants, skip_unlocked)
    return generated.write(files, root=project.root, only_changed=True), skipped


def stale_dockerfiles(project: Project) -> list[Path]:
    files, _ = render_all(project)
    return sorted(p for p, t in files.items() if not unchanged(p, t))


def refused_dockerfiles(project: Project) -> list[str]:
    """Messages for existing Dockerfiles and bake file envsplit must not overwrite (checked before anything
    is locked)."""
    out_dir = project.root / project.docker.output
    found = [
        adopt.problem(v.dockerfile) if v.dockerfile else regions.problem(out_dir / f"Dockerfile.{name}")
        for name, v in project.variants.items()
    ]
    found.append(
        regions.problem(out_dir / BAKE_NAME, bake.render(_specs(project), project.docker, _adopted(project)))
    )
    return [msg for msg in found if msg]
