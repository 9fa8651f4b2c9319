"""The parts of a refresh's pull-request body that are not package tables: what could not be relocked, and
which changes the project's ``refresh.fail-on`` policy refuses.

A solver's reason is data (it quotes specs and channel URLs): redacted, escaped line by line, and cut to a
bounded length so that one long explanation cannot push the package tables out of the body.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from envsplit.diff.policy import PolicyHit
from envsplit.md_escape import md_code, md_text
from envsplit.redact import redact_text

MAX_REASON_LINES = 20
MAX_REASON_CHARS = 1_500


@dataclass(frozen=True)
class Failure:
    """A (variant, platform) a refresh could not relock; ``skipped_for``: the base that failed before it."""

    variant: str
    platform: str
    reason: str
    skipped_for: str | None = None


def _quoted(reason: str, variant: str) -> list[str]:
    """The reason as a block quote, one escaped line per line (indentation kept), bounded."""
    lines = redact_text(reason).strip("\n").splitlines() or [""]
    kept: list[str] = []
    used = 0
    for line in lines[:MAX_REASON_LINES]:
        if used + len(line) > MAX_REASON_CHARS:
            if not kept:  # one very long line: its start
                kept.append(line[:MAX_REASON_CHARS])
            break
        kept.append(line)
        used += len(line)
    cut = len(lines) - len(kept) or (len(kept[0]) < len(lines[0]))
    out = []
    for line in kept:
        body = line.lstrip(" ")
        # Leading spaces would be dropped by markdown; no-break spaces keep a solver's tree readable.
        out.append("  > " + "\u00a0" * (len(line) - len(body)) + md_text(body))
    out = [line + "  " for line in out[:-1]] + out[-1:]  # two trailing spaces: a line break in the quote
    if cut:
        lock = md_code(f"envsplit lock --variant {variant}")
        out += [
            "  >",
            f"  > _… cut to {MAX_REASON_CHARS} characters or {MAX_REASON_LINES} lines; {lock} shows all._",
        ]
    return out


def failures_section(failures: Sequence[Failure]) -> list[str]:
    """``### Could not relock``: each failed pair with the solver's reason; extensions skipped with their base."""
    if not failures:
        return []
    lines = [
        "### Could not relock",
        "",
        "These kept their previous locks (a variant with none has no lock yet); the variants not listed "
        "here were relocked.",
        "",
    ]
    for f in sorted(failures, key=lambda f: (f.variant, f.platform)):
        head = f"- **{md_text(f.variant)}** {md_text(f.platform)}"
        if f.skipped_for is not None:
            lines.append(f"{head}: skipped: base {md_code(repr(f.skipped_for))} could not be relocked")
        else:
            lines += [f"{head}:", "", *_quoted(f.reason, f.variant), ""]
    return lines if lines[-1] == "" else [*lines, ""]


def policy_section(hits: Sequence[PolicyHit]) -> list[str]:
    """``### Refused by refresh.fail-on``: the changes the project's policy does not let pass unreviewed."""
    if not hits:
        return []
    kinds = sorted({h.kind for h in hits})
    lines = [
        "### Refused by refresh.fail-on",
        "",
        f"envsplit.yml's `refresh: fail-on` names {', '.join(md_code(k) for k in kinds)}, and this relock "
        "contains such changes; the refresh exits non-zero until they are reviewed:",
        "",
    ]
    lines += [
        f"- {md_code(h.kind)}: **{md_text(h.variant)}** {md_text(h.platform)}: {md_text(h.what)}"
        for h in hits
    ]
    return [*lines, ""]
