"""Dockerfiles (and a docker-bake.hcl) rendered from the locks."""

from __future__ import annotations

import os
from pathlib import Path

from envsplit import generated
from envsplit.atomic import unchanged
from envsplit.errors import InputError
from envsplit.inputs.compose import compose, variant_order
from envsplit.inputs.image_config import references
from envsplit.inputs.yaml_lines import display_path
from envsplit.lockfile.lockdir import LockDir
from envsplit.models import DockerConfig, Project, VariantSpec
from envsplit.render import adopt, bake, base_image, dockerfile, regions, smoke, workflow

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
    if project.docker.workflow:
        workflow.check_runners(specs, project.config.name)
    out_dir = project.root / project.docker.output
    files: dict[Path, str] = {}
    skipped: list[str] = []
    refs = _references(project)
    # Every variant's test target, whichever are selected or locked: the bake file covers them all.
    tests = _smoke_targets(project, specs)
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
        base = base_image.for_variant(project, spec.name)
        base_tag = refs[spec.base][0] if spec.base else None
        text = dockerfile.render(spec, project.docker, rel, base, _tag(refs, spec.name), base_tag, pip)
        path = out_dir / f"Dockerfile.{spec.name}"
        files[path] = regions.finish(text, path)
    for name, text in (_smoke_files(project) if tests else {}).items():
        files[out_dir / name] = regions.finish(text, out_dir / name)
    bake_path = out_dir / BAKE_NAME
    files[bake_path] = regions.finish(
        bake.render(specs, project.docker, refs, tests, _adopted(project)), bake_path
    )
    if project.docker.workflow:
        path = project.root / project.docker.workflow
        lock_output = Path(os.path.relpath(project.output, project.root)).as_posix()
        text = workflow.render(specs, project.docker, _published(project, refs), set(tests), lock_output)
        files[path] = regions.finish(text, path)
    return files, skipped


def _adopted(project: Project) -> dict[str, str]:
    """Variant -> its adopted Dockerfile, relative to the project root (the build context)."""
    return {
        name: Path(os.path.relpath(v.dockerfile, project.root)).as_posix()
        for name, v in project.variants.items()
        if v.dockerfile is not None
    }


def _references(project: Project) -> dict[str, tuple[str, ...]]:
    return {name: references(project.docker, v) for name, v in project.variants.items()}


def _published(project: Project, refs: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """What the workflow pushes: nothing while the project names no image of its own (the default
    ``envsplit:<variant>`` tags are for local builds; pushing them would go to someone else's Docker Hub)."""
    docker = project.docker
    own = docker.images or docker.repository != DockerConfig.repository
    own = own or any(v.images is not None for v in project.variants.values())
    return refs if own else {name: () for name in refs}


def _tag(refs: dict[str, tuple[str, ...]], name: str) -> str:
    """The reference a variant's Dockerfile comment builds as: its first, or its name if it publishes none."""
    return refs[name][0] if refs[name] else name


def _smoke_targets(project: Project, specs: list[VariantSpec]) -> dict[str, smoke.SmokeTarget]:
    out = {}
    for spec in specs:
        if smoke.has_python(spec):
            rel = Path(os.path.relpath(LockDir(project.output, spec.name, spec.base).path, project.root))
            prefix = base_image.for_variant(project, spec.name).prefix
            out[spec.name] = smoke.smoke_target(spec, rel.as_posix(), prefix)
    return out


def _smoke_files(project: Project) -> dict[str, str]:
    """The smoke test's files, written when at least one variant has a test target."""
    return {
        smoke.SMOKE_DOCKERFILE: smoke.render_dockerfile(project.docker),
        smoke.CHECK_SCRIPT: smoke.render_check_script(),
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
    bake_text = bake.render(_specs(project), project.docker, _references(project), adopted=_adopted(project))
    found.append(regions.problem(out_dir / BAKE_NAME, bake_text))
    found += [regions.problem(out_dir / name, text) for name, text in _smoke_files(project).items()]
    if project.docker.workflow:
        # Any template without user sections: a hand edit is refused as "envsplit writes all of this file".
        found.append(regions.problem(project.root / project.docker.workflow, "no user sections"))
    return [msg for msg in found if msg]
