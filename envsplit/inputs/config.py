"""Read envsplit.yml one section at a time: platforms, mirrors, variants (and their overlays), output, docker.

Each reader records the mistakes of its independent entries in a ``Problems`` and returns what it could read;
``read_project`` (envsplit/inputs/project.py) raises them all together once every section was read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from envsplit.channels import mirror_target_problem
from envsplit.inputs import yaml_lines as _yaml
from envsplit.inputs.docker_values import check_docker_value, check_output_folder, check_variant_image
from envsplit.inputs.image_config import (
    check_publishing,
    read_docker_images,
    read_registry_secrets,
    read_variant_images,
    read_workflow,
)
from envsplit.inputs.overlay import read_overlay
from envsplit.inputs.problems import Problems
from envsplit.inputs.values import (
    as_mapping,
    folder,
    has_control_character,
    platform_list,
    project_path,
    str_items,
    str_list,
    unknown_keys,
)
from envsplit.models import DockerConfig, Overlay, VariantConfig

if TYPE_CHECKING:
    from envsplit.locking.cutoff import ExcludeNewer
from envsplit.platforms import DEFAULT_PLATFORMS

CONFIG_KEYS = (
    "version",
    "environment",
    "overlays-dir",
    "platforms",
    "virtual-packages",
    "output",
    "mirrors",
    "pypi-index",
    "pypi-mapping",
    "variants",
    "docker",
    "exclude-newer",
    "strict-layering",
    "refresh",
)
EXCLUDE_NEWER_KEYS = ("cutoff", "exempt")
REFRESH_KEYS = ("fail-on",)
VARIANT_KEYS = ("overlays", "base", "image", "dockerfile", "images", "installer", "prefix", "user")
DOCKER_KEYS = (
    "output",
    "repository",
    "image",
    "micromamba",
    "prefix",
    "images",
    "workflow",
    "registry-secrets",
)
_DOCKER_LISTS = ("images", "workflow", "registry-secrets")  # read by envsplit/inputs/image_config.py
# registry/repository[:tag][@digest]: no spaces, lower-case path components are checked separately.
# \Z, not $: '$' also matches before a trailing newline.
_IMAGE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]*\Z")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*\Z")


def check_version(src: _yaml.Source, data: Any) -> None:
    version = data.get("version", 1)
    if type(version) is not int or version != 1:  # YAML's true is an int to Python, and 1.0 == 1
        raise src.error(
            "version",
            f"unsupported config version {version!r}; this envsplit reads version 1",
            data,
            "version",
        )


def environment_path(src: _yaml.Source, root: Path, data: Any) -> Path:
    env_rel = data.get("environment", "environment.yml")
    if not isinstance(env_rel, str):
        raise src.error("environment", "expected a path to environment.yml", data, "environment")
    return project_path(src, root, env_rel, "environment", data, "environment")


def overlays_folder(src: _yaml.Source, root: Path, data: Any) -> Path:
    value = folder(src, data, "overlays-dir", "overlays")
    return project_path(src, root, value, "overlays-dir", data, "overlays-dir")


def read_platforms(src: _yaml.Source, data: Any, problems: Problems) -> tuple[str, ...]:
    value = data.get("platforms", list(DEFAULT_PLATFORMS))
    at_least_one = "list at least one platform, e.g. linux-64"
    return tuple(
        p.value for p in platform_list(src, value, "platforms", data, "platforms", at_least_one, problems)
    )


def read_mirrors(src: _yaml.Source, data: Any, problems: Problems) -> dict[str, str]:
    mirrors_raw = as_mapping(src, data.get("mirrors", {}), "mirrors", data, "mirrors")
    mirrors = {}
    for channel, url in mirrors_raw.items():
        with problems.check():
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
    return mirrors


def read_pypi_index(src: _yaml.Source, root: Path, data: Any) -> str | None:
    """``pypi-index:``: an http(s) index URL, or a folder of the project holding a PEP 503 simple index."""
    value = data.get("pypi-index")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise src.error(
            "pypi-index", "expected a URL or a folder path, e.g. https://pypi.org/simple", data, "pypi-index"
        )
    problem = mirror_target_problem(value)
    if problem:
        raise src.error("pypi-index", problem, data, "pypi-index")
    if urlparse(value).scheme in ("http", "https"):
        return value
    project_path(src, root, value, "pypi-index", data, "pypi-index")
    return value


def read_pypi_mapping(src: _yaml.Source, root: Path, data: Any) -> Path | None:
    """``pypi-mapping:``: the project's file of conda-name -> PyPI-name overrides."""
    value = data.get("pypi-mapping")
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise src.error("pypi-mapping", "expected a path to a YAML file in the project", data, "pypi-mapping")
    path = project_path(src, root, value, "pypi-mapping", data, "pypi-mapping")
    if not path.is_file():
        raise src.error(
            "pypi-mapping",
            f"{_yaml.display_path(path)} does not exist; create it or remove the key",
            data,
            "pypi-mapping",
        )
    return path


