"""The pip step of `envsplit lock`: real uv against the offline PyPI snapshot, through the loopback mirrors."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from envsplit.cli import cli

REPO = Path(__file__).parent.parent
VARIANTS = ("cpu", "cuda", "cpu-spatial", "cuda-spatial")
BASES = {"cpu-spatial": "cpu", "cuda-spatial": "cuda"}
PLATFORMS = ("linux-64", "linux-aarch64")
ARCH = {"linux-64": "x86_64", "linux-aarch64": "aarch64"}


def invoke(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args])


def pip_lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]


@pytest.fixture(scope="module")
def rocker(tmp_path_factory: pytest.TempPathFactory, mirror_args: list[str], pypi_args: list[str]) -> Path:
    root = tmp_path_factory.mktemp("rocker")
    for name in ("envsplit.yml", "environment.yml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "overlays", root / "overlays")
    cache = tmp_path_factory.mktemp("cache")
    result = invoke(root, "lock", "--cache-dir", str(cache), "--no-dockerfiles", *mirror_args, *pypi_args)
    assert result.exit_code == 0, result.output
    return root


def test_every_variant_locks_its_pip_entries_on_both_platforms(rocker: Path) -> None:
    for variant in VARIANTS:
        for platform in PLATFORMS:
            names = {
                ln.partition("==")[0] for ln in pip_lines(rocker / "locks" / variant / f"pip-{platform}.txt")
            }
            assert {"jupyter-keepalive", "jupyter-tensorboard-proxy"} <= names
            assert ("pcodec" in names) == (variant in BASES)
            for line in pip_lines(rocker / "locks" / variant / f"pip-{platform}.txt"):
                assert re.fullmatch(r"[a-z0-9-]+==\S+ --hash=sha256:[0-9a-f]{64}", line), line


def test_pcodec_gets_the_wheel_of_each_architecture(rocker: Path) -> None:
    from conda_lock.lockfile import parse_conda_lock_file

    lock = parse_conda_lock_file(rocker / "locks/cpu-spatial/conda-lock.yml")
    for platform in PLATFORMS:
        (pcodec,) = [p for p in lock.package if p.name == "pcodec" and p.platform == platform]
        assert pcodec.manager == "pip"
        assert pcodec.url.startswith("https://files.pythonhosted.org/packages/")
        assert pcodec.url.endswith(f"manylinux_2_17_{ARCH[platform]}.whl"), pcodec.url
        line = f"pcodec=={pcodec.version} --hash=sha256:{pcodec.hash.sha256}"
        assert line in pip_lines(rocker / f"locks/cpu-spatial/pip-{platform}.txt")


def test_nothing_conda_provides_is_in_a_pip_file(rocker: Path) -> None:
    from conda_lock.lockfile import parse_conda_lock_file

    for variant in VARIANTS:
        lock = parse_conda_lock_file(rocker / "locks" / variant / "conda-lock.yml")
        for platform in PLATFORMS:
            conda = {
                re.sub(r"[-_.]+", "-", p.name)
                for p in lock.package
                if p.platform == platform and p.manager == "conda"
            }
            pip = {p.name for p in lock.package if p.platform == platform and p.manager == "pip"}
            assert pip and not pip & conda, (variant, platform, pip & conda)
            # jupyter-keepalive needs jupyter-server: conda's jupyter_server stands in for it
            assert "jupyter-server" in conda and "jupyter-server" not in pip
            file_names = {
                ln.partition("==")[0] for ln in pip_lines(rocker / "locks" / variant / f"pip-{platform}.txt")
            }
            assert file_names == pip


def test_extension_pip_layer_holds_only_its_own_additions(rocker: Path) -> None:
    for variant, base in BASES.items():
        for platform in PLATFORMS:
            full = pip_lines(rocker / "locks" / variant / f"pip-{platform}.txt")
            base_lines = pip_lines(rocker / "locks" / base / f"pip-{platform}.txt")
            layer = pip_lines(rocker / "locks" / variant / f"pip-layer-{platform}.txt")
            assert set(base_lines) <= set(full)
            assert layer == [ln for ln in full if ln not in base_lines]
            assert [ln.partition("==")[0] for ln in layer] == ["pcodec"]


def test_committed_locks_hold_the_pip_packages() -> None:
    for variant in VARIANTS:
        for platform in PLATFORMS:
            assert (REPO / "locks" / variant / f"pip-{platform}.txt").is_file()


def test_a_hand_edited_pip_file_is_stale(locked: Path) -> None:
    path = locked / "locks/cpu/pip-linux-64.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("absl-py==", "absl_py=="), encoding="utf-8")
    result = invoke(locked, "lock", "--check")
    assert result.exit_code == 1, result.output
    assert "stale: cpu linux-64: locks/cpu/pip-linux-64.txt was edited by hand\n" in result.stdout


def test_no_op_relock_of_the_committed_locks_is_fresh(locked: Path) -> None:
    result = invoke(locked, "lock", "--check")
    assert result.exit_code == 0, result.output


def test_update_with_a_pip_name_resolves_that_variants_pip_step(
    locked: Path, mirror_args: list[str], pypi_args: list[str]
) -> None:
    before = {p: p.read_bytes() for p in (locked / "locks").rglob("*") if p.is_file()}
    result = invoke(locked, "lock", "--update", "pcodec", *mirror_args, *pypi_args)
    assert result.exit_code == 0, result.output
    # pcodec is in the spatial variants only: their pairs are solved again, the others kept
    assert result.stdout == "4 solved, 4 unchanged, 0 failed; 0 file(s) written\n"
    assert {p: p.read_bytes() for p in (locked / "locks").rglob("*") if p.is_file()} == before


def test_update_with_an_unknown_name_is_refused(locked: Path) -> None:
    result = invoke(locked, "lock", "--update", "pcodecx")
    assert result.exit_code == 2
    assert "--update pcodecx: not in any selected lock or variant" in result.output


# --- bad input: one error line, exit 2, nothing written -------------------------------------------------


@pytest.fixture()
def conda_forge(mirror_args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The conda-forge mirror only (the small projects use no other channel), run from the project folder."""
    (tmp_path / "p").mkdir()
    monkeypatch.chdir(tmp_path / "p")
    return mirror_args[:2]


