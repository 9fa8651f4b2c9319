"""An in-memory Solver for tests of the lock run: a table of packages, no rattler, no channel, instant.

It follows the Solver protocol's contract closely enough for the run to rely on: pinned packages are kept
exactly, preferred ones where the request allows, otherwise the newest version wins; dependencies are
followed by name. A name the table lacks on a platform fails that (variant, platform) with SolveError.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from envsplit.channels import canonical_url
from envsplit.errors import SolveError
from envsplit.models import LockedPackage, VariantSpec, dep_name


@dataclass(frozen=True)
class Entry:
    name: str
    version: str
    depends: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ("linux-64", "linux-aarch64")


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@dataclass
class FakeSolver:
    table: list[Entry]
    delay: float = 0.0  # seconds per solve, to make overlapping solves observable
    calls: list[tuple[str, str]] = field(default_factory=list)
    max_running: int = 0
    _running: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def solve(
        self,
        variant: VariantSpec,
        platform: str,
        pinned: Sequence[LockedPackage] = (),
        preferred: Sequence[LockedPackage] = (),
    ) -> list[LockedPackage]:
        with self._lock:
            self.calls.append((variant.name, platform))
            self._running += 1
            self.max_running = max(self.max_running, self._running)
        try:
            time.sleep(self.delay)
            return self._solve(variant, platform, pinned, preferred)
        finally:
            with self._lock:
                self._running -= 1

    def _solve(
        self,
        variant: VariantSpec,
        platform: str,
        pinned: Sequence[LockedPackage],
        preferred: Sequence[LockedPackage],
    ) -> list[LockedPackage]:
        channel = canonical_url(variant.channels[0])
        keep = {p.name: p.version for p in preferred} | {p.name: p.version for p in pinned}
        chosen: dict[str, LockedPackage] = {}
        todo = list(variant.specs)
        while todo:
            spec = todo.pop(0)
            name = dep_name(spec)
            # "numpy", "numpy ==2.0" or "numpy 2.0.*": a name, or a name and one version
            wanted = spec[len(name) :].strip().removeprefix("==").removesuffix(".*") or None
            if name in chosen:
                continue
            candidates = [e for e in self.table if e.name == name and platform in e.platforms]
            if wanted is not None:
                candidates = [e for e in candidates if e.version == wanted]
            if not candidates:
                raise SolveError(variant.name, platform, f"nothing provides {spec} on {platform}")
            entry = next((e for e in candidates if e.version == keep.get(name)), None)
            entry = entry or max(candidates, key=lambda e: _key(e.version))
            chosen[name] = _locked(entry, channel, platform)
            todo += entry.depends
        missing = [p.file_name for p in pinned if chosen.get(p.name, p).url != p.url]
        if missing:
            raise SolveError(variant.name, platform, f"cannot keep {', '.join(missing)}")
        return sorted(chosen.values(), key=lambda p: p.name)

    def unknown_names(self, variant: VariantSpec, platform: str) -> dict[str, list[str]]:
        known = {e.name for e in self.table}
        return {d.name: [] for d in variant.dependencies if d.name not in known}

    def close(self) -> None:
        pass


def _locked(entry: Entry, channel: str, platform: str) -> LockedPackage:
    file_name = f"{entry.name}-{entry.version}-h0_0.conda"
    return LockedPackage(
        name=entry.name,
        version=entry.version,
        build="h0_0",
        subdir=platform,
        channel=channel,
        url=f"{channel}/{platform}/{file_name}",
        md5=hashlib.md5(f"{platform}/{file_name}".encode()).hexdigest(),
        sha256=None,
        size=None,
        depends=entry.depends,
    )
