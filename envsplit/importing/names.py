"""Variant names for the files to import, ``--name`` overrides, ``--base`` pairs and the pairs that should mirror.

A file's variant name comes from its path: ``environment.yml`` is ``default``, ``environment.cpu.yml`` and
``environment-cpu.yml`` are ``cpu``, any other stem is itself (``gpu.yml`` is ``gpu``); folders below the
files' common folder lead the name (``extend/environment.cpu.yml`` is ``extend-cpu``, ``extend/environment.yml``
is ``extend``).
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from envsplit.errors import InputError
from envsplit.inputs.yaml_lines import display_path

# The names envsplit.yml accepts (envsplit/inputs/config.py).
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*\Z")
_ENV_STEM = re.compile(r"^(environment|env)(?:[._-](?P<flavour>.+))?\Z")
_SUFFIX = re.compile(r"^(?P<stem>.+?)[._-](?P<flavour>[^._-]+)\Z")


def _stem(path: Path) -> str:
    name = path.name.lower()
    for ext in (".yml", ".yaml"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return name


def derived_name(path: Path, common: Path) -> str:
    """``path``'s variant name; folders between ``common`` and the file lead it."""
    folders = [part.lower() for part in path.absolute().parent.relative_to(common).parts]
    stem = _stem(path)
    match = _ENV_STEM.match(stem)
    flavour = (match.group("flavour") or "") if match else stem
    name = "-".join([*folders, *([flavour] if flavour else [])]) or "default"
    return re.sub(r"[^a-z0-9._-]+", "-", name).strip("-._") or "default"


def _split_pair(option: str, value: str, example: str) -> tuple[str, str]:
    left, sep, right = value.partition("=")
    if not sep or not left.strip() or not right.strip():
        raise InputError(f"{option} {value}: expected {example}")
    return left.strip(), right.strip()


@dataclass(frozen=True)
class Naming:
    """Each file's variant name (in the order the files were given) and each extension's base."""

    variants: dict[str, Path]  # variant -> file
    bases: dict[str, str]  # extension variant -> base variant


def name_files(files: list[Path], names: tuple[str, ...], bases: tuple[str, ...]) -> Naming:
    """Name every file's variant (``--name VARIANT=FILE`` first) and resolve ``--base EXT=BASE``."""
    seen: dict[Path, Path] = {}
    for path in files:
        key = path.resolve()
        if key in seen:
            raise InputError(f"{display_path(path)}: given twice; list each file once")
        seen[key] = path
    given = _given_names(files, names)
    common = Path(os.path.commonpath([str(p.absolute().parent) for p in files]))
    variants: dict[str, Path] = {}
    for path in files:
        name = given.get(path) or derived_name(path, common)
        if not _NAME_RE.match(name):
            raise InputError(
                f"{display_path(path)}: {name!r} cannot be a variant name (lower-case letters, digits, '.', '_' "
                "and '-'); name it with --name VARIANT=FILE"
            )
        if name in variants:
            raise InputError(
                f"{display_path(path)}: its variant name {name!r} is also that of {display_path(variants[name])}; "
                f"name one of them with --name VARIANT=FILE"
            )
        variants[name] = path
    return Naming(variants, _bases(files, variants, bases))


def _given_names(files: list[Path], names: tuple[str, ...]) -> dict[Path, str]:
    by_file = {p.resolve(): p for p in files}
    given: dict[Path, str] = {}
    for value in names:
        variant, file = _split_pair("--name", value, "VARIANT=FILE, e.g. --name cuda=environment.yml")
        path = by_file.get(Path(file).resolve())
        if path is None:
            raise InputError(
                f"--name {value}: {file} is not one of the files given "
                f"({', '.join(display_path(p) for p in files)})"
            )
        if path in given:
            raise InputError(f"--name {value}: {file} is already named {given[path]!r}; name it once")
        given[path] = variant
    return given


def _resolve(value: str, option: str, variants: dict[str, Path]) -> str:
    if value in variants:
        return value
    for name, path in variants.items():
        if Path(value).resolve() == path.resolve():
            return name
    raise InputError(
        f"--base {option}: {value!r} is neither a variant ({', '.join(variants)}) nor one of the files given"
    )


def _bases(files: list[Path], variants: dict[str, Path], pairs: tuple[str, ...]) -> dict[str, str]:
    if pairs and len(files) < 2:
        raise InputError(
            f"--base needs two or more files (an extension and its base); only {display_path(files[0])} was given"
        )
    bases: dict[str, str] = {}
    for value in pairs:
        ext_raw, base_raw = _split_pair("--base", value, "EXT=BASE, e.g. --base extend-cpu=cpu")
        ext, base = _resolve(ext_raw, value, variants), _resolve(base_raw, value, variants)
        if ext in bases:
            raise InputError(f"--base {value}: {ext!r} already has the base {bases[ext]!r}; give it one base")
        bases[ext] = base
    for start in bases:
        chain = [start]
        while (nxt := bases.get(chain[-1])) is not None:
            if nxt in chain:
                cycle = " -> ".join([*chain[chain.index(nxt) :], nxt])
                raise InputError(
                    f"--base: bases form a cycle ({cycle}); an image cannot be built FROM itself"
                )
            chain.append(nxt)
    return bases


def mirror_pairs(naming: Naming) -> list[tuple[str, str]]:
    """(reference, other) variant pairs that should mirror each other: ``--base`` pairs, then files in one
    folder whose names differ by a suffix (``environment.yml`` / ``environment.cpu.yml``; two suffixed
    siblings such as ``env.cpu.yml`` / ``env.gpu.yml`` pair when the unsuffixed file is not given)."""
    # Keyed by the two variants: a --base pair keeps its orientation (base first) over a suffix pair.
    pairs = {frozenset((base, ext)): (base, ext) for ext, base in naming.bases.items()}
    by_folder: dict[tuple[Path, str], list[tuple[str, str | None]]] = {}
    for variant, path in naming.variants.items():
        stem = _stem(path)
        match = _SUFFIX.match(stem)
        folder = path.absolute().parent
        by_folder.setdefault((folder, stem), []).append((variant, None))
        if match:
            by_folder.setdefault((folder, match.group("stem")), []).append((variant, match.group("flavour")))
    for group in by_folder.values():
        plain = [v for v, flavour in group if flavour is None]
        flavoured = sorted(v for v, flavour in group if flavour is not None)
        found = [(plain[0], v) for v in flavoured] if plain else list(itertools.pairwise(flavoured))
        for pair in found:
            pairs.setdefault(frozenset(pair), pair)
    return sorted(pairs.values(), key=lambda p: (str(naming.variants[p[0]]), str(naming.variants[p[1]])))
