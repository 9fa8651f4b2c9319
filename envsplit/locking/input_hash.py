"""The input hash of one (variant, platform): everything that can change its solution, and nothing else."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from envsplit.channels import canonical_url
from envsplit.models import VariantSpec

# Bump when the lock layout or the solve semantics change, so every lock is redone once.
FORMAT = 1


def input_hash(
    variant: VariantSpec,
    platform: str,
    base_lines: Sequence[str] | None,
    pip: Mapping[str, Any] | None = None,
    exclude_newer: Mapping[str, Any] | None = None,
) -> str:
    """``pip``: the pip step's inputs (entries, index, mapping overrides, the base's pip lines), for a
    variant with pip entries; a variant without them hashes as it always did. ``exclude_newer``: the
    configured date cutoff (not its resolved instant: a ``7d`` lock does not go stale as time passes)."""
    payload: dict[str, Any] = {
        "format": FORMAT,
        "platform": platform,
        # The written form: ${VAR} as a placeholder, literal credentials stripped. A token's value is neither
        # hashed (a short one could be recovered from the digest) nor able to make a lock stale by rotating.
        "channels": [canonical_url(c) for c in variant.channels],
        "specs": sorted(variant.specs),
        "virtual_packages": variant.virtual_packages_for(platform),
        # An extension is stale as soon as its base's lock changes: its packages are pinned to it.
        "base": hashlib.sha256("\n".join(base_lines).encode()).hexdigest()
        if base_lines is not None
        else None,
    }
    if pip is not None:
        payload["pip"] = dict(pip)
    if exclude_newer is not None:
        payload["exclude-newer"] = dict(exclude_newer)
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
