"""The deciding and solving stage of a lock run, one chain of (variant, platform) pairs at a time.

A chain is a variant without a base and every variant built on it, on one platform: an extension is hashed
and pinned against its base's lock on the same platform, and a base is solved preferring its extensions' free
solutions there, so a chain is worked in base-first order. Chains share nothing but the solver (one gateway:
repodata is read once per channel and platform), so they run in parallel: rattler solves in Rust, without
holding the GIL. Nothing is written here; the run writes once every chain is done.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from envsplit.errors import InputError, SolveError
from envsplit.inputs.compose import _pip_name
from envsplit.lockfile.lockdir import LockDir
from envsplit.locking.cutoff import ExcludeNewer, SolveCutoff, now_utc
from envsplit.locking.input_hash import input_hash
from envsplit.locking.layering import LayeredSolver
from envsplit.locking.plan import LockOptions
from envsplit.locking.solver import Solver
from envsplit.models import Dependency, LockedPackage, VariantSpec

if TYPE_CHECKING:
    from envsplit.locking.layering_cost import LayeringCost
    from envsplit.locking.pip_step import PipStep
    from envsplit.locking.prefer_from import Published
    from envsplit.pip.resolve import PipPackage

Key = tuple[str, str]  # (variant, platform)
Chain = list[tuple[VariantSpec, str]]


@dataclass
class Pair:
    """What the run decided, and found, for one (variant, platform)."""

    spec: VariantSpec
    platform: str
    # "fresh", "stale" (--check: not solved), "solve", or "blocked" (its base has no usable lock there)
    action: str
    why: str = ""
    digest: str = ""
    packages: list[LockedPackage] | None = None  # the solution, when solved
    lines: list[str] | None = None  # its explicit lines, in install order
    error: str = ""  # the solver's explanation, when it failed
    pip: tuple[PipPackage, ...] | None = (
        None  # every pip package (its base's too), when solved with pip entries
    )
    costs: tuple[LayeringCost, ...] = ()  # what its base costs an extension solved now

    @property
    def failed(self) -> bool:
        return self.action == "solve" and self.packages is None


def chains(plan: Sequence[tuple[VariantSpec, Sequence[str]]]) -> list[Chain]:
    """The independent chains of ``plan`` (base-first), each in base-first order."""
    root: dict[str, str] = {}
    out: dict[Key, Chain] = {}
    for spec, platforms in plan:
        root[spec.name] = root[spec.base] if spec.base is not None else spec.name
        for platform in platforms:
            out.setdefault((root[spec.name], platform), []).append((spec, platform))
    return list(out.values())


class _Stopped(Exception):
    """The run failed elsewhere (bad input, an interrupt): this chain stops at its next pair."""


class Stage:
    """Decides fresh, stale or solve for every planned pair and solves those that need it."""

    def __init__(
        self,
        options: LockOptions,
        specs: Mapping[str, VariantSpec],
        dirs: Mapping[str, LockDir],
        solver: Callable[[], Solver],
        begin: Callable[[str, str], None],
        pip: PipStep | None = None,
        cutoff: ExcludeNewer | None = None,
        strict_layering: bool = False,
    ) -> None:
        self.options = options
        self.strict_layering = strict_layering
        self.published: Published | None = None  # --prefer-from's builds, set by the run
        self.standalone_seconds = 0.0  # spent on the standalone solves that price layering
        self.cutoff = cutoff
        self._now = options.now or now_utc()  # one clock reading per run: every duration resolves alike
        self._instants: dict[Key, datetime] = {}
        self.pip = pip
        self.specs = specs
        self.dirs = dirs
        self._solver = solver
        self.begin = begin
        self.layered = LayeredSolver(_Lazy(solver), specs, self.previous, self.solve_cutoff)
        self._names = threading.Lock()
        self._names_checked = False
        self._stop = threading.Event()
        self.done: dict[Key, Pair] = {}  # filled by the chains as they go
        self._error: BaseException | None = None  # the first failure of any chain

    @contextmanager
    def running(
        self, plan: Sequence[tuple[VariantSpec, Sequence[str]]], jobs: int
    ) -> Iterator[dict[Key, Future[Pair]]]:
        """Start the chains of ``plan``, ``jobs`` at a time; each pair's future is set when it is done.

        The caller settles and writes variants while later chains still solve: rattler works without the GIL.
        With ``jobs`` 0 every pair is decided here and now, in plan order.
        """
        pending: dict[Key, Future[Pair]] = {(s.name, p): Future() for s, platforms in plan for p in platforms}
        if jobs < 1:
            self.work([(s, p) for s, platforms in plan for p in platforms], pending)
            yield pending
            return
        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="envsplit-chain")
        try:
            for chain in chains(plan):
                pool.submit(self.work, chain, pending)
            yield pending
        finally:
            self._stop.set()  # when the caller fails, the chains stop at their next pair
            pool.shutdown(wait=True, cancel_futures=True)

    def work(self, chain: Chain, pending: dict[Key, Future[Pair]]) -> None:
        try:
            for spec, platform in chain:
                if self._stop.is_set():
                    raise _Stopped
                pair = self.decide(spec, platform, self.done)
                if pair.action == "solve":
                    self.solve(pair, self.done)
                self.done[spec.name, platform] = pair
                pending[spec.name, platform].set_result(pair)
        except BaseException as exc:  # the caller sees the first failure on the first pair it waits for
            with self._names:
                if self._error is None and not isinstance(exc, _Stopped):
                    self._error = exc
                self._stop.set()
            for spec, platform in chain:
                if not pending[spec.name, platform].done():
                    pending[spec.name, platform].set_exception(self._error or exc)

    def decide(self, spec: VariantSpec, platform: str, done: Mapping[Key, Pair]) -> Pair:
        base_lines = None
        if spec.base is not None:
            base_lines = self.base_lines(spec, platform, done)
            if base_lines is None:
                return Pair(spec, platform, "blocked")
        digest = self.digest(spec, platform, base_lines, done)
        why = self.why_stale(spec, platform, digest, base_lines)
        if not why:
            return Pair(spec, platform, "fresh", digest=digest)
        return Pair(spec, platform, "stale" if self.options.check else "solve", why, digest)

    def solve_again(
        self, spec: VariantSpec, platform: str, why: str, done: Mapping[Key, Pair]
    ) -> Pair | None:
        """Solve a platform the plan carried over (its lock could not be read); None if its base has none."""
        base_lines = self.base_lines(spec, platform, done) if spec.base is not None else None
        if spec.base is not None and base_lines is None:
            return None
        digest = self.digest(spec, platform, base_lines, done)
        pair = Pair(spec, platform, "solve", why, digest)
        self.solve(pair, done)
        return pair

    def digest(
        self, spec: VariantSpec, platform: str, base_lines: list[str] | None, done: Mapping[Key, Pair]
    ) -> str:
        cutoff = self.cutoff.hash_payload() if self.cutoff is not None else None
        return input_hash(spec, platform, base_lines, self.pip_inputs(spec, platform, done), cutoff)

    def instant(self, name: str, platform: str) -> datetime | None:
        """The resolved cutoff of (variant, platform): the one its lock records when the configured value is
        unchanged and the run does not move forward (--update, --force, refresh); else resolved now."""
        if self.cutoff is None:
            return None
        key = (name, platform)
        if key not in self._instants:
            reused = None
            if self.options.update is None and not self.options.force:
                from envsplit.lockfile.header import read_cutoffs

                reused = self.cutoff.reuse(read_cutoffs(self.dirs[name].lock_path).get(platform))
            self._instants[key] = reused or self.cutoff.resolve(self._now)
        return self._instants[key]

    def solve_cutoff(self, name: str, platform: str) -> SolveCutoff | None:
        instant = self.instant(name, platform)
        return SolveCutoff(instant, self.cutoff.exempt) if instant is not None and self.cutoff else None

    def recorded_cutoff(self, name: str, platform: str) -> str:
        """What the header records for a platform solved now: "" without a cutoff."""
        instant = self.instant(name, platform)
        return self.cutoff.recorded(instant) if instant is not None and self.cutoff else ""

    def base_lines(self, spec: VariantSpec, platform: str, done: Mapping[Key, Pair]) -> list[str] | None:
        """The lines of ``spec``'s base on ``platform`` as they stand after this run; None if it has none."""
        assert spec.base is not None
        base = done.get((spec.base, platform))
        if base is not None and base.action != "fresh":
            return base.lines  # solved now, or None: failed, stale or blocked
        return self.trusted_lines(self.specs[spec.base], platform)

    def pip_inputs(self, spec: VariantSpec, platform: str, done: Mapping[Key, Pair]) -> dict[str, Any] | None:
        """The pip step's part of the input hash; None for a variant without pip entries."""
        if not spec.pip or self.pip is None:
            return None
        from envsplit.locking.pip_step import pip_lines_digest

        base: list[str] = []
        if spec.base is not None:
            solved = done.get((spec.base, platform))
            if solved is not None and solved.action != "fresh":
                base = [f"{p.name}=={p.version} --hash=sha256:{p.sha256}" for p in solved.pip or ()]
            else:
                base = self.dirs[spec.base].pip_lines(platform)
        return {**self.pip.hash_inputs, "entries": sorted(spec.pip), "base": pip_lines_digest(base)}

    def base_pip(self, spec: VariantSpec, platform: str, done: Mapping[Key, Pair]) -> tuple[PipPackage, ...]:
        """The pip packages of ``spec``'s base on ``platform`` as they stand after this run."""
        if spec.base is None:
            return ()
        solved = done.get((spec.base, platform))
        if solved is not None and solved.action != "fresh":
            return solved.pip or ()
        return self.dirs[spec.base].pip_packages(platform)

    def trusted_lines(self, spec: VariantSpec, platform: str) -> list[str] | None:
        """The lines of ``spec``'s lock on disk when its files are intact and agree; else None."""
        folder = self.dirs[spec.name]
        if not folder.intact(platform) or self.forged(spec, platform):
            return None
        return folder.lines(platform)

    def forged(self, spec: VariantSpec, platform: str, base_lines: Sequence[str] | None = None) -> str:
        if spec.base is not None and base_lines is None:
            base_lines = self.trusted_lines(self.specs[spec.base], platform)
            if base_lines is None:
                return f"its base {spec.base!r} has no trusted lock for {platform}"
        return self.dirs[spec.name].forged(platform, spec.channels, base_lines)

    def why_stale(self, spec: VariantSpec, platform: str, digest: str, base_lines: list[str] | None) -> str:
        """Why (variant, platform) must be solved again; "" when its lock is fresh."""
        if self.options.force:
            return "--force"
        if self.updating(spec.name, platform):
            return "--update"
        why = self.dirs[spec.name].problem(platform, digest)
        if why:
            return why
        forged = self.forged(spec, platform, base_lines)
        if forged and self.options.check:  # a forgery is an error, not a stale lock
            from envsplit.lockfile.verify import ADVICE

            raise InputError(f"{forged}; {ADVICE}")
        return forged

    def updating(self, name: str, platform: str) -> bool:
        update = self.options.update
        if update is None:
            return False
        if not update:
            return True
        folder = self.dirs[name]
        pip = {ln.partition("==")[0] for ln in folder.pip_lines(platform)} if folder.has_pip else set()
        return any(p.name in update for p in folder.locked(platform)) or any(
            _pip_name(n) in pip for n in update
        )

    def previous(self, name: str, platform: str) -> list[LockedPackage]:
        """The builds to keep where the specs allow: the current lock, less what --update frees."""
        update = self.options.update
        current = (
            []
            if update == ()
            else [p for p in self.dirs[name].locked(platform) if update is None or p.name not in update]
        )
        if self.published is None:
            return current
        # --prefer-from: the published builds first (the user asked for them), then the current lock's;
        # --update NAMES frees those names from both
        published = [p for p in self.published.builds(name, platform) if not update or p.name not in update]
        return [*published, *current]

    def solve(self, pair: Pair, done: Mapping[Key, Pair]) -> None:
        """Solve ``pair`` (its base pinned as locked on the same platform); a failure is kept on the pair."""
        from envsplit.lockfile.conda_lock_yml import explicit_lines

        self.check_names()
        spec, platform = pair.spec, pair.platform
        self.begin(spec.name, platform)
        base: list[LockedPackage] = []
        if spec.base is not None:
            solved = done.get((spec.base, platform))
            if solved is not None and solved.packages is not None:
                base = solved.packages
            else:
                base = self.dirs[spec.base].packages(platform)
        try:
            packages = self.layered.solve(spec, platform, base)
        except SolveError as exc:
            pair.error = exc.explanation
            return
        if spec.base is not None:
            pair.costs = self.price(spec, platform, packages, base)
            if pair.costs and self.strict_layering:
                pair.error = "\n".join(c.message() for c in pair.costs) + (
                    "\n--strict-layering (or 'strict-layering: true'): nothing is written for this variant. "
                    f"Relock the base preferring its extensions ('envsplit lock --force --variant {spec.base}'), "
                    "or loosen what the base pins."
                )
                return
        pair.packages = packages
        # A re-solve that found what is locked keeps the file's order: no conda-lock import to order it again.
        pair.lines = self.dirs[spec.name].same_lines(platform, pair.packages) or explicit_lines(pair.packages)
        if (
            spec.pip and self.pip is not None
        ):  # bad pip input is an InputError: the run stops, writing nothing
            pair.pip = self.pip.resolve(spec, platform, pair.packages, self.base_pip(spec, platform, done))

    def price(
        self, spec: VariantSpec, platform: str, packages: list[LockedPackage], base: list[LockedPackage]
    ) -> tuple[LayeringCost, ...]:
        """What the base costs ``spec`` on ``platform``, against a standalone solve (timed: it is extra work)."""
        from envsplit.locking.layering_cost import layering_costs

        assert spec.base is not None
        started = time.perf_counter()
        alone = self.layered.standalone(spec, platform)
        with self._names:
            self.standalone_seconds += time.perf_counter() - started
        if alone is None:
            return ()
        return tuple(layering_costs(spec, self.specs[spec.base], platform, packages, alone, base))

    def check_names(self) -> None:
        """Once, before the first solve (see :func:`check_names`); the other chains wait for it."""
        with self._names:
            if not self._names_checked:
                if not all(folder.exists() for folder in self.dirs.values()):
                    # A first lock writes: conda-lock (most of a second to import) loads while rattler works.
                    from envsplit.lockfile.conda_lock_yml import preload

                    threading.Thread(target=preload, daemon=True).start()
                check_names(self._solver(), self.specs.values())
                self._names_checked = True

    from envsplit.lockfile import conda_lock_yml


