"""pip locks installed: by the rendered Dockerfiles (after the conda lock, same layer) and by `envsplit install`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import dockerfile
import pytest
from click.testing import CliRunner

from envsplit.cli import cli
from envsplit.install import current_platform

REPO = Path(__file__).parent.parent
HADOLINT = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
KEEPALIVE = "jupyter-keepalive==0.3.0 --hash=sha256:de7bb5cfe01740c383219ce3cdc79ace7fc48090b6fd7640772880d6af46c1e0\n"


@pytest.fixture()
def locked_project(rocker_project: Path) -> Path:
    """The rocker example with the committed locks and Dockerfiles (no solve needed)."""
    shutil.copytree(REPO / "locks", rocker_project / "locks")
    shutil.copytree(REPO / "dockerfiles", rocker_project / "dockerfiles")
    return rocker_project


def _run_step(path: Path) -> str:
    (run,) = [c for c in dockerfile.parse_file(str(path)) if c.cmd == "RUN"]
    assert (
        "--mount=type=bind,source=locks/"
        + path.name.removeprefix("Dockerfile.")
        + ",target=/mnt/envsplit-locks"
        in run.flags
    )
    return str(run.value[0])


def _render(project: Path) -> None:
    result = CliRunner().invoke(cli, ["-C", str(project), "dockerfile"])
    assert result.exit_code == 0, result.output


def _lint(path: Path) -> None:
    assert HADOLINT is not None
    lint = subprocess.run([HADOLINT, "--no-color", str(path)], capture_output=True, text=True, check=False)
    assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", "")


def test_pip_files_are_installed_after_the_conda_lock_in_the_same_step(locked_project: Path) -> None:
    # the committed locks, as `envsplit lock` wrote them: every variant has pip packages on both platforms
    _render(locked_project)
    out = locked_project / "dockerfiles"
    for variant, name in (
        ("cpu", "pip-{}.txt"),
        ("cuda", "pip-{}.txt"),
        ("cpu-spatial", "pip-layer-{}.txt"),
        ("cuda-spatial", "pip-layer-{}.txt"),
    ):
        script = _run_step(out / f"Dockerfile.{variant}")
        # the lock arms are as before; a second case picks the pip file of the same TARGETARCH
        arms = dict(re.findall(r"(\w+)\) lock=/mnt/envsplit-locks/(\S+) ;;", script))
        pips = dict(re.findall(r"(\w+)\) pip=/mnt/envsplit-locks/(\S+) ;;", script))
        assert set(arms) == set(pips) == {"amd64", "arm64"}
        assert pips == {"amd64": name.format("linux-64"), "arm64": name.format("linux-aarch64")}
        install = 'micromamba install --yes --prefix /opt/conda --file "${lock}"'
        pip = '/opt/conda/bin/python -m pip install --no-deps --require-hashes --no-cache-dir -r "${pip}"'
        # one RUN: conda lock, then pip, then the cleanup that keeps caches out of the layer
        assert script.index(install) < script.index(pip) < script.index("micromamba clean --all --yes")
        assert script.index("rm -rf /tmp/*") > script.index(pip)
        assert '*) pip="" ;;' not in script  # no platform skips the step
        _lint(out / f"Dockerfile.{variant}")
        # re-rendered from the committed locks: byte for byte the committed Dockerfiles
        assert (out / f"Dockerfile.{variant}").read_bytes() == (
            REPO / "dockerfiles" / f"Dockerfile.{variant}"
        ).read_bytes()
    # and `dockerfile --check` agrees the re-rendered files are current
    result = CliRunner().invoke(cli, ["-C", str(locked_project), "dockerfile", "--check"])
    assert result.exit_code == 0, result.output


def test_rendering_again_leaves_every_dockerfile_unchanged(locked_project: Path) -> None:
    before = {p.name: p.read_bytes() for p in (locked_project / "dockerfiles").iterdir()}
    _render(locked_project)
    assert {p.name: p.read_bytes() for p in (locked_project / "dockerfiles").iterdir()} == before


def test_an_extension_adding_no_pip_package_gets_no_pip_step(pip_variants: Path) -> None:
    locks = pip_variants / "locks"
    for platform in ("linux-64", "linux-aarch64"):
        # what `envsplit lock` wrote: the extension's layer names no package, its full file its base's
        assert _body(locks / "quiet" / f"pip-layer-{platform}.txt") == ""
        assert _body(locks / "quiet" / f"pip-{platform}.txt") == KEEPALIVE
    out = pip_variants / "dockerfiles"
    assert "pip install" in _run_step(out / "Dockerfile.base")
    quiet = _run_step(out / "Dockerfile.quiet")
    assert "pip" not in quiet and "lock=/mnt/envsplit-locks/layer-linux-64.lock" in quiet
    _lint(out / "Dockerfile.quiet")
    # a variant without any pip entry: no pip file, no pip step
    assert not list((locks / "plain").glob("pip-*"))
    assert "pip" not in _run_step(out / "Dockerfile.plain")


def test_a_platform_without_a_pip_file_skips_the_pip_step(pip_variants: Path) -> None:
    locks = pip_variants / "locks" / "amd"
    assert _body(locks / "pip-linux-64.txt") == KEEPALIVE
    assert _body(locks / "pip-linux-aarch64.txt") == ""  # its marker leaves arm64 nothing to install
    path = pip_variants / "dockerfiles" / "Dockerfile.amd"
    script = _run_step(path)
    assert dict(re.findall(r"(\w+)\) pip=(\S*) ;;", script)) == {
        "amd64": "/mnt/envsplit-locks/pip-linux-64.txt"
    }
    assert '*) pip="" ;;' in script
    assert '{ [ -z "${pip}" ] || /opt/conda/bin/python -m pip install' in script
    _lint(path)
    # bash runs the step's pip selection: arm64 gets no file and the guard skips the install
    (selection,) = re.findall(r'case "\$\{TARGETARCH\}" in (?:(?!esac).)* pip=(?:(?!esac).)*esac', script)
    for arch, expected in (("amd64", "/mnt/envsplit-locks/pip-linux-64.txt"), ("arm64", "")):
        shell = subprocess.run(
            ["bash", "-c", f'TARGETARCH={arch}; pip=unset; {selection}; echo "[$pip]"'],
            capture_output=True,
            text=True,
            check=True,
        )
        assert shell.stdout == f"[{expected}]\n"


# --- envsplit install ---------------------------------------------------------------------------------------

PROXY = (
    "jupyter-tensorboard-proxy==0.1.1 "
    "--hash=sha256:946fd6a0ec7b6eb06488143385bb84a8280375b119319dbd0ca1ed784cc7b675\n"
)
PYPI_FOLDER = Path(__file__).parent / "data" / "pypi" / "simple"
BASE_DEPENDENCIES = "python, toolkit, jupyter-server, jupyter-server-proxy, tensorboard"


def _python_packages() -> list:
    """``python`` for the test channel: linux-64 holds this machine's interpreter, relocated as a venv.

    The archive carries a copy of the running interpreter's binary and a ``pyvenv.cfg`` pointing at its
    standard library, so ``<prefix>/bin/python`` is a real Python whose ``sys.prefix`` is the prefix (its
    site-packages is ``<prefix>/lib/python3.X/site-packages``, where a conda Python has it). linux-aarch64's
    is a placeholder script: nothing runs it here.
    """
    import sysconfig

    from archives import PackageDef

    binary = Path(sys.executable).resolve().read_bytes()
    version = ".".join(map(str, sys.version_info[:3]))
    short = f"{sys.version_info[0]}.{sys.version_info[1]}"
    home = Path(sys.executable).resolve().parent
    cfg = f"home = {home}\ninclude-system-site-packages = false\nversion = {version}\n".encode()
    stub = f"lib/python{short}/site-packages/README.txt"
    native = {f"bin/python{short}": binary, "bin/python": binary, "pyvenv.cfg": cfg, stub: b"site-packages\n"}
    placeholder = {"bin/python": b"#!/bin/sh\nexit 1\n", stub: b"site-packages\n"}
    assert sysconfig.get_config_var("VERSION") == short
    return [
        PackageDef("python", version, "h1a2b3c4_0_cpython", "linux-64", files=native),
        PackageDef("python", version, "h5d6e7f8_0_cpython", "linux-aarch64", files=placeholder),
    ]


def _provided_packages() -> list:
    """noarch conda packages standing in for the Python distributions the pip entries require (the PyPI
    snapshot leaves them out: conda provides them), so ``envsplit lock`` resolves the pip entries on top."""
    from archives import PackageDef

    return [
        PackageDef(name, version, "pyhd8ed1ab_0", "noarch", files={f"share/{name}/README": b"stand-in\n"})
        for name, version in (
            ("jupyter-server", "2.17.0"),
            ("jupyter-server-proxy", "4.4.0"),
            ("tensorboard", "2.20.0"),
        )
    ]


def _locked_demo(root: Path, files: dict[str, str], variants: str) -> tuple[Path, str]:
    """A project on the demo channel (with python and the stand-ins) locked with ``envsplit lock``, its pip
    entries against the PyPI snapshot folder; ``files``: its environment.yml (``{channel}`` filled in) and
    overlays. Returns the project and its channel URL, whose server is gone afterwards: the channel's folder
    is ``root/www/demo``."""
    from archives import build_channel, demo_packages
    from httpserver import serve, url

    if not (root / "www" / "demo").is_dir():
        build_channel(root / "www" / "demo", [*demo_packages(), *_python_packages(), *_provided_packages()])
    project = root / "project"
    (project / "overlays").mkdir(parents=True)
    (project / "envsplit.yml").write_text(
        f"version: 1\nplatforms: [linux-64, linux-aarch64]\nvariants:\n{variants}"
    )
    with serve(root / "www") as server:
        channel = f"{url(server)}/demo"
        for name, text in files.items():
            (project / name).write_text(text.replace("{channel}", channel))
        lock = [
            "-C",
            str(project),
            "lock",
            "--cache-dir",
            str(root / "cache"),
            "--pypi-index",
            str(PYPI_FOLDER),
        ]
        result = CliRunner().invoke(cli, lock)
        assert result.exit_code == 0, result.output
    return project, channel


@pytest.fixture(scope="module")
def installable(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A locked project (base + extension, python included) whose channel server is gone: installs read the
    channel folder through --mirror. Returns the project and the --mirror arguments."""
    root = tmp_path_factory.mktemp("install")
    probe = root / "probe"
    (probe / "bin").mkdir(parents=True)
    for pkg in _python_packages()[:1]:
        for path, data in pkg.files.items():
            (probe / path).parent.mkdir(parents=True, exist_ok=True)
            (probe / path).write_bytes(data)
    (probe / "bin" / "python").chmod(0o755)
    if subprocess.run([probe / "bin" / "python", "-c", "pass"], check=False).returncode != 0:
        pytest.skip("this interpreter does not run when copied into a venv layout")
    # the pip entries are locked the real way: base has jupyter-keepalive (its jupyter-server from conda),
    # ext adds jupyter-tensorboard-proxy (jupyter-server-proxy and tensorboard from conda, in the base)
    project, channel = _locked_demo(
        root,
        {
            "environment.yml": "name: demo\nchannels: [{channel}]\n"
            f"dependencies: [{BASE_DEPENDENCIES}, {{pip: [jupyter-keepalive]}}]\n",
            "overlays/extra.yml": "add: [extra]\npip:\n  add: [jupyter-tensorboard-proxy]\n",
        },
        "  base: {}\n  ext: {base: base, overlays: [extra]}\n",
    )
    locks = project / "locks"
    for platform in ("linux-64", "linux-aarch64"):
        assert _body(locks / "base" / f"pip-{platform}.txt") == KEEPALIVE
        assert _body(locks / "ext" / f"pip-{platform}.txt") == KEEPALIVE + PROXY
        assert _body(locks / "ext" / f"pip-layer-{platform}.txt") == PROXY
    return project, ["--mirror", f"{channel}={root / 'www' / 'demo'}"]


