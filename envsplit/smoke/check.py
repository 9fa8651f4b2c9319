"""Smoke test of a built image: its conda environment is exactly the lock, its pip packages are there, the
requested Python packages import, and a CPU image holds no CUDA build.

Runs inside the image with the environment's own python and the standard library only (envsplit renders
a copy of this file next to the Dockerfiles), and is imported by envsplit's test suite. Exit status 0 when
everything holds, 1 with one ``FAIL:`` line per problem naming the package otherwise, 2 on bad arguments.

    python smoke_check.py --prefix /opt/conda --explicit conda-linux-64.lock [--pip pip-linux-64.txt]
        [--requested "numpy pytorch"] [--cpu]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import subprocess
import sys
from typing import Any

# What an image built FROM a conda image already held (see envsplit/render/base_image.py).
IMAGE_PACKAGES = "conda-meta/envsplit-image-packages.txt"
# conda name -> module, where the module is not named like the package and the files cannot tell.
IMPORT_NAMES = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "pytorch-gpu": "torch",
    "scikit-learn": "sklearn",
    "scikit-image": "skimage",
    "pyyaml": "yaml",
    "pillow": "PIL",
    "beautifulsoup4": "bs4",
    "python-dateutil": "dateutil",
    "opencv": "cv2",
    "py-opencv": "cv2",
    "msgpack-python": "msgpack",
    "pytables": "tables",
    "protobuf": "google.protobuf",
    "gdal": "osgeo",
    "libgdal": None,  # a C library; its Python bindings come with 'gdal'
}
# Packages with no module to import, and why (the interpreter itself, pip's installer, ...).
NOT_IMPORTABLE = {"python": "the interpreter itself", "pip": None}
_CUDA_NAMES = re.compile(
    r"^(cuda-|cudatoolkit$|cudnn$|nccl$|libcublas|libcufft|libcurand|libcusolver|libcusparse)"
)


def _norm(name: str) -> str:
    """PEP 503 normalisation, and the underscore form dist-info folders use."""
    return re.sub(r"[-_.]+", "_", name).lower()


def read_explicit(path: str) -> dict[str, tuple[str, str]]:
    """name -> (version, build) of each archive URL in an explicit lockfile."""
    out: dict[str, tuple[str, str]] = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if not line or line.startswith("@"):
                continue
            stem = line.rsplit("/", 1)[-1]
            stem = stem[: -len(".tar.bz2")] if stem.endswith(".tar.bz2") else stem.rsplit(".", 1)[0]
            name, version, build = stem.rsplit("-", 2)
            out[name] = (version, build)
    return out


def read_installed(prefix: str) -> dict[str, dict]:
    """name -> conda-meta record of every package installed in ``prefix``."""
    out = {}
    for path in sorted(glob.glob(os.path.join(prefix, "conda-meta", "*.json"))):
        with open(path, encoding="utf-8") as handle:
            record = json.load(handle)
        out[record["name"]] = record
    return out


def image_packages(prefix: str) -> set[str]:
    """The names of the packages the FROM image brought (listed before the lock was installed)."""
    try:
        with open(os.path.join(prefix, IMAGE_PACKAGES), encoding="utf-8") as handle:
            return {line.strip()[: -len(".json")].rsplit("-", 2)[0] for line in handle if line.strip()}
    except FileNotFoundError:
        return set()


def check_conda(prefix: str, locked: dict[str, tuple[str, str]], installed: dict[str, dict]) -> list[str]:
    """Problems: a locked package missing or installed at another version or build, an unlocked one present."""
    problems = []
    for name, (version, build) in sorted(locked.items()):
        record = installed.get(name)
        if record is None:
            problems.append(f"{name}: locked {version} {build}, not installed")
        elif (record["version"], record["build"]) != (version, build):
            problems.append(
                f"{name}: locked {version} {build}, installed {record['version']} {record['build']}"
            )
    allowed = image_packages(prefix)
    for name in sorted(set(installed) - set(locked) - allowed):
        problems.append(
            f"{name}: installed ({installed[name]['version']} {installed[name]['build']}), not in the lock"
        )
    return problems


def read_pip(path: str | None) -> dict[str, str]:
    """name -> version of each ``name==version`` line of a pip lock file (missing file: none)."""
    if not path or not os.path.exists(path):
        return {}
    out = {}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            match = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
            if match:
                out[match.group(1)] = match.group(2)
    return out


def site_packages(prefix: str) -> list[str]:
    return sorted(glob.glob(os.path.join(prefix, "lib", "python*", "site-packages")))


def installed_dists(prefix: str) -> dict[str, tuple[str, str]]:
    """normalised name -> (version, dist-info folder) of every distribution in the prefix's site-packages."""
    out = {}
    for folder in site_packages(prefix):
        for info in sorted(glob.glob(os.path.join(folder, "*.dist-info"))):
            name, _, version = os.path.basename(info)[: -len(".dist-info")].partition("-")
            out[_norm(name)] = (version, info)
    return out


