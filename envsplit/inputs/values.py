"""Checks and conversions of single YAML values shared by the input readers, each error pointing at file:line."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from envsplit.inputs import yaml_lines as _yaml
from envsplit.inputs.problems import Problems, each
from envsplit.inputs.yaml_lines import At
from envsplit.models import Dependency
from envsplit.platforms import unknown_platform

# What conda and rattler detect; a typo here would silently change nothing but the lock's hash.
VIRTUAL_PACKAGES = ("__archspec", "__cuda", "__glibc", "__linux", "__osx", "__unix", "__win")
# A virtual package is one concrete package: a version rattler parses, and a literal build (no '*').
_VERSION_RE = re.compile(r"[0-9A-Za-z_.+!-]+(=[0-9A-Za-z_.+-]+)?")


def parse_dependency(spec: Any, where: _yaml.Where) -> Dependency:
    """Validate one match spec with rattler's own parser and return it with its package name."""
    from rattler import MatchSpec

    if not isinstance(spec, str) or not spec.strip():
        raise where.error(f"expected a conda match spec such as 'numpy >=2', got {spec!r}")
    try:
        parsed = MatchSpec(spec.strip())
    except Exception as exc:  # rattler raises its own InvalidMatchSpecError
        raise where.error(f"{spec!r} is not a valid match spec ({exc}); write it like 'numpy >=2'") from None
    if parsed.name is None:
        raise where.error(f"{spec!r} names no package; write it like 'numpy >=2'")
    return Dependency(
        name=parsed.name.normalized, spec=spec.strip(), match_spec=str(parsed), origin=where.label
    )


def as_mapping(src: _yaml.Source, value: Any, entry: str, node: Any, key: Any) -> Any:
    if not isinstance(value, dict):
        raise src.error(entry, f"expected a mapping, got {kind(value)}", node, key)
    return value


def str_items(
    src: _yaml.Source, value: Any, entry: str, node: Any, key: Any, problems: Problems | None = None
) -> list[At[str]]:
    """Each item of a list of non-empty strings, stripped, with where it was written (``entry[i]``).

    With ``problems``, a bad item is recorded there and left out; without, it raises.
    """
    if not isinstance(value, list):
        raise src.error(entry, f"expected a list, got {kind(value)}", node, key)
    out = []
    for i in range(len(value)):
        with each(problems):
            out.append(_str_item(src, value, entry, i))
    return out


def _str_item(src: _yaml.Source, items: list[Any], entry: str, i: int) -> At[str]:
    item = items[i]
    if not isinstance(item, str) or not item.strip():
        raise src.error(f"{entry}[{i}]", f"expected a non-empty string, got {item!r}", items, i)
    return At(item.strip(), src.at(f"{entry}[{i}]", items, i))


def str_list(
    src: _yaml.Source, value: Any, entry: str, node: Any, key: Any, problems: Problems | None = None
) -> list[str]:
    return [item.value for item in str_items(src, value, entry, node, key, problems)]


def platform_list(
    src: _yaml.Source, value: Any, entry: str, node: Any, key: Any, empty: str, problems: Problems
) -> list[At[str]]:
    """Known platforms, each once: envsplit.yml's ``platforms`` and an overlay's. ``empty`` says what to list."""
    if not isinstance(value, list):
        raise src.error(entry, f"expected a list, got {kind(value)}", node, key)
    if not value:
        raise src.error(entry, f"empty; {empty}", node, key)
    out: list[At[str]] = []
    for i in range(len(value)):
        with problems.check():
            item = _str_item(src, value, entry, i)
            twice = item.value in {p.value for p in out}
            problem = unknown_platform(item.value) or (
                f"{item.value!r} is listed twice; keep one" if twice else None
            )
            if problem:
                raise item.where.error(problem)
            out.append(item)
    return out


def kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def unknown_keys(
    src: _yaml.Source,
    mapping: Any,
    allowed: tuple[str, ...],
    entry: str = "",
    problems: Problems | None = None,
) -> None:
    for key in mapping:
        with each(problems):
            if key not in allowed:
                where = f"{entry}.{key}" if entry else str(key)
                raise src.error(where, f"unknown key; expected one of {', '.join(allowed)}", mapping, key)