@pytest.fixture(scope="module")
def pip_variants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A locked project with rendered Dockerfiles: ``base`` pip-installs jupyter-keepalive, ``quiet`` extends
    it adding a conda package and no pip one, ``amd`` has jupyter-keepalive on x86_64 only (a marker),
    ``plain`` no pip entry."""
    project, _ = _locked_demo(
        tmp_path_factory.mktemp("render"),
        {
            "environment.yml": "name: demo\nchannels: [{channel}]\n"
            "dependencies: [python, toolkit, jupyter-server, {pip: [jupyter-keepalive]}]\n",
            "overlays/extra.yml": "add: [extra]\n",
            "overlays/amd.yml": "pip:\n  remove: [jupyter-keepalive]\n"
            "  add: [\"jupyter-keepalive; platform_machine == 'x86_64'\"]\n",
            "overlays/plain.yml": "pip:\n  remove: [jupyter-keepalive]\n",
        },
        "  base: {}\n  quiet: {base: base, overlays: [extra]}\n"
        "  amd: {overlays: [amd]}\n  plain: {overlays: [plain]}\n",
    )
    _render(project)
    return project


def _install(project: Path, *args: str) -> Any:
    return CliRunner().invoke(cli, ["-C", str(project), "install", *args], catch_exceptions=False)


def _lock_lines(project: Path, variant: str, platform: str = "linux-64") -> dict[str, str]:
    """File name -> url#md5 line of the variant's explicit lock."""
    from projectfiles import explicit_lines

    lines = explicit_lines(project / "locks" / variant / f"conda-{platform}.lock")
    return {line.partition("#")[0].rsplit("/", 1)[-1]: line for line in lines}


