"""A LockDiff as markdown (a pull-request body); as json in render_json (docs/diff-schema.md)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from envsplit.diff.compare import Change, LockDiff, PlatformDiff, SizeDelta, VariantDiff, total
from envsplit.diff.layers import inherited, own
from envsplit.diff.render_json import SCHEMA, SCHEMA_VERSION, render_json, to_json
from envsplit.diff.sections import Failure, PolicyHit, failures_section, policy_section
from envsplit.generated import Header
from envsplit.md_escape import md_code, md_text
from envsplit.models import LockedPackage
from envsplit.units import human_bytes

__all__ = ["SCHEMA", "SCHEMA_VERSION", "render_json", "render_markdown", "to_json"]
# GitHub rejects a pull-request body over 65,536 characters; leave room for what a workflow appends.
MAX_MARKDOWN = 60_000
# Tables longer than this fold into <details> so the summary stays on the first screen.
LONG_TABLE = 10
# Table rows: version moves first, mere rebuilds (usually a migration's noise) last; by name within a kind.
_ROW_ORDER = ("upgrade", "downgrade", "build-variant", "added", "removed", "version", "file", "build")

_KIND_WORDS = {
    "upgrade": "upgraded",
    "downgrade": "downgraded",
    "build-variant": "build variant changed",
    "build": "rebuilt",
    "file": "file changed",
    "version": "version changed",
    "added": "added",
    "removed": "removed",
}


def _size_text(delta: SizeDelta) -> str:
    if delta.counted == 0 and delta.unknown == 0:
        return ""
    if delta.counted == 0:
        return "size unknown"
    text = human_bytes(delta.bytes, signed=True)
    if delta.unknown:
        text += f" ({delta.unknown} of unknown size)"
    return text


def _counts_text(changes: Sequence[Change]) -> str:
    parts = []
    for kind in _KIND_WORDS:
        n = sum(c.kind == kind for c in changes)
        if not n:
            continue
        text = f"{n} {_KIND_WORDS[kind]}"
        if kind in ("upgrade", "downgrade"):
            levels = [c.level for c in changes if c.kind == kind]
            major = levels.count("major")
            if major:
                text += f" ({major} major)"
        parts.append(text)
    return ", ".join(parts)


def summary_line(v: VariantDiff, pd: PlatformDiff, with_sizes: bool) -> str:
    """``**cpu-spatial** linux-64: 3 upgraded (1 major), 1 added, +12.4 MB; requested: gdal 3.10.3 → 3.12.1``."""
    head = f"**{md_text(v.name)}** {md_text(pd.platform)}: "
    if pd.status == "unchanged":
        return head + "no changes"
    if pd.status == "added":
        what = "new variant" if v.status == "added" else "new platform"
        body = f"{what}, {_packages(pd.new_count)}"
    elif pd.status == "removed":
        what = "variant removed" if v.status == "removed" else "platform dropped"
        body = f"{what} ({_packages(pd.old_count)})"
    else:
        body = _counts_text(own(pd.changes))
    size = _size_text(total(own(pd.changes))) if with_sizes else ""
    if size:
        body = f"{body}, {size}" if body else size
    requested = [c for c in own(pd.changes) if c.requested]
    if requested and pd.status == "changed":
        shown = [_short(c) for c in requested[:5]]
        more = f", +{len(requested) - 5} more" if len(requested) > 5 else ""
        body += f"; requested: {', '.join(shown)}{more}"
    if pd.status == "changed":
        body = "; ".join(filter(None, [body, *_inherited_texts(pd)]))
    return head + body


def anchor(variant: str, platform: str) -> str:
    """The id GitHub gives the heading of ``variant``'s section on ``platform`` (see _platform_section)."""
    # GitHub's slugger: lower case, punctuation dropped (the middle dot too), each space a hyphen.
    return re.sub(r"[^\w\- ]", "", f"{variant} · {platform}".lower()).replace(" ", "-")


def _inherited_texts(pd: PlatformDiff) -> list[str]:
    return [
        f"inherited from [{md_text(base)}](#{anchor(base, pd.platform)}): {n} {'change' if n == 1 else 'changes'}"
        for base, n in inherited(pd.changes).items()
    ]


