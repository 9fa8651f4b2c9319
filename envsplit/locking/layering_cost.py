"""What layering costs an extension: its requested packages compared with a standalone solve of it.

An extension is solved with its base's lock pinned. The same specs solved alone (no base pins, no preferred
builds: what a fresh image of its own would get) show what the base costs it. Compared are the packages the
extension requests and its base does not (the base's own requests are pinned on purpose). A cost is

- ``major`` / ``minor``: the layered version is older in its first / second version segment (an older
  patch or build number is no cost worth a warning);
- ``missing``: the standalone solve has it and the layered one does not;
- ``build-variant``: a different build flavour (see :func:`flavours`: cuda vs cpu, mkl vs openblas).

The base packages IN THE WAY are the base pins that the affected package's standalone build depends on,
directly or through its dependencies as the standalone solve resolved them, pinned at another version or
build than the standalone solve picked. Each is shown with the requirements in that chain that its pin does
not satisfy (e.g. base pins prompt-toolkit 3.0.52; awscli 2.33.7 needs 'prompt-toolkit >=3.0.38,<3.0.52').
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase

from envsplit.md_escape import md_text
from envsplit.models import LockedPackage, VariantSpec, dep_name

_SEGMENTS = re.compile(r"[._+-]")
_CUDA = re.compile(r"(^|_)cuda\d*")


@dataclass(frozen=True)
class InTheWay:
    """A base package whose pin the extension's standalone solution does not take."""

    name: str
    version: str  # pinned by the base
    build: str
    wanted: str  # what the standalone solve picked: "version build"
    needs: tuple[str, ...]  # "awscli 2.33.7 needs 'prompt-toolkit >=3.0.38,<3.0.52'"


@dataclass(frozen=True)
class LayeringCost:
    variant: str
    base: str
    platform: str
    package: str
    kind: str  # "major", "minor", "missing", "build-variant"
    layered: str  # "version build" on the base ("" when missing)
    standalone: str  # "version build" alone
    in_the_way: tuple[InTheWay, ...] = ()

    def message(self) -> str:
        what = {
            "major": "an older major version",
            "minor": "an older minor version",
            "missing": "missing",
            "build-variant": "another build variant",
        }[self.kind]
        got = f"{self.layered}" if self.layered else "not installed"
        line = (
            f"layering cost: {self.variant} {self.platform}: {self.package} is {what} on base {self.base!r} "
            f"({got}; a standalone solve picks {self.standalone})"
        )
        for way in self.in_the_way:
            needs = f": {'; '.join(way.needs)}" if way.needs else ""
            line += f"\n  in the way: {way.name} {way.version} {way.build} (pinned by {self.base!r}){needs}"
        if not self.in_the_way:
            line += "\n  no single base package found in its dependency chain; compare the two solutions"
        return line


def flavours(package: LockedPackage) -> dict[str, str]:
    """The build flavour axes a package shows: ``gpu`` (cuda/cpu) and ``blas`` (mkl/openblas), by heuristic.

    cuda: the build string has a ``cuda`` token (``cuda126py312``, ``py312_cuda``) or it depends on ``__cuda``;
    cpu: a ``cpu`` token in the build string (``cpu_mkl_py312``), or the name ends in ``-cpu``/``-gpu``.
    mkl/openblas: a token of the build string, or a dependency named after one (``libblas * *mkl``, ``mkl``).
    An axis the package does not show is absent, so only packages that show both sides are compared.
    """
    build = package.build.lower()
    tokens = set(re.split(r"[_.-]", build))
    out: dict[str, str] = {}
    if _CUDA.search(build) or any(dep_name(d) == "__cuda" for d in package.depends):
        out["gpu"] = "cuda"
    elif "cpu" in tokens:
        out["gpu"] = "cpu"
    deps = " ".join(package.depends).lower()
    for blas in ("mkl", "openblas"):
        if blas in tokens or re.search(rf"(^|\s|\*){blas}(\s|$|\*)", deps) or f"lib{blas}" in deps:
            out.setdefault("blas", blas)
    return out


def _older(layered: str, standalone: str) -> str:
    """ "major", "minor" or "" (not older, or older only below the minor segment)."""
    from rattler import Version

    try:
        if not Version(layered) < Version(standalone):
            return ""
    except Exception:  # an unparsable version: compare nothing rather than guess
        return ""
    a, b = _SEGMENTS.split(layered), _SEGMENTS.split(standalone)
    if a[:1] != b[:1]:
        return "major"
    if a[:2] != b[:2]:
        return "minor"
    return ""


