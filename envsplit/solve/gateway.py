"""One rattler Gateway per run, reading each channel through its mirror when one is configured."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..channels import ChannelSource, canonical_url, resolve
from ..redact import PLACEHOLDER, strip_auth


def make_gateway(mirrors: Mapping[str, str], cache_dir: Path) -> Any:
    from rattler import Gateway
    from rattler.networking import Client, MirrorMiddleware

    # Folder mirrors are read as file:// channels instead (see rattler_channels): the middleware
    # refuses file:// targets.
    http_mirrors = {
        canonical_url(channel): [target.rstrip("/")]
        for channel, target in mirrors.items()
        if target.startswith(("http://", "https://"))
    }
    client = Client([MirrorMiddleware(http_mirrors)]) if http_mirrors else None
    return Gateway(cache_dir=cache_dir, client=client)


def rattler_channels(
    channels: tuple[str, ...], mirrors: Mapping[str, str], base_dir: Path
) -> tuple[list[ChannelSource], list[Any]]:
    """The resolved sources and the rattler ``Channel`` objects to query or solve with, in priority order."""
    from rattler import Channel

    sources = resolve(channels, mirrors, base_dir)
    # A mirrored channel keeps its canonical URL: the middleware maps it to the mirror. Others are read
    # from ``fetch``, which holds expanded ${VAR}s and credentials that must never come back out.
    return sources, [Channel(s.canonical if s.via == "mirror" else s.fetch) for s in sources]


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
