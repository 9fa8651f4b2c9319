"""Locked pip packages as lock file content: ``pip-<platform>.txt`` lines and conda-lock ``manager: pip`` entries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from envsplit.pip.resolve import PipPackage


def pip_txt_lines(packages: Iterable[PipPackage]) -> list[str]:
    """``name==version --hash=sha256:…`` per package, sorted by name: ``pip install --no-deps --require-hashes -r``."""
    return [f"{p.name}=={p.version} --hash=sha256:{p.sha256}" for p in sorted(packages, key=lambda p: p.name)]


def conda_lock_entries(packages: Iterable[PipPackage], platform: str) -> list[dict[str, Any]]:
    """conda-lock v1 ``package:`` entries (the keys and order conda-lock 4 writes) for one platform.

    ``dependencies`` stays empty: the installer runs with ``--no-deps`` and every package is listed.
    """
    return [
        {
            "name": p.name,
            "version": p.version,
            "manager": "pip",
            "platform": platform,
            "dependencies": {},
            "url": p.url,
            "hash": {"sha256": p.sha256},
            "category": "main",
            "optional": False,
        }
        for p in sorted(packages, key=lambda p: p.name)
    ]
