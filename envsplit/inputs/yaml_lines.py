"""YAML loading that keeps line numbers, so every input error can point at its line."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from envsplit.errors import InputError


def display_path(path: Path) -> str:
    """The path as the user most likely typed it: relative to the working directory when inside it."""
    absolute = Path(path).absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:  # outside the working directory: '../../..' would only confuse
        return str(absolute)


@dataclass(frozen=True)
class Where:
    """Where an entry was written: its file, 1-based line (None when unknown) and entry, e.g. ``add[1]``."""

    file: Path
    line: int | None
    entry: str

    @property
    def label(self) -> str:
        """``file:line: entry`` on one line, the file relative to the working directory when inside it."""
        name = display_path(self.file)
        where = f"{name}:{self.line}" if self.line else name
        return one_line(f"{where}: {self.entry}" if self.entry else where)

    def error(self, problem: str) -> InputError:
        """An InputError of the form ``file:line: entry: problem``, on one line whatever the file holds."""
        problem = " ".join(part.strip() for part in problem.splitlines())  # a library's "...\nCaused by: ..."
        return InputError(one_line(f"{self.label}: {problem}"))


T = TypeVar("T")


@dataclass(frozen=True)
class At(Generic[T]):
    """One parsed entry and where it was written."""

    value: T
    where: Where


@dataclass(frozen=True)
class InputFile:
    """A file the project was read from, for messages and for the inputs a lock records."""

    path: Path

    @property
    def name(self) -> str:
        return display_path(self.path)


class UnreadableFile(InputError):
    """A file that is missing, unreadable or not YAML: nothing more can be checked in it."""


@dataclass(frozen=True)
class Source:
    """A loaded YAML document plus what is needed to point at a line of it."""

    path: Path
    data: Any

    @property
    def name(self) -> str:
        return display_path(self.path)

    @property
    def file(self) -> InputFile:
        return InputFile(self.path)

    def at(self, entry: str, node: Any = None, key: Any = None) -> Where:
        """The location of ``key`` in ``node`` (or of ``node``, or of the document), named ``entry``."""
        return Where(self.path, line_of(node if node is not None else self.data, key), entry)

    def error(self, entry: str, problem: str, node: Any = None, key: Any = None) -> InputError:
        """An InputError of the form ``file:line: entry: problem``, on one line whatever the file holds."""
        return self.at(entry, node, key).error(problem)


def one_line(text: str) -> str:
    """``text`` with every unprintable character (newlines, NUL, ...) escaped as Python would write it."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def line_of(node: Any, key: Any = None) -> int | None:
    """1-based line of ``key`` (a mapping key or a list index) in ``node``, or of ``node`` itself."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is None:
            return int(lc.line) + 1
        if isinstance(key, int) and isinstance(node, list):
            return int(lc.item(key)[0]) + 1
        return int(lc.key(key)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return int(lc.line) + 1


# envsplit's files nest four or five levels; far deeper is hostile and would exhaust the stack.
MAX_DEPTH = 64
# Entries that aliases may add by repeating anchored nodes; a "billion laughs" file adds billions.
MAX_ALIAS_ENTRIES = 100_000


class _TooManyAliasEntries(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


@functools.cache
def _bounded_composer() -> Any:
    """ruamel's composer, counting what each alias repeats so that an alias bomb stops while composing."""
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.events import AliasEvent

    class BoundedComposer(Composer):  # type: ignore[misc]
        def compose_node(self, parent: Any, index: Any) -> Any:
            if not hasattr(self, "_entries"):
                self._entries: dict[int, int] = {}  # id(node) -> entries once aliases are expanded
                self._repeated = 0
            mark = self.parser.peek_event().start_mark
            alias = self.parser.check_event(AliasEvent)
            node = super().compose_node(parent, index)
            if alias:
                self._repeated += self._entries.get(id(node), 1)
                if self._repeated > MAX_ALIAS_ENTRIES:
                    raise _TooManyAliasEntries(mark.line + 1)
            else:
                children = node.value if isinstance(node.value, list) else []
                flat = [c for child in children for c in (child if isinstance(child, tuple) else (child,))]
                self._entries[id(node)] = 1 + sum(self._entries.get(id(c), 1) for c in flat)
            return node

    return BoundedComposer


def _code(character: str | int) -> int:
    return character if isinstance(character, int) else ord(character)


def load(path: Path, what: str) -> Source:
    """Load ``path``; a missing file or bad YAML is an InputError naming ``what`` it should be."""
    from ruamel.yaml import YAML
    from ruamel.yaml.composer import MaxDepthExceededError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnreadableFile(f"{display_path(path)}: {what} not found; create it or fix the path") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # ValueError: a NUL in the path
        raise UnreadableFile(f"{display_path(path)}: cannot read {what}: {exc}") from None
    yaml = YAML(typ="rt")
    yaml.max_depth = MAX_DEPTH
    yaml.Composer = _bounded_composer()
    try:
        data = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        if isinstance(exc, MaxDepthExceededError):
            problem = f"nested more than {MAX_DEPTH} levels deep; no envsplit file needs that"
        else:
            problem = f"not valid YAML ({exc.problem}); fix the syntax"
        raise UnreadableFile(one_line(f"{display_path(path)}{line}: {problem}")) from None
    except _TooManyAliasEntries as exc:
        raise UnreadableFile(
            f"{display_path(path)}:{exc.line}: aliases repeat more than {MAX_ALIAS_ENTRIES} entries; "
            "write the entries out instead of nesting aliases"
        ) from None
    except ReaderError as exc:  # a control character; its text spans two lines and names no line
        row = text.count("\n", 0, exc.position) + 1
        raise UnreadableFile(
            f"{display_path(path)}:{row}: not valid YAML (character #x{_code(exc.character):04x} is not "
            "allowed); remove it or write it escaped in a double-quoted string"
        ) from None
    except YAMLError as exc:
        raise UnreadableFile(
            one_line(f"{display_path(path)}: not valid YAML ({exc}); fix the syntax")
        ) from None
    return Source(path=path, data={} if data is None else data)