def _conda_meta(prefix: Path) -> dict[str, str]:
    out = {}
    for meta in (prefix / "conda-meta").glob("*.json"):
        record = json.loads(meta.read_text())
        out[record["fn"]] = f"{record['url']}#{record['md5']}"
    return out


def _dist_info(prefix: Path) -> dict[str, str]:
    """name==version of each distribution in site-packages, with its RECORD present."""
    out = {}
    for folder in prefix.glob("lib/python3*/site-packages/*.dist-info"):
        meta = (folder / "METADATA").read_text()
        name = re.search(r"^Name: (.+)$", meta, re.M).group(1)  # type: ignore[union-attr]
        version = re.search(r"^Version: (.+)$", meta, re.M).group(1)  # type: ignore[union-attr]
        assert (folder / "RECORD").is_file(), folder
        out[name.lower().replace("_", "-")] = version
    return out


def _pinned(body: str) -> dict[str, str]:
    return dict(line.split(" ")[0].split("==") for line in body.splitlines())


def _body(path: Path) -> str:
    """A pip file's requirement lines (its header left out)."""
    return "".join(line for line in path.read_text().splitlines(keepends=True) if not line.startswith("#"))


def _state(prefix: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of conda-meta and the dist-info folders: mtime and bytes."""
    files = [*(prefix / "conda-meta").glob("*"), *prefix.glob("lib/python3*/site-packages/*.dist-info/*")]
    return {str(p.relative_to(prefix)): (p.stat().st_mtime_ns, p.read_bytes()) for p in files if p.is_file()}


def test_install_base_then_again_changes_nothing(installable: tuple[Path, list[str]], tmp_path: Path) -> None:
    from httpserver import url
    from pypiserver import serve_pypi

    project, mirror = installable
    prefix = tmp_path / "env"
    cache = ["--cache-dir", str(tmp_path / "cache")]
    with serve_pypi() as pypi:
        result = _install(
            project, "base", "--prefix", str(prefix), "--pypi-index", f"{url(pypi)}/simple", *mirror, *cache
        )
        assert result.exit_code == 0, result.output
    assert "installed base (linux-64)" in result.stdout and "1 pip package(s)" in result.stdout
    # conda-meta is the lock: the same archives, under the lock's URLs and md5s (not the mirror's)
    assert _conda_meta(prefix) == _lock_lines(project, "base")
    assert _dist_info(prefix) == _pinned(KEEPALIVE)
    # the prefix's interpreter is the environment's, and it sees the pip package
    probe = subprocess.run(
        [
            prefix / "bin" / "python",
            "-c",
            "import sys, importlib.metadata as m; print(sys.prefix, m.version('jupyter-keepalive'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.split() == [str(prefix), "0.3.0"]
    before = _state(prefix)
    # no index, no channel server: a prefix that already matches needs neither
    again = _install(
        project, "base", "--prefix", str(prefix), "--pypi-index", "http://127.0.0.1:9/simple", *cache
    )
    assert again.exit_code == 0, again.output
    assert again.stdout == f"nothing to do: {prefix} already holds base (linux-64)\n"
    assert _state(prefix) == before


def test_install_extension_fresh_and_onto_its_base(
    installable: tuple[Path, list[str]], tmp_path: Path
) -> None:
    project, mirror = installable
    index = ["--pypi-index", str(PYPI_FOLDER)]  # a folder: read offline, no server
    fresh = tmp_path / "fresh"
    result = _install(project, "ext", "--prefix", str(fresh), *index, *mirror)
    assert result.exit_code == 0, result.output
    assert _conda_meta(fresh) == _lock_lines(project, "ext")
    assert _dist_info(fresh) == _pinned(KEEPALIVE + PROXY)

    layered = tmp_path / "layered"
    assert _install(project, "base", "--prefix", str(layered), *index, *mirror).exit_code == 0
    base_meta = {p.name: p.read_bytes() for p in (layered / "conda-meta").glob("*.json")}
    result = _install(project, "ext", "--prefix", str(layered), *index, *mirror)
    assert result.exit_code == 0, result.output
    assert "1 conda package(s)" in result.stdout and "1 pip package(s)" in result.stdout  # only the layer
    assert _conda_meta(layered) == _lock_lines(project, "ext")
    assert {
        k: v
        for k, v in ((p.name, p.read_bytes()) for p in (layered / "conda-meta").glob("*.json"))
        if k in base_meta
    } == base_meta
    assert _dist_info(layered) == _pinned(KEEPALIVE + PROXY)


def test_another_environment_is_refused_unless_forced(
    installable: tuple[Path, list[str]], tmp_path: Path
) -> None:
    project, mirror = installable
    index = ["--pypi-index", str(PYPI_FOLDER)]
    prefix = tmp_path / "env"
    assert _install(project, "ext", "--prefix", str(prefix), *index, *mirror).exit_code == 0
    before = _state(prefix)
    result = _install(project, "base", "--prefix", str(prefix), *index, *mirror)
    assert result.exit_code == 2
    extra = next(fn for fn in _lock_lines(project, "ext") if fn.startswith("extra-"))
    assert result.output == (
        f"error: {prefix}: holds another environment (1 package(s) not in the lock of 'base' on linux-64, "
        f"e.g. {extra}); choose an empty or new folder, or add --force to make it match\n"
    )
    assert _state(prefix) == before
    forced = _install(project, "base", "--prefix", str(prefix), "--force", *index, *mirror)
    assert forced.exit_code == 0, forced.output
    assert "1 replaced or removed" in forced.stdout
    assert _conda_meta(prefix) == _lock_lines(project, "base")


def _one_error(result: Any, message: str, prefix: Path) -> None:
    assert result.exit_code == 2, result.output
    assert result.output == f"error: {message}\n"
    assert not prefix.exists() or prefix.is_file()


def test_bad_input_is_one_line_and_writes_nothing(
    installable: tuple[Path, list[str]], tmp_path: Path
) -> None:
    project, mirror = installable
    prefix = tmp_path / "env"
    args = ["--prefix", str(prefix), *mirror]
    _one_error(
        _install(project, "nope", *args),
        f"variant 'nope': no such variant in {project / 'envsplit.yml'}; declared: base, ext",
        prefix,
    )
    _one_error(
        _install(project, "base", "--platform", "osx-64", *args),
        "variant 'base' is not locked for osx-64 (--platform is osx-64); its platforms: linux-64, linux-aarch64",
        prefix,
    )
    # another machine's platform: its conda packages could be unpacked, but its Python cannot run pip here
    if current_platform() == "linux-64":
        _one_error(
            _install(project, "base", "--platform", "linux-aarch64", *args),
            f"{project}/locks/base/pip-linux-aarch64.txt: pip packages need the environment's Python to run; "
            "install 'base' for linux-aarch64 on a linux-aarch64 machine, or choose --platform linux-64",
            prefix,
        )
    prefix.write_text("not a folder")
    _one_error(
        _install(project, "base", *args),
        f"--prefix {prefix}: is a file, not a folder; give a folder for the environment",
        prefix,
    )
    prefix.unlink()
    prefix.mkdir()
    (prefix / "notes.txt").write_text("mine")
    result = _install(project, "base", *args)
    assert result.exit_code == 2 and "holds files but no conda-meta/" in result.output
    assert sorted(p.name for p in prefix.iterdir()) == ["notes.txt"]


def test_missing_stale_or_edited_locks_are_refused(
    installable: tuple[Path, list[str]], tmp_path: Path
) -> None:
    source, mirror = installable
    project = tmp_path / "project"
    shutil.copytree(source, project)
    prefix = tmp_path / "env"
    args = ["--prefix", str(prefix), *mirror]
    pip = project / "locks" / "base" / "pip-linux-64.txt"
    written = pip.read_text()
    pip.write_text(written.replace("0.3.0", "0.2.0"))
    _one_error(
        _install(project, "base", *args),
        # `lock --check` (which install runs first) reads the pip file's seal
        f"the lock of 'base' on linux-64 is not current ({pip} was edited by hand); "
        "run 'envsplit lock --variant base' first",
        prefix,
    )
    pip.write_text(written)
    shutil.rmtree(project / "locks" / "ext")
    result = _install(project, "ext", *args)
    _one_error(
        result,
        "the lock of 'ext' on linux-64 is not current (not locked yet); run 'envsplit lock --variant ext' first",
        prefix,
    )
    env = project / "environment.yml"
    env.write_text(env.read_text().replace(BASE_DEPENDENCIES, BASE_DEPENDENCIES + ", tzlite"))
    result = _install(project, "base", *args)
    _one_error(
        result,
        "the lock of 'base' on linux-64 is not current (inputs changed since the lock was written); run 'envsplit lock --variant base' first",
        prefix,
    )


def test_an_unreachable_index_fails_in_one_line_without_its_credentials(
    installable: tuple[Path, list[str]], tmp_path: Path
) -> None:
    project, mirror = installable
    prefix = tmp_path / "env"
    result = _install(
        project,
        "base",
        "--prefix",
        str(prefix),
        "--pypi-index",
        "http://me:s3cret@127.0.0.1:9/simple",
        *mirror,
    )
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and lines[0].startswith(
        f"error: uv could not install {project}/locks/base/pip-linux-64.txt: Request failed after 3 retries"
    )
    assert "s3cret" not in result.output and "127.0.0.1:9" in result.output
    # the conda part is in place; a run with a reachable index finishes the job
    assert _conda_meta(prefix) == _lock_lines(project, "base")
    assert _install(
        project, "base", "--prefix", str(prefix), "--pypi-index", str(PYPI_FOLDER)
    ).stdout.endswith("0 conda package(s), 1 pip package(s)\n")
