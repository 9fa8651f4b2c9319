"""Repodata of http(s) mirrors, read by envsplit itself and handed to rattler as a local channel folder.

rattler's MirrorMiddleware was the first way to read a mirror, and it failed four ways that Python cannot
reach into: it never sent the credentials in a mirror URL (the user got a bare 401), it took a 404 for a
platform subdir as an empty subdir (a different lock, exit 0), it decompressed without bound (a gzip bomb
filled the cache) and it had no timeout. Reading ``<mirror>/<subdir>/repodata.json`` here is one choke
point for all of them: credentials go as Basic auth to that mirror only, every request has a connect and
read timeout, the body is decompressed in bounded steps, and each HTTP failure is one ``ChannelError``,
asked for once per run and told once (tell_once) rather than once per variant x platform. The copy lives in the cache with its
ETag, so an unchanged mirror costs a 304. Records of the folder keep canonical URLs (see solve/gateway.py).

Direct channels (no mirror) keep rattler's own fetch, with the same timeout on its client.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from envsplit.errors import EXIT_FAILED, EnvsplitError, InputError, WriteError
from envsplit.redact import redact_url, split_credentials
from envsplit.units import human_bytes

DEFAULT_TIMEOUT = 60.0
# Real conda-forge linux-64 repodata.json is a few hundred MB; 2 GiB leaves room to grow.
DEFAULT_MAX_BYTES = 2 * 1024**3
MAX_BYTES_ENV = "ENVSPLIT_MAX_DECOMPRESSED_BYTES"
# JSON repodata compresses 4-10x with gzip; a bomb compresses 1000x. Past a small floor, more than this
# ratio is refused whatever the absolute limit.
_MAX_RATIO = 100
_RATIO_FLOOR = 64 * 1024**2
_CHUNK = 1024**2
_CACHE_SUBDIR = "envsplit-mirrors"

_timeout: float | None = None
_FAILURE = re.compile(r"cannot read the repodata of (?P<channel>\S+) \((?!see above\))")


class ChannelError(EnvsplitError):
    """A channel or mirror could not be read: the pairs that need it fail, and the reason is told once."""

    exit_code = EXIT_FAILED


def set_timeout(seconds: float | None) -> None:
    """The connect/read timeout of this process (``--timeout``); None restores the default."""
    global _timeout
    _timeout = seconds


def timeout() -> float:
    return DEFAULT_TIMEOUT if _timeout is None else _timeout


def max_decompressed_bytes() -> int:
    """The most bytes one repodata file or archive stream may expand to (env ENVSPLIT_MAX_DECOMPRESSED_BYTES)."""
    raw = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    if not raw.isdigit() or int(raw) <= 0:
        raise InputError(f"{MAX_BYTES_ENV}={raw!r}: expected a whole number of bytes above 0")
    return int(raw)


class MirrorFetcher:
    """Local, current copies of http(s) mirrors' repodata; each (mirror, subdir) is fetched once per run."""

    def __init__(self, cache_dir: Path, strict_subdirs: bool = True) -> None:
        """``strict_subdirs``: a platform subdir the mirror lacks is an error (locking), or else empty.

        Locking is strict: a lock from half a channel is a different lock. Looking sizes up is not: a
        package of a subdir the mirror lacks is reported without a size, as an audit shows any unknown.
        """
        self._root = cache_dir / _CACHE_SUBDIR
        self._strict = strict_subdirs
        self._limit = max_decompressed_bytes()  # a bad setting is bad input before anything is fetched
        self._done: set[tuple[str, str]] = set()
        # Asking again after a failure fails at once: no second timeout per variant x platform.
        self._failed: dict[tuple[str, str], ChannelError] = {}
        self._session: Any = None

    def channel_folder(self, mirror: str, subdirs: Iterable[str]) -> str:
        """The file:// URI of the local copy of ``mirror`` holding ``subdirs`` and noarch (always required)."""
        clean, auth = split_credentials(mirror.rstrip("/"))
        folder = self._root / hashlib.sha256(clean.encode()).hexdigest()[:16]
        for subdir in sorted({*subdirs, "noarch"}):
            if (clean, subdir) in self._failed:
                raise self._failed[(clean, subdir)]
            if (clean, subdir) not in self._done:
                try:
                    self._fetch(clean, auth, subdir, folder / subdir)
                except ChannelError as exc:
                    self._failed[(clean, subdir)] = exc
                    raise
                except OSError as exc:
                    raise WriteError(
                        f"cannot write the mirror cache {folder / subdir}: {exc.strerror or exc}; "
                        "free some space or pass --cache-dir"
                    ) from None
                self._done.add((clean, subdir))
        return folder.resolve().as_uri()

    def _get(self, url: str, auth: tuple[str, str] | None, headers: dict[str, str]) -> Any:
        import requests

        if self._session is None:
            self._session = requests.Session()
            self._session.headers["User-Agent"] = "envsplit"
        seconds = timeout()
        try:
            return self._session.get(url, headers=headers, auth=auth, timeout=(seconds, seconds), stream=True)
        except requests.Timeout:
            raise _timed_out(url) from None
        except requests.RequestException as exc:
            raise _unreachable(url, exc) from None

    def _fetch(self, mirror: str, auth: tuple[str, str] | None, subdir: str, folder: Path) -> None:
        url = f"{mirror}/{subdir}/repodata.json"
        target = folder / "repodata.json"
        meta_path = folder / "envsplit-fetch.json"
        headers = {"Accept-Encoding": "gzip"}
        meta = _read_meta(meta_path) if target.is_file() else {}
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last-modified"):
            headers["If-Modified-Since"] = meta["last-modified"]
        response = self._get(url, auth, headers)
        with response:
            status = response.status_code
            if status == 304 and meta:
                return
            absent = status == 404 and subdir != "noarch"
            if absent and (not self._strict or self._declared_absent(mirror, auth, subdir)):
                # No ETag kept: the next run asks again, and a strict one sees the 404 itself.
                meta_path.unlink(missing_ok=True)
                _write_atomic(target, lambda fh: fh.write(_empty_repodata(subdir)))
                return
            if status != 200:
                raise _refused(url, status, auth is not None)
            _write_atomic(target, lambda fh: _copy_bounded(response, fh, url, self._limit))
        _write_atomic(
            meta_path,
            lambda fh: fh.write(
                json.dumps(
                    {k: response.headers[k] for k in ("etag", "last-modified") if k in response.headers}
                ).encode()
            ),
        )

    def _declared_absent(self, mirror: str, auth: tuple[str, str] | None, subdir: str) -> bool:
        """Whether the channel's own channeldata.json lists its subdirs without ``subdir``.

        conda and rattler take any platform 404 as an empty subdir. For a mirror the common cause is a
        partial sync, so a 404 is believed only when the channel says it has no such subdir.
        """
        response = self._get(f"{mirror}/channeldata.json", auth, {"Accept-Encoding": "gzip"})
        with response:
            if response.status_code != 200:
                return False
            try:
                subdirs = json.loads(_read_small(response)).get("subdirs")
            except (ValueError, AttributeError):
                return False
        return isinstance(subdirs, list) and subdir not in subdirs


