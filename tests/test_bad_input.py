"""Bad input through the CLI: one exact message on stderr, exit code 2, no traceback, nothing written.

Every case starts from a small valid project that already has a locks/ folder, changes one file or
passes one bad flag, and checks that the whole project folder is byte-for-byte (and mtime) unchanged.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from envsplit.cli import cli

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
  cpu: {overlays: [cpu]}
  cpu-geo: {base: cpu, overlays: [geo]}
"""
CPU = "replace:\n  pandas: pandas <3\n"
GEO = "add:\n  - gdal\n  - geopandas\n"
# Stand-ins for earlier lock output; any write would change them or add files next to them.
OLD_LOCKS = {
    "locks/cpu/conda-lock.yml": "# old lock\nversion: 1\n",
    "locks/cpu/conda-linux-64.lock": "# old\n@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/noarch/a-1-0.conda#00\n",
    "dockerfiles/Dockerfile.cpu": "FROM scratch\n",
}
PLATFORMS = "linux-64, linux-aarch64, linux-ppc64le, osx-64, osx-arm64, win-64"


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    write(
        root,
        {
            "environment.yml": ENV,
            "envsplit.yml": CONFIG,
            "overlays/cpu.yml": CPU,
            "overlays/geo.yml": GEO,
            **OLD_LOCKS,
        },
    )
    # No cache dir may be created either; and no channel is reachable if a solve slipped through.
    monkeypatch.setenv("ENVSPLIT_CACHE_DIR", str(root / "cache"))
    monkeypatch.chdir(root)
    return root


CASES = [
    pytest.param(
        {"overlays/geo.yml": GEO + "adds: [rasterio]\n"},
        ["lock"],
        "overlays/geo.yml:4: adds: unknown key; expected one of add, remove, replace, channels, "
        "virtual-packages, platforms, pip",
        id="unknown-overlay-key",
    ),
    pytest.param(
        {"overlays/geo.yml": GEO + "  - NumPy\n"},
        ["lock"],
        "overlays/geo.yml:4: add[2]: 'numpy' is already in the environment; "
        "use 'replace: {numpy: ...}' to change its spec",
        id="add-present",
    ),
    pytest.param(
        {"overlays/cpu.yml": CPU + "remove: [cudf]\n"},
        ["lock"],
        "overlays/cpu.yml:3: remove[0]: 'cudf' is not in the environment; names present: numpy, pandas, python",
        id="remove-missing",
    ),
    pytest.param(
        {"overlays/cpu.yml": "replace:\n  pytorch: pytorch-cpu\n"},
        ["lock"],
        "overlays/cpu.yml:2: replace.pytorch: 'pytorch' is not in the environment; "
        "names present: numpy, pandas, python",
        id="replace-missing",
    ),
    pytest.param(
        {"overlays/geo.yml": GEO + "  - 'rasterio >=>1.4'\n"},
        ["lock"],
        "overlays/geo.yml:4: add[2]: 'rasterio >=>1.4' is not a valid match spec "
        "(unable to parse version spec: >=>1.4); write it like 'numpy >=2'",
        id="bad-match-spec",
    ),
    pytest.param(
        {"envsplit.yml": CONFIG.replace("linux-aarch64", "linux-arm64")},
        ["lock"],
        f"envsplit.yml:2: platforms[1]: unknown platform 'linux-arm64'; use one of {PLATFORMS}",
        id="unknown-platform",
    ),
    pytest.param(
        {"envsplit.yml": CONFIG.replace("base: cpu", "base: gpu")},
        ["lock"],
        "envsplit.yml:5: variants.cpu-geo.base: unknown base variant 'gpu'; declared variants: cpu, cpu-geo",
        id="unknown-base",
    ),
    pytest.param(
        {"envsplit.yml": CONFIG.replace("[cpu]}", "[cpu, cuda]}")},
        ["lock"],
        "envsplit.yml:4: variants.cpu.overlays[1]: overlay 'cuda' not found (looked for overlays/cuda.yml)",
        id="missing-overlay-file",
    ),
    pytest.param(
        {"overlays/geo.yml": "add:\n  - gdal\n - geopandas\n"},
        ["lock"],
        "overlays/geo.yml:3: not valid YAML (expected <block end>, but found '<block sequence start>'); fix the syntax",
        id="invalid-yaml",
    ),
    pytest.param(
        {"overlays/cpu.yml": CPU + "virtual-packages:\n  __cuda: 12.10\n"},
        ["lock"],
        'overlays/cpu.yml:4: virtual-packages.__cuda: version 12.1 was read as a number; quote it, e.g. "12.1"',
        id="float-virtual-package",
    ),
    pytest.param(
        {"environment.yml": ENV + "  - Numpy <3\n"},
        ["lock"],
        "environment.yml:8: dependencies[3]: 'numpy' is listed twice (also dependencies[1]); keep one",
        id="duplicate-dependency",
    ),
    pytest.param(
        {},
        ["lock", "--mirror", "conda-forge"],
        "--mirror 'conda-forge': expected CHANNEL=URL, e.g. conda-forge=https://my.mirror/conda-forge",
        id="mirror-without-equals",
    ),
    pytest.param(
        {},
        ["lock", "--mirror", "=http://127.0.0.1:1/conda-forge"],
        "--mirror '=http://127.0.0.1:1/conda-forge': expected CHANNEL=URL, "
        "e.g. conda-forge=https://my.mirror/conda-forge",
        id="mirror-without-channel",
    ),
    pytest.param(
        {},
        ["lock", "--variant", "cuda"],
        "--variant cuda: no such variant in envsplit.yml; declared: cpu, cpu-geo",
        id="unknown-variant-flag",
    ),
    pytest.param(
        {},
        ["lock", "--platform", "osx-arm64"],
        "--platform osx-arm64: not a platform of envsplit.yml; declared: linux-64, linux-aarch64",
        id="platform-not-in-project",
    ),
    pytest.param(
        {"envsplit.yml": None, "environment.yml": None},
        ["lock"],
        "envsplit.yml: no envsplit.yml and no environment.yml here; "
        "run envsplit in your project folder or pass --project DIR",
        id="no-config-no-environment",
    ),
    pytest.param(
        {
            "overlays/cpu.yml": CPU + "platforms: [linux-64]\n",
            "overlays/geo.yml": GEO + "platforms: [linux-aarch64]\n",
        },
        ["lock"],
        "overlays/geo.yml:4: platforms[0]: 'linux-aarch64' is not a platform of this variant (linux-64); "
        "an overlay can only narrow the platforms",
        id="extension-platform-missing-from-base",
    ),
    pytest.param(
        {"overlays/cpu.yml": CPU + "channels:\n  remove: [defaults]\n"},
        ["lock"],
        "overlays/cpu.yml:4: channels.remove[0]: channel 'defaults' is not used; channels are conda-forge",
        id="channels-remove-unused",
    ),
    pytest.param(
        {"overlays/cpu.yml": CPU + "channels:\n  remove: [conda-forge]\n"},
        ["lock"],
        "overlays/cpu.yml:4: channels.remove: removes the last channel; prepend or append another one",
        id="no-channel-left",
    ),
    pytest.param(
        {"envsplit.yml": CONFIG + "  GPU: {}\n"},
        ["lock"],
        "envsplit.yml:6: variants.GPU: variant names use lower-case letters, digits, '.', '_' and '-'",
        id="bad-variant-name",
    ),
    pytest.param(
        {},
        ["lock", "scipy"],
        "unexpected argument(s) scipy; did you mean 'lock --update scipy'?",
        id="package-without-update",
    ),
    pytest.param(
        {"envsplit.yml": CONFIG + "  b: {base: c}\n  c: {base: b}\n"},
        ["show", "cpu"],
        "envsplit.yml:6: variants.b.base: bases form a cycle (b -> c -> b); an image cannot be built FROM itself",
        id="cycle-of-bases-show",
    ),
    pytest.param(
        {},
        ["show", "gpu"],
        "envsplit.yml: unknown variant 'gpu'; declared variants: cpu, cpu-geo",
        id="show-unknown-variant",
    ),
    pytest.param(
        {"overlays/geo.yml": "add: [gdal\n"},
        ["show", "cpu"],
        "overlays/geo.yml:2: not valid YAML (expected ',' or ']', but got '<stream end>'); fix the syntax",
        id="show-invalid-yaml-in-another-overlay",
    ),
]


