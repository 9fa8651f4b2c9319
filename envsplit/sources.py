"""Read environment.yml, overlays/*.yml and envsplit.yml into models, rejecting bad input with file:line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from . import _yaml
from .channels import mirror_target_problem
from .docker_values import check_docker_values
from .errors import InputError
from .fields import (
    as_mapping,
    folder,
    has_control_character,
    kind,
    parse_channels,
    parse_dependency,
    parse_virtual_packages,
    project_path,
    str_list,
    unknown_keys,
)
from .models import Dependency, DockerConfig, EnvSpec, Operation, Overlay, Project, VariantConfig
from .platforms import DEFAULT_PLATFORMS, KNOWN_PLATFORMS

CONFIG_NAME = "envsplit.yml"
OVERLAY_KEYS = ("add", "remove", "replace", "channels", "virtual-packages", "platforms", "pip")
ENV_KEYS = ("name", "channels", "dependencies", "prefix", "variables")
CONFIG_KEYS = (
    "version",
    "environment",
    "overlays-dir",
    "platforms",
    "virtual-packages",
    "output",
    "mirrors",
    "variants",
    "docker",
)
VARIANT_KEYS = ("overlays", "base", "image")
DOCKER_KEYS = ("output", "repository", "image", "micromamba", "prefix")
# registry/repository[:tag][@digest]: no spaces, lower-case path components are checked separately.
# \Z, not $: '$' also matches before a trailing newline.
_IMAGE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]*\Z")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*\Z")


def read_environment(path: Path) -> EnvSpec:
    src = _yaml.load(path, "environment file")
    data = as_mapping(src, src.data, "", None, None)
    unknown_keys(src, data, ENV_KEYS)
    name = data.get("name")
    channels = parse_channels(src, data.get("channels", []), "channels", data, "channels")
    raw = data.get("dependencies")
    if raw is None:
        raise src.error("dependencies", "missing; list the conda packages the environment needs")
    if not isinstance(raw, list):
        raise src.error("dependencies", f"expected a list, got {kind(raw)}", data, "dependencies")
    deps: list[Dependency] = []
    pip: list[str] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        entry = f"dependencies[{i}]"
        if isinstance(item, dict):
            if list(item) != ["pip"]:
                raise src.error(entry, "the only mapping allowed here is a 'pip:' list", raw, i)
            pip.extend(str_list(src, item["pip"], f"{entry}.pip", item, "pip"))
            continue
        dep = parse_dependency(item, src, entry, raw, i)
        if dep.name in seen:
            raise src.error(
                entry,
                f"{dep.name!r} is listed twice (also dependencies[{seen[dep.name]}]); keep one",
                raw,
                i,
            )
        seen[dep.name] = i
        deps.append(dep)
    return EnvSpec(
        path=path,
        name=str(name) if name is not None else None,
        channels=tuple(channels),
        dependencies=tuple(deps),
        pip=tuple(pip),
    )


def read_overlay(path: Path, name: str) -> Overlay:
    src = _yaml.load(path, f"overlay {name!r}")
    data = as_mapping(src, src.data, "", None, None)
    unknown_keys(src, data, OVERLAY_KEYS)
    ops = []
    for key, value in data.items():
        ops.append(
            Operation(kind=str(key), value=_check_operation(src, data, key, value), node=data, key=key)
        )
    return Overlay(name=name, source=src, operations=tuple(ops))


def _check_operation(src: _yaml.Source, data: Any, key: str, value: Any) -> Any:
    """Shape checks only; whether the named packages exist is checked while composing."""
    if key == "add":
        return [
            parse_dependency(s, src, f"add[{i}]", value, i)
            for i, s in enumerate(str_list(src, value, key, data, key))
        ]
    if key == "remove":
        return str_list(src, value, key, data, key)
    if key == "replace":
        mapping = as_mapping(src, value, key, data, key)
        out = {}
        for old, new in mapping.items():
            out[str(old)] = parse_dependency(new, src, f"replace.{old}", mapping, old)
        return out
    if key == "channels":
        mapping = as_mapping(src, value, key, data, key)
        unknown_keys(src, mapping, ("prepend", "append", "remove"), "channels")
        # Removal only has to name a channel in use; a bad name there fails as "not used".
        return {
            k: (str_list if k == "remove" else parse_channels)(src, v, f"channels.{k}", mapping, k)
            for k, v in mapping.items()
        }
    if key == "virtual-packages":
        return parse_virtual_packages(src, value, key, data, key)
    if key == "platforms":
        platforms = str_list(src, value, key, data, key)
        if not platforms:
            raise src.error(key, "empty; list the platforms this variant keeps, e.g. [linux-64]", data, key)
        for i, p in enumerate(platforms):
            if p in platforms[:i]:
                raise src.error(f"platforms[{i}]", f"{p!r} is listed twice; keep one", value, i)
        for i, p in enumerate(platforms):
            if p not in KNOWN_PLATFORMS:
                raise src.error(
                    f"platforms[{i}]",
                    f"unknown platform {p!r}; use one of {', '.join(KNOWN_PLATFORMS)}",
                    value,
                    i,
                )
        return platforms
    # pip
    mapping = as_mapping(src, value, key, data, key)
    unknown_keys(src, mapping, ("add", "remove"), "pip")
    return {k: str_list(src, v, f"pip.{k}", mapping, k) for k, v in mapping.items()}


def read_project(root: Path, config_name: str = CONFIG_NAME) -> Project:
    """Load the project in ``root``. Without an envsplit.yml, environment.yml alone is one variant, 'default'."""
    config_path = root / config_name
    if config_path.exists() or config_name != CONFIG_NAME:
        src = _yaml.load(config_path, "envsplit config")
    elif (root / "environment.yml").exists():
        src = _yaml.Source(path=config_path, data={"variants": {"default": {}}})
    else:
        raise InputError(
            f"{_yaml.display_path(config_path)}: no envsplit.yml and no environment.yml here; "
            "run envsplit in your project folder or pass --project DIR"
        )
    data = as_mapping(src, src.data, "", None, None)
    unknown_keys(src, data, CONFIG_KEYS)
    version = data.get("version", 1)
    if type(version) is not int or version != 1:  # YAML's true is an int to Python, and 1.0 == 1
        raise src.error(
            "version",
            f"unsupported config version {version!r}; this envsplit reads version 1",
            data,
            "version",
        )

    env_rel = data.get("environment", "environment.yml")
    if not isinstance(env_rel, str):
        raise src.error("environment", "expected a path to environment.yml", data, "environment")
    environment = read_environment(project_path(src, root, env_rel, "environment", data, "environment"))

    platforms = tuple(
        str_list(src, data.get("platforms", list(DEFAULT_PLATFORMS)), "platforms", data, "platforms")
    )
    if not platforms:
        raise src.error("platforms", "empty; list at least one platform, e.g. linux-64", data, "platforms")
    for i, p in enumerate(platforms):
        if p not in KNOWN_PLATFORMS:
            raise src.error(
                f"platforms[{i}]",
                f"unknown platform {p!r}; use one of {', '.join(KNOWN_PLATFORMS)}",
                data["platforms"],
                i,
            )
        if p in platforms[:i]:
            raise src.error(f"platforms[{i}]", f"{p!r} is listed twice; keep one", data["platforms"], i)

    vps = parse_virtual_packages(
        src, data.get("virtual-packages", {}), "virtual-packages", data, "virtual-packages"
    )
    mirrors_raw = as_mapping(src, data.get("mirrors", {}), "mirrors", data, "mirrors")
    mirrors = {}
    for channel, url in mirrors_raw.items():
        if not isinstance(channel, str) or not channel.strip() or has_control_character(channel):
            raise src.error(
                f"mirrors.{channel}",
                "expected a channel name or URL as the key, e.g. conda-forge",
                mirrors_raw,
                channel,
            )
        if not isinstance(url, str) or not url:
            raise src.error(f"mirrors.{channel}", "expected a URL or a folder path", mirrors_raw, channel)
        problem = mirror_target_problem(url)
        if problem:
            raise src.error(f"mirrors.{channel}", problem, mirrors_raw, channel)
        mirrors[channel] = url

    overlays_dir = project_path(
        src, root, folder(src, data, "overlays-dir", "overlays"), "overlays-dir", data, "overlays-dir"
    )
    variants_raw = data.get("variants")
    if not variants_raw:
        raise src.error(
            "variants",
            "missing or empty; declare at least one variant, e.g. 'cpu: {overlays: [cpu]}'",
            data,
            "variants",
        )
    variants_raw = as_mapping(src, variants_raw, "variants", data, "variants")
    variants: dict[str, VariantConfig] = {}
    overlays: dict[str, Overlay] = {}
    for vname, vdata in variants_raw.items():
        entry = f"variants.{vname}"
        if not isinstance(vname, str) or not _NAME_RE.match(vname):
            raise src.error(
                entry, "variant names use lower-case letters, digits, '.', '_' and '-'", variants_raw, vname
            )
        vdata = {} if vdata is None else as_mapping(src, vdata, entry, variants_raw, vname)
        unknown_keys(src, vdata, VARIANT_KEYS, entry)
        names = str_list(src, vdata.get("overlays", []), f"{entry}.overlays", vdata, "overlays")
        for i, oname in enumerate(names):
            if oname in names[:i]:
                raise src.error(
                    f"{entry}.overlays[{i}]",
                    f"overlay {oname!r} is listed twice; keep one",
                    vdata["overlays"],
                    i,
                )
            if oname not in overlays:
                opath = project_path(
                    src,
                    root,
                    f"{oname}.yml",
                    f"{entry}.overlays[{i}]",
                    vdata["overlays"],
                    i,
                    under=overlays_dir,
                )
                if not opath.exists():
                    raise src.error(
                        f"{entry}.overlays[{i}]",
                        f"overlay {oname!r} not found (looked for {_yaml.display_path(opath)})",
                        vdata["overlays"],
                        i,
                    )
                overlays[oname] = read_overlay(opath, oname)
        base = vdata.get("base")
        if base is not None and not isinstance(base, str):
            raise src.error(f"{entry}.base", "expected the name of another variant", vdata, "base")
        image = vdata.get("image")
        if image is not None and (not isinstance(image, str) or not image.strip()):
            raise src.error(
                f"{entry}.image", "expected an image reference such as ubuntu:24.04", vdata, "image"
            )
        if image is not None and base is not None:
            raise src.error(
                f"{entry}.image",
                f"a variant with a base is built FROM its base's image ({base!r}); set image on {base!r} instead",
                vdata,
                "image",
            )
        if image is not None and not _IMAGE_RE.match(image.strip()):
            raise src.error(
                f"{entry}.image", f"{image!r} is not an image reference such as ubuntu:24.04", vdata, "image"
            )
        variants[vname] = VariantConfig(
            name=vname, overlays=tuple(names), base=base, image=image and image.strip(), node=variants_raw
        )
    for v in variants.values():
        if v.base is not None and v.base not in variants:
            raise src.error(
                f"variants.{v.name}.base",
                f"unknown base variant {v.base!r}; declared variants: {', '.join(variants)}",
                variants_raw[v.name],
                "base",
            )
    output = project_path(
        src, root, folder(src, data, "output", "locks"), "output", data, "output", output=True
    )
    if output.exists() and not output.is_dir():
        raise src.error(
            "output", f"{_yaml.display_path(output)} is a file; name a folder for the locks", data, "output"
        )
    docker_raw = as_mapping(src, data.get("docker", {}), "docker", data, "docker")
    unknown_keys(src, docker_raw, DOCKER_KEYS, "docker")
    for key, value in docker_raw.items():
        if not isinstance(value, str) or not value.strip():
            raise src.error(f"docker.{key}", "expected a non-empty string", docker_raw, key)
        if key in ("image", "micromamba", "repository") and not _IMAGE_RE.match(value.strip()):
            raise src.error(
                f"docker.{key}", f"{value!r} is not an image reference such as ubuntu:24.04", docker_raw, key
            )
        if key == "repository" and value != value.lower():
            raise src.error(f"docker.{key}", "image repositories are lower-case in Docker", docker_raw, key)
        if key == "output" and (Path(value).is_absolute() or ".." in Path(value).parts):
            raise src.error(
                f"docker.{key}",
                "must be a folder inside the project: Dockerfiles are built from the project root",
                docker_raw,
                key,
            )
    check_docker_values(src, data, variants_raw, docker_raw)
    docker = DockerConfig(**{k.replace("-", "_"): v.strip() for k, v in docker_raw.items()})
    project_path(src, root, docker.output, "docker.output", docker_raw, "output", output=True)
    return Project(
        root=root,
        config=src,
        environment=environment,
        overlays=overlays,
        variants=variants,
        platforms=platforms,
        virtual_packages=vps,
        output=output,
        mirrors=mirrors,
        docker=docker,
    )
