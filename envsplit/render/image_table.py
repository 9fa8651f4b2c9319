"""The table ``envsplit images`` prints: each variant's FROM, the references it publishes, its platforms."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from envsplit.inputs.compose import variant_order
from envsplit.inputs.image_config import references
from envsplit.models import Project
from envsplit.platforms import DOCKER_ARCH
from envsplit.render.base_image import for_variant


@dataclass(frozen=True)
class ImageRow:
    variant: str
    base: str  # the FROM image, or "<variant> image" for an extension
    installer: str  # what the bottom image of the chain holds: micromamba, conda or none
    references: tuple[str, ...]
    platforms: tuple[str, ...]  # Docker platforms, linux/amd64 ...


def image_rows(project: Project) -> list[ImageRow]:
    """One row per variant, bases before the variants built FROM them."""
    rows = []
    for name in variant_order(project):
        variant = project.variants[name]
        base = for_variant(project, name)
        rows.append(
            ImageRow(
                variant=name,
                base=f"{variant.base} image" if variant.base else base.image,
                installer=base.installer,
                references=references(project.docker, variant),
                platforms=tuple(f"linux/{DOCKER_ARCH[p]}" for p in project.platforms if p in DOCKER_ARCH),
            )
        )
    return rows


def as_json(rows: list[ImageRow]) -> str:
    return json.dumps([asdict(r) for r in rows], indent=2) + "\n"


def as_text(rows: list[ImageRow]) -> str:
    """Aligned columns; a variant publishing several references takes one line per reference."""
    table = [("VARIANT", "BASE", "REFERENCES", "PLATFORMS")]
    for row in rows:
        refs = row.references or ("(not published)",)
        table.append((row.variant, row.base, refs[0], ",".join(row.platforms)))
        table += [("", "", ref, "") for ref in refs[1:]]
    widths = [max(len(line[i]) for line in table) for i in range(3)]
    return "".join(
        ("  ".join(cell.ljust(w) for cell, w in zip(line[:3], widths, strict=True)) + "  " + line[3]).rstrip()
        + "\n"
        for line in table
    )
