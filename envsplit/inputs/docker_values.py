"""Values from envsplit.yml that end up in a Dockerfile or docker-bake.hcl, checked against what they may hold.

A Dockerfile is line-based and its RUN lines go to a shell; a bake file is HCL, where ``${`` interpolates.
So a newline in ``docker.prefix`` would add an instruction and a ``;`` or ``$(...)`` would run at build
time. Each value is held to the grammar Docker itself accepts for it, which leaves nothing to interpret.
"""

from __future__ import annotations

import re
from typing import Any

from envsplit.inputs.yaml_lines import Source

# The image reference grammar of github.com/distribution/reference (regexp.go), ASCII only.
_ALNUM = r"[a-z0-9]+"
_PATH_COMPONENT = rf"{_ALNUM}(?:(?:[._]|__|-+){_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"{_NAME}(?::{_TAG})?(?:@{_DIGEST})?", re.ASCII)
# What a registry can be pushed to: a name and a tag, never a digest (a digest names content, not a place).
_PUBLISHED = re.compile(rf"{_NAME}(?::{_TAG})?", re.ASCII)
# github.com/opencontainers/go-digest: a sha256 digest is exactly 64 lower-case hex digits.
_SHA256 = re.compile(r"sha256:[0-9a-f]{64}", re.ASCII)
_REPOSITORY = re.compile(_NAME, re.ASCII)
_NAME_MAX = 255  # Docker's limit on the name part of a reference
# Folders: plain segments only, so a path is one shell word and one --mount option value.
_SEGMENT = r"[A-Za-z0-9._+-]+"
_PREFIX = re.compile(rf"(?:/{_SEGMENT})+", re.ASCII)
_FOLDER = re.compile(rf"/?{_SEGMENT}(?:/{_SEGMENT})*/?", re.ASCII)

_PATH_CHARS = "letters, digits and '.', '_', '+', '-' between the slashes"


def _name_part(reference: str) -> str:
    name = reference.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def is_reference(value: str) -> bool:
    """Whether ``value`` is an image reference Docker accepts (``name[:tag][@digest]``)."""
    if not (_REFERENCE.fullmatch(value) and len(_name_part(value)) <= _NAME_MAX):
        return False
    digest = value.partition("@")[2]
    return not digest.startswith("sha256:") or bool(_SHA256.fullmatch(digest))


def is_published_reference(value: str) -> bool:
    """Whether ``value`` can be pushed to: ``name[:tag]`` with a lower-case repository path."""
    return bool(_PUBLISHED.fullmatch(value)) and len(_name_part(value)) <= _NAME_MAX


def repository_of(reference: str) -> str:
    """``reference`` without its tag and digest: the repository a push by digest goes to."""
    return _name_part(reference)


def check_output_folder(src: Source, data: Any) -> None:
    """Raise ``file:line: output: problem`` unless envsplit.yml's ``output`` is a plain folder path."""
    output = data.get("output")
    if isinstance(output, str) and not _FOLDER.fullmatch(output.strip()):
        raise src.error("output", f"{output!r} is not a plain folder path; use {_PATH_CHARS}", data, "output")


def check_docker_value(src: Source, docker: Any, key: str) -> None:
    """Raise ``file:line: docker.KEY: problem`` unless the (shape-checked) string ``docker[key]`` may reach a
    Dockerfile as written: a trailing newline would end a Dockerfile line, so it is refused, not stripped."""
    value = docker[key]
    entry = f"docker.{key}"
    if key == "prefix" and (not _PREFIX.fullmatch(value) or "/../" in f"{value}/"):
        raise src.error(
            entry,
            f"{value!r} is not a plain absolute folder such as /opt/conda; use {_PATH_CHARS}",
            docker,
            key,
        )
    if key == "output" and not _FOLDER.fullmatch(value):
        raise src.error(entry, f"{value!r} is not a plain folder path; use {_PATH_CHARS}", docker, key)
    if key in ("image", "micromamba") and not is_reference(value):
        raise src.error(entry, f"{value!r} is not an image reference such as ubuntu:24.04", docker, key)
    if key == "repository" and not (_REPOSITORY.fullmatch(value) and len(value) <= _NAME_MAX):
        raise src.error(
            entry,
            f"{value!r} is not an image repository such as ghcr.io/me/images (no tag, no digest)",
            docker,
            key,
        )


def check_variant_image(src: Source, variants: Any, name: Any, repository: str) -> None:
    """Raise ``file:line: variants.NAME...: problem`` unless the variant's FROM image and its own tag
    ``<repository>:<name>`` are image references Docker accepts."""
    config = variants[name]
    image = (config or {}).get("image")
    if isinstance(image, str) and not is_reference(image):
        raise src.error(
            f"variants.{name}.image",
            f"{image!r} is not an image reference such as ubuntu:24.04",
            config,
            "image",
        )
    if not (isinstance(name, str) and is_reference(f"{repository}:{name}")):
        raise src.error(
            f"variants.{name if str(name).isprintable() else repr(name)}",
            "variant names are image tags (<repository>:<variant>): at most 128 letters, digits, "
            "'.', '_' and '-', on one line",
            variants,
            name,
        )
