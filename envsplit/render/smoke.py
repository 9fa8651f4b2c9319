"""The smoke test of each image: bake targets ``test-<variant>`` (group ``test``) build FROM the image just
built and run the check script (envsplit/smoke/check.py, copied next to the Dockerfiles) in a RUN step.

A bake target, not a ``docker run`` in the workflow: it runs inside BuildKit on the image of each platform
without loading it into a Docker daemon, and `docker buildx bake test` does the same on a laptop.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from envsplit.generated import Header, regenerate_command, seal
from envsplit.models import DockerConfig, VariantSpec
from envsplit.platforms import DOCKER_ARCH

SMOKE_DOCKERFILE = "smoke-test.Dockerfile"
CHECK_SCRIPT = "smoke_check.py"
_LOCKS = "/mnt/envsplit-locks"
_CHECK = "/mnt/envsplit-smoke/" + CHECK_SCRIPT


@dataclass(frozen=True)
class SmokeTarget:
    lock_dir: str  # the variant's lock folder, relative to the project root
    prefix: str
    requested: tuple[str, ...]  # conda and pip names the environment asks for
    cpu_platforms: tuple[str, ...]  # platforms without __cuda: no CUDA build allowed


def smoke_target(spec: VariantSpec, lock_dir: str, prefix: str) -> SmokeTarget:
    pip = {m.group(0) for m in (re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", p) for p in spec.pip) if m}
    names = {d.name for d in spec.dependencies} | pip
    cpu = tuple(
        p for p in spec.platforms if p in DOCKER_ARCH and "__cuda" not in spec.virtual_packages_for(p)
    )
    return SmokeTarget(lock_dir, prefix, tuple(sorted(n for n in names if n)), cpu)


def has_python(spec: VariantSpec) -> bool:
    """Whether the variant asks for python (or pip packages, which need it): the check script runs on it.

    Decided from the inputs, not the locks, so the bake file does not change with which locks exist.
    """
    return bool(spec.pip) or any(d.name == "python" for d in spec.dependencies)


def smoke_targets(
    specs: list[VariantSpec], docker: DockerConfig, tests: Mapping[str, SmokeTarget]
) -> list[str]:
    """The bake file's ``test`` group and one ``test-<variant>`` target per tested variant."""
    tested = [s for s in specs if s.name in tests]
    if not tested:
        return []
    lines = [
        "",
        "# Smoke tests: docker buildx bake -f " + f"{docker.output}/docker-bake.hcl test",
        'group "test" {',
        f"  targets = {json.dumps(['test-' + s.name for s in tested])}",
        "}",
    ]
    for spec in tested:
        t = tests[spec.name]
        platforms = [f"linux/{DOCKER_ARCH[p]}" for p in spec.platforms if p in DOCKER_ARCH]
        args = {
            "PREFIX": t.prefix,
            "REQUESTED": " ".join(t.requested),
            "CPU_PLATFORMS": " ".join(t.cpu_platforms),
        }
        lines += [
            "",
            f"target {json.dumps('test-' + spec.name)} {{",
            '  context = "."',
            f"  dockerfile = {json.dumps(docker.output + '/' + SMOKE_DOCKERFILE)}",
            f"  platforms = {json.dumps(platforms)}",
            "  args = { " + ", ".join(f"{k} = {json.dumps(v)}" for k, v in args.items()) + " }",
            f"  contexts = {{ image = {json.dumps('target:' + spec.name)}, locks = {json.dumps(t.lock_dir)} }}",
            '  output = ["type=cacheonly"]',
            "}",
        ]
    return lines


def render_dockerfile(docker: DockerConfig) -> str:
    """Dockerfile.smoke-test: FROM the image under test, run the check on the lock of TARGETARCH."""
    header = Header("smoke test Dockerfile of every image", regenerate_command("dockerfile"))
    cases = [f"      {arch}) platform={platform} ;; \\" for platform, arch in DOCKER_ARCH.items()]
    script = shlex.quote(f"{docker.output}/{CHECK_SCRIPT}")
    lines = [
        "# Built by the bake file's test-<variant> targets, which give the named contexts 'image' (the image",
        "# under test) and 'locks' (its lock folder) and the build args below; it outputs nothing.",
        "# hadolint ignore=DL3006",
        "FROM image",
        "ARG TARGETARCH",
        "ARG PREFIX=/opt/conda",
        'ARG REQUESTED=""',
        'ARG CPU_PLATFORMS=""',
        'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
        f"RUN --mount=type=bind,from=locks,target={_LOCKS} \\",
        f"    --mount=type=bind,source={script},target={_CHECK} \\",
        '    case "${TARGETARCH}" in \\',
        *cases,
        '      *) echo "envsplit: no platform for TARGETARCH=${TARGETARCH}" >&2; exit 1 ;; \\',
        "    esac \\",
        ' && cpu="" \\',
        ' && case " ${CPU_PLATFORMS} " in *" ${platform} "*) cpu=--cpu ;; esac \\',
        f' && "${{PREFIX}}/bin/python" {_CHECK} --prefix "${{PREFIX}}" \\',
        f'    --explicit "{_LOCKS}/conda-${{platform}}.lock" --pip "{_LOCKS}/pip-${{platform}}.txt" \\',
        '    --requested "${REQUESTED}" ${cpu:+"${cpu}"}',
    ]
    return seal(["# syntax=docker/dockerfile:1", *header.comment_lines()], "\n".join(lines) + "\n")


def render_check_script() -> str:
    """The check module, verbatim, under the generated header."""
    header = Header("smoke test of an image (runs inside it)", regenerate_command("dockerfile"))
    source = (Path(__file__).parent.parent / "smoke" / "check.py").read_text(encoding="utf-8")
    return seal(header.comment_lines(), source)
