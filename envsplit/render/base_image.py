"""What a variant's FROM image holds, and so where and as whom its lock is installed.

envsplit cannot look inside an image (no registry access when rendering), so it knows the common conda
images by repository name and lets a variant say the rest with ``installer:``/``prefix:``/``user:``. A
table alone would guess wrong on a private image built on miniforge; an override alone would make every
project spell out what everybody knows about ``condaforge/miniforge3``.
"""

from __future__ import annotations

from dataclasses import dataclass

from envsplit.inputs.docker_values import repository_of
from envsplit.models import DockerConfig, Project, VariantConfig

# repository -> (installer, user). "conda": a conda environment already lives at the prefix (/opt/conda).
KNOWN_IMAGES = {
    "mambaorg/micromamba": ("micromamba", "mambauser"),
    "condaforge/miniforge3": ("conda", "root"),
    "condaforge/miniforge-pypy3": ("conda", "root"),
    "condaforge/mambaforge": ("conda", "root"),
    "continuumio/miniconda3": ("conda", "root"),
    "continuumio/anaconda3": ("conda", "root"),
}
# Where the image's own packages are listed before the lock goes in: the smoke test accepts those.
IMAGE_PACKAGES = "conda-meta/envsplit-image-packages.txt"

_ASSUMES = {
    "micromamba": "holds micromamba and an empty environment at {prefix} owned by {user}",
    "conda": "holds a conda environment at {prefix}; the lock is installed into it and the packages the image "
    f"brought are listed in {{prefix}}/{IMAGE_PACKAGES}",
    "none": "holds no conda: envsplit brings a static micromamba and creates the environment at {prefix}",
}


@dataclass(frozen=True)
class BaseImage:
    image: str  # the FROM reference of the root variant
    installer: str  # micromamba, conda or none
    prefix: str
    user: str
    known: bool  # from KNOWN_IMAGES, not from the variant's keys

    def assumption(self) -> str:
        """One sentence for the Dockerfile: what the image is taken to hold."""
        how = "known image" if self.known else "installer"
        text = _ASSUMES[self.installer].format(prefix=self.prefix, user=self.user)
        return f"{self.image} ({how}: {self.installer}) {text}; the install runs as {self.user}."


def short_repository(image: str) -> str:
    """``image``'s repository as Docker Hub writes it: docker.io/library/ubuntu:24.04 -> ubuntu."""
    name = repository_of(image)
    for prefix in ("docker.io/", "index.docker.io/", "registry-1.docker.io/"):
        name = name.removeprefix(prefix)
    return name.removeprefix("library/")


def resolve(docker: DockerConfig, variant: VariantConfig) -> BaseImage:
    """The base image of a root variant, from the table and the variant's overrides."""
    image = variant.image or docker.image
    table = KNOWN_IMAGES.get(short_repository(image))
    installer = variant.installer or (table[0] if table else "none")
    user = variant.user or (table[1] if table and table[0] == installer else "root")
    return BaseImage(image, installer, variant.prefix or docker.prefix, user, table is not None)


def root_of(project: Project, name: str) -> VariantConfig:
    """The variant at the bottom of ``name``'s chain of bases: the one with a FROM image."""
    variant = project.variants[name]
    while variant.base is not None:
        variant = project.variants[variant.base]
    return variant


def for_variant(project: Project, name: str) -> BaseImage:
    """What ``name`` installs into: its own base image, or that of the root of its chain of bases."""
    return resolve(project.docker, root_of(project, name))
