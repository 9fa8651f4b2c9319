"""A composed variant as environment.yml text, for review and for tools that want one."""

from __future__ import annotations

import json

from . import __version__
from .models import VariantSpec


def _quote(value: str) -> str:
    # JSON strings are valid YAML scalars; quote only what YAML would misread.
    plain = value and value[0] not in "!&*-:?{}[],#|>@`\"'%" and ": " not in value and " #" not in value
    return value if plain else json.dumps(value)


def environment_yaml(variant: VariantSpec, env_name: str | None) -> str:
    lines = [
        f"# Composed by envsplit {__version__}; regenerate with: envsplit show {variant.name}",
        f"# variant: {variant.name}" + (f" (base: {variant.base})" if variant.base else ""),
        f"# overlays: {', '.join(variant.overlays) or 'none'}",
        f"# platforms: {', '.join(variant.platforms)}",
    ]
    for platform in variant.platforms:
        vps = " ".join(f"{k}={v}" for k, v in variant.virtual_packages_for(platform).items())
        lines.append(f"# virtual packages on {platform}: {vps}")
    lines.append(f"name: {_quote(f'{env_name}-{variant.name}' if env_name else variant.name)}")
    lines.append("channels:")
    lines += [f"  - {_quote(c)}" for c in variant.channels]
    lines.append("dependencies:" if variant.dependencies or variant.pip else "dependencies: []")
    lines += [f"  - {_quote(d.spec)}" for d in variant.dependencies]
    if variant.pip:
        lines.append("  - pip:")
        lines += [f"      - {_quote(p)}" for p in variant.pip]
    return "\n".join(lines) + "\n"
