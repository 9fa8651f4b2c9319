"""``envsplit dockerfile``."""

from __future__ import annotations

import click

from envsplit.cli import cli
from envsplit.errors import InputError
from envsplit.inputs.project import read_project
from envsplit.render import stale_dockerfiles, write_dockerfiles


@cli.command("dockerfile")
@click.option("--variant", "variants", multiple=True, metavar="NAME", help="Only this variant. Repeatable.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if a Dockerfile is out of date.")
@click.pass_obj
def dockerfile_command(obj: dict, variants: tuple[str, ...], check: bool) -> None:
    """Render dockerfiles/Dockerfile.<variant>, docker-bake.hcl and the build workflow from the locks.

    Each Dockerfile installs the variant's explicit lock for the build's
    TARGETARCH (amd64 -> linux-64, arm64 -> linux-aarch64) with micromamba and
    no solver, and cleans caches in the same layer. A variant with a base is
    built FROM the base's image (build arg BASE_IMAGE) and installs only its
    layer file. The '# >>> user:' sections are yours and are kept on
    re-render; a hand edit anywhere else is refused. `envsplit lock` renders
    them too unless given --no-dockerfiles.

    Also written: the smoke test of each image (bake group 'test':
    smoke-test.Dockerfile running smoke_check.py inside the image) and the
    build workflow .github/workflows/build-images.yml (docker.workflow in
    envsplit.yml; false for none). Example:

        envsplit dockerfile && docker buildx bake -f dockerfiles/docker-bake.hcl test
    """
    project = read_project(obj["project"])
    for name in variants:
        if name not in project.variants:
            raise InputError(
                f"--variant {name}: no such variant in {project.config.name}; declared: {', '.join(project.variants)}"
            )
    if check:
        stale = stale_dockerfiles(project)
        for path in stale:
            click.echo(f"stale: {path}")
        if stale:
            raise click.exceptions.Exit(1)
        if obj["verbosity"] >= 0:
            click.echo("all Dockerfiles are up to date")
        return
    written, _ = write_dockerfiles(project, variants)
    if obj["verbosity"] >= 0:
        click.echo(f"{len(written)} file(s) written" + "".join(f"\n  {p}" for p in written))
