"""Whether the files of a variant's lock folder agree with each other and name only the variant's channels.

A file's content digest shows that its text is what some program wrote, not that envsplit wrote it: anyone can
recompute it. So the explicit and layer files, which are what images install, are checked against
conda-lock.yml package by package (same URLs and md5s, same set of packages; a layer is the full lock minus
its base), and every URL must come from one of the variant's channels.

conda-lock.yml is read here with a strict line scanner that understands exactly the layout envsplit writes
(a few milliseconds, where a YAML parse of the bundled locks takes half a second); any other layout is read
with libyaml instead, so a hand-shaped file can never be read differently from what YAML means.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from envsplit.channels import canonical_url
from envsplit.errors import InputError
from envsplit.inputs.yaml_lines import display_path
from envsplit.lockfile import LOCK_NAME
from envsplit.lockfile.lockdir import LockDir
from envsplit.models import LockedPackage
from envsplit.redact import redact_text

ADVICE = "the lock's files disagree (forged or damaged): run 'envsplit lock' to write them again"

# (url, md5) of one package, by platform then name: what the explicit files must repeat.
Pins = dict[str, dict[str, tuple[str, str]]]

# A plain YAML scalar: no quoting, comment or flow syntax, so it reads the same as text and as YAML.
_P = r"[A-Za-z0-9_][^\s#'\"]*"
# A key at indent 2 that none of the checks read, with whatever is nested under it.
_OTHER = r"  (?!(?:name|manager|platform|url|hash|dependencies|md5|sha256):)[a-z_]+:(?: [^\n]*)?\n(?:    [^\n]*\n)*"
# One package entry as conda-lock's v1 writer lays it out; every value read is a plain scalar, every key
# read appears once, so this text means to YAML exactly what it means here.
_ENTRY_RE = (
    rf"- name: ({_P})\n(?:{_OTHER})*"
    rf"  manager: ({_P})\n  platform: ({_P})\n"
    r"  dependencies:(?: \{\})?\n(?:    [^\n]*\n)*"
    rf"  url: ({_P})\n  hash:\n(?:    md5: ({_P})\n)?    sha256: ({_P})\n(?:{_OTHER})*"
)
_ENTRY = re.compile(_ENTRY_RE)
_FIELDS = ("name", "manager", "platform", "url")
# userinfo and an anaconda.org token segment: not part of which channel a URL belongs to
_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@|(?<=[^/])/t/[^/\s]+(?=/)")


def _scan(text: str) -> list[dict[str, str]] | None:
    """The package entries of a conda-lock.yml in exactly envsplit's layout; None for any other layout."""
    head, sep, section = text.partition("\npackage:\n")
    if not sep or "\npackage:" in section or "\npackage:" in head or head.startswith("package:"):
        return None
    entries = []
    pos = 0
    for m in _ENTRY.finditer(section):
        if m.start() != pos:  # something between two entries that is not an entry
            return None
        pos = m.end()
        name, manager, platform, url, md5, sha256 = m.groups()
        entries.append(
            {
                "name": name,
                "manager": manager,
                "platform": platform,
                "url": url,
                "md5": md5 or "",
                "sha256": sha256,
            }
        )
    return entries if pos == len(section) else None


def _load(path: Path, text: str) -> list[dict[str, str]]:
    """The package entries through libyaml, for any layout the scanner does not take."""
    import yaml

    try:
        content = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise InputError(
            f"{display_path(path)}: not valid YAML ({str(exc).splitlines()[0]}); regenerate it"
        ) from None
    packages = content.get("package") if isinstance(content, dict) else None
    if not isinstance(packages, list):
        raise InputError(f"{display_path(path)}: no 'package' list; regenerate it with 'envsplit lock'")
    entries = []
    for n, raw in enumerate(packages):
        fields: dict[str, Any] = {k: raw.get(k) for k in _FIELDS} if isinstance(raw, dict) else {}
        digests = raw.get("hash") if isinstance(raw, dict) else None
        fields["md5"] = digests.get("md5") if isinstance(digests, dict) else ""
        sha256 = digests.get("sha256") if isinstance(digests, dict) else ""
        for key, value in fields.items():
            if not isinstance(value, str) and not (key == "md5" and fields.get("manager") != "conda"):
                name, platform = fields.get("name"), fields.get("platform")
                where = f"package {name!r} ({platform})" if isinstance(name, str) else f"package[{n}]"
                raise InputError(
                    f"{display_path(path)}: {where}: {'hash.md5' if key == 'md5' else key} is missing or "
                    "not a string; regenerate it with 'envsplit lock --force'"
                )
        entries.append({**{k: str(v or "") for k, v in fields.items()}, "sha256": str(sha256 or "")})
    return entries


