from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from envsplit.cli import cli


def test_lock_through_http_mirror_records_canonical_urls(
    rocker_project: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    result = CliRunner().invoke(
        cli, ["-C", str(rocker_project), "lock", "--variant", "cpu", "--platform", "linux-64", *mirror_args]
    )
    assert result.exit_code == 0, result.output
    text = (rocker_project / "locks/cpu/conda-linux-64.lock").read_text()
    assert "https://conda.anaconda.org/conda-forge/linux-64/pytorch-2.10.0-cpu_mkl" in text
    assert "127.0.0.1" not in text
