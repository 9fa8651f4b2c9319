"""Parsing environment.yml, overlays/*.yml and envsplit.yml (envsplit/sources.py, envsplit/_yaml.py).

Each project is written to tmp_path and read from there with the working directory set to it, so the
file names in error messages are the short relative ones a user sees.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from envsplit.errors import EnvsplitError, InputError
from envsplit.inputs.project import read_environment, read_overlay, read_project
from envsplit.models import Dependency

from projectfiles import write

ENV = """\
name: demo
channels:
  - conda-forge
dependencies:
  - python 3.12.*
  - numpy >=2
  - pandas
"""
CONFIG = """\
version: 1
platforms: [linux-64, linux-aarch64]
variants:
  a: {overlays: [x]}
"""


@pytest.fixture()
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write(
        tmp_path, {"environment.yml": ENV, "envsplit.yml": CONFIG, "overlays/x.yml": "add: [scipy]\n"}
    )


def fails(message: str) -> pytest.RaisesExc[InputError]:
    """The whole message must match, not a fragment of it."""
    return pytest.raises(InputError, match=f"^{re.escape(message)}$")


# --- environment.yml -------------------------------------------------------------------------------


def test_environment_keeps_order_names_specs_channels_and_pip(proj: Path) -> None:
    write(proj, {"environment.yml": ENV + "  - NumPy-Financial\n  - pip:\n      - Foo_Bar >=1\n"})
    env = read_environment(proj / "environment.yml")
    assert env.name == "demo"
    assert env.channels == ("conda-forge",)
    assert env.dependencies == (
        Dependency("python", "python 3.12.*"),
        Dependency("numpy", "numpy >=2"),
        Dependency("pandas", "pandas"),
        Dependency("numpy-financial", "NumPy-Financial"),
    )
    assert env.pip == ("Foo_Bar >=1",)


def test_environment_without_name_or_channels(proj: Path) -> None:
    write(proj, {"environment.yml": "dependencies: [python]\n"})
    env = read_environment(proj / "environment.yml")
    assert (env.name, env.channels, env.pip) == (None, (), ())


def test_environment_spec_with_channel_prefix_is_named_by_its_package(proj: Path) -> None:
    write(proj, {"environment.yml": "dependencies: ['conda-forge::numpy >=2']\n"})
    assert read_environment(proj / "environment.yml").dependencies == (
        Dependency("numpy", "conda-forge::numpy >=2"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            ENV + "  - numpy\n",
            "environment.yml:8: dependencies[3]: 'numpy' is listed twice (also dependencies[1]); keep one",
        ),
        (
            ENV + "  - Pandas <3\n",
            "environment.yml:8: dependencies[3]: 'pandas' is listed twice (also dependencies[2]); keep one",
        ),
        (
            ENV + "  - 'scipy >>1'\n",
            "environment.yml:8: dependencies[3]: 'scipy >>1' is not a valid match spec "
            "(unable to parse version spec: >>1); write it like 'numpy >=2'",
        ),
        (
            ENV + "  - 3\n",
            "environment.yml:8: dependencies[3]: expected a conda match spec such as 'numpy >=2', got 3",
        ),
        (
            ENV + "  - ''\n",
            "environment.yml:8: dependencies[3]: expected a conda match spec such as 'numpy >=2', got ''",
        ),
        (
            ENV + "  - conda: [x]\n",
            "environment.yml:8: dependencies[3]: the only mapping allowed here is a 'pip:' list",
        ),
        (
            ENV + "  - pip: foo\n",
            "environment.yml:8: dependencies[3].pip: expected a list, got str 'foo'",
        ),
        (
            ENV + "  - pip: [ok, 7]\n",
            "environment.yml:8: dependencies[3].pip[1]: expected a non-empty string, got 7",
        ),
        (
            "name: demo\nchannels: [conda-forge]\n",
            "environment.yml:1: dependencies: missing; list the conda packages the environment needs",
        ),
        (
            "name: demo\ndependencies: numpy\n",
            "environment.yml:2: dependencies: expected a list, got str 'numpy'",
        ),
        (
            "channels: conda-forge\ndependencies: []\n",
            "environment.yml:1: channels: expected a list, got str 'conda-forge'",
        ),
        ("- numpy\n", "environment.yml:1: expected a mapping, got a list"),
        (
            ENV + "prefix: /opt\nbuild: x\n",
            "environment.yml:9: build: unknown key; expected one of name, channels, dependencies, prefix, variables",
        ),
        (
            "name: demo\nchannels: [conda-forge\ndependencies: []\n",
            "environment.yml:3: not valid YAML (expected ',' or ']', but got ':'); fix the syntax",
        ),
    ],
    ids=[
        "duplicate",
        "duplicate-by-normalized-name",
        "bad-spec",
        "not-a-string",
        "empty-string",
        "other-mapping",
        "pip-not-list",
        "pip-item-not-string",
        "no-dependencies",
        "dependencies-not-list",
        "channels-not-list",
        "not-a-mapping",
        "unknown-key",
        "invalid-yaml",
    ],
)
def test_environment_errors(proj: Path, text: str, message: str) -> None:
    write(proj, {"environment.yml": text})
    with fails(message):
        read_environment(proj / "environment.yml")


def test_empty_environment_file_says_dependencies_are_missing(proj: Path) -> None:
    write(proj, {"environment.yml": ""})
    with fails("environment.yml: dependencies: missing; list the conda packages the environment needs"):
        read_environment(proj / "environment.yml")


def test_missing_and_unreadable_files(proj: Path) -> None:
    with fails("nope.yml: environment file not found; create it or fix the path"):
        read_environment(proj / "nope.yml")
    (proj / "latin1.yml").write_bytes(b"name: caf\xe9\n")
    with pytest.raises(InputError, match=r"^latin1\.yml: cannot read environment file: 'utf-8' codec"):
        read_environment(proj / "latin1.yml")


def test_input_error_is_the_exit_2_kind_of_envsplit_error() -> None:
    assert issubclass(InputError, EnvsplitError)
    assert InputError("x").exit_code == 2


# --- overlays --------------------------------------------------------------------------------------


def test_overlay_operations_keep_file_order_and_parsed_values(proj: Path) -> None:
    write(
        proj,
        {
            "overlays/o.yml": """\
