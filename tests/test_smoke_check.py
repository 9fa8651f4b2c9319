"""The smoke check (envsplit/smoke/check.py) on a prefix installed with py-rattler from real archives."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_install_layers import _install_explicit

from envsplit.smoke import check

from archives import PackageDef, build_channel, demo_packages
from httpserver import serve, url

PLATFORM = "linux-64"


def _packages() -> list[PackageDef]:
    mod = PackageDef(
        "toolpy", "1.0", "py_0", files={"lib/python3.12/site-packages/toolpy/__init__.py": b"X = 1\n"}
    )
    gpu = PackageDef("torchlite", "2.0", "cuda129_0", PLATFORM, files={"lib/libtorchlite.so": b"gpu\n"})
    return [*demo_packages(), mod, gpu]


def _lock(channel: Path, base: str, names: dict[str, str]) -> str:
    """An explicit lockfile of the archives ``name -> file name`` in ``channel``."""
    lines = ["@EXPLICIT"]
    for fn in names.values():
        subdir = "noarch" if (channel / "noarch" / fn).exists() else PLATFORM
        md5 = hashlib.md5((channel / subdir / fn).read_bytes()).hexdigest()
        lines.append(f"{base}/{subdir}/{fn}#{md5}")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("smoke")
    channel = build_channel(root / "www" / "demo", _packages())
    wanted = {
        "libcore": "libcore-1.2.0-h1a2b3c4_0.conda",
        "tzlite": "tzlite-2026a-h0_0.conda",
        "pylite": "pylite-3.12.1-h1a2b3c4_0_cpython.conda",
        "toolkit": "toolkit-0.5.0-h4616a5c_0.conda",
        "toolpy": "toolpy-1.0-py_0.conda",
        "torchlite": "torchlite-2.0-cuda129_0.conda",
    }
    with serve(root / "www") as server:
        base = f"{url(server)}/demo"
        lock = root / "conda-linux-64.lock"
        lock.write_text(_lock(channel, base, wanted))
        prefix = root / "opt-conda"
        (prefix / "conda-meta").mkdir(parents=True)
        downloads = root / "downloads"
        downloads.mkdir()
        _install_explicit(lock, prefix, downloads, PLATFORM)
        yield prefix, lock, channel, base, wanted


def _run(prefix: Path, lock: Path, cpu: bool = False, requested: list[str] | None = None) -> tuple[int, str]:
    out = io.StringIO()
    site = str(prefix / "lib/python3.12/site-packages")
    with pytest.MonkeyPatch.context() as patch:  # the import checks run a fresh interpreter that needs it
        patch.setenv("PYTHONPATH", site)
        rc = check.run(str(prefix), str(lock), None, requested, cpu, sys.executable, out)
    return rc, out.getvalue()


def test_the_right_prefix_passes_and_requested_modules_import(installed) -> None:
    prefix, lock, *_ = installed
    rc, out = _run(prefix, lock, requested=["toolpy", "tzlite", "python"])
    assert rc == 0, out
    assert "skip import: tzlite: installs no Python module" in out
    assert "skip import: python: the interpreter itself" in out
    assert out.endswith("smoke test ok: 6 conda packages, 0 pip packages, 1 imports\n")


def test_a_missing_package_fails_naming_it(installed, tmp_path: Path) -> None:
    prefix, lock, channel, base, _wanted = installed
    more = tmp_path / "more.lock"
    more.write_text(
        lock.read_text() + _lock(channel, base, {"extra": "extra-2.0.0-h1a2b3c4_1.conda"}).split("\n", 1)[1]
    )
    rc, out = _run(prefix, more)
    assert rc == 1 and "FAIL: extra: locked 2.0.0 h1a2b3c4_1, not installed\n" in out


def test_another_build_fails_naming_it(installed, tmp_path: Path) -> None:
    prefix, _lock_file, channel, base, wanted = installed
    other = tmp_path / "other.lock"
    other.write_text(_lock(channel, base, {**wanted, "libcore": "libcore-1.1.0-h1a2b3c4_0.conda"}))
    rc, out = _run(prefix, other)
    assert rc == 1 and "FAIL: libcore: locked 1.1.0 h1a2b3c4_0, installed 1.2.0 h1a2b3c4_0\n" in out


def test_an_extra_package_fails_naming_it(installed, tmp_path: Path) -> None:
    prefix, _lock_file, channel, base, wanted = installed
    fewer = tmp_path / "fewer.lock"
    fewer.write_text(_lock(channel, base, {k: v for k, v in wanted.items() if k != "toolpy"}))
    rc, out = _run(prefix, fewer)
    assert rc == 1 and "FAIL: toolpy: installed (1.0 py_0), not in the lock\n" in out


def test_a_cuda_package_in_a_cpu_image_fails_naming_it(installed) -> None:
    prefix, lock, *_ = installed
    assert _run(prefix, lock)[0] == 0
    rc, out = _run(prefix, lock, cpu=True)
    assert rc == 1 and "FAIL: torchlite: CUDA build cuda129_0 in a CPU image\n" in out


def test_the_rendered_script_runs_stand_alone(installed) -> None:
    """dockerfiles/smoke_check.py is the module under a generated header, and runs as a script."""
    prefix, lock, *_ = installed
    script = Path(__file__).parent.parent / "dockerfiles" / "smoke_check.py"
    module = Path(check.__file__).read_text()
    assert script.read_text().endswith(module)
    env = {**os.environ, "PYTHONPATH": str(prefix / "lib/python3.12/site-packages")}
    argv = [
        sys.executable,
        str(script),
        "--prefix",
        str(prefix),
        "--explicit",
        str(lock),
        "--requested",
        "toolpy",
    ]
    ok = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    assert (ok.returncode, ok.stdout.splitlines()[-1]) == (
        0,
        "smoke test ok: 6 conda packages, 0 pip packages, 1 imports",
    )
    cpu = subprocess.run([*argv, "--cpu"], capture_output=True, text=True, env=env, check=False)
    assert cpu.returncode == 1 and "FAIL: torchlite: CUDA build cuda129_0 in a CPU image" in cpu.stdout


def test_the_smoke_dockerfile_is_hadolint_clean() -> None:
    from test_dockerfiles import HADOLINT

    assert HADOLINT is not None
    path = Path(__file__).parent.parent / "dockerfiles" / "smoke-test.Dockerfile"
    proc = subprocess.run([HADOLINT, "--no-color", str(path)], capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
