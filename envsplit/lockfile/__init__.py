"""Lockfiles in conda-lock's formats (the unified conda-lock.yml, explicit per-platform files) and pip files."""

from __future__ import annotations

from pathlib import Path

LOCK_NAME = "conda-lock.yml"


def explicit_name(platform: str) -> str:
    return f"conda-{platform}.lock"


def layer_name(platform: str) -> str:
    return f"layer-{platform}.lock"


def pip_name(platform: str) -> str:
    return f"pip-{platform}.txt"


def pip_layer_name(platform: str) -> str:
    return f"pip-layer-{platform}.txt"


def variant_dir(output: Path, variant: str) -> Path:
    return output / variant