def _packages(n: int) -> str:
    return f"{n} package" if n == 1 else f"{n} packages"


def _is_pip(c: Change) -> bool:
    return any(p is not None and p.is_pip for p in (c.old, c.new))


def _name(c: Change) -> str:
    """The package's name, marked ``(pip)`` for a distribution from the PyPI index."""
    return md_text(c.name) + (" (pip)" if _is_pip(c) else "")


def _short(c: Change) -> str:
    if c.kind == "added":
        return f"+{_name(c)} {md_text(c.new.version) if c.new else ''}".rstrip()
    if c.kind == "removed":
        return f"-{_name(c)}"
    assert c.old is not None and c.new is not None
    if c.kind in ("build", "file"):
        return f"{_name(c)} ({_KIND_WORDS[c.kind]})"
    if c.kind == "build-variant":
        return f"{_name(c)} ({_swaps_text(c)})"
    return f"{_name(c)} {md_text(c.old.version)} → {md_text(c.new.version)}"


def _side(p: LockedPackage | None) -> str:
    if p is None:
        return ""
    return md_text(p.version) if p.is_pip else f"{md_text(p.version)} {md_code(p.build)}"


def _swaps_text(c: Change) -> str:
    return ", ".join(md_text(s.text()) for s in c.swaps)


def _change_text(c: Change) -> str:
    if c.kind == "build-variant":
        moved = f"; {c.moved} ({c.level})" if c.moved and c.level else f"; {c.moved}" if c.moved else ""
        return f"build variant {_swaps_text(c)}{moved}"
    if c.kind in ("upgrade", "downgrade") and c.level:
        return f"{c.kind} ({c.level})"
    if c.kind == "file" and c.old is not None and c.new is not None and c.old.channel != c.new.channel:
        return "channel changed"
    return {"build": "rebuild", "file": "file changed", "version": "version changed"}.get(c.kind, c.kind)


def _table(changes: Sequence[Change], with_sizes: bool) -> list[str]:
    head = "| package | change | old | new |" + (" download Δ |" if with_sizes else "")
    rule = "|:--|:--|:--|:--|" + ("--:|" if with_sizes else "")
    rows = [head, rule]
    for c in sorted(changes, key=lambda c: (_ROW_ORDER.index(c.kind), c.name)):
        row = f"| {_name(c)} | {_change_text(c)} | {_side(c.old)} | {_side(c.new)} |"
        if with_sizes:
            delta = c.size_delta
            row += f" {human_bytes(delta, signed=True)} |"
        rows.append(row)
    return rows


def _group(title: str, changes: Sequence[Change], with_sizes: bool, tables: bool) -> list[str]:
    if not changes:
        return []
    kinds: dict[str, int] = {}
    for c in changes:
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    detail = ", ".join(
        f"{n} {_KIND_WORDS[k]}" for k, n in sorted(kinds.items(), key=lambda kv: _order(kv[0]))
    )
    size = _size_text_for(changes, with_sizes)
    caption = f"{title}: {len(changes)} {'change' if len(changes) == 1 else 'changes'} ({detail})" + (
        f", {size}" if size else ""
    )
    if not tables:
        return [f"- {caption}", ""]
    table = _table(changes, with_sizes)
    if len(changes) > LONG_TABLE:
        return ["<details>", f"<summary>{caption}</summary>", "", *table, "", "</details>", ""]
    return [f"{caption}", "", *table, ""]


def _order(kind: str) -> int:
    return list(_KIND_WORDS).index(kind)


def _size_text_for(changes: Sequence[Change], with_sizes: bool) -> str:
    return _size_text(total(changes)) if with_sizes else ""


