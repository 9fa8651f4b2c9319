"""One rattler Gateway per run; http(s) mirrors are read through envsplit's fetcher into local folders."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from envsplit.channels import ChannelSource, resolve
from envsplit.fetch import ChannelError, MirrorFetcher, timeout
from envsplit.redact import PLACEHOLDER, strip_auth


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

    subdirs = list(subdirs)
    sources = [
        ChannelSource(s.canonical, fetcher.channel_folder(s.fetch, subdirs), "local")
        if s.via == "mirror"
        else _complete_folder(s, subdirs)
        for s in resolve(channels, mirrors, base_dir)
    ]
    # Mirrors are local folders by now; a direct channel is read from ``fetch``, which holds expanded
    # ${VAR}s and credentials that must never come back out (records are mapped back by canonical_of).
    return sources, [Channel(s.fetch) for s in sources]


def canonical_of(record_channel: str, sources: list[ChannelSource]) -> str:
    """The canonical URL of the channel a record came from (records of folder mirrors carry file:// URLs)."""
    # rattler percent-encodes ``${VAR}`` and masks credentials (``/t/********/``, ``user:********@``) in a
    # record's channel: compare URLs decoded and bare.
    channel_url = _bare(str(record_channel))
    for s in sources:
        if channel_url in (_bare(s.fetch), _bare(s.canonical)):
            return s.canonical
    return strip_auth(str(record_channel).rstrip("/"))


def _bare(url: str) -> str:
    # A placeholder is masked like the value it stands for: made a literal, it is stripped with the rest.
    return strip_auth(PLACEHOLDER.sub("x", unquote(url.rstrip("/"))))


def _complete_folder(source: ChannelSource, subdirs: list[str]) -> ChannelSource:
    """A folder mirror must hold every subdir solved from it: rattler would take a missing one as empty,
    and the user would be told that packages are misspelled rather than that the folder is incomplete."""
    if source.via != "local":
        return source
    folder = Path(unquote(urlparse(source.fetch).path))
    for subdir in subdirs:
        if not (folder / subdir / "repodata.json").is_file():
            raise ChannelError(
                f"cannot read the repodata of {folder}/{subdir} (the mirror folder for {source.canonical} has no "
                f"{subdir}/repodata.json); add that subdir to the folder, or drop {subdir} from the platforms"
            )
    return source
