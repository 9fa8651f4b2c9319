"""Hostile and broken mirrors: credentials, timeouts, missing subdirs, gzip bombs, one line per failure."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import CHANNELS, REPO

from envsplit.cli import cli

from projectfiles import write

PASSWORD = "s3cr3t-PW"


@dataclass
class Mirror:
    """What the test mirror does: serve ``root``, maybe behind Basic auth, gzip, or with canned replies."""

    root: Path
    credentials: str | None = None  # "user:password" the mirror demands
    gzip: bool = False
    canned: dict[str, tuple[bytes, dict[str, str]]] = field(default_factory=dict)  # path -> body, headers
    log: list[tuple[str, int, str]] = field(default_factory=list)  # (path, status, Authorization)


@contextmanager
def mirror_server(mirror: Mirror) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
            mirror.log.append((self.path, status, self.headers.get("Authorization", "")))
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if mirror.credentials is not None:
                expected = "Basic " + base64.b64encode(mirror.credentials.encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return self.reply(401, b"no", {"WWW-Authenticate": 'Basic realm="mirror"'})
            if self.path in mirror.canned:
                return self.reply(200, *mirror.canned[self.path])
            path = mirror.root / self.path.lstrip("/")
            if not path.is_file():
                return self.reply(404, b"not found")
            data = path.read_bytes()
            etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                return self.reply(304, headers={"ETag": etag})
            headers = {"ETag": etag, "Content-Type": "application/json"}
            if mirror.gzip and "gzip" in self.headers.get("Accept-Encoding", ""):
                data = gzip.compress(data)
                headers["Content-Encoding"] = "gzip"
            self.reply(200, data, headers)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def silent_server() -> Iterator[str]:
    """Accepts every connection and never answers: the hang of item 7."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        listener.close()


def run(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), *args])


def run_bounded(project: Path, *args: str, seconds: float = 60) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess that cannot hang the suite: a run past ``seconds`` fails the test."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    return subprocess.run(
        [sys.executable, "-m", "envsplit", "-C", str(project), *args],
        capture_output=True,
        text=True,
        timeout=seconds,
        env=env,
    )


def files_under(*roots: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for root in roots if root.exists() for p in root.rglob("*") if p.is_file()}


def cpu_lock(project: Path) -> bytes:
    return (project / "locks/cpu/conda-linux-64.lock").read_bytes()


@pytest.fixture()
def reference_lock(rocker_project: Path, tmp_path: Path, mirror_args: list[str]) -> bytes:
    """The cpu lock as read through the plain loopback mirror (rattler's own path before this change)."""
    other = tmp_path / "reference"
    shutil.copytree(rocker_project, other)
    result = run(other, "lock", "--variant", "cpu", "--no-dockerfiles", *mirror_args)
    assert result.exit_code == 0, result.output
    return cpu_lock(other)


# --- item 2: credentials in a mirror URL ---------------------------------------------------------


def test_mirror_credentials_are_sent_as_basic_auth_and_never_written(
    rocker_project: Path, cache_dir: Path, reference_lock: bytes
) -> None:
    mirror = Mirror(CHANNELS, credentials=f"bot:{PASSWORD}")
    with mirror_server(mirror) as url:
        host = url.removeprefix("http://")
        write(rocker_project, {"envsplit.yml": (REPO / "envsplit.yml").read_text()})
        with (rocker_project / "envsplit.yml").open("a") as fh:
            fh.write(f"mirrors:\n  conda-forge: http://bot:{PASSWORD}@{host}/conda-forge\n")
        result = run(rocker_project, "lock", "--variant", "cpu")
    assert result.exit_code == 0, result.output
    assert cpu_lock(rocker_project) == reference_lock
    assert mirror.log and all(status == 200 for _, status, _ in mirror.log)
    assert {auth for _, _, auth in mirror.log} == {
        "Basic " + base64.b64encode(f"bot:{PASSWORD}".encode()).decode()
    }
    assert PASSWORD not in result.output
    written = files_under(rocker_project / "locks", rocker_project / "dockerfiles", cache_dir)
    assert written and not [
        p for p, data in written.items() if PASSWORD.encode() in data or PASSWORD in str(p)
    ]


