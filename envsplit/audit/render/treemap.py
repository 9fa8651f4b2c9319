"""An inline SVG treemap of one environment: a rectangle per package, area proportional to its bytes,
grouped by what would free it (the dominator groups of the audit)."""

from __future__ import annotations

from html import escape

from envsplit.audit.flags import FLAG_GEOSPATIAL, FLAG_PULLS_GEOSPATIAL
from envsplit.audit.model import BASIS_INSTALLED, EnvAudit
from envsplit.audit.render.common import total_text
from envsplit.units import human_bytes

WIDTH = 960
HEIGHT = 540
_HEADER = 15  # px reserved for a group's title when the group is big enough to show one
_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
    "#86bcb6",
)
_GEO = "#59a14f"
_SHARED = "shared by several"


def _f(value: float) -> str:
    return f"{value:.2f}"


def _layout(values: list[float], x: float, y: float, dx: float, dy: float) -> list[dict[str, float]]:
    import squarify

    if dx <= 0 or dy <= 0 or not values:
        return []
    return list(squarify.squarify(squarify.normalize_sizes(values, dx, dy), x, y, dx, dy))


def _fit(text: str, width: float) -> str:
    chars = int(width / 6.2)
    return text if len(text) <= chars else text[: max(chars - 1, 0)] + "…"


def treemap_svg(env: EnvAudit) -> str:
    rows = {r.name: r for r in env.rows}
    # The audit's measure; a package of unknown size has no tile, and the title says the total is a bound.
    installed = env.weight_basis == BASIS_INSTALLED

    def weight(name: str) -> int:
        r = rows[name]
        return (r.installed_size if installed else r.size) or 0

    groups: dict[str, list[str]] = {}
    for top, dominated in env.groups:
        # Only a requested package is something the user can drop; the rest is one "shared" group.
        key = top if rows[top].requested else _SHARED
        groups.setdefault(key, []).extend(dominated)
    weighted = [
        (sum(weight(m) for m in members), key, sorted(members, key=lambda m: (-weight(m), m)))
        for key, members in groups.items()
    ]
    weighted = sorted((w for w in weighted if w[0] > 0), key=lambda w: (-w[0], w[1]))
    basis = env.weight_basis
    title = (
        f"{env.target} on {env.platform}: {len(env.rows)} packages, {total_text(env.measure_total)} {basis}"
    )
    parts = [
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{escape(title)}" class="treemap">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    boxes = _layout([float(w) for w, _, _ in weighted], 0, 0, WIDTH, HEIGHT)
    for index, ((total, key, members), box) in enumerate(zip(weighted, boxes, strict=True)):
        x, y, dx, dy = box["x"], box["y"], box["dx"], box["dy"]
        colour = _PALETTE[index % len(_PALETTE)] if key != _SHARED else "#8c8c8c"
        requested = rows.get(key)
        if requested is not None and requested.requested:
            frees = requested.frees
            caption = (
                f"{key}: frees {total_text(frees)}"
                if frees and frees.bytes
                else f"{key}: needed by others too"
            )
        else:
            caption = f"{key}: {human_bytes(total)}"
        parts.append(f'<g class="group"><title>{escape(caption)}</title>')
        parts.append(
            f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(dx)}" height="{_f(dy)}" fill="{colour}" '
            'fill-opacity="0.35" stroke="#333333" stroke-width="1.5"/>'
        )
        header = _HEADER if dy > 3 * _HEADER and dx > 60 else 0
        if header:
            parts.append(
                f'<text x="{_f(x + 3)}" y="{_f(y + 11)}" class="gl">{escape(_fit(caption, dx - 6))}</text>'
            )
        inner = _layout([float(weight(m)) for m in members if weight(m) > 0], x, y + header, dx, dy - header)
        for member, cell in zip([m for m in members if weight(m) > 0], inner, strict=True):
            r = rows[member]
            geo = FLAG_GEOSPATIAL in r.flags or FLAG_PULLS_GEOSPATIAL in r.flags
            cx, cy, cdx, cdy = cell["x"], cell["y"], cell["dx"], cell["dy"]
            tip = f"{r.name} {r.version} {r.build}: {human_bytes(weight(member))}" + (
                f" [{', '.join(r.flags)}]" if r.flags else ""
            )
            parts.append(
                f'<g><title>{escape(tip)}</title><rect x="{_f(cx)}" y="{_f(cy)}" width="{_f(cdx)}" '
                f'height="{_f(cdy)}" fill="{_GEO if geo else colour}" stroke="#ffffff" stroke-width="0.75"/>'
            )
            if cdx >= 40 and cdy >= 14:
                parts.append(
                    f'<text x="{_f(cx + 3)}" y="{_f(cy + 12)}" class="pl">{escape(_fit(r.name, cdx - 6))}</text>'
                )
                if cdy >= 28:
                    parts.append(
                        f'<text x="{_f(cx + 3)}" y="{_f(cy + 24)}" class="ps">{escape(human_bytes(weight(member)))}</text>'
                    )
            parts.append("</g>")
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts)
