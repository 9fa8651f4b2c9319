"""The lock run as one library entry point: refusals before any write, empty environments, the fake solver."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from envsplit.cli import cli

from archives import PackageDef, build_channel, demo_packages
from projectfiles import edit

NEWER = [PackageDef("tzlite", "2026b", "h0_0", "noarch", files={"share/zoneinfo/UTC": b"TZif2 UTC b\n"})]


def _run(project: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-C", str(project), *args])
    return result.exit_code, result.output


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture()
def demo(tmp_path: Path, cache_dir: Path) -> Path:
    """A one-variant project on a local demo channel, locked, whose channel then gains a newer tzlite."""
    channel = build_channel(tmp_path / "channel", demo_packages())
    root = tmp_path / "project"
    root.mkdir()
    (root / "environment.yml").write_text(
        f"channels: [{channel.as_uri()}]\ndependencies: [pylite, toolkit, tzlite]\n"
    )
    (root / "envsplit.yml").write_text("version: 1\nplatforms: [linux-64]\nvariants:\n  app: {}\n")
    code, out = _run(root, "lock")
    assert code == 0, out
    build_channel(tmp_path / "channel", [*demo_packages(), *NEWER])
    return root


def test_refresh_with_a_hand_edited_dockerfile_writes_nothing(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(demo)
    edit(demo / "dockerfiles/Dockerfile.app", "micromamba clean --all --yes", "micromamba clean --yes")
    before = _snapshot(demo)
    body = tmp_path / "body.md"
    code, out = _run(demo, "refresh", "--no-sizes", "--output-markdown", str(body))
    assert code == 2, out
    assert out == (
        "error: dockerfiles/Dockerfile.app: the generated part was edited by hand; move the change into a "
        "'# >>> user:' section (those are kept), or delete the file to regenerate it\n"
    )
    assert _snapshot(demo) == before  # no lock rewritten (tzlite 2026b was there to take)
    assert not body.exists()


def test_an_empty_environment_locks_and_check_is_clean(tmp_path: Path, cache_dir: Path) -> None:
    channel = build_channel(tmp_path / "channel", demo_packages())
    root = tmp_path / "project"
    root.mkdir()
    (root / "environment.yml").write_text(f"channels: [{channel.as_uri()}]\ndependencies: []\n")
    (root / "envsplit.yml").write_text("version: 1\nplatforms: [linux-64]\nvariants:\n  empty: {}\n")
    code, out = _run(root, "lock")
    assert code == 0, out
    assert "content-sha256: " in (root / "locks/empty/conda-lock.yml").read_text()
    code, out = _run(root, "lock", "--check")
    assert (code, out) == (0, "all 1 locks are up to date\n")
    code, out = _run(root, "lock")
    assert code == 0 and "0 solved, 1 unchanged, 0 failed; 0 file(s) written" in out, out
