"""``envsplit audit --drop/--drop-overlay/--resolve/--whole``: group what-ifs, the layer view, candidates."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import DATA, REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_audit import audit_json, envs, rocker, run  # noqa: F401  (rocker is a fixture)
from test_audit_html import CHROMIUM, chromium, console_messages
from test_graph import channel_sizes, edges, reach

from envsplit.audit import graph
from envsplit.cli import cli
from envsplit.inputs.compose import compose
from envsplit.inputs.project import read_project
from envsplit.lockfile import conda_lock_yml, pip_entries
from envsplit.models import LockedPackage

PANGEO = DATA / "sources" / "pangeo-notebook.conda-lock.yml"


@cache
def environments() -> list[tuple[str, graph.DepGraph]]:
    """Every rocker lock (variant, platform) and the published pangeo lock, as graphs."""
    project = read_project(REPO)
    out = []
    for variant in project.variants:
        requested = {d.name for d in compose(project, variant).dependencies}
        for platform, packages in conda_lock_yml.read(REPO / "locks" / variant / "conda-lock.yml").items():
            out.append((f"{variant} {platform}", graph.build(packages, requested)))
    for platform, packages in conda_lock_yml.read(PANGEO).items():
        out.append((f"pangeo {platform}", graph.build(packages, None)))
    return out


def brute_force(packages: list[LockedPackage], roots: list[str], dropped: set[str]) -> set[str]:
    """Drop the requested packages, walk from the rest, and see what is left behind."""
    deps = edges(packages)
    return {p.name for p in packages} - reach(deps, [r for r in roots if r not in dropped])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_group_leaves_equal_remove_and_recompute(data: st.DataObject) -> None:
    label, g = data.draw(st.sampled_from(environments()))
    roots = list(g.roots)
    dropped = set(data.draw(st.lists(st.sampled_from(roots), min_size=1, max_size=12, unique=True)))
    leaves = graph.group_leaves(g, dropped)
    assert set(leaves) == brute_force(list(g.packages.values()), roots, dropped), (label, sorted(dropped))
    assert leaves == sorted(leaves)


@pytest.mark.parametrize("label", [lbl for lbl, _ in environments()])
def test_every_single_and_whole_group_on_every_lock(label: str) -> None:
    g = dict(environments())[label]
    packages, roots = list(g.packages.values()), list(g.roots)
    assert graph.group_leaves(g, roots) == sorted(g.packages)  # dropping everything frees everything
    w = graph.weights(g, {n: 1 for n in g.packages})
    alone = graph.exclusive_sets(g, w)
    for r in g.requested:
        # One package is a group of one: the same as its exclusive set and weight.
        assert graph.group_leaves(g, [r]) == alone[r] == sorted(brute_force(packages, roots, {r}))
        assert w.exclusive[r] == len(alone[r])


def test_drop_json_equals_brute_force_sizes(rocker: Path, mirror_args: list[str], cache_dir: Path) -> None:  # noqa: F811
    """The CLI's figure: every package that leaves, and its download bytes, for a group and an overlay."""
    doc = audit_json(
        rocker,
        mirror_args,
        *("--variant", "cpu-spatial", "--variant", "cuda", "--whole"),
        *("--drop", "leafmap,jupytergis,streamlit,pytorch", "--drop-overlay", "spatial"),
    )
    sizes = channel_sizes()
    project = read_project(rocker)
    assert len(doc["environments"]) == 4
    for env, rows in envs(doc):
        packages = conda_lock_yml.read(rocker / "locks" / env["target"] / "conda-lock.yml")[env["platform"]]
        roots = sorted(
            {d.name for d in compose(project, env["target"]).dependencies}
            | {n for n, r in rows.items() if r.get("manager") == "pip"}
        )
        drop, overlay = env["what_ifs"]
        want = brute_force(
            packages,
            [r for r in roots if r in rows and rows[r].get("manager") != "pip"],
            {"leafmap", "jupytergis", "streamlit", "pytorch"},
        )
        assert set(drop["leaves"]) == want
        assert drop["frees"] == {
            "bytes": sum(sizes[rows[n]["url"]] for n in want),
            "unknown": 0,
            "of": len(want),
            "lower_bound": False,
        }
        if env["target"] == "cuda":
            assert drop["notes"] == ["not in this environment: leafmap, jupytergis, streamlit"]
            assert overlay["dropped"] == [] and overlay["leaves"] == []
            assert "pytorch" in want and drop["frees"]["bytes"] > 1_000_000_000
        else:
            assert overlay["dropped"] and set(overlay["leaves"]) >= {"gdal", "rasterio", "pcodec"}
            # Dropping the extension's own overlay frees exactly what its layer adds.
            assert overlay["frees"] == env["layer"]["total"]


