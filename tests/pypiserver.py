"""The offline PyPI snapshot (tests/data/pypi) served on loopback as a PEP 503/691 simple index."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

from httpserver import _Handler, serve

PYPI = Path(__file__).parent / "data" / "pypi"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"


class _SimpleIndexHandler(_Handler):
    """A static server that answers a PEP 691 client with a folder's ``index.json``, as pypi.org does."""

    def do_GET(self) -> None:
        folder = Path(self.translate_path(self.path))
        if (
            self.path.endswith("/")
            and JSON_TYPE in self.headers.get("Accept", "")
            and (folder / "index.json").is_file()
        ):
            body = (folder / "index.json").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", JSON_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.server.sent.append((self.path, len(body)))  # type: ignore[attr-defined]
            return
        super().do_GET()


@contextmanager
def serve_pypi(directory: Path = PYPI) -> Iterator[ThreadingHTTPServer]:
    """The snapshot on 127.0.0.1; its index is ``url(server) + "/simple"``."""
    with serve(directory, _SimpleIndexHandler) as server:
        yield server
