"""The lock run, ``lock_project``: plan, refuse bad input, decide and solve, write locks and Dockerfiles.

No click here: ``envsplit lock`` and ``envsplit refresh`` parse their options, call :func:`lock_project` and
print its outcome. Every input problem is refused before the first solve, so a refused run writes nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from envsplit.atomic import unchanged
from envsplit.errors import InputError
from envsplit.fetch import tell_once
from envsplit.inputs.compose import compose, variant_order
from envsplit.inputs.yaml_lines import display_path
from envsplit.lockfile.header import read_cutoffs
from envsplit.lockfile.lockdir import LockDir
from envsplit.locking.cutoff import effective
from envsplit.locking.outcome import Kept, Layering, LockOutcome, PairResult
from envsplit.locking.pip_step import PipStep, check_entries
from envsplit.locking.plan import LockOptions, check_update_names, leftovers, lock_paths, select
from envsplit.locking.reporter import Reporter, SerializedReporter, SilentReporter
from envsplit.locking.solve_chains import Pair, Stage, chains
from envsplit.locking.solver import Solver
from envsplit.models import LockedPackage, Project, VariantSpec

if TYPE_CHECKING:
    from envsplit.locking.layering_cost import LayeringCost
    from envsplit.pip.resolve import PipPackage

Plan = list[tuple[VariantSpec, list[str]]]


def default_cache_dir() -> Path:
    env = os.environ.get("ENVSPLIT_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("envsplit")) / "repodata"


def lock_project(
    project: Project,
    options: LockOptions,
    reporter: Reporter | None = None,
    solver_factory: Callable[[], Solver] | None = None,
) -> LockOutcome:
    """Lock (or with ``check`` only inspect) every selected variant x platform, then render the Dockerfiles.

    Bad input (flags, variant names, --update names, an edited Dockerfile, a path out of the project) is an
    InputError before anything is solved or written.
    """
    said = SerializedReporter(reporter or SilentReporter())
    plan, refused = _refuse(project, options)
    run = _Run(project, options, said, _Solvers(project, options, solver_factory))
    try:
        run.lock(plan)
    finally:
        run.close()
    if options.check:
        return LockOutcome(
            tuple(run.results), stale_dockerfiles=_check_dockerfiles(project, options, run, refused)
        )
    layering = Layering(tuple(run.costs), run.stage.standalone_seconds)
    rendered, warnings = _render(project, options, run)
    left = leftovers(project)
    warnings += [f"{display_path(p)} belongs to no variant of {project.config.name}; delete it" for p in left]
    if options.prefer_from is not None and not run.kept:
        warnings.append(
            "--prefer-from: nothing was solved (the locks are up to date); add --force to relock preferring "
            "the published builds"
        )
    for message in warnings:
        said.warn(message)
    written = (*run.written, *rendered)
    return LockOutcome(
        tuple(run.results),
        written,
        tuple(rendered),
        tuple(left),
        (*run.warnings, *warnings),
        layering=layering,
        preferred=tuple(run.kept),
    )


def _render(project: Project, options: LockOptions, run: _Run) -> tuple[list[Path], list[str]]:
    """The Dockerfiles and bake file of every variant that locked (or was fresh), and what was skipped."""
    failed = {r.variant for r in run.results if r.status == "failed"}
    locked = tuple(sorted({r.variant for r in run.results} - failed))
    if not options.dockerfiles or not locked:  # an empty selection would mean every variant
        return [], []
    from envsplit.render import write_dockerfiles

    rendered, skipped = write_dockerfiles(project, locked, skip_unlocked=True)
    return rendered, [
        f"Dockerfile.{n} not rendered: not every platform of {n!r} is locked yet" for n in skipped
    ]


def _refuse(project: Project, options: LockOptions) -> tuple[Plan, list[str]]:
    """The plan, once every input problem has been ruled out; and the refused Dockerfiles (for --check)."""
    from envsplit.atomic import check_inside
    from envsplit.render import refused_dockerfiles

    if options.check and (options.force or options.update is not None):
        flag = "--force" if options.force else "--update"
        raise InputError(
            f"--check with {flag}: --check only reports stale locks and never solves; drop {flag}"
        )
    plan = select(project, options)
    refused = refused_dockerfiles(project) if options.dockerfiles else []
    if refused and not options.check:
        raise InputError(refused[0])  # or the locks would be written and the Dockerfiles left behind
    if not options.check:
        docker = project.root / project.docker.output
        names = (
            [*(f"Dockerfile.{v}" for v in project.variants), "docker-bake.hcl"] if options.dockerfiles else []
        )
        check_inside([*lock_paths(project, plan), *(docker / n for n in names)], project.root)
    if options.update:
        check_update_names(project, options.update, plan)
    check_entries(project, [spec for spec, _ in plan])
    return plan, refused


def _check_dockerfiles(
    project: Project, options: LockOptions, run: _Run, refused: list[str]
) -> tuple[str, ...]:
    """--check: why the Dockerfiles differ from what the locks render (only asked when every lock is fresh)."""
    if not options.dockerfiles or options.variants or any(r.status == "stale" for r in run.results):
        return ()
    if refused:
        return tuple(refused)
    from envsplit.render import stale_dockerfiles

    return tuple(
        f"{display_path(p)}: not rendered from the current locks" for p in stale_dockerfiles(project)
    )


class _Solvers:
    """The run's one solver (one gateway, so repodata is read once), made on the first solve."""

    def __init__(self, project: Project, options: LockOptions, factory: Callable[[], Solver] | None) -> None:
        self._project = project
        self._options = options
        self._factory = factory
        self._solver: Solver | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Solver:
        with self._lock:
            if self._solver is None:
                self._solver = self._factory() if self._factory is not None else self._rattler()
            return self._solver

    def _rattler(self) -> Solver:
        from envsplit.locking.solver import rattler_solver

        cache = self._options.cache_dir or default_cache_dir()
        mirrors = {**self._project.mirrors, **self._options.mirrors}
        return rattler_solver(mirrors, str(cache), str(self._project.root))

    def close(self) -> None:
        if self._solver is not None:
            self._solver.close()


