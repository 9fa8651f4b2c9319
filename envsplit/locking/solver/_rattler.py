"""py-rattler adapter: one solve per (variant, platform), strict channel priority, canonical URLs out."""

from __future__ import annotations

import asyncio
import datetime
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from envsplit.channels import ChannelSource
from envsplit.errors import EnvsplitError, SolveError
from envsplit.fetch import ChannelError, MirrorFetcher, timeout
from envsplit.locking.cutoff import SolveCutoff
from envsplit.locking.solver.gateway import canonical_of, make_gateway, rattler_channels
from envsplit.models import LockedPackage, VariantSpec, dep_name
from envsplit.redact import redact_text

_CUDA_BUILD = re.compile(r"(^|_)cuda\d")


class RattlerSolver:
    def __init__(self, mirrors: dict[str, str], cache_dir: str, base_dir: str) -> None:
        self._mirrors = mirrors
        self._cache_dir = cache_dir
        self._base_dir = Path(base_dir)
        # One event loop per thread: chains solve in parallel, each awaiting rattler on its own loop.
        self._local = threading.local()
        self._loops: list[asyncio.AbstractEventLoop] = []
        self._lock = threading.Lock()  # one gateway, and one thread at a time fetching a mirror
        self._gateway: Any = None
        self._fetcher = MirrorFetcher(Path(cache_dir))
        # (channel URLs, subdirs) -> (names queried, (subdir, file name) -> record), see _records_for
        self._converted: dict[tuple[str, str, str], LockedPackage] = {}
        self._records: dict[
            tuple[tuple[str, ...], tuple[str, ...]], tuple[set[str], dict[tuple[str, str], Any]]
        ] = {}
        # (channel, subdir) rattler could not read -> its error: later solves fail at once, no new timeout
        self._unreadable: dict[tuple[str, str], ChannelError] = {}

    def _gateway_for(self) -> Any:
        with self._lock:
            if self._gateway is None:
                self._gateway = make_gateway(Path(self._cache_dir))
            return self._gateway

    def _channels(self, variant: VariantSpec, subdirs: list[str]) -> tuple[list[ChannelSource], list[Any]]:
        with self._lock:
            return rattler_channels(variant.channels, self._mirrors, self._base_dir, self._fetcher, subdirs)

    def _run(self, awaitable: Any) -> Any:
        loop = getattr(self._local, "loop", None)
        if loop is None:
            loop = self._local.loop = asyncio.new_event_loop()
            with self._lock:
                self._loops.append(loop)
        return loop.run_until_complete(awaitable)

    def close(self) -> None:
        for loop in self._loops:
            loop.close()

    def solve(
        self,
        variant: VariantSpec,
        platform: str,
        pinned: Sequence[LockedPackage] = (),
        preferred: Sequence[LockedPackage] = (),
        cutoff: SolveCutoff | None = None,
    ) -> list[LockedPackage]:
        from rattler import GenericVirtualPackage, PackageName, Version
        from rattler.package import BuildString

        subdirs = [platform, "noarch"]
        try:
            sources, channels = self._channels(variant, subdirs)
            for s in sources:
                for subdir in subdirs:
                    if (s.canonical, subdir) in self._unreadable:
                        raise self._unreadable[(s.canonical, subdir)]
        except ChannelError as exc:  # failing this pair only: variants on other channels still lock
            raise SolveError(variant.name, platform, str(exc)) from None
        gateway = self._gateway_for()
        vps = []
        for name, value in variant.virtual_packages_for(platform).items():
            version, _, build = value.partition("=")
            vps.append(GenericVirtualPackage(PackageName(name), Version(version), BuildString(build or "0")))
        try:
            records_by_file = self._records_for(gateway, channels, subdirs, [*pinned, *preferred])
            pinned_records = _pick(records_by_file, pinned, strict=True)
            preferred_records = _pick(records_by_file, preferred, strict=False)
            sources_first: list[Any] = []
            if cutoff is not None and cutoff.exempt:
                sources_first = [self._run(_exempt_source(gateway, channels, subdirs, cutoff.exempt))]
            records = self._run(
                _solve(
                    [*sources_first, *channels],
                    variant.specs,
                    gateway,
                    subdirs,
                    vps,
                    pinned_records,
                    preferred_records,
                    cutoff.instant if cutoff is not None else None,
                )
            )
        except SolveError as exc:
            raise SolveError(variant.name, platform, exc.explanation) from None
        except EnvsplitError:
            raise
        except Exception as exc:  # rattler's SolverError, FetchRepoDataError, ... carry the explanation
            fetch_error = self._fetch_error(exc)
            explanation = str(fetch_error) if fetch_error else str(exc).strip() or type(exc).__name__
            raise SolveError(variant.name, platform, explanation) from None
        out = [self._locked(r, sources) for r in records]
        if "__cuda" not in variant.virtual_packages_for(platform):
            cuda = sorted(p.file_name for p in out if _is_cuda_build(p))
            if cuda:
                raise SolveError(
                    variant.name,
                    platform,
                    "the solution contains CUDA builds although the variant declares no __cuda virtual package: "
                    + ", ".join(cuda)
                    + "\nPin a CPU build in an overlay (e.g. 'replace: {pytorch: pytorch-cpu}') or add "
                    "'virtual-packages: {__cuda: \"12.9\"}' if this variant is meant for GPUs.",
                )
        return sorted(out, key=lambda p: p.name)

    def unknown_names(self, variant: VariantSpec, platform: str) -> dict[str, list[str]]:
        """Requested names no channel has on ``platform`` (or noarch), each with close matches that exist."""
        import difflib

        from rattler import Subdir

        subdirs = [Subdir(platform), Subdir("noarch")]
        wanted = sorted({d.name for d in variant.dependencies})
        try:
            _, channels = self._channels(variant, [platform, "noarch"])
            # A query for just these names is what the solve reads anyway; all names only on a miss.
            found = self._run(self._gateway_for().query(channels, subdirs, wanted, recursive=False))
            present = {r.name.normalized for records in found for r in records}
            missing = [n for n in wanted if n not in present]
            if not missing:
                return {}
            known = {n.normalized for n in self._run(self._gateway_for().names(channels, subdirs))}
        except ChannelError:  # an unreachable channel is not a typo: the solve that follows says why
            return {}
        except EnvsplitError:
            raise
        except Exception as exc:
            if not isinstance(exc, ChannelError):
                self._fetch_error(exc)  # remembered for the solve to report
            return {}
        return {n: difflib.get_close_matches(n, known, n=3, cutoff=0.75) for n in missing}

    def _locked(self, record: Any, sources: list[ChannelSource]) -> LockedPackage:
        """The record as a LockedPackage, made once per run (every field read crosses into Rust)."""
        key = (str(record.channel), record.subdir, record.file_name)
        locked = self._converted.get(key)
        if locked is None:
            locked = self._converted.setdefault(key, _to_locked(record, sources))
        return locked

    def _fetch_error(self, exc: Exception) -> ChannelError | None:
        """rattler's failure to read a channel's repodata as a ChannelError (remembered), else None."""
        text = str(exc).strip()
        fetch = re.match(r"error sending request for url \((?P<url>[^)]+)\)", text)
        if not fetch:
            return None
        channel, subdir = fetch.group("url").rsplit("/", 2)[:2]
        # rattler's chain of "Caused by:" lines ends with the reason a person can act on.
        reason = text.splitlines()[-1].removeprefix("Caused by:").strip()
        hint = "check the channel URL, the --mirror setting and the network"
        if "timed out" in text.lower():
            reason = f"no answer within {timeout():g} s"
            hint = "allow more time with --timeout SECONDS (env ENVSPLIT_TIMEOUT)"
        shown = redact_text(channel)
        error = ChannelError(f"cannot read the repodata of {shown} ({reason}); {hint}")
        self._unreadable[(channel, subdir)] = error
        return error

    def _records_for(
        self, gateway: Any, channels: list[Any], subdirs: list[str], wanted: Sequence[LockedPackage]
    ) -> dict[tuple[str, str], Any]:
        """(subdir, file name) -> repodata record for the locked files.

        Variants share most names: each name is queried once per run and channel list, and its records are
        indexed, rather than every record of every name being converted again for each solve.
        """
        if not wanted:
            return {}
        key = (tuple(str(c.base_url) for c in channels), tuple(subdirs))
        with self._lock:
            queried, index = self._records.setdefault(key, (set(), {}))
        new = sorted({p.name for p in wanted} - queried)
        if new:
            result = self._run(gateway.query(channels, subdirs, new, recursive=False))
            found: dict[tuple[str, str], Any] = {}
            for per_channel in result:  # channels in priority order: the first hit wins
                for record in per_channel:
                    found.setdefault((record.subdir, record.file_name), record)
            with self._lock:
                for k, record in found.items():
                    index.setdefault(k, record)
                queried.update(new)
        keys = {(p.subdir, p.file_name) for p in wanted}
        return {k: index[k] for k in keys if k in index}


