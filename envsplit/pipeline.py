"""Orchestration of ``envsplit lock``: which (variant, platform) pairs are stale, solving them, writing locks.

No click here: the CLI is a thin layer over :func:`lock`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from . import lockfile
from .compose import base_chain, compose, variant_order
from .errors import InputError, SolveError
from .hashing import input_hash
from .lockfile import explicit, header
from .models import Dependency, LockedPackage, Project, VariantSpec
from .solve import Solver


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


def packages_from_explicit(lines: Sequence[str]) -> list[LockedPackage]:
    """Enough of each package to pin or prefer it: name, version and build come from the file name."""
    out = []
    for line in lines:
        url, _, md5 = line.partition("#")
        channel, subdir, file_name = url.rsplit("/", 2)
        stem = file_name.removesuffix(".conda").removesuffix(".tar.bz2")
        name, version, build = stem.rsplit("-", 2)
        out.append(LockedPackage(name, version, build, subdir, channel, url, md5, None, None, ()))
    return out


def _first_per_name(packages: Sequence[LockedPackage]) -> list[LockedPackage]:
    seen: dict[str, LockedPackage] = {}
    for p in packages:
        seen.setdefault(p.name, p)
    return list(seen.values())


def _regenerate(variant: str) -> str:
    return f"envsplit lock --variant {variant}"


class _Run:
    """One ``lock`` invocation; holds what later variants need from earlier ones (bases before extensions)."""

    def __init__(
        self,
        project: Project,
        options: LockOptions,
        reporter: Reporter,
        solver_factory: Callable[[], Solver] | None,
    ) -> None:
        self.project = project
        self.options = options
        self.reporter = reporter
        self.solver_factory = solver_factory
        self._solver: Solver | None = None
        self.report = LockReport()
        # variant -> platform -> explicit package lines, for variants whose lock is final in this run
        self.lines: dict[str, dict[str, list[str]]] = {}
        self.packages: dict[str, dict[str, list[LockedPackage]]] = {}
        self.broken: set[str] = set()  # variants that failed or are stale in --check mode
        self.free: dict[tuple[str, str], list[LockedPackage] | None] = {}
        self.specs: dict[str, VariantSpec] = {}

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

    def close(self) -> None:
        if self._solver is not None:
            self._solver.close()

    def base_lines(self, base: str, platform: str) -> list[str] | None:
        if base in self.broken:
            return None
        if base in self.lines and platform in self.lines[base]:
            return self.lines[base][platform]
        path = lockfile.variant_dir(self.project.output, base) / lockfile.explicit_name(platform)
        if not path.exists():
            return None
        lines = explicit.package_lines(path)
        self.lines.setdefault(base, {})[platform] = lines
        return lines

    def lock_variant(self, spec: VariantSpec, platforms: Sequence[str]) -> None:
        out_dir = lockfile.variant_dir(self.project.output, spec.name)
        lock_path = out_dir / lockfile.LOCK_NAME
        on_disk = header.read_hashes(lock_path)
        hashes: dict[str, str] = {}
        todo: list[str] = []
        for platform in spec.platforms:
            base_lines = None
            if spec.base is not None:
                base_lines = self.base_lines(spec.base, platform)
                if base_lines is None:
                    if platform in platforms:
                        status = "stale" if self.options.check else "failed"
                        if spec.base not in self.broken:
                            why = f"its base {spec.base!r} is not locked yet"
                        elif self.options.check:
                            why = f"its base {spec.base!r} is stale"
                        else:
                            why = f"its base {spec.base!r} could not be locked"
                        self._finish(spec.name, platform, status, why)
                        self.broken.add(spec.name)
                    continue
            digest = input_hash(spec, platform, base_lines)
            hashes[platform] = digest
            if platform in platforms and (
                self.options.force
                or self._updating(spec.name, platform)
                or not self._fresh(spec, platform, digest, on_disk)
            ):
                todo.append(platform)
        if spec.name in self.broken:
            return
        extra = set(on_disk) - set(spec.platforms)
        if not todo and not extra:
            for platform in platforms:
                self._finish(spec.name, platform, "unchanged")
            return
        if self.options.check:
            for platform in platforms:
                if platform in todo:
                    why = (
                        "inputs changed since the lock was written"
                        if platform in on_disk
                        else "not locked yet"
                    )
                    self._finish(spec.name, platform, "stale", why)
                    self.broken.add(spec.name)
                else:
                    self._finish(spec.name, platform, "unchanged")
            for platform in sorted(extra):
                self._finish(spec.name, platform, "stale", "platform no longer in the variant")
                self.broken.add(spec.name)
            return
        solved: dict[str, list[LockedPackage]] = {}
        for platform in todo:
            self.reporter.begin(spec.name, platform)
            try:
                solved[platform] = self._solve(spec, platform, out_dir)
            except SolveError as exc:
                self._finish(spec.name, platform, "failed", exc.explanation)
                self.broken.add(spec.name)
        if spec.name in self.broken:
            return  # nothing of a failed variant is written
        if extra or not all(self._same(spec, p, hashes[p], on_disk, pkgs) for p, pkgs in solved.items()):
            self._write(spec, solved, hashes, on_disk, out_dir, extra)
        else:  # a re-solve that found what is locked: keep the files (and skip conda-lock entirely)
            self.packages[spec.name] = solved
        for platform in platforms:
            if platform in solved:
                self._finish(spec.name, platform, "locked", f"{len(solved[platform])} packages")
            else:
                self._finish(spec.name, platform, "unchanged")

    def _same(
        self,
        spec: VariantSpec,
        platform: str,
        digest: str,
        on_disk: dict[str, str],
        solved: list[LockedPackage],
    ) -> bool:
        """Whether the lock on disk is fresh and holds exactly the ``solved`` packages."""
        if not self._fresh(spec, platform, digest, on_disk):
            return False
        path = lockfile.variant_dir(self.project.output, spec.name) / lockfile.explicit_name(platform)
        return set(explicit.package_lines(path)) == {p.explicit_line() for p in solved}

    def _fresh(self, spec: VariantSpec, platform: str, digest: str, on_disk: dict[str, str]) -> bool:
        out_dir = lockfile.variant_dir(self.project.output, spec.name)
        if on_disk.get(platform) != digest:
            return False
        files = [out_dir / lockfile.explicit_name(platform)]
        if spec.base is not None:
            files.append(out_dir / lockfile.layer_name(platform))
        return all(header.read_hashes(f).get(platform) == digest for f in files)

    def _locked(self, name: str, platform: str) -> list[LockedPackage]:
        path = lockfile.variant_dir(self.project.output, name) / lockfile.explicit_name(platform)
        return packages_from_explicit(explicit.package_lines(path)) if path.exists() else []

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

    def _free(self, spec: VariantSpec, platform: str) -> list[LockedPackage] | None:
        """``spec`` solved without pinning its base, preferring what its own extensions would choose.

        Bases are solved preferring their extensions' free solutions, so that the extension, once its
        base is pinned, usually finds everything it needs already in place. None if unsolvable.
        """
        key = (spec.name, platform)
        if key not in self.free:
            preferred = [
                p
                for child in self._children(spec.name, platform)
                for p in (self._free(child, platform) or [])
            ]
            preferred += self._previous(spec.name, platform)
            try:
                self.free[key] = self.solver.solve(spec, platform, preferred=_first_per_name(preferred))
            except SolveError:
                self.free[key] = None
        return self.free[key]

    def _children(self, name: str, platform: str) -> list[VariantSpec]:
        return [s for s in self.specs.values() if s.base == name and platform in s.platforms]

    def _solve(self, spec: VariantSpec, platform: str, out_dir: Path) -> list[LockedPackage]:
        if spec.base is None:
            result = self._free(spec, platform)
            if result is None:  # solve again to surface the solver's explanation
                preferred = _first_per_name(self._previous(spec.name, platform))
                result = self.solver.solve(spec, platform, preferred=preferred)
            return result
        base_lines = self.base_lines(spec.base, platform) or []
        pinned = self.packages.get(spec.base, {}).get(platform) or packages_from_explicit(base_lines)
        candidate = self._free(spec, platform)
        if candidate is not None and {p.url for p in pinned} <= {p.url for p in candidate}:
            return candidate  # already keeps every base package exactly
        # Pinning alone does not force a package in; naming every base package does.
        names = {d.name for d in spec.dependencies}
        forced = tuple(Dependency(p.name, p.name) for p in pinned if p.name not in names)
        pinned_spec = replace(spec, dependencies=spec.dependencies + forced)
        preferred = _first_per_name([*(candidate or []), *self._previous(spec.name, platform)])
        try:
            result = self.solver.solve(pinned_spec, platform, pinned=pinned, preferred=preferred)
        except SolveError as exc:
            raise SolveError(
                spec.name, platform, self._explain_pin_conflict(spec, platform, pinned, exc)
            ) from None
        urls = {p.url for p in result}
        missing = sorted(p.file_name for p in pinned if p.url not in urls)
        if missing:
            raise SolveError(
                spec.name, platform, f"base packages were not kept exactly: {', '.join(missing)}"
            )
        return result

    def _explain_pin_conflict(
        self, spec: VariantSpec, platform: str, pinned: list[LockedPackage], exc: SolveError
    ) -> str:
        """Name the base packages in the way by solving without the pins and comparing."""
        free = self._free(spec, platform)
        if free is None:
            return exc.explanation
        chosen = {p.name: p for p in free}
        lines = []
        for base_pkg in pinned:
            other = chosen.get(base_pkg.name)
            if other is None or (other.version, other.build) == (base_pkg.version, base_pkg.build):
                continue
            askers = sorted(
                f"{p.name} needs '{d}'" for p in free for d in p.depends if d.split()[0] == base_pkg.name
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

    def _write(
        self,
        spec: VariantSpec,
        solved: dict[str, list[LockedPackage]],
        hashes: dict[str, str],
        previous_hashes: dict[str, str],
        out_dir: Path,
        extra: set[str],
    ) -> None:
        from .lockfile import conda_lock_yml

        lock_path = out_dir / lockfile.LOCK_NAME
        packages = dict(solved)
        # Platforms not solved in this run (narrowed by --platform) are carried over from the existing lock.
        kept = [p for p in spec.platforms if p not in packages and p in hashes and p in previous_hashes]
        if kept:
            existing = conda_lock_yml.read(lock_path)
            packages.update({p: existing[p] for p in kept if p in existing})
        hashes = {p: hashes[p] for p in packages}
        sources = [os.path.relpath(self.project.environment.path, out_dir)] + [
            os.path.relpath(self.project.overlays[o].source.path, out_dir) for o in spec.overlays
        ]
        custom = {"envsplit_variant": spec.name}
        if spec.base:
            custom["envsplit_base"] = spec.base
        from .channels import canonical_url

        model = conda_lock_yml.build(
            packages, [canonical_url(c) for c in spec.channels], hashes, sources, custom
        )
        regen = _regenerate(spec.name)
        files: dict[Path, str] = {
            lock_path: conda_lock_yml.render(
                model, header.header(spec.name, hashes, "conda-lock unified lockfile", regen)
            )
        }
        for platform in sorted(packages):
            lines = conda_lock_yml.explicit_lines(model, platform)
            self.lines.setdefault(spec.name, {})[platform] = lines
            one = {platform: hashes[platform]}
            files[out_dir / lockfile.explicit_name(platform)] = explicit.render(
                header.header(spec.name, one, "explicit lockfile", regen), platform, lines
            )
            if spec.base is not None:
                base = set(self.base_lines(spec.base, platform) or [])
                layer = [ln for ln in lines if ln not in base]
                text = header.header(
                    spec.name, one, f"explicit layer: only what {spec.name!r} adds to {spec.base!r}", regen
                )
                files[out_dir / lockfile.layer_name(platform)] = explicit.render(text, platform, layer)
        self.packages[spec.name] = solved
        from .fsutil import write_files

        # Identical content is not rewritten: mtimes stay, and the summary counts real changes.
        files = {p: t for p, t in files.items() if not p.exists() or p.read_text(encoding="utf-8") != t}
        write_files(files)
        for platform in extra:
            for name in (lockfile.explicit_name(platform), lockfile.layer_name(platform)):
                (out_dir / name).unlink(missing_ok=True)
        self.report.written.extend(sorted(files))

    def _finish(self, variant: str, platform: str, status: str, detail: str = "") -> None:
        result = PairResult(variant, platform, status, detail)
        self.report.results.append(result)
        self.reporter.done(result)


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
    return plan


def _check_update_names(
    project: Project, names: tuple[str, ...], plan: list[tuple[VariantSpec, list[str]]]
) -> None:
    known: set[str] = set()
    for spec, platforms in plan:
        known.update(d.name for d in spec.dependencies)
        for platform in platforms:
            path = lockfile.variant_dir(project.output, spec.name) / lockfile.explicit_name(platform)
            if path.exists():
                known.update(p.name for p in packages_from_explicit(explicit.package_lines(path)))
    unknown = sorted(set(names) - known)
    if unknown:
        raise InputError(
            f"--update {' '.join(unknown)}: not in any selected lock or variant; "
            "check the spelling (conda package names, e.g. pytorch-cpu)"
        )


def lock(
    project: Project,
    options: LockOptions,
    reporter: Reporter | None = None,
    solver_factory: Callable[[], Solver] | None = None,
) -> LockReport:
    """Lock (or with ``check`` only inspect) every selected variant x platform."""
    reporter = reporter or SilentReporter()
    plan = select(project, options)
    if options.update:
        _check_update_names(project, options.update, plan)
    run = _Run(project, options, reporter, solver_factory)
    cache: dict[str, VariantSpec] = {}
    run.specs = {name: compose(project, name, cache) for name in variant_order(project)}
    if any(spec.pip for spec, _ in plan):
        run.report.warnings.append(
            "pip entries are kept in the composed variants but not locked yet: "
            + ", ".join(sorted({p for spec, _ in plan for p in spec.pip}))
        )
        reporter.warn(run.report.warnings[-1])
    reporter.start(sum(len(p) for _, p in plan))
    try:
        for spec, platforms in plan:
            run.lock_variant(spec, platforms)
    finally:
        run.close()
    return run.report
