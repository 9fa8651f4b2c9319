"""`envsplit lock` and `envsplit show` end to end, on the rocker example, through the loopback mirror.

The full lock of the four variants on both platforms runs once per module (``locked``) and is shared by
the read-only tests. Tests that change inputs work on a copy of its output (``locked_copy``), so they
need no solve unless they ask for one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from envsplit.cli import cli

from projectfiles import edit

REPO = Path(__file__).parent.parent
PLATFORMS = ("linux-64", "linux-aarch64")
VARIANTS = ("cpu", "cuda", "cpu-spatial", "cuda-spatial")
BASES = {"cpu-spatial": "cpu", "cuda-spatial": "cuda"}
CANONICAL = ("https://conda.anaconda.org/conda-forge/", "https://conda.anaconda.org/rapidsai/")
# Any solve would have to read repodata through this mirror, and nothing listens on port 9.
DEAD_MIRRORS = [
    "--mirror",
    "https://conda.anaconda.org/conda-forge=http://127.0.0.1:9/conda-forge",
    "--mirror",
    "https://conda.anaconda.org/rapidsai=http://127.0.0.1:9/rapidsai",
]


@dataclass(frozen=True)
class Locked:
    root: Path
    cache: Path
    result: Result


def copy_inputs(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in ("envsplit.yml", "environment.yml"):
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(REPO / "overlays", dest / "overlays")
    return dest


def invoke(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args])


def tree(root: Path, folders: tuple[str, ...] = ("locks", "dockerfiles")) -> dict[str, tuple[bytes, int]]:
    """Relative path -> (bytes, mtime) of every file under ``folders``."""
    return {
        p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for folder in folders
        for p in sorted((root / folder).rglob("*"))
        if p.is_file()
    }


def package_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln for ln in lines[lines.index("@EXPLICIT") + 1 :] if ln and not ln.startswith("#")]


_PARSED: dict[Path, tuple[bytes, Any]] = {}


def conda_lock_file(root: Path, variant: str) -> Any:
    """conda-lock's own reading of our conda-lock.yml; cached by content, since it takes seconds per file."""
    from conda_lock.lockfile import parse_conda_lock_file

    path = root / "locks" / variant / "conda-lock.yml"
    data = path.read_bytes()
    if path not in _PARSED or _PARSED[path][0] != data:
        _PARSED[path] = (data, parse_conda_lock_file(path))
    return _PARSED[path][1].model_copy(deep=True)


def packages(root: Path, variant: str, platform: str) -> dict[str, Any]:
    """The conda packages of ``variant`` on ``platform`` (its pip packages are ``manager: pip`` entries)."""
    lock = conda_lock_file(root, variant)
    return {p.name: p for p in lock.package if p.platform == platform and p.manager == "conda"}


def stale_pairs(stdout: str) -> set[tuple[str, str]]:
    return {(v, p) for v, p in re.findall(r"^stale: (\S+) (\S+): ", stdout, re.MULTILINE)}


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory, mirror_args: list[str], pypi_args: list[str]) -> Locked:
    root = copy_inputs(tmp_path_factory.mktemp("rocker") / "project")
    cache = tmp_path_factory.mktemp("cache")
    result = invoke(root, "lock", "--cache-dir", str(cache), *mirror_args, *pypi_args)
    return Locked(root, cache, result)


@pytest.fixture()
def locked_copy(locked: Locked, rocker_project: Path) -> Path:
    """A fresh copy of the rocker example holding the shared run's locks/ and dockerfiles/."""
    assert locked.result.exit_code == 0, locked.result.output
    for folder in ("locks", "dockerfiles", ".github"):  # .github: the build workflow
        shutil.copytree(locked.root / folder, rocker_project / folder)
    return rocker_project


# --- the full lock -----------------------------------------------------------------------------------


def test_full_lock_solves_every_variant_on_every_platform(locked: Locked) -> None:
    result = locked.result
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    files = sorted(
        p.relative_to(locked.root / "locks").as_posix() for p in (locked.root / "locks").rglob("*.*")
    )
    expected = []
    for variant in VARIANTS:
        expected.append(f"{variant}/conda-lock.yml")
        for platform in PLATFORMS:
            expected.append(f"{variant}/conda-{platform}.lock")
            expected.append(f"{variant}/pip-{platform}.txt")  # every variant has pip entries
            if variant in BASES:
                expected.append(f"{variant}/layer-{platform}.lock")
                expected.append(f"{variant}/pip-layer-{platform}.txt")
    assert files == sorted(expected)
    match = re.search(
        r"^8 solved, 0 unchanged, 0 failed; (\d+) file\(s\) written$", result.stdout, re.MULTILINE
    )
    assert match, result.stdout
    assert int(match.group(1)) >= len(expected)