def _pick(found: dict[tuple[str, str], Any], wanted: Sequence[LockedPackage], strict: bool) -> list[Any]:
    """The records of ``wanted``; a missing one is an error only when ``strict`` (pins must exist)."""
    missing = sorted(f"{p.subdir}/{p.file_name}" for p in wanted if (p.subdir, p.file_name) not in found)
    if missing and strict:
        raise SolveError(
            "",
            "",
            "these pinned base packages are no longer in the channels: "
            + ", ".join(missing)
            + "\nRelock the base variant first (envsplit lock --variant BASE --force).",
        )
    return [found[(p.subdir, p.file_name)] for p in wanted if (p.subdir, p.file_name) in found]


async def _solve(
    channels: list[Any],
    specs: Sequence[str],
    gateway: Any,
    subdirs: list[str],
    vps: list[Any],
    pinned: list[Any],
    preferred: list[Any],
    exclude_newer: datetime.datetime | None = None,
) -> list[Any]:
    from rattler import Subdir, solve

    # Unstamped records are kept (see envsplit/locking/cutoff.py); that is also how exempt records pass.
    cutoff: dict[str, Any] = (
        {"exclude_newer": exclude_newer, "timestamp_policy": "allow-missing"} if exclude_newer else {}
    )
    return await solve(
        channels,
        list(specs),
        gateway=gateway,
        platforms=[Subdir(s) for s in subdirs],
        virtual_packages=vps,
        pinned_packages=pinned,
        locked_packages=preferred,
        **cutoff,
    )


