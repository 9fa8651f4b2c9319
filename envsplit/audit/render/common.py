"""What the table, markdown and HTML renderers share: the same columns, in the same order."""

from __future__ import annotations

from collections.abc import Callable

from envsplit.audit.model import BASIS_INSTALLED, AuditReport, Difference, EnvAudit, Row
from envsplit.units import human_bytes

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
# Columns holding numbers, aligned right in every tabular format.
# Columns holding names from locks and channels rather than figures envsplit computed: the markdown escapes them.
DATA_COLUMNS = frozenset({"environment", "platform", "package", "version", "a", "b"})
RIGHT_ALIGNED = frozenset({"packages", "download", "installed", "exclusive", "shared", "b - a", "dominated"})


def _without_installed(columns: tuple[str, ...], cells: list[str], installed: bool) -> list[str]:
    # An "installed" column of dashes only adds width: it is shown when --installed-size was given.
    return cells if installed else [c for name, c in zip(columns, cells, strict=True) if name != "installed"]


def total_columns(installed: bool) -> tuple[str, ...]:
    return tuple(_without_installed(_TOTAL, list(_TOTAL), installed))


def requested_columns(installed: bool) -> tuple[str, ...]:
    return tuple(_without_installed(_REQUESTED, list(_REQUESTED), installed))


def total_cells(e: EnvAudit, installed: bool) -> list[str]:
    layer = "-" if e.layer is None else f"{e.layer.packages} pkgs, {human_bytes(e.layer.size)}"
    if e.layer is not None and installed:
        layer += f" ({human_bytes(e.layer.installed_size)} installed)"
    geo = (
        "-"
        if not e.geospatial_packages
        else f"{e.geospatial_packages} pkgs, {human_bytes(e.geospatial_size)}"
    )
    cells = [
        e.target,
        e.platform,
        str(len(e.rows)),
        human_bytes(e.size),
        human_bytes(e.installed_size),  # "?" when any package's installed size is unknown
        layer,
        geo,
    ]
    return _without_installed(_TOTAL, cells, installed)


def requested_cells(r: Row, installed: bool) -> list[str]:
    exclusive = human_bytes(r.exclusive_bytes)
    if installed:
        exclusive += f" ({human_bytes(r.exclusive_installed_bytes)} inst.)"
    cells = [
        r.name,
        r.version,
        human_bytes(r.size),
        human_bytes(r.installed_size) if installed else "-",
        exclusive,
        human_bytes(r.shared_bytes),
        ", ".join(r.flags),
    ]
    return _without_installed(_REQUESTED, cells, installed)


def diff_cells(d: Difference) -> list[str]:
    return [
        d.a,
        d.b,
        d.platform,
        f"{d.only_a_packages} pkgs, {human_bytes(d.only_a_size)}",
        f"{d.only_b_packages} pkgs, {human_bytes(d.only_b_size)}",
        human_bytes(d.delta, signed=True),
    ]


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
            f"no installed size for {len(e.installed_size_missing)} package(s), so the installed total is "
            "unknown (?) and heavy uses download sizes: " + _names(e.installed_size_missing, quote)
        )
    if e.geospatial_packages:
        notes.append(
            "dropping every geospatial requested package at once would free "
            f"{human_bytes(e.geospatial_removal_bytes)} (download)"
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


def limited(rows: list[Row], top: int) -> tuple[list[Row], int]:
    if top <= 0 or len(rows) <= top:
        return rows, 0
    return rows[:top], len(rows) - top
