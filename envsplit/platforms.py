"""Platform names, their default virtual packages, and Docker architecture names."""

from __future__ import annotations

KNOWN_PLATFORMS = (
    "linux-64",
    "linux-aarch64",
    "linux-ppc64le",
    "osx-64",
    "osx-arm64",
    "win-64",
)
DEFAULT_PLATFORMS = ("linux-64", "linux-aarch64")

# Docker's TARGETARCH values; images are only built for Linux.
DOCKER_ARCH = {"linux-64": "amd64", "linux-aarch64": "arm64", "linux-ppc64le": "ppc64le"}

# Generic microarchitectures on purpose: an image must run on any CPU of its arch,
# and rattler matches __archspec build strings literally.
_ARCHSPEC = {
    "linux-64": "x86_64",
    "linux-aarch64": "aarch64",
    "linux-ppc64le": "ppc64le",
    "osx-64": "x86_64",
    "osx-arm64": "arm64",
    "win-64": "x86_64",
}


def default_virtual_packages(platform: str) -> dict[str, str]:
    """``name -> "version=build"`` for what a stock container of ``platform`` provides."""
    vps: dict[str, str] = {"__archspec": f"1={_ARCHSPEC[platform]}"}
    if platform.startswith("linux-"):
        vps.update({"__unix": "0=0", "__linux": "5.10=0", "__glibc": "2.28=0"})
    elif platform.startswith("osx-"):
        vps.update({"__unix": "0=0", "__osx": "11.0=0"})
    else:
        vps["__win"] = "0=0"
    return vps


def unknown_platform(platform: str) -> str | None:
    """What is wrong with ``platform`` as a platform name, or None when envsplit knows it."""
    if platform in KNOWN_PLATFORMS:
        return None
    return f"unknown platform {platform!r}; use one of {', '.join(KNOWN_PLATFORMS)}"
