"""Which PyPI distribution each conda package installs: conda-forge's mapping, user overrides, name equality.

The mapping is parselmouth's (prefix-dev/parselmouth), the one pixi reads: ``{conda name: PyPI name or null}``,
null meaning "not a Python distribution" (``python``, ``libgrpc``). envsplit ships a copy cut down to the
conda names of its test channels (data/conda_forge_pypi.json, provenance in data/PROVENANCE.md); a full copy
in the same format can be loaded with :func:`load_mapping`. A conda name the mapping does not know is taken
to install the PyPI project of the same name after PEP 503 normalisation (``jupyter_server`` ->
``jupyter-server``), as pixi and conda-lock assume.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from envsplit.errors import InputError
from envsplit.inputs import yaml_lines as _yaml

BUNDLED = Path(__file__).parent / "data" / "conda_forge_pypi.json"
# PEP 508's project name.
_PYPI_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.IGNORECASE)
_OVERRIDE_FORMAT = "map conda names to a PyPI name, a list of PyPI names, or null for no Python distribution"


class NameVersion(Protocol):
    """What is read of a locked conda package (``models.LockedPackage`` has both)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...


@dataclass(frozen=True)
class Provided:
    """A Python distribution a conda package installs, at the conda package's version."""

    pypi_name: str  # PEP 503 normalised
    version: str
    conda_name: str


@dataclass(frozen=True)
class PypiMapping:
    """conda name -> the PyPI names it installs (``()``: none); names it lacks map to themselves."""

    names: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def pypi_names(self, conda_name: str) -> tuple[str, ...]:
        if conda_name in self.names:
            return self.names[conda_name]
        return (canonicalize_name(conda_name),)

    def overridden(self, overrides: Mapping[str, tuple[str, ...]]) -> PypiMapping:
        return PypiMapping({**self.names, **overrides})


def load_mapping(path: Path) -> PypiMapping:
    """A parselmouth ``compressed_mapping.json`` (``{conda: pypi | [pypi, ...] | null}``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{_yaml.display_path(path)}: cannot read the conda-to-PyPI mapping: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{_yaml.display_path(path)}: the conda-to-PyPI mapping must be a JSON object")
    names: dict[str, tuple[str, ...]] = {}
    for conda, pypi in data.items():
        values = [] if pypi is None else [pypi] if isinstance(pypi, str) else pypi
        names[str(conda)] = tuple(canonicalize_name(str(v)) for v in values)
    return PypiMapping(names)


@functools.cache
def bundled_mapping() -> PypiMapping:
    return load_mapping(BUNDLED)


def read_overrides(path: Path) -> dict[str, tuple[str, ...]]:
    """The ``pypi-mapping:`` file: ``conda-name: pypi-name``, ``conda-name: [a, b]`` or ``conda-name: null``."""
    src = _yaml.load(path, "pypi-mapping file")
    if src.data is None:
        return {}
    if not isinstance(src.data, dict):
        raise src.error("", f"expected a mapping; {_OVERRIDE_FORMAT}")
    overrides: dict[str, tuple[str, ...]] = {}
    for conda, value in src.data.items():
        if not isinstance(conda, str):
            raise src.error(str(conda), f"a conda name must be text; {_OVERRIDE_FORMAT}", src.data, conda)
        values: list[Any] = [] if value is None else [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise src.error(
                conda, f"expected a PyPI name, a list of them or null, got {value!r}", src.data, conda
            )
        for pypi in values:
            if not _PYPI_NAME.fullmatch(pypi):
                raise src.error(conda, f"{pypi!r} is not a valid PyPI project name", src.data, conda)
        overrides[conda] = tuple(canonicalize_name(v) for v in values)
    return overrides


def conda_provided(packages: Iterable[NameVersion], mapping: PypiMapping) -> dict[str, Provided]:
    """PEP 503 PyPI name -> the distribution conda provides, for every Python distribution in ``packages``.

    Virtual packages and versions that are not PEP 440 (conda allows a few more) provide nothing. When two
    conda packages claim one PyPI name (``pytorch``/``pytorch-cpu`` -> ``torch``), the one whose own name
    matches wins, then the first by name, so the answer does not depend on the lock's order.
    """
    provided: dict[str, Provided] = {}
    for package in sorted(packages, key=lambda p: p.name):
        if package.name.startswith("__"):
            continue
        try:
            version = str(Version(package.version))
        except InvalidVersion:
            continue
        for pypi in mapping.pypi_names(package.name):
            previous = provided.get(pypi)
            if previous is None or (
                canonicalize_name(previous.conda_name) != pypi and canonicalize_name(package.name) == pypi
            ):
                provided[pypi] = Provided(pypi, version, package.name)
    return provided