def check_pip(prefix: str, pinned: dict[str, str]) -> list[str]:
    dists = installed_dists(prefix)
    problems = []
    for name, version in sorted(pinned.items()):
        found = dists.get(_norm(name))
        if found is None:
            problems.append(f"{name}: pip lock has {version}, not installed")
        elif found[0] != version:
            problems.append(f"{name}: pip lock has {version}, installed {found[0]}")
    return problems


def check_cpu(installed: dict[str, dict]) -> list[str]:
    """A CPU image (the variant declares no __cuda) holds no CUDA build and no CUDA runtime package."""
    return [
        f"{name}: CUDA build {record['build']} in a CPU image"
        if "cuda" in record["build"].lower()
        else f"{name}: CUDA runtime package in a CPU image"
        for name, record in sorted(installed.items())
        if "cuda" in record["build"].lower() or _CUDA_NAMES.match(name)
    ]


def _top_level(paths: list[str]) -> list[str]:
    """Importable top-level modules among ``paths`` (prefix-relative files of one package)."""
    found = set()
    for path in paths:
        match = re.match(
            r"lib/python[^/]*/site-packages/([^/]+)(/__init__\.py|\.py|/.*\.so|\.[^/]*\.so)?$", path
        )
        if match and match.group(2):
            module = match.group(1).split(".", 1)[0]
            if module.isidentifier() and not module.startswith("_"):
                found.add(module)
    return sorted(found)


def import_plan(
    requested: list[str], installed: dict[str, dict], pip_dists: dict[str, tuple[str, str]]
) -> tuple[dict[str, str], dict[str, str]]:
    """(package -> module to import, package -> why it is skipped) for each requested package."""
    plan: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for name in requested:
        if NOT_IMPORTABLE.get(name):
            skipped[name] = str(NOT_IMPORTABLE[name])
            continue
        if IMPORT_NAMES.get(name):
            plan[name] = str(IMPORT_NAMES[name])
            continue
        if name in IMPORT_NAMES:
            skipped[name] = "a library without Python bindings of its own"
            continue
        record = installed.get(name)
        if record is not None:
            modules = _top_level(record.get("files", []))
        elif _norm(name) in pip_dists:
            modules = _dist_modules(pip_dists[_norm(name)][1])
        else:
            skipped[name] = "not installed (reported above)"
            continue
        if _norm(name) in modules or name.replace("-", "_") in modules:
            plan[name] = _norm(name) if _norm(name) in modules else name.replace("-", "_")
        elif len(modules) == 1:
            plan[name] = modules[0]
        elif not modules:
            skipped[name] = "installs no Python module (a command-line tool, a library or a metapackage)"
        else:
            skipped[name] = f"several modules ({', '.join(modules)}), none named like the package"
    return plan, skipped


def _dist_modules(info: str) -> list[str]:
    """Top-level modules of a pip-installed distribution, from its RECORD."""
    try:
        with open(os.path.join(info, "RECORD"), encoding="utf-8") as handle:
            paths = ["lib/python/site-packages/" + line.split(",", 1)[0] for line in handle]
    except FileNotFoundError:
        return []
    return _top_level(paths)


def check_imports(plan: dict[str, str], python: str) -> list[str]:
    """Import each module in a fresh interpreter (a crash in one must not end the check)."""
    problems = []
    for name, module in sorted(plan.items()):
        proc = subprocess.run(
            [python, "-c", "import importlib, sys; importlib.import_module(sys.argv[1])", module],
            capture_output=True,
            text=True,
            cwd="/",
            check=False,
        )
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
            problems.append(f"{name}: 'import {module}' failed: {last}")
    return problems


def run(
    prefix: str,
    explicit: str,
    pip: str | None = None,
    requested: list[str] | None = None,
    cpu: bool = False,
    python: str | None = None,
    out: Any = sys.stdout,
) -> int:
    """Check the environment at ``prefix``; print the report; 0 when it holds, 1 with problems."""
    locked = read_explicit(explicit)
    installed = read_installed(prefix)
    problems = check_conda(prefix, locked, installed)
    pinned = read_pip(pip)
    problems += check_pip(prefix, pinned)
    if cpu:
        problems += check_cpu(installed)
    plan, skipped = import_plan(requested or [], installed, installed_dists(prefix))
    problems += check_imports(plan, python or sys.executable)
    for name, why in sorted(skipped.items()):
        print(f"skip import: {name}: {why}", file=out)
    for problem in problems:
        print(f"FAIL: {problem}", file=out)
    verdict = "FAILED" if problems else "ok"
    print(
        f"smoke test {verdict}: {len(locked)} conda packages, {len(pinned)} pip packages, {len(plan)} imports"
        + (", no CUDA" if cpu else "")
        + (f", {len(problems)} problem(s)" if problems else ""),
        file=out,
    )
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--explicit", required=True, help="the explicit lockfile of this platform")
    parser.add_argument("--pip", help="the pip lock file of this platform (may be missing)")
    parser.add_argument("--requested", default="", help="space-separated requested package names")
    parser.add_argument("--cpu", action="store_true", help="the image must hold no CUDA build")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.explicit):
        print(f"error: {args.explicit}: no such lockfile", file=sys.stderr)
        return 2
    return run(args.prefix, args.explicit, args.pip, args.requested.split(), args.cpu)


if __name__ == "__main__":
    sys.exit(main())
