"""pip entries resolved per platform with uv (``uv pip compile``), with conda's Python distributions fixed.

One call resolves one variant's pip entries for one platform: the target Python is the conda lock's, the
platform a manylinux level no newer than the variant's ``__glibc``. conda-provided distributions are passed
as constraints (``name==version``) and stand in a stub index listed first (see stubs.py), so they are never
taken from PyPI and never returned. uv runs with no user config, no interpreter downloads, no source builds
and a timeout; its answer is read from the PEP 751 ``pylock.toml`` it writes (URL, size and hash per wheel).
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

from envsplit.errors import InputError
from envsplit.pip.mapping import NameVersion, Provided
from envsplit.pip.stubs import write_stub_index
from envsplit.redact import basic_auth, redact_text, strip_auth

PUBLIC_FILES = "https://files.pythonhosted.org/"
# files.pythonhosted.org's layout, which PyPI mirrors keep: packages/<2 hex>/<2 hex>/<60 hex>/<file>
_PYPI_FILE = re.compile(r"/(?P<path>packages/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{60}/[^/?#]+)$")
_ARCH = {"linux-64": "x86_64", "linux-aarch64": "aarch64"}
_OTHER_PLATFORMS = {
    "osx-64": "x86_64-apple-darwin",
    "osx-arm64": "aarch64-apple-darwin",
    "win-64": "x86_64-pc-windows-msvc",
}
# The manylinux levels uv's --python-platform names (uv 0.5 to 0.13).
_MANYLINUX = (17, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40)
_INDEX_HINT = "check the URL (--pypi-index or pypi-index: in envsplit.yml) and the network"


@dataclass(frozen=True)
class PipEntry:
    """One pip requirement as written, and the file that names it (for messages)."""

    requirement: str
    source: str = ""

    def label(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}pip entry {self.requirement!r}"


@dataclass(frozen=True)
class PipTarget:
    """What uv resolves for: a conda platform, its Python and the matching ``--python-platform``."""

    platform: str
    python_version: str
    python_platform: str


@dataclass(frozen=True)
class PipPackage:
    """One distribution to install from the index, as locked."""

    name: str  # PEP 503 normalised
    version: str
    url: str  # the public file URL (a mirror's files are mapped back to files.pythonhosted.org)
    sha256: str
    size: int | None

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]


def python_platform(platform: str, glibc: str | None) -> str:
    """``linux-64`` + ``__glibc`` 2.28 -> ``x86_64-manylinux_2_28``: the newest manylinux level the glibc runs."""
    if platform in _OTHER_PLATFORMS:
        return _OTHER_PLATFORMS[platform]
    if platform not in _ARCH:
        raise InputError(f"pip entries cannot be locked for {platform}: uv has no Python platform for it")
    match = re.match(r"2\.(\d+)", glibc or "")
    if match is None or int(match.group(1)) < _MANYLINUX[0]:
        raise InputError(
            f"pip entries on {platform} need __glibc 2.17 or newer (manylinux), got {glibc!r}; "
            "set virtual-packages: {__glibc: '2.28'} for the variant"
        )
    level = max(m for m in _MANYLINUX if m <= int(match.group(1)))
    return f"{_ARCH[platform]}-manylinux_2_{level}"


def pip_target(
    platform: str, packages: Iterable[NameVersion], glibc: str | None, source: str = ""
) -> PipTarget:
    """The target for a conda lock's ``packages``; its Python is the lock's ``python`` package."""
    versions = [p.version for p in packages if p.name == "python"]
    if not versions:
        where = f"{source}: " if source else ""
        raise InputError(
            f"{where}pip entries need Python, but the conda lock for {platform} has no python package; "
            "add python to the dependencies"
        )
    return PipTarget(platform, versions[0], python_platform(platform, glibc))


def parse_entries(entries: Sequence[PipEntry]) -> list[Requirement]:
    """Each entry as a PEP 508 requirement; a malformed one is an InputError naming it."""
    requirements = []
    for entry in entries:
        try:
            requirement = Requirement(entry.requirement)
        except InvalidRequirement as exc:
            problem = str(exc).splitlines()[0]
            raise InputError(
                f"{entry.label()} is not a valid requirement ({problem}); write it as in pip, e.g. 'name>=1.0'"
            ) from None
        if requirement.url:
            raise InputError(f"{entry.label()} is a direct URL; only index requirements can be locked")
        requirements.append(requirement)
    return requirements


def public_url(url: str) -> str:
    """A mirror's file URL as files.pythonhosted.org's when it keeps PyPI's layout; credentials never kept."""
    match = _PYPI_FILE.search(urllib.parse.urlsplit(url).path)
    return PUBLIC_FILES + match.group("path") if match else strip_auth(url)


