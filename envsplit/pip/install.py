"""The pip half of ``envsplit install``: the pip file's pins, what a prefix already has, and the uv install.

uv rather than ``python -m pip``: it needs no pip in the environment, reads a local index folder as a
``file://`` URL without a server (so ``--pypi-index FOLDER`` works offline), and envsplit ships it for locking.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from urllib.parse import urlparse

from envsplit import fetch, generated
from envsplit.errors import EXIT_FAILED, EnvsplitError, InputError
from envsplit.inputs.yaml_lines import display_path
from envsplit.lockfile.lockdir import LockDir
from envsplit.locking.pip_step import PUBLIC_INDEX
from envsplit.models import Project
from envsplit.pip.resolve import uv_binary, uv_environment
from envsplit.redact import redact_text, redact_url


class InstallError(EnvsplitError):
    """An archive could not be fetched or an installer failed: the run could not finish (exit 1)."""

    exit_code = EXIT_FAILED


@dataclass(frozen=True)
class PipPin:
    name: str  # PEP 503 normalised
    version: str


def pip_pins(folder: LockDir, platform: str) -> list[PipPin]:
    """The pip file's ``name==version`` pins ([] without a pip file); it must be as envsplit wrote it."""
    from packaging.utils import canonicalize_name

    path = folder.pip(platform)
    if not path.exists():
        return []
    problem = generated.tampered(path)
    if problem:
        raise InputError(f"{display_path(path)}: {problem}; run 'envsplit lock --variant {folder.variant}'")
    pins = []
    for line in path.read_text(encoding="utf-8").splitlines():
        requirement = line.split(" --hash=", 1)[0].strip()
        if not requirement or requirement.startswith("#"):
            continue
        name, sep, version = requirement.partition("==")
        if not sep or not version:
            raise InputError(
                f"{display_path(path)}: {line!r} is not a 'name==version --hash=sha256:...' line; "
                f"run 'envsplit lock --variant {folder.variant}'"
            )
        pins.append(PipPin(canonicalize_name(name), version.strip()))
    return pins


def _site_packages(prefix: Path) -> list[Path]:
    return sorted(prefix.glob("lib/python3*/site-packages"))


def installed_distributions(prefix: Path) -> dict[str, str]:
    """PEP 503 name -> version of every distribution (a ``*.dist-info`` folder) in the prefix's site-packages."""
    from packaging.utils import canonicalize_name

    out: dict[str, str] = {}
    for site in _site_packages(prefix):
        for meta in site.glob("*.dist-info/METADATA"):
            headers = HeaderParser().parsestr(meta.read_text(encoding="utf-8", errors="replace"))
            if headers.get("Name") and headers.get("Version"):
                out[canonicalize_name(headers["Name"])] = headers["Version"]
    return out


def pip_missing(prefix: Path, pins: Sequence[PipPin]) -> list[PipPin]:
    if not pins:
        return []
    have = installed_distributions(prefix)
    return [p for p in pins if have.get(p.name) != p.version]


def _index_url(project: Project, index: str | None) -> str:
    """The index uv reads: a URL as given, a folder (a PEP 503 simple index) as a file:// URL."""
    chosen = index or project.pypi_index or PUBLIC_INDEX
    parsed = urlparse(chosen)
    if parsed.scheme in ("http", "https", "file"):
        return chosen
    folder = Path(chosen) if Path(chosen).is_absolute() else project.root / chosen
    if not folder.is_dir():
        raise InputError(
            f"PyPI index folder {folder} does not exist; give --pypi-index a simple-index folder or URL"
        )
    return folder.resolve().as_uri()


def install_pip(
    project: Project,
    folder: LockDir,
    platform: str,
    prefix: Path,
    count: int,
    *,
    pypi_index: str | None,
    cache_dir: Path,
    progress: bool,
    say: Callable[[str], None],
) -> None:
    """``uv pip install --no-deps --require-hashes`` of the pip file into the prefix's interpreter."""
    python = prefix / "bin" / "python"
    if not python.exists():
        raise InputError(
            f"{display_path(folder.pip(platform))}: pip packages need Python, but {python} does not "
            "exist after the conda install; add python to the variant's dependencies and run 'envsplit lock'"
        )
    index = _index_url(project, pypi_index)
    say(f"installing {count} pip package(s) from {redact_url(index)}")
    command = [
        uv_binary(),
        "pip",
        "install",
        f"--python={python}",
        "--no-deps",
        "--require-hashes",
        "--only-binary=:all:",  # the lock holds wheels; nothing is built on this machine
        f"--index-url={index}",
        "--no-config",
        "--no-python-downloads",
        "--link-mode=copy",  # the prefix must not share files with uv's cache
        f"--cache-dir={cache_dir}",
        *([] if progress else ["--quiet"]),
        "--requirements",
        str(folder.pip(platform)),
    ]
    result = subprocess.run(
        command,
        env=uv_environment(3, fetch.timeout()),
        stdout=sys.stderr if progress else subprocess.PIPE,
        stderr=None if progress else subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        said = [ln.strip().removeprefix("error: ") for ln in (result.stderr or "").splitlines()]
        detail = "; ".join(ln for ln in said if ln) or f"exit {result.returncode}"
        raise InstallError(
            f"uv could not install {display_path(folder.pip(platform))}: {redact_text(detail)}"
        )
