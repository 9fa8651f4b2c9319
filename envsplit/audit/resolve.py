"""``envsplit audit --resolve``: a what-if confirmed by solving the variant without the group.

The solve is the locking core's (py-rattler through the same mirrors as ``lock``), preferring the locked
builds so that only what the drop forces moves. An extension whose drop stays inside its own layer is solved
with its base lock pinned, as ``lock`` does; a drop that touches the base (a package or overlay the base
already has) is solved as one free image, since the base image would change too. pip packages are not
solved: a dropped pip package leaves with its own wheel, exactly as the graph says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from envsplit.audit.lock_target import Target, pip_name
from envsplit.audit.model import Resolved, Total
from envsplit.audit.whatif import OVERLAY, Request
from envsplit.models import LockedPackage, Project, VariantSpec

# URL -> size in the environment's measure (None: unknown), for packages the solve brings in.
Measure = Callable[[Sequence[LockedPackage]], Mapping[str, int | None]]


@dataclass(frozen=True)
class ResolveContext:
    project: Project
    mirrors: Mapping[str, str]
    cache_dir: Path


class Resolver:
    """One solver for the whole audit: repodata is read once however many what-ifs are confirmed."""

    def __init__(self, context: ResolveContext) -> None:
        from envsplit.locking.solver import rattler_solver

        self.context = context
        self.solver = rattler_solver(dict(context.mirrors), str(context.cache_dir), str(context.project.root))

    def close(self) -> None:
        self.solver.close()

    def spec_without(self, target: Target, request: Request) -> tuple[VariantSpec, bool]:
        """The variant's spec without the group, and whether the base image would change too."""
        from envsplit.inputs.compose import base_chain, compose

        project = self.context.project
        if request.kind == OVERLAY:
            name = request.names[0]
            # The variant of the chain that applies the overlay (the caller checked the chain uses it).
            owner = next(
                v
                for v in [target.label, *base_chain(project, target.label)]
                if name in project.variants[v].overlays
            )
            config = project.variants[owner]
            variants = {
                **project.variants,
                owner: replace(config, overlays=tuple(o for o in config.overlays if o != name)),
            }
            spec = compose(replace(project, variants=variants), target.label, {})
            return spec, owner != target.label
        spec = compose(project, target.label)
        dropped = set(request.names)
        base_names = set()
        if spec.base is not None:
            base_names = {d.name for d in compose(project, spec.base).dependencies}
        pip = [r for r in spec.pip if pip_name(r) not in dropped]
        deps = tuple(d for d in spec.dependencies if d.name not in dropped)
        return replace(spec, dependencies=deps, pip=tuple(pip)), bool(dropped & base_names)

    def resolve(
        self,
        target: Target,
        platform: str,
        packages: Sequence[LockedPackage],
        request: Request,
        graph_leaves: Sequence[str],
        measure: Measure,
    ) -> Resolved:
        """Solve the variant without the group; ``graph_leaves`` is what the graph says leaves (whole image)."""
        from envsplit.lockfile import conda_lock_yml
        from envsplit.lockfile.lockdir import LockDir
        from envsplit.locking.layering import LayeredSolver

        spec, base_changes = self.spec_without(target, request)
        conda = [p for p in packages if not p.is_pip]
        base: list[LockedPackage] = []
        if spec.base is not None and not base_changes:
            folder = LockDir(self.context.project.output, spec.base)
            base = conda_lock_yml.read(folder.lock_path).get(platform, [])
        else:
            spec = replace(spec, base=None)
        layered = LayeredSolver(self.solver, {spec.name: spec}, lambda _v, _p: conda)
        solved = layered.solve(spec, platform, base=base)
        # pip packages are not solved again: the lock records no edges between them, so a dropped pip
        # requirement takes only its own wheel, exactly what the graph says.
        after = solved + [p for p in packages if p.is_pip and p.name not in set(graph_leaves)]
        return replace(compare(packages, after, graph_leaves, measure), base_changes=base_changes)


def compare(
    before: Sequence[LockedPackage],
    after: Sequence[LockedPackage],
    graph_leaves: Sequence[str],
    measure: Measure,
) -> Resolved:
    """The solve against the lock: what it frees in the measure, and where it departs from the graph."""
    sizes = measure([*before, *after])
    old = {p.name: p for p in before}
    new = {p.name: p for p in after}
    removed = sorted(old.keys() - new.keys())
    changed = sorted(
        f"{n} {old[n].version} {old[n].build} -> {new[n].version} {new[n].build}"
        for n in old.keys() & new.keys()
        if old[n].url != new[n].url
    )
    leaves = set(graph_leaves)
    before_sizes = [sizes.get(p.url) for p in before]
    after_sizes = [sizes.get(p.url) for p in after]
    unknown = sum(v is None for v in before_sizes + after_sizes)
    return Resolved(
        frees=Total(
            sum(v or 0 for v in before_sizes) - sum(v or 0 for v in after_sizes),
            unknown,
            len(before) + len(after),
        ),
        removed=tuple(removed),
        added=tuple(sorted(new.keys() - old.keys())),
        changed=tuple(changed),
        kept=tuple(sorted(leaves - set(removed))),
        also_removed=tuple(sorted(set(removed) - leaves)),
    )
