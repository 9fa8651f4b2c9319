"""``audit --installed-size`` on a channel of real .conda archives served over loopback with Range support."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from envsplit.cli import cli
from envsplit.lockfile import conda_lock_yml
from envsplit.models import LockedPackage
from envsplit.sizes.installed import CACHE_SUBDIR
from envsplit.units import human_bytes

from archives import PackageDef, build_channel, noise
from httpserver import serve, url

CANONICAL = "https://conda.anaconda.org/testchan"


def packages() -> list[PackageDef]:
    """app needs libbig and libsmall; tool needs libsmall only. Payloads are incompressible, so download
    size is close to installed size and reading only info/ is visibly a small part."""
    return [
        PackageDef(
            "app",
            "1.0",
            "h0_0",
            "linux-64",
            depends=("libbig >=1", "libsmall"),
            files={"bin/app": b"#!/bin/sh\n" * 40},
        ),
        PackageDef(
            "libbig",
            "1.2",
            "h1_0",
            "linux-64",
            files={"lib/libbig.so": noise(900_000, "big"), "share/big/a.txt": b"a" * 1000},
        ),
        PackageDef("libsmall", "0.3", "h2_0", "linux-64", files={"lib/libsmall.so": noise(200_000, "small")}),
        PackageDef(
            "tool",
            "2.0",
            "pyh3_0",
            "noarch",
            depends=("libsmall",),
            files={"share/tool/x.py": noise(300_000, "tool")},
        ),
    ]


@pytest.fixture(scope="module")
def channel_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("installed") / "channels"
    build_channel(root / "testchan", packages(), subdirs=("linux-64", "noarch"))
    return root


def lockfile(channel_root: Path, dest: Path) -> Path:
    """A conda-lock.yml of every package in the channel, with canonical URLs, written by envsplit's writer."""
    locked = []
    for subdir in ("linux-64", "noarch"):
        doc = json.loads((channel_root / "testchan" / subdir / "repodata.json").read_text())
        for file_name, r in sorted(doc["packages.conda"].items()):
            locked.append(
                LockedPackage(
                    r["name"],
                    r["version"],
                    r["build"],
                    subdir,
                    CANONICAL,
                    f"{CANONICAL}/{subdir}/{file_name}",
                    r["md5"],
                    r["sha256"],
                    r["size"],
                    tuple(r["depends"]),
                )
            )
    model = conda_lock_yml.build({"linux-64": locked}, [CANONICAL], {"linux-64": "x"}, [], {})
    dest.write_text(conda_lock_yml.render(model, ["# test lock"]))
    return dest


@pytest.fixture()
def served(channel_root: Path) -> Iterator[tuple[str, list[tuple[str, int]]]]:
    with serve(channel_root) as server:
        yield url(server), server.sent  # type: ignore[attr-defined]