class _ExemptSource:
    """The records of the exempt names, unstamped so that the cutoff lets them through.

    Listed before the channels: with strict channel priority the solver then takes those names from here
    only. Each name keeps the records of the first channel that has it, as strict priority would.
    """

    def __init__(self, records: list[Any]) -> None:
        self._records = records

    async def fetch_package_records(self, platform: Any, name: Any) -> list[Any]:
        return [
            r
            for r in self._records
            if str(r.subdir) == str(platform) and r.name.normalized == name.normalized
        ]

    def package_names(self, platform: Any) -> list[str]:
        return sorted({r.name.normalized for r in self._records if str(r.subdir) == str(platform)})


async def _exempt_source(gateway: Any, channels: list[Any], subdirs: list[str], names: Sequence[str]) -> Any:
    from rattler import Subdir

    found = await gateway.query(channels, [Subdir(s) for s in subdirs], list(names), recursive=False)
    taken: set[str] = set()
    records: list[Any] = []
    for per_channel in found:  # priority order
        here = [r for r in per_channel if r.name.normalized not in taken]
        for record in here:
            record.timestamp = None
            record.indexed_timestamp = None
            records.append(record)
        taken.update(r.name.normalized for r in here)
    return _ExemptSource(records)


def _is_cuda_build(p: LockedPackage) -> bool:
    return bool(_CUDA_BUILD.search(p.build)) or any(
        "__cuda" in d and dep_name(d) == "__cuda" for d in p.depends
    )


def _to_locked(record: Any, sources: list[ChannelSource]) -> LockedPackage:
    canonical = canonical_of(record.channel, sources)
    if record.md5 is None:
        raise SolveError(
            "", "", f"{record.file_name} has no md5 in the channel's repodata; it cannot be locked"
        )
    return LockedPackage(
        name=record.name.normalized,
        version=str(record.version),
        build=str(record.build),
        subdir=str(record.subdir),
        channel=canonical,
        url=f"{canonical}/{record.subdir}/{record.file_name}",
        md5=record.md5.hex(),
        sha256=record.sha256.hex() if record.sha256 is not None else None,
        size=record.size,
        depends=tuple(record.depends),
        constrains=tuple(record.constrains),
    )
