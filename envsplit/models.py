"""Plain, frozen data that flows between the modules: parsed inputs and composed variants."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from envsplit.inputs.yaml_lines import InputFile, Where

if TYPE_CHECKING:
    from envsplit.inputs.operations import Operation
    from envsplit.locking.cutoff import ExcludeNewer


@dataclass(frozen=True)
class Dependency:
    """One conda match spec as the user wrote it, with its normalized package name."""

    name: str
    spec: str
    # rattler's normalized form, which its strict solver parses ("python=3.12" -> "python 3.12.*")
    match_spec: str = field(default="", compare=False)
    # where it was written, e.g. "overlays/cuda.yml:6: add[0]", for errors found only while solving
    origin: str = field(default="", compare=False)

    @property
    def solve_spec(self) -> str:
        return self.match_spec or self.spec


@dataclass(frozen=True)
class EnvSpec:
    """The canonical environment.yml."""

    path: Path
    name: str | None
    channels: tuple[str, ...]
    dependencies: tuple[Dependency, ...]
    pip: tuple[str, ...]


@dataclass(frozen=True)
class Overlay:
    name: str
    source: InputFile
    operations: tuple[Operation, ...]


@dataclass(frozen=True)
class VariantConfig:
    name: str
    overlays: tuple[str, ...]
    base: str | None
    image: str | None = None  # FROM image of a variant without base; overrides DockerConfig.image
    dockerfile: Path | None = None  # a hand-written Dockerfile envsplit adopts (envsplit/render/adopt.py)
    images: tuple[str, ...] | None = None  # references to publish; None: DockerConfig.images' patterns
    installer: str | None = (
        None  # what the FROM image holds: micromamba, conda or none (None: known-image table)
    )
    prefix: str | None = None  # the environment's folder; None: DockerConfig.prefix
    user: str | None = None  # who installs; None: the known-image table's user, else root
    # the variant's name in envsplit.yml, blamed for a cycle of bases
    where: Where | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class DockerConfig:
    """How Dockerfiles are rendered; every field has a default that builds."""

    output: str = "dockerfiles"
    repository: str = "envsplit"  # each variant's image is <repository>:<variant>
    image: str = "mambaorg/micromamba:2.3.3"  # FROM of variants without a base
    micromamba: str = "mambaorg/micromamba:2.3.3"  # where the micromamba binary is copied from
    prefix: str = "/opt/conda"
    # Patterns of the references each variant publishes ({variant}, {repository}); () means
    # "{repository}:{variant}", what envsplit did before 'images:'.
    images: tuple[str, ...] = ()
    workflow: str | None = ".github/workflows/build-images.yml"  # None: no build workflow
    # ``registry-secrets:``: (registry, user secret, password secret) overriding the default secret names
    registry_secrets: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Project:
    """Everything read from envsplit.yml and the files it names."""

    root: Path
    config: InputFile
    environment: EnvSpec
    overlays: dict[str, Overlay]
    variants: dict[str, VariantConfig]
    platforms: tuple[str, ...]
    # name -> platform -> "version=build"; a platform of "*" applies to every platform
    virtual_packages: dict[str, dict[str, str]]
    output: Path
    mirrors: dict[str, str]
    docker: DockerConfig = field(default_factory=DockerConfig)
    # The PyPI index the pip entries are locked against (public form: what the locks and hashes record);
    # None means https://pypi.org/simple. A folder is served on loopback while locking.
    pypi_index: str | None = None
    pypi_mapping: Path | None = None  # the ``pypi-mapping:`` override file (conda name -> PyPI names)
    exclude_newer: ExcludeNewer | None = None  # ``exclude-newer:``, the date cutoff of every solve
    strict_layering: bool = False  # ``strict-layering:``, a layering cost fails the variant
    refresh_fail_on: tuple[str, ...] = ()  # ``refresh: {fail-on: [...]}``: kinds of change refresh refuses


@dataclass(frozen=True)
class VariantSpec:
    """A variant after composing: exactly what is solved, per platform."""

    name: str
    base: str | None
    channels: tuple[str, ...]
    dependencies: tuple[Dependency, ...]
    pip: tuple[str, ...]
    virtual_packages: dict[str, dict[str, str]]
    platforms: tuple[str, ...]
    overlays: tuple[str, ...]

    @property
    def specs(self) -> tuple[str, ...]:
        return tuple(d.solve_spec for d in self.dependencies)

    def virtual_packages_for(self, platform: str) -> dict[str, str]:
        """The variant's virtual packages on ``platform``: platform defaults, then the user's."""
        from envsplit.platforms import default_virtual_packages

        merged = default_virtual_packages(platform)
        for name, per_platform in self.virtual_packages.items():
            value = per_platform.get(platform, per_platform.get("*"))
            if value is not None:
                merged[name] = value
        return dict(sorted(merged.items()))

    @property
    def has_cuda(self) -> bool:
        return "__cuda" in self.virtual_packages


@dataclass(frozen=True)
class LockedPackage:
    """One locked package, with the canonical (never the mirror) URL: a conda package, or with ``manager``
    "pip" a distribution from the PyPI index (no build, md5 or dependencies: the lock records none)."""

    name: str
    version: str
    build: str
    subdir: str
    channel: str
    url: str
    md5: str
    sha256: str | None
    size: int | None
    depends: tuple[str, ...]
    constrains: tuple[str, ...] = ()
    manager: str = "conda"

    @property
    def is_pip(self) -> bool:
        return self.manager == "pip"

    @property
    def file_name(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    def explicit_line(self) -> str:
        return f"{self.url}#{self.md5}"


def dep_name(dependency: str) -> str:
    """The package a dependency string names: ``"libgdal-core >=3.12"``, ``"numpy>=2"`` and
    ``"conda-forge::libblas"`` -> ``libgdal-core``, ``numpy``, ``libblas``."""
    head = dependency.strip().split(" ", 1)[0].rsplit("::", 1)[-1]
    for stop in "<>=!~[":
        head = head.split(stop, 1)[0]
    return head.lower()
