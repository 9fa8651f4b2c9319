"""Regenerate the offline PyPI snapshot in this folder from pypi.org (needs network; the tests never do).

    python tests/data/pypi/build_snapshot.py                 # fetch, then write snapshot.json, simple/, packages/
    python tests/data/pypi/build_snapshot.py --render-only   # rewrite simple/ from snapshot.json, no network

What it takes: the rocker example's pip entries (ROOTS) and, following their ``Requires-Dist`` for CPython 3.12
on Linux x86_64 and aarch64, every project they need that the committed conda locks (locks/*/conda-lock.yml) do
not provide on every variant and platform. A conda name counts as providing the PyPI project of the same name
after PEP 503 normalisation (jupyter_server -> jupyter-server), which is how the rocker stack's names match.

Per project it keeps the newest VERSIONS releases that have a wheel for CPython 3.12 on manylinux x86_64 or
aarch64 (or a pure-Python one). Per release it lists the sdist and those wheels only (a real PyPI page also lists
Windows, macOS and other Pythons' wheels; the tests cannot pick them). Each wheel is downloaded once into a cache
outside the repository, its sha256 and size checked against the index, and its ``*.dist-info/METADATA`` stored
next to where the wheel would be, as ``<wheel>.metadata`` (PEP 658): uv then resolves without downloading wheels.
The wheels themselves are committed only for KEEP_WHEELS (small, pure Python), for install tests.

Layout, mirroring pypi.org and files.pythonhosted.org (relative links, so a loopback server serves both):
    simple/index.html, simple/index.json               the project list (PEP 503 HTML, PEP 691 JSON)
    simple/<project>/index.html, simple/<project>/index.json
    packages/<aa>/<bb>/<rest>/<file>[.metadata]        as on files.pythonhosted.org
    snapshot.json                                      everything the pages are rendered from
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import re
import sys
import urllib.request
import zipfile
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
PYPI = "https://pypi.org"
FILES = "https://files.pythonhosted.org/"
# The rocker example's pip entries: environment.yml (jupyter-*) and overlays/spatial.yml (pcodec).
ROOTS = ("jupyter-keepalive", "jupyter-tensorboard-proxy", "pcodec")
VERSIONS = 2
KEEP_WHEELS = ("jupyter_keepalive-0.3.0-py3-none-any.whl", "jupyter_tensorboard_proxy-0.1.1-py3-none-any.whl")
PYTHON = "3.12.12"
MACHINES = ("x86_64", "aarch64")
JSON_TYPE = "application/vnd.pypi.simple.v1+json"


def _get(url: str, accept: str | None = None) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=120) as response:
        return bytes(response.read())


def conda_provided_everywhere() -> set[str]:
    """PEP 503 names of conda packages present in every committed lock (every variant and platform)."""
    import yaml

    per_lock: dict[tuple[str, str], set[str]] = {}
    for path in sorted((REPO / "locks").glob("*/conda-lock.yml")):
        for package in yaml.safe_load(path.read_text())["package"]:
            per_lock.setdefault((path.parent.name, package["platform"]), set()).add(
                canonicalize_name(package["name"])
            )
    return set.intersection(*per_lock.values())


def wheel_fits(filename: str) -> bool:
    """A wheel CPython 3.12 on manylinux x86_64/aarch64 could install."""
    _, _, _, tags = parse_wheel_filename(filename)
    for tag in tags:
        stable = re.fullmatch(r"cp3(\d+)", tag.interpreter)
        python_ok = tag.interpreter in ("py3", "cp312") or (
            tag.abi == "abi3" and stable is not None and int(stable.group(1)) <= 12
        )
        abi_ok = tag.abi in ("none", "abi3", "cp312")
        platform_ok = tag.platform == "any" or (
            tag.platform.startswith("manylinux") and tag.platform.endswith(MACHINES)
        )
        if python_ok and abi_ok and platform_ok:
            return True
    return False


def file_version(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except Exception:  # eggs, .exe installers, names PyPI accepted long ago: not for these tests
        return None


def pick_files(page: dict) -> list[dict]:
    """The files of the newest VERSIONS releases with a fitting wheel: their fitting wheels and their sdists."""
    by_version: dict[Version, list[dict]] = {}
    for file in page["files"]:
        version = file_version(file["filename"])
        if version is None or version.is_prerelease or file.get("yanked"):
            continue
        by_version.setdefault(version, []).append(file)
    chosen: list[dict] = []
    kept = 0
    for version in sorted(by_version, reverse=True):
        wheels = [
            f for f in by_version[version] if f["filename"].endswith(".whl") and wheel_fits(f["filename"])
        ]
        if not wheels:
            continue
        sdists = [f for f in by_version[version] if not f["filename"].endswith(".whl")]
        chosen.extend(sorted(wheels + sdists, key=lambda f: f["filename"]))
        kept += 1
        if kept == VERSIONS:
            break
    return chosen


def local_path(url: str) -> str:
    if not url.startswith(FILES + "packages/"):
        raise SystemExit(f"unexpected file URL {url}")
    return url[len(FILES) :]


def fetch_metadata(file: dict, cache: Path) -> bytes:
    """The wheel's METADATA, read from the wheel (downloaded into ``cache`` once, hash and size checked)."""
    cached = cache / file["filename"]
    if not cached.is_file():
        print(f"  downloading {file['filename']} ({file['size']} bytes)", file=sys.stderr)
        cached.write_bytes(_get(file["url"]))
    data = cached.read_bytes()
    if hashlib.sha256(data).hexdigest() != file["hashes"]["sha256"] or len(data) != file["size"]:
        cached.unlink()
        raise SystemExit(f"{file['filename']}: sha256 or size differs from the index")
    with zipfile.ZipFile(cached) as archive:
        names = [n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)]
        if len(names) != 1:
            raise SystemExit(f"{file['filename']}: {len(names)} METADATA files")
        return archive.read(names[0])


