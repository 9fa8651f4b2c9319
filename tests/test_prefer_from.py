"""``lock --prefer-from``: adopting envsplit starting from a real published lock (tests/data/sources).

The project is py-rocket-base's environment as far as its lock tells: the packages nothing else in it depends
on, unpinned. Its linux-64 records are all in the bundled snapshot (tests/data/sources/PROVENANCE.md).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from envsplit.cli import cli

from projectfiles import explicit_lines, write

PUBLISHED = Path(__file__).parent / "data/sources/py-rocket-base.conda-lock.yml"


def _published() -> list[dict]:
    """The conda packages of the published lock, read without envsplit."""
    doc = yaml.safe_load(PUBLISHED.read_text())
    return [p for p in doc["package"] if p["manager"] == "conda" and p["platform"] == "linux-64"]


def _project(root: Path) -> Path:
    packages = _published()
    needed = {dep for p in packages for dep in p["dependencies"]}
    top = sorted(p["name"] for p in packages if p["name"] not in needed)
    assert len(packages) == 395 and len(top) == 25
    return write(
        root,
        {
            "environment.yml": "channels: [conda-forge]\ndependencies: [" + ", ".join(top) + "]\n",
            "envsplit.yml": "version: 1\nplatforms: [linux-64]\nvariants:\n  default: {}\n",
        },
    )


def _lock(root: Path, server: str, *args: str) -> Result:
    mirror = f"https://conda.anaconda.org/conda-forge={server}/conda-forge"
    return CliRunner().invoke(cli, ["-C", str(root), "lock", "--no-dockerfiles", "--mirror", mirror, *args])


def _urls(root: Path) -> set[str]:
    return {ln.split("#")[0] for ln in explicit_lines(root / "locks/default/conda-linux-64.lock")}


def test_a_published_conda_lock_is_kept_build_for_build(
    tmp_path: Path, channel_server: str, cache_dir: Path
) -> None:
    plain = _project(tmp_path / "plain")
    result = _lock(plain, channel_server)
    assert result.exit_code == 0, result.output
    published = {p["url"] for p in _published()}
    # Without it, a fresh solve moves 41 of the 393 packages both have (and drops two).
    assert len(_urls(plain) & published) == 352

    root = _project(tmp_path / "adopted")
    result = _lock(root, channel_server, "--prefer-from", str(PUBLISHED))
    assert result.exit_code == 0, result.output
    assert "default linux-64: 395 of 395 packages kept their published build\n" in result.output
    assert _urls(root) == published


def test_an_explicit_file_and_a_locks_folder_work_too(
    tmp_path: Path, channel_server: str, cache_dir: Path
) -> None:
    lines = [f"{p['url']}#{p['hash']['md5']}" for p in _published()]
    explicit = tmp_path / "published.lock"
    explicit.write_text("# platform: linux-64\n@EXPLICIT\n" + "\n".join(lines) + "\n")
    root = _project(tmp_path / "explicit")
    result = _lock(root, channel_server, "--prefer-from", str(explicit))
    assert result.exit_code == 0, result.output
    assert "default linux-64: 395 of 395 packages kept their published build" in result.output

    folder = tmp_path / "other-project/locks"
    (folder / "default").mkdir(parents=True)
    shutil.copy(PUBLISHED, folder / "default/conda-lock.yml")
    root = _project(tmp_path / "folder")
    result = _lock(root, channel_server, "--prefer-from", str(folder))
    assert result.exit_code == 0, result.output
    assert "default linux-64: 395 of 395 packages kept their published build" in result.output


def test_fresh_locks_solve_nothing_and_say_how_to_apply_it(
    tmp_path: Path, channel_server: str, cache_dir: Path
) -> None:
    root = _project(tmp_path / "p")
    assert _lock(root, channel_server).exit_code == 0
    result = _lock(root, channel_server, "--prefer-from", str(PUBLISHED))
    assert result.exit_code == 0, result.output
    assert "--prefer-from: nothing was solved (the locks are up to date); add --force" in result.output
    result = _lock(root, channel_server, "--force", "--prefer-from", str(PUBLISHED))
    assert "default linux-64: 395 of 395 packages kept their published build" in result.output


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: write(d, {"x.yml": "name: env\ndependencies: [python]\n"}) / "x.yml", "not a lockfile"),
        (lambda d: write(d, {"x.txt": "\x00\x01binary"}) / "x.txt", "not a lockfile"),
        (lambda d: write(d, {"empty/README": "nothing"}) / "empty", "no conda-lock.yml in this folder"),
        (lambda d: write(d, {"x.lock": "@EXPLICIT\nnot-a-url\n"}) / "x.lock", "is not a package line"),
        (lambda d: write(d, {"x.lock": "@EXPLICIT\n"}) / "x.lock", "cannot tell its platform"),
    ],
)
def test_a_path_that_is_not_a_lock_is_bad_input(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    root = _project(tmp_path / "p")
    bad = make(tmp_path / "bad")
    result = CliRunner().invoke(cli, ["-C", str(root), "lock", "--prefer-from", str(bad)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: --prefer-from {bad}: ")
    assert message in result.output
    assert (
        "expected a conda-lock.yml, an explicit (@EXPLICIT) lockfile, or a locks/ folder" in result.output
        or ("is not a package line" in message)
    )
    assert not (root / "locks").exists()


def test_a_missing_path_is_refused_by_the_option(tmp_path: Path) -> None:
    root = _project(tmp_path / "p")
    result = CliRunner().invoke(cli, ["-C", str(root), "lock", "--prefer-from", str(tmp_path / "nope.yml")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
