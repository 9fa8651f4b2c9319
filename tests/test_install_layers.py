"""Run what the rendered Dockerfiles' RUN steps do, for real, on a channel of real archives.

The base image installs its explicit lock; the extension image, built FROM it, installs only its layer
file. Both steps are replayed here with rattler.install, taking the lockfile each Dockerfile selects for
TARGETARCH as the only input (like micromamba with an explicit file: download each URL, check its md5,
install exactly that archive). The result must equal the extension's full lock, and the base's packages
must not be touched by the second step.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import urllib.request
from pathlib import Path

import dockerfile
import pytest
from click.testing import CliRunner

from envsplit.cli import cli

from archives import build_channel, demo_packages
from httpserver import serve, url
from projectfiles import explicit_lines

ARCH_TO_PLATFORM = {"amd64": "linux-64", "arm64": "linux-aarch64"}


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A project whose base and extension variants are locked against a served channel of real archives."""
    root = tmp_path_factory.mktemp("layers")
    build_channel(root / "www" / "demo", demo_packages())
    with serve(root / "www") as server:
        channel = f"{url(server)}/demo"
        project = root / "project"
        (project / "overlays").mkdir(parents=True)
        (project / "environment.yml").write_text(
            f"name: demo\nchannels: [{channel}]\ndependencies: [pylite, toolkit]\n"
        )
        (project / "overlays" / "extra.yml").write_text("add: [extra]\n")
        (project / "envsplit.yml").write_text(
            "version: 1\nplatforms: [linux-64, linux-aarch64]\n"
            "variants:\n  base: {}\n  ext: {base: base, overlays: [extra]}\n"
            "docker: {repository: example.org/demo}\n"
        )
        result = CliRunner().invoke(cli, ["-C", str(project), "lock", "--cache-dir", str(root / "cache")])
        assert result.exit_code == 0, result.output
        yield project, channel


def _selected_lock(project: Path, variant: str, arch: str) -> Path:
    """The lockfile the Dockerfile's RUN step picks for TARGETARCH=arch (parsed, not assumed)."""
    commands = dockerfile.parse_file(str(project / "dockerfiles" / f"Dockerfile.{variant}"))
    (run,) = [c for c in commands if c.cmd == "RUN"]
    (mount,) = [f for f in run.flags if f.startswith("--mount=")]
    source = re.search(r"source=([^,]+)", mount).group(1)  # type: ignore[union-attr]
    target = re.search(r"target=([^,]+)", mount).group(1)  # type: ignore[union-attr]
    chosen = dict(re.findall(r"(\w+)\) lock=(\S+) ;;", run.value[0]))[arch]
    assert chosen.startswith(target + "/")
    return project / source / chosen[len(target) + 1 :]


def _explicit_urls(path: Path) -> list[tuple[str, str]]:
    return [(url, md5) for url, _, md5 in (ln.partition("#") for ln in explicit_lines(path))]


def _install_explicit(lock: Path, prefix: Path, downloads: Path, platform: str) -> None:
    """Install exactly the archives listed in an explicit file, adding to what the prefix has."""
    from rattler import PrefixRecord, RepoDataRecord, Subdir, install

    records = []
    for archive_url, md5 in _explicit_urls(lock):
        target = downloads / archive_url.rsplit("/", 1)[-1]
        with urllib.request.urlopen(archive_url) as response:
            target.write_bytes(response.read())
        assert hashlib.md5(target.read_bytes()).hexdigest() == md5, archive_url
        records.append(asyncio.run(RepoDataRecord.from_package_archive(target)))
    installed = [PrefixRecord.from_path(p) for p in sorted((prefix / "conda-meta").glob("*.json"))]
    asyncio.run(
        install(
            [*installed, *records],
            target_prefix=prefix,
            installed_packages=installed,
            platform=Subdir(platform),
            execute_link_scripts=False,
            show_progress=False,
            cache_dir=downloads / "pkgs",
        )
    )


def _conda_meta(prefix: Path) -> set[str]:
    """The archive file names the prefix records as installed."""
    return {json.loads(meta.read_text())["fn"] for meta in (prefix / "conda-meta").glob("*.json")}


@pytest.mark.parametrize("arch", ["amd64", "arm64"])
def test_base_then_layer_install_equals_the_extension_lock(
    locked: tuple[Path, str], tmp_path: Path, arch: str
) -> None:
    project, _ = locked
    platform = ARCH_TO_PLATFORM[arch]
    base_lock = _selected_lock(project, "base", arch)
    layer_lock = _selected_lock(project, "ext", arch)
    assert base_lock.name == f"conda-{platform}.lock" and layer_lock.name == f"layer-{platform}.lock"
    prefix, downloads = tmp_path / "opt-conda", tmp_path / "downloads"
    downloads.mkdir()
    (prefix / "conda-meta").mkdir(parents=True)  # what the Dockerfile's 'mkdir -p .../conda-meta' does

    # The module fixture's server still serves the channel at the URL the locks recorded.
    _install_explicit(base_lock, prefix, downloads, platform)
    base_meta = {p.name: p.read_bytes() for p in (prefix / "conda-meta").glob("*.json")}
    _install_explicit(layer_lock, prefix, downloads, platform)

    full = {u.rsplit("/", 1)[-1] for u, _ in _explicit_urls(project / "locks/ext" / f"conda-{platform}.lock")}
    assert _conda_meta(prefix) == full
    assert {"pylite", "toolkit", "extra", "libcore", "tzlite"} == {fn.rsplit("-", 2)[0] for fn in full}
    # the layer step added packages and left every base package's record untouched
    after = {p.name: p.read_bytes() for p in (prefix / "conda-meta").glob("*.json")}
    assert {k: after[k] for k in base_meta} == base_meta
    assert (prefix / "share/extra/data.bin").stat().st_size == 4096
    assert (prefix / "bin/pylite").exists()
