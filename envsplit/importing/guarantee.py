"""The import's guarantee: every variant, composed by envsplit's own reader, is exactly its input file.

"Exactly": the same dependency specs, the same channels in the same order, the same pip requirements.
Specs and pip entries are compared as sets: an overlay's ``add`` appends, so a package the shared part
lacks may sit elsewhere in the list than in the file, which changes nothing a solver sees.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from envsplit.errors import InputError
from envsplit.importing.read import EnvFile


def _problems(
    variant: str, env: EnvFile, specs: set[str], channels: tuple[str, ...], pip: set[str]
) -> list[str]:
    wanted = {d.spec for d in env.dependencies}
    found = []
    for spec in sorted(wanted - specs):
        found.append(f"dependencies: {spec!r} is missing from variant {variant!r}")
    for spec in sorted(specs - wanted):
        found.append(f"dependencies: variant {variant!r} has {spec!r}, which the file does not")
    if channels != env.channels:
        found.append(
            f"channels: variant {variant!r} has {', '.join(channels) or 'none'}, the file "
            f"{', '.join(env.channels) or 'none'}"
        )
    for req in sorted(set(env.pip) - pip):
        found.append(f"pip: {req!r} is missing from variant {variant!r}")
    for req in sorted(pip - set(env.pip)):
        found.append(f"pip: variant {variant!r} has {req!r}, which the file does not")
    return found


def check_guarantee(files: dict[str, str], variants: dict[str, EnvFile]) -> None:
    """Write ``files`` (relative path -> text) to a temporary folder, compose every variant and compare it
    with its input file; an InputError names each file and entry that would differ."""
    from envsplit.inputs.compose import compose
    from envsplit.inputs.project import read_project

    with tempfile.TemporaryDirectory(prefix="envsplit-import-") as tmp:
        root = Path(tmp)
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")
        problems: list[str] = []
        try:
            project = read_project(root)
            cache: dict = {}
            for variant, env in variants.items():
                spec = compose(project, variant, cache)
                found = _problems(
                    variant, env, {d.spec for d in spec.dependencies}, spec.channels, set(spec.pip)
                )
                problems.extend(f"{env.label}: {p}" for p in found)
        except InputError as exc:
            text = str(exc).replace(f"{root}/", "").replace(str(root), ".")
            problems = [f"the imported project does not compose: {line}" for line in text.splitlines()]
    if problems:
        raise InputError(
            "\n".join(
                f"{p}; import cannot reproduce this file, so nothing was written (please report it)"
                for p in problems
            )
        )