def read_pins(path: Path) -> Pins:
    """Platform -> name -> (url, md5) of the conda packages in conda-lock.yml ``path``; a bad file is an InputError."""
    return _pins(path, "conda", "md5")


def read_pip_pins(path: Path) -> Pins:
    """Platform -> name -> (url, sha256) of the ``manager: pip`` packages in conda-lock.yml ``path``."""
    return _pins(path, "pip", "sha256")


def _pins(path: Path, manager: str, digest: str) -> Pins:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{display_path(path)}: cannot be read ({exc})") from None
    entries = _scan(text)
    if entries is None:
        entries = _load(path, text)
    pins: Pins = {}
    for e in entries:
        if e["manager"] != manager:
            continue
        same = pins.setdefault(e["platform"], {})
        if e["name"] in same:
            raise InputError(
                f"{display_path(path)}: {e['name']} ({e['platform']}) is listed twice; regenerate it"
            )
        same[e["name"]] = (e["url"], e.get(digest) or "")
    return pins


def pins_of(packages: Mapping[str, Sequence[LockedPackage]]) -> Pins:
    """The same mapping from packages already read."""
    return {p: {pkg.name: (pkg.url, pkg.md5) for pkg in pkgs} for p, pkgs in packages.items()}


def _bare(url: str) -> str:
    return _CREDENTIALS.sub("", url).rstrip("/")


def foreign_url(pins: Mapping[str, tuple[str, str]], channels: Sequence[str]) -> tuple[str, str] | None:
    """The first (name, url) whose URL is in none of ``channels``; None when all are."""
    prefixes = tuple(_bare(canonical_url(c)) + "/" for c in channels)
    for name, (url, _) in sorted(pins.items()):
        if not url.startswith(prefixes) and not _bare(url).startswith(prefixes):
            return name, url
    return None


def _line_name(line: str) -> str | None:
    url = line.partition("#")[0]
    if "/" not in url:
        return None
    stem = url.rsplit("/", 1)[1].removesuffix(".conda").removesuffix(".tar.bz2")
    fields = stem.rsplit("-", 2)
    return fields[0] if len(fields) == 3 else None


def _explicit_problem(
    path: Path, lines: Sequence[str], platform: str, pins: Mapping[str, tuple[str, str]]
) -> str | None:
    if len(lines) == len(pins) and set(lines) == {f"{url}#{md5}" for url, md5 in pins.values()}:
        return None  # one line per locked package, each exactly as locked
    shown = display_path(path)
    seen: set[str] = set()
    for line in lines:
        name = _line_name(line)
        if name is None:
            return f"{shown}: {redact_text(line)!r} is not a package line (URL#MD5 of a .conda or .tar.bz2)"
        if name in seen:
            return f"{shown}: package {name!r} ({platform}) is listed twice"
        seen.add(name)
        if name not in pins:
            return f"{shown}: package {name!r} ({platform}) is not in {LOCK_NAME}"
        url, _, md5 = line.partition("#")
        if (url, md5) != pins[name]:
            field = "url" if url != pins[name][0] else "md5"
            theirs = pins[name][0] if field == "url" else pins[name][1]
            mine = url if field == "url" else md5
            return (
                f"{shown}: package {name!r} ({platform}): {field} {redact_text(mine)} differs from "
                f"{LOCK_NAME}'s {redact_text(theirs)}"
            )
    missing = sorted(set(pins) - seen)
    if missing:
        return f"{shown}: package {missing[0]!r} ({platform}) of {LOCK_NAME} is missing"
    return None


