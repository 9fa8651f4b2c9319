"""Download sizes of locked packages, read from their channels' repodata.

Lockfiles do not carry sizes (conda-lock's format has no field for them), so every audit looks them up
through the same rattler Gateway, mirrors and cache as ``envsplit lock``, matching exact files by
channel, subdir and file name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from envsplit.errors import EnvsplitError, InputError, WriteError
from envsplit.models import LockedPackage


class RepodataError(EnvsplitError):
    """A channel's repodata could not be read: without sizes an audit would only print zeros."""

    exit_code = 1


@dataclass
class SizeLookup:
    sizes: dict[str, int] = field(default_factory=dict)  # package URL -> bytes
    warnings: list[str] = field(default_factory=list)  # channels that could not be read (strict=False)


def repodata_sizes(
    packages: Iterable[LockedPackage],
    mirrors: Mapping[str, str],
    cache_dir: Path,
    base_dir: Path,
    strict: bool = True,
) -> SizeLookup:
    """URL -> size for every package found in its channel's repodata; one query per channel.

    An unreadable channel raises RepodataError when ``strict`` (an audit without sizes is empty);
    otherwise it is noted in ``warnings`` and its packages stay unsized (a diff is still worth having).
    """
    from envsplit.channels import canonical_url
    from envsplit.fetch import MirrorFetcher
    from envsplit.locking.solver.gateway import canonical_of, make_gateway, rattler_channels
    from envsplit.redact import redact_text

    by_channel: dict[str, dict[tuple[str, str], LockedPackage]] = {}
    for p in packages:
        by_channel.setdefault(canonical_url(p.channel), {})[(p.subdir, p.file_name)] = p
    out = SizeLookup()
    if not by_channel:
        return out
    gateway = make_gateway(cache_dir)
    fetcher = MirrorFetcher(cache_dir, strict_subdirs=False)
    loop = asyncio.new_event_loop()
    try:
        for channel in sorted(by_channel):
            wanted = by_channel[channel]
            subdirs = sorted({subdir for subdir, _ in wanted})
            names = sorted({p.name for p in wanted.values()})
            try:
                sources, channels = rattler_channels((channel,), mirrors, base_dir, fetcher, subdirs)
                result = loop.run_until_complete(gateway.query(channels, subdirs, names, recursive=False))
            except (InputError, WriteError):
                raise
            except Exception as exc:  # envsplit's and rattler's fetch errors carry the reason in their text
                first = redact_text((str(exc).strip().splitlines() or [type(exc).__name__])[0])
                if not strict:
                    out.warnings.append(f"no download sizes from {channel}: {first}")
                    continue
                raise RepodataError(
                    f"could not read the repodata of {channel} ({first}); the audit needs it for the download "
                    "sizes. Pass --mirror CHANNEL=URL if the channel is only reachable through a mirror."
                ) from None
            for records in result:
                for record in records:
                    key = (str(record.subdir), record.file_name)
                    matches = key in wanted and canonical_of(str(record.channel), sources) == channel
                    if matches and record.size is not None:
                        out.sizes[wanted[key].url] = int(record.size)
    finally:
        loop.close()
    return out