def read_exclude_newer(src: _yaml.Source, data: Any, problems: Problems) -> ExcludeNewer | None:
    """``exclude-newer: 7d``, or ``{cutoff: 7d, exempt: [openssl]}``: one key, so that exemptions can never
    be left behind without the cutoff they are exempt from (see envsplit/locking/cutoff.py)."""
    from envsplit.locking.cutoff import ExcludeNewer, parse_cutoff

    value = data.get("exclude-newer")
    if value is None:
        return None
    node: Any = data
    key = "exclude-newer"
    exempt: tuple[str, ...] = ()
    if isinstance(value, dict):
        unknown_keys(src, value, EXCLUDE_NEWER_KEYS, "exclude-newer", problems)
        if "cutoff" not in value:
            raise src.error("exclude-newer", "missing 'cutoff:' (e.g. cutoff: 7d)", data, "exclude-newer")
        node, key = value, "cutoff"
        names = str_list(src, value.get("exempt", []), "exclude-newer.exempt", value, "exempt", problems)
        exempt = tuple(sorted({n.lower() for n in names}))
        value = value["cutoff"]
    entry = "exclude-newer" if node is data else "exclude-newer.cutoff"
    try:
        return ExcludeNewer(parse_cutoff(value), exempt)
    except ValueError as exc:
        raise src.error(entry, str(exc), node, key) from None


def read_strict_layering(src: _yaml.Source, data: Any) -> bool:
    value = data.get("strict-layering", False)
    if not isinstance(value, bool):
        raise src.error("strict-layering", "expected true or false", data, "strict-layering")
    return value


def read_output(src: _yaml.Source, root: Path, data: Any) -> Path:
    """The folder of the locks."""
    value = folder(src, data, "output", "locks")
    output = project_path(src, root, value, "output", data, "output", output=True)
    if output.exists() and not output.is_dir():
        raise src.error(
            "output", f"{_yaml.display_path(output)} is a file; name a folder for the locks", data, "output"
        )
    check_output_folder(src, data)
    return output


def read_docker(src: _yaml.Source, root: Path, data: Any, problems: Problems) -> DockerConfig:
    docker_raw = as_mapping(src, data.get("docker", {}), "docker", data, "docker")
    unknown_keys(src, docker_raw, DOCKER_KEYS, "docker", problems)
    values: dict[str, Any] = {}
    with problems.check():
        images = read_docker_images(src, docker_raw, problems)
        if images is not None:
            values["images"] = images
    with problems.check():
        values["workflow"] = read_workflow(src, docker_raw)
    with problems.check():
        values["registry_secrets"] = read_registry_secrets(src, docker_raw)
    for key, value in docker_raw.items():
        if key in DOCKER_KEYS and key not in _DOCKER_LISTS:
            with problems.check():
                _check_docker_shape(src, docker_raw, key, value)
                check_docker_value(src, docker_raw, key)
                values[key.replace("-", "_")] = value.strip()
    docker = DockerConfig(**values)
    with problems.check():
        project_path(src, root, docker.output, "docker.output", docker_raw, "output", output=True)
    return docker


def _check_docker_shape(src: _yaml.Source, docker_raw: Any, key: str, value: Any) -> None:
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


