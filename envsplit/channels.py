"""Channel names, canonical URLs and mirrors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from .errors import InputError

DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"


def canonical_url(channel: str) -> str:
    """``conda-forge`` -> ``https://conda.anaconda.org/conda-forge``; URLs are kept, minus a trailing slash."""
    if "://" in channel:
        return channel.rstrip("/")
    return f"{DEFAULT_CHANNEL_ALIAS}/{channel.strip('/')}"


@dataclass(frozen=True)
class ChannelSource:
    """Where a channel's repodata is actually read from, and how its records' URLs map back."""

    canonical: str
    fetch: str  # the URL handed to rattler (the canonical one, an http mirror prefix, or file://)
    via: str  # "direct", "mirror" (http middleware) or "local" (folder; URLs are rewritten)


def resolve(channels: tuple[str, ...], mirrors: Mapping[str, str], base_dir: Path) -> list[ChannelSource]:
    """Map each channel through ``mirrors`` (keys: channel names or canonical URLs; values: URL or folder)."""
    by_canonical = {canonical_url(k): v for k, v in mirrors.items()}
    out = []
    for channel in channels:
        canon = canonical_url(channel)
        mirror = by_canonical.get(canon)
        if mirror is None:
            out.append(ChannelSource(canon, canon, "direct"))
            continue
        scheme = urlparse(mirror).scheme
        if scheme in ("http", "https"):
            out.append(ChannelSource(canon, mirror.rstrip("/"), "mirror"))
            continue
        folder = Path(mirror[len("file://") :] if scheme == "file" else mirror)
        folder = folder if folder.is_absolute() else (base_dir / folder)
        if not (folder / "noarch" / "repodata.json").is_file():
            raise InputError(
                f"mirror for {channel}: {mirror} is not a channel folder (no noarch/repodata.json); "
                "give an http(s) URL or a folder laid out as <subdir>/repodata.json"
            )
        out.append(ChannelSource(canon, folder.resolve().as_uri(), "local"))
    return out


def parse_mirror_option(value: str) -> tuple[str, str]:
    """``CHANNEL=URL`` from the command line; a folder is taken relative to where the user typed it."""
    channel, sep, target = value.partition("=")
    if not sep or not channel or not target:
        raise InputError(
            f"--mirror {value!r}: expected CHANNEL=URL, e.g. conda-forge=https://my.mirror/conda-forge"
        )
    if urlparse(target).scheme not in ("http", "https", "file"):
        target = str(Path(target).absolute())
    return channel, target


def check_mirrors(mirrors: Mapping[str, str], used: set[str]) -> None:
    """A mirror for a channel no variant uses is a typo that would silently reach the real channel."""
    canonical_used = {canonical_url(c) for c in used}
    for channel in mirrors:
        if canonical_url(channel) not in canonical_used:
            raise InputError(
                f"mirror for {channel}: no variant uses that channel; channels used: {', '.join(sorted(used))}"
            )
