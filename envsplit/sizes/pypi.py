"""Download sizes of locked pip packages, read from the index's PEP 691 JSON project pages.

A conda-lock.yml records no size for a pip entry; the index lists every file of a project with its
``size``. Each project is asked once; a file is matched by its sha256 (the lock's hash), else its name. The
index is a URL (a mirror works: files are matched by hash, not by URL) or a folder holding
``<project>/index.json`` pages, as tests/data/pypi does.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from envsplit.models import LockedPackage
from envsplit.redact import basic_auth, redact_text, redact_url
from envsplit.sizes.download import SizeLookup

DEFAULT_INDEX = "https://pypi.org/simple"
_JSON = "application/vnd.pypi.simple.v1+json"


def index_sizes(
    packages: Iterable[LockedPackage], index: str, base_dir: Path = Path("."), timeout: float = 30
) -> SizeLookup:
    """URL -> size of every pip package the index lists; projects it cannot read are noted in ``warnings``."""
    from packaging.utils import canonicalize_name

    by_project: dict[str, list[LockedPackage]] = {}
    for p in packages:
        if p.is_pip:
            by_project.setdefault(canonicalize_name(p.name), []).append(p)
    out = SizeLookup()
    failed: dict[str, str] = {}
    for project in sorted(by_project):
        try:
            files = _files(index, project, base_dir, timeout)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            failed[project] = redact_text((str(exc).strip().splitlines() or [type(exc).__name__])[0])
            continue
        by_hash = {f["hashes"].get("sha256"): f for f in files if isinstance(f.get("hashes"), dict)}
        by_name = {f.get("filename"): f for f in files}
        for p in by_project[project]:
            found = by_hash.get(p.sha256) or by_name.get(p.file_name)
            if found is not None and isinstance(found.get("size"), int):
                out.sizes[p.url] = found["size"]
    if failed:
        first = sorted(failed.items())[0]
        out.warnings.append(
            f"no download sizes for {len(failed)} pip project(s) from {redact_url(index)} "
            f"({first[0]}: {first[1]}); pass --pypi-index URL|FOLDER if the index is only reachable through a mirror"
        )
    return out


def _files(index: str, project: str, base_dir: Path, timeout: float) -> list[dict[str, Any]]:
    """The ``files`` of one project's PEP 691 page."""
    if "://" not in index:
        folder = Path(index) if Path(index).is_absolute() else base_dir / index
        data = json.loads((folder / project / "index.json").read_text(encoding="utf-8"))
    else:
        data = json.loads(_get(index.rstrip("/") + f"/{project}/", timeout))
    files = data["files"]
    if not isinstance(files, list):
        raise ValueError("'files' is not a list")
    return [f for f in files if isinstance(f, dict)]


def _get(url: str, timeout: float) -> bytes:
    # Credentials in the index URL go into a header, never into the request line or a message.
    bare, auth = basic_auth(url)
    headers = {"Accept": _JSON, **auth}
    with urllib.request.urlopen(urllib.request.Request(bare, headers=headers), timeout=timeout) as response:
        if _JSON not in response.headers.get("Content-Type", ""):
            raise ValueError(f"{redact_url(bare)} answered without PEP 691 JSON")
        body: bytes = response.read()
        return body