def test_wrong_mirror_password_is_one_line_naming_the_redacted_mirror(
    rocker_project: Path, cache_dir: Path
) -> None:
    mirror = Mirror(CHANNELS, credentials="bot:right")
    with mirror_server(mirror) as url:
        bad = url.replace("http://", f"http://bot:{PASSWORD}@") + "/conda-forge"
        result = run(rocker_project, "lock", "--variant", "cpu", "--mirror", f"conda-forge={bad}")
    assert result.exit_code == 1
    assert PASSWORD not in result.output
    denied = [ln for ln in result.output.splitlines() if "HTTP 401" in ln]
    assert denied == [
        f"cannot read the repodata of {url}/conda-forge (HTTP 401, access denied); "
        "check the user and password in the mirror URL"
    ]
    assert f"cannot read the repodata of {url}/conda-forge (see above)" in result.output
    assert not (rocker_project / "locks").exists()


def test_credentials_go_to_their_mirror_only(tmp_path: Path) -> None:
    from envsplit.fetch import MirrorFetcher

    first, second = Mirror(CHANNELS / "conda-forge"), Mirror(CHANNELS / "rapidsai")
    with mirror_server(first) as a, mirror_server(second) as b:
        fetcher = MirrorFetcher(tmp_path)
        fetcher.channel_folder(a.replace("http://", f"http://bot:{PASSWORD}@"), ["linux-64"])
        fetcher.channel_folder(b, ["linux-64"])
    assert first.log and all(auth.startswith("Basic ") for _, _, auth in first.log)
    assert second.log and all(auth == "" for _, _, auth in second.log)


# --- item 7: timeouts ----------------------------------------------------------------------------


def test_mirror_that_never_answers_times_out_with_one_clear_line(
    rocker_project: Path, tmp_path: Path
) -> None:
    with silent_server() as url:
        started = time.monotonic()
        result = run_bounded(
            rocker_project,
            *("lock", "--variant", "cpu", "--timeout", "1", "--cache-dir", str(tmp_path / "cache")),
            *("--mirror", f"conda-forge={url}/conda-forge"),
        )
    assert time.monotonic() - started < 30
    assert result.returncode == 1, result.stderr
    assert (
        f"cannot read the repodata of {url}/conda-forge (no answer within 1 s); allow more time with "
        "--timeout SECONDS (env ENVSPLIT_TIMEOUT)"
    ) in result.stderr
    assert result.stderr.count("no answer within") == 1  # the second platform says "see above"
    assert "Traceback" not in result.stderr


def test_direct_channel_that_never_answers_times_out(tmp_path: Path) -> None:
    """A channel read by rattler itself (no mirror): its client gets the same timeout, from the env var."""
    with silent_server() as url:
        project = write(
            tmp_path / "p",
            {
                "environment.yml": f"channels: [{url}/conda-forge]\ndependencies: [python]\n",
            },
        )
        started = time.monotonic()
        env_timeout = {"ENVSPLIT_TIMEOUT": "1", "ENVSPLIT_CACHE_DIR": str(tmp_path / "cache")}
        os.environ.update(env_timeout)
        try:
            result = run_bounded(project, "lock", "--platform", "linux-64")
        finally:
            for key in env_timeout:
                os.environ.pop(key)
    assert time.monotonic() - started < 40
    assert result.returncode == 1, result.stderr
    assert f"cannot read the repodata of {url}/conda-forge (no answer within 1 s)" in result.stderr


def test_timeout_must_be_positive(rocker_project: Path) -> None:
    result = run(rocker_project, "lock", "--timeout", "0")
    assert result.exit_code == 2
    assert "Invalid value for '--timeout': 0.0 is not in the range x>0." in result.output


# --- item 8: a subdir missing on a mirror ---------------------------------------------------------


@pytest.fixture()
def partial_mirror(tmp_path: Path) -> Path:
    """The snapshot with conda-forge/linux-aarch64 missing: a mirror whose sync stopped half way."""
    root = tmp_path / "partial"
    shutil.copytree(CHANNELS, root)
    shutil.rmtree(root / "conda-forge/linux-aarch64")
    return root