pip: {add: [pcodec], remove: [old]}
replace: {pytorch: pytorch-cpu >=2}
add: [gdal, 'rasterio >=1.4']
remove: [cudf]
channels: {prepend: [rapidsai], append: [bioconda], remove: [defaults]}
virtual-packages: {__cuda: "12.9"}
platforms: [linux-64]
"""
        },
    )
    overlay = read_overlay(proj / "overlays/o.yml", "o")
    assert overlay.name == "o"
    assert overlay.source.name == "overlays/o.yml"
    assert [(op.kind, op.value) for op in overlay.operations] == [
        ("pip", {"add": ["pcodec"], "remove": ["old"]}),
        ("replace", {"pytorch": Dependency("pytorch-cpu", "pytorch-cpu >=2")}),
        ("add", [Dependency("gdal", "gdal"), Dependency("rasterio", "rasterio >=1.4")]),
        ("remove", ["cudf"]),
        ("channels", {"prepend": ["rapidsai"], "append": ["bioconda"], "remove": ["defaults"]}),
        ("virtual-packages", {"__cuda": {"*": "12.9=0"}}),
        ("platforms", ["linux-64"]),
    ]


def test_empty_overlay_has_no_operations(proj: Path) -> None:
    write(proj, {"overlays/o.yml": "# nothing yet\n"})
    assert read_overlay(proj / "overlays/o.yml", "o").operations == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "add: [scipy]\nadds: [foo]\n",
            "overlays/o.yml:2: adds: unknown key; expected one of add, remove, replace, channels, "
            "virtual-packages, platforms, pip",
        ),
        ("add: scipy\n", "overlays/o.yml:1: add: expected a list, got str 'scipy'"),
        (
            "add:\n  - scipy\n  - 'numpy >=>2'\n",
            "overlays/o.yml:3: add[1]: 'numpy >=>2' is not a valid match spec "
            "(unable to parse version spec: >=>2); write it like 'numpy >=2'",
        ),
        ("remove:\n  - a\n  - null\n", "overlays/o.yml:3: remove[1]: expected a non-empty string, got None"),
        ("replace: [a, b]\n", "overlays/o.yml:1: replace: expected a mapping, got a list"),
        (
            "replace:\n  pytorch: 'pytorch-cpu >>2'\n",
            "overlays/o.yml:2: replace.pytorch: 'pytorch-cpu >>2' is not a valid match spec "
            "(unable to parse version spec: >>2); write it like 'numpy >=2'",
        ),
        (
            "channels:\n  insert: [x]\n",
            "overlays/o.yml:2: channels.insert: unknown key; expected one of prepend, append, remove",
        ),
        (
            "channels:\n  prepend: rapidsai\n",
            "overlays/o.yml:2: channels.prepend: expected a list, got str 'rapidsai'",
        ),
        (
            "platforms: [linux-64, linux-arm64]\n",
            "overlays/o.yml:1: platforms[1]: unknown platform 'linux-arm64'; use one of linux-64, "
            "linux-aarch64, linux-ppc64le, osx-64, osx-arm64, win-64",
        ),
        ("pip:\n  install: [x]\n", "overlays/o.yml:2: pip.install: unknown key; expected one of add, remove"),
        ("pip: [x]\n", "overlays/o.yml:1: pip: expected a mapping, got a list"),
        ("- add\n", "overlays/o.yml:1: expected a mapping, got a list"),
        (
            "add: [scipy\nremove: [x]\n",
            "overlays/o.yml:2: not valid YAML (expected ',' or ']', but got ':'); fix the syntax",
        ),
    ],
    ids=[
        "unknown-key",
        "add-not-list",
        "add-bad-spec",
        "remove-null",
        "replace-not-mapping",
        "replace-bad-spec",
        "channels-unknown-key",
        "channels-not-list",
        "platforms-unknown",
        "pip-unknown-key",
        "pip-not-mapping",
        "not-a-mapping",
        "invalid-yaml",
    ],
)
def test_overlay_errors(proj: Path, text: str, message: str) -> None:
    write(proj, {"overlays/o.yml": text})
    with fails(message):
        read_overlay(proj / "overlays/o.yml", "o")


def test_invalid_yaml_names_the_line_of_the_problem(proj: Path) -> None:
    write(proj, {"overlays/o.yml": "add:\n  - scipy\n remove: [a\n"})
    with fails(
        "overlays/o.yml:3: not valid YAML (expected <block end>, but found '<block mapping start>'); fix the syntax"
    ):
        read_overlay(proj / "overlays/o.yml", "o")


# --- virtual packages ------------------------------------------------------------------------------


def test_virtual_packages_plain_and_per_platform_forms(proj: Path) -> None:
    write(
        proj,
        {
            "overlays/o.yml": """\
