"""Delete entries of a ruamel list without losing or misplacing the comment lines written around them.

ruamel keeps the comment lines written above entry ``i + 1`` on entry ``i`` (after its end-of-line
comment). Deleting entry ``i`` as such drops the lines above its successor and leaves its own above the
successor; here the lines above the deleted entry go with it and those above its successor stay there.
"""

from __future__ import annotations

from typing import Any


def _split(value: str) -> tuple[str, str]:
    """A post-comment's end-of-line part and the comment lines below it."""
    if value.startswith("#"):
        eol, _, below = value.partition("\n")
        return eol + "\n", below
    return "", value[1:] if value.startswith("\n") else value


def delete(seq: Any, index: int) -> None:
    """``del seq[index]``, keeping the comment lines above the next entry."""
    from ruamel.yaml.tokens import CommentToken

    items = seq.ca.items
    own = items.get(index, [None])[0]
    below = _split(own.value)[1] if own is not None else ""
    if index > 0:
        previous = items.get(index - 1)
        eol = _split(previous[0].value)[0] if previous and previous[0] is not None else ""
        if eol or below:
            text = (eol or "\n") + below
            if previous and previous[0] is not None:
                previous[0].value = text
            else:
                items[index - 1] = [CommentToken(text, None, None, column=0), None, None, None]
        elif previous:
            del items[index - 1]
    items.pop(index, None)
    del seq[index]
