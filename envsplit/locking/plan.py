"""What one ``envsplit lock`` run visits: its options, the variants in base-first order, the platforms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from envsplit.channels import check_mirrors
from envsplit.errors import InputError
from envsplit.inputs.compose import _pip_name, base_chain, compose, variant_order
from envsplit.lockfile.lockdir import LockDir
from envsplit.models import Project, VariantSpec


@dataclass(frozen=True)
class LockOptions:
    variants: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    force: bool = False
    check: bool = False
    mirrors: dict[str, str] = field(default_factory=dict)
    cache_dir: Path | None = None
    # None: keep locked builds where the specs allow. (): relock from scratch. Names: move only those.
    update: tuple[str, ...] | None = None
    dockerfiles: bool = True  # render dockerfiles/ from what locked (and refuse hand-edited ones up front)
    jobs: int | None = None  # chains solved at once; None: one per independent chain, up to the CPU count
    pypi_index: str | None = None  # where the PyPI index is read this run (a mirror of the project's index)
    exclude_newer: str | None = None  # --exclude-newer (normalized): replaces the configured cutoff's value
    now: datetime | None = None  # the clock a duration cutoff counts back from (None: the real one)
    strict_layering: bool = False  # --strict-layering: a layering cost fails the variant (or the setting)
    prefer_from: Path | None = None  # --prefer-from: published locks whose builds are preferred


def select(project: Project, options: LockOptions) -> list[tuple[VariantSpec, list[str]]]:
    """The variants to visit in base-first order, each with the platforms to (re)lock."""
    for name in options.variants:
        if name not in project.variants:
            raise InputError(
                f"--variant {name}: no such variant in {project.config.name}; "
                f"declared: {', '.join(project.variants)}"
            )
    for platform in options.platforms:
        if platform not in project.platforms:
            raise InputError(
                f"--platform {platform}: not a platform of {project.config.name}; "
                f"declared: {', '.join(project.platforms)}"
            )
    order = variant_order(project)  # rejects a cycle of bases before anything walks the chains
    wanted = set(options.variants or project.variants)
    for name in list(wanted):
        wanted.update(base_chain(project, name))
    cache: dict[str, VariantSpec] = {}
    plan = []
    for name in order:
        if name not in wanted:
            continue
        # An extension composes from its base and overlays only narrow platforms, so an extension
        # can never ask for a platform its base lacks.
        spec = compose(project, name, cache)
        platforms = [p for p in spec.platforms if not options.platforms or p in options.platforms]
        plan.append((spec, platforms))
    used = {c for name in project.variants for c in compose(project, name, cache).channels}
    check_mirrors({**project.mirrors, **options.mirrors}, used)
    return plan


def check_update_names(
    project: Project, names: tuple[str, ...], plan: list[tuple[VariantSpec, list[str]]]
) -> None:
    known: set[str] = set()
    for spec, platforms in plan:
        known.update(d.name for d in spec.dependencies)
        known.update(_pip_name(r) for r in spec.pip)
        folder = LockDir(project.output, spec.name, spec.base, bool(spec.pip))
        for platform in platforms:
            if folder.explicit(platform).exists():
                known.update(p.name for p in folder.packages(platform))
            known.update(line.partition("==")[0] for line in folder.pip_lines(platform))
    unknown = sorted(n for n in set(names) if n not in known and _pip_name(n) not in known)
    if unknown:
        raise InputError(
            f"--update {' '.join(unknown)}: not in any selected lock or variant; "
            "check the spelling (conda package names, e.g. pytorch-cpu)"
        )


def leftovers(project: Project) -> list[Path]:
    """Lock folders and Dockerfiles of variants no longer declared (kept: deleting is the user's call)."""
    found = [
        d
        for d in sorted(project.output.glob("*/"))
        if LockDir(project.output, d.name).exists() and d.name not in project.variants
    ]
    docker = project.root / project.docker.output
    found += [
        p
        for p in sorted(docker.glob("Dockerfile.*"))
        if p.name.removeprefix("Dockerfile.") not in project.variants
    ]
    return found


def lock_paths(project: Project, plan: list[tuple[VariantSpec, list[str]]]) -> list[Path]:
    """Every file a ``lock`` run may write for ``plan``, so that a path out of the project is refused up front."""
    out: list[Path] = []
    for spec, platforms in plan:
        folder = LockDir(project.output, spec.name, spec.base, bool(spec.pip))
        out += dict.fromkeys([folder.lock_path, *(path for p in platforms for path in folder.files(p))])
    return out
