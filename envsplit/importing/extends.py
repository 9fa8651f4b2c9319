"""How an extension's file (``--base EXT=BASE``) is read: as a complete environment, or as additions to its base.

An extension image is built FROM its base (rocker-org/ml: ``RUN mamba env update -n base -f
extend/environment.yml``), so its file often lists only what it adds. Such a file means what ``mamba env
update`` makes of it, and that is the environment the import reproduces:

- **dependencies**: the base's, a same-name spec in the file replacing the base's in place, then the
  file's other specs in its order (an update cannot remove a package of the base image);
- **channels**: the channels only the file lists, first and in its order (conda gives the file's channels
  priority), then the base's in the base's order: the base image's packages were solved under that order
  and stay installed, so the extension keeps every base channel and never reorders them (a lock of the
  extension needs them to solve those packages again). A file without channels keeps the base's;
- **pip**: the base's requirements, a same-name one in the file replacing the base's, then the file's others.

A file is read as **complete** (the environment it lists, today's reading) when it holds every package
of its base (a build-flavour stand-in such as ``pytorch-cpu`` for ``pytorch`` counts), and as
**additive** when it holds fewer than half of them. In between it could be a complete file that drifted
or an additive one repeating many pins; the two readings give very different projects, so import asks
(``--extends-mode EXT=complete|additive``) instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from envsplit.errors import InputError
from envsplit.importing.pairing import pair
from envsplit.importing.read import EnvFile
from envsplit.inputs.compose import pip_name

T = TypeVar("T")
MODES = ("auto", "additive", "complete")
_EXAMPLE = "MODE or EXT=MODE with MODE one of auto, additive, complete, e.g. --extends-mode extend=additive"


@dataclass(frozen=True)
class Reading:
    """How one extension's file was read."""

    variant: str
    base: str
    label: str  # the file
    mode: str  # "additive" or "complete"
    held: int  # packages of its base the file lists (or a stand-in of)
    of: int  # packages of its base
    forced: bool  # given with --extends-mode, not detected

    @property
    def additive(self) -> bool:
        return self.mode == "additive"

    def as_json(self) -> dict[str, object]:
        return {
            "variant": self.variant,
            "base": self.base,
            "file": self.label,
            "mode": self.mode,
            "holds": self.held,
            "of": self.of,
            "forced": self.forced,
        }

    def describe(self) -> str:
        variant, base, label = self.variant, self.base, self.label
        if self.forced:
            how = "set by --extends-mode"
        elif self.held == self.of:
            how = f"holds all {self.of} packages of {base}"
        else:
            how = f"holds {self.held} of the {self.of} packages of {base}"
        if self.mode == "additive":
            return f"{variant} ({label}): additive, {how}; show {variant} is show {base} plus the file"
        return f"{variant} ({label}): complete, {how}; show {variant} is the file"


def parse_modes(values: tuple[str, ...], bases: dict[str, str]) -> dict[str, str]:
    """``--extends-mode MODE`` (every pair) and ``--extends-mode EXT=MODE`` -> extension -> mode."""
    every = "auto"
    modes: dict[str, str] = {}
    for value in values:
        ext, sep, mode = value.rpartition("=")
        if mode not in MODES or (sep and not ext):
            raise InputError(f"--extends-mode {value}: expected {_EXAMPLE}")
        if not sep:
            every = mode
        elif ext not in bases:
            raise InputError(
                f"--extends-mode {value}: {ext!r} is not an extension; extensions (--base): "
                f"{', '.join(bases) or 'none'}"
            )
        else:
            modes[ext] = mode
    return {ext: modes.get(ext, every) for ext in bases}


def _merge_by_name(base: Sequence[T], extra: Sequence[T], name: Callable[[T], str]) -> tuple[T, ...]:
    """``base`` with each entry of ``extra`` of the same name in its place, then ``extra``'s others."""
    by_name = {name(e): e for e in extra}
    merged = [by_name.pop(name(e), e) for e in base]
    return (*merged, *(e for e in extra if name(e) in by_name))


def updated(base: EnvFile, ext: EnvFile) -> EnvFile:
    """What ``mamba env update -f ext`` makes of an environment that is ``base``."""
    return replace(
        ext,
        channels=tuple(c for c in ext.channels if c not in base.channels) + base.channels,
        dependencies=_merge_by_name(base.dependencies, ext.dependencies, lambda d: d.name),
        pip=_merge_by_name(base.pip, ext.pip, pip_name),
    )


def _held(base: EnvFile, ext: EnvFile) -> int:
    names = set(ext.names)
    stand_ins = {old for old, _ in pair(base.names, ext.names)}
    return sum(1 for n in base.names if n in names or n in stand_ins)


def _order(bases: dict[str, str]) -> list[str]:
    """Extensions, each after its base (names.py has refused cycles)."""
    done: list[str] = []
    for ext in bases:
        chain = [ext]
        while chain[-1] in bases and bases[chain[-1]] not in done:
            chain.append(bases[chain[-1]])
        done.extend(v for v in reversed(chain) if v in bases and v not in done)
    return done


def read_extensions(
    envs: dict[str, EnvFile], bases: dict[str, str], modes: dict[str, str]
) -> tuple[dict[str, EnvFile], dict[str, Reading]]:
    """Every variant's environment (an additive extension's composed with its base's) and each reading."""
    effective = dict(envs)
    readings: dict[str, Reading] = {}
    for ext in _order(bases):
        base, file = effective[bases[ext]], envs[ext]
        held, of = _held(base, file), len(base.names)
        mode = modes.get(ext, "auto")
        reading = Reading(ext, bases[ext], file.label, mode, held, of, forced=mode != "auto")
        if mode == "auto":
            if held == of:
                reading = replace(reading, mode="complete")
            elif 2 * held < of:
                reading = replace(reading, mode="additive")
            else:
                raise InputError(
                    f"{file.label}: holds {held} of the {of} packages of its base {bases[ext]!r} "
                    f"({base.label}): it may be a complete environment that lost {of - held}, or additions "
                    f"repeating many of the base's pins; say which with --extends-mode {ext}=complete "
                    f"(the file is the whole environment) or --extends-mode {ext}=additive (it adds to its base)"
                )
        readings[ext] = reading
        if reading.mode == "additive":
            effective[ext] = updated(base, file)
    return {v: effective[v] for v in envs}, {v: readings[v] for v in envs if v in readings}
