"""Typed inputs (issue 8): section readers, one platform-list validator, overlay operations as frozen classes
with a file/line/entry location and no YAML nodes, and input errors collected: a project with three
independent mistakes gets three `error:` lines in one run (exit 2, nothing written).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from envsplit.cli import cli
from envsplit.errors import InputError
from envsplit.inputs import operations
from envsplit.inputs.project import read_environment, read_overlay, read_project

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
PLATFORMS = "linux-64, linux-aarch64, linux-ppc64le, osx-64, osx-arm64, win-64"


@pytest.fixture()
def proj(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write(
        tmp_path, {"environment.yml": ENV, "envsplit.yml": CONFIG, "overlays/x.yml": "add: [scipy]\n"}
    )


def run(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), *args])


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def errors_of(exc: pytest.ExceptionInfo[InputError]) -> list[str]:
    return str(exc.value).splitlines()


# --- collected errors ------------------------------------------------------------------------------------


def test_three_mistakes_in_envsplit_yml_are_three_error_lines_and_nothing_is_written(proj: Path) -> None:
    write(
        proj,
        {
            "envsplit.yml": """\
version: 1
platforms: [linux-64, linux-arm64]
mirrors: {conda-forge: ''}
variants:
  a: {overlays: [x]}
  b: {base: nope}
"""
        },
    )
    before = snapshot(proj)
    result = run(proj, "lock")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: envsplit.yml:2: platforms[1]: unknown platform 'linux-arm64'; use one of {PLATFORMS}",
        "error: envsplit.yml:3: mirrors.conda-forge: expected a URL or a folder path",
        "error: envsplit.yml:6: variants.b.base: unknown base variant 'nope'; declared variants: a, b",
    ]
    assert snapshot(proj) == before


def test_every_bad_dependency_of_environment_yml_is_reported(proj: Path) -> None:
    write(proj, {"environment.yml": ENV + "  - 'scipy >>1'\n  - 3\n  - numpy\n"})
    with pytest.raises(InputError) as exc:
        read_environment(proj / "environment.yml")
    assert errors_of(exc) == [
        "environment.yml:8: dependencies[3]: 'scipy >>1' is not a valid match spec "
        "(unable to parse version spec: >>1); write it like 'numpy >=2'",
        "environment.yml:9: dependencies[4]: expected a conda match spec such as 'numpy >=2', got 3",
        "environment.yml:10: dependencies[5]: 'numpy' is listed twice (also dependencies[1]); keep one",
    ]


def test_every_bad_operation_of_an_overlay_is_reported(proj: Path) -> None:
    write(
        proj,
        {
            "overlays/x.yml": """\
