"""``envsplit audit``, ``why`` and ``tree`` through the CLI, on the rocker locks and a published lockfile."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import CHANNELS, DATA, REPO
from test_graph import channel_sizes, edges, reach

from envsplit.cli import cli
from envsplit.inputs.compose import compose
from envsplit.inputs.project import read_project
from envsplit.lockfile import explicit, pip_entries
from envsplit.models import LockedPackage
from envsplit.pip.resolve import PUBLIC_FILES
from envsplit.units import human_bytes

SCHEMA = REPO / "docs" / "audit-schema.json"
PANGEO = DATA / "sources" / "pangeo-notebook.conda-lock.yml"
PYPI_INDEX = DATA / "pypi" / "simple"


@pytest.fixture()
def rocker(rocker_project: Path) -> Path:
    """The rocker example with the repo's committed locks."""
    shutil.copytree(REPO / "locks", rocker_project / "locks")
    return rocker_project


def run(project: Path, *args: str) -> Result:
    """The CLI in ``project``; an audit reads pip sizes from the offline PyPI snapshot, never from pypi.org."""
    if args[:1] == ("audit",) and "--pypi-index" not in args:
        args = (*args, "--pypi-index", str(PYPI_INDEX))
    return CliRunner().invoke(cli, ["-C", str(project), *args], catch_exceptions=False)


def pip_sizes() -> dict[str, int]:
    """Public URL -> size of every file in the offline PyPI snapshot."""
    snapshot = json.loads((DATA / "pypi" / "snapshot.json").read_text())
    return {PUBLIC_FILES + f["path"]: f["size"] for files in snapshot["projects"].values() for f in files}