def _shown(url: str) -> str:
    return redact_url(url)


def _timed_out(url: str) -> ChannelError:
    return _cannot_read(
        url,
        f"no answer within {timeout():g} s",
        "allow more time with --timeout SECONDS (env ENVSPLIT_TIMEOUT)",
        per_file=False,
    )


def _unreachable(url: str, exc: Exception) -> ChannelError:
    # requests wraps the OS reason ("[Errno 111] Connection refused") in a paragraph about retries.
    errno_text = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    reason = errno_text.group(1).strip() if errno_text else type(exc).__name__
    return _cannot_read(
        url, reason, "check the channel URL, the --mirror setting and the network", per_file=False
    )


def _cannot_read(url: str, reason: str, hint: str, per_file: bool = True) -> ChannelError:
    """Every channel failure reads the same way, so a repeat can be recognised and told once (tell_once).

    A failure of the connection is the channel's, whatever file was asked: it names no file, so the
    next subdir's identical failure is a repeat.
    """
    channel, subdir, file = url.rsplit("/", 2)
    where = f"{subdir}/{file}: " if per_file else ""
    return ChannelError(f"cannot read the repodata of {_shown(channel)} ({where}{reason}); {hint}")


def _error(url: str, reason: str) -> ChannelError:
    return _cannot_read(url, reason, "try again, or check the mirror")