def _satisfies(pin: LockedPackage, requirement: str) -> bool:
    """Whether ``pin`` meets ``requirement`` (a match spec); True when that cannot be told."""
    from rattler import MatchSpec, Version, VersionSpec

    try:
        spec = MatchSpec(requirement)
        version_ok = spec.version is None or VersionSpec(str(spec.version)).matches(Version(pin.version))
        build_ok = spec.build is None or fnmatchcase(pin.build, str(spec.build))
    except Exception:
        return True
    return bool(version_ok and build_ok)


def _chain(start: LockedPackage, solution: Mapping[str, LockedPackage]) -> list[LockedPackage]:
    """``start`` and everything it depends on in ``solution``, breadth first."""
    seen = {start.name}
    order = [start]
    for package in order:
        for dep in package.depends:
            name = dep_name(dep)
            if name in solution and name not in seen:
                seen.add(name)
                order.append(solution[name])
    return order


def _in_the_way(
    package: LockedPackage, standalone: Mapping[str, LockedPackage], base: Mapping[str, LockedPackage]
) -> tuple[InTheWay, ...]:
    chain = _chain(package, standalone)
    out = []
    for member in chain:
        pin = base.get(member.name)
        if pin is None or (pin.version, pin.build) == (member.version, member.build):
            continue
        asks = [(p, d) for p in chain for d in p.depends if dep_name(d) == member.name]
        unmet = [f"{p.name} {p.version} needs '{d}'" for p, d in asks if not _satisfies(pin, d)]
        out.append(
            InTheWay(pin.name, pin.version, pin.build, f"{member.version} {member.build}", tuple(unmet))
        )
    # the pins that break a requirement first: those are the ones to look at
    return tuple(sorted(out, key=lambda w: (not w.needs, w.name)))


def layering_costs(
    spec: VariantSpec,
    base_spec: VariantSpec,
    platform: str,
    layered: Sequence[LockedPackage],
    standalone: Sequence[LockedPackage],
    base: Sequence[LockedPackage],
) -> list[LayeringCost]:
    """What ``spec`` (solved as ``layered`` on ``base``) loses against its ``standalone`` solution."""
    assert spec.base is not None
    base_requests = {d.name for d in base_spec.dependencies}
    requested = sorted({d.name for d in spec.dependencies} - base_requests)
    on_base = {p.name: p for p in layered}
    alone = {p.name: p for p in standalone}
    pins = {p.name: p for p in base}
    costs = []
    for name in requested:
        want = alone.get(name)
        if want is None:
            continue
        got = on_base.get(name)
        kind = ""
        if got is None:
            kind = "missing"
        else:
            kind = _older(got.version, want.version)
            if not kind and got.build != want.build:
                mine, theirs = flavours(got), flavours(want)
                if any(axis in mine and mine[axis] != value for axis, value in theirs.items()):
                    kind = "build-variant"
        if kind:
            costs.append(
                LayeringCost(
                    spec.name,
                    spec.base,
                    platform,
                    name,
                    kind,
                    f"{got.version} {got.build}" if got is not None else "",
                    f"{want.version} {want.build}",
                    _in_the_way(want, alone, pins),
                )
            )
    return costs


def layering_markdown(costs: Sequence[LayeringCost]) -> str:
    """A markdown section for the refresh PR body; "" when layering cost nothing."""
    if not costs:
        return ""
    lines = [
        "### Layering costs",
        "",
        "Requested packages that an extension gets older, without, or in another build variant because of "
        "its base, compared with solving the extension alone:",
        "",
        "| variant | platform | package | on its base | alone | base packages in the way |",
        "|---|---|---|---|---|---|",
    ]
    for cost in sorted(costs, key=lambda c: (c.variant, c.platform, c.package)):
        way = "; ".join(
            f"{w.name} {w.version}" + (f" ({', '.join(w.needs)})" if w.needs else "") for w in cost.in_the_way
        )
        cells = [
            cost.variant,
            cost.platform,
            f"{cost.package} ({cost.kind})",
            cost.layered or "missing",
            cost.standalone,
            way or "not identified",
        ]
        lines.append("| " + " | ".join(md_text(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