def requirements(metadata: bytes) -> set[str]:
    """PEP 503 names of what the metadata requires for CPython 3.12 on Linux x86_64 or aarch64, no extras."""
    names: set[str] = set()
    text = metadata.decode()
    for line in re.findall(r"^Requires-Dist: (.+)$", text, flags=re.MULTILINE):
        requirement = Requirement(line.strip())
        for machine in MACHINES:
            environment = {
                "python_version": PYTHON.rsplit(".", 1)[0],
                "python_full_version": PYTHON,
                "platform_machine": machine,
                "platform_system": "Linux",
                "sys_platform": "linux",
                "os_name": "posix",
                "implementation_name": "cpython",
                "platform_python_implementation": "CPython",
                "extra": "",
            }
            marker: Marker | None = requirement.marker
            if marker is None or marker.evaluate(environment):
                names.add(canonicalize_name(requirement.name))
    return names


def fetch(cache: Path) -> dict:
    provided = conda_provided_everywhere()
    queue = [canonicalize_name(name) for name in ROOTS]
    projects: dict[str, list[dict]] = {}
    while queue:
        name = queue.pop(0)
        if name in projects:
            continue
        print(f"{name}", file=sys.stderr)
        page = json.loads(_get(f"{PYPI}/simple/{name}/", accept=JSON_TYPE))
        files = pick_files(page)
        if not files:
            raise SystemExit(f"{name}: no release with a wheel for CPython 3.12 on Linux")
        entries = []
        for file in files:
            entry = {
                "filename": file["filename"],
                "path": local_path(file["url"]),
                "sha256": file["hashes"]["sha256"],
                "size": file["size"],
                "requires-python": file.get("requires-python"),
                "upload-time": file.get("upload-time"),
            }
            if file["filename"].endswith(".whl"):
                metadata = fetch_metadata(file, cache)
                target = HERE / (entry["path"] + ".metadata")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(metadata)
                entry["core-metadata-sha256"] = hashlib.sha256(metadata).hexdigest()
                for dep in sorted(requirements(metadata) - provided):
                    if dep not in projects and dep not in queue:
                        queue.append(dep)
                if file["filename"] in KEEP_WHEELS:
                    (HERE / entry["path"]).write_bytes((cache / file["filename"]).read_bytes())
            entries.append(entry)
        projects[name] = entries
    return {"source": f"{PYPI}/simple/", "python": PYTHON, "machines": list(MACHINES), "projects": projects}


def _rel(project_depth_path: str) -> str:
    return "../../" + project_depth_path


def render(snapshot: dict, root: Path = HERE) -> None:
    """``root``/simple/ from snapshot.json: PEP 503 HTML with PEP 658/714 attributes and the PEP 691 JSON twin."""
    simple = root / "simple"
    names = sorted(snapshot["projects"])
    root_html = ["<!DOCTYPE html>", "<html>", "<head><title>Simple index</title></head>", "<body>"]
    root_html += [f'<a href="{n}/">{n}</a><br/>' for n in names]
    root_html += ["</body>", "</html>", ""]
    simple.mkdir(exist_ok=True)
    (simple / "index.html").write_text("\n".join(root_html))
    root_json = {"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]}
    (simple / "index.json").write_text(json.dumps(root_json, indent=1, sort_keys=True) + "\n")
    for name in names:
        files = snapshot["projects"][name]
        page_html = ["<!DOCTYPE html>", "<html>", f"<head><title>Links for {name}</title></head>", "<body>"]
        page_html.append(f"<h1>Links for {name}</h1>")
        json_files = []
        for file in files:
            href = f"{_rel(file['path'])}#sha256={file['sha256']}"
            attributes = ""
            if file["requires-python"]:
                attributes += f' data-requires-python="{html.escape(file["requires-python"])}"'
            json_file: dict = {
                "filename": file["filename"],
                "url": _rel(file["path"]),
                "hashes": {"sha256": file["sha256"]},
                "requires-python": file["requires-python"],
                "size": file["size"],
                "upload-time": file["upload-time"],
                "yanked": False,
            }
            if "core-metadata-sha256" in file:
                digest = f"sha256={file['core-metadata-sha256']}"
                attributes += f' data-core-metadata="{digest}" data-dist-info-metadata="{digest}"'
                json_file["core-metadata"] = {"sha256": file["core-metadata-sha256"]}
                json_file["data-dist-info-metadata"] = {"sha256": file["core-metadata-sha256"]}
            page_html.append(f'<a href="{html.escape(href)}"{attributes}>{file["filename"]}</a><br/>')
            json_files.append(json_file)
        page_html += ["</body>", "</html>", ""]
        versions = sorted({str(file_version(f["filename"])) for f in files}, key=Version)
        page_json = {"meta": {"api-version": "1.1"}, "name": name, "files": json_files, "versions": versions}
        (simple / name).mkdir(exist_ok=True)
        (simple / name / "index.html").write_text("\n".join(page_html))
        (simple / name / "index.json").write_text(json.dumps(page_json, indent=1, sort_keys=True) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--render-only", action="store_true", help="rewrite simple/ from snapshot.json")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "envsplit-pypi-snapshot")
    args = parser.parse_args()
    if args.render_only:
        snapshot = json.loads((HERE / "snapshot.json").read_text())
    else:
        args.cache.mkdir(parents=True, exist_ok=True)
        snapshot = fetch(args.cache)
        (HERE / "snapshot.json").write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")
    render(snapshot)
    counts = {n: len(f) for n, f in snapshot["projects"].items()}
    print(f"{len(counts)} projects, {sum(counts.values())} files", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