def test_layer_view_ranks_only_the_layer(rocker: Path, mirror_args: list[str], cache_dir: Path) -> None:  # noqa: F811
    args = ("--variant", "cpu-spatial", "--platform", "linux-64", "--top", "0")
    cpu = rocker / "locks" / "cpu" / "conda-lock.yml"
    base = {p.name for p in [*conda_lock_yml.read(cpu)["linux-64"], *pip_entries.read(cpu)["linux-64"]]}
    doc = audit_json(rocker, mirror_args, *args)
    ((env, rows),) = envs(doc)
    assert env["view"] == "layer"
    assert env["ranked"] and not set(env["ranked"]) & base
    assert set(env["in_base"]) == {n for n, r in rows.items() if r["requested"] and n in base}
    assert {"python", "pytorch-cpu", "polars"} <= set(env["in_base"])
    assert [c["name"] for c in env["candidates"] if c["kind"] == "overlay"] == ["spatial"]
    assert not {c["name"] for c in env["candidates"]} & base
    whole = audit_json(rocker, mirror_args, *args, "--whole")
    ((wenv, _),) = envs(whole)
    assert wenv["view"] == "whole" and set(wenv["ranked"]) == {n for n, r in rows.items() if r["requested"]}
    assert {c["name"] for c in wenv["candidates"] if c["kind"] == "overlay"} == {"cpu", "spatial"}
    for fmt in ("table", "markdown", "html"):
        out = run(rocker, "audit", *args, "--format", fmt, *mirror_args).stdout
        ranked = _ranked_names(out, fmt)
        assert ranked == env["ranked"], fmt
        first = ", ".join(env["in_base"][:2])
        assert (
            f"in base (not ranked: the base image has them; --whole ranks the full image): "
            f"{len(env['in_base'])} requested package(s): {first}" in _unwrap(out)
        ), fmt
        assert "what the layer adds; --whole ranks the full image" in _unwrap(out), fmt


def _ranked_names(out: str, fmt: str) -> list[str]:
    """The first column of the ranked table, read from the rendered text."""
    title = "requested packages by exclusive weight"
    if fmt == "html":
        section = out.split(title, 1)[1].split("</table>", 1)[0]
        return [cell.split("</td>")[0] for cell in section.split("<tr><td>")[1:]]
    mark = "│" if fmt == "table" else "|"
    lines = out.split(title, 1)[1].splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(("┡", "|---")))
    names = []
    for ln in lines[start + 1 :]:
        if not ln.startswith(mark):
            break
        names.append(ln.strip(mark).split(mark)[0].strip())
    return names


def test_candidates_sorted_with_flags(rocker: Path, mirror_args: list[str], cache_dir: Path) -> None:  # noqa: F811
    args = ("--variant", "cpu-spatial", "--platform", "linux-64", "--whole", "--top", "0")
    doc = audit_json(rocker, mirror_args, *args)
    ((env, rows),) = envs(doc)
    cands = env["candidates"]
    assert [c["frees"]["bytes"] for c in cands] == sorted((c["frees"]["bytes"] for c in cands), reverse=True)
    spatial = next(c for c in cands if c["name"] == "spatial")
    assert set(spatial["flags"]) == {"heavy", "geospatial"}
    # The cpu overlay only swaps pytorch for pytorch-cpu: dropping it frees nothing, it undoes the swap.
    cpu = next(c for c in cands if c["name"] == "cpu")
    assert (cpu["members"], cpu["frees"]["bytes"]) == ([], 0)
    for c in cands:
        if c["kind"] == "package":
            assert c["frees"] == rows[c["name"]]["frees"]
    md = run(rocker, "audit", *args, "--format", "markdown", *mirror_args).stdout
    section = md.split("#### Candidates: cpu-spatial · linux-64, by what they free (download size)", 1)[1]
    table = [ln for ln in section.splitlines() if ln.startswith("| ")][1:]
    assert [ln.split(" | ")[0].lstrip("| ") for ln in table] == [c["name"] for c in cands]
    assert any(ln.startswith("| spatial | overlay |") and ln.endswith("heavy, geospatial |") for ln in table)
    html = run(rocker, "audit", *args, "--format", "html", *mirror_args).stdout
    assert "<h3>Candidates by what they free (download size)</h3>" in html
    swap = run(rocker, "audit", *args, "--drop-overlay", "cpu", *mirror_args).stdout
    assert "replaces pytorch with pytorch-cpu: dropping the overlay swaps them back" in swap


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--variant", "cpu-spatial", "--drop", "gdl"],
            "error: --drop gdl: no package of that name in the lock of cpu-spatial; did you mean gdal?",
        ),
        (
            ["--variant", "cpu-spatial", "--drop", "leafmap,libgdal-core"],
            "error: --drop libgdal-core: not a requested package of cpu-spatial, only a dependency; "
            "'envsplit why libgdal-core' shows what needs it",
        ),
        (
            ["--variant", "cpu", "--drop-overlay", "spatial"],
            "error: --drop-overlay spatial: not used by the audited variant(s); variant cpu uses cpu",
        ),
        (
            ["--variant", "cpu", "--variant", "cuda-spatial", "--drop-overlay", "gpu"],
            "error: --drop-overlay gpu: not used by the audited variant(s); variant cpu uses cpu; "
            "variant cuda-spatial uses cuda, spatial",
        ),
        (["--variant", "cpu", "--resolve"], "error: --resolve: confirms a what-if; give --drop PKG or"),
        (["--variant", "cpu", "--drop", " , "], "error: --drop ' , ': give one or more package names"),
    ],
)
def test_bad_what_if_input_exits_2(rocker: Path, args: list[str], message: str) -> None:  # noqa: F811
    result = CliRunner().invoke(cli, ["-C", str(rocker), "audit", *args])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(message), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_published_lock_with_unknown_sizes_says_at_least_everywhere(
    mirror_args: list[str], cache_dir: Path, tmp_path: Path
) -> None:
    """pangeo's osx-64 files are not in the offline snapshot: every total is a lower bound, in every format."""
    jsonschema = pytest.importorskip("jsonschema")
    args = ["--variant", str(PANGEO), "--platform", "osx-64", "--drop", "pangeo-notebook"]
    doc = audit_json(tmp_path, mirror_args, *args)
    jsonschema.validate(doc, json.loads((REPO / "docs" / "audit-schema.json").read_text()))
    ((env, rows),) = envs(doc)
    unknown = len(env["totals"]["size_missing"])
    assert 0 < unknown < len(rows)
    total = env["totals"]["size_total"]
    assert total == {
        "bytes": sum(r["size"] or 0 for r in rows.values()),
        "unknown": unknown,
        "of": len(rows),
        "lower_bound": True,
    }
    text = f"at least {_human(total['bytes'])} ({unknown} of {len(rows)} sizes unknown)"
    outputs = {
        fmt: run(tmp_path, "audit", *args, "--format", fmt, *mirror_args).stdout
        for fmt in ("table", "markdown", "html")
    }
    for fmt, out in outputs.items():
        if fmt == "table":  # the terminal table folds the cell inside its column: read it column-wise
            cell = _column_cell(out, "download")
            assert cell == text, cell
            continue
        assert text in _unwrap(out), fmt
        assert "--drop pangeo-notebook: frees at least" in _unwrap(out), fmt
    if CHROMIUM is None:
        pytest.skip("chromium is not installed; the text formats were checked")
    page = tmp_path / "page.html"
    page.write_text(outputs["html"])
    shown = chromium(page, tmp_path, "--dump-dom")
    assert shown.returncode == 0 and console_messages(shown.stderr) == []
    assert text in _unwrap(shown.stdout)


