"""Apply overlays, in order, to the canonical environment (or to a base variant) to get each VariantSpec."""

from __future__ import annotations

import re
from typing import Any

from ._yaml import Source
from .channels import canonical_url
from .errors import InputError
from .models import Dependency, Operation, Overlay, Project, VariantSpec

_PIP_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _pip_name(requirement: str) -> str:
    match = _PIP_NAME.match(requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else requirement.strip().lower()


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
                raise project.config.error(
                    f"variants.{name}.base",
                    f"bases form a cycle ({cycle}); an image cannot be built FROM itself",
                    project.variants[name].node,
                    name,
                )
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
        overlay = project.overlays[oname]
        for op in overlay.operations:
            state.apply(overlay, op)
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

    def apply(self, overlay: Overlay, op: Operation) -> None:
        src, raw = overlay.source, op.node[op.key]
        if op.kind == "add":
            for i, dep in enumerate(op.value):
                if self._index(dep.name) is not None:
                    raise src.error(
                        f"add[{i}]",
                        f"{dep.name!r} is already in the environment; use 'replace: {{{dep.name}: ...}}' "
                        "to change its spec",
                        raw,
                        i,
                    )
                self.deps.append(dep)
        elif op.kind == "remove":
            for i, pkg in enumerate(op.value):
                idx = self._index(pkg.lower())
                if idx is None:
                    raise src.error(
                        f"remove[{i}]", f"{pkg!r} is not in the environment; {self._have()}", raw, i
                    )
                del self.deps[idx]
        elif op.kind == "replace":
            for old, new in op.value.items():
                idx = self._index(old.lower())
                if idx is None:
                    raise src.error(
                        f"replace.{old}", f"{old!r} is not in the environment; {self._have()}", raw, old
                    )
                other = self._index(new.name)
                if other is not None and other != idx:
                    raise src.error(
                        f"replace.{old}",
                        f"{new.name!r} is already in the environment; remove it instead",
                        raw,
                        old,
                    )
                self.deps[idx] = new
        elif op.kind == "channels":
            self._channels(src, raw, op.value)
        elif op.kind == "virtual-packages":
            for name, per in op.value.items():
                self.vps.setdefault(name, {}).update(per)
        elif op.kind == "platforms":
            for i, platform in enumerate(op.value):
                if platform not in self.platforms:
                    raise src.error(
                        f"platforms[{i}]",
                        f"{platform!r} is not a platform of this variant ({', '.join(self.platforms)}); "
                        "an overlay can only narrow the platforms",
                        raw,
                        i,
                    )
            self.platforms = [p for p in self.platforms if p in op.value]
        elif op.kind == "pip":
            self._pip(src, raw, op.value)

    def _have(self) -> str:
        return "names present: " + (", ".join(sorted(d.name for d in self.deps)) or "none")

    def _channels(self, src: Source, raw: Any, ops: dict[str, list[str]]) -> None:
        for kind in ("remove", "prepend", "append"):
            for i, channel in enumerate(ops.get(kind, [])):
                present = channel in self.channels
                if kind == "remove" and not present:
                    raise src.error(
                        f"channels.remove[{i}]",
                        f"channel {channel!r} is not used; channels are {', '.join(self.channels) or 'none'}",
                        raw[kind],
                        i,
                    )
                if kind != "remove" and present:
                    raise src.error(
                        f"channels.{kind}[{i}]",
                        f"channel {channel!r} is already used; remove it first",
                        raw[kind],
                        i,
                    )
        for channel in ops.get("remove", []):
            self.channels.remove(channel)
        if not self.channels and not ops.get("prepend") and not ops.get("append"):
            raise src.error(
                "channels.remove", "removes the last channel; prepend or append another one", raw, "remove"
            )
        self.channels[:0] = ops.get("prepend", [])
        self.channels.extend(ops.get("append", []))

    def _pip(self, src: Source, raw: Any, ops: dict[str, list[str]]) -> None:
        names = [_pip_name(r) for r in self.pip]
        for i, req in enumerate(ops.get("remove", [])):
            if _pip_name(req) not in names:
                raise src.error(f"pip.remove[{i}]", f"{req!r} is not in the pip list", raw["remove"], i)
        self.pip = [r for r in self.pip if _pip_name(r) not in {_pip_name(x) for x in ops.get("remove", [])}]
        for i, req in enumerate(ops.get("add", [])):
            if _pip_name(req) in {_pip_name(r) for r in self.pip}:
                raise src.error(f"pip.add[{i}]", f"{req!r} is already in the pip list", raw["add"], i)
            self.pip.append(req)
