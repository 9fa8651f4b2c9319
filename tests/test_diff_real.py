"""``envsplit diff`` on real published lockfiles (tests/data/sources), checked against the raw YAML."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from test_diff_render import validate

from envsplit.cli import cli
from envsplit.diff.compare import LockDiff, diff_locksets
from envsplit.diff.render import render_markdown
from envsplit.diff.sides import RepodataSizes, read_side

SOURCES = Path(__file__).parent / "data" / "sources"
CHANNELS = Path(__file__).parent / "data" / "channels"
CRYO = SOURCES / "cryocloud-hub-image.conda-lock.yml"
ROCKET = SOURCES / "py-rocket-base.conda-lock.yml"
PANGEO = SOURCES / "pangeo-notebook.conda-lock.yml"
TORCH = SOURCES / "pangeo-pytorch-notebook.conda-lock.yml"


def raw(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Platform -> name -> entry, straight from the YAML (an oracle independent of conda-lock's models)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for entry in data["package"]:
        if entry["manager"] == "conda":
            out.setdefault(entry["platform"], {})[entry["name"]] = entry
    return out


def build_of(entry: dict[str, Any]) -> str:
    # older conda-lock v1 files have no build key; the file name always carries it
    stem = entry["url"].rsplit("/", 1)[1].removesuffix(".conda").removesuffix(".tar.bz2")
    return str(stem.rsplit("-", 2)[2])


@pytest.fixture(scope="module")
def cryo_rocket() -> LockDiff:
    return diff_locksets(read_side(CRYO), read_side(ROCKET))


@pytest.fixture(scope="module")
def pangeo_torch() -> Iterator[LockDiff]:
    yield diff_locksets(read_side(PANGEO), read_side(TORCH))


def test_cryocloud_vs_py_rocket_matches_the_raw_files(cryo_rocket: LockDiff) -> None:
    old, new = raw(CRYO)["linux-64"], raw(ROCKET)["linux-64"]
    (variant,) = cryo_rocket.variants
    assert variant.name == "cryocloud-hub-image → py-rocket-base"
    assert variant.requested_basis == "leaves"
    (pd,) = variant.platforms
    assert {c.name for c in pd.added} == new.keys() - old.keys()
    assert {c.name for c in pd.removed} == old.keys() - new.keys()
    differing = {n for n in old.keys() & new.keys() if old[n]["url"] != new[n]["url"]}
    assert {c.name for c in pd.changed} == differing
    assert (pd.old_count, pd.new_count) == (len(old), len(new))
    by_name = {c.name: c for c in pd.changes}
    # python 3.12 -> 3.11: a minor downgrade; many py312 builds become py311 builds of the same version,
    # which is a build-variant swap on the python axis, not a plain rebuild
    python = by_name["python"]
    assert (python.kind, python.level) == ("downgrade", "minor")
    assert (python.old and python.old.version, python.new and python.new.version) == ("3.12.12", "3.11.14")
    websockify = by_name["websockify"]
    assert (websockify.kind, websockify.moved) == ("build-variant", None)
    assert [(s.axis, s.old, s.new) for s in websockify.swaps] == [("python", "py312", "py311")]
    for c in pd.changed:
        o, n = old[c.name], new[c.name]
        assert (c.old and c.old.version, c.new and c.new.version) == (str(o["version"]), str(n["version"]))
        if c.kind == "build":
            assert o["version"] == n["version"] and build_of(o) != build_of(n)


def test_requested_of_foreign_locks_are_the_leaves(cryo_rocket: LockDiff) -> None:
    new = raw(ROCKET)["linux-64"]
    needed = {dep for entry in new.values() for dep in entry["dependencies"] if dep != entry["name"]}
    (pd,) = cryo_rocket.variants[0].platforms
    for c in pd.added:
        assert c.requested == (c.name not in needed), c.name
    assert {c.name for c in pd.added if c.requested} >= {"conda-lock", "pangeo-notebook"}


def test_pangeo_vs_pytorch_notebook(pangeo_torch: LockDiff) -> None:
    (variant,) = pangeo_torch.variants
    platforms = {p.platform: p for p in variant.platforms}
    assert {p: pd.status for p, pd in platforms.items()} == {
        "linux-64": "changed",
        "linux-aarch64": "removed",
        "osx-64": "removed",
        "osx-arm64": "removed",
    }
    old, new = raw(PANGEO), raw(TORCH)
    for platform in ("linux-aarch64", "osx-64", "osx-arm64"):
        pd = platforms[platform]
        assert {c.name for c in pd.removed} == set(old[platform])
        assert not pd.added and not pd.changed and pd.new_count == 0
    pd = platforms["linux-64"]
    assert {c.name for c in pd.added} == new["linux-64"].keys() - old["linux-64"].keys()
    xgboost = next(c for c in pd.changes if c.name == "xgboost")
    assert xgboost.kind == "build-variant"  # a CPU build swapped for a CUDA one is no mere rebuild
    assert xgboost.old is not None and xgboost.new is not None
    assert xgboost.old.build.startswith("cpu_") and xgboost.new.build.startswith("cuda129_")
    assert ("accelerator", "cpu", "cuda129") in [(s.axis, s.old, s.new) for s in xgboost.swaps]
    text = render_markdown(pangeo_torch)
    assert "- **pangeo-notebook → pangeo-pytorch-notebook** osx-64: platform dropped (746 packages)" in text
    assert "Download sizes: unknown" in text


def test_json_of_real_locks_follows_the_schema(pangeo_torch: LockDiff, cryo_rocket: LockDiff) -> None:
    from envsplit.diff.render import to_json

    for diff in (pangeo_torch, cryo_rocket):
        validate(json.loads(json.dumps(to_json(diff))))


def test_sizes_come_from_the_mirrored_repodata(channel_server: str, tmp_path: Path) -> None:
    lookup = RepodataSizes(
        mirrors={"https://conda.anaconda.org/conda-forge": f"{channel_server}/conda-forge"},
        cache_dir=tmp_path / "cache",
        base_dir=tmp_path,
    )
    diff = diff_locksets(read_side(PANGEO), read_side(TORCH), sizes=lookup)
    assert lookup.warnings == []
    repodata: dict[tuple[str, str], int] = {}
    for subdir in ("linux-64", "linux-aarch64", "noarch"):
        data = json.loads((CHANNELS / "conda-forge" / subdir / "repodata.json").read_text())
        for key in ("packages", "packages.conda"):
            for file_name, record in data.get(key, {}).items():
                repodata[(subdir, file_name)] = record["size"]
    checked = 0
    for c in diff.changes():
        for p, size in ((c.old, c.old_size), (c.new, c.new_size)):
            if p is None:
                continue
            assert size == repodata.get((p.subdir, p.file_name)), p.url
            checked += size is not None
    assert checked > 1000
    platforms = {p.platform: p for p in diff.variants[0].platforms}
    # osx-64 has no repodata in the snapshot: its noarch packages are sized, the others are not
    osx = platforms["osx-64"].size_delta
    assert osx.counted > 0 and osx.unknown > 0 and osx.bytes < 0
    linux = platforms["linux-64"].size_delta
    assert linux.unknown == 0 and linux.bytes == sum(c.size_delta or 0 for c in platforms["linux-64"].changes)
    text = render_markdown(diff)
    assert "of unknown size" in text and "download Δ" in text


def test_cli_diff_of_two_real_files_writes_markdown_and_json(tmp_path: Path) -> None:
    out = tmp_path / "body.md"
    result = CliRunner().invoke(cli, ["diff", str(CRYO), str(ROCKET), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"changes; wrote {out}" in result.output
    body = out.read_text(encoding="utf-8")
    assert body.startswith("<!-- Generated by envsplit")
    assert f"Regenerate with: envsplit diff {CRYO} {ROCKET} -->" in body.splitlines()[0]
    assert "python 3.12.12 → 3.11.14" not in body  # python is a dependency here, not a leaf
    assert "| python | downgrade (minor) | 3.12.12 `" in body
    result = CliRunner().invoke(cli, ["diff", str(CRYO), str(ROCKET), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    validate(document)
    assert document["old"] == str(CRYO) and document["new"] == str(ROCKET)
    assert document["size_delta"] is None and document["size_unknown"] > 0
