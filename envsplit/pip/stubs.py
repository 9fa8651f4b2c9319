"""A throwaway file:// simple index in which each conda-provided distribution is one empty wheel.

uv has no notion of "already installed by conda" for another platform's resolve. Listing such an index
before the real one, with uv's default ``first-index`` strategy, makes each conda-provided name resolvable
at conda's version only and with no requirements of its own, which is what conda installed: conda wins, its
own dependencies are conda's business, and a pip requirement that wants another version fails to resolve
(as pixi does it with uv's library). The wheels are byte-for-byte reproducible, so uv's cache can keep them.
"""

from __future__ import annotations

import hashlib
import html
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

from envsplit.pip.mapping import Provided

_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold: fixed so the bytes never change


def _wheel(name: str, version: str) -> tuple[str, bytes]:
    stem = f"{name.replace('-', '_')}-{version}"
    files = {
        f"{stem}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{stem}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: envsplit\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{stem}.dist-info/RECORD": "",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, text in files.items():
            archive.writestr(zipfile.ZipInfo(path, _EPOCH), text)
    return f"{stem}-py3-none-any.whl", buffer.getvalue()


def write_stub_index(root: Path, provided: Iterable[Provided]) -> Path:
    """Write the index under ``root``; returns its ``simple`` folder."""
    simple = root / "simple"
    simple.mkdir(parents=True, exist_ok=True)
    for dist in provided:
        filename, data = _wheel(dist.pypi_name, dist.version)
        page = simple / dist.pypi_name
        page.mkdir(exist_ok=True)
        (page / filename).write_bytes(data)
        digest = hashlib.sha256(data).hexdigest()
        link = html.escape(f"{filename}#sha256={digest}")
        (page / "index.html").write_text(f'<a href="{link}">{html.escape(filename)}</a>\n')
    return simple
