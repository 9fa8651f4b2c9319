"""The comment header every generated lockfile starts with, and the fast checks made on it.

The input hashes live in the header so that a no-op ``envsplit lock`` reads a few lines per file instead of
parsing YAML (and never imports conda-lock). A digest of the body makes a hand edit of a lockfile visible:
such a file is stale, and the next ``lock`` writes it again. The shape and the digest are those of every
generated file (envsplit/generated.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from envsplit import generated

_HASH_KEY = "input-hash "
_CUTOFF_KEY = "exclude-newer "


def header(
    variant: str,
    hashes: Mapping[str, str],
    what: str,
    regenerate: str,
    cutoffs: Mapping[str, str] | None = None,
) -> list[str]:
    """``cutoffs``: platform -> the resolved date cutoff (envsplit/locking/cutoff.py), only where one is set,
    so that a project without a cutoff keeps the header it always had."""
    fields = [("variant", variant)] + [(f"{_HASH_KEY}{p}", d) for p, d in sorted(hashes.items())]
    fields += [(f"{_CUTOFF_KEY}{p}", c) for p, c in sorted((cutoffs or {}).items()) if p in hashes]
    return generated.Header(what, regenerate, tuple(fields)).comment_lines()


def seal(header_lines: Sequence[str], body: str) -> str:
    """Header, a digest of ``body``, then ``body``."""
    return generated.seal(header_lines, body)


def read_hashes(path: Path) -> dict[str, str]:
    """Platform -> input hash from a generated file's header; {} when the file is missing or foreign."""
    fields = generated.read_fields(path)
    return {
        key[len(_HASH_KEY) :].strip(): value for key, value in fields.items() if key.startswith(_HASH_KEY)
    }


def read_cutoffs(path: Path) -> dict[str, str]:
    """Platform -> the date cutoff recorded in a generated file's header; {} when none."""
    fields = generated.read_fields(path)
    return {
        key[len(_CUTOFF_KEY) :].strip(): value for key, value in fields.items() if key.startswith(_CUTOFF_KEY)
    }


def intact(path: Path) -> bool:
    """Whether ``path`` exists and its body is what envsplit wrote (its recorded digest matches)."""
    return tampered(path) is None


def tampered(path: Path) -> str | None:
    """None if ``path``'s body matches its recorded digest, else why it cannot be trusted."""
    return generated.tampered(path)
