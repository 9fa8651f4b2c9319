"""The committed locks/ and dockerfiles/ are exactly what `envsplit lock` produces from the repo's example.

Regenerate them with the offline command at the top of README.md; never edit them by hand.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from envsplit.cli import cli

REPO = Path(__file__).parent.parent


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "README.md"
    }


def test_committed_locks_and_dockerfiles_match_a_fresh_lock(
    rocker_project: Path, mirror_args: list[str], pypi_args: list[str], cache_dir: Path
) -> None:
    result = CliRunner().invoke(cli, ["-C", str(rocker_project), "lock", *mirror_args, *pypi_args])
    assert result.exit_code == 0, result.output
    assert "8 solved" in result.output
    for folder in ("locks", "dockerfiles"):
        fresh, committed = _tree(rocker_project / folder), _tree(REPO / folder)
        assert sorted(fresh) == sorted(committed), folder
        differing = [name for name in fresh if fresh[name] != committed[name]]
        assert differing == [], f"regenerate {folder}/ (see README.md): {differing}"