def small_project(root: Path, dependencies: list[str], pip: list[str]) -> Path:
    (root / "envsplit.yml").write_text(
        "version: 1\nplatforms: [linux-64]\nvariants:\n  default: {}\n", encoding="utf-8"
    )
    deps = "".join(f"  - {d}\n" for d in dependencies)
    entries = "".join(f"      - {p!r}\n" for p in pip)
    (root / "environment.yml").write_text(
        f"channels: [conda-forge]\ndependencies:\n{deps}  - pip:\n{entries}", encoding="utf-8"
    )
    return root


def refused(root: Path, *args: str) -> str:
    result = invoke(root, "lock", *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not (root / "locks").exists() and not (root / "dockerfiles").exists()
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_pip_entry_the_index_lacks_names_the_closest(
    tmp_path: Path, conda_forge: list[str], pypi_args: list[str], cache_dir: Path
) -> None:
    root = small_project(tmp_path / "p", ["python 3.12.*"], ["jupyter-keepaliv"])
    line = refused(root, *conda_forge, *pypi_args)
    assert line == (
        f"error: environment.yml: pip entry 'jupyter-keepaliv': no project 'jupyter-keepaliv' on the PyPI "
        f"index {pypi_args[1]}; did you mean 'jupyter-keepalive'?"
    )


def test_a_pip_entry_that_conflicts_with_a_conda_package_names_both(
    tmp_path: Path, conda_forge: list[str], pypi_args: list[str], cache_dir: Path
) -> None:
    root = small_project(tmp_path / "p", ["python 3.12.*", "protobuf"], ["tensorboard", "protobuf<3"])
    line = refused(root, *conda_forge, *pypi_args)
    assert re.match(
        r"error: environment.yml: pip entry 'protobuf<3' conflicts with conda's protobuf \S+ on linux-64; "
        r"conda's version wins, so change the pip entry or the conda spec \(uv: .*\)$",
        line,
    ), line


def test_a_malformed_pip_entry_is_refused_before_solving(
    tmp_path: Path, conda_forge: list[str], cache_dir: Path
) -> None:
    root = small_project(tmp_path / "p", ["python 3.12.*"], ["pcodec>>1"])
    # no mirror flags: a solve would reach the network and fail differently
    line = refused(root, "--pypi-index", "http://127.0.0.1:9/simple")
    assert line.startswith("error: environment.yml: pip entry 'pcodec>>1' is not a valid requirement (")
    assert line.endswith("); write it as in pip, e.g. 'name>=1.0'")


def test_pip_entries_without_python_in_the_conda_lock(
    tmp_path: Path, conda_forge: list[str], pypi_args: list[str], cache_dir: Path
) -> None:
    root = small_project(tmp_path / "p", ["zlib"], ["pcodec"])
    line = refused(root, *conda_forge, *pypi_args)
    assert line == (
        "error: variant 'default' (linux-64): pip entries need Python, but the conda lock for linux-64 has "
        "no python package; add python to the dependencies"
    )


def test_an_unreachable_index(tmp_path: Path, conda_forge: list[str], cache_dir: Path) -> None:
    root = small_project(tmp_path / "p", ["python 3.12.*"], ["pcodec"])
    line = refused(root, *conda_forge, "--pypi-index", "http://user:secret@127.0.0.1:9/simple")
    assert line.startswith("error: cannot reach the PyPI index http://127.0.0.1:9/simple: "), line
    assert line.endswith("; check the URL (--pypi-index or pypi-index: in envsplit.yml) and the network")
    assert "secret" not in line


def test_a_missing_index_folder(tmp_path: Path, conda_forge: list[str], cache_dir: Path) -> None:
    root = small_project(tmp_path / "p", ["python 3.12.*"], ["pcodec"])
    line = refused(root, *conda_forge, "--pypi-index", str(tmp_path / "nowhere"))
    assert line.startswith("error: PyPI index folder ") and "nowhere does not exist" in line
