"""pip entries resolved with uv against the offline PyPI snapshot, with conda's Python distributions standing in."""

from __future__ import annotations

import filecmp
import hashlib
import importlib.util
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from httpserver import url
from pypiserver import JSON_TYPE, PYPI, serve_pypi


@pytest.fixture(scope="module")
def pypi_server() -> Iterator[str]:
    """Base URL of the snapshot on loopback; the index is ``<base>/simple``."""
    with serve_pypi() as server:
        yield url(server)


def _snapshot() -> dict:
    return json.loads((PYPI / "snapshot.json").read_text())


# --- the snapshot itself ---------------------------------------------------------------------------------------


def test_snapshot_pages_are_rendered_from_snapshot_json(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_snapshot", PYPI / "build_snapshot.py")
    assert spec is not None and spec.loader is not None
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    builder.render(_snapshot(), tmp_path)
    comparison = filecmp.dircmp(tmp_path / "simple", PYPI / "simple")
    assert not comparison.diff_files and not comparison.left_only and not comparison.right_only
    for sub in comparison.subdirs.values():
        assert not sub.diff_files and not sub.left_only and not sub.right_only


def test_snapshot_metadata_and_wheels_match_their_hashes() -> None:
    wheels = 0
    for files in _snapshot()["projects"].values():
        for file in files:
            if "core-metadata-sha256" in file:
                metadata = (PYPI / (file["path"] + ".metadata")).read_bytes()
                assert hashlib.sha256(metadata).hexdigest() == file["core-metadata-sha256"]
            wheel = PYPI / file["path"]
            if wheel.is_file():
                data = wheel.read_bytes()
                assert (hashlib.sha256(data).hexdigest(), len(data)) == (file["sha256"], file["size"])
                wheels += 1
    assert wheels == 2  # jupyter-keepalive 0.3.0 and jupyter-tensorboard-proxy 0.1.1, for install tests


def test_snapshot_serves_pep691_json_and_pep503_html(pypi_server: str) -> None:
    request = urllib.request.Request(f"{pypi_server}/simple/pcodec/", headers={"Accept": JSON_TYPE})
    with urllib.request.urlopen(request) as response:
        assert response.headers["Content-Type"] == JSON_TYPE
        page = json.load(response)
    assert {"1.0.4", "1.1.0"} <= set(page["versions"])
    assert all("core-metadata" in f for f in page["files"] if f["filename"].endswith(".whl"))
    with urllib.request.urlopen(f"{pypi_server}/simple/pcodec/") as response:
        assert b'data-core-metadata="sha256=' in response.read()
