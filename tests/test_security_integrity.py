"""Integrity of what envsplit reads and writes: forged locks, special files, symlinks, leftovers, bad lock lines."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import shutil
import stat
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from envsplit.cli import cli

from projectfiles import edit, git

REPO = Path(__file__).parent.parent
MIRRORS = [
    "--mirror",
    f"conda-forge={REPO / 'tests/data/channels/conda-forge'}",
    "--mirror",
    f"rapidsai={REPO / 'tests/data/channels/rapidsai'}",
]
GEOS = "https://conda.anaconda.org/conda-forge/linux-64/geos-3.14.1-h480dda7_0.conda"
EVIL = "https://evil.example.com/conda-forge/linux-64/geos-3.14.1-h480dda7_0.conda"


def run(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), *args])


def reseal(path: Path) -> None:
    """Recompute the content-sha256 header, as a forger would after editing the body."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    n = next(i for i, ln in enumerate(lines) if not ln.startswith("#"))
    body = "".join(lines[n:])
    digest = hashlib.sha256(body.encode()).hexdigest()
    head = [
        f"# content-sha256: {digest}\n" if ln.startswith("# content-sha256: ") else ln for ln in lines[:n]
    ]
    path.write_text("".join(head) + body, encoding="utf-8")


def forge(project: Path, files: tuple[str, ...] = ("conda-linux-64.lock", "layer-linux-64.lock")) -> None:
    for name in files:
        path = project / "locks/cuda-spatial" / name
        edit(path, GEOS, EVIL)
        reseal(path)