def test_pip_entries_are_locked_not_warned_about(locked: Locked) -> None:
    assert "pip entries" not in locked.result.output
    for variant in ("cpu", "cuda", "cpu-spatial", "cuda-spatial"):
        for platform in PLATFORMS:
            assert (locked.root / "locks" / variant / f"pip-{platform}.txt").is_file()


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("variant", ["cpu", "cpu-spatial"])
def test_cpu_variants_lock_a_cpu_pytorch_and_nothing_cuda(
    locked: Locked, variant: str, platform: str
) -> None:
    pkgs = packages(locked.root, variant, platform)
    assert pkgs["pytorch"].build.startswith("cpu"), pkgs["pytorch"].build
    assert "pytorch-cpu" in pkgs
    assert "cudf" not in pkgs
    assert [name for name, p in pkgs.items() if "__cuda" in p.dependencies] == []
    assert not any(re.search(r"(^|_)cuda\d", p.build) for p in pkgs.values())
    assert all(p.url.startswith(CANONICAL[0]) for p in pkgs.values())


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("variant", ["cuda", "cuda-spatial"])
def test_cuda_variants_lock_a_cuda_pytorch_and_cudf_from_rapidsai(
    locked: Locked, variant: str, platform: str
) -> None:
    pkgs = packages(locked.root, variant, platform)
    assert "cuda" in pkgs["pytorch"].build, pkgs["pytorch"].build
    assert "__cuda" in pkgs["pytorch"].dependencies
    assert "pytorch-cpu" not in pkgs
    assert pkgs["cudf"].url.startswith(f"https://conda.anaconda.org/rapidsai/{platform}/cudf-")
    assert (
        conda_lock_file(locked.root, variant).metadata.channels[0].url
        == "https://conda.anaconda.org/rapidsai"
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_urls_are_canonical_and_hashes_complete(locked: Locked, variant: str) -> None:
    folder = locked.root / "locks" / variant
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        assert "127.0.0.1" not in text, path
        assert "localhost" not in text, path
    lock = conda_lock_file(locked.root, variant)
    assert sorted(lock.metadata.platforms) == list(PLATFORMS)
    # the file lists packages in conda-lock's order (manager, name, then platform): a relock diffs line by line
    keys, name, manager = [], None, None
    for line in (folder / "conda-lock.yml").read_text(encoding="utf-8").splitlines():
        if line.startswith("- name: "):
            name = line.removeprefix("- name: ")
        elif line.startswith("  manager: "):
            manager = line.removeprefix("  manager: ")
        elif line.startswith("  platform: "):
            keys.append((manager, name, line.removeprefix("  platform: ")))
    assert len(keys) == len(lock.package)
    assert keys == sorted(keys)
    by_url = {}
    for p in lock.package:
        if p.manager == "pip":
            assert p.url.startswith("https://files.pythonhosted.org/packages/"), p.url
            assert re.fullmatch(r"[0-9a-f]{64}", p.hash.sha256 or ""), p.name
            continue
        assert p.manager == "conda"
        assert p.url.startswith(CANONICAL), p.url
        assert re.fullmatch(r"[0-9a-f]{32}", p.hash.md5 or ""), p.name
        assert re.fullmatch(r"[0-9a-f]{64}", p.hash.sha256 or ""), p.name
        by_url[p.url] = p.hash.md5
    for platform in PLATFORMS:
        for line in package_lines(folder / f"conda-{platform}.lock"):
            url, _, md5 = line.partition("#")
            assert url.startswith(CANONICAL), line
            assert by_url[url] == md5, line


@pytest.mark.parametrize("variant", VARIANTS)
def test_conda_lock_renders_the_same_explicit_lines_as_ours(locked: Locked, variant: str) -> None:
    from conda_lock.conda_lock import render_lockfile_for_platform

    lockfile = conda_lock_file(locked.root, variant)
    for platform in PLATFORMS:
        rendered = render_lockfile_for_platform(
            lockfile=lockfile,
            include_dev_dependencies=False,
            extras=None,
            kind="explicit",
            platform=platform,
        )
        theirs = [ln for ln in rendered[rendered.index("@EXPLICIT") + 1 :] if ln and not ln.startswith("#")]
        ours = package_lines(locked.root / "locks" / variant / f"conda-{platform}.lock")
        assert ours == theirs
        conda = {p.name for p in lockfile.package if p.platform == platform and p.manager == "conda"}
        assert len(ours) == len(conda)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_file_says_what_it_is_and_how_to_regenerate_it(locked: Locked, variant: str) -> None:
    for path in sorted((locked.root / "locks" / variant).iterdir()):
        head = path.read_text(encoding="utf-8").splitlines()[:3]
        assert head[0].startswith("# Generated by envsplit "), path
        assert head[0].endswith("Do not edit by hand."), path
        assert head[1] == f"# Regenerate with: envsplit lock --variant {variant}", path
        assert head[2] == f"# variant: {variant}", path
        if path.suffix == ".lock":
            platform = path.stem.split("-", 1)[1]
            text = path.read_text(encoding="utf-8")
            assert re.search(
                rf"^# platform: {platform}\n# content-sha256: [0-9a-f]{{64}}\n@EXPLICIT\n", text, re.M
            )


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("variant", ["cpu-spatial", "cuda-spatial"])
def test_layer_holds_exactly_what_the_extension_adds_to_its_base(
    locked: Locked, variant: str, platform: str
) -> None:
    locks = locked.root / "locks"
    base = package_lines(locks / BASES[variant] / f"conda-{platform}.lock")
    full = package_lines(locks / variant / f"conda-{platform}.lock")
    layer = package_lines(locks / variant / f"layer-{platform}.lock")
    # every base package, same URL and md5, is in the extension: the image built FROM the base keeps it
    assert set(base) <= set(full)
    base_names = {line.rsplit("/", 1)[1].rsplit("-", 2)[0] for line in base}
    layer_names = {line.rsplit("/", 1)[1].rsplit("-", 2)[0] for line in layer}
    assert layer_names, "the spatial layer adds packages"
    assert base_names.isdisjoint(layer_names)
    assert set(base) | set(layer) == set(full)
    assert len(base) + len(layer) == len(full)
    # the layer keeps the install order of the full lock
    assert layer == [ln for ln in full if ln in set(layer)]
    assert {"gdal", "geopandas", "rasterio"} <= layer_names


# --- re-running -------------------------------------------------------------------------------------


def test_second_run_solves_nothing_and_changes_nothing(locked: Locked, tmp_path: Path) -> None:
    before = tree(locked.root)
    # An empty cache and unreachable mirrors: a run that tried to solve would fail.
    result = invoke(locked.root, "lock", "--cache-dir", str(tmp_path / "empty-cache"), *DEAD_MIRRORS)
    assert result.exit_code == 0, result.output
    assert result.stdout == "0 solved, 8 unchanged, 0 failed; 0 file(s) written\n"
    assert tree(locked.root) == before
    assert not (tmp_path / "empty-cache").exists()


def test_second_run_without_mirror_flags(locked: Locked, tmp_path: Path) -> None:
    before = tree(locked.root)
    result = invoke(locked.root, "lock", "--cache-dir", str(tmp_path / "cache"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("0 solved, 8 unchanged, 0 failed")
    assert tree(locked.root) == before


def test_no_op_run_does_not_import_conda_lock(locked: Locked) -> None:
    code = (
        "import os, sys\n"
        "from click.testing import CliRunner\n"
        "from envsplit.cli import cli\n"
        f"r = CliRunner().invoke(cli, ['-C', {str(locked.root)!r}, 'lock'])\n"
        "print(r.exit_code, r.stdout.strip(), sorted(m for m in ('conda_lock', 'networkx') if m in sys.modules))\n"
        "sys.stdout.flush(); os._exit(0)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.stdout == "0 0 solved, 8 unchanged, 0 failed; 0 file(s) written []\n", proc.stderr


def test_force_solves_again_with_identical_bytes(locked: Locked, mirror_args: list[str]) -> None:
    before = tree(locked.root)
    result = invoke(locked.root, "lock", "--force", "--cache-dir", str(locked.cache), *mirror_args)
    assert result.exit_code == 0, result.output
    assert result.stdout == "8 solved, 0 unchanged, 0 failed; 0 file(s) written\n"
    assert tree(locked.root) == before


def test_force_fails_when_no_channel_is_reachable(locked_copy: Path, tmp_path: Path) -> None:
    # The counterpart of the no-op proof above: the same flags do reach for the channels once a solve is due.
    before = tree(locked_copy)
    result = invoke(
        locked_copy, "lock", "--force", "--variant", "cpu", "--cache-dir", str(tmp_path / "c"), *DEAD_MIRRORS
    )
    assert result.exit_code == 1
    assert "FAILED cpu linux-64:" in result.stderr
    assert tree(locked_copy) == before


# --- --check ----------------------------------------------------------------------------------------


def test_check_passes_when_fresh(locked: Locked) -> None:
    before = tree(locked.root)
    result = invoke(locked.root, "lock", "--check")
    assert result.exit_code == 0, result.output
    assert result.stdout == "all 8 locks are up to date\n"
    assert tree(locked.root) == before


def test_check_lists_both_spatial_variants_after_the_spatial_overlay_changed(locked_copy: Path) -> None:
    edit(locked_copy / "overlays/spatial.yml", "  - zarr\n", "  - zarr\n  - rich\n")
    before = tree(locked_copy)
    result = invoke(locked_copy, "lock", "--check", *DEAD_MIRRORS)
    assert result.exit_code == 1, result.output
    assert stale_pairs(result.stdout) == {(v, p) for v in ("cpu-spatial", "cuda-spatial") for p in PLATFORMS}
    assert result.stdout.splitlines()[-1].startswith("4 stale ")
    assert result.stdout.endswith("; run 'envsplit lock' to update them.\n")
    assert tree(locked_copy) == before


def test_check_reports_the_extension_when_only_its_base_changed(locked_copy: Path) -> None:
    edit(locked_copy / "overlays/cpu.yml", "replace:\n", "add: [rich]\nreplace:\n")
    before = tree(locked_copy)
    result = invoke(locked_copy, "lock", "--check")
    assert result.exit_code == 1, result.output
    assert stale_pairs(result.stdout) == {(v, p) for v in ("cpu", "cpu-spatial") for p in PLATFORMS}
    assert tree(locked_copy) == before


def test_check_after_a_virtual_package_change(locked_copy: Path) -> None:
    edit(locked_copy / "overlays/cuda.yml", '__cuda: "12.9"', '__cuda: "12.8"')
    result = invoke(locked_copy, "lock", "--check")
    assert result.exit_code == 1, result.output
    assert stale_pairs(result.stdout) == {(v, p) for v in ("cuda", "cuda-spatial") for p in PLATFORMS}


def test_check_sees_a_hand_edited_lock(locked_copy: Path) -> None:
    path = locked_copy / "locks/cpu/conda-linux-64.lock"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        re.sub(r"(?m)^# input-hash linux-64: .*$", "# input-hash linux-64: 0", text), encoding="utf-8"
    )
    result = invoke(locked_copy, "lock", "--check")
    assert result.exit_code == 1, result.output
    assert ("cpu", "linux-64") in stale_pairs(result.stdout)


def test_comments_and_formatting_of_inputs_do_not_make_locks_stale(locked_copy: Path) -> None:
    edit(locked_copy / "overlays/spatial.yml", "add:\n", "# more comments\nadd:  \n")
    result = invoke(locked_copy, "lock", "--check")
    assert result.exit_code == 0, result.output


# --- narrowed and failing runs ----------------------------------------------------------------------


def test_narrowed_run_writes_only_that_variant_and_platform(
    rocker_project: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    result = invoke(
        rocker_project, "lock", "--variant", "cpu", "--platform", "linux-64", "--no-dockerfiles", *mirror_args
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 solved, 0 unchanged, 0 failed; 3 file(s) written\n"
    written = sorted(
        p.relative_to(rocker_project).as_posix() for p in rocker_project.rglob("*") if p.is_file()
    )
    inputs = [
        "environment.yml",
        "envsplit.yml",
        "overlays/cpu.yml",
        "overlays/cuda.yml",
        "overlays/spatial.yml",
    ]
    assert [p for p in written if not p.startswith("cache/")] == sorted(
        [*inputs, "locks/cpu/conda-linux-64.lock", "locks/cpu/conda-lock.yml", "locks/cpu/pip-linux-64.txt"]
    )
    assert conda_lock_file(rocker_project, "cpu").metadata.platforms == ["linux-64"]
    text = (rocker_project / "locks/cpu/conda-linux-64.lock").read_text(encoding="utf-8")
    assert "\nhttps://conda.anaconda.org/conda-forge/linux-64/pytorch-2.10.0-cpu_mkl" in text
    assert "127.0.0.1" not in text


def test_narrowed_platform_run_keeps_the_other_platform(
    locked_copy: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    before = tree(locked_copy)
    result = invoke(
        locked_copy, "lock", "--force", "--variant", "cpu", "--platform", "linux-aarch64", *mirror_args
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 solved, 0 unchanged, 0 failed; 0 file(s) written\n"
    assert tree(locked_copy) == before


def test_narrowed_run_with_dockerfiles_skips_the_partly_locked_variant(
    rocker_project: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    result = invoke(rocker_project, "lock", "--variant", "cpu", "--platform", "linux-64", *mirror_args)
    assert result.exit_code == 0, result.output
    assert (
        "warning: Dockerfile.cpu not rendered: not every platform of 'cpu' is locked yet\n" in result.stderr
    )
    assert sorted(p.name for p in (rocker_project / "locks").rglob("*") if p.is_file()) == [
        "conda-linux-64.lock",
        "conda-lock.yml",
        "pip-linux-64.txt",
    ]
    assert not (rocker_project / "dockerfiles/Dockerfile.cpu").exists()


def test_unsatisfiable_variant_fails_alone_and_writes_nothing_of_itself(
    rocker_project: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    edit(rocker_project / "overlays/cuda.yml", "  - cudf\n", "  - cudf\n  - tzdata 1999.*\n")
    result = invoke(rocker_project, "lock", *mirror_args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for platform in PLATFORMS:
        assert re.search(rf"^FAILED cuda {platform}:\n.*tzdata 1999", result.stderr, re.MULTILINE), (
            result.stderr
        )
        assert f"FAILED cuda-spatial {platform}:\nits base 'cuda' could not be locked\n" in result.stderr
    assert re.search(r"^4 solved, 0 unchanged, 4 failed; \d+ file\(s\) written$", result.stdout, re.MULTILINE)
    locks = rocker_project / "locks"
    assert sorted(p.name for p in locks.iterdir()) == ["cpu", "cpu-spatial"]
    for variant in ("cpu", "cpu-spatial"):
        assert sorted(p.name for p in (locks / variant).iterdir() if p.name.startswith("conda-")) == [
            "conda-linux-64.lock",
            "conda-linux-aarch64.lock",
            "conda-lock.yml",
        ]
    assert not (rocker_project / "dockerfiles/Dockerfile.cuda").exists()


def test_failing_extension_keeps_its_previous_lock(
    locked_copy: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    edit(locked_copy / "overlays/spatial.yml", "add:\n", "replace: {python: python 2.7.*}\nadd:\n")
    before = tree(locked_copy)
    result = invoke(locked_copy, "lock", *mirror_args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    failed = set(re.findall(r"^FAILED (\S+) (\S+):$", result.stderr, re.MULTILINE))
    assert failed == {(v, p) for v in ("cpu-spatial", "cuda-spatial") for p in PLATFORMS}
    assert result.stdout.startswith("0 solved, 4 unchanged, 4 failed; 0 file(s) written")
    assert tree(locked_copy) == before


def test_all_selected_variants_failing_exits_1(
    rocker_project: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    edit(rocker_project / "overlays/cpu.yml", "replace:\n", "add: [tzdata 1999.*]\nreplace:\n")
    result = invoke(rocker_project, "lock", "--variant", "cpu", *mirror_args)
    assert result.exit_code == 1, result.output
    assert re.findall(r"^FAILED (\S+ \S+):$", result.stderr, re.MULTILINE) == [
        "cpu linux-64",
        "cpu linux-aarch64",
    ]
    assert "error:" not in result.stderr
    assert result.stdout.startswith("0 solved, 0 unchanged, 2 failed;")
    assert not (rocker_project / "locks").exists()


def test_failed_narrowed_run_warns_only_about_selected_variants(
    rocker_project: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    edit(rocker_project / "overlays/cpu.yml", "replace:\n", "add: [tzdata 1999.*]\nreplace:\n")
    result = invoke(rocker_project, "lock", "--variant", "cpu", *mirror_args)
    assert result.exit_code == 1, result.output
    assert "cuda" not in result.stderr


def test_misspelled_package_is_bad_input_named_once_with_a_suggestion(
    rocker_project: Path, mirror_args: list[str], cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(rocker_project)
    edit(rocker_project / "overlays/cuda.yml", "  - cudf\n", "  - cudff\n")
    result = invoke(rocker_project, "lock", *mirror_args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.count("cudff") == 1
    assert (
        "error: overlays/cuda.yml:7: add[0]: no package 'cudff' in rapidsai, conda-forge for "
        "linux-64, linux-aarch64; did you mean 'cudf'?\n"
    ) in result.stderr
    assert "FAILED" not in result.stderr
    assert not (rocker_project / "locks").exists()  # bad input: nothing is written, not even the cpu locks


# --- show -------------------------------------------------------------------------------------------


def test_show_cpu_is_an_environment_yml(rocker_project: Path) -> None:
    result = invoke(rocker_project, "show", "cpu")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Generated by envsplit ")
    assert result.stdout.splitlines()[1] == "# Regenerate with: envsplit show cpu"
    env = YAML(typ="safe").load(result.stdout)
    assert env["name"] == "rocker-ml-cpu"
    assert env["channels"] == ["conda-forge"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "pytorch-cpu" in conda
    assert "pytorch" not in conda
    assert "python 3.12.*" in conda
    assert {"pip": ["jupyter-tensorboard-proxy", "jupyter-keepalive"]} in env["dependencies"]
    assert result.stderr == ""


def test_show_extension_has_its_base_and_its_overlay(rocker_project: Path) -> None:
    result = invoke(rocker_project, "show", "cuda-spatial")
    assert result.exit_code == 0, result.output
    env = YAML(typ="safe").load(result.stdout)
    assert env["channels"] == ["rapidsai", "conda-forge"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    assert {"pytorch", "cudf", "gdal", "geopandas"} <= set(conda)
    assert {"pip": ["jupyter-tensorboard-proxy", "jupyter-keepalive", "pcodec"]} in env["dependencies"]
    assert "# variant: cuda-spatial (base: cuda)\n" in result.stdout
    assert "__cuda=12.9=0" in result.stdout


def test_show_reproduces_the_input_when_nothing_is_overlaid(rocker_project: Path, tmp_path: Path) -> None:
    """What show prints, used as the environment.yml of a project without overlays, shows the same again."""
    first = invoke(rocker_project, "show", "cpu")
    assert first.exit_code == 0, first.output
    other = tmp_path / "again"
    other.mkdir()
    (other / "environment.yml").write_text(first.stdout, encoding="utf-8")
    second = invoke(other, "show", "default")
    assert second.exit_code == 0, second.output

    def body(text: str) -> list[str]:
        return [ln for ln in text.splitlines() if not ln.startswith(("#", "name:"))]

    assert body(second.stdout) == body(first.stdout)


# --- the installed command --------------------------------------------------------------------------


def _run(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENVSPLIT_CACHE_DIR": str(cwd or Path.cwd()) + "/.no-cache"}
    return subprocess.run(
        list(argv), capture_output=True, text=True, timeout=120, cwd=cwd, env=env, check=False
    )


@pytest.mark.parametrize(
    "argv",
    [[sys.executable, "-m", "envsplit"], [str(Path(sys.executable).parent / "envsplit")]],
    ids=["python-m", "console-script"],
)
def test_help_lists_lock_and_show(argv: list[str]) -> None:
    proc = _run(*argv, "--help")
    assert proc.returncode == 0, proc.stderr
    commands = re.findall(r"^  (\w+)  ", proc.stdout.split("Commands:", 1)[1], re.MULTILINE)
    assert {"lock", "show"} <= set(commands)


def test_subprocess_exit_codes(locked_copy: Path) -> None:
    envsplit = [sys.executable, "-m", "envsplit", "-C", str(locked_copy)]
    fresh = _run(*envsplit, "lock", "--check", cwd=locked_copy)
    assert (fresh.returncode, fresh.stdout) == (0, "all 8 locks are up to date\n"), fresh.stderr
    edit(locked_copy / "overlays/spatial.yml", "  - zarr\n", "  - zarr\n  - rich\n")
    stale = _run(*envsplit, "lock", "--check", cwd=locked_copy)
    assert stale.returncode == 1, stale.stderr
    assert stale.stdout.splitlines()[-1].startswith("4 stale ")
    edit(locked_copy / "overlays/spatial.yml", "  - rich\n", "  - rich\n  - rich\n")
    bad = _run(*envsplit, "lock", cwd=locked_copy)
    assert bad.returncode == 2
    assert bad.stderr == (
        "error: overlays/spatial.yml:47: add[43]: 'rich' is already in the environment; "
        "use 'replace: {rich: ...}' to change its spec\n"
    )
