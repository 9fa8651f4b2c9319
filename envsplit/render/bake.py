"""docker-bake.hcl: every variant x architecture in one `docker buildx bake`, extensions FROM fresh bases.

Chosen over a GitHub Actions matrix because bake's `contexts = {"<base tag>" = "target:<base>"}` builds
an extension on the base image built in the same run, without pushing it first.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from envsplit.generated import Header, regenerate_command, seal
from envsplit.models import DockerConfig, VariantSpec
from envsplit.platforms import DOCKER_ARCH
from envsplit.render.dockerfile import dockerfile_path
from envsplit.render.smoke import SmokeTarget, smoke_targets


def render(
    specs: list[VariantSpec],
    docker: DockerConfig,
    refs: Mapping[str, tuple[str, ...]],
    tests: Mapping[str, SmokeTarget] | None = None,
    adopted: Mapping[str, str] | None = None,
) -> str:
    """The sealed bake file; it has no user sections (a second -f file holds the user's own targets).

    ``refs``: every reference each variant is published as (the first is what extensions build FROM);
    ``tests``: the variants with a smoke test target, see envsplit/render/smoke.py;
    ``adopted``: variant -> the hand-written Dockerfile it builds (envsplit/render/adopt.py).
    """
    adopted = adopted or {}
    names = [s.name for s in specs]
    header = Header("docker buildx bake file of every variant", regenerate_command("dockerfile"))
    lines = [
        f"# Build every image from the project root: docker buildx bake -f {docker.output}/docker-bake.hcl",
        "",
        'group "default" {',
        f"  targets = {json.dumps(names)}",
        "}",
    ]
    for spec in specs:
        platforms = [f"linux/{DOCKER_ARCH[p]}" for p in spec.platforms if p in DOCKER_ARCH]
        lines += [
            "",
            f"target {json.dumps(spec.name)} {{",
            '  context = "."',
            f"  dockerfile = {json.dumps(adopted.get(spec.name) or dockerfile_path(docker, spec.name))}",
            f"  platforms = {json.dumps(platforms)}",
            f"  tags = {json.dumps(list(refs[spec.name]))}",
        ]
        if spec.base is not None:
            base_tag = refs[spec.base][0]
            lines += [
                f"  args = {{ BASE_IMAGE = {json.dumps(base_tag)} }}",
                f"  contexts = {{ {json.dumps(base_tag)} = {json.dumps('target:' + spec.base)} }}",
            ]
        lines.append("}")
    lines += smoke_targets(specs, docker, tests or {})
    return seal(header.comment_lines(), "\n".join(lines) + "\n")
