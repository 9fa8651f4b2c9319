"""Renderers of an AuditReport: a rich table for the terminal, markdown for PR comments, versioned JSON, and
one self-contained HTML page with a treemap."""

from __future__ import annotations

from envsplit.audit.model import AuditReport
from envsplit.errors import InputError

FORMATS = ("table", "markdown", "json", "html")


def render(report: AuditReport, fmt: str, top: int, width: int = 120) -> str:
    """The report as text; ``top`` bounds the rows per environment in table and markdown (0: all)."""
    if fmt == "table":
        from envsplit.audit.render.table import render_table

        return render_table(report, top, width)
    if fmt == "markdown":
        from envsplit.audit.render.markdown import render_markdown

        return render_markdown(report, top)
    if fmt == "json":
        from envsplit.audit.render.json_doc import render_json

        return render_json(report)
    if fmt == "html":
        from envsplit.audit.render.html_page import render_html

        return render_html(report)
    raise InputError(f"--format {fmt}: use one of {', '.join(FORMATS)}")
