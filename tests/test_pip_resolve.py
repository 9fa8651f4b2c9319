"""pip entries resolved with uv against the offline PyPI snapshot, with conda's Python distributions standing in."""

from __future__ import annotations

import copy
import filecmp
import functools
import hashlib
import importlib.util
import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from envsplit.errors import InputError
from envsplit.pip.mapping import Provided, bundled_mapping, conda_provided
from envsplit.pip.records import conda_lock_entries, pip_txt_lines
from envsplit.pip.resolve import PipEntry, PipPackage, pip_target, public_url, python_platform, resolve

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


# --- resolving the rocker example's pip entries -----------------------------------------------------------------

REPO = Path(__file__).parent.parent
BASE_ENTRIES = ("jupyter-tensorboard-proxy", "jupyter-keepalive")  # environment.yml
SPATIAL_ENTRIES = (*BASE_ENTRIES, "pcodec")  # + overlays/spatial.yml


@dataclass(frozen=True)
class Pkg:
    name: str
    version: str


@functools.cache
def _lock_data(variant: str) -> dict:
    return yaml.load((REPO / "locks" / variant / "conda-lock.yml").read_text(), Loader=yaml.CSafeLoader)


def conda_lock(variant: str, platform: str) -> list[Pkg]:
    packages = _lock_data(variant)["package"]
    return [
        Pkg(p["name"], p["version"])
        for p in packages
        if p["platform"] == platform and p["manager"] == "conda"
    ]


# What the rocker base installed from PyPI before environment.yml took them from conda (so that cpu-spatial's
# conda layer does not put conda builds over the base image's pip ones): the case of a package pip must fetch.
PIP_BEFORE = ("grpcio", "protobuf", "werkzeug")


def resolve_variant(
    variant: str,
    platform: str,
    entries: tuple[str, ...],
    index: str,
    without: tuple[str, ...] = (),
    **provided_changes: Provided,
) -> tuple[PipPackage, ...]:
    packages = [p for p in conda_lock(variant, platform) if p.name not in without]
    provided = {**conda_provided(packages, bundled_mapping()), **provided_changes}
    target = pip_target(platform, packages, "2.28")
    return resolve([PipEntry(e, "environment.yml") for e in entries], provided, target, index, retries=0)


@pytest.fixture(scope="module")
def rocker(pypi_server: str) -> dict[tuple[str, str], tuple[PipPackage, ...]]:
    index = f"{pypi_server}/simple"
    locked = {
        (variant, platform): resolve_variant(variant, platform, entries, index)
        for variant, entries in (("cpu", BASE_ENTRIES), ("cpu-spatial", SPATIAL_ENTRIES))
        for platform in ("linux-64", "linux-aarch64")
    }
    for platform in ("linux-64", "linux-aarch64"):
        locked["cpu-without-conda-grpcio", platform] = resolve_variant(
            "cpu", platform, BASE_ENTRIES, index, without=PIP_BEFORE
        )
    return locked


def test_rocker_base_entries_lock_with_conda_jupyter_server_and_pypi_tensorboard(rocker: dict) -> None:
    for platform in ("linux-64", "linux-aarch64"):
        names = {p.name: p.version for p in rocker["cpu-without-conda-grpcio", platform]}
        # jupyter-server and jupyter-server-proxy are conda's; tensorboard and what conda lacks come from PyPI
        assert names == {
            "absl-py": "2.5.1",
            "grpcio": "1.85.3",
            "jupyter-keepalive": "0.3.0",
            "jupyter-tensorboard-proxy": "0.1.1",
            "markdown": "3.11.3",
            "protobuf": "7.36.2",
            "tensorboard": "2.21.0",
            "tensorboard-data-server": "0.7.2",
            "werkzeug": "3.1.9",
        }


def test_spatial_takes_grpcio_protobuf_werkzeug_from_conda_so_tensorboard_backs_off(rocker: dict) -> None:
    # conda's protobuf 6.31.1 rules out tensorboard 2.21.0 (which needs a newer one): conda wins, pip adapts
    for platform in ("linux-64", "linux-aarch64"):
        names = {p.name: p.version for p in rocker["cpu-spatial", platform]}
        assert names == {
            "absl-py": "2.5.1",
            "jupyter-keepalive": "0.3.0",
            "jupyter-tensorboard-proxy": "0.1.1",
            "markdown": "3.11.3",
            "pcodec": "1.1.0",
            "tensorboard": "2.20.0",
            "tensorboard-data-server": "0.7.2",
        }


