"""Lockfiles in conda-lock's formats: the unified conda-lock.yml and explicit per-platform files."""

from __future__ import annotations

from pathlib import Path

LOCK_NAME = "conda-lock.yml"


def explicit_name(platform: str) -> str:
    return f"conda-{platform}.lock"


def layer_name(platform: str) -> str:
    return f"layer-{platform}.lock"


def variant_dir(output: Path, variant: str) -> Path:
    return output / variant
