"""What the table, markdown and HTML renderers share: the same columns, in the same order."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from envsplit.audit.model import (
    BASIS_INSTALLED,
    AuditReport,
    Candidate,
    Difference,
    EnvAudit,
    Row,
    Total,
    WhatIf,
)
from envsplit.units import human_bytes

T = TypeVar("T")

_TOTAL = (
    "environment",
    "platform",
    "packages",
    "download",
    "installed",
    "layer (adds to base)",
    "geospatial",
)
_REQUESTED = ("package", "version", "download", "installed", "exclusive", "shared", "flags")
DIFF_COLUMNS = ("a", "b", "platform", "only in a", "only in b", "b - a")
CANDIDATE_COLUMNS = ("group", "kind", "packages leaving", "frees", "flags")
# Columns holding numbers, aligned right in every tabular format.
# Columns holding names from locks and channels rather than figures envsplit computed: the markdown escapes them.
DATA_COLUMNS = frozenset({"environment", "platform", "package", "version", "a", "b"})
RIGHT_ALIGNED = frozenset(
    {
        "packages",
        "download",
        "installed",
        "exclusive",
        "shared",
        "b - a",
        "dominated",
        "packages leaving",
        "frees",
    }
)


def total_text(t: Total | None) -> str:
    """A total as every format shows it: a lower bound says so, with how many sizes are unknown."""
    if t is None:
        return "?"
    if t.lower_bound:
        return f"at least {human_bytes(t.bytes)} ({t.unknown} of {t.of} sizes unknown)"
    return human_bytes(t.bytes)


def _without_installed(columns: tuple[str, ...], cells: list[str], installed: bool) -> list[str]:
    # An "installed" column of dashes only adds width: it is shown when --installed-size was given.
    return cells if installed else [c for name, c in zip(columns, cells, strict=True) if name != "installed"]


def total_columns(installed: bool) -> tuple[str, ...]:
    return tuple(_without_installed(_TOTAL, list(_TOTAL), installed))


def requested_columns(installed: bool) -> tuple[str, ...]:
    return tuple(_without_installed(_REQUESTED, list(_REQUESTED), installed))


def total_cells(e: EnvAudit, installed: bool) -> list[str]:
    # The layer and geospatial figures are in the audit's measure (installed with --installed-size).
    layer = "-" if e.layer is None else f"{e.layer.packages} pkgs, {total_text(e.layer.total)}"
    geo = (
        "-"
        if not e.geospatial_packages
        else f"{e.geospatial_packages} pkgs, {total_text(e.geospatial_total)}"
    )
    cells = [
        e.target,
        e.platform,
        str(len(e.rows)),
        total_text(e.size_total),
        total_text(e.installed_total),
        layer,
        geo,
    ]
    return _without_installed(_TOTAL, cells, installed)


def requested_cells(r: Row, installed: bool) -> list[str]:
    # exclusive and shared are in the audit's measure: installed bytes with --installed-size.
    cells = [
        r.name,
        r.version,
        human_bytes(r.size),
        human_bytes(r.installed_size) if installed else "-",
        total_text(r.frees),
        human_bytes(r.shares),
        ", ".join(r.flags),
    ]
    return _without_installed(_REQUESTED, cells, installed)


def diff_cells(d: Difference) -> list[str]:
    return [
        d.a,
        d.b,
        d.platform,
        f"{d.only_a_packages} pkgs, {total_text(d.only_a)}",
        f"{d.only_b_packages} pkgs, {total_text(d.only_b)}",
        human_bytes(d.delta, signed=True)
        + (" (sizes incomplete)" if d.only_a.unknown or d.only_b.unknown else ""),
    ]


def candidate_cells(c: Candidate) -> list[str]:
    return [c.name, c.kind, str(c.packages), total_text(c.frees), ", ".join(c.flags)]


def ranking_title(e: EnvAudit) -> str:
    """The title of an environment's ranked table: which packages, and in which measure."""
    scope = " (what the layer adds; --whole ranks the full image)" if e.view == "layer" else ""
    return f"{e.target} ({e.platform}): requested packages by exclusive weight, {basis_words(e)}{scope}"


