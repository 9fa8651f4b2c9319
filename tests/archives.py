"""Build a small conda channel of real ``.conda`` archives for tests that install or read package contents.

The bundled snapshot in tests/data/channels has repodata only; tests that install an explicit lockfile or read
``info/paths.json`` need archives that exist. This writes them with conda-package-streaming's ``conda_builder``
(the zip container, the ``info-``/``pkg-`` split and the zstd compression), fills ``info/`` ourselves, and
indexes the folder with rattler's ``index_fs`` so every subdir has a repodata.json with md5, sha256 and size.

Archives are byte-stable: same definitions, same bytes, so md5s in lockfiles built from them do not churn.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import random
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

SUBDIRS = ("linux-64", "linux-aarch64", "noarch")
_ARCH = {"linux-64": "x86_64", "linux-aarch64": "aarch64"}
# 2026-01-29 in ms, the snapshot's reference date; a fixed value keeps archives and repodata byte-stable.
TIMESTAMP_MS = 1_769_644_800_000
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class PackageDef:
    """One package archive: its identity, its dependencies and the files it installs (path -> bytes)."""

    name: str
    version: str
    build: str = "0"
    subdir: str = "noarch"
    depends: tuple[str, ...] = ()
    constrains: tuple[str, ...] = ()
    files: Mapping[str, bytes] = field(default_factory=dict)
    build_number: int = 0
    license: str = "BSD-3-Clause"

    def __post_init__(self) -> None:
        if self.subdir not in SUBDIRS:
            raise ValueError(f"{self.name}: subdir {self.subdir!r} is not one of {', '.join(SUBDIRS)}")
        for path in self.files:
            if path.startswith(("/", "info/")) or ".." in path.split("/"):
                raise ValueError(f"{self.name}: file {path!r} must be relative and outside info/")

    @property
    def stem(self) -> str:
        return f"{self.name}-{self.version}-{self.build}"

    @property
    def file_name(self) -> str:
        return f"{self.stem}.conda"

    @property
    def installed_size(self) -> int:
        """Bytes the package occupies once installed: the sum of its files, as paths.json declares."""
        return sum(len(data) for data in self.files.values())

    def index_json(self) -> dict[str, object]:
        index: dict[str, object] = {
            "arch": _ARCH.get(self.subdir),
            "build": self.build,
            "build_number": self.build_number,
            "constrains": list(self.constrains),
            "depends": list(self.depends),
            "license": self.license,
            "name": self.name,
            "platform": "linux" if self.subdir != "noarch" else None,
            "subdir": self.subdir,
            "timestamp": TIMESTAMP_MS,
            "version": self.version,
        }
        if self.subdir == "noarch":
            # generic, not python: a python noarch package would be relinked into site-packages.
            index["noarch"] = "generic"
        return index

    def paths_json(self) -> dict[str, object]:
        return {
            "paths": [
                {
                    "_path": path,
                    "path_type": "hardlink",
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "size_in_bytes": len(data),
                }
                for path, data in sorted(self.files.items())
            ],
            "paths_version": 1,
        }


def noise(size: int, seed: str) -> bytes:
    """Incompressible but reproducible bytes, so an archive's download size is close to its installed size."""
    return random.Random(seed).randbytes(size)


def write_archive(pkg: PackageDef, folder: Path) -> Path:
    """Write ``folder/<name>-<version>-<build>.conda`` and return its path."""
    from conda_package_streaming.create import conda_builder

    info = {
        "info/index.json": _json(pkg.index_json()),
        "info/paths.json": _json(pkg.paths_json()),
        "info/files": "".join(f"{path}\n" for path in sorted(pkg.files)).encode(),
    }
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / pkg.file_name
    target.unlink(missing_ok=True)  # conda_builder refuses to overwrite
    with conda_builder(pkg.stem, folder, compression_level=3) as tar:
        for path, data in sorted({**info, **pkg.files}.items()):
            tar.addfile(_tarinfo(path, len(data)), io.BytesIO(data))
    _pin_zip_dates(target)
    return target