adds: [foo]
add: [scipy, 'numpy >=>2']
platforms: [linux-64, linux-64]
pip: [x]
"""
        },
    )
    with pytest.raises(InputError) as exc:
        read_overlay(proj / "overlays/x.yml", "x")
    assert errors_of(exc) == [
        "overlays/x.yml:1: adds: unknown key; expected one of add, remove, replace, channels, "
        "virtual-packages, platforms, pip",
        "overlays/x.yml:2: add[1]: 'numpy >=>2' is not a valid match spec "
        "(unable to parse version spec: >=>2); write it like 'numpy >=2'",
        "overlays/x.yml:3: platforms[1]: 'linux-64' is listed twice; keep one",
        "overlays/x.yml:4: pip: expected a mapping, got a list",
    ]


def test_mistakes_in_several_files_are_reported_together(proj: Path) -> None:
    write(
        proj,
        {
            "envsplit.yml": CONFIG + "docker: {prefix: 'opt/conda'}\n",
            "environment.yml": ENV.replace("  - conda-forge\n", "  - defaults\n"),
            "overlays/x.yml": "remove: [pandas, null]\n",
        },
    )
    result = run(proj, "show", "a")
    assert result.exit_code == 2
    assert [line.split(": ", 2)[1] for line in result.stderr.splitlines()] == [
        "environment.yml:3",
        "envsplit.yml:5",
        "overlays/x.yml:1",
    ]
    assert all(line.startswith("error: ") for line in result.stderr.splitlines())


def test_one_mistake_is_still_one_line(proj: Path) -> None:
    write(proj, {"overlays/x.yml": "add: 3\n"})
    result = run(proj, "show", "a")
    assert (result.exit_code, result.stderr) == (
        2,
        "error: overlays/x.yml:1: add: expected a list, got int 3\n",
    )


def test_unparseable_yaml_stops_the_reading_with_what_was_found_before(proj: Path) -> None:
    write(
        proj,
        {
            "envsplit.yml": CONFIG.replace("[linux-64, linux-aarch64]", "[]") + "  b: {overlays: [y]}\n",
            "overlays/x.yml": "add: [scipy\n",
            "overlays/y.yml": "add: 3\n",  # after the unreadable file: not read
        },
    )
    with pytest.raises(InputError) as exc:
        read_project(proj)
    assert errors_of(exc) == [
        "envsplit.yml:2: platforms: empty; list at least one platform, e.g. linux-64",
        "overlays/x.yml:2: not valid YAML (expected ',' or ']', but got '<stream end>'); fix the syntax",
    ]


def test_an_unknown_config_version_stops_the_reading(proj: Path) -> None:
    write(proj, {"envsplit.yml": CONFIG.replace("version: 1", "version: 2").replace("linux-aarch64", "x")})
    with pytest.raises(InputError) as exc:
        read_project(proj)
    assert errors_of(exc) == [
        "envsplit.yml:1: version: unsupported config version 2; this envsplit reads version 1"
    ]


def test_a_bad_variant_name_or_image_is_reported_once(proj: Path) -> None:
    # the name and image are also checked as Docker references: the same mistake must not be told twice
    write(proj, {"envsplit.yml": CONFIG + "  B: {}\n  c: {image: 'Ubuntu Jammy'}\n  d: {base: B}\n"})
    with pytest.raises(InputError) as exc:
        read_project(proj)
    assert errors_of(exc) == [
        "envsplit.yml:5: variants.B: variant names use lower-case letters, digits, '.', '_' and '-'",
        "envsplit.yml:6: variants.c.image: 'Ubuntu Jammy' is not an image reference such as ubuntu:24.04",
    ]


def test_a_bad_docker_repository_does_not_blame_every_variant(proj: Path) -> None:
    write(proj, {"envsplit.yml": CONFIG + "docker: {repository: 'ghcr.io/Me'}\n"})
    with pytest.raises(InputError) as exc:
        read_project(proj)
    assert errors_of(exc) == [
        "envsplit.yml:5: docker.repository: image repositories are lower-case in Docker"
    ]


# --- one platform-list validator -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platforms", "problems"),
    [
        ("[linux-64, linux-arm64]", {"[1]": f"unknown platform 'linux-arm64'; use one of {PLATFORMS}"}),
        ("[linux-64, linux-64]", {"[1]": "'linux-64' is listed twice; keep one"}),
        (
            "[osx-65, linux-64, linux-64, 7]",
            {
                "[0]": f"unknown platform 'osx-65'; use one of {PLATFORMS}",
                "[2]": "'linux-64' is listed twice; keep one",
                "[3]": "expected a non-empty string, got 7",
            },
        ),
    ],
)
def test_config_and_overlay_platform_lists_are_checked_alike(
    proj: Path, platforms: str, problems: dict[str, str]
) -> None:
    write(proj, {"envsplit.yml": CONFIG.replace("[linux-64, linux-aarch64]", platforms)})
    with pytest.raises(InputError) as config:
        read_project(proj)
    write(proj, {"envsplit.yml": CONFIG, "overlays/x.yml": f"platforms: {platforms}\n"})
    with pytest.raises(InputError) as overlay:
        read_overlay(proj / "overlays/x.yml", "x")
    expected = [f"platforms{index}: {problem}" for index, problem in problems.items()]
    assert [line.split(": ", 1)[1] for line in errors_of(config)] == expected
    assert [line.split(": ", 1)[1] for line in errors_of(overlay)] == expected


# --- typed operations, located, without YAML nodes -------------------------------------------------------

OVERLAY = """\
add:
  - gdal