def audit(lock: Path, mirror: str, cache: Path, *extra: str) -> dict:
    result = CliRunner().invoke(
        cli,
        [
            "audit",
            "--variant",
            str(lock),
            "--format",
            "json",
            "--installed-size",
            "--mirror",
            f"{CANONICAL}={mirror}",
            "--cache-dir",
            str(cache),
            *extra,
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def archive_sizes(channel_root: Path) -> dict[str, int]:
    return {
        p.file_name: (channel_root / "testchan" / p.subdir / p.file_name).stat().st_size for p in packages()
    }


def test_installed_sizes_read_with_range_requests(
    channel_root: Path, served: tuple[str, list[tuple[str, int]]], tmp_path: Path
) -> None:
    base, sent = served
    lock = lockfile(channel_root, tmp_path / "conda-lock.yml")
    cache = tmp_path / "cache"
    doc = audit(lock, f"{base}/testchan", cache, "--threshold", "500kB")
    assert (doc["weight_basis"], doc["installed_size_read"]) == ("installed", True)
    (env,) = doc["environments"]
    assert env["weight_basis"] == "installed"
    rows = {r["name"]: r for r in env["packages"]}
    defs = {p.name: p for p in packages()}
    sizes = archive_sizes(channel_root)
    for name, row in rows.items():
        assert row["installed_size"] == defs[name].installed_size
        assert row["size"] == sizes[defs[name].file_name]
    assert env["totals"]["installed_size"] == sum(p.installed_size for p in packages())
    assert env["totals"]["installed_size_missing"] == []
    # app and tool are top level; app alone frees libbig, libsmall stays for tool.
    assert (
        rows["app"]["exclusive_installed_bytes"] == defs["app"].installed_size + defs["libbig"].installed_size
    )
    assert rows["tool"]["exclusive_installed_bytes"] == defs["tool"].installed_size
    assert rows["app"]["flags"] == ["heavy"] and rows["tool"]["flags"] == []
    # Only a small part of each archive crossed the wire.
    fetched: dict[str, int] = {}
    for path, n in sent:
        if path.endswith(".conda"):
            fetched[path.rsplit("/", 1)[-1]] = fetched.get(path.rsplit("/", 1)[-1], 0) + n
    assert set(fetched) == set(sizes)
    big = [f for f, s in sizes.items() if s > 150_000]
    assert sum(fetched[f] for f in big) < 0.1 * sum(sizes[f] for f in big), (fetched, sizes)
    assert all(fetched[f] < sizes[f] for f in big)
    # The second run reads the cache: no archive is touched again, and the answer is the same.
    cached = sorted(cache.joinpath(CACHE_SUBDIR).glob("*.json"))
    assert len(cached) == len(sizes)
    before = len(sent)
    assert audit(lock, f"{base}/testchan", cache, "--threshold", "500kB") == doc
    assert not [p for p, _ in sent[before:] if p.endswith(".conda")]
    # With every installed size known, a percentage is of the installed total.
    (pct,) = audit(lock, f"{base}/testchan", cache, "--threshold", "40%")["environments"]
    installed_total = sum(p.installed_size for p in packages())
    assert installed_total != env["totals"]["size"]
    assert pct["totals"]["heavy_threshold_bytes"] == int(installed_total * 0.4)


def test_missing_archive_gives_null_and_a_warning(channel_root: Path, tmp_path: Path) -> None:
    copy = tmp_path / "channels"
    import shutil

    shutil.copytree(channel_root, copy)
    (copy / "testchan" / "noarch" / "tool-2.0-pyh3_0.conda").unlink()
    lock = lockfile(copy, tmp_path / "conda-lock.yml")
    with serve(copy) as server:
        mirror = f"{url(server)}/testchan"
        doc = audit(lock, mirror, tmp_path / "cache", "--threshold", "250kB")
        table = CliRunner().invoke(
            cli,
            [
                *("audit", "--variant", str(lock), "--installed-size", "--threshold", "250kB"),
                *("--mirror", f"{CANONICAL}={mirror}", "--cache-dir", str(tmp_path / "cache")),
            ],
            catch_exceptions=False,
        )
    (env,) = doc["environments"]
    rows = {r["name"]: r for r in env["packages"]}
    defs = {p.name: p for p in packages()}
    assert rows["tool"]["installed_size"] is None
    assert rows["libbig"]["installed_size"] == 901_000
    assert env["totals"]["installed_size_missing"] == ["tool"]
    assert any("no installed size for 1 archive(s)" in w and "404" in w for w in doc["warnings"])
    # One unknown makes the total unknown, not the sum of the others.
    assert env["totals"]["installed_size"] is None
    # What app frees (app, libbig) is all known; what tool frees (tool) is not.
    assert (
        rows["app"]["exclusive_installed_bytes"] == defs["app"].installed_size + defs["libbig"].installed_size
    )
    assert rows["tool"]["exclusive_installed_bytes"] is None
    # With --installed-size everything weighs installed bytes; an unknown one makes each sum a lower bound.
    assert (doc["weight_basis"], env["weight_basis"], doc["installed_size_read"]) == (
        "installed",
        "installed",
        True,
    )
    known = sum(p.installed_size for n, p in defs.items() if n != "tool")
    assert env["totals"]["installed_total"] == {
        "bytes": known,
        "unknown": 1,
        "of": len(rows),
        "lower_bound": True,
    }
    assert rows["tool"]["frees"] == {"bytes": 0, "unknown": 1, "of": 1, "lower_bound": True}
    # tool's archive is over 250 kB but its installed size is unknown: heavy is not claimed on a guess.
    assert rows["tool"]["size"] > 250_000 and rows["tool"]["flags"] == []
    assert rows["app"]["flags"] == ["heavy"]
    assert table.exit_code == 0, table.output
    tool_row = next(ln for ln in table.stdout.splitlines() if ln.startswith("│ tool "))
    download = human_bytes(rows["tool"]["size"])
    assert [c.strip() for c in tool_row.split("│")[3:8]] == [
        download,
        "?",
        "at least 0 B (1 of 1 sizes unknown)",
        human_bytes(rows["tool"]["shares"]),
        "",
    ]
    total_row = next(ln for ln in table.stdout.splitlines() if "linux-64" in ln and "│" in ln)
    assert total_row.split("│")[5].strip().startswith(f"at least {human_bytes(known)}")
    assert "freeing at least 250.0 kB of installed size" in table.stdout


def test_folder_mirror_reads_archives_from_disk(channel_root: Path, tmp_path: Path) -> None:
    lock = lockfile(channel_root, tmp_path / "conda-lock.yml")
    doc = audit(lock, str(channel_root / "testchan"), tmp_path / "cache")
    (env,) = doc["environments"]
    assert env["totals"]["installed_size"] == sum(p.installed_size for p in packages())
    assert env["totals"]["size"] == sum(archive_sizes(channel_root).values())