virtual-packages:
  __cuda: "12.9"
  __glibc: "2.17=1"
  __linux: 6
  __archspec: {linux-64: "1=x86_64_v3", linux-aarch64: "1=aarch64"}
"""
        },
    )
    (op,) = read_overlay(proj / "overlays/o.yml", "o").operations
    assert op.value == {
        "__cuda": {"*": "12.9=0"},  # no build given: build "0"
        "__glibc": {"*": "2.17=1"},
        "__linux": {"*": "6=0"},  # an int is unambiguous, unlike a float
        "__archspec": {"linux-64": "1=x86_64_v3", "linux-aarch64": "1=aarch64"},
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "virtual-packages:\n  __cuda: 12.9\n",
            'overlays/o.yml:2: virtual-packages.__cuda: version 12.9 was read as a number; quote it, e.g. "12.9"',
        ),
        (
            "virtual-packages:\n  __glibc: {linux-64: 2.28}\n",
            'overlays/o.yml:2: virtual-packages.__glibc: version 2.28 was read as a number; quote it, e.g. "2.28"',
        ),
        (
            "virtual-packages:\n  cuda: '12'\n",
            "overlays/o.yml:2: virtual-packages.cuda: virtual package names start with '__', like __cuda",
        ),
        (
            "virtual-packages:\n  __archspec: {linux-65: '1=x86_64'}\n",
            "overlays/o.yml:2: virtual-packages.__archspec.linux-65: unknown platform",
        ),
        (
            "virtual-packages:\n  __cuda: '12 9'\n",
            "overlays/o.yml:2: virtual-packages.__cuda: '12 9' is not VERSION or VERSION=BUILD",
        ),
        (
            "virtual-packages: [__cuda]\n",
            "overlays/o.yml:1: virtual-packages: expected a mapping, got a list",
        ),
    ],
    ids=["float", "float-per-platform", "no-underscores", "unknown-platform", "bad-version", "not-mapping"],
)
def test_virtual_package_errors(proj: Path, text: str, message: str) -> None:
    write(proj, {"overlays/o.yml": text})
    with fails(message):
        read_overlay(proj / "overlays/o.yml", "o")


# --- envsplit.yml ----------------------------------------------------------------------------------


def test_project_reads_config_environment_overlays_and_defaults(proj: Path) -> None:
    write(
        proj,
        {
            "envsplit.yml": """\
