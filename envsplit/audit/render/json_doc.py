"""The audit as JSON, following docs/audit-schema.md (schema ``envsplit-audit``, version 2)."""

from __future__ import annotations

import json
from typing import Any

from envsplit.audit.model import SCHEMA_VERSION, AuditReport, Candidate, EnvAudit, Row, Total, WhatIf
from envsplit.generated import Header


def _total(t: Total | None) -> dict[str, Any] | None:
    """A sum of sizes with how many were unknown: ``lower_bound`` is true when ``bytes`` is at least."""
    if t is None:
        return None
    return {"bytes": t.bytes, "unknown": t.unknown, "of": t.of, "lower_bound": t.lower_bound}


def _what_if(w: WhatIf) -> dict[str, Any]:
    r = w.resolved
    return {
        "label": w.label,
        "dropped": list(w.dropped),
        "leaves": list(w.leaves),
        "frees": _total(w.frees),
        "notes": list(w.notes),
        "resolved": None
        if r is None
        else {
            "frees": _total(r.frees),
            "agrees": r.agrees,
            "removed": list(r.removed),
            "added": list(r.added),
            "changed": list(r.changed),
            "kept": list(r.kept),
            "also_removed": list(r.also_removed),
            "base_changes": r.base_changes,
        },
    }


def _candidate(c: Candidate) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "name": c.name,
        "members": list(c.members),
        "packages": c.packages,
        "frees": _total(c.frees),
        "flags": list(c.flags),
    }


def _row(r: Row) -> dict[str, Any]:
    # "manager" only on pip rows: a row without it is a conda package, as in every lock without pip entries.
    pip = {"manager": r.manager} if r.manager != "conda" else {}
    return {
        "name": r.name,
        "version": r.version,
        "build": r.build,
        "subdir": r.subdir,
        "url": r.url,
        "size": r.size,
        "installed_size": r.installed_size,
        "requested": r.requested,
        "exclusive_bytes": r.exclusive_bytes,
        "exclusive_installed_bytes": r.exclusive_installed_bytes,
        "shared_bytes": r.shared_bytes,
        "dominated_bytes": r.dominated_bytes,
        "flags": list(r.flags),
        "in_layer": r.in_layer,
        "frees": _total(r.frees),
        "shares": r.shares,
        **pip,
    }


def _env(e: EnvAudit) -> dict[str, Any]:
    return {
        "target": e.target,
        "kind": e.kind,
        "platform": e.platform,
        "base": e.base,
        "requested_from": e.requested_from,
        "weight_basis": e.weight_basis,
        "view": e.view,
        "ranked": [r.name for r in e.requested_rows()],
        "in_base": e.in_base(),
        "totals": {
            "size_total": _total(e.size_total),
            "installed_total": _total(e.installed_total),
            "geospatial_total": _total(e.geospatial_total),
            "geospatial_removal": _total(e.geospatial_removal),
            "packages": len(e.rows),
            "requested": sum(r.requested for r in e.rows),
            "size": e.size,
            "installed_size": e.installed_size,
            "size_missing": list(e.size_missing),
            "installed_size_missing": list(e.installed_size_missing),
            "geospatial_packages": e.geospatial_packages,
            "geospatial_size": e.geospatial_size,
            "geospatial_removal_bytes": e.geospatial_removal_bytes,
            "heavy_threshold_bytes": e.heavy_threshold_bytes,
        },
        "layer": None
        if e.layer is None
        else {
            "file": e.layer.file,
            "packages": e.layer.packages,
            "size": e.layer.size,
            "installed_size": e.layer.installed_size,
            "total": _total(e.layer.total),
        },
        "what_ifs": [_what_if(w) for w in e.what_ifs],
        "candidates": [_candidate(c) for c in e.candidates],
        "unreached": list(e.unreached),
        "packages": [_row(r) for r in e.rows],
    }


def document(report: AuditReport) -> dict[str, Any]:
    return {
        "schema": "envsplit-audit",
        "schema_version": SCHEMA_VERSION,
        "generator": Header("audit", report.regenerate).generator(),
        "weight_basis": report.weight_basis,
        "installed_size_read": report.installed,
        "heavy_threshold": report.threshold.text,
        "environments": [_env(e) for e in report.envs],
        "differences": [
            {
                "a": d.a,
                "b": d.b,
                "platform": d.platform,
                "size_a": d.size_a,
                "size_b": d.size_b,
                "size_delta": d.delta,
                "only_in_a": {
                    "packages": d.only_a_packages,
                    "size": d.only_a_size,
                    "total": _total(d.only_a),
                },
                "only_in_b": {
                    "packages": d.only_b_packages,
                    "size": d.only_b_size,
                    "total": _total(d.only_b),
                },
            }
            for d in report.differences
        ],
        "warnings": list(report.warnings),
    }


def render_json(report: AuditReport) -> str:
    return json.dumps(document(report), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