def _column_cell(table: str, column: str) -> str:
    """The first body cell of ``column`` in the first rich table, its folded lines joined."""
    lines = table.splitlines()
    head = next(ln for ln in lines if ln.startswith("┃"))
    index = [c.strip() for c in head.strip("┃").split("┃")].index(column)
    start = next(i for i, ln in enumerate(lines) if ln.startswith("┡"))
    parts = []
    for ln in lines[start + 1 :]:
        if not ln.startswith("│"):
            break
        parts.append(ln.strip("│").split("│")[index].strip())
    return " ".join(p for p in parts if p).replace("( ", "(")


def _human(n: int) -> str:
    from envsplit.units import human_bytes

    return human_bytes(n)


def _unwrap(text: str) -> str:
    """Text as read, whatever the table wrapped: one space between words, no box-drawing borders."""
    return " ".join(text.replace("│", " ").split())


def test_resolve_agrees_and_explains_a_difference(
    rocker: Path,  # noqa: F811
    mirror_args: list[str],
    cache_dir: Path,
) -> None:
    """A real solve of the bundled snapshot: dropping the extension's own overlay is exactly its layer (built
    to agree); dropping cpu's swap overlay frees nothing on the graph but the solve drops pytorch-cpu (built
    to differ, and it says why)."""
    doc = audit_json(
        rocker,
        mirror_args,
        *("--variant", "cpu-spatial", "--variant", "cpu", "--platform", "linux-64"),
        *("--drop-overlay", "spatial", "--drop-overlay", "cpu", "--resolve"),
    )
    (spatial_env, _), (cpu_env, _) = envs(doc)
    agree = spatial_env["what_ifs"][0]
    assert agree["resolved"]["agrees"] and agree["resolved"]["frees"]["bytes"] == agree["frees"]["bytes"]
    assert agree["resolved"]["removed"] == agree["leaves"]
    assert (
        cpu_env["what_ifs"][0]["resolved"] is None
    )  # cpu does not use the spatial overlay: nothing to solve
    differ = cpu_env["what_ifs"][1]
    assert differ["frees"]["bytes"] == 0 and differ["leaves"] == []
    assert differ["resolved"]["agrees"] is False and differ["resolved"]["also_removed"] == ["pytorch-cpu"]
    assert differ["resolved"]["frees"]["bytes"] > 0
    md = run(
        rocker,
        "audit",
        *(
            "--variant",
            "cpu",
            "--platform",
            "linux-64",
            "--drop-overlay",
            "cpu",
            "--resolve",
            "--format",
            "markdown",
        ),
        *mirror_args,
    ).stdout
    assert "--resolve: locked graph 0 B | solve 48.2 kB: they differ: it also removes pytorch-cpu" in _unwrap(
        md
    )
