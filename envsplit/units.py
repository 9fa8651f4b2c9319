"""Byte counts for people: the one rule every report (audit, diff) uses."""

from __future__ import annotations

# Decimal, as conda and the channels report sizes. GB is the last unit: images do not reach TB.
_SCALES = (("kB", 1000), ("MB", 1000**2), ("GB", 1000**3))


def human_bytes(n: int | None, signed: bool = False) -> str:
    """``0 B``, ``999 B``, ``1.0 kB``, ``12.4 MB``, ``3.2 GB``; ``?`` for an unknown size.

    One decimal above a kilobyte. The unit is picked after rounding, so 999,999 bytes read ``1.0 MB``,
    never ``1000.0 kB``. ``signed`` prefixes ``+`` or ``-`` to a change; zero never takes a sign.
    """
    if n is None:
        return "?"
    sign = ("+" if n > 0 else "-" if n < 0 else "") if signed else ("-" if n < 0 else "")
    a = abs(n)
    if a < 1000:
        return f"{sign}{a} B"
    for unit, scale in _SCALES:
        text = f"{a / scale:.1f}"
        if float(text) < 1000 or unit == "GB":
            return f"{sign}{text} {unit}"
    raise AssertionError("unreachable")
