"""The date cutoff (``exclude-newer``) on the bundled conda-forge snapshot, whose records carry real timestamps.

In the snapshot (linux-64): openssl 3.6.0 is from 2025-11-11, 3.6.2 from 2026-04-07; libzlib 1.3.1 from
2024-10-03, 1.3.2 from 2026-03-21; ca-certificates 2025.11.12 from 2025-11-12, 2026.5.20 from 2026-05-20.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from envsplit.cli import cli
from envsplit.inputs.project import read_project
from envsplit.locking.cutoff import ExcludeNewer, parse_cutoff
from envsplit.locking.plan import LockOptions
from envsplit.locking.run import lock_project

from projectfiles import explicit_lines, write

UTC = dt.UTC


def _project(root: Path, cutoff: str = "") -> Path:
    return write(
        root,
        {
            "environment.yml": "channels: [conda-forge]\ndependencies: [openssl, libzlib]\n",
            "envsplit.yml": f"version: 1\nplatforms: [linux-64]\n{cutoff}variants:\n  app: {{}}\n",
        },
    )


def _mirror(server: str) -> list[str]:
    return ["--mirror", f"https://conda.anaconda.org/conda-forge={server}/conda-forge"]


def _invoke(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args])


def _versions(root: Path) -> dict[str, str]:
    """name -> version, from the explicit lock's file names."""
    out = {}
    for line in explicit_lines(root / "locks/app/conda-linux-64.lock"):
        stem = line.rsplit("/", 1)[1].split("#")[0].removesuffix(".conda").removesuffix(".tar.bz2")
        name, version, _ = stem.rsplit("-", 2)
        out[name] = version
    return out


def _header(root: Path) -> list[str]:
    return [ln for ln in (root / "locks/app/conda-lock.yml").read_text().splitlines() if ln.startswith("#")]


def test_without_cutoff_the_newest_records_are_taken_and_the_header_has_no_cutoff(
    tmp_path: Path, channel_server: str, cache_dir: Path
) -> None:
    root = _project(tmp_path / "p")
    result = _invoke(root, "lock", *_mirror(channel_server))
    assert result.exit_code == 0, result.output
    versions = _versions(root)
    assert (versions["openssl"], versions["libzlib"], versions["ca-certificates"]) == (
        "3.6.2",
        "1.3.2",
        "2026.5.20",
    )
    assert not any("exclude-newer" in ln for ln in _header(root))


def test_exclude_newer_date_hides_later_records_and_is_recorded(
    tmp_path: Path, channel_server: str, cache_dir: Path
) -> None:
    root = _project(tmp_path / "p")
    result = _invoke(root, "lock", "--exclude-newer", "2026-01-01", *_mirror(channel_server))
    assert result.exit_code == 0, result.output
    versions = _versions(root)
    assert (versions["openssl"], versions["libzlib"], versions["ca-certificates"]) == (
        "3.6.0",
        "1.3.1",
        "2025.11.12",
    )
    assert "# exclude-newer linux-64: 2026-01-01T00:00:00Z (2026-01-01)" in _header(root)


def test_exempt_packages_may_be_newer_than_the_cutoff(
    tmp_path: Path, channel_server: str, cache_dir: Path
) -> None:
    root = _project(tmp_path / "p", "exclude-newer: {cutoff: 2026-01-01, exempt: [OpenSSL]}\n")
    result = _invoke(root, "lock", *_mirror(channel_server))
    assert result.exit_code == 0, result.output
    versions = _versions(root)
    assert versions["openssl"] == "3.6.2"  # exempt: its newest record
    assert (versions["libzlib"], versions["ca-certificates"]) == ("1.3.1", "2025.11.12")  # still cut


def test_duration_counts_back_from_the_injected_now_and_check_stays_clean(
    tmp_path: Path, channel_server: str, cache_dir: Path
) -> None:
    root = _project(tmp_path / "p", "exclude-newer: 7d\n")
    mirrors = {"https://conda.anaconda.org/conda-forge": f"{channel_server}/conda-forge"}
    now = dt.datetime(2026, 1, 8, 6, 30, tzinfo=UTC)
    outcome = lock_project(read_project(root), LockOptions(mirrors=mirrors, now=now))
    assert not outcome.failed
    assert _versions(root)["openssl"] == "3.6.0"  # 3.6.1 (2026-01-30) is after 2026-01-01T06:30Z
    assert "# exclude-newer linux-64: 2026-01-01T06:30:00Z (7d)" in _header(root)
    before = (root / "locks/app/conda-lock.yml").read_bytes()

    # A month later the configured value is the same: nothing is stale, through the CLI's real clock too.
    later = LockOptions(mirrors=mirrors, now=now + dt.timedelta(days=30), check=True)
    assert lock_project(read_project(root), later).stale == []
    result = _invoke(root, "lock", "--check")
    assert result.exit_code == 0, result.output
    # A relock for another reason (a forced solve is not one: it moves forward) reuses the recorded instant.
    write(root, {"environment.yml": "channels: [conda-forge]\ndependencies: [openssl, libzlib, zstd]\n"})
    outcome = lock_project(read_project(root), LockOptions(mirrors=mirrors, now=now + dt.timedelta(days=90)))
    assert not outcome.failed
    assert "# exclude-newer linux-64: 2026-01-01T06:30:00Z (7d)" in _header(root)
    assert _versions(root)["openssl"] == "3.6.0"
    assert before != (root / "locks/app/conda-lock.yml").read_bytes()
    # --update moves the cutoff forward with the clock.
    outcome = lock_project(
        read_project(root), LockOptions(mirrors=mirrors, now=now + dt.timedelta(days=90), update=())
    )
    assert "# exclude-newer linux-64: 2026-04-01T06:30:00Z (7d)" in _header(root)
    assert (_versions(root)["libzlib"], _versions(root)["openssl"]) == ("1.3.2", "3.6.1")  # 3.6.2: 04-07


