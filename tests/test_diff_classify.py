"""diff classification: build-variant swaps on real build strings of the bundled snapshot, calendar versions,
and an extension's changes credited to its base (markdown and json)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from test_diff import lock, pkg

from envsplit.diff.classify import build_swaps, calendar_year
from envsplit.diff.compare import classify, diff_locksets, diff_platform
from envsplit.diff.render import anchor, render_json, render_markdown
from envsplit.diff.sides import Lock, LockSet
from envsplit.models import LockedPackage

REPODATA = Path(__file__).parent / "data/channels/conda-forge/linux-64/repodata.json"


@cache
def _records() -> dict[str, dict[str, Any]]:
    data = json.loads(REPODATA.read_text())
    return {**data.get("packages", {}), **data.get("packages.conda", {})}


def real(file_name: str) -> LockedPackage:
    """The snapshot's record of ``file_name`` as a locked package."""
    record = _records()[file_name]
    return pkg(record["name"], record["version"], record["build"], size=record.get("size"))


@pytest.mark.parametrize(
    ("old", "new", "kind", "swaps", "moved"),
    [
        (  # the case: a CUDA build swapped for the CPU build of the same version
            "pytorch-2.10.0-cuda129_mkl_py312_h2ff76c1_300.conda",
            "pytorch-2.10.0-cpu_mkl_py312_h335930c_100.conda",
            "build-variant",
            [("accelerator", "cuda129", "cpu")],
            None,
        ),
        (  # a version move and a swap on two axes at once
            "pytorch-2.7.1-cpu_mkl_py313_h58dab0e_103.conda",
            "pytorch-2.10.0-cuda129_mkl_py312_h2ff76c1_300.conda",
            "build-variant",
            [("accelerator", "cpu", "cuda129"), ("python", "py313", "py312")],
            "upgrade",
        ),
        (
            "libblas-3.9.0-35_h4a7cf45_openblas.conda",
            "libblas-3.9.0-35_hfdb39a5_mkl.conda",
            "build-variant",
            [("blas", "openblas", "mkl")],
            None,
        ),
        (  # the python tag glued to the hash
            "numpy-2.3.5-py313hf6604e3_0.conda",
            "numpy-2.3.5-py312h33ff503_1.conda",
            "build-variant",
            [("python", "py313", "py312")],
            None,
        ),
        (  # same variant, other hash and build number: a plain rebuild
            "libblas-3.9.0-35_h4a7cf45_openblas.conda",
            "libblas-3.9.0-35_h59b9bed_openblas.conda",
            "build",
            [],
            None,
        ),
        (  # the python axis moves with the version: still a swap, and the version move is kept
            "numpy-2.2.6-py312h72c5963_0.conda",
            "numpy-2.2.6-py313h17eae1a_0.conda",
            "build-variant",
            [("python", "py312", "py313")],
            None,
        ),
    ],
)
def test_build_variant_swaps_on_real_builds(
    old: str, new: str, kind: str, swaps: list[tuple[str, str, str]], moved: str | None
) -> None:
    a, b = real(old), real(new)
    pd = diff_platform("linux-64", [a], [b], frozenset({a.name}), frozenset({a.name}))
    (change,) = pd.changes
    assert (change.kind, change.moved) == (kind, moved)
    assert [(s.axis, s.old, s.new) for s in change.swaps] == swaps
    assert pd.counts()[kind] == 1


def test_noarch_and_unnamed_axes_are_no_swap() -> None:
    assert build_swaps("pyhd8ed1ab_0", "py313h17eae1a_0") == ()  # noarch names no python
    assert build_swaps("h0_0", "cpu_h1_0") == ()  # only one build names the axis
    assert build_swaps("cuda126_h0_0", "cuda129_h1_0")[0].text() == "cuda126 → cuda129"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("2025.1", "2026.2", ("upgrade", "calver")),  # a new year is a newer release, not a major
        ("2026.2", "2025.1", ("downgrade", "calver")),
        ("2025.1.0", "2025.1.1", ("upgrade", "calver")),
        ("2025b", "2025c", ("upgrade", "calver")),  # tzdata
        ("20240722.0", "20250127.1", ("upgrade", "calver")),  # libabseil: YYYYMMDD
        ("24.1", "25.1", ("upgrade", "major")),  # two digits: not read as a year
        ("1999.1", "2000.1", ("upgrade", "major")),  # before 2000: a plain version
        ("3.0", "2025.1", ("upgrade", "major")),  # a scheme change is compared as versions
        ("1!2025.1", "2026.1", ("downgrade", "major")),  # the epoch still decides
    ],
)
def test_calendar_versions(old: str, new: str, expected: tuple[str, str]) -> None:
    assert classify(old, new) == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("2025.1", "2026.2", ("upgrade", "calver")),  # PEP 440 versions of pip packages too
        ("2025.10.5", "2024.2.2", ("downgrade", "calver")),
        ("24.1", "25.1", ("upgrade", "major")),
    ],
)
def test_calendar_versions_of_pip_packages(old: str, new: str, expected: tuple[str, str]) -> None:
    assert classify(old, new, pip=True) == expected


def test_calendar_year_bounds() -> None:
    assert [calendar_year(n) for n in (2000, 2099, 2100, 1999, 20251301, 20251231, "2025", 24)] == [
        True,
        True,
        False,
        False,
        False,
        True,
        False,
        False,
    ]


