"""Apply overlays, in order, to the canonical environment (or to a base variant) to get each VariantSpec."""

from __future__ import annotations

import re
from dataclasses import replace

from envsplit.channels import canonical_url
from envsplit.errors import InputError
from envsplit.inputs.operations import (
    Add,
    Channels,
    Operation,
    Pip,
    Platforms,
    Remove,
    Replace,
    VirtualPackages,
)
from envsplit.models import Dependency, Project, VariantSpec

_PIP_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _pip_name(requirement: str) -> str:
    match = _PIP_NAME.match(requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else requirement.strip().lower()


pip_name = _pip_name  # public: envsplit import compares pip lists the way the pip operation does


def variant_order(project: Project) -> list[str]:
    """Variant names with every base before its extensions; a cycle of bases is an input error.

    Iterative, so that a long chain of bases cannot exhaust the stack.
    """
    order: list[str] = []
    done: set[str] = set()
    for start in project.variants:
        path: list[str] = []  # the chain being walked, extension first
        name: str | None = start
        while name is not None and name not in done:
            if name in path:
                cycle = " -> ".join([*path[path.index(name) :], name])
                where = project.variants[name].where
                problem = f"bases form a cycle ({cycle}); an image cannot be built FROM itself"
                if where is None:  # a Project built in code, not read from envsplit.yml
                    raise InputError(f"{project.config.name}: variants.{name}.base: {problem}")
                raise replace(where, entry=f"variants.{name}.base").error(problem)
            path.append(name)
            name = project.variants[name].base
        for name in reversed(path):
            done.add(name)
            order.append(name)
    return order


def base_chain(project: Project, name: str) -> list[str]:
    """``name``'s bases, nearest first."""
    chain = []
    base = project.variants[name].base
    while base is not None:
        chain.append(base)
        base = project.variants[base].base
    return chain


def compose(project: Project, name: str, _cache: dict[str, VariantSpec] | None = None) -> VariantSpec:
    """The composed spec of variant ``name``: its base's spec (or environment.yml) with its overlays applied."""
    if name not in project.variants:
        raise InputError(
            f"{project.config.name}: unknown variant {name!r}; declared variants: {', '.join(project.variants)}"
        )
    cache = {} if _cache is None else _cache
    if name in cache:
        return cache[name]
    variant_order(project)  # rejects cycles before walking the chain
    # From the nearest composed base (or environment.yml) down to ``name``, without recursion.
    chain = [name]
    while (base := project.variants[chain[-1]].base) is not None and base not in cache:
        chain.append(base)
    for link in reversed(chain):
        cache[link] = _compose_one(project, link, cache)
    return cache[name]


def _compose_one(project: Project, name: str, cache: dict[str, VariantSpec]) -> VariantSpec:
    config = project.variants[name]
    if config.base is not None:
        start = cache[config.base]
        state = _State(
            channels=list(start.channels),
            deps=list(start.dependencies),
            pip=list(start.pip),
            vps={k: dict(v) for k, v in start.virtual_packages.items()},
            platforms=list(start.platforms),
        )
        inherited = start.overlays
    else:
        env = project.environment
        state = _State(
            channels=list(env.channels),
            deps=list(env.dependencies),
            pip=list(env.pip),
            vps={k: dict(v) for k, v in project.virtual_packages.items()},
            platforms=list(project.platforms),
        )
        inherited = ()
    for oname in config.overlays:
        for op in project.overlays[oname].operations:
            state.apply(op)
    if not state.channels:
        raise InputError(
            f"{project.environment.path.name}: channels: variant {name!r} has no channel; "
            "list at least one, e.g. conda-forge"
        )
    for dep in state.deps:
        prefix = dep.spec.split("::", 1)[0] if "::" in dep.spec.split(" ", 1)[0] else None
        if prefix is not None and canonical_url(prefix) not in {canonical_url(c) for c in state.channels}:
            raise InputError(
                f"{dep.origin}: {dep.spec!r} asks for channel {prefix!r}, which variant {name!r} does not use "
                f"({', '.join(state.channels)}); add it to the channels or drop the prefix"
            )
    return VariantSpec(
        name=name,
        base=config.base,
        channels=tuple(state.channels),
        dependencies=tuple(state.deps),
        pip=tuple(state.pip),
        virtual_packages=state.vps,
        platforms=tuple(state.platforms),
        overlays=inherited + config.overlays,
    )


class _State:
    def __init__(
        self,
        channels: list[str],
        deps: list[Dependency],
        pip: list[str],
        vps: dict[str, dict[str, str]],
        platforms: list[str],
    ) -> None:
        self.channels = channels
        self.deps = deps
        self.pip = pip
        self.vps = vps
        self.platforms = platforms

    def _index(self, name: str) -> int | None:
        for i, dep in enumerate(self.deps):
            if dep.name == name:
                return i
        return None

    def apply(self, op: Operation) -> None:
        match op:
            case Add():
                self._add(op)
            case Remove():
                self._remove(op)
            case Replace():
                self._replace(op)
            case Channels():
                self._channels(op)
            case VirtualPackages():
                for name, per in op.packages.items():
                    self.vps.setdefault(name, {}).update(per)
            case Platforms():
                self._platforms(op)
            case Pip():
                self._pip(op)

    def _have(self) -> str:
        return "names present: " + (", ".join(sorted(d.name for d in self.deps)) or "none")

    def _add(self, op: Add) -> None:
        for dep in op.entries:
            if self._index(dep.value.name) is not None:
                raise dep.where.error(
                    f"{dep.value.name!r} is already in the environment; use 'replace: {{{dep.value.name}: ...}}' "
                    "to change its spec"
                )
            self.deps.append(dep.value)

    def _remove(self, op: Remove) -> None:
        for pkg in op.entries:
            idx = self._index(pkg.value.lower())
            if idx is None:
                raise pkg.where.error(f"{pkg.value!r} is not in the environment; {self._have()}")
            del self.deps[idx]

    def _replace(self, op: Replace) -> None:
        for entry in op.entries:
            old, new = entry.value
            idx = self._index(old.lower())
            if idx is None:
                raise entry.where.error(f"{old!r} is not in the environment; {self._have()}")
            other = self._index(new.name)
            if other is not None and other != idx:
                raise entry.where.error(f"{new.name!r} is already in the environment; remove it instead")
            self.deps[idx] = new

    def _platforms(self, op: Platforms) -> None:
        for platform in op.entries:
            if platform.value not in self.platforms:
                raise platform.where.error(
                    f"{platform.value!r} is not a platform of this variant ({', '.join(self.platforms)}); "
                    "an overlay can only narrow the platforms"
                )
        self.platforms = [p for p in self.platforms if p in op.value]

    def _channels(self, op: Channels) -> None:
        for channel in op.remove or ():
            if channel.value not in self.channels:
                raise channel.where.error(
                    f"channel {channel.value!r} is not used; channels are {', '.join(self.channels) or 'none'}"
                )
        for channel in (*(op.prepend or ()), *(op.append or ())):
            if channel.value in self.channels:
                raise channel.where.error(f"channel {channel.value!r} is already used; remove it first")
        for channel in op.remove or ():
            self.channels.remove(channel.value)
        if not self.channels and not op.prepend and not op.append:
            raise op.remove_where.error("removes the last channel; prepend or append another one")
        self.channels[:0] = [c.value for c in op.prepend or ()]
        self.channels.extend(c.value for c in op.append or ())

    def _pip(self, op: Pip) -> None:
        names = [_pip_name(r) for r in self.pip]
        for req in op.remove or ():
            if _pip_name(req.value) not in names:
                raise req.where.error(f"{req.value!r} is not in the pip list")
        removed = {_pip_name(r.value) for r in op.remove or ()}
        self.pip = [r for r in self.pip if _pip_name(r) not in removed]
        for req in op.add or ():
            if _pip_name(req.value) in {_pip_name(r) for r in self.pip}:
                raise req.where.error(f"{req.value!r} is already in the pip list")
            self.pip.append(req.value)
