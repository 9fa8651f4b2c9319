"""`envsplit import` on a drifted rocker-like set (tests/data/import-rocker), its bad input, its guarantee."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_import_scenarios import assert_guarantee

from envsplit.cli import cli

ROCKER = Path(__file__).parent / "data" / "import-rocker"
ROCKER_ARGS = [
    "environment.yml",
    "environment.cpu.yml",
    "extend/environment.yml",
    "extend/environment.cpu.yml",
    "--name",
    "cuda=environment.yml",
    "--name",
    "cuda-spatial=extend/environment.yml",
    "--name",
    "cpu-spatial=extend/environment.cpu.yml",
    "--base",
    "cuda-spatial=cuda",
    "--base",
    "cpu-spatial=cpu",
    "--virtual-package",
    "cuda:__cuda=12.9",
]
ROCKER_VARIANTS = {
    "cuda": ROCKER / "environment.yml",
    "cpu": ROCKER / "environment.cpu.yml",
    "cuda-spatial": ROCKER / "extend" / "environment.yml",
    "cpu-spatial": ROCKER / "extend" / "environment.cpu.yml",
}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["import", *args])


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@pytest.fixture()
def rocker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The rocker-like set imported into tmp_path/project."""
    monkeypatch.chdir(ROCKER)
    result = run("-o", str(tmp_path / "project"), *ROCKER_ARGS)
    assert result.exit_code == 0, result.output
    return tmp_path / "project"


def test_rocker_import_writes_a_project_whose_variants_are_the_files(rocker: Path) -> None:
    assert files_under(rocker) == [
        "environment.yml",
        "envsplit.yml",
        "overlays/cpu-spatial.yml",
        "overlays/cpu.yml",
        "overlays/cuda-spatial.yml",
        "overlays/cuda.yml",
    ]
    assert_guarantee(rocker, ROCKER_VARIANTS)
    config = (rocker / "envsplit.yml").read_text()
    assert "  cpu-spatial: {base: cpu, overlays: [cpu-spatial]}  # extend/environment.cpu.yml\n" in config
    # The extension states only what it adds to its base: not one package of the base again.
    assert (rocker / "overlays" / "cpu-spatial.yml").read_text().splitlines()[1:] == [
        "add:",
        "  - gdal",
        "  - geopandas",
        "  - rasterio",
        "  - xarray",
        "  - zarr",
    ]
    assert "replace:\n  pytorch: pytorch-cpu\n" in (rocker / "overlays" / "cpu.yml").read_text()
    # The first file's comments stay with the entries they were written above.
    shared = (rocker / "environment.yml").read_text()
    assert "  # CUDA build of pytorch; the CPU image uses pytorch-cpu in its place\n  - pytorch\n" in shared


def test_rocker_drift_report_names_every_planted_difference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROCKER)
    result = run("--check", *ROCKER_ARGS)
    assert result.exit_code == 0, result.output
    pair = result.stdout.split("extend/environment.yml -> extend/environment.cpu.yml")[1]
    assert "  only in extend/environment.yml (3): cudf, pystac-client, rioxarray\n" in pair
    assert "  specs differ (1): 'gdal >=3.9' vs 'gdal'\n" in pair
    assert "  pip only in extend/environment.yml (1): pcodec\n" in pair
    assert "  replaced (1): pytorch -> pytorch-cpu\n" in pair
    assert "  channel order: rapidsai, conda-forge vs conda-forge\n" in pair
    assert len(result.stdout.splitlines()) <= 25  # one screen
    data = json.loads(run("--check", "--format", "json", *ROCKER_ARGS).stdout)
    spatial = next(
        p for p in data["pairs"] if p["other"] == "extend/environment.cpu.yml" and p["why"] == "suffix"
    )
    assert spatial["only_in_reference"] == ["cudf", "pystac-client", "rioxarray"]
    assert spatial["specs_differ"] == [{"name": "gdal", "reference": "gdal >=3.9", "other": "gdal"}]
    markdown = run("--check", "--format", "markdown", *ROCKER_ARGS).stdout
    assert "| only in extend/environment.yml | `rioxarray` | — |" in markdown


