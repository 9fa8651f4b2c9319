"""``envsplit images``."""

from __future__ import annotations

import click

from envsplit.cli import cli
from envsplit.inputs.project import read_project
from envsplit.render.image_table import as_json, as_text, image_rows


@cli.command("images")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.pass_obj
def images_command(obj: dict, fmt: str) -> None:
    """Print each variant's base image, the references it is published as, and its platforms.

    The references come from the variant's 'images:' in envsplit.yml, else from
    the 'docker: images:' patterns. Example:

        envsplit images --format json
    """
    rows = image_rows(read_project(obj["project"]))
    click.echo(as_json(rows) if fmt == "json" else as_text(rows), nl=False)
