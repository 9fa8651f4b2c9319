"""The audit as one self-contained HTML file: inline CSS and SVG, no script, nothing fetched."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from envsplit import __version__
from envsplit.audit.model import AuditReport, EnvAudit
from envsplit.audit.render.common import (
    CANDIDATE_COLUMNS,
    DIFF_COLUMNS,
    RIGHT_ALIGNED,
    basis_sentence,
    basis_words,
    candidate_cells,
    diff_cells,
    env_notes,
    ranking_title,
    requested_cells,
    requested_columns,
    total_cells,
    total_columns,
    what_if_lines,
)
from envsplit.audit.render.treemap import treemap_svg
from envsplit.generated import Header
from envsplit.units import human_bytes

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; background: #fff; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
th { background: #f0f0f0; } td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; }
.treemap text { font: 11px system-ui, sans-serif; fill: #111; pointer-events: none; }
.treemap text.gl { font-weight: 600; } .treemap text.ps { fill: #333; font-size: 10px; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: middle; }
ul.notes { color: #444; } footer { margin-top: 3em; color: #666; font-size: 12px; }
"""


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th{' class=r' if c in RIGHT_ALIGNED else ''}>{escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td{' class=r' if c in RIGHT_ALIGNED else ''}>{escape(v)}</td>"
            for c, v in zip(columns, row, strict=True)
        )
        + "</tr>\n"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>"


def _env_section(e: EnvAudit, report: AuditReport, index: int) -> str:
    columns = ("package", "version", "build", "download", "installed", "dominated", "requested", "flags")
    every_columns = tuple(c for c in columns if report.installed or c != "installed")
    every = [
        [
            cell
            for column, cell in zip(
                columns,
                [
                    r.name,
                    r.version,
                    "pip" if r.manager == "pip" else r.build,
                    human_bytes(r.size),
                    human_bytes(r.installed_size),
                    human_bytes(r.dominated_bytes),
                    "yes" if r.requested else "",
                    ", ".join(r.flags),
                ],
                strict=True,
            )
            if column in every_columns
        ]
        for r in e.heaviest_rows()
    ]
    notes = "".join(f"<li>{escape(n)}</li>" for n in env_notes(e, report))
    what_ifs = [
        "<h3>What if</h3><ul class=whatif>"
        + "".join(
            f"<li>{escape(first)}" + "".join(f"<br>{escape(line)}" for line in rest) + "</li>"
            for first, *rest in (what_if_lines(e, w) for w in e.what_ifs)
        )
        + "</ul>"
    ]
    candidates = [
        f"<h3>Candidates by what they free ({escape(basis_words(e))})</h3>",
        _table(CANDIDATE_COLUMNS, [candidate_cells(c) for c in e.candidates]),
    ]
    return "\n".join(
        [
            f'<section id="env-{index}">',
            f"<h2>{escape(e.target)} ({escape(e.platform)})</h2>",
            f"<p>Every figure in this section is {basis_words(e)}: the tables, heavy, the treemap and the "
            "what-ifs.</p>",
            treemap_svg(e),
            '<p class="legend">Each outlined block is a requested package with everything only it needs; '
            'the grey block holds what several need.<span style="background:#59a14f"></span>geospatial</p>',
            f'<ul class="notes">{notes}</ul>',
            *(what_ifs if e.what_ifs else []),
            *(candidates if e.candidates else []),
            f"<h3>{escape(ranking_title(e))}</h3>",
            _table(
                requested_columns(report.installed),
                [requested_cells(r, report.installed) for r in e.requested_rows()],
            ),
            f"<details><summary>All {len(e.rows)} packages, heaviest first</summary>",
            _table(every_columns, every),
            "</details>",
            "</section>",
        ]
    )


def render_html(report: AuditReport) -> str:
    parts = [
        "<!DOCTYPE html>",
        Header("audit", report.regenerate).html_comment(),
        '<html lang="en"><head><meta charset="utf-8">',
        # Self-contained by construction: the browser refuses (and reports) anything the page would fetch.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>envsplit audit</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>envsplit audit</h1>",
        f"<p>{basis_sentence(report)} "
        "Exclusive: what leaves the environment if that package alone is dropped from the specs; "
        "shared: what it needs that stays anyway; dominated: what leaves if that package itself disappeared.</p>",
        "<h2>Totals</h2>",
        _table(total_columns(report.installed), [total_cells(e, report.installed) for e in report.envs]),
    ]
    if report.differences:
        parts += ["<h2>Differences</h2>", _table(DIFF_COLUMNS, [diff_cells(d) for d in report.differences])]
    if report.warnings:
        parts.append(
            "<h2>Warnings</h2><ul>" + "".join(f"<li>{escape(w)}</li>" for w in report.warnings) + "</ul>"
        )
    parts += [_env_section(e, report, i) for i, e in enumerate(report.envs)]
    parts.append(
        f"<footer>Generated by envsplit {escape(__version__)}; regenerate with "
        f"<code>{escape(report.regenerate)}</code></footer></body></html>"
    )
    return "\n".join(parts) + "\n"