remove: [pandas]
replace:
  numpy: numpy >=2.1
channels:
  prepend: [rapidsai]
virtual-packages: {__cuda: "12.9"}
platforms: [linux-64]
pip:
  add: [pcodec]
"""


def test_overlay_operations_are_typed_and_located(proj: Path) -> None:
    write(proj, {"overlays/x.yml": OVERLAY})
    ops = read_overlay(proj / "overlays/x.yml", "x").operations
    assert [type(op) for op in ops] == [
        operations.Add,
        operations.Remove,
        operations.Replace,
        operations.Channels,
        operations.VirtualPackages,
        operations.Platforms,
        operations.Pip,
    ]
    add, remove, replace, channels, _, platforms, pip = ops
    assert isinstance(add, operations.Add) and isinstance(remove, operations.Remove)
    assert isinstance(replace, operations.Replace) and isinstance(channels, operations.Channels)
    assert isinstance(platforms, operations.Platforms) and isinstance(pip, operations.Pip)
    located = [
        *(e.where for e in add.entries),
        *(e.where for e in remove.entries),
        *(e.where for e in replace.entries),
        *(e.where for e in channels.prepend or ()),
        *(e.where for e in platforms.entries),
        *(e.where for e in pip.add or ()),
    ]
    assert [(w.file, w.line, w.entry) for w in located] == [
        (proj / "overlays/x.yml", 2, "add[0]"),
        (proj / "overlays/x.yml", 3, "remove[0]"),
        (proj / "overlays/x.yml", 5, "replace.numpy"),
        (proj / "overlays/x.yml", 7, "channels.prepend[0]"),
        (proj / "overlays/x.yml", 9, "platforms[0]"),
        (proj / "overlays/x.yml", 11, "pip.add[0]"),
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        add.entries = ()  # type: ignore[misc]


def _ruamel_objects(value: Any, path: str, seen: set[int]) -> list[str]:
    if id(value) in seen:
        return []
    seen.add(id(value))
    if type(value).__module__.startswith("ruamel"):
        return [f"{path}: {type(value).__name__}"]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        children: Any = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}.items()
    elif isinstance(value, dict):
        children = [(f"[{k!r}]", v) for k, v in value.items()] + [(f"key {k!r}", k) for k in value]
    elif isinstance(value, (list, tuple, set, frozenset)):
        children = [(f"[{i}]", v) for i, v in enumerate(value)]
    else:
        return []
    return [hit for name, child in children for hit in _ruamel_objects(child, f"{path}.{name}", seen)]


def test_the_project_model_holds_no_yaml_nodes(proj: Path) -> None:
    write(proj, {"overlays/x.yml": OVERLAY, "envsplit.yml": CONFIG + "  b: {base: a}\n"})
    project = read_project(proj)
    assert project.overlays["x"].operations  # the walk below does reach the operations
    assert _ruamel_objects(project, "project", set()) == []


def test_a_cycle_of_bases_points_at_the_variant(proj: Path) -> None:
    write(proj, {"envsplit.yml": CONFIG + "  b: {base: c}\n  c: {base: b}\n"})
    result = run(proj, "show", "b")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: envsplit.yml:5: variants.b.base: bases form a cycle (b -> c -> b); "
        "an image cannot be built FROM itself\n"
    )


def test_compose_errors_point_at_the_entry_of_the_operation(proj: Path) -> None:
    write(proj, {"overlays/x.yml": "channels:\n  prepend: [nodefaults, conda-forge]\n"})
    result = run(proj, "show", "a")
    assert result.exit_code == 2
    # nodefaults is dropped when read; the entry still names the position the user wrote
    assert result.stderr == (
        "error: overlays/x.yml:2: channels.prepend[1]: channel 'conda-forge' is already used; remove it first\n"
    )