def test_calver_and_swap_in_markdown_and_json() -> None:
    old = {"linux-64": [pkg("tzdata", "2025b"), real("pytorch-2.10.0-cuda129_mkl_py312_h2ff76c1_300.conda")]}
    new = {"linux-64": [pkg("tzdata", "2026a"), real("pytorch-2.10.0-cpu_mkl_py312_h335930c_100.conda")]}
    diff = diff_locksets(
        LockSet("old", {"app": lock("app", old, "app", ["pytorch", "tzdata"])}),
        LockSet("new", {"app": lock("app", new, "app", ["pytorch", "tzdata"])}),
    )
    text = render_markdown(diff)
    assert "- **app** linux-64: 1 upgraded, 1 build variant changed, -2.1 MB (1 of unknown size)" in text
    assert "; requested: pytorch (cuda129 → cpu), tzdata 2025b → 2026a\n" in text
    assert "| tzdata | upgrade (calver) |" in text
    assert "| pytorch | build variant cuda129 → cpu |" in text
    assert "(major)" not in text
    changed = {c["name"]: c for c in json.loads(render_json(diff))["variants"][0]["platforms"][0]["changed"]}
    assert (changed["tzdata"]["kind"], changed["tzdata"]["level"]) == ("upgrade", "calver")
    assert changed["pytorch"]["kind"] == "build-variant"
    assert changed["pytorch"]["swaps"] == [{"axis": "accelerator", "old": "cuda129", "new": "cpu"}]


# --- an extension's inherited changes --------------------------------------------------------------


def _layered(key: str, packages: list[LockedPackage], base: str | None, requested: list[str]) -> Lock:
    return Lock(key, f"{key}/conda-lock.yml", key, {"linux-64": packages}, frozenset(requested), base)


def test_an_extension_shows_its_own_changes_and_counts_the_inherited_ones() -> None:
    base_old = [pkg("python", "3.12.1"), pkg("numpy", "2.3.5"), pkg("zlib", "1.3")]
    base_new = [pkg("python", "3.12.2"), pkg("numpy", "2.4.0"), pkg("zlib", "1.3")]
    own_old, own_new = [pkg("gdal", "3.10.3")], [pkg("gdal", "3.11.0")]
    old = LockSet(
        "old",
        {
            "cpu": _layered("cpu", base_old, None, ["python", "numpy"]),
            "cpu-spatial": _layered("cpu-spatial", base_old + own_old, "cpu", ["python", "numpy", "gdal"]),
            "deep": _layered("deep", base_old + own_old, "cpu-spatial", ["gdal"]),
        },
    )
    new = LockSet(
        "new",
        {
            "cpu": _layered("cpu", base_new, None, ["python", "numpy"]),
            "cpu-spatial": _layered("cpu-spatial", base_new + own_new, "cpu", ["python", "numpy", "gdal"]),
            "deep": _layered("deep", base_new + own_new, "cpu-spatial", ["gdal"]),
        },
    )
    diff = diff_locksets(old, new)
    by_variant = {v.name: {c.name: c.inherited_from for c in v.platforms[0].changes} for v in diff.variants}
    assert by_variant["cpu"] == {"numpy": None, "python": None}
    assert by_variant["cpu-spatial"] == {"gdal": None, "numpy": "cpu", "python": "cpu"}
    # a chain credits the variant that made the change first
    assert by_variant["deep"] == {"gdal": "cpu-spatial", "numpy": "cpu", "python": "cpu"}

    text = render_markdown(diff)
    assert anchor("cpu", "linux-64") == "cpu--linux-64"
    assert (
        "- **cpu-spatial** linux-64: 1 upgraded; requested: gdal 3.10.3 → 3.11.0; "
        "inherited from [cpu](#cpu--linux-64): 2 changes"
    ) in text
    assert "#### cpu · linux-64" in text  # the heading the link points at
    section = text.split("#### cpu-spatial · linux-64", 1)[1].split("####", 1)[0]
    assert "| gdal |" in section and "| numpy |" not in section and "| python |" not in section
    assert "Not repeated here: inherited from [cpu](#cpu--linux-64): 2 changes." in section

    document = json.loads(render_json(diff))
    spatial = next(v for v in document["variants"] if v["name"] == "cpu-spatial")["platforms"][0]
    assert {c["name"]: c["inherited_from"] for c in spatial["changed"]} == {
        "gdal": None,
        "numpy": "cpu",
        "python": "cpu",
    }
    assert spatial["counts"]["upgrade"] == 3  # the json keeps every change


def test_only_inherited_changes() -> None:
    base_old, base_new = [pkg("numpy", "2.3.5")], [pkg("numpy", "2.4.0")]
    diff = diff_locksets(
        LockSet(
            "old", {"a": _layered("a", base_old, None, ["numpy"]), "b": _layered("b", base_old, "a", [])}
        ),
        LockSet(
            "new", {"a": _layered("a", base_new, None, ["numpy"]), "b": _layered("b", base_new, "a", [])}
        ),
    )
    text = render_markdown(diff)
    assert "- **b** linux-64: inherited from [a](#a--linux-64): 1 change\n" in text