def _refused(url: str, status: int, had_credentials: bool) -> ChannelError:
    if status in (401, 403):
        hint = (
            "check the user and password in the mirror URL"
            if had_credentials
            else "give credentials in the mirror URL (https://USER:PASSWORD@host/...)"
        )
        return _cannot_read(url, f"HTTP {status}, access denied", hint, per_file=False)
    if status == 404:
        return _cannot_read(
            url,
            "HTTP 404, not found",
            "the mirror lacks a subdir it must carry (a partial sync?); re-sync it. If the channel itself has "
            "no such subdir, the mirror's channeldata.json must list the subdirs it has",
        )
    return _error(url, f"HTTP {status}")


def tell_once(detail: str, told: set[str]) -> str:
    """A channel failure in full the first time; then a pointer, not the same paragraph per variant x platform."""
    repeat = _FAILURE.match(detail)
    if repeat is None:
        return detail
    if detail in told:
        return f"cannot read the repodata of {repeat.group('channel')} (see above)"
    told.add(detail)
    return detail


def _decoder(encoding: str, url: str) -> Any:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj()
    raise _error(url, f"unsupported Content-Encoding {encoding!r}")


def _chunks(response: Any, url: str) -> Iterable[bytes]:
    """The raw body as it comes off the wire, with the read timeout turned into a ChannelError."""
    import requests
    import urllib3

    try:
        while True:
            chunk = response.raw.read(_CHUNK, decode_content=False)
            if not chunk:
                return
            yield chunk
    except (urllib3.exceptions.ReadTimeoutError, requests.Timeout):
        raise _timed_out(url) from None
    except (urllib3.exceptions.HTTPError, requests.RequestException, OSError) as exc:
        raise _unreachable(url, exc) from None


def _copy_bounded(response: Any, out: Any, url: str, limit: int) -> None:
    """Decompress the body into ``out`` a megabyte at a time, refusing it past the size or ratio bound."""
    decoder = _decoder(response.headers.get("Content-Encoding", ""), url)
    wire = written = 0
    for chunk in _chunks(response, url):
        wire += len(chunk)
        data = chunk
        while data:
            if decoder is None:
                piece, data = data, b""
            else:
                piece = decoder.decompress(data, _CHUNK)
                data = decoder.unconsumed_tail
            written += len(piece)
            _check_size(url, written, wire, limit)
            out.write(piece)
    if decoder is not None:
        piece = decoder.flush()
        written += len(piece)
        _check_size(url, written, wire, limit)
        out.write(piece)
        if not decoder.eof:
            raise _error(url, "the compressed body ends early")


def _check_size(url: str, written: int, wire: int, limit: int) -> None:
    if written > limit:
        raise _cannot_read(
            url,
            f"expands beyond {human_bytes(limit)}",
            f"refused as a decompression bomb; if the mirror is right, raise {MAX_BYTES_ENV}",
        )
    if written > _RATIO_FLOOR and written > _MAX_RATIO * wire:
        raise _cannot_read(
            url,
            f"{human_bytes(wire)} on the wire expand past {human_bytes(written)}, over {_MAX_RATIO}-fold",
            "refused as a decompression bomb; check the mirror",
        )


def _read_small(response: Any, limit: int = 16 * 1024**2) -> bytes:
    """A small document (channeldata.json), bounded like repodata but held in memory."""
    import io

    buffer = io.BytesIO()
    url = response.url
    decoder = _decoder(response.headers.get("Content-Encoding", ""), url)
    wire = 0
    for chunk in _chunks(response, url):
        wire += len(chunk)
        piece = chunk if decoder is None else decoder.decompress(chunk, limit + 1 - buffer.tell())
        buffer.write(piece)
        if buffer.tell() > limit:
            raise ValueError("channeldata.json is too large")
    return buffer.getvalue()


def _empty_repodata(subdir: str) -> bytes:
    return json.dumps({"info": {"subdir": subdir}, "packages": {}, "packages.conda": {}}).encode()


def _read_meta(path: Path) -> dict[str, str]:
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in meta.items() if isinstance(v, str)} if isinstance(meta, dict) else {}


def _write_atomic(path: Path, write: Any) -> None:
    """A reader (rattler, a concurrent run) sees the old copy or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
