"""The text of the imported project's files: environment.yml (the first file's, comments kept), the overlays,
envsplit.yml. They are the user's to edit from now on, so they carry a note of their origin, not the
"do not edit" header of generated files."""

from __future__ import annotations

import copy
import io
import json
import sys
from pathlib import Path
from typing import Any

from envsplit.generated import header_length
from envsplit.importing.comments import delete
from envsplit.importing.extends import Reading
from envsplit.importing.factor import Factored, OverlayOps
from envsplit.importing.read import EnvFile
from envsplit.inputs.show import dump_yaml
from envsplit.inputs.values import parse_dependency
from envsplit.inputs.yaml_lines import Where


def _rt_dump(document: Any) -> str:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = sys.maxsize
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _name(item: Any) -> str:
    return parse_dependency(item, Where(Path(), None, "")).name


def environment_text(factored: Factored, sources: list[EnvFile]) -> str:
    """The first root file with only the shared entries left (and the shared spec where files disagreed)."""
    shared, first = factored.shared, factored.first
    doc = copy.deepcopy(first.document)
    if tuple(first.channels) != shared.channels:
        if shared.channels:
            seq = doc["channels"]
            for i in reversed(range(len(seq))):
                if seq[i] not in shared.channels and seq[i] != "nodefaults":  # the reader ignores it
                    delete(seq, i)
        else:
            del doc["channels"]
    deps = doc["dependencies"]
    for i in reversed(range(len(deps))):
        item = deps[i]
        if isinstance(item, dict):
            pip = item["pip"]
            for j in reversed(range(len(pip))):
                if str(pip[j]).strip() not in shared.pip:
                    delete(pip, j)
            if not shared.pip:
                delete(deps, i)
            continue
        name = _name(item)
        if name not in shared.specs:
            delete(deps, i)
        elif shared.specs[name] != str(item).strip():
            deps[i] = shared.specs[name]
    origin = ", ".join(f.label for f in sources)
    note = (
        f"# Imported by 'envsplit import' from {origin}: what the files share. Yours to edit;\n"
        "# each variant's differences are in overlays/ (see envsplit.yml).\n"
    )
    # A first file written by envsplit (`envsplit show` output) keeps its comments but not its header:
    # the header describes that output, not the project being imported.
    lines = _rt_dump(doc).splitlines(keepends=True)
    return note + "".join(lines[header_length(lines) :])


def overlay_text(variant: str, env: EnvFile, reference: str, ops: OverlayOps, additive: bool = False) -> str:
    document: dict[str, Any] = {}
    if ops.virtual_packages:
        document["virtual-packages"] = ops.virtual_packages
    if ops.channels:
        document["channels"] = ops.channels
    if ops.remove:
        document["remove"] = ops.remove
    if ops.replace:
        document["replace"] = dict(ops.replace)
    if ops.add:
        document["add"] = ops.add
    pip = {k: v for k, v in (("remove", ops.pip_remove), ("add", ops.pip_add)) if v}
    if pip:
        document["pip"] = pip
    note = f"# Variant {variant!r}: what {env.label} differs by from {reference}.\n"
    if additive:
        # The file lists only additions (mamba env update on the base image): it is not the environment.
        note = (
            f"# Variant {variant!r}: what {env.label} adds to {reference}; the file lists only\n"
            "# additions and is read as `mamba env update` reads it.\n"
        )
    return note + dump_yaml(document)


def config_text(
    variants: dict[str, EnvFile],
    bases: dict[str, str],
    with_overlay: set[str],
    dockerfiles: dict[str, str],
    additive: set[str],
) -> str:
    lines = [
        f"# envsplit project imported by 'envsplit import' from {', '.join(e.label for e in variants.values())}.",
        "version: 1",
        "environment: environment.yml",
        "variants:",
    ]
    for variant, env in variants.items():
        fields = []
        if variant in bases:
            fields.append(f"base: {bases[variant]}")
        if variant in with_overlay:
            fields.append(f"overlays: [{variant}]")
        if variant in dockerfiles:
            fields.append(f"dockerfile: {json.dumps(dockerfiles[variant])}")  # JSON strings are YAML
        how = " (additive: adds to its base)" if variant in additive else ""
        lines.append(f"  {variant}: {{{', '.join(fields)}}}  # {env.label}{how}")
    return "\n".join(lines) + "\n"


def project_files(
    factored: Factored,
    variants: dict[str, EnvFile],
    bases: dict[str, str],
    dockerfiles: dict[str, str],
    readings: dict[str, Reading],
) -> dict[str, str]:
    """Relative path -> text of every file of the project."""
    additive = {v for v, r in readings.items() if r.additive}
    files = {"environment.yml": environment_text(factored, list(variants.values()))}
    with_overlay = set()
    for variant, ops in factored.overlays.items():
        if ops.empty:
            continue
        base = bases.get(variant)
        reference = (
            f"its base {base!r} ({variants[base].label})" if base else "the shared part (environment.yml)"
        )
        files[f"overlays/{variant}.yml"] = overlay_text(
            variant, variants[variant], reference, ops, variant in additive
        )
        with_overlay.add(variant)
    files["envsplit.yml"] = config_text(variants, bases, with_overlay, dockerfiles, additive)
    return files
