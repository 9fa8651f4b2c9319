"""One rattler Gateway per run; http(s) mirrors are read through envsplit's fetcher into local folders."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..channels import ChannelSource, resolve
from ..fetch import MirrorFetcher, timeout


def make_gateway(cache_dir: Path) -> Any:
    """A gateway for direct channels (rattler fetches them, with envsplit's timeout) and local folders."""
    from rattler import Gateway
    from rattler.networking import Client

    # Mirrors never reach rattler's client: see envsplit/fetch.py for why they are fetched here.
    return Gateway(cache_dir=cache_dir, client=Client(timeout=math.ceil(timeout())))


def rattler_channels(
    channels: tuple[str, ...],
    mirrors: Mapping[str, str],
    base_dir: Path,
    fetcher: MirrorFetcher,
    subdirs: Iterable[str],
) -> tuple[list[ChannelSource], list[Any]]:
    """The resolved sources and the rattler ``Channel`` objects to query or solve with, in priority order.

    An http(s) mirror is first copied (``subdirs`` and noarch) into a local folder, which is what rattler reads.
    """
    from rattler import Channel

    sources = [
        ChannelSource(s.canonical, fetcher.channel_folder(s.fetch, subdirs), "local")
        if s.via == "mirror"
        else s
        for s in resolve(channels, mirrors, base_dir)
    ]
    return sources, [Channel(s.fetch if s.via == "local" else s.canonical) for s in sources]


def canonical_of(record_channel: str, sources: list[ChannelSource]) -> str:
    """The canonical URL of the channel a record came from (records of folder mirrors carry file:// URLs)."""
    channel_url = str(record_channel).rstrip("/")
    for s in sources:
        if channel_url in (s.fetch.rstrip("/"), s.canonical):
            return s.canonical
    return channel_url
