"""conda -> PyPI names: the bundled conda-forge mapping, the pypi-mapping override file, name equality."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from envsplit.errors import InputError
from envsplit.pip.mapping import (
    BUNDLED,
    Provided,
    PypiMapping,
    bundled_mapping,
    conda_provided,
    load_mapping,
    read_overrides,
)

REPO = Path(__file__).parent.parent
CHANNELS = Path(__file__).parent / "data" / "channels"


@dataclass(frozen=True)
class Pkg:
    name: str
    version: str


def locked(variant: str, platform: str) -> list[Pkg]:
    data = yaml.load((REPO / "locks" / variant / "conda-lock.yml").read_text(), Loader=yaml.CSafeLoader)
    return [Pkg(p["name"], p["version"]) for p in data["package"] if p["platform"] == platform]


def test_rocker_cpu_lock_provides_the_jupyter_stack_under_pypi_names() -> None:
    provided = conda_provided(locked("cpu", "linux-64"), bundled_mapping())
    assert provided["jupyter-server"] == Provided("jupyter-server", "2.17.0", "jupyter_server")
    assert provided["jupyter-server-proxy"] == Provided(
        "jupyter-server-proxy", "4.4.0", "jupyter-server-proxy"
    )
    # a renamed one: conda-forge's pytorch installs the PyPI distribution torch
    assert provided["torch"].conda_name == "pytorch"
    # python itself and C libraries are not Python distributions (null in the mapping)
    assert "python" not in provided and "libgrpc" not in provided and "libgcc" not in provided
    assert all(name == name.lower() and "_" not in name for name in provided)


def test_every_conda_name_in_the_test_channels_is_covered_by_the_bundled_copy() -> None:
    names = set()
    for repodata in CHANNELS.glob("*/*/repodata.json"):
        data = json.loads(repodata.read_text())
        names |= {r["name"] for key in ("packages", "packages.conda") for r in data.get(key, {}).values()}
    bundled = json.loads(BUNDLED.read_text())
    # rapidsai's packages are not on conda-forge, so parselmouth's conda-forge mapping has no entry for them
    assert names - set(bundled) == {
        "cudf",
        "libcudf",
        "libkvikio",
        "pylibcudf",
        "pynvjitlink",
        "rapids-logger",
    }
    assert set(bundled) <= names


def test_unknown_conda_names_fall_back_to_pep503_equality() -> None:
    provided = conda_provided([Pkg("My_Package.x", "1.0"), Pkg("pylibcudf", "25.10.0")], PypiMapping())
    assert provided == {
        "my-package-x": Provided("my-package-x", "1.0", "My_Package.x"),
        "pylibcudf": Provided("pylibcudf", "25.10.0", "pylibcudf"),
    }


def test_virtual_packages_and_non_pep440_versions_provide_nothing() -> None:
    assert conda_provided([Pkg("__glibc", "2.28"), Pkg("foo", "1.0_beta!x")], PypiMapping()) == {}


def test_two_conda_packages_claiming_one_name_resolve_the_same_whatever_the_order() -> None:
    mapping = PypiMapping({"pytorch": ("torch",), "torch-shim": ("torch",)})
    packages = [Pkg("torch-shim", "9"), Pkg("pytorch", "2.10.0")]
    assert conda_provided(packages, mapping)["torch"].conda_name == "pytorch"
    assert conda_provided(packages[::-1], mapping)["torch"].conda_name == "pytorch"
    own = PypiMapping({"torch": ("torch",), "pytorch": ("torch",)})
    assert conda_provided([Pkg("pytorch", "1"), Pkg("torch", "2")], own)["torch"] == Provided(
        "torch", "2", "torch"
    )


def test_load_mapping_reads_parselmouths_formats(tmp_path: Path) -> None:
    path = tmp_path / "compressed_mapping.json"
    path.write_text(json.dumps({"a": "A_b", "b": ["x", "Y.z"], "c": None}))
    mapping = load_mapping(path)
    assert [mapping.pypi_names(n) for n in "abcd"] == [("a-b",), ("x", "y-z"), (), ("d",)]


def test_overrides_replace_entries_and_null_removes_one(tmp_path: Path) -> None:
    path = tmp_path / "pypi-mapping.yml"
    path.write_text(
        "# ours\npytorch-cpu: null\nmybundle: [Alpha_One, beta]\njupyter_server: jupyter-server\n"
    )
    overrides = read_overrides(path)
    assert overrides == {
        "pytorch-cpu": (),
        "mybundle": ("alpha-one", "beta"),
        "jupyter_server": ("jupyter-server",),
    }
    mapping = bundled_mapping().overridden(overrides)
    provided = conda_provided([Pkg("pytorch-cpu", "2.10.0"), Pkg("mybundle", "3")], mapping)
    assert sorted(provided) == ["alpha-one", "beta"]
    assert bundled_mapping().pypi_names("pytorch-cpu") == ("torch",)  # the bundled copy is not changed


def test_an_empty_override_file_overrides_nothing(tmp_path: Path) -> None:
    path = tmp_path / "pypi-mapping.yml"
    path.write_text("# nothing yet\n")
    assert read_overrides(path) == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- torch\n",
            "pypi-mapping.yml:1: expected a mapping; map conda names to a PyPI name, a list of PyPI names, "
            "or null for no Python distribution",
        ),
        (
            "ok: fine\npytorch: {name: torch}\n",
            "pypi-mapping.yml:2: pytorch: expected a PyPI name, a list of them or null, got {'name': 'torch'}",
        ),
        (
            "pytorch: [torch, 3]\n",
            "pypi-mapping.yml:1: pytorch: expected a PyPI name, a list of them or null, got ['torch', 3]",
        ),
        (
            "pytorch: 'torch cpu'\n",
            "pypi-mapping.yml:1: pytorch: 'torch cpu' is not a valid PyPI project name",
        ),
        ("pytorch: [torch, -x]\n", "pypi-mapping.yml:1: pytorch: '-x' is not a valid PyPI project name"),
    ],
)
def test_bad_override_files_name_the_line_and_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pypi-mapping.yml").write_text(text)
    with pytest.raises(InputError) as caught:
        read_overrides(Path("pypi-mapping.yml"))
    assert str(caught.value) == message


def test_a_missing_override_file_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as caught:
        read_overrides(Path("pypi-mapping.yml"))
    assert str(caught.value) == "pypi-mapping.yml: pypi-mapping file not found; create it or fix the path"