class VariantsReader:
    """``variants:`` and the overlay files they name, each overlay read once however many variants use it."""

    def __init__(
        self,
        src: _yaml.Source,
        root: Path,
        overlays_dir: Path | None,
        docker: DockerConfig,
        problems: Problems,
    ) -> None:
        self.src = src
        self.root = root
        self.overlays_dir = overlays_dir  # None when 'overlays-dir' is wrong: overlay files are not read
        self.docker = docker
        self.repository = docker.repository
        self.problems = problems
        self.overlays: dict[str, Overlay] = {}

    def read(self, data: Any) -> dict[str, VariantConfig]:
        src = self.src
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
        for vname in variants_raw:
            with self.problems.check():
                variants[vname] = self._variant(variants_raw, vname)
        adopted: dict[Path, str] = {}
        for v in variants.values():
            if v.dockerfile is not None and adopted.setdefault(v.dockerfile.resolve(), v.name) != v.name:
                with self.problems.check():
                    raise src.error(
                        f"variants.{v.name}.dockerfile",
                        f"{_yaml.display_path(v.dockerfile)} is adopted by variant "
                        f"{adopted[v.dockerfile.resolve()]!r} already; each variant needs its own Dockerfile",
                        variants_raw[v.name],
                        "dockerfile",
                    )
        for v in variants.values():
            if v.base is not None and v.base not in variants_raw:
                with self.problems.check():
                    raise src.error(
                        f"variants.{v.name}.base",
                        f"unknown base variant {v.base!r}; declared variants: {', '.join(map(str, variants_raw))}",
                        variants_raw[v.name],
                        "base",
                    )
        check_publishing(src, variants_raw, variants, self.docker, self.problems)
        return variants

    def _variant(self, variants_raw: Any, vname: Any) -> VariantConfig:
        src = self.src
        entry = f"variants.{vname}"
        if not isinstance(vname, str) or not _NAME_RE.match(vname):
            raise src.error(
                entry, "variant names use lower-case letters, digits, '.', '_' and '-'", variants_raw, vname
            )
        vdata = variants_raw[vname]
        vdata = {} if vdata is None else as_mapping(src, vdata, entry, variants_raw, vname)
        unknown_keys(src, vdata, VARIANT_KEYS, entry)
        names = str_list(src, vdata.get("overlays", []), f"{entry}.overlays", vdata, "overlays")
        for i, oname in enumerate(names):
            with self.problems.check():
                self._overlay(vdata["overlays"], f"{entry}.overlays[{i}]", i, oname, names[:i])
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
        check_variant_image(src, variants_raw, vname, self.repository)
        return VariantConfig(
            name=vname,
            overlays=tuple(names),
            base=base,
            image=image and image.strip(),
            dockerfile=self._dockerfile(vdata, entry),
            where=src.at(entry, variants_raw, vname),
            **read_variant_images(src, entry, vdata, vname, base, self.repository),
        )

    def _dockerfile(self, vdata: Any, entry: str) -> Path | None:
        """``dockerfile:``: a hand-written Dockerfile of the project that envsplit adopts (render/adopt.py)."""
        value = vdata.get("dockerfile")
        if value is None:
            return None
        entry = f"{entry}.dockerfile"
        if not isinstance(value, str) or not value.strip():
            raise self.src.error(
                entry, "expected the path of a Dockerfile in the project", vdata, "dockerfile"
            )
        path = project_path(self.src, self.root, value, entry, vdata, "dockerfile")
        if not path.is_file():
            raise self.src.error(
                entry,
                f"{_yaml.display_path(path)} is not a file; name the Dockerfile to adopt",
                vdata,
                "dockerfile",
            )
        return path

    def _overlay(self, node: Any, entry: str, i: int, oname: str, before: list[str]) -> None:
        """Read overlay ``oname``, listed at ``node[i]``, unless an earlier variant did."""
        if oname in before:
            raise self.src.error(entry, f"overlay {oname!r} is listed twice; keep one", node, i)
        if oname in self.overlays or self.overlays_dir is None:
            return
        opath = project_path(self.src, self.root, f"{oname}.yml", entry, node, i, under=self.overlays_dir)
        if not opath.exists():
            raise self.src.error(
                entry, f"overlay {oname!r} not found (looked for {_yaml.display_path(opath)})", node, i
            )
        self.overlays[oname] = read_overlay(opath, oname, self.problems)


def read_refresh(src: _yaml.Source, data: Any, problems: Problems) -> tuple[str, ...]:
    """``refresh: {fail-on: [KIND, ...]}``: the changes that make ``envsplit refresh`` exit non-zero."""
    if "refresh" not in data:
        return ()
    # Imported only when the section is there: the diff machinery stays off lock's no-op path.
    from envsplit.diff.policy import valid_kinds

    raw = as_mapping(src, data.get("refresh", {}), "refresh", data, "refresh")
    unknown_keys(src, raw, REFRESH_KEYS, "refresh", problems)
    valid = valid_kinds()
    kinds = []
    for item in str_items(src, raw.get("fail-on", []), "refresh.fail-on", raw, "fail-on", problems):
        with problems.check():
            if item.value not in valid:
                raise item.where.error(f"unknown kind {item.value!r}; expected one of {', '.join(valid)}")
            kinds.append(item.value)
    return tuple(sorted(set(kinds)))