def test_changing_the_configured_cutoff_makes_the_lock_stale(
    tmp_path: Path, channel_server: str, cache_dir: Path
) -> None:
    root = _project(tmp_path / "p", "exclude-newer: 2026-01-01\n")
    assert _invoke(root, "lock", *_mirror(channel_server)).exit_code == 0
    assert _invoke(root, "lock", "--check").exit_code == 0
    write(root, {"envsplit.yml": (root / "envsplit.yml").read_text().replace("2026-01-01", "2026-02-01")})
    result = _invoke(root, "lock", "--check")
    assert result.exit_code == 1
    assert "stale: app linux-64" in result.output


@pytest.mark.parametrize(
    ("value", "normalized", "instant"),
    [
        ("2026-01-31", "2026-01-31", "2026-01-31T00:00:00Z"),
        ("2026-01-31T12:00:00Z", "2026-01-31T12:00:00Z", "2026-01-31T12:00:00Z"),
        ("2026-01-31T12:00:00+02:00", "2026-01-31T10:00:00Z", "2026-01-31T10:00:00Z"),
        ("2026-01-31 12:00", "2026-01-31T12:00:00Z", "2026-01-31T12:00:00Z"),
        ("36h", "36h", "2026-02-27T12:00:00Z"),
        ("7D", "7d", "2026-02-22T00:00:00Z"),
        ("2w", "2w", "2026-02-15T00:00:00Z"),
        (dt.date(2026, 1, 31), "2026-01-31", "2026-01-31T00:00:00Z"),  # YAML's unquoted date
    ],
)
def test_cutoff_values(value: object, normalized: str, instant: str) -> None:
    assert parse_cutoff(value) == normalized
    resolved = ExcludeNewer(normalized).resolve(dt.datetime(2026, 3, 1, tzinfo=UTC))
    assert ExcludeNewer(normalized).recorded(resolved) == f"{instant} ({normalized})"


@pytest.mark.parametrize("value", ["yesterday", "7", "7 days", "0d", "2026-13-01", "2026/01/31", "-3d"])
def test_unparsable_cutoff_on_the_command_line_is_bad_input(tmp_path: Path, value: str) -> None:
    root = _project(tmp_path / "p")
    result = _invoke(root, "lock", "--exclude-newer", value)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: --exclude-newer: ")
    assert "use a date (2026-01-31)" in result.output
    assert not (root / "locks").exists()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("exclude-newer: soon\n", "exclude-newer: 'soon' is not a date or a duration; use a date"),
        ("exclude-newer: {cutoff: 1 week}\n", "exclude-newer.cutoff: '1 week' is not a date or a duration"),
        ("exclude-newer: {exempt: [openssl]}\n", "exclude-newer: missing 'cutoff:' (e.g. cutoff: 7d)"),
        ("exclude-newer: {cutoff: 7d, exempt: openssl}\n", "exclude-newer.exempt: expected a list"),
        ("strict-layering: maybe\n", "strict-layering: expected true or false"),
    ],
)
def test_bad_settings_name_the_file_and_key(tmp_path: Path, setting: str, message: str) -> None:
    root = _project(tmp_path / "p", setting)
    result = _invoke(root, "lock")
    assert result.exit_code == 2, result.output
    assert "envsplit.yml:" in result.output and message in result.output
    assert "Traceback" not in result.output
    assert not (root / "locks").exists()


def test_refresh_takes_the_option_too(tmp_path: Path, channel_server: str, cache_dir: Path) -> None:
    root = _project(tmp_path / "p")
    result = _invoke(root, "refresh", "--no-sizes", "--exclude-newer", "2026-01-01", *_mirror(channel_server))
    assert result.exit_code == 0, result.output
    assert _versions(root)["openssl"] == "3.6.0"
    assert "# exclude-newer linux-64: 2026-01-01T00:00:00Z (2026-01-01)" in _header(root)