def uv_binary() -> str:
    from uv import find_uv_bin

    return str(find_uv_bin())


def uv_environment(retries: int, timeout: float) -> dict[str, str]:
    # The user's UV_* settings (another index, a config file) must not change what the lock holds.
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env.update(
        UV_HTTP_RETRIES=str(retries),
        UV_HTTP_TIMEOUT=str(max(1, int(timeout))),
        UV_PYTHON_DOWNLOADS="never",
        NO_COLOR="1",
    )
    return env


def resolve(
    entries: Sequence[PipEntry],
    provided: Mapping[str, Provided],
    target: PipTarget,
    index_url: str,
    *,
    cache_dir: Path | None = None,
    timeout: float = 300.0,
    retries: int = 3,
) -> tuple[PipPackage, ...]:
    """The distributions to install from ``index_url`` for ``entries``, sorted by name, hashes included.

    Nothing conda provides is returned. Errors (InputError, one line): a malformed entry, a name the index
    does not have (with the closest name it has), an entry that needs another version of a conda-provided
    distribution (naming both), an index that cannot be reached (credentials redacted), uv timing out.
    """
    requirements = parse_entries(entries)
    if not requirements:
        return ()
    with tempfile.TemporaryDirectory(prefix="envsplit-uv-") as tmp:
        work = Path(tmp)
        stubs = write_stub_index(work / "stubs", provided.values())
        (work / "requirements.in").write_text("".join(f"{r}\n" for r in requirements))
        (work / "constraints.txt").write_text(
            "".join(
                f"{d.pypi_name}=={d.version}\n" for d in sorted(provided.values(), key=lambda d: d.pypi_name)
            )
        )
        command = [
            uv_binary(),
            "pip",
            "compile",
            "requirements.in",
            "--constraint=constraints.txt",
            "--output-file=pylock.toml",
            "--format=pylock.toml",
            f"--python-version={target.python_version}",
            f"--python-platform={target.python_platform}",
            f"--index={stubs.as_uri()}",
            f"--default-index={index_url}",
            "--index-strategy=first-index",
            "--only-binary=:all:",
            "--generate-hashes",
            "--no-header",
            "--no-config",
            "--no-python-downloads",
            # Nothing is built, so any interpreter does; naming ours spares uv a 1 s search of the machine.
            f"--python={sys.executable}",
            "--no-progress",
            "--color=never",
            *([f"--cache-dir={cache_dir}"] if cache_dir else ["--no-cache"]),
        ]
        try:
            result = subprocess.run(
                command,
                cwd=work,
                env=uv_environment(retries, timeout),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise InputError(
                f"uv did not resolve the pip entries for {target.platform} within {timeout:g} s from the "
                f"PyPI index {redact_text(index_url)}; {_INDEX_HINT}"
            ) from None
        if result.returncode != 0:
            raise _failure(result.stderr, entries, requirements, provided, target, index_url)
        lock = tomllib.loads((work / "pylock.toml").read_text())
    return _packages(lock, provided, target)


def _tag_order(target: PipTarget) -> list[Tag]:
    """The wheel tags the target Python accepts, best first, as pip ranks them (empty: keep uv's order)."""
    match = re.fullmatch(r"(?P<arch>\w+)-manylinux_2_(?P<level>\d+)", target.python_platform)
    if match is None:
        return []
    arch, level = match.group("arch"), int(match.group("level"))
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    platforms = []
    for minor in range(level, 4, -1):
        platforms.append(f"manylinux_2_{minor}_{arch}")
        if minor in legacy:
            platforms.append(f"{legacy[minor]}_{arch}")
    python = tuple(int(part) for part in target.python_version.split(".")[:2])
    return [*cpython_tags(python, platforms=platforms), *compatible_tags(python, platforms=platforms)]


def _best_wheel(wheels: Sequence[Mapping[str, Any]], order: Sequence[Tag]) -> Mapping[str, Any]:
    """The wheel an installer picks among those uv lists as compatible (a pure and an abi3 one, say)."""
    if len(wheels) == 1 or not order:
        return wheels[0]
    rank = {tag: position for position, tag in enumerate(order)}

    def best(wheel: Mapping[str, Any]) -> int:
        tags = parse_wheel_filename(str(wheel["url"]).rsplit("/", 1)[-1])[3]
        return min((rank[t] for t in tags if t in rank), default=len(rank))

    return min(wheels, key=best)


def _packages(
    lock: Mapping[str, Any], provided: Mapping[str, Provided], target: PipTarget
) -> tuple[PipPackage, ...]:
    order = _tag_order(target)
    packages = []
    for package in lock.get("packages", []):
        name = canonicalize_name(package["name"])
        if name in provided:
            continue
        wheel = _best_wheel(package["wheels"], order)  # binaries only, so there is always one
        packages.append(
            PipPackage(
                name,
                package["version"],
                public_url(wheel["url"]),
                wheel["hashes"]["sha256"],
                wheel.get("size"),
            )
        )
    return tuple(sorted(packages, key=lambda p: p.name))


def _causes(stderr: str) -> str:
    """uv's explanation without its hints (which name the stub index's temporary path)."""
    text = redact_text(stderr).split("\nhint:", 1)[0]
    lines = [line.strip() for line in text.splitlines() if not line.startswith("warning:")]
    text = " ".join(line.removeprefix("error: ").removeprefix("cause: ") for line in lines if line)
    return text.removeprefix("No solution found when resolving dependencies ")


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", text.lower()) is not None


def _failure(
    stderr: str,
    entries: Sequence[PipEntry],
    requirements: Sequence[Requirement],
    provided: Mapping[str, Provided],
    target: PipTarget,
    index_url: str,
) -> InputError:
    causes = _causes(stderr)
    index = redact_text(index_url)
    if "Failed to fetch" in causes or "error sending request" in causes:
        reason = [line for line in redact_text(stderr).splitlines() if line.strip()][-1].strip()
        return InputError(
            f"cannot reach the PyPI index {index}: {reason.removeprefix('cause: ')}; {_INDEX_HINT}"
        )
    for entry, requirement in zip(entries, requirements, strict=True):
        name = canonicalize_name(requirement.name)
        if f"{name} was not found in the package registry" in causes:
            match = _close_match(name, index_url, provided)
            advice = f"did you mean {match!r}?" if match else "check the name on the index"
            return InputError(f"{entry.label()}: no project {name!r} on the PyPI index {index}; {advice}")
    conda = sorted((d for n, d in provided.items() if _mentions(causes, n)), key=lambda d: d.pypi_name)
    culprits = [
        e for e, r in zip(entries, requirements, strict=True) if _mentions(causes, canonicalize_name(r.name))
    ]
    if conda and culprits:
        labels = ", ".join(e.label() for e in culprits)
        ours = ", ".join(
            f"{d.conda_name} {d.version}" + (f" (PyPI {d.pypi_name})" if d.pypi_name != d.conda_name else "")
            for d in conda
        )
        return InputError(
            f"{labels} conflicts with conda's {ours} on {target.platform}; conda's version wins, so change the "
            f"pip entry or the conda spec (uv: {causes})"
        )
    return InputError(f"cannot resolve the pip entries on {target.platform}: {causes}")


def _close_match(name: str, index_url: str, provided: Mapping[str, Provided]) -> str | None:
    """The index's (or conda's) project name closest to ``name``, from the index's project list."""
    return next(
        iter(difflib.get_close_matches(name, [*_project_names(index_url), *provided], n=1, cutoff=0.75)), None
    )


def _project_names(index_url: str) -> list[str]:
    """The index's project list (PEP 691 JSON, else PEP 503 HTML); empty when it cannot be read."""
    bare, auth = basic_auth(index_url.rstrip("/") + "/")
    headers = {"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1", **auth}
    request = urllib.request.Request(bare, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read().decode("utf-8", "replace")
            if "json" in response.headers.get("Content-Type", ""):
                return [canonicalize_name(p["name"]) for p in json.loads(body)["projects"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [canonicalize_name(n) for n in re.findall(r"<a [^>]*>([^<]+)</a>", body)]
