"""Which RUN instructions are solver steps, where they install, and the refusals that keep adoption unsurprising."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from test_adopt_dockerfile import _adopt, _snapshot

from envsplit.cli import cli
from envsplit.errors import InputError
from envsplit.models import DockerConfig
from envsplit.render.adopt import _prefix, _word, check_adoptable
from envsplit.render.adopt_steps import Target, solver_steps

DOCKER = DockerConfig()


def _only(run: str) -> Target:
    (step,) = solver_steps("Dockerfile", f"FROM ubuntu:24.04\n{run}\n")
    return step.target


@pytest.mark.parametrize(
    ("run", "prefix"),
    [
        ("RUN mamba env update -n base -f /tmp/environment.yml && mamba clean -afy", "/opt/conda"),
        ("RUN mamba env update --name=base --file /tmp/environment.yml", "/opt/conda"),
        ('RUN conda env create -p "${CONDA_DIR}" -f environment.yml', '"${CONDA_DIR}"'),
        ("RUN conda env update -p $CONDA_DIR -f environment.yml", '"$CONDA_DIR"'),
        ("RUN micromamba install -y -f environment.yml", "/opt/conda"),
        ("RUN micromamba install -y -n base -f /tmp/env.yaml && micromamba clean --all --yes", "/opt/conda"),
        ("RUN micromamba create -y -n ml -f environment.yml", "/opt/conda/envs/ml"),
        ("RUN conda install -y --file requirements.txt", "/opt/conda"),
        ("RUN mamba install -y --file=spec.txt -p /srv/env", "/srv/env"),
        (
            "RUN ${CONDA_DIR}/bin/mamba env update -n base \\\n    -f /tmp/e.yml \\\n && rm -rf /tmp/e.yml",
            "/opt/conda",
        ),
        ('RUN ["mamba", "env", "update", "-p", "/srv/env", "-f", "/tmp/e.yml"]', "/srv/env"),
        (
            "RUN set -eux; MAMBA_NO_BANNER=1 sudo mamba env update -n base -f e.yml; find /opt/conda -name '*.a' -delete",
            "/opt/conda",
        ),
        ("RUN <<EOF\nmamba env update -n base -f /tmp/e.yml\nmamba clean -afy\nEOF", "/opt/conda"),
    ],
)
def test_recognised_steps_and_their_prefix(run: str, prefix: str) -> None:
    assert _word(_prefix(_only(run), DOCKER)) == prefix


@pytest.mark.parametrize(
    "run",
    [
        "RUN mamba install -y numpy",  # no environment file: a package list, not a solver step envsplit adopts
        "RUN conda update --all",
        "RUN pip install -r requirements.txt",
        "RUN echo mamba env update",  # only the program counts, not an argument
        "RUN conda clean -afy",
    ],
)
def test_not_solver_steps(run: str) -> None:
    assert solver_steps("Dockerfile", f"FROM ubuntu:24.04\n{run}\n") == []


def test_a_solver_without_a_target_environment_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        solver_steps("Dockerfile", "FROM ubuntu:24.04\nRUN conda env create -f environment.yml\n")
    assert str(caught.value) == (
        "Dockerfile: line 2: 'env create' names no environment (-n NAME or -p PATH), so it takes the name from "
        "the environment file, which envsplit does not read at build time; add -n NAME or -p PATH to the "
        "command and run envsplit again"
    )


def test_a_solver_step_chained_with_other_work_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        solver_steps(
            "Dockerfile",
            'FROM ubuntu:24.04\nRUN mamba env update -n base -f e.yml \\\n && fix-permissions "${CONDA_DIR}"\n',
        )
    assert str(caught.value) == (
        "Dockerfile: line 2: the solver step also runs 'fix-permissions ${CONDA_DIR}'; envsplit replaces the "
        "whole RUN instruction and would drop that: move it into a RUN of its own, then run envsplit again"
    )


def test_one_step_into_two_environments_is_refused() -> None:
    with pytest.raises(InputError, match="line 2: the solver step installs into several environments"):
        solver_steps("D", "FROM x\nRUN mamba env update -n base -f a.yml && mamba env update -n r -f b.yml\n")


TWO = """FROM ubuntu:24.04
RUN mamba env update -n base -f /tmp/a.yml
RUN echo between
{mark}RUN mamba env update -n base -f /tmp/b.yml
"""


def test_several_solver_steps_are_refused_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(TWO.format(mark=""))
    with pytest.raises(InputError) as caught:
        check_adoptable(path)
    assert str(caught.value) == (
        f"{path}: has 2 solver steps (lines 2, 4); put a line '# envsplit: install' right above the one "
        "envsplit should replace, then run envsplit again"
    )


def test_the_marked_step_is_adopted(rocker_project: Path) -> None:
    import shutil

    shutil.copytree(Path(__file__).parent.parent / "locks", rocker_project / "locks")
    text = TWO.format(mark="# envsplit: install\n")
    path = _adopt(rocker_project, text)
    result = CliRunner().invoke(cli, ["-C", str(rocker_project), "dockerfile"])
    assert result.exit_code == 0, result.output
    new = path.read_text()
    assert new.startswith("FROM ubuntu:24.04\nRUN mamba env update -n base -f /tmp/a.yml\nRUN echo between\n")
    assert "# envsplit: install\n# >>> envsplit: install" in new
    assert "# replaces: RUN mamba env update -n base -f /tmp/b.yml\n" in new
    check_adoptable(path)  # an adopted file stays adoptable


def test_a_generated_dockerfile_is_not_adopted() -> None:
    path = Path(__file__).parent.parent / "dockerfiles" / "Dockerfile.cpu"
    with pytest.raises(InputError, match="is a Dockerfile envsplit generates, not a hand-written one"):
        check_adoptable(path)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "../Dockerfile",
            "'../Dockerfile' is outside the project folder",
        ),
        ("missing/Dockerfile", "missing/Dockerfile is not a file; name the Dockerfile to adopt"),
        ("[a]", "expected the path of a Dockerfile in the project"),
    ],
)
def test_bad_dockerfile_keys(rocker_project: Path, value: str, message: str) -> None:
    config = rocker_project / "envsplit.yml"
    config.write_text(config.read_text().replace("  cuda: {", f"  cuda: {{dockerfile: {value}, ", 1))
    (rocker_project.parent / "Dockerfile").write_text("FROM x\n")
    before = _snapshot(rocker_project)
    result = CliRunner().invoke(cli, ["-C", str(rocker_project), "dockerfile"])
    assert result.exit_code == 2
    assert "variants.cuda.dockerfile" in result.output and message in result.output, result.output
    assert "Traceback" not in result.output
    assert _snapshot(rocker_project) == before


def test_two_variants_cannot_adopt_one_file(rocker_project: Path) -> None:
    _adopt(rocker_project, "FROM x\nRUN mamba env update -n base -f e.yml\n")
    config = rocker_project / "envsplit.yml"
    config.write_text(config.read_text().replace("  cuda: {", "  cuda: {dockerfile: Dockerfile, ", 1))
    result = CliRunner().invoke(cli, ["-C", str(rocker_project), "dockerfile"])
    assert result.exit_code == 2
    assert "variants.cuda.dockerfile" in result.output
    assert (
        "Dockerfile is adopted by variant 'cpu' already; each variant needs its own Dockerfile"
        in result.output
    )
