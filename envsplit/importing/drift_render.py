"""The drift report as terminal text, markdown or JSON; deterministic (pairs and entries sorted)."""

from __future__ import annotations

import json

from envsplit.generated import Header
from envsplit.importing.drift import PairDrift
from envsplit.importing.extends import Reading
from envsplit.md_escape import md_code, md_text

_WHY = {"base": "an extension and its --base", "suffix": "names differing by a suffix"}
_ADDITIONS = "additive extensions: what each file adds to its base"


def _why(d: PairDrift) -> str:
    return f"{_WHY[d.why]}; {_ADDITIONS}" if d.additions else _WHY[d.why]


def _extensions_text(readings: list[Reading]) -> list[str]:
    if not readings:
        return []
    return ["", "Extensions (--base), each file read as:", *(f"  {r.describe()}" for r in readings)]


def _rows(d: PairDrift) -> list[tuple[str, str, str]]:
    """(what, reference side, other side) for each difference, in a fixed order of kinds."""
    rows = [(f"only in {d.reference}", s, "") for s in d.only_in_reference]
    if not d.additions_expected:
        rows += [(f"only in {d.other}", "", s) for s in d.only_in_other]
    rows += [("replaced", a, b) for a, b in d.replaced]
    rows += [(f"spec of {n}", a, b) for n, a, b in d.specs_differ]
    if d.channels:
        rows.append(("channel order", ", ".join(d.channels[0]) or "none", ", ".join(d.channels[1]) or "none"))
    rows += [(f"pip only in {d.reference}", r, "") for r in d.pip_only_in_reference]
    if not d.additions_expected:
        rows += [(f"pip only in {d.other}", "", r) for r in d.pip_only_in_other]
    rows += [(f"pip spec of {n}", a, b) for n, a, b in d.pip_differ]
    return rows


def _text_pair(d: PairDrift) -> list[str]:
    count = f"{d.count} difference{'' if d.count == 1 else 's'}" if d.count else "no drift"
    lines = [f"{d.reference} -> {d.other} ({_why(d)}): {count}"]

    def line(label: str, items: list[str]) -> None:
        if items:
            lines.append(f"  {label} ({len(items)}): {', '.join(items)}")

    if d.additions_expected and (d.only_in_other or d.pip_only_in_other):
        lines.append(
            f"  adds {len(d.only_in_other)} package(s) and {len(d.pip_only_in_other)} pip entry(ies) to its base "
            "(its overlay; listed by --format json)"
        )
    line(f"only in {d.reference}", d.only_in_reference)
    if not d.additions_expected:
        line(f"only in {d.other}", d.only_in_other)
    line("replaced", [f"{a} -> {b}" for a, b in d.replaced])
    line("specs differ", [f"{a!r} vs {b!r}" for _, a, b in d.specs_differ])
    if d.channels:
        lines.append(
            f"  channel order: {', '.join(d.channels[0]) or 'none'} vs {', '.join(d.channels[1]) or 'none'}"
        )
    line(f"pip only in {d.reference}", d.pip_only_in_reference)
    if not d.additions_expected:
        line(f"pip only in {d.other}", d.pip_only_in_other)
    line("pip specs differ", [f"{a!r} vs {b!r}" for _, a, b in d.pip_differ])
    return lines


def render_text(drifts: list[PairDrift], readings: list[Reading]) -> str:
    if not drifts:
        return (
            "Drift: no two files should mirror each other (no --base pair, no names differing by a suffix).\n"
        )
    lines = [
        f"Drift between files that should mirror each other ({len(drifts)} pair{'s' * (len(drifts) != 1)}):"
    ]
    for d in drifts:
        lines.append("")
        lines.extend(_text_pair(d))
    lines.extend(_extensions_text(readings))
    return "\n".join(lines) + "\n"


def render_markdown(drifts: list[PairDrift], readings: list[Reading], header: Header) -> str:
    lines = [header.html_comment(), "", "# Drift between files that should mirror each other", ""]
    if not drifts:
        lines.append(
            "No two files should mirror each other (no `--base` pair, no names differing by a suffix)."
        )
    for d in drifts:
        lines += [
            f"## {md_code(d.reference)} → {md_code(d.other)}",
            "",
            f"Paired as {md_text(_why(d))}.",
            "",
        ]
        if d.additions_expected and (d.only_in_other or d.pip_only_in_other):
            adds = f"{len(d.only_in_other)} package(s) and {len(d.pip_only_in_other)} pip entry(ies)"
            lines += [f"Adds {adds} to its base (its overlay; listed by `--format json`).", ""]
        rows = _rows(d)
        if not rows:
            lines += ["No drift.", ""]
            continue
        lines += [f"| difference | {md_code(d.reference)} | {md_code(d.other)} |", "|---|---|---|"]
        for what, a, b in rows:
            lines.append(f"| {md_text(what)} | {md_code(a) if a else '—'} | {md_code(b) if b else '—'} |")
        lines.append("")
    if readings:
        lines += ["## Extensions (`--base`), each file read as", ""]
        lines += [f"- {md_text(r.describe())}" for r in readings]
    return "\n".join(lines).rstrip("\n") + "\n"


def render_json(drifts: list[PairDrift], readings: list[Reading], header: Header) -> str:
    pairs = []
    for d in drifts:
        pairs.append(
            {
                "reference": d.reference,
                "other": d.other,
                "why": d.why,
                "compares": "additions" if d.additions else "environments",
                "only_in_reference": d.only_in_reference,
                "only_in_other": d.only_in_other,
                "replaced": [{"reference": a, "other": b} for a, b in d.replaced],
                "specs_differ": [{"name": n, "reference": a, "other": b} for n, a, b in d.specs_differ],
                "channels": None
                if d.channels is None
                else {"reference": d.channels[0], "other": d.channels[1]},
                "pip_only_in_reference": d.pip_only_in_reference,
                "pip_only_in_other": d.pip_only_in_other,
                "pip_differ": [{"name": n, "reference": a, "other": b} for n, a, b in d.pip_differ],
            }
        )
    document = {
        "generator": header.generator(),
        "pairs": pairs,
        "extensions": [r.as_json() for r in readings],
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