def test_nothing_conda_provides_is_in_the_pip_result(rocker: dict) -> None:
    for (variant, platform), packages in rocker.items():
        conda = conda_lock(variant.removesuffix("-without-conda-grpcio"), platform)
        if variant.endswith("-without-conda-grpcio"):
            conda = [p for p in conda if p.name not in PIP_BEFORE]
        provided = conda_provided(conda, bundled_mapping())
        assert not {p.name for p in packages} & set(provided)


def test_pcodec_gets_its_wheel_per_architecture_with_snapshot_hashes(rocker: dict) -> None:
    files = {f["filename"]: f for fs in _snapshot()["projects"].values() for f in fs}
    arch = {"linux-64": "manylinux2014_x86_64", "linux-aarch64": "manylinux2014_aarch64"}
    for platform in ("linux-64", "linux-aarch64"):
        (pcodec,) = [p for p in rocker["cpu-spatial", platform] if p.name == "pcodec"]
        assert pcodec.filename.startswith("pcodec-1.1.0-cp312-cp312-") and arch[platform] in pcodec.filename
        snapshot = files[pcodec.filename]
        assert (pcodec.sha256, pcodec.size) == (snapshot["sha256"], snapshot["size"])
        # the loopback mirror's file URL is written as PyPI's public one
        assert pcodec.url == "https://files.pythonhosted.org/" + snapshot["path"]


def test_the_installer_preferred_wheel_is_chosen_over_the_pure_one(rocker: dict) -> None:
    # protobuf 7.36.2 has an abi3 manylinux wheel and a pure one; pip prefers the binary, so must the lock
    (protobuf,) = [p for p in rocker["cpu-without-conda-grpcio", "linux-aarch64"] if p.name == "protobuf"]
    assert protobuf.filename == "protobuf-7.36.2-cp310-abi3-manylinux2014_aarch64.whl"


def test_pip_txt_lines_and_conda_lock_entries_read_back_with_conda_lock(rocker: dict, tmp_path: Path) -> None:
    from conda_lock.lockfile import parse_conda_lock_file

    packages = rocker["cpu-without-conda-grpcio", "linux-64"]
    lines = pip_txt_lines(reversed(packages))
    assert [line.split("==")[0] for line in lines] == [p.name for p in packages]  # sorted by name
    assert lines[2] == (
        "jupyter-keepalive==0.3.0 --hash=sha256:de7bb5cfe01740c383219ce3cdc79ace7fc48090b6fd7640772880d6af46c1e0"
    )
    data = copy.deepcopy(_lock_data("cpu"))
    data["package"] = [p for p in data["package"] if p["manager"] == "conda"]  # the lock's own pip entries
    data["package"] += conda_lock_entries(packages, "linux-64")
    path = tmp_path / "conda-lock.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    parsed = parse_conda_lock_file(path)
    pip = {p.name: p for p in parsed.package if p.manager == "pip"}
    assert sorted(pip) == [p.name for p in packages]
    keepalive = pip["jupyter-keepalive"]
    assert (keepalive.version, keepalive.platform, keepalive.hash.sha256) == (
        "0.3.0",
        "linux-64",
        lines[2][-64:],
    )
    assert keepalive.url.startswith("https://files.pythonhosted.org/packages/75/13/")


# --- bad input: one line each, naming the entry and what to do ---------------------------------------------------


def test_a_pip_entry_that_does_not_exist_gets_the_closest_name(pypi_server: str) -> None:
    with pytest.raises(InputError) as caught:
        resolve_variant("cpu", "linux-64", ("jupyter-keepalivee",), f"{pypi_server}/simple")
    assert str(caught.value) == (
        "environment.yml: pip entry 'jupyter-keepalivee': no project 'jupyter-keepalivee' on the PyPI index "
        f"{pypi_server}/simple; did you mean 'jupyter-keepalive'?"
    )


def test_a_pip_entry_against_a_conda_package_names_both(pypi_server: str) -> None:
    with pytest.raises(InputError) as caught:
        resolve_variant("cpu", "linux-64", ("jupyter-server<2",), f"{pypi_server}/simple")
    assert str(caught.value) == (
        "environment.yml: pip entry 'jupyter-server<2' conflicts with conda's jupyter_server 2.17.0 "
        "(PyPI jupyter-server) on linux-64; conda's version wins, so change the pip entry or the conda spec "
        "(uv: Because you require jupyter-server<2 and jupyter-server==2.17.0, we can conclude that your "
        "requirements are unsatisfiable.)"
    )