def parse_channels(
    src: _yaml.Source, value: Any, entry: str, node: Any, key: Any, problems: Problems | None = None
) -> list[At[str]]:
    """Channel names or URLs; conda's ``nodefaults`` is dropped (envsplit never adds defaults anyway)."""
    from rattler import Channel

    out: list[At[str]] = []
    for item in str_items(src, value, entry, node, key, problems):
        channel = item.value
        if channel == "nodefaults":
            continue
        with each(problems):
            if channel.startswith(("/", ".", "~")):
                raise item.where.error(
                    f"{channel!r} is a folder, not a channel; use its canonical name or URL here and give the "
                    "folder as a mirror (--mirror CHANNEL=FOLDER or 'mirrors:' in envsplit.yml)"
                )
            if channel in {c.value for c in out}:
                raise item.where.error(f"{channel!r} is listed twice; keep one")
            if channel == "defaults":
                raise item.where.error(
                    "'defaults' is Anaconda's set of channels, which envsplit does not expand; name the "
                    "channels to use instead, e.g. conda-forge"
                )
            try:
                Channel(channel)
            except Exception as exc:  # rattler's InvalidChannelError and friends
                raise item.where.error(f"{channel!r} is not a channel name or URL ({exc})") from None
            out.append(item)
    return out


def parse_virtual_packages(
    src: _yaml.Source, value: Any, entry: str, node: Any, key: Any, problems: Problems | None = None
) -> dict[str, dict[str, str]]:
    """``{__cuda: "12.9"}`` or ``{__archspec: {linux-64: "1=x86_64_v3"}}`` -> name -> platform -> value."""
    mapping = as_mapping(src, value, entry, node, key)
    out: dict[str, dict[str, str]] = {}
    for name, raw in mapping.items():
        with each(problems):
            out[name] = _virtual_package(src, f"{entry}.{name}", mapping, name, raw)
    return out


def _virtual_package(src: _yaml.Source, where: str, mapping: Any, name: Any, raw: Any) -> dict[str, str]:
    if not isinstance(name, str) or not name.startswith("__"):
        raise src.error(where, "virtual package names start with '__', like __cuda", mapping, name)
    if name not in VIRTUAL_PACKAGES:
        close = difflib.get_close_matches(name, VIRTUAL_PACKAGES, n=1)
        hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(VIRTUAL_PACKAGES)}"
        raise src.error(where, f"unknown virtual package; {hint}", mapping, name)
    if raw is None:
        raise src.error(where, 'no version given; write e.g. __cuda: "12.9"', mapping, name)
    per = raw if isinstance(raw, dict) else {"*": raw}
    out = {}
    for platform, version in per.items():
        if platform != "*" and (not isinstance(platform, str) or unknown_platform(platform)):
            raise src.error(f"{where}.{platform}", "unknown platform", raw, platform)
        if version is None:
            raise src.error(where, 'no version given; write e.g. __cuda: "12.9"', mapping, name)
        if isinstance(version, float):
            raise src.error(
                where, f'version {version!r} was read as a number; quote it, e.g. "{version}"', mapping, name
            )
        version = str(version)
        if not _VERSION_RE.fullmatch(version) or not _is_version(version.split("=", 1)[0]):
            raise src.error(where, f"{version!r} is not VERSION or VERSION=BUILD", mapping, name)
        out[platform] = version if "=" in version else f"{version}=0"
    return out


def _is_version(text: str) -> bool:
    from rattler import Version

    try:
        Version(text)
    except Exception:  # rattler's InvalidVersionError
        return False
    return True


def folder(src: _yaml.Source, data: Any, key: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise src.error(key, f"expected a folder path such as {default!r}", data, key)
    return value.strip()


def has_control_character(text: str) -> bool:
    """NUL (which the OS refuses in paths), newlines and other control characters: never in a name or path."""
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def project_path(
    src: _yaml.Source,
    root: Path,
    value: str,
    entry: str,
    node: Any,
    key: Any,
    *,
    under: Path | None = None,
    output: bool = False,
) -> Path:
    """``(under or root) / value``, refused unless it stays inside the project folder ``root``.

    Resolving follows symlinks, so neither ``..``, an absolute path nor a link can make envsplit read a file
    outside the project (and echo it in an error) or write there. ``output`` folders must also be written as
    plain relative paths: they are copied into Dockerfiles, which are built from the project root.
    """
    if has_control_character(value):
        raise src.error(entry, f"{value!r} holds a control character; name a plain path", node, key)
    if output and (Path(value).is_absolute() or ".." in Path(value).parts):
        raise src.error(
            entry, f"{value!r} must be a folder inside the project, relative and without '..'", node, key
        )
    path = (under or root) / value
    try:
        inside = path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        inside = False
    if not inside:
        raise src.error(
            entry,
            f"{value!r} is outside the project folder {_yaml.display_path(root)}; keep project files inside it",
            node,
            key,
        )
    return path
