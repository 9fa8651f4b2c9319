"""Orchestration of ``envsplit lock``: which (variant, platform) pairs are stale, solving them, writing locks.

No click here: the CLI is a thin layer over :func:`lock`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from . import lockfile
from ._yaml import display_path
from .channels import canonical_url
from .compose import compose, variant_order
from .errors import InputError, SolveError
from .fetch import tell_once
from .fsutil import unchanged
from .hashing import input_hash
from .layering import LayeredSolver
from .lockfile import explicit, header, verify
from .models import LockedPackage, Project, VariantSpec
from .plan import LockOptions, check_update_names, select
from .solve import Solver

# Marks a reason for staleness that is a forgery, not an edit: --check reports it as an error.
_FORGED = "forged: "


@dataclass(frozen=True)
class PairResult:
    variant: str
    platform: str
    status: str  # "locked", "unchanged", "stale", "failed"
    detail: str = ""


@dataclass
class LockReport:
    results: list[PairResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> list[PairResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def stale(self) -> list[PairResult]:
        return [r for r in self.results if r.status == "stale"]

    @property
    def solved(self) -> int:
        return sum(r.status == "locked" for r in self.results)


class Reporter(Protocol):
    def start(self, total: int) -> None: ...
    def begin(self, variant: str, platform: str) -> None: ...
    def done(self, result: PairResult) -> None: ...
    def warn(self, message: str) -> None: ...


class SilentReporter:
    def start(self, total: int) -> None:
        pass

    def begin(self, variant: str, platform: str) -> None:
        pass

    def done(self, result: PairResult) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


def default_cache_dir() -> Path:
    env = os.environ.get("ENVSPLIT_CACHE_DIR")
    if env:
        return Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("envsplit")) / "repodata"


class _Run:
    """One ``lock`` invocation; holds what later variants need from earlier ones (bases before extensions)."""

    def __init__(
        self,
        project: Project,
        options: LockOptions,
        reporter: Reporter,
        specs: dict[str, VariantSpec],
        solver_factory: Callable[[], Solver] | None,
    ) -> None:
        self.project = project
        self.options = options
        self.reporter = reporter
        self.specs = specs
        self.solver_factory = solver_factory
        self._solver: Solver | None = None
        self._layered: LayeredSolver | None = None
        self.report = LockReport()
        # variant -> platform -> explicit package lines, for variants whose lock is final in this run
        self.lines: dict[str, dict[str, list[str]]] = {}
        self.packages: dict[str, dict[str, list[LockedPackage]]] = {}
        self.broken: set[str] = set()  # variants that failed or are stale in --check mode
        self.names_checked = False
        self._told: set[str] = set()  # channel failures already reported in full
        self._pins: dict[str, verify.Pins] = {}  # variant -> its conda-lock.yml's pins, read once per run

    @property
    def solver(self) -> Solver:
        if self._solver is None:
            if self.solver_factory is None:
                from .solve import rattler_solver

                cache = self.options.cache_dir or default_cache_dir()
                mirrors = {**self.project.mirrors, **self.options.mirrors}
                self._solver = rattler_solver(mirrors, str(cache), str(self.project.root))
            else:
                self._solver = self.solver_factory()
        return self._solver

    @property
    def layered(self) -> LayeredSolver:
        if self._layered is None:
            self._layered = LayeredSolver(self.solver, self.specs, self._previous)
        return self._layered

    def close(self) -> None:
        if self._solver is not None:
            self._solver.close()

    def _path(self, variant: str, name: str) -> Path:
        return lockfile.variant_dir(self.project.output, variant) / name

    def base_lines(self, base: str, platform: str) -> list[str] | None:
        if base in self.broken:
            return None
        if base in self.lines and platform in self.lines[base]:
            return self.lines[base][platform]
        path = self._path(base, lockfile.explicit_name(platform))
        if not header.intact(path) or self._forged(self.specs[base], platform):
            return None
        lines = explicit.package_lines(path)
        self.lines.setdefault(base, {})[platform] = lines
        return lines

    def lock_variant(self, spec: VariantSpec, platforms: Sequence[str]) -> None:
        on_disk = header.read_hashes(self._path(spec.name, lockfile.LOCK_NAME))
        hashes: dict[str, str] = {}
        stale: dict[str, str] = {}  # platform -> why it needs a solve
        for platform in spec.platforms:
            base_lines = None
            if spec.base is not None:
                base_lines = self.base_lines(spec.base, platform)
                if base_lines is None:
                    if platform in platforms:
                        self._base_missing(spec, platform)
                    continue
            hashes[platform] = input_hash(spec, platform, base_lines)
            if platform in platforms:
                why = self._why_stale(spec, platform, hashes[platform], on_disk)
                if why:
                    stale[platform] = why
        if spec.name in self.broken:
            return
        extra = sorted(set(on_disk) - set(spec.platforms))
        if not stale and not extra:
            for platform in platforms:
                self._finish(spec.name, platform, "unchanged")
            return
        if self.options.check:
            for platform in platforms:
                self._finish(
                    spec.name,
                    platform,
                    *(("stale", stale[platform]) if platform in stale else ("unchanged",)),
                )
            for platform in extra:
                self._finish(spec.name, platform, "stale", "platform no longer in the variant")
            self.broken.add(spec.name)
            return
        # Platforms not selected this run keep their lock and their recorded hash (so stale stays stale).
        carried = {p: on_disk[p] for p in spec.platforms if p not in stale and p in on_disk}
        kept: dict[str, list[LockedPackage]] = {}
        if carried:
            from .lockfile import conda_lock_yml

            try:
                existing = conda_lock_yml.read(self._path(spec.name, lockfile.LOCK_NAME))
                kept = {p: existing[p] for p in carried if p in existing}
            except InputError as exc:  # an unreadable lock: solve those platforms too rather than lose them
                self.reporter.warn(f"{exc}; solving {', '.join(sorted(carried))} of {spec.name!r} again")
            for p in carried:
                if p not in kept and p in hashes:
                    stale[p] = "its lock could not be read"
        if not self.names_checked:
            self.check_names()
            self.names_checked = True
        solved = self._solve_all(spec, [p for p in spec.platforms if p in stale])
        if solved is None:
            return  # nothing of a failed variant is written
        self._write(spec, solved, kept, {**carried, **{p: hashes[p] for p in solved}}, on_disk, extra)
        for platform in platforms:
            if platform in solved:
                self._finish(spec.name, platform, "locked", f"{len(solved[platform])} packages")
            else:
                self._finish(spec.name, platform, "unchanged")

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

    def _why_stale(self, spec: VariantSpec, platform: str, digest: str, on_disk: dict[str, str]) -> str:
        """Why (variant, platform) must be solved again; "" when its lock is fresh."""
        if self.options.force:
            return "--force"
        if self._updating(spec.name, platform):
            return "--update"
        why = self._files_stale(spec, platform, digest, on_disk)
        if why.startswith(_FORGED) and self.options.check:
            raise InputError(why.removeprefix(_FORGED) + f"; {verify.ADVICE}")
        return why.removeprefix(_FORGED)

    def _files_stale(self, spec: VariantSpec, platform: str, digest: str, on_disk: dict[str, str]) -> str:
        """What is wrong with the lock files of (variant, platform) for inputs hashing to ``digest``."""
        files = [lockfile.LOCK_NAME, lockfile.explicit_name(platform)]
        if spec.base is not None:
            files.append(lockfile.layer_name(platform))
        for name in files:
            path = self._path(spec.name, name)
            if not path.exists():
                return f"{display_path(path)} is missing" if platform in on_disk else "not locked yet"
            problem = header.tampered(path)
            if problem:
                return f"{display_path(path)} {problem}"
            if header.read_hashes(path).get(platform) != digest:
                return (
                    "inputs changed since the lock was written" if platform in on_disk else "not locked yet"
                )
        forged = self._forged(spec, platform)
        return _FORGED + forged if forged else ""

    def _forged(self, spec: VariantSpec, platform: str) -> str:
        """Why the intact files of (variant, platform) still disagree with each other or the channels; "" if not.

        Every file's own digest can be recomputed by anyone, so this is what makes a forged URL visible.
        """
        path = self._path(spec.name, lockfile.LOCK_NAME)
        try:
            if spec.name not in self._pins:
                self._pins[spec.name] = verify.read_pins(path)
            base_lines = None
            if spec.base is not None:
                base_lines = self.base_lines(spec.base, platform)
                if base_lines is None:
                    return f"its base {spec.base!r} has no trusted lock for {platform}"
            problem = verify.check_platform(
                path.parent,
                platform,
                self._pins[spec.name].get(platform, {}),
                [canonical_url(c) for c in spec.channels],
                base_lines,
            )
        except InputError as exc:
            return str(exc)
        return problem or ""

    def _solve_all(self, spec: VariantSpec, platforms: list[str]) -> dict[str, list[LockedPackage]] | None:
        solved: dict[str, list[LockedPackage]] = {}
        failed: dict[str, str] = {}
        for platform in platforms:
            self.reporter.begin(spec.name, platform)
            base: list[LockedPackage] = []
            if spec.base is not None:
                base = self.packages.get(spec.base, {}).get(platform) or explicit.packages(
                    self._path(spec.base, lockfile.explicit_name(platform))
                )
            try:
                solved[platform] = self.layered.solve(spec, platform, base)
            except SolveError as exc:
                failed[platform] = exc.explanation
        if not failed:
            return solved
        self.broken.add(spec.name)
        for platform in platforms:
            detail = failed.get(platform) or f"not written: {spec.name!r} failed on {', '.join(failed)}"
            self._finish(spec.name, platform, "failed", detail)
        return None

    def check_names(self) -> None:
        """Before the first solve: a package no channel has is a typo, bad input, and nothing is written.

        Every planned variant is checked, extensions included, because a base is solved preferring what
        its extensions pick: a typo there would otherwise change the base before being reported.
        """
        # (where written, name) -> channels searched, platforms missing it, close matches
        found: dict[tuple[str, str], tuple[list[str], list[str], list[str]]] = {}
        for spec in self.specs.values():
            for platform in spec.platforms:
                unknown = self.solver.unknown_names(spec, platform)
                for dep in spec.dependencies:
                    if dep.name in unknown:
                        channels, platforms, close = found.setdefault((dep.origin, dep.name), ([], [], []))
                        channels.extend(c for c in spec.channels if c not in channels)
                        platforms.extend([platform] if platform not in platforms else [])
                        close.extend(m for m in unknown[dep.name] if m not in close)
        messages = []
        for (origin, name), (channels, platforms, close) in found.items():
            hint = (
                f"; did you mean {' or '.join(repr(m) for m in close)}?" if close else "; check the spelling"
            )
            messages.append(
                f"{origin}: no package {name!r} in {', '.join(channels)} for {', '.join(platforms)}{hint}"
            )
        if messages:
            raise InputError("\n".join(messages))

    def _locked(self, name: str, platform: str) -> list[LockedPackage]:
        """The packages of the current lock; an unreadable lock is no preference (it gets rewritten)."""
        path = self._path(name, lockfile.explicit_name(platform))
        if not path.exists():
            return []
        try:
            return explicit.packages(path)
        except InputError:
            return []

    def _updating(self, name: str, platform: str) -> bool:
        update = self.options.update
        if update is None:
            return False
        return not update or any(p.name in update for p in self._locked(name, platform))

    def _previous(self, name: str, platform: str) -> list[LockedPackage]:
        """The builds to keep where the specs allow: the current lock, less what --update frees."""
        update = self.options.update
        if update == ():
            return []
        return [p for p in self._locked(name, platform) if update is None or p.name not in update]

    def _write(
        self,
        spec: VariantSpec,
        solved: dict[str, list[LockedPackage]],
        kept: dict[str, list[LockedPackage]],
        hashes: dict[str, str],
        on_disk: dict[str, str],
        extra: list[str],
    ) -> None:
        from .fsutil import write_files
        from .lockfile.writer import render_variant

        self.packages[spec.name] = solved
        if not extra and all(
            not self._files_stale(spec, p, hashes[p], on_disk)
            and set(explicit.package_lines(self._path(spec.name, lockfile.explicit_name(p))))
            == {pkg.explicit_line() for pkg in pkgs}
            for p, pkgs in solved.items()
        ):
            return  # a re-solve that found what is locked: keep the files (and skip conda-lock entirely)
        rendered = render_variant(
            self.project,
            spec,
            {**kept, **solved},
            {p: hashes[p] for p in {**kept, **solved}},
            set(solved),
            lambda platform: self.base_lines(spec.base, platform) or [] if spec.base else [],
        )
        for platform, lines in rendered.lines.items():
            self.lines.setdefault(spec.name, {})[platform] = lines
        # Identical content is not rewritten: mtimes stay, and the summary counts real changes.
        files = {p: t for p, t in rendered.files.items() if not unchanged(p, t)}
        write_files(files, root=self.project.root)
        for platform in extra:
            for name in (lockfile.explicit_name(platform), lockfile.layer_name(platform)):
                self._path(spec.name, name).unlink(missing_ok=True)
        self.report.written.extend(sorted(files))

    def _finish(self, variant: str, platform: str, status: str, detail: str = "") -> None:
        if status == "failed":
            detail = tell_once(detail, self._told)
        result = PairResult(variant, platform, status, detail)
        self.report.results.append(result)
        self.reporter.done(result)


def lock(
    project: Project,
    options: LockOptions,
    reporter: Reporter | None = None,
    solver_factory: Callable[[], Solver] | None = None,
) -> LockReport:
    """Lock (or with ``check`` only inspect) every selected variant x platform."""
    if options.check and (options.force or options.update is not None):
        flag = "--force" if options.force else "--update"
        raise InputError(
            f"--check with {flag}: --check only reports stale locks and never solves; drop {flag}"
        )
    reporter = reporter or SilentReporter()
    plan = select(project, options)
    if options.update:
        check_update_names(project, options.update, plan)
    cache: dict[str, VariantSpec] = {}
    specs = {name: compose(project, name, cache) for name in variant_order(project)}
    run = _Run(project, options, reporter, specs, solver_factory)
    reporter.start(sum(len(p) for _, p in plan))
    try:
        for spec, platforms in plan:
            run.lock_variant(spec, platforms)
    finally:
        run.close()
    pip = sorted({p for spec, _ in plan for p in spec.pip})
    if pip and run.report.solved:  # said when locks are made, not on every no-op or --check
        run.report.warnings.append(
            "pip entries are kept in the composed variants but not locked yet: " + ", ".join(pip)
        )
        reporter.warn(run.report.warnings[-1])
    return run.report
