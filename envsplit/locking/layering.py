"""How variants that build on each other are solved, so that an extension image keeps its base exactly.

An extension is solved with every package of its base's lock pinned. To make that usually succeed, a base
is solved preferring the builds its extensions would pick on their own ("free" solves, cached per run),
and an extension whose free solution already contains the base lock exactly takes it as is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

from envsplit.errors import SolveError
from envsplit.locking.cutoff import SolveCutoff
from envsplit.locking.solver import Solver
from envsplit.models import Dependency, LockedPackage, VariantSpec, dep_name

# variant, platform -> the builds to keep where the specs allow (the current lock, less what --update frees)
Previous = Callable[[str, str], list[LockedPackage]]
# variant, platform -> its date cutoff, None without one
Cutoffs = Callable[[str, str], SolveCutoff | None]


def first_per_name(packages: Sequence[LockedPackage]) -> list[LockedPackage]:
    seen: dict[str, LockedPackage] = {}
    for p in packages:
        seen.setdefault(p.name, p)
    return list(seen.values())


class LayeredSolver:
    def __init__(
        self,
        solver: Solver,
        specs: Mapping[str, VariantSpec],
        previous: Previous,
        cutoffs: Cutoffs | None = None,
    ) -> None:
        self.solver = solver
        self.specs = specs
        self.previous = previous
        self.cutoffs = cutoffs
        self._free: dict[tuple[str, str], list[LockedPackage] | None] = {}

    def _solve(
        self,
        spec: VariantSpec,
        platform: str,
        pinned: Sequence[LockedPackage] = (),
        preferred: Sequence[LockedPackage] = (),
    ) -> list[LockedPackage]:
        """One solve, under ``spec``'s date cutoff when it has one."""
        cutoff = self.cutoffs(spec.name, platform) if self.cutoffs is not None else None
        if cutoff is None:  # solvers that know nothing of cutoffs keep working
            return self.solver.solve(spec, platform, pinned=pinned, preferred=preferred)
        return self.solver.solve(spec, platform, pinned=pinned, preferred=preferred, cutoff=cutoff)

    def standalone(self, spec: VariantSpec, platform: str) -> list[LockedPackage] | None:
        """``spec`` solved alone: no base pins, no preferences; None if unsolvable (see layering_cost.py)."""
        try:
            return self._solve(spec, platform)
        except SolveError:
            return None

    def free(self, spec: VariantSpec, platform: str) -> list[LockedPackage] | None:
        """``spec`` solved without pinning its base, preferring its extensions' free solutions; None if unsolvable."""
        key = (spec.name, platform)
        if key not in self._free:
            children = [s for s in self.specs.values() if s.base == spec.name and platform in s.platforms]
            preferred = [p for child in children for p in (self.free(child, platform) or [])]
            preferred += self.previous(spec.name, platform)
            try:
                self._free[key] = self._solve(spec, platform, preferred=first_per_name(preferred))
            except SolveError:
                self._free[key] = None
        return self._free[key]

    def solve(
        self, spec: VariantSpec, platform: str, base: Sequence[LockedPackage] = ()
    ) -> list[LockedPackage]:
        """The lock of ``spec`` on ``platform``; ``base`` is its base's lock there (pinned exactly)."""
        if spec.base is None:
            result = self.free(spec, platform)
            if result is None:  # solve again to surface the solver's explanation
                preferred = first_per_name(self.previous(spec.name, platform))
                result = self._solve(spec, platform, preferred=preferred)
            return result
        candidate = self.free(spec, platform)
        if candidate is not None and {p.url for p in base} <= {p.url for p in candidate}:
            return candidate  # already keeps every base package exactly
        # Pinning alone does not force a package in; naming every base package does.
        names = {d.name for d in spec.dependencies}
        forced = tuple(Dependency(p.name, p.name) for p in base if p.name not in names)
        pinned_spec = replace(spec, dependencies=spec.dependencies + forced)
        preferred = first_per_name([*(candidate or []), *self.previous(spec.name, platform)])
        try:
            result = self._solve(pinned_spec, platform, pinned=base, preferred=preferred)
        except SolveError as exc:
            raise SolveError(spec.name, platform, self._explain(spec, platform, base, exc)) from None
        urls = {p.url for p in result}
        missing = sorted(p.file_name for p in base if p.url not in urls)
        if missing:
            raise SolveError(
                spec.name, platform, f"base packages were not kept exactly: {', '.join(missing)}"
            )
        return result

    def _explain(
        self, spec: VariantSpec, platform: str, base: Sequence[LockedPackage], exc: SolveError
    ) -> str:
        """Name the base packages in the way by comparing with the extension's free solution."""
        free = self.free(spec, platform)
        if free is None:
            return exc.explanation
        chosen = {p.name: p for p in free}
        lines = []
        for base_pkg in base:
            other = chosen.get(base_pkg.name)
            if other is None or (other.version, other.build) == (base_pkg.version, base_pkg.build):
                continue
            askers = sorted(
                f"{p.name} needs '{d}'" for p in free for d in p.depends if dep_name(d) == base_pkg.name
            ) + [f"the variant asks '{d.spec}'" for d in spec.dependencies if d.name == base_pkg.name]
            lines.append(
                f"  {base_pkg.name} {base_pkg.version} {base_pkg.build} (locked in base {spec.base!r}) -> "
                f"the extension would need {other.version} {other.build}"
                + (f": {'; '.join(askers)}" if askers else "")
            )
        if not lines:
            return exc.explanation
        return (
            f"it cannot be solved with the packages of base {spec.base!r} kept as locked; in the way:\n"
            + "\n".join(lines)
            + f"\nRelock the base so that it takes its extensions into account "
            f"('envsplit lock --force --variant {spec.base}'), or change the extension's overlays."
        )