def one_error(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


# --- item 3: forged locks ----------------------------------------------------------------------------


def test_forged_explicit_and_layer_fail_lock_check(locked: Path) -> None:
    forge(locked)
    line = one_error(run(locked, "lock", "--check"))
    assert "locks/cuda-spatial/conda-linux-64.lock" in line and "'geos' (linux-64)" in line
    assert "evil.example.com" in line


def test_forged_url_in_the_message_has_no_credentials(locked: Path) -> None:
    path = locked / "locks/cuda-spatial/conda-linux-64.lock"
    edit(path, GEOS, GEOS.replace("https://", "https://bot:hunter2@").replace(".org/", ".org/t/tok-123/"))
    reseal(path)
    line = one_error(run(locked, "lock", "--check"))
    assert "'geos' (linux-64)" in line and "hunter2" not in line and "tok-123" not in line


def test_forged_layer_alone_fails_lock_check(locked: Path) -> None:
    forge(locked, ("layer-linux-64.lock",))
    line = one_error(run(locked, "lock", "--check"))
    assert "locks/cuda-spatial/layer-linux-64.lock" in line and "'geos' (linux-64)" in line


def test_forged_host_in_all_three_files_is_outside_the_channels(locked: Path) -> None:
    forge(locked, ("conda-linux-64.lock", "layer-linux-64.lock", "conda-lock.yml"))
    line = one_error(run(locked, "lock", "--check"))
    assert "locks/cuda-spatial/conda-lock.yml" in line and "'geos' (linux-64)" in line
    assert "outside the variant's channels" in line


def test_conda_lock_yml_in_another_layout_is_read_as_yaml(locked: Path) -> None:
    """A second ``url:`` key is one YAML reads (the last wins): the fast reader must not take the first."""
    forge(locked)
    path = locked / "locks/cuda-spatial/conda-lock.yml"
    edit(path, f"  url: {GEOS}\n", f"  url: {GEOS}\n  url: {EVIL}\n")
    reseal(path)
    line = one_error(run(locked, "lock", "--check"))
    assert "locks/cuda-spatial/conda-lock.yml" in line and "outside the variant's channels" in line


def test_forged_lock_is_rewritten_by_lock(locked: Path) -> None:
    forge(locked)
    result = run(locked, "lock", *MIRRORS)
    assert result.exit_code == 0, result.output
    for name in ("conda-linux-64.lock", "layer-linux-64.lock", "conda-lock.yml"):
        assert (locked / "locks/cuda-spatial" / name).read_bytes() == (
            REPO / "locks/cuda-spatial" / name
        ).read_bytes()
    assert run(locked, "lock", "--check").exit_code == 0


def test_forged_lock_fails_diff_and_audit(locked: Path) -> None:
    forge(locked)
    line = one_error(run(locked, "diff", str(REPO / "locks"), "locks"))
    assert "conda-linux-64.lock" in line and "'geos' (linux-64)" in line
    line = one_error(run(locked, "audit", "--variant", "cuda-spatial", *MIRRORS))
    assert "locks/cuda-spatial/conda-linux-64.lock" in line and "'geos' (linux-64)" in line


def test_forged_base_fails_its_extension_too(locked: Path) -> None:
    path = locked / "locks/cuda/conda-linux-64.lock"
    text = path.read_text(encoding="utf-8")
    first = next(ln for ln in text.splitlines() if ln.startswith("https://"))
    edit(path, first, first.replace("conda.anaconda.org", "evil.example.com"))
    reseal(path)
    line = one_error(run(locked, "lock", "--check"))
    assert "locks/cuda/conda-linux-64.lock" in line


def test_noop_lock_stays_fast(locked: Path) -> None:
    """The check reads the explicit files and scans conda-lock.yml as text: no YAML parse, no conda-lock."""
    code = (
        "import sys, time; t = time.perf_counter();"
        "from click.testing import CliRunner; from envsplit.cli import cli;"
        "r = CliRunner().invoke(cli, ['lock']);"
        "assert r.exit_code == 0, r.output;"
        "assert 'conda_lock' not in sys.modules and 'yaml' not in sys.modules, sorted(sys.modules);"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run(
        [shutil.which("python") or "python", "-c", code],
        cwd=locked,
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(out.stdout) < 1.0  # measured about 0.2 s; a YAML parse of the four locks alone adds 0.5 s


def test_forged_lock_at_a_git_revision_is_named_as_such(locked: Path) -> None:
    forge(locked)
    git(locked, "init", "-q")
    git(locked, "add", "-A")
    git(locked, "commit", "-qm", "forged")
    shutil.rmtree(locked / "locks")
    shutil.copytree(REPO / "locks", locked / "locks")
    line = one_error(run(locked, "diff", "--git", "HEAD"))
    assert "HEAD:locks/cuda-spatial/conda-linux-64.lock" in line and "'geos' (linux-64)" in line


# --- item 15: a symlink out of the repository at a git revision ---------------------------------------


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../etc/passwd"])
def test_symlink_out_of_the_repo_at_a_revision_is_refused(locked: Path, target: str) -> None:
    git(locked, "init", "-q")
    (locked / "locks/cpu/leak.lock").symlink_to(target)
    git(locked, "add", "-A")
    git(locked, "commit", "-qm", "symlink")
    line = one_error(run(locked, "diff", "--git", "HEAD"))
    assert "locks/cpu/leak.lock" in line and "outside" in line


# --- items 15 and 18: malformed lock entries name the file, the package and the field ----------------


def broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "broken" / "conda-lock.yml"
    path.parent.mkdir()
    shutil.copy(REPO / "locks/cpu/conda-lock.yml", path)
    edit(path, old, new)
    return path


def test_lock_url_without_a_slash_is_one_error(tmp_path: Path) -> None:
    url = "https://conda.anaconda.org/conda-forge/linux-64/_openmp_mutex-4.5-7_kmp_llvm.conda"
    path = broken_copy(tmp_path, f"url: {url}", "url: _openmp_mutex-4.5-7_kmp_llvm.conda")
    line = one_error(run(tmp_path, "diff", str(REPO / "locks/cpu/conda-lock.yml"), str(path)))
    assert str(path) in line and "'_openmp_mutex' (linux-64)" in line and "url" in line


def test_explicit_line_without_a_slash_is_one_error(locked: Path) -> None:
    path = locked / "locks/cpu/conda-linux-64.lock"
    first = next(ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith("https://"))
    edit(path, first, first.rsplit("/", 1)[1])
    reseal(path)
    line = one_error(run(locked, "lock", "--check"))
    assert "locks/cpu/conda-linux-64.lock" in line and "not a package line" in line


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("    md5: 887b70e1d607fba7957aa02f9ee0d939\n", "", "hash: conda package hashes must use MD5"),
        (
            "  version: '4.5'\n  manager: conda\n  platform: linux-64\n",
            "  manager: conda\n  platform: linux-64\n",
            "version: Field required",
        ),
    ],
)
def test_invalid_entry_names_package_platform_and_field(
    tmp_path: Path, old: str, new: str, field: str
) -> None:
    path = broken_copy(tmp_path, old, new)
    line = one_error(run(tmp_path, "diff", str(REPO / "locks/cpu/conda-lock.yml"), str(path)))
    assert "validation error" not in line
    assert str(path) in line and "'_openmp_mutex' (linux-64)" in line and field in line


# --- item 4: special files and '-' are written through, never replaced --------------------------------

CPU_LOCK = str(REPO / "locks/cpu/conda-lock.yml")


def read_fifo_while(path: Path, action: Callable[[], Result]) -> tuple[Result, str]:
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(path.read_text(encoding="utf-8")), daemon=True)
    reader.start()
    try:
        result = action()
    finally:
        # The writer may never have opened the FIFO. A blocking open to unblock the reader would hang
        # for ever if the reader finished in between (is_alive() is only a snapshot), so open without
        # blocking: ENXIO means nobody reads any more, which is what we want.
        if reader.is_alive():
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    raise
        reader.join(10)
    assert not reader.is_alive(), "the FIFO reader is still blocked 10 s after the command returned"
    return result, "".join(got)