def test_check_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROCKER)
    assert run("--check", "-o", str(tmp_path / "out"), *ROCKER_ARGS).exit_code == 0
    assert not (tmp_path / "out").exists()


def test_rocker_import_locks_against_the_snapshot(
    rocker: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    result = CliRunner().invoke(cli, ["-C", str(rocker), "lock", *mirror_args])
    assert result.exit_code == 0, result.output
    for variant in ROCKER_VARIANTS:
        assert (rocker / "locks" / variant / "conda-lock.yml").is_file()


# The same images with additive spatial files (rocker-org/ml's way: `mamba env update` on the base image).
ADDITIVE_ARGS = [
    "environment.yml",
    "environment.cpu.yml",
    "extend-additive/environment.yml",
    "extend-additive/environment.cpu.yml",
    "--name",
    "cuda=environment.yml",
    "--name",
    "cuda-spatial=extend-additive/environment.yml",
    "--name",
    "cpu-spatial=extend-additive/environment.cpu.yml",
    "--base",
    "cuda-spatial=cuda",
    "--base",
    "cpu-spatial=cpu",
    "--virtual-package",
    "cuda:__cuda=12.9",
]
ADDITIVE_VARIANTS = {
    **{k: v for k, v in ROCKER_VARIANTS.items() if "spatial" not in k},
    "cuda-spatial": ROCKER / "extend-additive" / "environment.yml",
    "cpu-spatial": ROCKER / "extend-additive" / "environment.cpu.yml",
}


@pytest.fixture()
def additive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Result]:
    monkeypatch.chdir(ROCKER)
    result = run("-o", str(tmp_path / "project"), *ADDITIVE_ARGS)
    assert result.exit_code == 0, result.output
    return tmp_path / "project", result


def test_additive_extensions_are_their_base_plus_the_file(additive: tuple[Path, Result]) -> None:
    project, result = additive
    assert_guarantee(project, ADDITIVE_VARIANTS, {"cuda-spatial": "cuda", "cpu-spatial": "cpu"})
    # Not one package of the base is removed: the overlay adds, and re-pins what the base has.
    assert (project / "overlays" / "cpu-spatial.yml").read_text().splitlines()[2:] == [
        "replace:",
        "  werkzeug: werkzeug >=3",
        "add:",
        "  - gdal",
        "  - geopandas",
        "  - rasterio",
        "  - xarray",
        "  - zarr",
    ]
    config = (project / "envsplit.yml").read_text()
    assert "# extend-additive/environment.cpu.yml (additive: adds to its base)\n" in config
    assert (
        "  cpu-spatial (extend-additive/environment.cpu.yml): additive, holds 2 of the 14 packages of cpu; "
        "show cpu-spatial is show cpu plus the file\n"
    ) in result.stderr


def test_additive_drift_report_compares_what_the_spatial_files_add(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROCKER)
    result = run("--check", *ADDITIVE_ARGS)
    assert result.exit_code == 0, result.output
    pair = result.stdout.split(
        "extend-additive/environment.yml -> extend-additive/environment.cpu.yml (names differing by a suffix; "
        "additive extensions: what each file adds to its base): 5 differences\n"
    )[1].split("\n\n")[0]
    assert pair.splitlines() == [
        "  only in extend-additive/environment.yml (2): pystac-client, rioxarray",
        "  only in extend-additive/environment.cpu.yml (1): werkzeug >=3",
        "  specs differ (1): 'gdal >=3.9' vs 'gdal'",
        "  pip only in extend-additive/environment.yml (1): pcodec",
    ]
    data = json.loads(run("--check", "--format", "json", *ADDITIVE_ARGS).stdout)
    assert [(e["variant"], e["mode"], e["holds"], e["of"]) for e in data["extensions"]] == [
        ("cuda-spatial", "additive", 1, 15),
        ("cpu-spatial", "additive", 2, 14),
    ]
    spatial = next(p for p in data["pairs"] if p["compares"] == "additions")
    assert spatial["only_in_reference"] == ["pystac-client", "rioxarray"]