def _layer_problem(
    path: Path, lines: Sequence[str], platform: str, full: Sequence[str], base: Sequence[str]
) -> str | None:
    shown = display_path(path)
    in_base = set(base)
    expected = [ln for ln in full if ln not in in_base]
    if list(lines) == expected:
        return None
    extra = [ln for ln in lines if ln not in set(expected)]
    missing = [ln for ln in expected if ln not in set(lines)]
    if extra:
        return f"{shown}: package {_line_name(extra[0]) or redact_text(extra[0])!r} ({platform}) is not what the full lock adds to its base"
    if missing:
        return f"{shown}: package {_line_name(missing[0])!r} ({platform}) of the full lock is missing from the layer"
    return f"{shown}: packages ({platform}) are not in the order of the full lock"


def _pip_problem(folder: LockDir, platform: str) -> str | None:
    """The pip file must list exactly conda-lock.yml's pip packages of ``platform``, with the same sha256."""
    path = folder.pip(platform)
    if not path.exists():
        return None
    found: dict[str, str] = {}
    for line in folder.pip_lines(platform):
        name, _, rest = line.partition("==")
        found[name] = rest.partition(" --hash=sha256:")[2]
    expected = {name: sha256 for name, (_, sha256) in folder.pip_pins.get(platform, {}).items()}
    for name in sorted(set(found) | set(expected)):
        if found.get(name) != expected.get(name):
            what = (
                f"is not in {LOCK_NAME}"
                if name not in expected
                else f"of {LOCK_NAME} is missing"
                if name not in found
                else f"has another sha256 than {LOCK_NAME}'s"
            )
            return f"{display_path(path)}: pip package {redact_text(name)!r} ({platform}) {what}"
    return None


def check_platform(
    folder: LockDir,
    platform: str,
    pins: Mapping[str, tuple[str, str]],
    channels: Sequence[str] | None,
    base_lines: Sequence[str] | None = None,
) -> str | None:
    """What makes ``folder``'s files for ``platform`` untrustworthy; None when they agree.

    ``pins`` is that platform's part of conda-lock.yml. Files that do not exist are not checked here (a
    missing file is a stale lock, said elsewhere); the layer is checked only when ``base_lines`` is given.
    """
    if channels is not None:
        foreign = foreign_url(pins, channels)
        if foreign is not None:
            return (
                f"{display_path(folder.lock_path)}: package {foreign[0]!r} ({platform}) comes from "
                f"{redact_text(foreign[1])}, outside the variant's channels ({', '.join(channels)})"
            )
    if not folder.explicit(platform).exists():
        return None
    full = folder.lines(platform)
    problem = _explicit_problem(folder.explicit(platform), full, platform, pins) or _pip_problem(
        folder, platform
    )
    if problem or base_lines is None:
        return problem
    if not folder.layer(platform).exists():
        return None
    return _layer_problem(folder.layer(platform), folder.layer_lines(platform), platform, full, base_lines)


def check_folder(
    folder: LockDir,
    pins: Pins,
    channels: Sequence[str] | None,
    base: LockDir | None = None,
) -> None:
    """Raise an InputError naming the first file and package of ``folder`` that disagree (see check_platform)."""
    for platform in sorted(pins):
        base_lines = None
        if base is not None and base.explicit(platform).exists():
            base_lines = base.lines(platform)
        problem = check_platform(folder, platform, pins[platform], channels, base_lines)
        if problem:
            raise InputError(f"{problem}; {ADVICE}")


def describe_invalid(errors: Sequence[Mapping[str, Any]], content: Any) -> str:
    """A lockfile model's first validation error as ``package 'numpy' (linux-64): hash.md5: why``."""
    first = errors[0]
    loc = list(first.get("loc", ()))
    where = ""
    if len(loc) >= 2 and loc[0] == "package" and isinstance(loc[1], int):
        packages = content.get("package") if isinstance(content, dict) else None
        entry = packages[loc[1]] if isinstance(packages, list) and loc[1] < len(packages) else {}
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(name, str):
            where = f"package {name!r} ({entry.get('platform')}): "
        else:
            where = f"package[{loc[1]}]: "
        loc = loc[2:]
    field = ".".join(str(part) for part in loc) or "top level"
    message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}{field}: {message}{more}"