def test_mirror_missing_a_subdir_is_a_channel_error_naming_the_url(
    rocker_project: Path, cache_dir: Path, partial_mirror: Path
) -> None:
    with mirror_server(Mirror(partial_mirror)) as url:
        result = run(rocker_project, "lock", "--variant", "cpu", "--mirror", f"conda-forge={url}/conda-forge")
    assert result.exit_code == 1
    assert (
        f"cannot read the repodata of {url}/conda-forge (linux-aarch64/repodata.json: HTTP 404, not found); "
        "the mirror lacks a subdir it must carry"
    ) in result.output
    assert "spelling" not in result.output and "did you mean" not in result.output
    assert not (rocker_project / "locks").exists()  # no lock of half the platforms, no other lock


def test_subdir_the_channel_declares_absent_is_empty(tmp_path: Path, partial_mirror: Path) -> None:
    from envsplit.fetch import MirrorFetcher

    channeldata = {"channeldata_version": 1, "packages": {}, "subdirs": ["linux-64", "noarch"]}
    (partial_mirror / "conda-forge/channeldata.json").write_text(json.dumps(channeldata))
    with mirror_server(Mirror(partial_mirror)) as url:
        folder = MirrorFetcher(tmp_path).channel_folder(f"{url}/conda-forge", ["linux-aarch64"])
    local = Path(folder.removeprefix("file://"))
    assert json.loads((local / "linux-aarch64/repodata.json").read_text())["packages"] == {}
    assert (local / "noarch/repodata.json").read_bytes() == (
        CHANNELS / "conda-forge/noarch/repodata.json"
    ).read_bytes()


# --- item 11: gzip bombs -------------------------------------------------------------------------


def test_gzip_served_repodata_locks_the_same_and_revalidates_with_etag(
    rocker_project: Path, cache_dir: Path, reference_lock: bytes
) -> None:
    mirror = Mirror(CHANNELS, gzip=True)
    with mirror_server(mirror) as url:
        args = ("lock", "--variant", "cpu", "--no-dockerfiles", "--mirror", f"conda-forge={url}/conda-forge")
        assert run(rocker_project, *args).exit_code == 0
        assert cpu_lock(rocker_project) == reference_lock
        mirror.log.clear()
        result = run(rocker_project, *args, "--force")
    assert result.exit_code == 0, result.output
    assert cpu_lock(rocker_project) == reference_lock
    assert mirror.log and {status for _, status, _ in mirror.log} == {304}


def test_gzip_bomb_is_refused_and_leaves_nothing_in_the_cache(rocker_project: Path, cache_dir: Path) -> None:
    bomb = gzip.compress(b'{"packages": {' + b" " * 200_000_000 + b"}}", compresslevel=9)
    assert len(bomb) < 400_000
    mirror = Mirror(
        CHANNELS, canned={"/conda-forge/linux-64/repodata.json": (bomb, {"Content-Encoding": "gzip"})}
    )
    with mirror_server(mirror) as url:
        result = run(rocker_project, "lock", "--variant", "cpu", "--mirror", f"conda-forge={url}/conda-forge")
    assert result.exit_code == 1
    assert "linux-64/repodata.json: " in result.output and "refused as a decompression bomb" in result.output
    assert sum(len(data) for data in files_under(cache_dir).values()) < 20_000_000