def test_output_to_a_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    result, text = read_fifo_while(fifo, lambda: run(tmp_path, "diff", CPU_LOCK, CPU_LOCK, "-o", str(fifo)))
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert "No package changed" in text
    assert not [p for p in tmp_path.iterdir() if p.name != "fifo"]


def test_output_through_a_link_to_a_special_file_keeps_the_link(tmp_path: Path) -> None:
    """What ``-o /dev/stdout`` is: a symbolic link to a pipe or a terminal."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "stdout"
    link.symlink_to(fifo)
    result, text = read_fifo_while(fifo, lambda: run(tmp_path, "diff", CPU_LOCK, CPU_LOCK, "-o", str(link)))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert "No package changed" in text


def test_output_to_a_character_device_keeps_the_device(tmp_path: Path) -> None:
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except (PermissionError, OSError):
        pytest.skip("cannot create a device node here (needs root and CAP_MKNOD)")
    result = run(tmp_path, "diff", CPU_LOCK, CPU_LOCK, "-o", str(null))
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.lstat(null).st_mode)


def test_dash_is_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(tmp_path, "diff", CPU_LOCK, CPU_LOCK, "-o", "-")
    assert result.exit_code == 0, result.output
    assert "No package changed" in result.output
    assert not (tmp_path / "-").exists()


# --- item 16: symbolic links never lead a write out of the project ------------------------------------


def test_symlinked_lock_folder_out_of_the_project_is_refused(locked: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    shutil.move(locked / "locks/cpu", outside)
    (locked / "locks/cpu").symlink_to(outside)
    (outside / "conda-linux-64.lock").unlink()  # stale: the next lock wants to write there
    before = {p.name: p.read_bytes() for p in outside.iterdir()}
    line = one_error(run(locked, "lock", *MIRRORS))
    assert "locks/cpu" in line and "outside the project" in line and str(outside) not in line
    assert {p.name: p.read_bytes() for p in outside.iterdir()} == before


def test_symlinked_dockerfiles_folder_out_of_the_project_is_refused(locked: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    shutil.move(locked / "dockerfiles", outside)
    (locked / "dockerfiles").symlink_to(outside)
    (outside / "Dockerfile.cpu").unlink()
    (locked / "locks/cpu/conda-linux-64.lock").unlink()
    line = one_error(run(locked, "lock", *MIRRORS))
    assert "dockerfiles" in line and "outside the project" in line
    assert not (outside / "Dockerfile.cpu").exists()
    assert not (locked / "locks/cpu/conda-linux-64.lock").exists()  # refused before anything was written


# --- item 17: temporary files of a killed run are cleaned by the next write ---------------------------


def test_leftover_temporary_files_are_removed_but_not_a_live_writers(locked: Path) -> None:
    folder = locked / "locks/cpu"
    dead = folder / ".conda-linux-64.lock.k1ll3d_9.tmp"
    live = folder / ".conda-lock.yml.st1ll_0n.tmp"
    fresh = folder / ".conda-lock.yml.n3w_r4n0.tmp"
    for path in (dead, live, fresh):
        path.write_text("half a file", encoding="utf-8")
    old = time.time() - 3600
    os.utime(dead, (old, old))
    os.utime(live, (old, old))
    (folder / "conda-linux-64.lock").unlink()
    with open(live, encoding="utf-8") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another envsplit, still writing
        result = run(locked, "lock", *MIRRORS)
    assert result.exit_code == 0, result.output
    assert not dead.exists()
    assert live.exists() and fresh.exists()
    assert (folder / "conda-linux-64.lock").read_bytes() == (
        REPO / "locks/cpu/conda-linux-64.lock"
    ).read_bytes()