def test_additive_import_locks_against_the_snapshot(
    additive: tuple[Path, Result], mirror_args: list[str], cache_dir: Path
) -> None:
    project, _ = additive
    result = CliRunner().invoke(cli, ["-C", str(project), "lock", *mirror_args])
    assert result.exit_code == 0, result.output
    for variant in ADDITIVE_VARIANTS:
        assert (project / "locks" / variant / "conda-lock.yml").is_file()


def test_complete_extensions_are_read_as_complete(rocker: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROCKER)
    data = json.loads(run("--check", "--format", "json", *ROCKER_ARGS).stdout)
    assert [(e["variant"], e["mode"]) for e in data["extensions"]] == [
        ("cuda-spatial", "complete"),
        ("cpu-spatial", "complete"),
    ]


def test_extends_mode_forces_a_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROCKER)
    # The complete spatial file read as additive: nothing of the base is removed, the guarantee is the union.
    result = run("-o", str(tmp_path / "p"), *ROCKER_ARGS, "--extends-mode", "cpu-spatial=additive")
    assert result.exit_code == 0, result.output
    assert "cpu-spatial (extend/environment.cpu.yml): additive, set by --extends-mode;" in result.stderr
    assert "cuda-spatial (extend/environment.yml): complete, holds all 15 packages of cuda;" in result.stderr
    assert_guarantee(tmp_path / "p", ROCKER_VARIANTS, {"cpu-spatial": "cpu"})
    # An additive file read as complete: the extension removes what the file does not list.
    result = run("-o", str(tmp_path / "q"), *ADDITIVE_ARGS, "--extends-mode", "complete")
    assert result.exit_code == 0, result.output
    assert_guarantee(tmp_path / "q", ADDITIVE_VARIANTS)
    assert "remove:\n  - altair\n" in (tmp_path / "q" / "overlays" / "cpu-spatial.yml").read_text()


def test_import_printed_report_is_the_check_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROCKER)
    written = run("-o", str(tmp_path / "p"), *ROCKER_ARGS)
    assert written.stdout == run("--check", *ROCKER_ARGS).stdout
    assert "Imported 4 files into" in written.stderr


# --- bad input: one error line, exit 2, nothing written ---------------------------------------------------


