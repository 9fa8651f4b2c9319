"""Overlay operations as parsed from overlays/*.yml: one small frozen class per key, each entry with its location.

Composing (envsplit/inputs/compose.py) applies them by type; every error it finds points at an entry's ``Where``.
``kind`` is the overlay key the operation was written under and ``value`` its parsed content in the shape the
YAML had (lists and mappings), for messages and tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeVar

from envsplit.inputs.yaml_lines import At, Where
from envsplit.models import Dependency

T = TypeVar("T")


def _values(entries: tuple[At[T], ...]) -> list[T]:
    return [e.value for e in entries]


@dataclass(frozen=True)
class Add:
    """``add: [spec, ...]``: packages the environment does not have yet."""

    kind: ClassVar[str] = "add"
    entries: tuple[At[Dependency], ...]
    where: Where

    @property
    def value(self) -> list[Dependency]:
        return _values(self.entries)


@dataclass(frozen=True)
class Remove:
    """``remove: [name, ...]``: packages to drop, by name."""

    kind: ClassVar[str] = "remove"
    entries: tuple[At[str], ...]
    where: Where

    @property
    def value(self) -> list[str]:
        return _values(self.entries)


@dataclass(frozen=True)
class Replace:
    """``replace: {old: new spec}``: swap a package (or its spec) in place, keeping its position."""

    kind: ClassVar[str] = "replace"
    entries: tuple[At[tuple[str, Dependency]], ...]
    where: Where

    @property
    def value(self) -> dict[str, Dependency]:
        return dict(_values(self.entries))


@dataclass(frozen=True)
class Channels:
    """``channels: {remove: [...], prepend: [...], append: [...]}``; an absent key is None, not empty."""

    kind: ClassVar[str] = "channels"
    where: Where
    remove_where: Where  # 'remove:' (or the mapping when absent), blamed when the last channel goes
    prepend: tuple[At[str], ...] | None = None
    append: tuple[At[str], ...] | None = None
    remove: tuple[At[str], ...] | None = None

    @property
    def value(self) -> dict[str, list[str]]:
        lists = {"prepend": self.prepend, "append": self.append, "remove": self.remove}
        return {k: _values(v) for k, v in lists.items() if v is not None}


@dataclass(frozen=True)
class VirtualPackages:
    """``virtual-packages: {__cuda: "12.9"}``: name -> platform (or "*") -> "version=build"."""

    kind: ClassVar[str] = "virtual-packages"
    packages: dict[str, dict[str, str]]
    where: Where

    @property
    def value(self) -> dict[str, dict[str, str]]:
        return self.packages


@dataclass(frozen=True)
class Platforms:
    """``platforms: [linux-64]``: the platforms the variant keeps; an overlay can only narrow them."""

    kind: ClassVar[str] = "platforms"
    entries: tuple[At[str], ...]
    where: Where

    @property
    def value(self) -> list[str]:
        return _values(self.entries)


@dataclass(frozen=True)
class Pip:
    """``pip: {remove: [...], add: [...]}``: requirements of the environment's pip list."""

    kind: ClassVar[str] = "pip"
    where: Where
    add: tuple[At[str], ...] | None = None
    remove: tuple[At[str], ...] | None = None

    @property
    def value(self) -> dict[str, list[str]]:
        lists = {"add": self.add, "remove": self.remove}
        return {k: _values(v) for k, v in lists.items() if v is not None}


Operation = Add | Remove | Replace | Channels | VirtualPackages | Platforms | Pip
