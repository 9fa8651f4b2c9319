"""A composed variant as environment.yml text, for review and for tools that want one."""

from __future__ import annotations

import io
import sys
from typing import Any

from envsplit.generated import Header, regenerate_command
from envsplit.models import VariantSpec


def _dump(document: dict[str, Any]) -> str:
    # A YAML emitter, not string formatting: a spec or pip entry holding a newline, '#', ': ' or a
    # quote comes out quoted, so the text parses back to exactly this environment and nothing more.
    from ruamel.yaml import YAML
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    yaml_1_1 = VersionedResolver(version=(1, 1))
    str_tag = "tag:yaml.org,2002:str"

    def represent_str(representer: Any, value: str) -> Any:
        # The emitter follows YAML 1.2; readers still on YAML 1.1 (PyYAML) take 'yes' or '1_0' for
        # something other than text, so those are quoted as well.
        # Line and paragraph separators would be folded to spaces in any style but double quotes.
        plain = value.isprintable() and yaml_1_1.resolve(ScalarNode, value, (True, False)) == str_tag
        return representer.represent_scalar(str_tag, value, style=None if plain else '"')

    yaml = YAML(typ="rt", pure=True)
    yaml.representer.add_representer(str, represent_str)
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = sys.maxsize  # one entry per line: a long spec is never folded
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def dump_yaml(document: Any) -> str:
    """``document`` as block YAML that parses back to exactly it (public: envsplit import writes overlays)."""
    return _dump(document)


def environment_yaml(variant: VariantSpec, env_name: str | None) -> str:
    fields = [
        ("variant", variant.name + (f" (base: {variant.base})" if variant.base else "")),
        ("overlays", ", ".join(variant.overlays) or "none"),
        ("platforms", ", ".join(variant.platforms)),
    ]
    for platform in variant.platforms:
        vps = " ".join(f"{k}={v}" for k, v in variant.virtual_packages_for(platform).items())
        fields.append((f"virtual packages on {platform}", vps))
    header = Header(
        "environment.yml composed for one variant", regenerate_command("show", variant.name), tuple(fields)
    )
    dependencies: list[Any] = [d.spec for d in variant.dependencies]
    if variant.pip:
        dependencies.append({"pip": list(variant.pip)})
    document = {
        "name": f"{env_name}-{variant.name}" if env_name else variant.name,
        "channels": list(variant.channels),
        "dependencies": dependencies,
    }
    return "".join(f"{line}\n" for line in header.comment_lines()) + _dump(document)
