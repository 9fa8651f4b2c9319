"""The ``manager: pip`` entries of a conda-lock.yml, as LockedPackages with ``manager="pip"``.

``conda_lock_yml.read`` keeps the conda packages; this reads the pip ones beside it. The file is parsed
(libyaml, never conda-lock) only when its text names a pip entry, so a lock without any costs one search.
An entry carries what conda-lock writes for pip (name, version, platform, url, hash.sha256); the lock
records neither sizes nor dependencies between pip packages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from envsplit.errors import InputError
from envsplit.inputs.yaml_lines import display_path
from envsplit.models import LockedPackage
from envsplit.redact import redact_url

# What pip packages show as their channel: the index their files come from.
PIP_CHANNEL = "pypi"
# ``manager: pip`` however a hand-written file quotes it; a file without this text has no pip entry.
_MANAGER_PIP = re.compile(r"""manager:\s*["']?pip\b""")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_ADVICE = "regenerate it with 'envsplit lock'"


def read(path: Path, text: str | None = None) -> dict[str, list[LockedPackage]]:
    """Platform -> pip packages (sorted by name) of conda-lock.yml ``path``; empty when it has none.

    A malformed pip entry is an InputError naming the file, the package and the field.
    """
    shown = display_path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(f"{shown}: lockfile not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{shown}: cannot be read ({exc})") from None
    if not _MANAGER_PIP.search(text):
        return {}
    import yaml

    try:
        content = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise InputError(f"{shown}: not valid YAML ({str(exc).splitlines()[0]}); {_ADVICE}") from None
    entries = content.get("package") if isinstance(content, dict) else None
    if not isinstance(entries, list):
        raise InputError(f"{shown}: no 'package' list; {_ADVICE}")
    out: dict[str, list[LockedPackage]] = {}
    for n, entry in enumerate(entries):
        if isinstance(entry, dict) and entry.get("manager") == "pip":
            platform, package = _package(shown, n, entry)
            out.setdefault(platform, []).append(package)
    return {p: sorted(pkgs, key=lambda x: x.name) for p, pkgs in sorted(out.items())}


def _package(shown: str, n: int, entry: Mapping[str, Any]) -> tuple[str, LockedPackage]:
    name, platform = entry.get("name"), entry.get("platform")
    where = f"package {name!r} ({platform})" if isinstance(name, str) else f"package[{n}]"

    def bad(field: str, why: str) -> InputError:
        return InputError(f"{shown}: {where}: {field}: {why}; {_ADVICE}")

    for key in ("name", "version", "platform", "url"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise bad(key, "missing or not a string")
    url: str = entry["url"]
    if not url.startswith(("https://", "http://", "file://")):
        raise bad("url", f"{redact_url(url)!r} is not a file URL")
    digests = entry.get("hash")
    sha256 = digests.get("sha256") if isinstance(digests, dict) else None
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise bad(
            "hash.sha256", "missing or not 64 lower-case hex digits (pip installs with --require-hashes)"
        )
    return str(platform), LockedPackage(
        name=entry["name"],
        version=str(entry["version"]),
        build="",
        subdir="",
        channel=PIP_CHANNEL,
        url=url,
        md5="",
        sha256=sha256,
        size=None,
        depends=(),
        manager="pip",
    )


def merged(
    conda: Mapping[str, Sequence[LockedPackage]], pip: Mapping[str, Sequence[LockedPackage]]
) -> dict[str, list[LockedPackage]]:
    """Platform -> the conda packages, then the pip ones: conda's order and packages stay as they were."""
    out = {platform: list(packages) for platform, packages in conda.items()}
    for platform, packages in pip.items():
        out.setdefault(platform, []).extend(packages)
    return out