def what_if_lines(e: EnvAudit, w: WhatIf, quote: Callable[[str], str] = str) -> list[str]:
    """One what-if as lines: the graph figure, what leaves, its notes, and the solve's figure beside it."""
    scope = "of the layer" if e.view == "layer" else "of the image"
    head = (
        f"{w.label}: frees {total_text(w.frees)} {scope} ({basis_words(e)}); "
        f"{len(w.leaves)} package(s) leave: " + (_names(w.leaves, quote, 20) if w.leaves else "none")
    )
    lines = [head] + [f"note: {n}" for n in w.notes]
    r = w.resolved
    if r is not None:
        side = f"locked graph {total_text(w.frees)} | solve {total_text(r.frees)}"
        if r.base_changes:
            side += " (the base image changes too: solved as one image, its figure covers the whole image)"
        if r.agrees:
            lines.append(f"--resolve: {side}: the solve removes exactly these packages, nothing else moves")
        else:
            why = []
            if r.kept:
                why.append("the solve keeps " + _names(r.kept, quote) + " (another package still needs them)")
            if r.also_removed:
                why.append("it also removes " + _names(r.also_removed, quote))
            if r.added:
                why.append("it brings in " + _names(r.added, quote))
            if r.changed:
                why.append("it picks other versions or builds: " + _names(r.changed, quote))
            lines.append(f"--resolve: {side}: they differ: " + "; ".join(why))
    return lines


def env_notes(e: EnvAudit, report: AuditReport, quote: Callable[[str], str] = str) -> list[str]:
    """The notes under an environment's table; ``quote`` renders each package name for the format."""
    notes = []
    if e.requested_from == "top-level":
        notes.append(
            "requested = the packages nothing else in the lock depends on (the lockfile does not say what was "
            "asked for), so exclusive weights are upper bounds"
        )
    pip = {r.name: r for r in e.rows if r.manager == "pip"}
    conda_missing = tuple(n for n in e.size_missing if n not in pip)
    if conda_missing:
        notes.append(
            f"no download size (not in the channel's repodata) for {len(conda_missing)} package(s): "
            + _names(conda_missing, quote)
        )
    if pip:
        notes.append(
            f"pip: {len(pip)} package(s) from the PyPI index, listed as requested: the lock records no "
            "dependencies between them, so each one weighs its own wheel"
        )
    pip_missing = tuple(n for n, r in pip.items() if r.size is None)
    if pip_missing:
        notes.append(
            f"no download size for {len(pip_missing)} pip package(s) (not in the index, or no --pypi-index "
            "given), so the download total leaves them out: " + _names(pip_missing, quote)
        )
    if e.installed_size_missing:
        notes.append(
            f"no installed size for {len(e.installed_size_missing)} package(s), so installed figures are "
            "lower bounds (at least): " + _names(e.installed_size_missing, quote)
        )
    in_base = e.in_base()
    if in_base:
        notes.append(
            f"in base (not ranked: the base image has them; --whole ranks the full image): {len(in_base)} "
            "requested package(s): " + _names(tuple(in_base), quote)
        )
    if e.geospatial_packages:
        notes.append(
            "dropping every geospatial requested package at once would free "
            f"{total_text(e.geospatial_removal)} ({basis_words(e)})"
        )
    notes.append(
        f"heavy: requested packages freeing at least {human_bytes(e.heavy_threshold_bytes)} of "
        f"{basis_words(e)} (--threshold {report.threshold.text})"
    )
    return notes


def basis_words(e: EnvAudit) -> str:
    return "installed size" if e.weight_basis == BASIS_INSTALLED else "download size"


def _names(names: tuple[str, ...], quote: Callable[[str], str], shown: int = 12) -> str:
    if len(names) <= shown:
        return ", ".join(map(quote, names))
    return (
        ", ".join(map(quote, names[:shown])) + f", ... ({len(names) - shown} more; --format json lists all)"
    )


def limited(rows: list[T], top: int) -> tuple[list[T], int]:
    if top <= 0 or len(rows) <= top:
        return rows, 0
    return rows[:top], len(rows) - top


def basis_sentence(report: AuditReport) -> str:
    if report.weight_basis == "mixed":
        return (
            "Weights are installed sizes where every package's installed size is known, download sizes "
            "elsewhere; each environment says which."
        )
    return f"Weights are {report.weight_basis} sizes."
