"""The audit as rich tables, for a terminal."""

from __future__ import annotations

import io

from envsplit.audit.model import AuditReport
from envsplit.audit.render.common import (
    DIFF_COLUMNS,
    RIGHT_ALIGNED,
    diff_cells,
    env_notes,
    limited,
    ranking_title,
    requested_cells,
    requested_columns,
    total_cells,
    total_columns,
    what_if_lines,
)


def render_table(report: AuditReport, top: int, width: int) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    # A fixed width and no colour codes: the same bytes whether the output is a terminal, a pipe or a file.
    console = Console(file=buffer, width=width, color_system=None, force_terminal=False, legacy_windows=False)

    def table(title: str, columns: tuple[str, ...], rows: list[list[str]]) -> Table:
        # Text objects, not strings: a path or package name must never be read as rich markup.
        t = Table(title=Text(title), title_justify="left", show_lines=False)
        for c in columns:
            t.add_column(Text(c), justify="right" if c in RIGHT_ALIGNED else "left", overflow="fold")
        for row in rows:
            t.add_row(*(Text(cell) for cell in row))
        return t

    console.print(
        table(
            "Totals", total_columns(report.installed), [total_cells(e, report.installed) for e in report.envs]
        )
    )
    if report.differences:
        console.print(table("Differences", DIFF_COLUMNS, [diff_cells(d) for d in report.differences]))
    for e in report.envs:
        rows, more = limited(e.requested_rows(), top)
        console.print(
            table(
                ranking_title(e),
                requested_columns(report.installed),
                [requested_cells(r, report.installed) for r in rows],
            )
        )
        if more:
            console.print(f"{more} lighter requested package(s) not shown (--top 0 shows all).", markup=False)
        for note in env_notes(e, report):
            console.print(f"  {note}", markup=False, highlight=False)
        for w in e.what_ifs:
            console.print(f"What if, {e.title}:", markup=False, highlight=False)
            for line in what_if_lines(e, w):
                console.print(f"  {line}", markup=False, highlight=False)
    for warning in report.warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False)
    return buffer.getvalue()
