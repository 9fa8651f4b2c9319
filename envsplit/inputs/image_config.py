"""envsplit.yml's image keys: the references each variant publishes, what its FROM image holds, the workflow path.

``docker.images`` holds patterns (``{variant}``, ``{repository}``) every variant publishes unless the variant
lists its own ``images:``. One key, not an ``images:``/``tags:`` pair: in Docker a "tag" is only the part
after the colon, and two spellings of one list would need a rule for a variant that sets both.
"""

from __future__ import annotations

import re
import string
from typing import Any

from envsplit.inputs import yaml_lines as _yaml
from envsplit.inputs.docker_values import _FOLDER, _PREFIX, is_published_reference
from envsplit.inputs.problems import Problems
from envsplit.inputs.values import str_list
from envsplit.models import DockerConfig, VariantConfig

PLACEHOLDERS = ("variant", "repository")
INSTALLERS = ("micromamba", "conda", "none")
DEFAULT_PATTERN = "{repository}:{variant}"
_PUBLISH_HINT = (
    "an image reference to publish such as ghcr.io/me/ml:latest (lower-case name, a tag, no digest)"
)
# A user name or uid[:gid] as Docker's USER takes it; nothing a shell or a Dockerfile line could read further.
_USER_CHARS = set(string.ascii_letters + string.digits + "._-:")


def _fill(pattern: str, variant: str, repository: str) -> str:
    return pattern.format(variant=variant, repository=repository)


def _pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot name images, or None: only known placeholders, and a valid reference once filled."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None]
    except ValueError as exc:
        return f"{pattern!r} is not a pattern ({exc}); write braces only around {{variant}} or {{repository}}"
    unknown = sorted({f for f in fields if f not in PLACEHOLDERS})
    if unknown:
        return f"{pattern!r} uses {{{unknown[0]}}}; the placeholders are {{variant}} and {{repository}}"
    if not is_published_reference(_fill(pattern, "variant", "repository")):
        return f"{pattern!r} is not {_PUBLISH_HINT}"
    return None


def read_docker_images(src: _yaml.Source, docker_raw: Any, problems: Problems) -> tuple[str, ...] | None:
    """``docker.images``: patterns, each checked; None when the key is absent."""
    if "images" not in docker_raw:
        return None
    patterns = str_list(src, docker_raw["images"], "docker.images", docker_raw, "images")
    good = []
    for i, pattern in enumerate(patterns):
        with problems.check():
            problem = _pattern_problem(pattern)
            if problem:
                raise src.error(f"docker.images[{i}]", problem, docker_raw["images"], i)
            good.append(pattern)  # a wrong one is reported once, not again for each variant
    return tuple(good)


def read_workflow(src: _yaml.Source, docker_raw: Any) -> str | None:
    """``docker.workflow``: the build workflow's path in the project, or ``false`` for none."""
    value = docker_raw.get("workflow", DockerConfig.workflow)
    if value is False or value is None:
        return None
    if not isinstance(value, str) or not _FOLDER.fullmatch(value) or value.startswith("/") or ".." in value:
        raise src.error(
            "docker.workflow",
            f"{value!r} is not a file path in the project such as .github/workflows/build-images.yml "
            "(or false for no workflow)",
            docker_raw,
            "workflow",
        )
    return value


_REGISTRY = re.compile(
    r"(?:localhost|[a-z0-9]([a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+)(?::[0-9]+)?"
)
# GitHub's rule for secret names; GITHUB_ names are reserved for GitHub's own.
_SECRET = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def read_registry_secrets(src: _yaml.Source, docker_raw: Any) -> tuple[tuple[str, str, str], ...]:
    """``docker.registry-secrets: {docker.io: [DOCKER_USER, DOCKER_TOKEN]}``: the repository secrets the build
    workflow logs in to a registry with, where a project's names differ from the defaults."""
    raw = docker_raw.get("registry-secrets")
    if raw is None:
        return ()
    entry = "docker.registry-secrets"
    if not isinstance(raw, dict):
        raise src.error(
            entry,
            "expected a mapping of registry host to [USER_SECRET, PASSWORD_SECRET]",
            docker_raw,
            "registry-secrets",
        )
    out = []
    for registry, names in raw.items():
        where = f"{entry}.{registry}"
        if not isinstance(registry, str) or not _REGISTRY.fullmatch(registry):
            raise src.error(
                where, f"{registry!r} is not a registry host such as docker.io or quay.io", raw, registry
            )
        if registry == "ghcr.io":
            raise src.error(
                where,
                "ghcr.io logs in with the workflow's own GITHUB_TOKEN; remove this entry",
                raw,
                registry,
            )
        if (
            not isinstance(names, list)
            or len(names) != 2
            or not all(
                isinstance(n, str) and _SECRET.fullmatch(n) and not n.upper().startswith("GITHUB_")
                for n in names
            )
        ):
            raise src.error(
                where,
                "expected two secret names, [USER_SECRET, PASSWORD_SECRET] (letters, digits and _, not starting "
                "with a digit or GITHUB_)",
                raw,
                registry,
            )
        out.append((registry, names[0], names[1]))
    return tuple(sorted(out))


