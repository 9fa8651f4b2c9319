"""Channel names, canonical URLs and mirrors.

A channel has two URLs. The canonical one identifies it and is the only one ever written or hashed:
``${VAR}`` placeholders stay placeholders and literal credentials are stripped (see :mod:`.redact`), so
rotating a token changes no lock. The network one, with placeholders expanded and credentials kept, is
built only when the channel is read (:func:`resolve`) and goes nowhere but to the HTTP client.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from envsplit.errors import InputError
from envsplit.inputs.values import has_control_character
from envsplit.redact import PLACEHOLDER, redact_text, strip_auth

DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
# conda-lock reads $VAR as ${VAR}; one spelling keeps the written URL and its hash the same for both.
_BARE_VAR = re.compile(r"\$(?P<name>[A-Za-z_][A-Za-z0-9_]*)")


def _full_url(channel: str) -> str:
    if "://" in channel:
        return _BARE_VAR.sub(r"${\g<name>}", channel.rstrip("/"))
    return f"{DEFAULT_CHANNEL_ALIAS}/{channel.strip('/')}"


def canonical_url(channel: str) -> str:
    """``conda-forge`` -> ``https://conda.anaconda.org/conda-forge``; URLs are kept, minus a trailing slash,
    with ``${VAR}`` placeholders and without credentials: ``https://u:pw@host/t/tk/c`` -> ``https://host/c``."""
    return strip_auth(_full_url(channel))


def used_env_vars(channel: str) -> tuple[str, ...]:
    """The environment variables a channel's URL reads, as conda-lock records them (sorted)."""
    return tuple(sorted({m.group("name") for m in PLACEHOLDER.finditer(_full_url(channel))}))


def network_url(channel: str) -> str:
    """The URL to fetch ``channel`` from: placeholders expanded and credentials kept. Never write or print it."""
    url = _full_url(channel)
    missing = [name for name in used_env_vars(channel) if not os.environ.get(name)]
    if missing:
        names = ", ".join(f"${{{name}}}" for name in missing)
        raise InputError(
            f"channel {canonical_url(channel)} reads {names} from the environment, which is not set; "
            "export it to solve (the lock records the placeholder, never the value)"
        )
    return PLACEHOLDER.sub(lambda m: os.environ[m.group("name")], url)


@dataclass(frozen=True)
class ChannelSource:
    """Where a channel's repodata is actually read from, and how its records' URLs map back."""

    canonical: str  # as written in locks: placeholders kept, credentials stripped
    fetch: str  # where packages are read: the network URL, an http mirror prefix, or file://
    via: str  # "direct", "mirror" (http middleware) or "local" (folder; URLs are rewritten)


def resolve(channels: tuple[str, ...], mirrors: Mapping[str, str], base_dir: Path) -> list[ChannelSource]:
    """Map each channel through ``mirrors`` (keys: channel names or canonical URLs; values: URL or folder)."""
    by_canonical = {canonical_url(k): v for k, v in mirrors.items()}
    out = []
    for channel in channels:
        canon = canonical_url(channel)
        mirror = by_canonical.get(canon)
        if mirror is None:
            out.append(ChannelSource(canon, network_url(channel), "direct"))
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


def mirror_target_problem(target: str) -> str | None:
    """Why ``target`` cannot be a mirror (a URL or folder), or None; checked before anything opens it."""
    shown = redact_text(target)
    if has_control_character(target):
        return f"{shown!r} holds a control character; give a URL or a folder path"
    try:
        parsed = urlparse(target)
        parsed.port  # noqa: B018 - reading the port is the check (out of range, not a number)
    except ValueError as exc:
        return f"{shown!r} is not a valid URL ({exc})"
    if parsed.scheme in ("http", "https") and not parsed.hostname:
        return f"{shown!r} is not a valid URL (no host)"
    return None


def parse_mirror_option(value: str) -> tuple[str, str]:
    """``CHANNEL=URL`` from the command line; a folder is taken relative to where the user typed it."""
    channel, sep, target = value.partition("=")
    if not sep or not channel or not target:
        raise InputError(
            f"--mirror {redact_text(value)!r}: expected CHANNEL=URL, e.g. conda-forge=https://my.mirror/conda-forge"
        )
    problem = mirror_target_problem(target)
    if problem is None and has_control_character(channel):
        problem = f"channel {channel!r} holds a control character"
    if problem is not None:
        raise InputError(f"--mirror {redact_text(value)!r}: {problem}")
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