def audit_json(project: Path, mirror_args: list[str], *args: str) -> dict:
    result = run(project, "audit", "--format", "json", *args, *mirror_args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def envs(doc: dict) -> Iterator[tuple[dict, dict[str, dict]]]:
    for env in doc["environments"]:
        yield env, {p["name"]: p for p in env["packages"]}


def test_rocker_audit_json(rocker: Path, mirror_args: list[str], cache_dir: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    doc = audit_json(rocker, mirror_args)
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    assert doc["schema"] == "envsplit-audit" and doc["schema_version"] == 3
    assert (doc["weight_basis"], doc["installed_size_read"]) == ("download", False)
    assert "127.0.0.1" not in json.dumps(doc), "the mirror's address must not leak into the output"
    assert [(e["target"], e["platform"]) for e in doc["environments"]] == [
        (v, p) for v in ("cpu", "cuda", "cpu-spatial", "cuda-spatial") for p in ("linux-64", "linux-aarch64")
    ]
    project = read_project(rocker)
    sizes = channel_sizes() | pip_sizes()

    def pip_of(target: str, platform: str) -> list[LockedPackage]:
        return pip_entries.read(rocker / "locks" / target / "conda-lock.yml")[platform]

    for env, rows in envs(doc):
        # Every size is the channel's repodata size of exactly that file.
        assert all(r["size"] == sizes[r["url"]] for r in rows.values())
        assert env["totals"]["size"] == sum(sizes[r["url"]] for r in rows.values())
        assert env["totals"]["size_missing"] == [] and env["unreached"] == []
        requested = {d.name for d in compose(project, env["target"]).dependencies}
        pip = {p.name: p.url for p in pip_of(env["target"], env["platform"])}
        assert pip and {n for n, r in rows.items() if r.get("manager") == "pip"} == set(pip)
        assert {n for n, r in rows.items() if r["requested"]} == requested | set(pip), (
            "pip: each one requested"
        )
        assert env["requested_from"] == "specs"
        assert env["weight_basis"] == "download" and env["totals"]["installed_size"] is None
        limit = env["totals"]["heavy_threshold_bytes"]
        assert limit == 50_000_000
        for r in rows.values():
            heavy = r["requested"] and r["exclusive_bytes"] >= limit
            assert ("heavy" in r["flags"]) == heavy, r["name"]
            if r["requested"]:
                assert r["exclusive_bytes"] + r["shared_bytes"] >= r["size"]
            else:
                assert r["exclusive_bytes"] is None and r["shared_bytes"] is None
            assert r["installed_size"] is None
        if env["base"] is None:
            assert env["layer"] is None
        else:
            layer_file = rocker / "locks" / env["target"] / f"layer-{env['platform']}.lock"
            urls = {line.partition("#")[0] for line in explicit.package_lines(layer_file)}
            # The pip layer: the pip files the extension adds to its base's.
            urls |= {p.url for p in pip_of(env["target"], env["platform"])} - {
                p.url for p in pip_of(env["base"], env["platform"])
            }
            assert {r["url"] for r in rows.values() if r["in_layer"]} == urls
            assert env["layer"]["packages"] == len(urls)
            assert env["layer"]["size"] == sum(sizes[u] for u in urls)
    by_key = {(e["target"], e["platform"]): rows for e, rows in envs(doc)}
    cuda = by_key[("cuda", "linux-64")]
    assert "heavy" in cuda["pytorch"]["flags"] and cuda["pytorch"]["exclusive_bytes"] > 1_000_000_000
    assert cuda["python"]["exclusive_bytes"] == 0  # everything needs python
    spatial = by_key[("cpu-spatial", "linux-64")]
    for name in ("gdal", "libgdal-core", "proj", "geos", "rasterio", "pyogrio", "fiona", "cartopy"):
        assert "geospatial" in spatial[name]["flags"], name
    assert "pulls-geospatial" in spatial["leafmap"]["flags"]
    assert not {"geospatial", "pulls-geospatial"} & set(spatial["polars"]["flags"])
    cpu_env = next(e for e in doc["environments"] if e["target"] == "cpu")
    assert cpu_env["totals"]["geospatial_packages"] == 0
    # Differences: cpu vs cuda and the two spatial extensions, per platform, by URL.
    pairs = {(d["a"], d["b"], d["platform"]): d for d in doc["differences"]}
    assert set(pairs) == {
        (a, b, p)
        for a, b in (("cpu", "cuda"), ("cpu-spatial", "cuda-spatial"))
        for p in ("linux-64", "linux-aarch64")
    }
    d = pairs[("cpu", "cuda", "linux-64")]
    cpu_urls = {r["url"] for r in by_key[("cpu", "linux-64")].values()}
    cuda_urls = {r["url"] for r in cuda.values()}
    only_b = sum(sizes[u] for u in cuda_urls - cpu_urls)
    assert d["only_in_b"] == {
        "packages": len(cuda_urls - cpu_urls),
        "size": only_b,
        "total": {"bytes": only_b, "unknown": 0, "of": len(cuda_urls - cpu_urls), "lower_bound": False},
    }
    assert d["size_delta"] == d["size_b"] - d["size_a"] > 3_000_000_000


def test_geospatial_removal_matches_brute_force(
    rocker: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    doc = audit_json(rocker, mirror_args, "--variant", "cuda-spatial", "--platform", "linux-aarch64")
    ((env, rows),) = envs(doc)
    from envsplit.lockfile import conda_lock_yml

    lock = rocker / "locks/cuda-spatial/conda-lock.yml"
    packages = conda_lock_yml.read(lock)["linux-aarch64"]
    # pip packages: no dependencies recorded, each one its own root.
    deps = edges(packages) | {p.name: set() for p in pip_entries.read(lock)["linux-aarch64"]}
    requested = [n for n, r in rows.items() if r["requested"]]
    geo = {n for n in requested if {"geospatial", "pulls-geospatial"} & set(rows[n]["flags"])}
    kept = reach(deps, [n for n in requested if n not in geo])
    freed = sum(r["size"] for n, r in rows.items() if n not in kept)
    assert env["totals"]["geospatial_removal_bytes"] == freed > 0


def test_threshold_percent_and_installed_basis_flagging(
    rocker: Path, mirror_args: list[str], cache_dir: Path
) -> None:
    doc = audit_json(rocker, mirror_args, "--variant", "cpu", "--platform", "linux-64", "--threshold", "10%")
    ((env, rows),) = envs(doc)
    limit = env["totals"]["heavy_threshold_bytes"]
    assert limit == env["totals"]["size"] // 10
    heavy = sorted(n for n, r in rows.items() if "heavy" in r["flags"])
    assert heavy == sorted(n for n, r in rows.items() if r["requested"] and r["exclusive_bytes"] >= limit)
    assert heavy, "10% of the cpu image is freed by at least one requested package"
    assert doc["heavy_threshold"] == "10%"
    assert "--threshold 10%" in doc["generator"]["regenerate"]


def test_unknown_installed_sizes_stay_unknown(rocker: Path, cache_dir: Path) -> None:
    """A mirror with repodata but no archives: every installed size is unknown, and no figure reads as a
    known 0: each installed sum says it is a lower bound."""
    jsonschema = pytest.importorskip("jsonschema")
    mirror = ["--mirror", f"conda-forge={CHANNELS / 'conda-forge'}"]
    common = ["--variant", "cpu", "--variant", "cpu-spatial", "--platform", "linux-64", "--installed-size"]
    doc = audit_json(rocker, mirror, *common)
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    assert (doc["weight_basis"], doc["installed_size_read"]) == ("installed", True)
    for env, rows in envs(doc):
        n = len(rows)
        assert env["weight_basis"] == "installed"
        assert env["totals"]["installed_size"] is None
        assert env["totals"]["installed_total"] == {"bytes": 0, "unknown": n, "of": n, "lower_bound": True}
        assert env["totals"]["installed_size_missing"] == sorted(rows) and n > 300
        for r in rows.values():
            # Only "frees nothing" (another requested package keeps it) is known without any installed size.
            if r["requested"]:
                freed_nothing = r["exclusive_bytes"] == 0
                assert r["exclusive_installed_bytes"] == (0 if freed_nothing else None), r["name"]
                assert r["frees"]["lower_bound"] is not freed_nothing
            # No package is called heavy on sizes nobody knows.
            assert "heavy" not in r["flags"]
        if env["layer"] is not None:
            assert env["layer"]["installed_size"] is None and env["layer"]["total"]["lower_bound"]
    table = run(rocker, "audit", *common, "--top", "3", *mirror)
    assert table.exit_code == 0, table.output
    # A pip package's 0 B is its known shared weight (the lock records no dependencies of pip packages).
    zero = [ln for ln in table.stdout.splitlines() if "0 B" in ln.replace("at least 0 B", "")]
    assert zero and all(ln.rstrip().endswith("│    0 B │ pip   │") for ln in zero), zero
    assert "heavy: requested packages freeing at least 50.0 MB of installed size" in table.stdout
    assert "so installed figures are lower bounds (at least)" in table.stdout
    md = run(rocker, "audit", *common, "--format", "markdown", *mirror)
    assert (
        "| cpu | linux-64 | 403 | 618.6 MB | at least 0 B (403 of 403 sizes unknown) | - | - |" in md.stdout
    )
    assert "206 pkgs, at least 0 B (206 of 206 sizes unknown)" in md.stdout
    html = run(rocker, "audit", *common, "--format", "html", *mirror)
    assert "Weights are installed sizes." in html.stdout
    assert html.stdout.count("Every figure in this section is installed size") == 2
    assert "403 packages, at least 0 B (403 of 403 sizes unknown) installed</title>" in html.stdout


def test_markdown_and_table_are_deterministic(
    rocker: Path, mirror_args: list[str], cache_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "audit.md"
    args = [
        "audit",
        "--variant",
        "cpu",
        "--variant",
        "cuda",
        "--platform",
        "linux-64",
        "--format",
        "markdown",
    ]
    first = run(rocker, *args, "-o", str(out), *mirror_args)
    assert first.exit_code == 0, first.output
    text = out.read_text()
    assert run(rocker, *args, "-o", str(out), *mirror_args).exit_code == 0
    assert out.read_text() == text
    assert text.startswith("<!-- Generated by envsplit ")
    assert (
        f"Regenerate with: envsplit -C {rocker} audit --variant cpu --variant cuda --platform linux-64"
        in text
    )
    assert "| cpu | cuda | linux-64 |" in text
    assert "| pytorch | 2.10.0 |" in text
    table = run(rocker, "audit", "--variant", "cuda", "--platform", "linux-64", "--top", "3", *mirror_args)
    assert table.exit_code == 0
    assert (
        table.stdout
        == run(
            rocker, "audit", "--variant", "cuda", "--platform", "linux-64", "--top", "3", *mirror_args
        ).stdout
    )
    lines = table.stdout.splitlines()
    assert any("pytorch" in ln and "heavy" in ln for ln in lines)
    assert "lighter requested package(s) not shown" in table.stdout
    assert "\x1b[" not in table.stdout


def test_sizes_read_the_same_in_audit_and_diff(
    mirror_args: list[str], cache_dir: Path, tmp_path: Path
) -> None:
    """One formatter (envsplit.units) for both commands: decimal units, and no sign on a zero change."""
    a, b = tmp_path / "a.conda-lock.yml", tmp_path / "b.conda-lock.yml"
    for lock in (a, b):
        shutil.copy(PANGEO, lock)
    args = ["audit", "--variant", str(a), "--variant", str(b), "--platform", "linux-64"]
    md = run(tmp_path / "no-project", *args, "--format", "markdown", *mirror_args)
    assert md.exit_code == 0, md.output
    doc = audit_json(tmp_path / "no-project", mirror_args, *args[1:])
    (d,) = doc["differences"]
    env = doc["environments"][0]
    size = env["totals"]["size"]
    assert d["size_delta"] == 0 and size > 1_000_000
    assert f"| {a} | {b} | linux-64 | 0 pkgs, 0 B | 0 pkgs, 0 B | 0 B |" in md.stdout
    assert f"| {a} | linux-64 | {len(env['packages'])} | {human_bytes(size)} |" in md.stdout
    assert human_bytes(size).endswith(" MB") and human_bytes(size, signed=True) == "+" + human_bytes(size)


def test_audit_of_a_published_lockfile(mirror_args: list[str], cache_dir: Path, tmp_path: Path) -> None:
    lock = tmp_path / "pangeo.conda-lock.yml"
    shutil.copy(PANGEO, lock)
    doc = audit_json(tmp_path / "no-project", mirror_args, "--variant", str(lock))
    assert [e["platform"] for e in doc["environments"]] == [
        "linux-64",
        "linux-aarch64",
        "osx-64",
        "osx-arm64",
    ]
    sizes = channel_sizes()
    for env, rows in envs(doc):
        assert env["kind"] == "lockfile" and env["requested_from"] == "top-level"
        missing = sorted(n for n, r in rows.items() if r["url"] not in sizes)
        # The offline channel has linux and noarch records only: exactly the osx-only files lack a size.
        assert env["totals"]["size_missing"] == missing
        assert all(r["size"] is None for n, r in rows.items() if n in missing)
        if env["platform"].startswith("linux"):
            assert missing == []
        else:
            assert missing and all(rows[n]["subdir"] == env["platform"] for n in missing)
        assert any(r["requested"] and r["exclusive_bytes"] for r in rows.values())
    md = run(
        tmp_path,
        "audit",
        "--variant",
        str(lock),
        "--platform",
        "osx-64",
        "--format",
        "markdown",
        *mirror_args,
    )
    assert md.exit_code == 0
    assert "no download size (not in the channel's repodata) for " in md.stdout
    assert "upper bounds" in md.stdout


def test_why_and_tree_commands(rocker: Path) -> None:
    result = run(rocker, "why", "proj", "--variant", "cpu-spatial", "--platform", "linux-64")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("cpu-spatial (linux-64): proj 9.7.1")
    assert "rasterio 1.5.0 py312hcedc861_0 [requested]" in lines
    every = run(rocker, "why", "proj", "--variant", "cpu-spatial", "--platform", "linux-64", "--all")
    assert len(every.stdout.splitlines()) > len(lines)
    across = run(rocker, "why", "gdal")
    assert [ln.split(":")[0] for ln in across.stdout.splitlines() if ": gdal 3.12.1 " in ln] == [
        "cpu-spatial (linux-64)",
        "cpu-spatial (linux-aarch64)",
        "cuda-spatial (linux-64)",
        "cuda-spatial (linux-aarch64)",
    ]
    tree = run(rocker, "tree", "--variant", "cpu", "--platform", "linux-aarch64", "--depth", "1")
    assert tree.exit_code == 0
    assert tree.stdout.splitlines()[0] == "# cpu (linux-aarch64)"
    inverted = run(rocker, "tree", "--variant", "cpu", "--platform", "linux-64", "--invert", "libblas")
    assert inverted.stdout.splitlines()[1].startswith("libblas ")


def test_why_on_a_lockfile_path(tmp_path: Path) -> None:
    lock = tmp_path / "rocket.conda-lock.yml"
    shutil.copy(DATA / "sources" / "py-rocket-base.conda-lock.yml", lock)
    result = run(tmp_path, "why", "openssl", "--variant", str(lock))
    assert result.exit_code == 0, result.output
    assert "[top level]" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["why", "no-such-pkg", "--variant", "cpu"], "'no-such-pkg' is not in the locks of cpu"),
        (["why", "numpyy", "--variant", "cpu"], "did you mean numpy"),
        (["tree", "--variant", "cpu", "--invert", "gdal"], "'gdal' is not in the locks of cpu"),
        (
            ["tree", "--variant", "gpu"],
            "envsplit.yml; declared: cpu, cuda, cpu-spatial, cuda-spatial; or give the path",
        ),
        (["audit", "--variant", "gpu"], "--variant gpu: no such variant"),
        (["audit", "--variant", "cpu", "--platform", "osx-64"], "--platform osx-64: "),
        (["audit", "--variant", "missing.conda-lock.yml"], "missing.conda-lock.yml: lockfile not found"),
        (["audit", "--variant", "cpu", "--threshold", "lots"], "--threshold 'lots': expected a size"),
        (
            ["audit", "--variant", "cpu", "--threshold", "150%"],
            "--threshold '150%': a share of the environment must be more than 0% and at most 100%",
        ),
        (["audit", "--variant", "cpu", "--threshold", "0%"], "--threshold '0%': a share of the environment"),
        (
            ["why", "python", "--variant", "cpu-spatial"],
            "cpu-spatial' has no lock yet; run 'envsplit lock --variant cpu-spatial'",
        ),
    ],
)
def test_bad_input_exits_2_with_one_message(rocker: Path, args: list[str], message: str) -> None:
    shutil.rmtree(rocker / "locks" / "cpu-spatial")
    result = run(rocker, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert result.stderr.count("error:") == 1


def test_corrupt_lockfile_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "broken.conda-lock.yml"
    bad.write_text("version: 1\nmetadata: [this is not\n")
    result = run(tmp_path, "audit", "--variant", str(bad))
    assert result.exit_code == 2
    assert f"{bad}: not a readable conda-lock.yml" in result.stderr
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    result = run(tmp_path, "why", "python", "--variant", str(empty))
    assert result.exit_code == 2 and "not a readable conda-lock.yml" in result.stderr


def test_unreachable_channel_is_an_error_not_a_table_of_zeros(rocker: Path, cache_dir: Path) -> None:
    result = run(
        rocker, "audit", "--variant", "cpu", "--mirror", "conda-forge=http://127.0.0.1:9/conda-forge"
    )
    assert result.exit_code == 1
    assert "could not read the repodata of https://conda.anaconda.org/conda-forge" in result.stderr
    assert "--mirror" in result.stderr
