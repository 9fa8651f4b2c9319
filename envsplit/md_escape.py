"""Data values (package names, versions, builds, URLs, labels) made inert in GitHub-flavoured markdown.

Names come from lockfiles and channels, which anyone can publish to: a name holding a newline and
``<!--`` would hide the rest of a pull-request body, ``@someone`` would ping them. Ordinary conda
names, versions and builds contain none of the characters escaped here, so they stay byte-identical.
"""

from __future__ import annotations

import re
import unicodedata

# Invisible, and it breaks GitHub's @mention and #123 autolinks, which run after markdown rendering
# (a backslash escape would not stop them).
_ZWSP = "&#8203;"
# ASCII punctuation markdown may read as syntax anywhere in a line: backslash-escaped (CommonMark).
_INLINE = frozenset("\\`*[]()<>|!~&")
# Markers that only mean something at the start of a line (lists, quotes, headings).
_LEADING = frozenset("-+>#=")
_CODE_SAFE = re.compile(r"[^`|\\]*")


def _control(char: str) -> bool:
    # Cc: newlines, tabs, NUL; Cf: bidi overrides and zero-width characters; Zl/Zp: U+2028/U+2029.
    return unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


def md_text(value: str) -> str:
    """``value`` as markdown text that renders as exactly these characters, on one line, with no effect."""
    out = []
    for i, char in enumerate(value):
        nxt = value[i + 1] if i + 1 < len(value) else ""
        if _control(char):
            # Shown, not obeyed: a line break here would end the table row or the list item.
            out.append("\\\\n" if char == "\n" else f"\\\\u{ord(char):04x}")
        elif char == "@" or (char == "#" and nxt.isalnum()):
            out.append(("\\" if i == 0 else "") + char + _ZWSP)
        elif char in _INLINE or (i == 0 and char in _LEADING):
            out.append("\\" + char)
        elif char == "_" and not nxt.isalnum():
            # '_' between letters never emphasises; one that could close an emphasis is escaped.
            out.append("\\_")
        else:
            out.append(char)
    return "".join(out)


def md_code(value: str) -> str:
    """``value`` in a code span when that is safe (nothing is interpreted there), else as escaped text."""
    if value and _CODE_SAFE.fullmatch(value) and not any(_control(c) for c in value):
        return f"`{value}`"
    return md_text(value)


def md_comment(value: str) -> str:
    """``value`` safe inside an HTML comment: it can neither end the comment nor break its line."""
    text = "".join(" " if _control(c) else c for c in value)
    return text.replace("--!>", "--!&gt;").replace("-->", "--&gt;")
