"""The audit as GitHub-flavoured markdown, for a README or a PR comment."""

from __future__ import annotations

from collections.abc import Sequence

from envsplit.audit.model import AuditReport
from envsplit.audit.render.common import (
    DATA_COLUMNS,
    DIFF_COLUMNS,
    RIGHT_ALIGNED,
    diff_cells,
    env_notes,
    limited,
    requested_cells,
    requested_columns,
    total_cells,
    total_columns,
)
from envsplit.generated import Header
from envsplit.md_escape import md_text


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |"]
    lines.append("|" + "|".join("---:" if c in RIGHT_ALIGNED else "---" for c in columns) + "|")
    # The other columns are figures and words envsplit wrote itself; escaping them would only add noise.
    lines += [
        "| "
        + " | ".join(md_text(c) if n in DATA_COLUMNS else c for n, c in zip(columns, row, strict=True))
        + " |"
        for row in rows
    ]
    return lines


def render_markdown(report: AuditReport, top: int) -> str:
    out = [
        Header("audit", report.regenerate).html_comment(),
        "",
        "### Totals",
        "",
        *_table(total_columns(report.installed), [total_cells(e, report.installed) for e in report.envs]),
    ]
    if report.differences:
        out += ["", "### Differences", "", *_table(DIFF_COLUMNS, [diff_cells(d) for d in report.differences])]
    for e in report.envs:
        rows, more = limited(e.requested_rows(), top)
        out += [
            "",
            f"### {md_text(e.target)} ({md_text(e.platform)}): requested packages by exclusive weight",
            "",
        ]
        out += _table(
            requested_columns(report.installed), [requested_cells(r, report.installed) for r in rows]
        )
        if more:
            out.append(f"\n{more} lighter requested package(s) not shown (--top 0 shows all).")
        out += [""] + [f"- {note}" for note in env_notes(e, report, md_text)]
    if report.warnings:
        out += ["", "### Warnings", ""] + [f"- {md_text(w)}" for w in report.warnings]
    return "\n".join(out) + "\n"