class _Lazy:
    """The solver, made on the first solve: a no-op run never imports rattler."""

    def __init__(self, make: Callable[[], Solver]) -> None:
        self._make = make

    def solve(
        self,
        variant: VariantSpec,
        platform: str,
        pinned: Sequence[LockedPackage] = (),
        preferred: Sequence[LockedPackage] = (),
        cutoff: SolveCutoff | None = None,
    ) -> list[LockedPackage]:
        if cutoff is None:
            return self._make().solve(variant, platform, pinned, preferred)
        return self._make().solve(variant, platform, pinned, preferred, cutoff=cutoff)

    def unknown_names(self, variant: VariantSpec, platform: str) -> dict[str, list[str]]:
        return self._make().unknown_names(variant, platform)

    def close(self) -> None:
        pass


def _unknown_names(
    solver: Solver, specs: list[VariantSpec]
) -> dict[tuple[tuple[str, ...], str], dict[str, list[str]]]:
    """(channels, platform) -> the unknown names: one query per channel list and platform, for every variant."""
    wanted: dict[tuple[tuple[str, ...], str], dict[str, Dependency]] = {}
    first: dict[tuple[str, ...], VariantSpec] = {}
    for spec in specs:
        first.setdefault(spec.channels, spec)
        for platform in spec.platforms:
            wanted.setdefault((spec.channels, platform), {}).update({d.name: d for d in spec.dependencies})
    return {
        (channels, platform): solver.unknown_names(
            replace(first[channels], dependencies=tuple(deps.values())), platform
        )
        for (channels, platform), deps in wanted.items()
    }


