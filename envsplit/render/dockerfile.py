"""Dockerfile text for one variant: install its explicit lock for TARGETARCH, no solver at build time."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Collection, Sequence

from envsplit.generated import Header, regenerate_command, seal
from envsplit.lockfile import explicit_name, layer_name
from envsplit.models import DockerConfig, VariantSpec
from envsplit.platforms import DOCKER_ARCH
from envsplit.render.base_image import IMAGE_PACKAGES, BaseImage
from envsplit.render.regions import begin_marker, end_marker

_MOUNT = "/mnt/envsplit-locks"

# The cleanup the rocker images added by hand, in the same layer so the bytes never land in the image.
_CLEANUP = (
    "{micromamba} clean --all --yes",
    r"find {prefix} -follow -type f \( -name '*.pyc' -o -name '*.a' \) -delete",
    "find {prefix} -type d -name __pycache__ -prune -exec rm -rf {{}} +",
    # Files other users left in /tmp live in lower layers anyway; only this step's leftovers matter.
    # Braces keep '|| true' from swallowing a failed install earlier in the && chain.
    "{{ rm -rf /tmp/* 2>/dev/null || true; }}",
)


def _pip_lines(
    spec: VariantSpec, python: str, platforms: list[str], pip_platforms: Collection[str]
) -> list[str]:
    """The pip step: a second case picks the pip file (the first one's arms stay ``<arch>) lock=<file> ;;``)."""
    with_pip = [p for p in platforms if p in pip_platforms]
    if not with_pip:
        return []
    # The lock holds every distribution with its hash; --no-deps keeps pip from reaching for anything else.
    install = f'{python} -m pip install --no-deps --require-hashes --no-cache-dir -r "${{pip}}"'
    lines = [' && case "${TARGETARCH}" in \\']
    lines += [
        f"      {DOCKER_ARCH[p]}) pip={_MOUNT}/{pip_name(p, spec.base is not None)} ;; \\" for p in with_pip
    ]
    if len(with_pip) == len(platforms):
        return [*lines, "    esac \\", f" && {install} \\"]
    # Some platforms locked no pip package: their builds skip the step.
    return [*lines, '      *) pip="" ;; \\', "    esac \\", f' && {{ [ -z "${{pip}}" ] || {install}; }} \\']


def dockerfile_path(docker: DockerConfig, variant: str) -> str:
    return f"{docker.output}/Dockerfile.{variant}"


def pip_name(platform: str, layer: bool) -> str:
    """The pip file an image installs on ``platform``: an extension's own additions, else every pip package."""
    return f"pip-layer-{platform}.txt" if layer else f"pip-{platform}.txt"


def _user_lines(user: str) -> list[str]:
    # root on purpose: the install writes the prefix; the after-install section picks the final user.
    # Named users (root, mambauser) exist in the images the table names, so their names resolve.
    ignore = [
        rule for rule, applies in (("DL3002", user == "root"), ("DL3066", not user.isdigit())) if applies
    ]
    return [f"# hadolint ignore={','.join(ignore)}"] * bool(ignore) + [f"USER {user}"]


def render(
    spec: VariantSpec,
    docker: DockerConfig,
    lock_dir: str,
    base_image: BaseImage,
    tag: str,
    base_tag: str | None = None,
    pip_platforms: Collection[str] = (),
) -> str:
    """The sealed Dockerfile of ``spec`` with default user sections; ``lock_dir`` is relative to the build
    context. ``base_image`` says what the chain's FROM image holds; ``tag`` is the image's first reference
    (or its variant name when it publishes none), ``base_tag`` the base variant's first reference.
    ``pip_platforms``: the platforms whose lock folder holds a pip file (see :func:`pip_name`), installed with
    pip right after the conda lock.
    """
    platforms = [p for p in spec.platforms if p in DOCKER_ARCH]
    header = Header(
        "Dockerfile",
        regenerate_command("dockerfile"),
        (("variant", spec.name), ("locks", f"{lock_dir}/")),
        user_sections=True,
    )
    # A parser directive must be the file's first line, or Docker reads it as a comment.
    head = ["# syntax=docker/dockerfile:1", *header.comment_lines()]
    lines = [
        f"# Build from the project root: docker buildx build --platform "
        f"{','.join('linux/' + DOCKER_ARCH[p] for p in platforms)} -f {dockerfile_path(docker, spec.name)} -t {tag} .",
        f"# Assumes: {base_image.assumption()}",
    ]
    if spec.base is None:
        lines += [
            f"FROM {docker.micromamba} AS micromamba",
            "",
            f"FROM {base_image.image}",
        ]
    else:
        lines += [
            f"# Built FROM the {spec.base!r} image: only the packages this variant adds are installed.",
            f"ARG BASE_IMAGE={base_tag}",
            "# hadolint ignore=DL3006",
            "FROM ${BASE_IMAGE}",
        ]
    lines += [
        "ARG TARGETARCH",
        'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
        *_user_lines(base_image.user),
    ]
    if spec.base is None:
        lines += [
            f"ENV MAMBA_ROOT_PREFIX={base_image.prefix} \\",
            f"    PATH={base_image.prefix}/bin:${{PATH}}",
            "COPY --from=micromamba /bin/micromamba /usr/local/bin/micromamba",
        ]
    lines += [
        "",
        begin_marker("before-install"),
        "# Runs before the install, as the user above (who must be able to write the prefix).",
        "# The image needs CA certificates.",
        end_marker("before-install"),
        "",
    ]
    # The image's own packages (conda, mamba, ...) stay; the smoke test accepts exactly these.
    keeps_image_packages = spec.base is None and base_image.installer == "conda"
    # read_project admits only plain paths as the prefix; quoting is the second line of defence for the shell.
    lines += install_step(
        spec, lock_dir, pip_platforms, base_image.prefix, list_image_packages=keeps_image_packages
    )
    lines += [
        "",
        begin_marker("after-install"),
        "# Users, permissions, ENTRYPOINT and CMD go here, e.g. 'USER 1000'.",
        end_marker("after-install"),
    ]
    return seal(head, "\n".join(lines) + "\n")


def install_step(
    spec: VariantSpec,
    lock_dir: str,
    pip_platforms: Collection[str],
    prefix: str,
    mounts: Sequence[str] = (),
    micromamba: str = "micromamba",
    quote: Callable[[str], str] = shlex.quote,
    list_image_packages: bool = False,
) -> list[str]:
    """The RUN instruction that installs ``spec``'s lock for TARGETARCH into ``prefix`` (``quote`` makes a
    path one shell word), then its pip file, and cleans up in the same layer. ``mounts``: more ``--mount=``
    flags; ``micromamba``: the command that runs micromamba; ``list_image_packages``: first record the
    packages the FROM image already holds (see envsplit/render/base_image.py). An adopted Dockerfile
    (envsplit/render/adopt.py) runs this same step.
    """
    platforms = [p for p in spec.platforms if p in DOCKER_ARCH]
    files = [f"{lock_dir}/{(layer_name if spec.base else explicit_name)(p)}" for p in platforms]
    arches = " ".join(DOCKER_ARCH[p] for p in platforms)
    lines = [
        # A bind mount, not COPY: the lockfiles never land in a layer and need no cleanup.
        f"RUN --mount=type=bind,source={lock_dir},target={_MOUNT} \\",
        *(f"    {mount} \\" for mount in mounts),
        '    case "${TARGETARCH}" in \\',
    ]
    for platform, path in zip(platforms, files, strict=True):
        lines.append(f"      {DOCKER_ARCH[platform]}) lock={_MOUNT}/{path.rsplit('/', 1)[-1]} ;; \\")
    lines += [
        f'      *) echo "envsplit: {spec.name} has no lock for TARGETARCH=${{TARGETARCH}} (locked: {arches})" >&2; '
        "exit 1 ;; \\",
        "    esac \\",
        # conda-meta/ makes the folder an environment, so one command serves a fresh image and a base image.
        f" && mkdir -p {quote(prefix + '/conda-meta')} \\",
    ]
    if list_image_packages:
        listing = quote(f"{prefix}/{IMAGE_PACKAGES}")
        lines.append(
            f" && find {quote(prefix + '/conda-meta')} -maxdepth 1 -name '*.json' "
            f"-printf '%f\\n' | sort > {listing} \\"
        )
    lines += [
        f' && {micromamba} install --yes --prefix {quote(prefix)} --file "${{lock}}" \\',
        *_pip_lines(spec, quote(prefix + "/bin/python"), platforms, pip_platforms),
    ]
    cleanup = [step.format(prefix=quote(prefix), micromamba=micromamba) for step in _CLEANUP]
    lines += [f" && {step} \\" for step in cleanup[:-1]]
    return [*lines, f" && {cleanup[-1]}"]