version: 1
platforms: [linux-64]
virtual-packages: {__glibc: "2.28"}
mirrors: {conda-forge: "http://127.0.0.1:1/conda-forge"}
variants:
  a: {overlays: [x]}
  b: {base: a, overlays: [x, y]}
  c:
"""
        },
    )
    write(proj, {"overlays/y.yml": "remove: [pandas]\n"})
    project = read_project(proj)
    assert project.root == proj
    assert project.platforms == ("linux-64",)
    assert project.virtual_packages == {"__glibc": {"*": "2.28=0"}}
    assert project.mirrors == {"conda-forge": "http://127.0.0.1:1/conda-forge"}
    assert project.output == proj / "locks"
    assert list(project.variants) == ["a", "b", "c"]
    assert (project.variants["b"].base, project.variants["b"].overlays) == ("a", ("x", "y"))
    assert (project.variants["c"].base, project.variants["c"].overlays) == (None, ())
    # each overlay file is read once, however many variants use it
    assert sorted(project.overlays) == ["x", "y"]
    assert project.environment.dependencies[1] == Dependency("numpy", "numpy >=2")


def test_project_default_platforms_and_custom_paths(proj: Path) -> None:
    write(
        proj,
        {
            "conda/env.yml": ENV,
            "mods/x.yml": "add: [scipy]\n",
            "envsplit.yml": "environment: conda/env.yml\noverlays-dir: mods\noutput: out\nvariants:\n  a: {overlays: [x]}\n",
        },
    )
    project = read_project(proj)
    assert project.platforms == ("linux-64", "linux-aarch64")
    assert project.environment.path == proj / "conda/env.yml"
    assert project.overlays["x"].source.path == proj / "mods/x.yml"
    assert project.output == proj / "out"


def test_bare_environment_yml_is_one_variant_named_default(proj: Path) -> None:
    (proj / "envsplit.yml").unlink()
    project = read_project(proj)
    assert list(project.variants) == ["default"]
    assert project.variants["default"].overlays == ()
    assert project.platforms == ("linux-64", "linux-aarch64")


def test_explicit_config_name_must_exist(proj: Path) -> None:
    with fails("other.yml: envsplit config not found; create it or fix the path"):
        read_project(proj, "other.yml")


PLATFORMS = "linux-64, linux-aarch64, linux-ppc64le, osx-64, osx-arm64, win-64"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            CONFIG.replace("linux-aarch64", "linux-arm64"),
            f"envsplit.yml:2: platforms[1]: unknown platform 'linux-arm64'; use one of {PLATFORMS}",
        ),
        (
            CONFIG.replace("[linux-64, linux-aarch64]", "[]"),
            "envsplit.yml:2: platforms: empty; list at least one platform, e.g. linux-64",
        ),
        (
            CONFIG + "  b: {base: nope}\n",
            "envsplit.yml:5: variants.b.base: unknown base variant 'nope'; declared variants: a, b",
        ),
        (
            CONFIG + "  b: {base: [a]}\n",
            "envsplit.yml:5: variants.b.base: expected the name of another variant",
        ),
        (
            CONFIG.replace("[x]", "[x, gpu]"),
            "envsplit.yml:4: variants.a.overlays[1]: overlay 'gpu' not found (looked for overlays/gpu.yml)",
        ),
        (
            CONFIG + "  b: {bse: a}\n",
            "envsplit.yml:5: variants.b.bse: unknown key; expected one of overlays, base, image, dockerfile, images, installer, "
            "prefix, user",
        ),
        (
            CONFIG + "  B: {}\n",
            "envsplit.yml:5: variants.B: variant names use lower-case letters, digits, '.', '_' and '-'",
        ),
        (CONFIG + "  b: [x]\n", "envsplit.yml:5: variants.b: expected a mapping, got a list"),
        (
            "version: 2\n" + CONFIG.split("\n", 1)[1],
            "envsplit.yml:1: version: unsupported config version 2; this envsplit reads version 1",
        ),
        (
            "version: 1\n",
            "envsplit.yml:1: variants: missing or empty; declare at least one variant, e.g. 'cpu: {overlays: [cpu]}'",
        ),
        (
            "variants: {}\n",
            "envsplit.yml:1: variants: missing or empty; declare at least one variant, e.g. 'cpu: {overlays: [cpu]}'",
        ),
        (
            CONFIG + "lockfiles: locks\n",
            "envsplit.yml:5: lockfiles: unknown key; expected one of version, environment, overlays-dir, "
            "platforms, virtual-packages, output, mirrors, pypi-index, pypi-mapping, variants, docker, exclude-newer, strict-layering, refresh",
        ),
        (
            "environment: [a]\n" + CONFIG,
            "envsplit.yml:1: environment: expected a path to environment.yml",
        ),
        (
            CONFIG + "mirrors: {conda-forge: ''}\n",
            "envsplit.yml:5: mirrors.conda-forge: expected a URL or a folder path",
        ),
        (
            CONFIG + "virtual-packages:\n  __glibc: 2.28\n",
            'envsplit.yml:6: virtual-packages.__glibc: version 2.28 was read as a number; quote it, e.g. "2.28"',
        ),
        (
            CONFIG + "  b: {image: ''}\n",
            "envsplit.yml:5: variants.b.image: expected an image reference such as ubuntu:24.04",
        ),
        (
            CONFIG + "docker: {registry: ghcr.io}\n",
            "envsplit.yml:5: docker.registry: unknown key; expected one of output, repository, image, "
            "micromamba, prefix, images, workflow, registry-secrets",
        ),
        (CONFIG + "docker:\n  image: 3\n", "envsplit.yml:6: docker.image: expected a non-empty string"),
        (CONFIG + "mirrors: [conda-forge]\n", "envsplit.yml:5: mirrors: expected a mapping, got a list"),
        (
            CONFIG + "environment: missing.yml\n",
            "missing.yml: environment file not found; create it or fix the path",
        ),
    ],
    ids=[
        "unknown-platform",
        "no-platforms",
        "unknown-base",
        "base-not-string",
        "missing-overlay",
        "unknown-variant-key",
        "bad-variant-name",
        "variant-not-mapping",
        "version",
        "no-variants",
        "empty-variants",
        "unknown-key",
        "environment-not-path",
        "empty-mirror",
        "float-virtual-package",
        "variant-image-empty",
        "docker-unknown-key",
        "docker-not-string",
        "mirrors-not-mapping",
        "missing-environment",
    ],
)
def test_project_errors(proj: Path, config: str, message: str) -> None:
    write(proj, {"envsplit.yml": config})
    with fails(message):
        read_project(proj)


def test_no_config_and_no_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with fails(
        "envsplit.yml: no envsplit.yml and no environment.yml here; "
        "run envsplit in your project folder or pass --project DIR"
    ):
        read_project(tmp_path)


def test_overlay_error_is_reported_while_reading_the_project(proj: Path) -> None:
    write(proj, {"overlays/x.yml": "add: [scipy]\nadds: [foo]\n"})
    with fails(
        "overlays/x.yml:2: adds: unknown key; expected one of add, remove, replace, channels, "
        "virtual-packages, platforms, pip"
    ):
        read_project(proj)


def test_paths_outside_the_working_directory_are_shown_absolute(
    proj: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(proj, {"overlays/x.yml": "add: 3\n"})
    (proj / "elsewhere").mkdir()
    monkeypatch.chdir(proj / "elsewhere")
    with fails(f"{proj.as_posix()}/overlays/x.yml:1: add: expected a list, got int 3"):
        read_project(proj)


def test_paths_inside_the_working_directory_are_shown_relative_to_it(
    proj: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(proj, {"overlays/x.yml": "add: 3\n"})
    monkeypatch.chdir(proj.parent)
    with fails(f"{proj.name}/overlays/x.yml:1: add: expected a list, got int 3"):
        read_project(Path(proj.name))
