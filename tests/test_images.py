"""Image references in envsplit.yml: validated, unique per variant, and what extensions are built FROM."""

from __future__ import annotations

import json

import pytest
from test_hardening import run, snapshot

from projectfiles import edit

_CPU_IMAGES = (
    "images: [rocker/ml:latest, rocker/ml:cpu, ghcr.io/rocker-org/ml:latest, ghcr.io/rocker-org/ml:cpu]"
)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "rocker/ml:cpu, ",
            "Rocker/ML:cpu, ",
            "envsplit.yml:10: variants.cpu.images[1]: 'Rocker/ML:cpu' is not an image reference to publish such "
            "as ghcr.io/me/ml:latest (lower-case name, a tag, no digest)",
        ),
        (
            "rocker/ml:cpu, ",
            "rocker/ml@sha256:" + "a" * 64 + ", ",
            "envsplit.yml:10: variants.cpu.images[1]: 'rocker/ml@sha256:" + "a" * 64 + "' is not an image "
            "reference to publish such as ghcr.io/me/ml:latest (lower-case name, a tag, no digest)",
        ),
        (
            "[rocker/ml-spatial:latest",
            "[rocker/ml:cpu",
            "envsplit.yml:12: variants.cpu-spatial.images[0]: 'rocker/ml:cpu' is also published by variant 'cpu'; "
            "each reference names one image, so give one of them another tag",
        ),
        (
            _CPU_IMAGES,
            "images: []",
            "envsplit.yml:12: variants.cpu-spatial.base: base variant 'cpu' publishes no image (images: []), so "
            "'cpu-spatial' has nothing to be built FROM; list at least one reference in 'cpu''s images",
        ),
        (
            '  images: ["rocker/{variant}:latest"',
            '  images: ["rocker/{name}:latest"',
            "envsplit.yml:16: docker.images[0]: 'rocker/{name}:latest' uses {name}; the placeholders are "
            "{variant} and {repository}",
        ),
        (
            'image: "nvidia/cuda:12.9.1-base-ubuntu24.04"',
            'image: "nvidia/cuda@sha256:abc"',
            "envsplit.yml:11: variants.cuda.image: 'nvidia/cuda@sha256:abc' is not an image reference such as "
            "ubuntu:24.04",
        ),
        (
            "    overlays: [cpu]\n",
            "    overlays: [cpu]\n    installer: pixi\n",
            "envsplit.yml:9: variants.cpu.installer: 'pixi' is not one of micromamba, conda, none (what the FROM "
            "image already holds)",
        ),
    ],
    ids=[
        "upper-case",
        "digest-published",
        "tag-twice",
        "base-publishes-nothing",
        "placeholder",
        "bad-digest",
        "installer",
    ],
)
def test_bad_image_settings_are_refused(locked, old: str, new: str, message: str) -> None:
    edit(locked / "envsplit.yml", old, new)
    before = snapshot(locked)
    result = run(locked, "dockerfile")
    assert (result.exit_code, result.output) == (2, f"error: {message}\n")
    assert snapshot(locked) == before


def test_a_digest_pinned_base_image_is_the_from_line(locked) -> None:
    pinned = "nvidia/cuda:12.9.1-base-ubuntu24.04@sha256:" + "0123456789abcdef" * 4
    edit(locked / "envsplit.yml", 'image: "nvidia/cuda:12.9.1-base-ubuntu24.04"', f'image: "{pinned}"')
    result = run(locked, "dockerfile")
    assert result.exit_code == 0, result.output
    assert f"\nFROM {pinned}\n" in (locked / "dockerfiles" / "Dockerfile.cuda").read_text()


@pytest.mark.parametrize(
    ("image", "extra", "user", "assumes"),
    [
        ("mambaorg/micromamba:2.3.3", "", "USER mambauser", "(known image: micromamba)"),
        ("condaforge/miniforge3:25.3.1-0", "", "USER root", "(known image: conda)"),
        ("ubuntu:24.04", "", "USER root", "(installer: none) holds no conda"),
        (
            "example.org/own/conda:1",
            "\n    installer: conda\n    user: '1000'",
            "USER 1000",
            "(installer: conda)",
        ),
    ],
)
def test_the_base_image_kind_decides_user_and_comment(
    locked, image: str, extra: str, user: str, assumes: str
) -> None:
    edit(locked / "envsplit.yml", '"condaforge/miniforge3:25.3.1-0"', f'"{image}"{extra}')
    result = run(locked, "dockerfile")
    assert result.exit_code == 0, result.output
    for name in ("cpu", "cpu-spatial"):  # the extension installs as its base does
        text = (locked / "dockerfiles" / f"Dockerfile.{name}").read_text()
        assert f"\n{user}\n" in text and assumes in text
    listing = "envsplit-image-packages.txt"
    assert (listing in (locked / "dockerfiles" / "Dockerfile.cpu").read_text().split("RUN", 1)[1]) is (
        "conda)" in assumes
    )


def test_images_prints_the_table_and_json(locked) -> None:
    result = run(locked, "images")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["VARIANT", "BASE", "REFERENCES", "PLATFORMS"]
    assert lines[1].split() == [
        "cpu",
        "condaforge/miniforge3:25.3.1-0",
        "rocker/ml:latest",
        "linux/amd64,linux/arm64",
    ]
    assert [line.split() for line in lines[2:5]] == [
        ["rocker/ml:cpu"],
        ["ghcr.io/rocker-org/ml:latest"],
        ["ghcr.io/rocker-org/ml:cpu"],
    ]
    assert lines[7].split()[:4] == ["cpu-spatial", "cpu", "image", "rocker/ml-spatial:latest"]
    data = json.loads(run(locked, "images", "--format", "json").output)
    assert {row["variant"]: row["references"] for row in data}["cuda-spatial"] == [
        "rocker/cuda-spatial:latest",
        "ghcr.io/rocker-org/cuda-spatial:latest",
    ]
    assert {row["variant"]: row["installer"] for row in data} == {
        "cpu": "conda",
        "cuda": "none",
        "cpu-spatial": "conda",
        "cuda-spatial": "none",
    }
