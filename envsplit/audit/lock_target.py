"""What ``why``, ``tree`` and ``audit`` look at: a variant's lock, or any conda-lock.yml given by path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from envsplit.errors import InputError
from envsplit.models import LockedPackage, Project


@dataclass(frozen=True)
class OverlayGroup:
    """What one overlay of a variant asks for: the requested names it adds (conda and pip), and the
    swaps it makes (``replace: {old: new}``), which dropping the overlay would undo rather than free."""

    name: str
    adds: tuple[str, ...]
    replaces: tuple[tuple[str, str], ...]
    own: bool  # the variant's own overlay, not one its base image already applies


@dataclass(frozen=True)
class Target:
    label: str  # the variant name, or the path as the user gave it
    kind: str  # "variant" or "lockfile"
    lock_path: Path
    requested: tuple[str, ...] | None  # the composed specs' names; None: unknown (a foreign lockfile)
    base: str | None = None
    depth: int = 0  # number of bases below it: variants of the same depth are compared with each other
    layer_paths: tuple[tuple[str, Path], ...] = ()  # (platform, layer file) for a variant with a base
    channels: tuple[str, ...] | None = None  # a variant's channels: its locks may name no other
    overlays: tuple[OverlayGroup, ...] = ()  # base chain first


def _looks_like_path(value: str) -> bool:
    return "/" in value or "\\" in value or value.endswith((".yml", ".yaml")) or Path(value).is_file()


def resolve(values: Sequence[str], project_root: Path) -> tuple[list[Target], Project | None]:
    """Targets for ``--variant`` values (variant names or lockfile paths); all variants when none given.

    The project is read only when a variant name needs it, so a foreign lockfile can be audited anywhere.
    """
    from envsplit.inputs.compose import base_chain, compose, variant_order
    from envsplit.lockfile.lockdir import LockDir

    project = None
    names = [v for v in values if not _looks_like_path(v)]
    if names or not values:
        from envsplit.inputs.project import read_project

        project = read_project(project_root)
    targets = []
    order = variant_order(project) if project is not None else []
    for value in dict.fromkeys(values or order):  # a target named twice is audited once
        if project is None or _looks_like_path(value):
            path = Path(value)
            if not path.is_file():
                raise InputError(
                    f"{value}: lockfile not found; give a variant name or the path of a conda-lock.yml"
                )
            targets.append(Target(label=value, kind="lockfile", lock_path=path, requested=None))
            continue
        if value not in project.variants:
            raise InputError(
                f"--variant {value}: no such variant in {project.config.name}; declared: "
                f"{', '.join(project.variants)}; or give the path of a conda-lock.yml"
            )
        spec = compose(project, value)
        folder = LockDir(project.output, value, spec.base)
        layers = tuple((p, folder.layer(p)) for p in spec.platforms) if spec.base else ()
        targets.append(
            Target(
                label=value,
                kind="variant",
                lock_path=folder.lock_path,
                requested=tuple(sorted({d.name for d in spec.dependencies})),
                base=spec.base,
                depth=len(base_chain(project, value)),
                layer_paths=layers,
                channels=tuple(spec.channels),
                overlays=overlay_groups(project, spec.overlays, project.variants[value].overlays),
            )
        )
    return targets, project


def pip_name(requirement: str) -> str:
    """The normalized project name of a pip requirement, as the lock's pip entries name it."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return requirement.strip().lower()


def overlay_groups(project: Project, names: Sequence[str], own: Sequence[str]) -> tuple[OverlayGroup, ...]:
    """Each overlay's requested names and swaps, in the order the variant applies them."""
    from envsplit.inputs.operations import Add, Pip, Replace

    out = []
    for name in names:
        adds: list[str] = []
        replaces: list[tuple[str, str]] = []
        for op in project.overlays[name].operations:
            if isinstance(op, Add):
                adds += [d.name for d in op.value]
            elif isinstance(op, Replace):
                replaces += [
                    (old.lower(), new.name) for old, new in op.value.items() if old.lower() != new.name
                ]
            elif isinstance(op, Pip):
                adds += [pip_name(r) for r in op.value.get("add", [])]
        out.append(OverlayGroup(name, tuple(sorted(set(adds))), tuple(replaces), name in own))
    return tuple(out)


def load(target: Target) -> dict[str, list[LockedPackage]]:
    """Platform -> packages of the target's conda-lock.yml, conda then pip; a variant's explicit and layer
    files must agree with its conda packages."""
    from envsplit.lockfile import conda_lock_yml, pip_entries, verify
    from envsplit.lockfile.lockdir import LockDir

    if target.kind == "variant" and not target.lock_path.is_file():
        raise InputError(
            f"{target.lock_path}: variant {target.label!r} has no lock yet; run 'envsplit lock --variant {target.label}'"
        )
    locked = conda_lock_yml.read(target.lock_path)
    if target.kind == "variant":
        output = target.lock_path.parent.parent
        base = None if target.base is None else LockDir(output, target.base)
        folder = LockDir(output, target.label, target.base)
        verify.check_folder(folder, verify.pins_of(locked), target.channels, base)
    return pip_entries.merged(locked, pip_entries.read(target.lock_path))


def select_platforms(
    target: Target, locked: dict[str, list[LockedPackage]], wanted: Sequence[str]
) -> list[str]:
    have = [p for p in sorted(locked) if locked[p]]
    for platform in wanted:
        if platform not in have:
            raise InputError(
                f"--platform {platform}: {target.lock_path} has no packages for it; it has {', '.join(have) or 'none'}"
            )
    return [p for p in have if not wanted or p in wanted]
