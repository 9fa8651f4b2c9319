"""The archive channel helper writes packages that real tools read, solve and install."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest

from archives import PackageDef, build_channel, demo_packages, write_archive

PLATFORMS = ("linux-64", "linux-aarch64")
LINUX_VPS = {"__unix": ("0", "0"), "__linux": ("5.10", "0"), "__glibc": ("2.28", "0")}


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_channel(tmp_path_factory.mktemp("archives") / "demo", demo_packages())


def _info_members(archive: Path) -> dict[str, bytes]:
    from conda_package_streaming.package_streaming import stream_conda_info

    out = {}
    with archive.open("rb") as fh:
        for tar, member in stream_conda_info(archive.name, fh):
            if member.isfile():
                extracted = tar.extractfile(member)
                assert extracted is not None
                out[member.name] = extracted.read()
    return out


def _solve(channel: Path, specs: list[str], platform: str, cache: Path, cuda: bool = False) -> list:
    from rattler import Channel, Gateway, GenericVirtualPackage, PackageName, Subdir, Version, solve
    from rattler.package import BuildString

    vps = {**LINUX_VPS, "__archspec": ("1", "x86_64" if platform == "linux-64" else "aarch64")}
    if cuda:
        vps["__cuda"] = ("12.9", "0")
    virtual = [GenericVirtualPackage(PackageName(n), Version(v), BuildString(b)) for n, (v, b) in vps.items()]
    return asyncio.run(
        solve(
            [Channel(channel.as_uri())],
            specs,
            gateway=Gateway(cache_dir=cache),
            platforms=[Subdir(platform), Subdir("noarch")],
            virtual_packages=virtual,
        )
    )


def test_every_archive_carries_its_metadata_for_conda_package_streaming(channel: Path) -> None:
    for pkg in demo_packages():
        info = _info_members(channel / pkg.subdir / pkg.file_name)
        assert sorted(info) == ["info/files", "info/index.json", "info/paths.json"]
        index = json.loads(info["info/index.json"])
        assert (index["name"], index["version"], index["build"], index["subdir"]) == (
            pkg.name,
            pkg.version,
            pkg.build,
            pkg.subdir,
        )
        assert index["depends"] == list(pkg.depends)
        assert index.get("noarch") == ("generic" if pkg.subdir == "noarch" else None)
        paths = json.loads(info["info/paths.json"])["paths"]
        assert {p["_path"]: p["size_in_bytes"] for p in paths} == {k: len(v) for k, v in pkg.files.items()}
        assert {p["_path"]: p["sha256"] for p in paths} == {
            k: hashlib.sha256(v).hexdigest() for k, v in pkg.files.items()
        }
        assert info["info/files"].decode().splitlines() == sorted(pkg.files)


def test_rattler_reads_the_archives_it_will_install(channel: Path) -> None:
    from rattler.package import IndexJson, PathsJson

    for pkg in demo_packages():
        archive = channel / pkg.subdir / pkg.file_name
        index = IndexJson.from_package_archive(archive)
        assert (index.name.normalized, str(index.version)) == (pkg.name, pkg.version)
        sizes = {str(e.relative_path): e.size_in_bytes for e in PathsJson.from_package_archive(archive).paths}
        assert sizes == {k: len(v) for k, v in pkg.files.items()}


def test_every_subdir_is_indexed_with_the_archives_hashes_and_sizes(channel: Path) -> None:
    expected: dict[str, set[str]] = {subdir: set() for subdir in ("linux-64", "linux-aarch64", "noarch")}
    for pkg in demo_packages():
        expected[pkg.subdir].add(pkg.file_name)
    for subdir, names in expected.items():
        repodata = json.loads((channel / subdir / "repodata.json").read_text())
        assert repodata["info"]["subdir"] == subdir
        assert set(repodata["packages.conda"]) == names
        for name, record in repodata["packages.conda"].items():
            data = (channel / subdir / name).read_bytes()
            assert record["md5"] == hashlib.md5(data).hexdigest()
            assert record["sha256"] == hashlib.sha256(data).hexdigest()
            assert record["size"] == len(data)


def test_archives_are_byte_stable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    pkg = demo_packages()[0]
    first = write_archive(pkg, tmp_path / "a").read_bytes()
    later = time.time() + 40 * 86400  # a build weeks later must give the same bytes (zip dates included)
    monkeypatch.setattr(time, "time", lambda: later)
    second = write_archive(pkg, tmp_path / "b").read_bytes()
    assert first == second
    changed = PackageDef(pkg.name, pkg.version, pkg.build, pkg.subdir, files={"lib/x": b"other"})
    assert write_archive(changed, tmp_path / "c").read_bytes() != first


def test_a_package_defined_twice_is_refused(tmp_path: Path) -> None:
    pkg = PackageDef("dup", "1.0", files={"share/dup": b"x"})
    with pytest.raises(ValueError, match=r"noarch/dup-1\.0-0\.conda is defined twice"):
        build_channel(tmp_path / "ch", [pkg, pkg])


@pytest.mark.parametrize("platform", PLATFORMS)
def test_rattler_solves_the_extension_against_the_file_channel(
    channel: Path, platform: str, tmp_path: Path
) -> None:
    records = _solve(channel, ["extra"], platform, tmp_path / "cache")
    chosen = {r.name.normalized: r for r in records}
    assert sorted(chosen) == ["extra", "libcore", "pylite", "toolkit", "tzlite"]
    assert str(chosen["libcore"].version) == "1.2.0"  # the newer of two, as pylite requires
    assert str(chosen["toolkit"].subdir) == "noarch"
    assert str(chosen["extra"].subdir) == platform
    assert all(r.url.startswith(channel.as_uri()) for r in records)


def test_cuda_package_is_chosen_when_cuda_is_declared(channel: Path, tmp_path: Path) -> None:
    records = _solve(channel, ["cudalite"], "linux-64", tmp_path / "cache", cuda=True)
    assert sorted(r.name.normalized for r in records) == ["cudalite", "libcore"]


def test_rattler_installs_a_solved_set_with_the_declared_files(channel: Path, tmp_path: Path) -> None:
    from rattler import Subdir, install

    records = _solve(channel, ["extra"], "linux-64", tmp_path / "cache")
    prefix = tmp_path / "prefix"
    asyncio.run(
        install(
            records,
            prefix,
            cache_dir=tmp_path / "pkgs",
            platform=Subdir("linux-64"),
            show_progress=False,
        )
    )
    metas = sorted(p.name for p in (prefix / "conda-meta").glob("*.json"))
    assert metas == sorted(f"{r.name.normalized}-{r.version}-{r.build}.json" for r in records)
    defs = {(p.subdir, p.file_name): p for p in demo_packages()}
    installed_bytes = 0
    for record in records:
        pkg = defs[(str(record.subdir), record.file_name)]
        paths = json.loads(_info_members(channel / pkg.subdir / pkg.file_name)["info/paths.json"])["paths"]
        for entry in paths:
            target = prefix / entry["_path"]
            assert target.is_file(), entry["_path"]
            assert target.stat().st_size == entry["size_in_bytes"]
            assert hashlib.sha256(target.read_bytes()).hexdigest() == entry["sha256"]
            installed_bytes += entry["size_in_bytes"]
    assert installed_bytes == sum(defs[(str(r.subdir), r.file_name)].installed_size for r in records)
    assert installed_bytes > 256 * 1024  # pylite's payload is in


def test_info_of_an_archive_is_read_over_http_with_range_requests(channel: Path) -> None:
    import requests
    from conda_package_streaming.url import stream_conda_info

    from httpserver import serve, url

    pylite = next(p for p in demo_packages() if p.name == "pylite" and p.subdir == "linux-64")
    archive = channel / pylite.subdir / pylite.file_name
    with serve(channel) as server, requests.Session() as session:
        found = {}
        for tar, member in stream_conda_info(f"{url(server)}/{pylite.subdir}/{pylite.file_name}", session):
            if member.name == "info/paths.json":
                extracted = tar.extractfile(member)
                assert extracted is not None
                found = json.loads(extracted.read())
        sent = sum(n for path, n in server.sent if path.endswith(pylite.file_name))  # type: ignore[attr-defined]
    assert found == pylite.paths_json()
    assert sent < archive.stat().st_size / 10  # only the zip directory and the info member, not the payload