def _platform_section(v: VariantDiff, pd: PlatformDiff, with_sizes: bool, detail: int) -> list[str]:
    """``detail``: 2 every table, 1 requested tables only, 0 counts only."""
    if pd.status == "unchanged":
        return []
    lines = [f"#### {md_text(v.name)} · {md_text(pd.platform)}", ""]
    if pd.status in ("added", "removed") or v.status in ("added", "removed"):
        lines += [summary_line(v, pd, with_sizes), ""]
        return lines
    requested = [c for c in own(pd.changes) if c.requested]
    transitive = [c for c in own(pd.changes) if not c.requested]
    lines += _group("Requested", requested, with_sizes, detail >= 1)
    lines += _group("Transitive", transitive, with_sizes, detail >= 2)
    inherited_texts = _inherited_texts(pd)
    if inherited_texts:
        lines += [f"Not repeated here: {'; '.join(inherited_texts)}.", ""]
    return lines


def render_markdown(
    diff: LockDiff,
    command: str = "envsplit diff",
    max_chars: int = MAX_MARKDOWN,
    failures: Sequence[Failure] = (),
    policy: Sequence[PolicyHit] = (),
) -> str:
    """A pull-request body: one summary line per variant and platform, then the changes per platform.

    Tables fold into ``<details>`` when long; when the whole text would exceed ``max_chars`` the
    transitive tables, then every table, are left out (the summary lines always stay). ``failures``
    are the (variant, platform) pairs a refresh could not relock, with the solver's reasons: their
    locks are the old ones, which is no news that nothing changed. ``policy``: the changes that
    ``refresh.fail-on`` refuses. An extension lists only its own changes and counts the ones it
    inherits from its base, with a link to the base's section.
    """
    for detail in (2, 1, 0):
        text = _markdown(diff, command, detail, failures, policy)
        if len(text) <= max_chars:
            return text
    return text


def _failed_line(variant: str, platform: str) -> str:
    return (
        f"**{md_text(variant)}** {md_text(platform)}: FAILED, not relocked; its previous locks, if any, are kept "
        f"(run {md_code(f'envsplit lock --variant {variant}')} to see why)"
    )


def _markdown(
    diff: LockDiff, command: str, detail: int, failures: Sequence[Failure], policy: Sequence[PolicyHit]
) -> str:
    failed: Collection[tuple[str, str]] = {(f.variant, f.platform) for f in failures}
    delta = total(own(diff.changes()))
    with_sizes = delta.counted > 0
    lines = [
        Header("pull-request body of lock changes", command).html_comment(),
        "### Lock changes",
        "",
        f"Comparing {md_code(diff.old_label)} → {md_code(diff.new_label)}.",
        "",
    ]
    if failed:
        lines += [f"Relocking failed for {len(failed)} variant and platform pair(s); see below.", ""]
    elif not diff.variants or not diff.changed:
        lines += ["No package changed.", ""]
    in_diff = {(v.name, pd.platform) for v in diff.variants for pd in v.platforms}
    summary = [
        f"- {_failed_line(v.name, pd.platform) if (v.name, pd.platform) in failed else summary_line(v, pd, with_sizes)}"
        for v in diff.variants
        for pd in v.platforms
    ]
    summary += [f"- {_failed_line(*pair)}" for pair in sorted(set(failed) - in_diff)]
    lines += [*summary, ""]
    lines += policy_section(policy)
    lines += failures_section(failures)
    if diff.changed:
        if with_sizes:
            lines += [f"Download size change, all variants and platforms: {_size_text(delta)}.", ""]
        elif delta.unknown:
            hint = (
                "the channels did not list them"
                if diff.sizes_looked_up
                else "conda-lock.yml files record none; pass --mirror or --sizes to look them up"
            )
            lines += [f"Download sizes: unknown ({hint}).", ""]
    if detail < 2 and diff.changed:
        lines += [
            "_Some tables are left out to keep this text short; "
            f"run {md_code(command)} locally or use `--format json` for every change._",
            "",
        ]
    for v in diff.variants:
        for pd in v.platforms:
            lines += _platform_section(v, pd, with_sizes, detail)
    notes = sorted({v.requested_basis for v in diff.variants if v.status != "unchanged"} - {"specs"})
    if notes:
        lines += [
            "_Requested_ means named in the variant's specs; where those were not available (foreign "
            "lockfiles) it means a package no other package depends on (or a dependency cycle nothing "
            "else needs, such as python and pip).",
            "",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"