def test_decompressed_size_limit_is_configurable(
    rocker_project: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVSPLIT_MAX_DECOMPRESSED_BYTES", "500000")
    with mirror_server(Mirror(CHANNELS, gzip=True)) as url:
        result = run(rocker_project, "lock", "--variant", "cpu", "--mirror", f"conda-forge={url}/conda-forge")
        assert result.exit_code == 1
        assert "(linux-64/repodata.json: expands beyond 500.0 kB)" in result.output
        monkeypatch.setenv("ENVSPLIT_MAX_DECOMPRESSED_BYTES", "lots")
        result = run(rocker_project, "lock", "--variant", "cpu", "--mirror", f"conda-forge={url}/conda-forge")
    assert result.exit_code == 2
    assert result.output.startswith("error: ENVSPLIT_MAX_DECOMPRESSED_BYTES='lots'")


def test_archive_bomb_is_not_read_for_installed_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from envsplit.models import LockedPackage
    from envsplit.sizes.installed import installed_sizes

    channel = tmp_path / "channel"
    (channel / "noarch").mkdir(parents=True)
    (channel / "noarch/repodata.json").write_text('{"packages": {}}')
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:bz2") as tar:
        filler = tarfile.TarInfo("lib/zeros.bin")
        filler.size = 30_000_000
        tar.addfile(filler, io.BytesIO(bytes(filler.size)))
        paths = json.dumps({"paths": [{"_path": "lib/zeros.bin", "size_in_bytes": 30_000_000}]}).encode()
        info = tarfile.TarInfo("info/paths.json")
        info.size = len(paths)
        tar.addfile(info, io.BytesIO(paths))
    (channel / "noarch/bomb-1-0.tar.bz2").write_bytes(buffer.getvalue())
    package = LockedPackage(
        name="bomb",
        version="1",
        build="0",
        subdir="noarch",
        channel="https://conda.anaconda.org/conda-forge",
        url="https://conda.anaconda.org/conda-forge/noarch/bomb-1-0.tar.bz2",
        md5="0" * 32,
        sha256=None,
        size=None,
        depends=(),
    )
    mirrors = {"conda-forge": str(channel)}
    assert installed_sizes([package], mirrors, tmp_path / "c1", tmp_path).sizes == {package.url: 30_000_000}
    monkeypatch.setenv("ENVSPLIT_MAX_DECOMPRESSED_BYTES", "1000000")
    found = installed_sizes([package], mirrors, tmp_path / "c2", tmp_path)
    assert found.sizes == {}
    assert "expands beyond" in found.failed[package.url]


# --- item 18: a mirror failure told once ---------------------------------------------------------


def test_unreachable_mirror_is_told_once_for_every_variant_and_platform(
    rocker_project: Path, cache_dir: Path, channel_server: str
) -> None:
    result = run(
        rocker_project,
        *("lock", "--mirror", "conda-forge=http://127.0.0.1:9/conda-forge"),
        *("--mirror", f"rapidsai={channel_server}/rapidsai"),
    )
    assert result.exit_code == 1
    full = [
        ln
        for ln in result.output.splitlines()
        if ln.startswith("cannot read the repodata") and "(see above)" not in ln
    ]
    assert full == [
        "cannot read the repodata of http://127.0.0.1:9/conda-forge (Connection refused); check the channel URL, "
        "the --mirror setting and the network"
    ]


def test_audit_reads_sizes_through_a_credentialed_mirror(rocker_project: Path, cache_dir: Path) -> None:
    shutil.copytree(REPO / "locks", rocker_project / "locks")
    mirror = Mirror(CHANNELS, credentials=f"bot:{PASSWORD}")
    with mirror_server(mirror) as url:
        authed = url.replace("http://", f"http://bot:{PASSWORD}@") + "/conda-forge"
        result = run(
            rocker_project,
            "audit",
            "--variant",
            "cpu",
            "--format",
            "json",
            "--mirror",
            f"conda-forge={authed}",
        )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    totals = [env["totals"] for env in json.loads(result.output)["environments"]]
    assert totals and all(t["size"] > 0 and t["size_missing"] == [] for t in totals)
    assert mirror.log and all(status == 200 for _, status, _ in mirror.log)


@pytest.mark.parametrize("command", ["lock", "refresh", "diff", "audit"])
def test_every_fetching_command_takes_a_timeout(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert "--timeout SECONDS" in result.output and "ENVSPLIT_TIMEOUT" in result.output


def test_folder_mirror_missing_a_subdir_is_a_channel_error_not_a_spelling_hint(
    rocker_project: Path, cache_dir: Path, partial_mirror: Path
) -> None:
    folder = partial_mirror / "conda-forge"
    result = run(rocker_project, "lock", "--variant", "cpu", "--mirror", f"conda-forge={folder}")
    assert result.exit_code == 1
    assert (
        f"cannot read the repodata of {folder}/linux-aarch64 (the mirror folder for "
        "https://conda.anaconda.org/conda-forge has no linux-aarch64/repodata.json); add that subdir to the "
        "folder, or drop linux-aarch64 from the platforms"
    ) in result.output
    assert "spelling" not in result.output and "did you mean" not in result.output
    assert not (rocker_project / "locks").exists()
