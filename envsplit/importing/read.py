"""Read the environment files to import: envsplit's own environment reader, plus the YAML kept for comments."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envsplit.inputs import yaml_lines as _yaml
from envsplit.inputs.environment import read_environment
from envsplit.models import Dependency


@dataclass(frozen=True)
class EnvFile:
    """One input file: what envsplit reads from it, and its YAML document (comments kept) for the canonical one."""

    path: Path
    name: str | None
    channels: tuple[str, ...]
    dependencies: tuple[Dependency, ...]
    pip: tuple[str, ...]
    document: Any

    @property
    def label(self) -> str:
        """The path as the user typed it (relative to the working directory when inside it)."""
        return _yaml.display_path(self.path)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dependencies]

    def spec_of(self, name: str) -> str:
        return next(d.spec for d in self.dependencies if d.name == name)


def read_env_file(path: Path) -> EnvFile:
    """``path`` as an environment file; anything else (not YAML, no dependencies, wrong types) is an InputError."""
    env = read_environment(path)
    return EnvFile(
        path=path,
        name=env.name,
        channels=env.channels,
        dependencies=env.dependencies,
        pip=env.pip,
        document=_yaml.load(path, "environment file").data,
    )
