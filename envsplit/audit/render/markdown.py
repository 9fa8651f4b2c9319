"""The audit as GitHub-flavoured markdown, for a README or a PR comment."""

from __future__ import annotations

from collections.abc import Sequence

from envsplit.audit.model import AuditReport
from envsplit.audit.render.common import (
    CANDIDATE_COLUMNS,
    DATA_COLUMNS,
    DIFF_COLUMNS,
    RIGHT_ALIGNED,
    basis_sentence,
    basis_words,
    candidate_cells,
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
from envsplit.generated import Header
from envsplit.md_escape import md_text


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(columns) + " |"]
    lines.append("|" + "|".join("---:" if c in RIGHT_ALIGNED else "---" for c in columns) + "|")
    # The other columns are figures and words envsplit wrote itself; escaping them would only add noise.
    lines += [
        "| "
        + " | ".join(
            md_text(c) if n in DATA_COLUMNS or n == "group" else c for n, c in zip(columns, row, strict=True)
        )
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
        basis_sentence(report),
        "",
        *_table(total_columns(report.installed), [total_cells(e, report.installed) for e in report.envs]),
    ]
    if report.differences:
        out += ["", "### Differences", "", *_table(DIFF_COLUMNS, [diff_cells(d) for d in report.differences])]
    for e in report.envs:
        rows, more = limited(e.requested_rows(), top)
        out += ["", f"### {md_text(ranking_title(e))}", ""]
        out += _table(
            requested_columns(report.installed), [requested_cells(r, report.installed) for r in rows]
        )
        if more:
            out.append(f"\n{more} lighter requested package(s) not shown (--top 0 shows all).")
        out += [""] + [f"- {note}" for note in env_notes(e, report, md_text)]
        for w in e.what_ifs:
            first, *rest = what_if_lines(e, w, md_text)
            out += ["", f"#### What if {md_text(e.title)}", "", f"- {first}"] + [
                f"  - {line}" for line in rest
            ]
        if e.candidates:
            shown, hidden = limited(list(e.candidates), top)
            out += ["", f"#### Candidates: {md_text(e.title)}, by what they free ({basis_words(e)})", ""]
            out += _table(CANDIDATE_COLUMNS, [candidate_cells(c) for c in shown])
            if hidden:
                out.append(f"\n{hidden} smaller group(s) not shown (--top 0 shows all).")
    if report.warnings:
        out += ["", "### Warnings", ""] + [f"- {md_text(w)}" for w in report.warnings]
    return "\n".join(out) + "\n"
