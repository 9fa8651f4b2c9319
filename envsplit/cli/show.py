"""``envsplit show``."""

from __future__ import annotations

import click

from envsplit.cli import cli
from envsplit.inputs.compose import compose
from envsplit.inputs.project import read_project
from envsplit.inputs.show import environment_yaml


@cli.command("show")
@click.argument("variant")
@click.pass_obj
def show_command(obj: dict, variant: str) -> None:
    """Print the composed environment of VARIANT as environment.yml text."""
    project = read_project(obj["project"])
    spec = compose(project, variant)
    click.echo(environment_yaml(spec, project.environment.name), nl=False)
