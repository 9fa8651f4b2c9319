"""Shared fixtures: the bundled conda-forge/rapidsai snapshot served on loopback as a mirror, and the PyPI
snapshot (tests/data/pypi) as the index of every lock run (ENVSPLIT_PYPI_INDEX), so no test reaches pypi.org."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from httpserver import serve, url
from pypiserver import serve_pypi

DATA = Path(__file__).parent / "data"
CHANNELS = DATA / "channels"
REPO = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def channel_server() -> Iterator[str]:
    """Base URL of a loopback server holding conda-forge/ and rapidsai/ from tests/data/channels."""
    with serve(CHANNELS) as server:
        yield url(server)


@pytest.fixture(scope="session")
def mirror_args(channel_server: str) -> list[str]:
    """CLI flags that make the canonical conda-forge and rapidsai URLs read from the loopback mirror."""
    return [
        "--mirror",
        f"https://conda.anaconda.org/conda-forge={channel_server}/conda-forge",
        "--mirror",
        f"https://conda.anaconda.org/rapidsai={channel_server}/rapidsai",
    ]


@pytest.fixture(scope="session")
def pypi_index() -> Iterator[str]:
    """The PyPI snapshot's simple index on loopback."""
    with serve_pypi() as server:
        yield f"{url(server)}/simple"


@pytest.fixture(scope="session", autouse=True)
def _pypi_index_everywhere(pypi_index: str) -> Iterator[None]:
    previous = os.environ.get("ENVSPLIT_PYPI_INDEX")
    os.environ["ENVSPLIT_PYPI_INDEX"] = pypi_index
    yield
    if previous is None:
        os.environ.pop("ENVSPLIT_PYPI_INDEX", None)
    else:
        os.environ["ENVSPLIT_PYPI_INDEX"] = previous


@pytest.fixture(scope="session")
def pypi_args(pypi_index: str) -> list[str]:
    """CLI flags that read the PyPI index from the loopback snapshot."""
    return ["--pypi-index", pypi_index]


@pytest.fixture()
def rocker_project(tmp_path: Path) -> Path:
    """A copy of the repo's own rocker example (envsplit.yml, environment.yml, overlays/) without locks."""
    dest = tmp_path / "project"
    dest.mkdir()
    for name in ("envsplit.yml", "environment.yml"):
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(REPO / "overlays", dest / "overlays")
    return dest


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("ENVSPLIT_CACHE_DIR", str(path))
    return path


@pytest.fixture()
def locked(rocker_project: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The rocker example with the committed locks and Dockerfiles, as the working directory."""
    shutil.copytree(REPO / "locks", rocker_project / "locks")
    shutil.copytree(REPO / "dockerfiles", rocker_project / "dockerfiles")
    shutil.copytree(REPO / ".github", rocker_project / ".github")  # the build workflow is rendered with them
    monkeypatch.chdir(rocker_project)
    return rocker_project
