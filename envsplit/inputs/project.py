"""Read a project: envsplit.yml, the environment.yml and overlays/*.yml it names, into models.

Every independent mistake is collected, so one run reports all of them (one ``error:`` line each); a file that
cannot be read at all, or a config version this envsplit does not know, stops the reading at once.
"""

from __future__ import annotations

from pathlib import Path

from envsplit.errors import InputError
from envsplit.inputs import yaml_lines as _yaml
from envsplit.inputs.config import (
    CONFIG_KEYS,
    DOCKER_KEYS,
    VARIANT_KEYS,
    VariantsReader,
    check_version,
    environment_path,
    overlays_folder,
    read_docker,
    read_exclude_newer,
    read_mirrors,
    read_output,
    read_platforms,
    read_pypi_index,
    read_pypi_mapping,
    read_refresh,
    read_strict_layering,
)
from envsplit.inputs.environment import ENV_KEYS, read_environment
from envsplit.inputs.overlay import OVERLAY_KEYS, read_overlay
from envsplit.inputs.problems import Problems
from envsplit.inputs.values import as_mapping, parse_virtual_packages, unknown_keys
from envsplit.models import DockerConfig, EnvSpec, Project, VariantConfig

__all__ = [
    "CONFIG_KEYS",
    "CONFIG_NAME",
    "DOCKER_KEYS",
    "ENV_KEYS",
    "OVERLAY_KEYS",
    "VARIANT_KEYS",
    "read_environment",
    "read_overlay",
    "read_project",
]

CONFIG_NAME = "envsplit.yml"


def read_project(root: Path, config_name: str = CONFIG_NAME) -> Project:
    """Load the project in ``root``. Without an envsplit.yml, environment.yml alone is one variant, 'default'."""
    src = _config_source(root, config_name)
    data = as_mapping(src, src.data, "", None, None)
    problems = Problems()
    unknown_keys(src, data, CONFIG_KEYS, problems=problems)
    with problems.check(fatal=True):  # another version's keys mean other things
        check_version(src, data)
    environment: EnvSpec | None = None
    platforms: tuple[str, ...] = ()
    virtual_packages: dict[str, dict[str, str]] = {}
    mirrors: dict[str, str] = {}
    overlays_dir = output = None
    docker = DockerConfig()
    pypi_index: str | None = None
    pypi_mapping: Path | None = None
    variants: dict[str, VariantConfig] = {}
    exclude_newer = None
    strict_layering = False
    with problems.check():
        exclude_newer = read_exclude_newer(src, data, problems)
    with problems.check():
        strict_layering = read_strict_layering(src, data)
    with problems.check():
        environment = read_environment(environment_path(src, root, data), problems)
    with problems.check():
        platforms = read_platforms(src, data, problems)
    with problems.check():
        vps = data.get("virtual-packages", {})
        virtual_packages = parse_virtual_packages(
            src, vps, "virtual-packages", data, "virtual-packages", problems
        )
    with problems.check():
        mirrors = read_mirrors(src, data, problems)
    with problems.check():
        overlays_dir = overlays_folder(src, root, data)
    with problems.check():
        output = read_output(src, root, data)
    with problems.check():
        docker = read_docker(src, root, data, problems)
    with problems.check():
        pypi_index = read_pypi_index(src, root, data)
    with problems.check():
        pypi_mapping = read_pypi_mapping(src, root, data)
    fail_on: tuple[str, ...] = ()
    with problems.check():
        fail_on = read_refresh(src, data, problems)
    reader = VariantsReader(src, root, overlays_dir, docker, problems)
    with problems.check():
        variants = reader.read(data)
    problems.raise_any()
    assert environment is not None and output is not None  # else a problem was raised above
    return Project(
        root=root,
        config=src.file,
        environment=environment,
        overlays=reader.overlays,
        variants=variants,
        platforms=platforms,
        virtual_packages=virtual_packages,
        output=output,
        mirrors=mirrors,
        docker=docker,
        pypi_index=pypi_index,
        pypi_mapping=pypi_mapping,
        exclude_newer=exclude_newer,
        strict_layering=strict_layering,
        refresh_fail_on=fail_on,
    )


def _config_source(root: Path, config_name: str) -> _yaml.Source:
    config_path = root / config_name
    if config_path.exists() or config_name != CONFIG_NAME:
        return _yaml.load(config_path, "envsplit config")
    if (root / "environment.yml").exists():
        return _yaml.Source(path=config_path, data={"variants": {"default": {}}})
    raise InputError(
        f"{_yaml.display_path(config_path)}: no envsplit.yml and no environment.yml here; "
        "run envsplit in your project folder or pass --project DIR"
    )