def jobs_for(options: LockOptions, independent: int) -> int:
    """How many chains to solve at once: ``--jobs``, else one per chain up to the CPU count.

    0 for --check: nothing is solved, and reading headers gains nothing from threads.
    """
    if options.check:
        return 0
    if options.jobs is not None:
        return max(1, options.jobs)
    return max(1, min(independent, os.cpu_count() or 1))


class _Run:
    """One run's state after the chains: each variant settled in base-first order, written at most once."""

    def __init__(self, project: Project, options: LockOptions, reporter: Reporter, solvers: _Solvers) -> None:
        self.project = project
        self.options = options
        self.reporter = reporter
        self.solvers = solvers
        self.specs = _compose_all(project)
        self.dirs = {n: LockDir(project.output, n, s.base, bool(s.pip)) for n, s in self.specs.items()}
        self.pip = PipStep(project, options.pypi_index)
        if any(s.pip for s in self.specs.values()):
            self.pip.hash_inputs  # noqa: B018 - a bad pypi-mapping file is refused before any solve
        cutoff = effective(project.exclude_newer, options.exclude_newer)
        strict = options.strict_layering or project.strict_layering
        self.stage = Stage(options, self.specs, self.dirs, solvers, reporter.begin, self.pip, cutoff, strict)
        self.costs: list[LayeringCost] = []
        self.kept: list[Kept] = []
        if options.prefer_from is not None:  # bad input: refused before anything is solved
            from envsplit.locking.prefer_from import read_published

            self.stage.published = read_published(options.prefer_from)
        self.results: list[PairResult] = []
        self.written: list[Path] = []
        self.warnings: list[str] = []
        self.broken: set[str] = set()  # variants that failed, or are stale in --check mode
        self.lines: dict[str, dict[str, list[str]]] = {}  # variant -> platform -> lines written this run
        self._told: set[str] = set()  # channel failures already reported in full

    def close(self) -> None:
        self.solvers.close()
        self.pip.close()

    def lock(self, plan: Plan) -> None:
        self.reporter.start(sum(len(p) for _, p in plan))
        with self.stage.running(plan, jobs_for(self.options, len(chains(plan)))) as pending:
            if any(spec.pip for spec, _ in plan):
                # A pip entry's bad input shows only after its conda solve: wait for every pair before
                # writing anything, so that a refused run writes nothing.
                for spec, platforms in plan:
                    for p in platforms:
                        pending[spec.name, p].result()
            for spec, platforms in plan:  # base-first: a base is written before its extensions are settled
                self.settle(spec, [pending[spec.name, p].result() for p in platforms])

    def settle(self, spec: VariantSpec, pairs: list[Pair]) -> None:
        """Unchanged, stale, failed or locked: the results of ``spec``'s pairs, and its files written."""
        if spec.base in self.broken or any(p.action == "blocked" for p in pairs):
            for pair in pairs:
                if spec.base in self.broken or pair.action == "blocked":
                    self._base_missing(spec, pair.platform)
            return
        extra = sorted(set(self.dirs[spec.name].hashes) - set(spec.platforms))
        if all(p.action == "fresh" for p in pairs) and not extra:
            for pair in pairs:
                self._finish(spec.name, pair.platform, "unchanged")
        elif self.options.check:
            for pair in pairs:
                self._finish(spec.name, pair.platform, *(("stale", pair.why) if pair.why else ("unchanged",)))
            for platform in extra:
                self._finish(spec.name, platform, "stale", "platform no longer in the variant")
            self.broken.add(spec.name)
        else:
            self._relock(spec, pairs, extra)

    def _relock(self, spec: VariantSpec, pairs: list[Pair], extra: list[str]) -> None:
        self.stage.check_names()  # done by the first solve; a variant that only drops a platform asks here
        solved = {p.platform: p for p in pairs if p.action == "solve"}
        # Platforms not selected this run keep their lock and their recorded hash (so stale stays stale).
        on_disk = self.dirs[spec.name].hashes
        carried = {p: on_disk[p] for p in spec.platforms if p not in solved and p in on_disk}
        kept = self._kept(spec, carried, solved)
        failed = {p: pair.error for p, pair in solved.items() if pair.failed}
        if failed:
            self.broken.add(spec.name)  # nothing of a failed variant is written
            for platform in solved:
                detail = failed.get(platform) or f"not written: {spec.name!r} failed on {', '.join(failed)}"
                self._finish(spec.name, platform, "failed", detail)
            return
        self._write(spec, solved, kept, {**carried, **{p: pair.digest for p, pair in solved.items()}}, extra)
        if self.stage.published is not None:
            from envsplit.locking.prefer_from import kept_builds

            for platform, pair in sorted(solved.items()):
                count, total = kept_builds(
                    pair.packages or [], self.stage.published.builds(spec.name, platform)
                )
                self.kept.append(Kept(spec.name, platform, count, total))
        for pair in solved.values():
            for cost in pair.costs:
                self.costs.append(cost)
                self.warnings.append(cost.message())
                self.reporter.warn(cost.message())
        for pair in pairs:
            if pair.platform in solved:
                self._finish(spec.name, pair.platform, "locked", f"{len(pair.packages or [])} packages")
            else:
                self._finish(spec.name, pair.platform, "unchanged")

    def _kept(
        self, spec: VariantSpec, carried: dict[str, str], solved: dict[str, Pair]
    ) -> dict[str, list[LockedPackage]]:
        """The packages of the carried platforms; one whose lock cannot be read is solved too rather than lost."""
        if not carried:
            return {}
        try:
            existing = self.dirs[spec.name].read()
        except InputError as exc:
            self.reporter.warn(f"{exc}; solving {', '.join(sorted(carried))} of {spec.name!r} again")
            existing = {}
        kept = {p: existing[p] for p in carried if p in existing}
        for platform in carried:
            if platform not in kept:
                pair = self.stage.solve_again(spec, platform, "its lock could not be read", self.stage.done)
                if pair is not None:
                    solved[platform] = pair
        return kept

    def base_lines(self, spec: VariantSpec, platform: str) -> list[str]:
        """The lines of ``spec``'s base on ``platform`` as written (or kept) by this run."""
        assert spec.base is not None
        written = self.lines.get(spec.base, {}).get(platform)
        return (
            written
            if written is not None
            else self.stage.trusted_lines(self.specs[spec.base], platform) or []
        )

    def _same_as_locked(self, spec: VariantSpec, solved: dict[str, Pair]) -> bool:
        """Whether every re-solve found exactly what its intact files already hold."""
        folder = self.dirs[spec.name]
        for platform, pair in solved.items():
            base = self.base_lines(spec, platform) if spec.base is not None else None
            if folder.problem(platform, pair.digest) or self.stage.forged(spec, platform, base):
                return False
            if set(folder.lines(platform)) != {p.explicit_line() for p in pair.packages or []}:
                return False
            if spec.pip and _pip_key(folder.pip_packages(platform)) != _pip_key(pair.pip or ()):
                return False
            if self._cutoffs(spec, solved).get(platform, "") != read_cutoffs(folder.lock_path).get(
                platform, ""
            ):
                return False
        # pip files of a variant that has no pip entries any more are to be deleted
        return spec.pip != () or not any(f.exists() for p in spec.platforms for f in folder.pip_files(p))

    def _write(
        self,
        spec: VariantSpec,
        solved: dict[str, Pair],
        kept: dict[str, list[LockedPackage]],
        hashes: dict[str, str],
        extra: list[str],
    ) -> None:
        from envsplit.atomic import write_files
        from envsplit.lockfile.writer import render_variant

        if not extra and self._same_as_locked(spec, solved):
            return  # a re-solve that found what is locked: keep the files (and skip conda-lock entirely)
        packages = {**kept, **{p: pair.packages or [] for p, pair in solved.items()}}
        rendered = render_variant(
            self.project,
            spec,
            packages,
            {p: hashes[p] for p in packages},
            set(solved),
            lambda platform: self.base_lines(spec, platform) if spec.base else [],
            {p: pair.lines for p, pair in solved.items() if pair.lines is not None},
            self._pip(spec, solved, packages),
            lambda platform: self.stage.base_pip(spec, platform, self.stage.done),
            self._cutoffs(spec, solved),
        )
        self.lines[spec.name] = dict(rendered.lines)
        # Identical content is not rewritten: mtimes stay, and the summary counts real changes.
        files = {p: t for p, t in rendered.files.items() if not unchanged(p, t)}
        write_files(files, root=self.project.root)
        folder = self.dirs[spec.name]
        for platform in extra:
            for path in (folder.explicit(platform), folder.layer(platform), *folder.pip_files(platform)):
                path.unlink(missing_ok=True)
        if not spec.pip:  # its pip entries were all removed
            for path in (f for p in spec.platforms for f in folder.pip_files(p)):
                path.unlink(missing_ok=True)
        folder.forget()
        self.written.extend(sorted(files))

    def _cutoffs(self, spec: VariantSpec, solved: dict[str, Pair]) -> dict[str, str]:
        """Each platform's header cutoff: resolved now for a solved platform, as recorded for a carried one."""
        recorded = read_cutoffs(self.dirs[spec.name].lock_path)
        now = {p: self.stage.recorded_cutoff(spec.name, p) for p in solved}
        return {p: c for p, c in {**recorded, **now}.items() if c and p in spec.platforms}

    def _pip(
        self, spec: VariantSpec, solved: dict[str, Pair], packages: dict[str, list[LockedPackage]]
    ) -> dict[str, tuple[PipPackage, ...]] | None:
        """Each platform's pip packages: solved now, or kept from the files of a carried platform."""
        if not spec.pip:
            return None
        folder = self.dirs[spec.name]
        return {p: solved[p].pip or () if p in solved else folder.pip_packages(p) for p in packages}

    def _base_missing(self, spec: VariantSpec, platform: str) -> None:
        status = "stale" if self.options.check else "failed"
        if spec.base not in self.broken:
            why = f"its base {spec.base!r} has no lock for {platform} (run 'envsplit lock --variant {spec.base}')"
        elif self.options.check:
            why = f"its base {spec.base!r} is stale"
        else:
            why = f"its base {spec.base!r} could not be locked"
        self._finish(spec.name, platform, status, why)
        self.broken.add(spec.name)

    def _finish(self, variant: str, platform: str, status: str, detail: str = "") -> None:
        if status == "failed":
            detail = tell_once(detail, self._told)
        result = PairResult(variant, platform, status, detail)
        self.results.append(result)
        self.reporter.done(result)


def _pip_key(packages: Sequence[PipPackage]) -> list[tuple[str, str, str, str]]:
    return [(p.name, p.version, p.url, p.sha256) for p in packages]


def _compose_all(project: Project) -> dict[str, VariantSpec]:
    cache: dict[str, VariantSpec] = {}
    return {name: compose(project, name, cache) for name in variant_order(project)}
