"""Read overlays/*.yml into typed operations, each entry with where it was written.

Only shapes are checked here; whether the named packages, channels and platforms are present is checked
while composing (envsplit/inputs/compose.py), which knows what the variant holds at that point.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from envsplit.inputs import yaml_lines as _yaml
from envsplit.inputs.operations import (
    Add,
    Channels,
    Operation,
    Pip,
    Platforms,
    Remove,
    Replace,
    VirtualPackages,
)
from envsplit.inputs.problems import Problems
from envsplit.inputs.values import (
    as_mapping,
    parse_channels,
    parse_dependency,
    parse_virtual_packages,
    platform_list,
    str_items,
    unknown_keys,
)
from envsplit.models import Overlay

OVERLAY_KEYS = ("add", "remove", "replace", "channels", "virtual-packages", "platforms", "pip")


def read_overlay(path: Path, name: str, problems: Problems | None = None) -> Overlay:
    """The overlay ``name`` at ``path``; its mistakes go to ``problems`` (or are raised together at the end)."""
    found = Problems() if problems is None else problems
    src = _yaml.load(path, f"overlay {name!r}")
    data = as_mapping(src, src.data, "", None, None)
    unknown_keys(src, data, OVERLAY_KEYS, problems=found)
    ops: list[Operation] = []
    for key, value in data.items():
        if key in OVERLAY_KEYS:
            with found.check():
                ops.append(_READERS[key](src, data, key, value, found))
    if problems is None:
        found.raise_any()
    return Overlay(name=name, source=src.file, operations=tuple(ops))


def _add(src: _yaml.Source, data: Any, key: str, value: Any, problems: Problems) -> Add:
    entries = []
    for item in str_items(src, value, key, data, key, problems):
        with problems.check():
            entries.append(_yaml.At(parse_dependency(item.value, item.where), item.where))
    return Add(tuple(entries), src.at(key, data, key))


def _remove(src: _yaml.Source, data: Any, key: str, value: Any, problems: Problems) -> Remove:
    return Remove(tuple(str_items(src, value, key, data, key, problems)), src.at(key, data, key))


def _replace(src: _yaml.Source, data: Any, key: str, value: Any, problems: Problems) -> Replace:
    mapping = as_mapping(src, value, key, data, key)
    entries = []
    for old, new in mapping.items():
        where = src.at(f"replace.{old}", mapping, old)
        with problems.check():
            entries.append(_yaml.At((str(old), parse_dependency(new, where)), where))
    return Replace(tuple(entries), src.at(key, data, key))


def _channels(src: _yaml.Source, data: Any, key: str, value: Any, problems: Problems) -> Channels:
    mapping = as_mapping(src, value, key, data, key)
    unknown_keys(src, mapping, ("prepend", "append", "remove"), "channels", problems)
    lists = {}
    for k in ("prepend", "append", "remove"):
        if k in mapping:
            with problems.check():
                # Removal only has to name a channel in use; a bad name there fails as "not used".
                read = str_items if k == "remove" else parse_channels
                lists[k] = tuple(read(src, mapping[k], f"channels.{k}", mapping, k, problems))
    return Channels(src.at(key, data, key), src.at("channels.remove", mapping, "remove"), **lists)


def _virtual_packages(
    src: _yaml.Source, data: Any, key: str, value: Any, problems: Problems
) -> VirtualPackages:
    return VirtualPackages(
        parse_virtual_packages(src, value, key, data, key, problems), src.at(key, data, key)
    )


def _platforms(src: _yaml.Source, data: Any, key: str, value: Any, problems: Problems) -> Platforms:
    keeps = "list the platforms this variant keeps, e.g. [linux-64]"
    return Platforms(
        tuple(platform_list(src, value, key, data, key, keeps, problems)), src.at(key, data, key)
    )


def _pip(src: _yaml.Source, data: Any, key: str, value: Any, problems: Problems) -> Pip:
    mapping = as_mapping(src, value, key, data, key)
    unknown_keys(src, mapping, ("add", "remove"), "pip", problems)
    lists = {}
    for k in ("add", "remove"):
        if k in mapping:
            with problems.check():
                lists[k] = tuple(str_items(src, mapping[k], f"pip.{k}", mapping, k, problems))
    return Pip(src.at(key, data, key), **lists)


_READERS: dict[str, Callable[[_yaml.Source, Any, str, Any, Problems], Operation]] = {
    "add": _add,
    "remove": _remove,
    "replace": _replace,
    "channels": _channels,
    "virtual-packages": _virtual_packages,
    "platforms": _platforms,
    "pip": _pip,
}
