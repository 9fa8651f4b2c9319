"""Installed sizes: the sum of ``size_in_bytes`` in each archive's ``info/paths.json``.

For a ``.conda`` over http(s) conda-package-streaming reads the zip directory and the small ``info-*``
member with range requests, a few percent of the archive at most; a ``.tar.bz2`` is streamed only until
``info/paths.json`` has gone by. Results are cached per archive hash, so an archive is read once ever.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from envsplit.models import LockedPackage

CACHE_SUBDIR = "envsplit-installed-size"
_HEX = re.compile(r"^[0-9a-f]{32}([0-9a-f]{32})?$")
_WORKERS = 8


@dataclass
class InstalledLookup:
    sizes: dict[str, int] = field(default_factory=dict)  # package URL -> bytes
    failed: dict[str, str] = field(default_factory=dict)  # package URL -> why there is no size


def _cache_key(p: LockedPackage) -> str | None:
    key = (p.sha256 or p.md5 or "").lower()
    return key if _HEX.fullmatch(key) else None


def _paths_json_size(data: bytes) -> int:
    doc = json.loads(data)
    return sum(int(entry.get("size_in_bytes", 0)) for entry in doc.get("paths", ()))


def _read_members(members: Iterable[tuple[Any, Any]], limit: int) -> int:
    from envsplit.fetch import MAX_BYTES_ENV

    it = iter(members)
    try:
        for tar, member in it:
            # The stream position and the member size are decompressed bytes: a bomb stops here.
            if tar.offset > limit or member.size > limit:
                raise LookupError(f"the archive expands beyond {limit} bytes ({MAX_BYTES_ENV}); not read")
            if member.name == "info/paths.json":
                handle = tar.extractfile(member)
                if handle is None:
                    break
                return _paths_json_size(handle.read())
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()  # stops the stream: nothing after info/paths.json is fetched
    raise LookupError("the archive has no info/paths.json")


class _Reader:
    def __init__(self, fetch_prefixes: Mapping[str, str], limit: int) -> None:
        self.fetch_prefixes = fetch_prefixes
        self.limit = limit
        self._local = threading.local()

    def _session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            from envsplit.fetch import timeout

            class _Session(requests.Session):
                def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
                    kwargs.setdefault("timeout", timeout())  # conda-package-streaming sets none
                    return super().request(*args, **kwargs)

            session = _Session()
            session.headers["User-Agent"] = "envsplit-audit"
            self._local.session = session
        return session

    def fetch_url(self, p: LockedPackage) -> str:
        channel = p.channel.rstrip("/")
        prefix = self.fetch_prefixes.get(channel, channel)
        return prefix.rstrip("/") + p.url[len(channel) :] if p.url.startswith(channel) else p.url

    def size(self, p: LockedPackage) -> int:
        from conda_package_streaming import package_streaming
        from conda_package_streaming import url as cps_url

        where = self.fetch_url(p)
        if where.startswith("file://"):
            path = Path(unquote(urlparse(where).path))
            return _read_members(package_streaming.stream_conda_info(str(path)), self.limit)
        return _read_members(cps_url.stream_conda_info(where, session=self._session()), self.limit)


def installed_sizes(
    packages: Iterable[LockedPackage], mirrors: Mapping[str, str], cache_dir: Path, base_dir: Path
) -> InstalledLookup:
    """URL -> installed bytes, from the cache or by reading each archive's info/ through its mirror."""
    from envsplit.channels import resolve
    from envsplit.fetch import max_decompressed_bytes
    from envsplit.redact import redact_text

    unique = {p.url: p for p in packages}
    out = InstalledLookup()
    folder = cache_dir / CACHE_SUBDIR
    todo: list[LockedPackage] = []
    for url in sorted(unique):
        p = unique[url]
        key = _cache_key(p)
        cached = _read_cache(folder / f"{key}.json") if key else None
        if cached is not None:
            out.sizes[url] = cached
        else:
            todo.append(p)
    if not todo:
        return out
    channels = tuple(sorted({p.channel.rstrip("/") for p in todo}))
    fetch_prefixes = {s.canonical: s.fetch for s in resolve(channels, mirrors, base_dir)}
    reader = _Reader(fetch_prefixes, max_decompressed_bytes())

    def one(p: LockedPackage) -> tuple[LockedPackage, int | None, str]:
        try:
            return p, reader.size(p), ""
        except Exception as exc:  # network, HTTP and archive errors all mean "unknown" for this package
            # requests quotes the URL it fetched, mirror credentials included: the reason goes into reports.
            return p, None, redact_text((str(exc).strip().splitlines() or [type(exc).__name__])[0])

    with ThreadPoolExecutor(max_workers=min(_WORKERS, len(todo))) as pool:
        results = list(pool.map(one, todo))
    from envsplit.atomic import write_files

    to_cache: dict[Path, str] = {}
    for p, size, error in results:
        if size is None:
            out.failed[p.url] = error
            continue
        out.sizes[p.url] = size
        key = _cache_key(p)
        if key:
            to_cache[folder / f"{key}.json"] = json.dumps({"installed_size": size, "url": p.url}) + "\n"
    if to_cache:
        # A read-only cache only costs a refetch next time.
        with contextlib.suppress(OSError):
            write_files(to_cache)
    return out


def _read_cache(path: Path) -> int | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))["installed_size"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, int) and value >= 0 else None
