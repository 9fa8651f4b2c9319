"""pip locks installed: by the rendered Dockerfiles (after the conda lock, same layer) and by `envsplit install`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest
from click.testing import CliRunner

from envsplit.cli import cli

REPO = Path(__file__).parent.parent
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
PIP_LINE = "jupyter-keepalive==0.3.0 --hash=sha256:de7bb5cfe01740c383219ce3cdc79ace7fc48090b6fd7640772880d6af46c1e0\n"


@pytest.fixture()
def locked_project(rocker_project: Path) -> Path:
    """The rocker example with the committed locks and Dockerfiles (no solve needed)."""
    shutil.copytree(REPO / "locks", rocker_project / "locks")
    shutil.copytree(REPO / "dockerfiles", rocker_project / "dockerfiles")
    return rocker_project


def _run_step(path: Path) -> str:
    (run,) = [c for c in dockerfile.parse_file(str(path)) if c.cmd == "RUN"]
    assert (
        "--mount=type=bind,source=locks/"
        + path.name.removeprefix("Dockerfile.")
        + ",target=/mnt/envsplit-locks"
        in run.flags
    )
    return str(run.value[0])


def _render(project: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(project), "dockerfile"])
    assert result.exit_code == 0, result.output


def test_pip_files_are_installed_after_the_conda_lock_in_the_same_step(locked_project: Path) -> None:
    locks = locked_project / "locks"
    for platform in ("linux-64", "linux-aarch64"):
        (locks / "cpu" / f"pip-{platform}.txt").write_text(PIP_LINE)
        (locks / "cpu-spatial" / f"pip-{platform}.txt").write_text(PIP_LINE)
        (locks / "cpu-spatial" / f"pip-layer-{platform}.txt").write_text(PIP_LINE)
    _render(locked_project)
    out = locked_project / "dockerfiles"
    for variant, name in (("cpu", "pip-{}.txt"), ("cpu-spatial", "pip-layer-{}.txt")):
        script = _run_step(out / f"Dockerfile.{variant}")
        # the lock arms are as before; a second case picks the pip file of the same TARGETARCH
        arms = dict(re.findall(r"(\w+)\) lock=/mnt/envsplit-locks/(\S+) ;;", script))
        pips = dict(re.findall(r"(\w+)\) pip=/mnt/envsplit-locks/(\S+) ;;", script))
        assert set(arms) == set(pips) == {"amd64", "arm64"}
        assert pips == {"amd64": name.format("linux-64"), "arm64": name.format("linux-aarch64")}
        install = 'micromamba install --yes --prefix /opt/conda --file "${lock}"'
        pip = '/opt/conda/bin/python -m pip install --no-deps --require-hashes --no-cache-dir -r "${pip}"'
        # one RUN: conda lock, then pip, then the cleanup that keeps caches out of the layer
        assert script.index(install) < script.index(pip) < script.index("micromamba clean --all --yes")
        assert script.index("rm -rf /tmp/*") > script.index(pip)
        assert HADOLINT is not None
        lint = subprocess.run(
            [HADOLINT, "--no-color", str(out / f"Dockerfile.{variant}")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", "")
    # variants without pip files: byte for byte the committed Dockerfiles
    for variant in ("cuda", "cuda-spatial"):
        assert (out / f"Dockerfile.{variant}").read_bytes() == (
            REPO / "dockerfiles" / f"Dockerfile.{variant}"
        ).read_bytes()
    # and `dockerfile --check` agrees the re-rendered files are current
    result = CliRunner().invoke(cli, ["-C", str(locked_project), "dockerfile", "--check"])
    assert result.exit_code == 0, result.output


def test_no_pip_files_leave_every_dockerfile_unchanged(locked_project: Path) -> None:
    before = {p.name: p.read_bytes() for p in (locked_project / "dockerfiles").iterdir()}
    _render(locked_project)
    assert {p.name: p.read_bytes() for p in (locked_project / "dockerfiles").iterdir()} == before


def test_a_platform_without_a_pip_file_skips_the_pip_step(locked_project: Path) -> None:
    (locked_project / "locks" / "cuda" / "pip-linux-64.txt").write_text(PIP_LINE)
    _render(locked_project)
    path = locked_project / "dockerfiles" / "Dockerfile.cuda"
    script = _run_step(path)
    assert dict(re.findall(r"(\w+)\) pip=(\S*) ;;", script)) == {
        "amd64": "/mnt/envsplit-locks/pip-linux-64.txt"
    }
    assert '*) pip="" ;;' in script
    assert '{ [ -z "${pip}" ] || /opt/conda/bin/python -m pip install' in script
    lint = subprocess.run(
        [str(HADOLINT), "--no-color", str(path)], capture_output=True, text=True, check=False
    )
    assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", "")
    # bash runs the step's pip selection: arm64 gets no file and the guard skips the install
    (selection,) = re.findall(r'case "\$\{TARGETARCH\}" in (?:(?!esac).)* pip=(?:(?!esac).)*esac', script)
    for arch, expected in (("amd64", "/mnt/envsplit-locks/pip-linux-64.txt"), ("arm64", "")):
        shell = subprocess.run(
            ["bash", "-c", f'TARGETARCH={arch}; pip=unset; {selection}; echo "[$pip]"'],
            capture_output=True,
            text=True,
            check=True,
        )
        assert shell.stdout == f"[{expected}]\n"