def read_variant_images(
    src: _yaml.Source, entry: str, vdata: Any, name: str, base: Any, repository: str
) -> dict[str, Any]:
    """A variant's ``images``, ``installer``, ``prefix`` and ``user`` as VariantConfig fields."""
    out: dict[str, Any] = {}
    if "images" in vdata:
        refs = str_list(src, vdata["images"], f"{entry}.images", vdata, "images")
        for i, ref in enumerate(refs):
            problem = _pattern_problem(ref)
            if problem:
                raise src.error(f"{entry}.images[{i}]", problem, vdata["images"], i)
        out["images"] = tuple(_fill(r, name, repository) for r in refs)
    for key in ("installer", "prefix", "user"):
        if key not in vdata:
            continue
        value = vdata[key]
        if base is not None:
            raise src.error(
                f"{entry}.{key}",
                f"a variant with a base installs like its base ({base!r}); set {key} on {base!r} instead",
                vdata,
                key,
            )
        if key == "installer" and value not in INSTALLERS:
            raise src.error(
                f"{entry}.installer",
                f"{value!r} is not one of {', '.join(INSTALLERS)} (what the FROM image already holds)",
                vdata,
                key,
            )
        if key == "prefix" and not (isinstance(value, str) and _is_prefix(value)):
            raise src.error(
                f"{entry}.prefix", f"{value!r} is not a plain absolute folder such as /opt/conda", vdata, key
            )
        if key == "user" and not (isinstance(value, (str, int)) and _is_user(str(value))):
            raise src.error(
                f"{entry}.user", f"{value!r} is not a user name or uid such as mambauser or 1000", vdata, key
            )
        out[key] = str(value)
    return out


def _is_prefix(value: str) -> bool:
    return bool(_PREFIX.fullmatch(value)) and "/../" not in f"{value}/"


def _is_user(value: str) -> bool:
    return bool(value) and set(value) <= _USER_CHARS and not value.startswith(("-", ":"))


def references(docker: DockerConfig, variant: VariantConfig) -> tuple[str, ...]:
    """Every reference ``variant`` is published as, first the one extensions are built FROM."""
    if variant.images is not None:
        return variant.images
    return tuple(_fill(p, variant.name, docker.repository) for p in docker.images or (DEFAULT_PATTERN,))


def check_publishing(
    src: _yaml.Source,
    variants_raw: Any,
    variants: dict[str, VariantConfig],
    docker: DockerConfig,
    problems: Problems,
) -> None:
    """Across variants: each reference names one variant's image, and a base publishes what extensions use."""
    owner: dict[str, str] = {}
    for name, variant in variants.items():
        for i, ref in enumerate(references(docker, variant)):
            with problems.check():
                node, key, entry = _where(variants_raw, name, i, variant)
                if not is_published_reference(ref):
                    raise src.error(entry, f"{ref!r} is not {_PUBLISH_HINT}", node, key)
                if ref in owner:
                    raise src.error(
                        entry,
                        f"{ref!r} is also published by variant {owner[ref]!r}; each reference names one "
                        "image, so give one of them another tag",
                        node,
                        key,
                    )
                owner[ref] = name
    for name, variant in variants.items():
        base = variants.get(variant.base or "")
        if base is not None and not references(docker, base):
            with problems.check():
                raise src.error(
                    f"variants.{name}.base",
                    f"base variant {base.name!r} publishes no image (images: []), so {name!r} has nothing "
                    f"to be built FROM; list at least one reference in {base.name!r}'s images",
                    variants_raw[name],
                    "base",
                )


def _where(variants_raw: Any, name: str, i: int, variant: VariantConfig) -> tuple[Any, Any, str]:
    """Where a variant's ``i``-th reference comes from: its own images entry, or docker.images."""
    vdata = variants_raw.get(name) or {}
    if variant.images is not None:
        return vdata["images"], i, f"variants.{name}.images[{i}]"
    return variants_raw, name, f"variants.{name}"
