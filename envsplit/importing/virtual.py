"""``--virtual-package VARIANT:NAME=VERSION``: what a file cannot say but its variant needs to lock.

An environment file does not state the machine it is solved for; a CUDA file locks only with a ``__cuda``
virtual package (envsplit refuses CUDA builds without one). The value goes into the variant's overlay,
and extensions inherit it from their base.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from envsplit.errors import InputError
from envsplit.importing.factor import Factored
from envsplit.importing.names import Naming
from envsplit.inputs import yaml_lines as _yaml
from envsplit.inputs.values import parse_virtual_packages

_EXAMPLE = "VARIANT:NAME=VERSION, e.g. --virtual-package cuda:__cuda=12.9"


def _parse(value: str, naming: Naming) -> tuple[str, str, str]:
    variant, sep, rest = value.partition(":")
    name, eq, version = rest.partition("=")
    if not sep or not eq or not variant or not name or not version:
        raise InputError(f"--virtual-package {value}: expected {_EXAMPLE}")
    if variant not in naming.variants:
        raise InputError(
            f"--virtual-package {value}: no variant {variant!r}; variants: {', '.join(naming.variants)}"
        )
    # The overlay reader's own checks, its messages pointing at the option instead of a file.
    src = _yaml.Source(Path(f"--virtual-package {value}"), {name: version})
    parse_virtual_packages(src, src.data, variant, None, None)
    return variant, name, version


def with_virtual_packages(factored: Factored, values: tuple[str, ...], naming: Naming) -> Factored:
    overlays = dict(factored.overlays)
    for value in values:
        variant, name, version = _parse(value, naming)
        ops = overlays[variant]
        overlays[variant] = dataclasses.replace(ops, virtual_packages={**ops.virtual_packages, name: version})
    return dataclasses.replace(factored, overlays=overlays)