def build_channel(root: Path, packages: Sequence[PackageDef], subdirs: Sequence[str] = SUBDIRS) -> Path:
    """Write every package under ``root/<subdir>/`` and index the folder; returns ``root``.

    Every subdir in ``subdirs`` gets a repodata.json, empty or not: rattler's Gateway requires ``noarch``,
    and a solve for a platform reads that platform's subdir too.
    """
    from rattler.index import index_fs

    seen: set[tuple[str, str]] = set()
    for pkg in packages:
        key = (pkg.subdir, pkg.file_name)
        if key in seen:
            raise ValueError(f"{pkg.subdir}/{pkg.file_name} is defined twice")
        seen.add(key)
    for subdir in {*subdirs, "noarch", *(p.subdir for p in packages)}:
        (root / subdir).mkdir(parents=True, exist_ok=True)
    for pkg in packages:
        write_archive(pkg, root / pkg.subdir)
    asyncio.run(index_fs(root, write_zst=False, write_shards=False, force=True))
    scratch = root / ".tmp"  # index_fs leaves its empty work folder behind
    if scratch.is_dir() and not any(scratch.iterdir()):
        scratch.rmdir()
    return root


def demo_packages() -> list[PackageDef]:
    """A small dependency graph on linux-64, linux-aarch64 and noarch, shaped like a base image and its extension.

    * ``pylite`` (interpreter-like, per platform) needs ``libcore``; it carries 256 KiB of incompressible data
      so that reading only ``info/`` of its archive is a small fraction of the download.
    * ``libcore`` (per platform) has two versions, so a solve has a choice; it needs ``__glibc``.
    * ``toolkit`` (noarch) needs ``libcore`` and ``pylite``.
    * ``extra`` (per platform) needs ``toolkit``: what an extension variant adds on top of a base.
    * ``cudalite`` (linux-64 only) needs ``__cuda``: solvable only where the variant declares CUDA.
    * ``tzlite`` (noarch) has no dependencies.
    """
    out: list[PackageDef] = []
    for subdir, tag in (("linux-64", "h1a2b3c4"), ("linux-aarch64", "h5d6e7f8")):
        arch = _ARCH[subdir]
        out += [
            PackageDef(
                "libcore",
                "1.1.0",
                f"{tag}_0",
                subdir,
                depends=("__glibc >=2.17",),
                files={"lib/libcore.so.1": f"libcore 1.1.0 {arch}\n".encode() * 16},
            ),
            PackageDef(
                "libcore",
                "1.2.0",
                f"{tag}_0",
                subdir,
                depends=("__glibc >=2.17",),
                files={
                    "lib/libcore.so.1": f"libcore 1.2.0 {arch}\n".encode() * 32,
                    "include/core.h": b"int core_version(void);\n",
                },
            ),
            PackageDef(
                "pylite",
                "3.12.1",
                f"{tag}_0_cpython",
                subdir,
                depends=("libcore >=1.2", "tzlite"),
                files={
                    "bin/pylite": b"#!/bin/sh\necho pylite 3.12.1\n",
                    "lib/pylite3.12/os.py": b"sep = '/'\n",
                    "lib/libpylite3.12.so": noise(256 * 1024, f"pylite-{subdir}"),
                },
            ),
            PackageDef(
                "extra",
                "2.0.0",
                f"{tag}_1",
                subdir,
                build_number=1,
                depends=("toolkit >=0.5", "libcore >=1.2,<2"),
                files={"share/extra/data.bin": noise(4096, f"extra-{subdir}")},
            ),
        ]
    out += [
        PackageDef(
            "cudalite",
            "12.9.0",
            "h9a8b7c6_0",
            "linux-64",
            depends=("__cuda >=12", "libcore >=1.2"),
            files={"lib/libcudalite.so.12": b"cudalite\n" * 64},
        ),
        PackageDef(
            "toolkit",
            "0.5.0",
            "h4616a5c_0",
            "noarch",
            depends=("libcore >=1.1", "pylite >=3.12,<3.13"),
            files={
                "share/toolkit/README.md": b"# toolkit\n",
                "etc/toolkit.conf": b"level = 3\n",
            },
        ),
        PackageDef(
            "tzlite",
            "2026a",
            "h0_0",
            "noarch",
            files={"share/zoneinfo/UTC": b"TZif2 UTC\n"},
        ),
    ]
    return out


def _json(data: object) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()


def _tarinfo(path: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(path)
    info.size = size
    info.mode = 0o755 if path.startswith("bin/") else 0o644
    info.mtime = TIMESTAMP_MS // 1000
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def _pin_zip_dates(path: Path) -> None:
    """Rewrite the zip with fixed entry dates: conda_builder stamps them with the current time."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as dst:
        for name, data in entries:
            dst.writestr(zipfile.ZipInfo(name, date_time=_ZIP_EPOCH), data)
