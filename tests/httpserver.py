"""A loopback HTTP file server with Range support, standing in for conda.anaconda.org in tests."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Handler(SimpleHTTPRequestHandler):
    served: list[tuple[str, int]]  # (path, bytes sent), shared per server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        if not path.is_file() or match is None:
            super().do_GET()
            self.server.sent.append((self.path, path.stat().st_size if path.is_file() else 0))  # type: ignore[attr-defined]
            return
        data = path.read_bytes()
        first, last = match.groups()
        if first == "":
            start, end = max(0, len(data) - int(last)), len(data) - 1
        else:
            start, end = int(first), min(int(last) if last else len(data) - 1, len(data) - 1)
        if start >= len(data):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.end_headers()
            return
        chunk = data[start : end + 1]
        self.send_response(206)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(len(chunk)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self.wfile.write(chunk)
        self.server.sent.append((self.path, len(chunk)))  # type: ignore[attr-defined]

    def end_headers(self) -> None:
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()


@contextmanager
def serve(directory: Path, handler: type[_Handler] = _Handler) -> Iterator[ThreadingHTTPServer]:
    """Serve ``directory`` on 127.0.0.1 at a free port; ``server.sent`` records (path, bytes) per request."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=os.fspath(directory)))
    server.sent = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"