@pytest.mark.parametrize(("change", "args", "message"), CASES)
def test_bad_input_is_one_message_exit_2_and_writes_nothing(
    project: Path, change: dict[str, str | None], args: list[str], message: str
) -> None:
    write(project, change)
    before = snapshot(project)
    result = CliRunner().invoke(cli, ["-C", str(project), *args])
    assert result.stderr == f"error: {message}\n"
    assert result.stdout == ""
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit), result.exception  # not an escaped exception
    assert "Traceback" not in result.output
    assert snapshot(project) == before


def test_relative_project_path_gives_paths_relative_to_the_working_directory(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, {"overlays/cpu.yml": "remove: [cudf]\n"})
    monkeypatch.chdir(project.parent)
    result = CliRunner().invoke(cli, ["-C", "proj", "lock"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: proj/overlays/cpu.yml:1: remove[0]: 'cudf' is not in the environment; "
        "names present: numpy, pandas, python\n"
    )


def test_valid_project_shows_without_error(project: Path) -> None:
    # The baseline every bad case starts from is itself valid.
    result = CliRunner().invoke(cli, ["-C", str(project), "show", "cpu-geo"])
    assert result.exit_code == 0, result.output
    assert "  - pandas <3\n  - gdal\n  - geopandas\n" in result.stdout


def _limit_memory() -> None:
    # The bug below grows a list forever; cap the child so it fails in seconds instead of exhausting the
    # machine. 300 MiB is ample for a run that stops at an input error (measured peak: about 35 MB RSS).
    resource.setrlimit(resource.RLIMIT_AS, (300 << 20, 300 << 20))


def test_cycle_of_bases_through_lock(project: Path) -> None:
    write(project, {"envsplit.yml": CONFIG + "  b: {base: c}\n  c: {base: b}\n"})
    before = snapshot(project)
    code = "import sys; from envsplit.cli import main; sys.argv = ['envsplit', 'lock']; main()"
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=_limit_memory,
            env={**os.environ, "ENVSPLIT_CACHE_DIR": str(project / "cache")},
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("envsplit lock did not finish within 60 s")
    assert proc.stderr == (
        "error: envsplit.yml:6: variants.b.base: bases form a cycle (b -> c -> b); "
        "an image cannot be built FROM itself\n"
    )
    assert proc.returncode == 2
    assert snapshot(project) == before
