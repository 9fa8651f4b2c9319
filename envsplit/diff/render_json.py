"""A LockDiff as json: the document docs/diff-schema.md describes (schema_version 2)."""

from __future__ import annotations

import json
from typing import Any

from envsplit.diff.compare import Change, LockDiff, PlatformDiff
from envsplit.generated import Header
from envsplit.models import LockedPackage

SCHEMA = "envsplit-diff"
# 2: kind "build-variant" (with "swaps" and "moved"), level "calver", "inherited_from" on every entry.
SCHEMA_VERSION = 2


def _package(p: LockedPackage, c: Change, size: int | None) -> dict[str, Any]:
    return {
        "name": p.name,
        "version": p.version,
        "build": p.build,
        "channel": p.channel,
        "subdir": p.subdir,
        "url": p.url,
        "requested": c.requested,
        "size": size,
        "inherited_from": c.inherited_from,
        **_manager(p),
    }


def _manager(*packages: LockedPackage | None) -> dict[str, str]:
    # Only on pip packages: an entry without "manager" is a conda package, as before pip entries existed.
    return {"manager": "pip"} if any(p is not None and p.is_pip for p in packages) else {}


def _changed(c: Change) -> dict[str, Any]:
    assert c.old is not None and c.new is not None
    return {
        "name": c.name,
        "kind": c.kind,
        "level": c.level,
        "requested": c.requested,
        "old_version": c.old.version,
        "new_version": c.new.version,
        "old_build": c.old.build,
        "new_build": c.new.build,
        "old_url": c.old.url,
        "new_url": c.new.url,
        "old_size": c.old_size,
        "new_size": c.new_size,
        "size_delta": c.size_delta,
        "moved": c.moved,
        "swaps": [{"axis": s.axis, "old": s.old, "new": s.new} for s in c.swaps],
        "inherited_from": c.inherited_from,
        **_manager(c.old, c.new),
    }


def _platform_json(pd: PlatformDiff) -> dict[str, Any]:
    delta = pd.size_delta
    return {
        "platform": pd.platform,
        "status": pd.status,
        "old_packages": pd.old_count,
        "new_packages": pd.new_count,
        "counts": pd.counts(),
        "size_delta": delta.bytes if delta.counted else None,
        "size_unknown": delta.unknown,
        "added": [_package(c.new, c, c.new_size) for c in pd.added if c.new is not None],
        "removed": [_package(c.old, c, c.old_size) for c in pd.removed if c.old is not None],
        "changed": [_changed(c) for c in pd.changed],
    }


def to_json(diff: LockDiff, command: str = "envsplit diff") -> dict[str, Any]:
    delta = diff.size_delta
    generator = Header("lock changes", command).generator()
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        # Flat, not audit's generator object: diff-schema.md (schema_version 1) fixes these two fields.
        "generator": f"{generator['name']} {generator['version']}",
        "regenerate": generator["regenerate"],
        "old": diff.old_label,
        "new": diff.new_label,
        "changed": diff.changed,
        "sizes_looked_up": diff.sizes_looked_up,
        "size_delta": delta.bytes if delta.counted else None,
        "size_unknown": delta.unknown,
        "variants": [
            {
                "name": v.name,
                "status": v.status,
                "old_lock": v.old_lock.source if v.old_lock else None,
                "new_lock": v.new_lock.source if v.new_lock else None,
                "old_variant": v.old_lock.variant if v.old_lock else None,
                "new_variant": v.new_lock.variant if v.new_lock else None,
                "requested_basis": v.requested_basis,
                "platforms": [_platform_json(pd) for pd in v.platforms],
            }
            for v in diff.variants
        ],
    }


def render_json(diff: LockDiff, command: str = "envsplit diff") -> str:
    return json.dumps(to_json(diff, command), indent=2, ensure_ascii=False) + "\n"