def env(path: Path, deps: str = "  - python\n", channels: str = "  - conda-forge\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"name: x\nchannels:\n{channels}dependencies:\n{deps}")
    return path


@pytest.fixture()
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    env(tmp_path / "environment.yml")
    env(tmp_path / "environment.cpu.yml", "  - python\n  - numpy\n")
    return tmp_path


def refused(result: Result, message: str, out: Path) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: {message}\n"
    assert not out.exists()


CASES = {
    "one file with --base": (
        ["environment.yml", "--base", "a=b"],
        "--base needs two or more files (an extension and its base); only environment.yml was given",
    ),
    "a cycle of bases": (
        ["environment.yml", "environment.cpu.yml", "--base", "cpu=default", "--base", "default=cpu"],
        "--base: bases form a cycle (cpu -> default -> cpu); an image cannot be built FROM itself",
    ),
    "a base of itself": (
        ["environment.yml", "environment.cpu.yml", "--base", "cpu=cpu"],
        "--base: bases form a cycle (cpu -> cpu); an image cannot be built FROM itself",
    ),
    "a base that is not among the files": (
        ["environment.yml", "environment.cpu.yml", "--base", "cpu=cuda"],
        "--base cpu=cuda: 'cuda' is neither a variant (default, cpu) nor one of the files given",
    ),
    "an extension given twice": (
        [
            "environment.yml",
            "environment.cpu.yml",
            "extra.yml",
            "--base",
            "cpu=default",
            "--base",
            "cpu=extra",
        ],
        "--base cpu=extra: 'cpu' already has the base 'default'; give it one base",
    ),
    "a malformed --base": (
        ["environment.yml", "environment.cpu.yml", "--base", "cpu"],
        "--base cpu: expected EXT=BASE, e.g. --base extend-cpu=cpu",
    ),
    "--name of a file not given": (
        ["environment.yml", "environment.cpu.yml", "--name", "gpu=environment.gpu.yml"],
        "--name gpu=environment.gpu.yml: environment.gpu.yml is not one of the files given "
        "(environment.yml, environment.cpu.yml)",
    ),
    "a name colliding with another file's": (
        ["environment.yml", "environment.cpu.yml", "environment-cpu.yml"],
        "environment-cpu.yml: its variant name 'cpu' is also that of environment.cpu.yml; "
        "name one of them with --name VARIANT=FILE",
    ),
    "--name colliding with a derived name": (
        ["environment.yml", "environment.cpu.yml", "--name", "cpu=environment.yml"],
        "environment.cpu.yml: its variant name 'cpu' is also that of environment.yml; "
        "name one of them with --name VARIANT=FILE",
    ),
    "a file given twice": (
        ["environment.yml", "./environment.yml"],
        "environment.yml: given twice; list each file once",
    ),
    "not YAML": (
        ["environment.yml", "broken.yml"],
        "broken.yml:2: not valid YAML (expected the node content, but found '<stream end>'); fix the syntax",
    ),
    "no dependencies": (
        ["environment.yml", "nodeps.yml"],
        "nodeps.yml:1: dependencies: missing; list the conda packages the environment needs",
    ),
    "dependencies of the wrong type": (
        ["environment.yml", "mapping.yml"],
        "mapping.yml:2: dependencies: expected a list, got a mapping",
    ),
    "a bad entry": (
        ["environment.yml", "badentry.yml"],
        "badentry.yml:4: dependencies[1]: expected a conda match spec such as 'numpy >=2', got 3",
    ),
    "a malformed --extends-mode": (
        ["environment.yml", "environment.cpu.yml", "--base", "cpu=default", "--extends-mode", "cpu=partial"],
        "--extends-mode cpu=partial: expected MODE or EXT=MODE with MODE one of auto, additive, complete, "
        "e.g. --extends-mode extend=additive",
    ),
    "--extends-mode of a variant that extends nothing": (
        [
            "environment.yml",
            "environment.cpu.yml",
            "--base",
            "cpu=default",
            "--extends-mode",
            "default=additive",
        ],
        "--extends-mode default=additive: 'default' is not an extension; extensions (--base): cpu",
    ),
    "an extension neither complete nor additive": (
        ["environment.yml", "environment.cpu.yml", "--base", "default=cpu"],
        "environment.yml: holds 1 of the 2 packages of its base 'cpu' (environment.cpu.yml): it may be a "
        "complete environment that lost 1, or additions repeating many of the base's pins; say which with "
        "--extends-mode default=complete (the file is the whole environment) or --extends-mode "
        "default=additive (it adds to its base)",
    ),
    "a virtual package of no variant": (
        ["environment.yml", "--virtual-package", "gpu:__cuda=12"],
        "--virtual-package gpu:__cuda=12: no variant 'gpu'; variants: default",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_error_line_and_nothing_written(here: Path, case: str) -> None:
    env(here / "environment-cpu.yml")
    env(here / "extra.yml")
    (here / "broken.yml").write_text("dependencies: [python,\n")
    (here / "nodeps.yml").write_text("name: x\nchannels: [conda-forge]\n")
    (here / "mapping.yml").write_text("name: x\ndependencies: {python: 3}\n")
    (here / "badentry.yml").write_text("name: x\ndependencies:\n  - python\n  - 3\n")
    args, message = CASES[case]
    refused(run("-o", "out", *args), message, here / "out")


def test_output_folder_with_a_project_is_refused_unless_forced(here: Path) -> None:
    (here / "out").mkdir()
    (here / "out" / "envsplit.yml").write_text("variants: {a: {}}\n")
    result = run("-o", "out", "environment.yml", "environment.cpu.yml")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: out/envsplit.yml: the output folder already holds an envsplit project; "
        "import into another folder with -o DIR, or pass --force to replace its files\n"
    )
    assert files_under(here / "out") == ["envsplit.yml"]
    assert run("-o", "out", "--force", "environment.yml", "environment.cpu.yml").exit_code == 0
    assert files_under(here / "out") == ["environment.yml", "envsplit.yml", "overlays/cpu.yml"]


def test_force_removes_the_old_projects_overlays_import_wrote(here: Path) -> None:
    env(here / "environment.gpu.yml", "  - python\n  - cupy\n")
    assert run("-o", "out", "environment.yml", "environment.cpu.yml", "environment.gpu.yml").exit_code == 0
    (here / "out" / "overlays" / "mine.yml").write_text("add: [scipy]\n")  # not listed: never touched
    result = run("-o", "out", "--force", "environment.yml", "environment.cpu.yml")
    assert result.exit_code == 0, result.output
    assert files_under(here / "out") == [
        "environment.yml",
        "envsplit.yml",
        "overlays/cpu.yml",
        "overlays/mine.yml",
    ]
    assert "removed the old project's overlays it no longer has: out/overlays/gpu.yml\n" in result.stderr


def test_force_refuses_to_leave_a_listed_overlay_import_did_not_write(here: Path) -> None:
    assert run("-o", "out", "environment.yml", "environment.cpu.yml").exit_code == 0
    config = (here / "out" / "envsplit.yml").read_text()
    (here / "out" / "envsplit.yml").write_text(config + "  gpu: {overlays: [gpu]}\n")
    (here / "out" / "overlays" / "gpu.yml").write_text("add: [cupy]\n")
    before = {p: (here / "out" / p).read_text() for p in files_under(here / "out")}
    result = run("-o", "out", "--force", "environment.cpu.yml", "environment.yml")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: out/envsplit.yml: --force would leave out/overlays/gpu.yml behind, listed by the old project "
        "but not written by envsplit import; move or delete it yourself, then import again\n"
    )
    assert {p: (here / "out" / p).read_text() for p in files_under(here / "out")} == before


def test_a_first_file_written_by_envsplit_show_leaves_its_header_behind(rocker: Path, tmp_path: Path) -> None:
    shown = CliRunner().invoke(cli, ["-C", str(rocker), "show", "cpu"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("# Generated by envsplit ")
    (tmp_path / "cpu.yml").write_text(shown.stdout)
    result = run("-o", str(tmp_path / "again"), str(tmp_path / "cpu.yml"), str(ROCKER / "environment.yml"))
    assert result.exit_code == 0, result.output
    text = (tmp_path / "again" / "environment.yml").read_text()
    lines = text.splitlines()
    assert lines[0].startswith("# Imported by 'envsplit import' from ")
    assert lines[2] == "name: ml-cpu"  # right after import's two-line note: no header line of the show output
    assert "Generated by envsplit" not in text and "Regenerate with" not in text and "# variant:" not in text


def test_an_input_file_is_not_replaced_by_the_shared_environment(here: Path) -> None:
    before = (here / "environment.yml").read_text()
    result = run("environment.yml", "environment.cpu.yml")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: environment.yml: is one of the files being imported and would be replaced by the project's "
        "environment.yml; write the project elsewhere with -o DIR, or pass --force to replace it\n"
    )
    assert (here / "environment.yml").read_text() == before
    assert not (here / "envsplit.yml").exists()


def test_a_project_that_would_not_reproduce_a_file_is_refused(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import envsplit.importing.run as run_module

    real = run_module.project_files

    def lossy(*args: object, **kwargs: object) -> dict[str, str]:
        files = real(*args, **kwargs)  # type: ignore[arg-type]
        files["overlays/cpu.yml"] = files["overlays/cpu.yml"].replace("  - numpy\n", "  - scipy\n")
        return files

    monkeypatch.setattr(run_module, "project_files", lossy)
    result = run("-o", "out", "environment.yml", "environment.cpu.yml")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: environment.cpu.yml: dependencies: 'numpy' is missing from variant 'cpu'; import cannot reproduce "
        "this file, so nothing was written (please report it)",
        "error: environment.cpu.yml: dependencies: variant 'cpu' has 'scipy', which the file does not; import "
        "cannot reproduce this file, so nothing was written (please report it)",
    ]
    assert not (here / "out").exists()


def test_an_extension_cannot_reorder_its_bases_channels(here: Path) -> None:
    env(here / "ext.yml", channels="  - bioconda\n  - conda-forge\n")
    env(here / "environment.yml", channels="  - conda-forge\n  - bioconda\n")
    result = run("-o", "out", "environment.yml", "ext.yml", "--base", "ext=default")
    refused(
        result,
        "ext.yml: channels: bioconda, conda-forge reorders channels of its base environment.yml "
        "(conda-forge, bioconda); an overlay can only remove, prepend and append channels: give both files "
        "the same order for the channels they share",
        here / "out",
    )


def test_variant_names_come_from_file_names(here: Path) -> None:
    env(here / "extend" / "environment.yml")
    env(here / "extend" / "environment-gpu.yaml")
    env(here / "Tools.yml")
    result = run(
        "-o",
        "out",
        "environment.yml",
        "environment.cpu.yml",
        "extend/environment.yml",
        "extend/environment-gpu.yaml",
        "Tools.yml",
    )
    assert result.exit_code == 0, result.output
    config = (here / "out" / "envsplit.yml").read_text()
    for line in (
        "  default: {}  # environment.yml",
        "  cpu: {overlays: [cpu]}  # environment.cpu.yml",
        "  extend: {}  # extend/environment.yml",
        "  extend-gpu: {}  # extend/environment-gpu.yaml",
        "  tools: {}  # Tools.yml",
    ):
        assert line in config.splitlines()


def test_dockerfile_is_recorded_relative_to_the_project(here: Path) -> None:
    pytest.importorskip("envsplit.render.adopt")
    (here / "docker").mkdir()
    (here / "docker" / "Dockerfile").write_text(
        "FROM mambaorg/micromamba:2.3.3\nCOPY environment.yml /tmp/\n"
        "RUN mamba env update -n base -f /tmp/environment.yml && mamba clean -afy\n"
    )
    result = run(
        "-o", "out", "environment.yml", "environment.cpu.yml", "--dockerfile", "cpu=docker/Dockerfile"
    )
    assert result.exit_code == 0, result.output
    assert (
        '  cpu: {overlays: [cpu], dockerfile: "../docker/Dockerfile"}  # environment.cpu.yml'
        in (here / "out" / "envsplit.yml").read_text().splitlines()
    )


def test_dockerfile_without_a_solver_step_is_refused(here: Path) -> None:
    pytest.importorskip("envsplit.render.adopt")
    (here / "Dockerfile").write_text("FROM ubuntu:24.04\nRUN apt-get update\n")
    result = run("-o", "out", "environment.yml", "environment.cpu.yml", "--dockerfile", "cpu=Dockerfile")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "Dockerfile" in result.stderr
    assert not (here / "out").exists()


def test_dockerfile_of_an_unknown_variant_is_refused(here: Path) -> None:
    (here / "Dockerfile").write_text("FROM ubuntu:24.04\n")
    result = run("-o", "out", "environment.yml", "environment.cpu.yml", "--dockerfile", "gpu=Dockerfile")
    refused(result, "--dockerfile gpu=Dockerfile: no variant 'gpu'; variants: default, cpu", here / "out")


def test_rocker_copy_can_be_imported_in_place_into_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(ROCKER, tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    result = CliRunner().invoke(cli, ["-C", "envsplit", "import", *ROCKER_ARGS])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "repo" / "envsplit" / "envsplit.yml").is_file()


def test_readme_shows_the_report_import_prints(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    excerpt = readme.split("the CPU spatial file's losses are the last pair:\n\n```\n", 1)[1].split("```", 1)[
        0
    ]
    monkeypatch.chdir(ROCKER)
    assert excerpt == run("--check", *ROCKER_ARGS).stdout
