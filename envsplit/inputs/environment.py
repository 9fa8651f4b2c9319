"""Read environment.yml, the canonical environment every variant starts from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envsplit.inputs import yaml_lines as _yaml
from envsplit.inputs.problems import Problems
from envsplit.inputs.values import as_mapping, kind, parse_channels, parse_dependency, str_list, unknown_keys
from envsplit.models import Dependency, EnvSpec

ENV_KEYS = ("name", "channels", "dependencies", "prefix", "variables")


def read_environment(path: Path, problems: Problems | None = None) -> EnvSpec:
    """The environment at ``path``; its mistakes go to ``problems`` (or are raised together at the end)."""
    found = Problems() if problems is None else problems
    src = _yaml.load(path, "environment file")
    data = as_mapping(src, src.data, "", None, None)
    unknown_keys(src, data, ENV_KEYS, problems=found)
    channels = []
    with found.check():
        channels = parse_channels(src, data.get("channels", []), "channels", data, "channels", found)
    deps: list[Dependency] = []
    pip: list[str] = []
    with found.check():
        _dependencies(src, data, deps, pip, found)
    if problems is None:
        found.raise_any()
    name = data.get("name")
    return EnvSpec(
        path=path,
        name=str(name) if name is not None else None,
        channels=tuple(c.value for c in channels),
        dependencies=tuple(deps),
        pip=tuple(pip),
    )


def _dependencies(
    src: _yaml.Source, data: Any, deps: list[Dependency], pip: list[str], problems: Problems
) -> None:
    """Fill ``deps`` and ``pip`` from ``dependencies:``, each bad entry recorded in ``problems``."""
    raw = data.get("dependencies")
    if raw is None:
        raise src.error("dependencies", "missing; list the conda packages the environment needs")
    if not isinstance(raw, list):
        raise src.error("dependencies", f"expected a list, got {kind(raw)}", data, "dependencies")
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        entry = f"dependencies[{i}]"
        with problems.check():
            if isinstance(item, dict):
                if list(item) != ["pip"]:
                    raise src.error(entry, "the only mapping allowed here is a 'pip:' list", raw, i)
                pip.extend(str_list(src, item["pip"], f"{entry}.pip", item, "pip", problems))
                continue
            dep = parse_dependency(item, src.at(entry, raw, i))
            if dep.name in seen:
                raise src.error(
                    entry,
                    f"{dep.name!r} is listed twice (also dependencies[{seen[dep.name]}]); keep one",
                    raw,
                    i,
                )
            seen[dep.name] = i
            deps.append(dep)