def test_a_requirement_of_a_pip_entry_against_a_conda_package_names_both(pypi_server: str) -> None:
    old_proxy = Provided("jupyter-server-proxy", "1.0.0", "jupyter-server-proxy")
    with pytest.raises(InputError) as caught:
        resolve_variant(
            "cpu",
            "linux-64",
            ("jupyter-tensorboard-proxy==0.1.1",),
            f"{pypi_server}/simple",
            **{"jupyter-server-proxy": old_proxy},
        )
    message = str(caught.value)
    assert message.startswith(
        "environment.yml: pip entry 'jupyter-tensorboard-proxy==0.1.1' conflicts with conda's "
        "jupyter-server-proxy 1.0.0 on linux-64; conda's version wins, so change the pip entry or the conda spec "
        "(uv: Because jupyter-tensorboard-proxy>=0.1.1 depends on jupyter-server-proxy>=1.5.0"
    )
    assert "\n" not in message


def test_a_malformed_requirement_never_reaches_uv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("envsplit.pip.resolve.uv_binary", lambda: pytest.fail("uv started"))
    with pytest.raises(InputError) as caught:
        resolve_variant("cpu", "linux-64", ("jupyter-keepalive", "pcodec>>1"), "http://127.0.0.1:1/simple")
    assert str(caught.value) == (
        "environment.yml: pip entry 'pcodec>>1' is not a valid requirement (Expected semicolon (after name with "
        "no version specifier) or end); write it as in pip, e.g. 'name>=1.0'"
    )


def test_no_python_in_the_conda_lock() -> None:
    packages = [p for p in conda_lock("cpu", "linux-64") if p.name != "python"]
    with pytest.raises(InputError) as caught:
        pip_target("linux-64", packages, "2.28", source="environment.yml")
    assert str(caught.value) == (
        "environment.yml: pip entries need Python, but the conda lock for linux-64 has no python package; "
        "add python to the dependencies"
    )


def test_an_unreachable_index_is_named_without_its_credentials() -> None:
    with pytest.raises(InputError) as caught:
        resolve_variant("cpu", "linux-64", BASE_ENTRIES, "http://bot:s3cret@127.0.0.1:1/simple")
    assert str(caught.value) == (
        "cannot reach the PyPI index http://127.0.0.1:1/simple: Connection refused (os error 111); check the URL "
        "(--pypi-index or pypi-index: in envsplit.yml) and the network"
    )


# --- targets ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "glibc", "expected"),
    [
        ("linux-64", "2.28", "x86_64-manylinux_2_28"),
        ("linux-64", "2.28=0", "x86_64-manylinux_2_28"),
        ("linux-aarch64", "2.30", "aarch64-manylinux_2_28"),  # no 2_29/2_30 level: the next one down
        ("linux-aarch64", "2.17", "aarch64-manylinux_2_17"),
        ("linux-64", "2.39", "x86_64-manylinux_2_39"),
        ("linux-64", "2.45", "x86_64-manylinux_2_40"),
        ("osx-arm64", None, "aarch64-apple-darwin"),
    ],
)
def test_python_platform_follows_the_variants_glibc(platform: str, glibc: str | None, expected: str) -> None:
    assert python_platform(platform, glibc) == expected


def test_a_glibc_older_than_manylinux2014_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        python_platform("linux-64", "2.12")
    assert str(caught.value) == (
        "pip entries on linux-64 need __glibc 2.17 or newer (manylinux), got '2.12'; "
        "set virtual-packages: {__glibc: '2.28'} for the variant"
    )


def test_a_mirror_keeping_pypis_layout_maps_back_to_the_public_url() -> None:
    path = "packages/75/13/0f12402a2231888dc511a387eddeb481c7f7651bcebb52ed0b6356440fa7/x-1-py3-none-any.whl"
    assert public_url(f"https://u:p@mirror.example/pypi/{path}") == f"https://files.pythonhosted.org/{path}"
    assert public_url("https://u:p@other.example/files/x-1-py3-none-any.whl") == (
        "https://other.example/files/x-1-py3-none-any.whl"
    )


def test_uv_resolves_from_pep658_metadata_and_downloads_no_wheel() -> None:
    with serve_pypi() as server:
        resolve_variant("cpu-spatial", "linux-aarch64", SPATIAL_ENTRIES, f"{url(server)}/simple")
        requested = [path for path, _ in server.sent]  # type: ignore[attr-defined]
    assert any(path.endswith(".whl.metadata") for path in requested)
    assert not [path for path in requested if path.endswith((".whl", ".tar.gz"))]