def check_names(solver: Solver, specs: Iterable[VariantSpec]) -> None:
    """A package no channel has is a typo, bad input, and nothing is written.

    Every planned variant is checked, extensions included, because a base is solved preferring what
    its extensions pick: a typo there would otherwise change the base before being reported.
    """
    specs = list(specs)
    unknowns = _unknown_names(solver, specs)
    # (where written, name) -> channels searched, platforms missing it, close matches
    found: dict[tuple[str, str], tuple[list[str], list[str], list[str]]] = {}
    for spec in specs:
        for platform in spec.platforms:
            unknown = unknowns[spec.channels, platform]
            for dep in spec.dependencies:
                if dep.name in unknown:
                    channels, platforms, close = found.setdefault((dep.origin, dep.name), ([], [], []))
                    channels.extend(c for c in spec.channels if c not in channels)
                    platforms.extend([platform] if platform not in platforms else [])
                    close.extend(m for m in unknown[dep.name] if m not in close)
    messages = []
    for (origin, name), (channels, platforms, close) in found.items():
        hint = f"; did you mean {' or '.join(repr(m) for m in close)}?" if close else "; check the spelling"
        messages.append(
            f"{origin}: no package {name!r} in {', '.join(channels)} for {', '.join(platforms)}{hint}"
        )
    if messages:
        raise InputError("\n".join(messages))
