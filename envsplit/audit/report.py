"""``envsplit audit``: sizes, exclusive weights and flags per locked environment, and how variants differ.

The result is plain data (:class:`~envsplit.audit_model.AuditReport`); renderers in ``audit_render/`` turn it
into a table, markdown, JSON or HTML. The flag rules are in ``audit_flags``, the comparisons between
environments (layers, variant differences) in ``audit_compare``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from envsplit.audit import graph as depgraph
from envsplit.audit.compare import differences, layer_totals, read_layer, read_pip_layer
from envsplit.audit.flags import (
    DEFAULT_THRESHOLD,
    FLAG_GEOSPATIAL,
    FLAG_PIP,
    FLAG_PULLS_GEOSPATIAL,
    Threshold,
    flags,
    parse_threshold,
    pulls_geospatial,
)
from envsplit.audit.lock_target import Target
from envsplit.audit.model import BASIS_DOWNLOAD, BASIS_INSTALLED, AuditReport, EnvAudit, Row, known_sum
from envsplit.models import LockedPackage


@dataclass(frozen=True)
class AuditOptions:
    platforms: tuple[str, ...] = ()
    installed_size: bool = False
    threshold: Threshold = field(default_factory=lambda: parse_threshold(DEFAULT_THRESHOLD))
    mirrors: Mapping[str, str] = field(default_factory=dict)
    cache_dir: Path | None = None
    base_dir: Path = Path(".")
    regenerate: str = "envsplit audit"
    # Where pip packages' download sizes are read (a URL or a folder); None: they stay unknown.
    pypi_index: str | None = None


def audit(targets: Sequence[Target], options: AuditOptions) -> AuditReport:
    from envsplit.audit import lock_target as targets_mod
    from envsplit.locking.run import default_cache_dir

    loaded: list[tuple[Target, str, list[LockedPackage]]] = []
    for target in targets:
        locked = targets_mod.load(target)
        for platform in targets_mod.select_platforms(target, locked, options.platforms):
            loaded.append((target, platform, locked[platform]))
    every = [p for _, _, pkgs in loaded for p in pkgs if not p.is_pip]
    pip = {p.url: p for _, _, pkgs in loaded for p in pkgs if p.is_pip}
    cache_dir = options.cache_dir or default_cache_dir()
    warnings: list[str] = []
    from envsplit.sizes.download import repodata_sizes

    lookup = repodata_sizes(every, options.mirrors, cache_dir, options.base_dir)
    if pip and options.pypi_index is not None:
        from envsplit.sizes.pypi import index_sizes

        found_pip = index_sizes(pip.values(), options.pypi_index, options.base_dir)
        lookup.sizes.update(found_pip.sizes)
        warnings += found_pip.warnings
    installed: dict[str, int] | None = None
    if options.installed_size:
        from envsplit.sizes.installed import installed_sizes

        found = installed_sizes(every, options.mirrors, cache_dir, options.base_dir)
        installed = found.sizes
        reasons = sorted(set(found.failed.values()))
        if found.failed:
            warnings.append(
                f"no installed size for {len(found.failed)} archive(s): " + "; ".join(reasons[:3])
            )
    envs = [
        _env_audit(target, platform, pkgs, lookup.sizes, installed, options.threshold)
        for target, platform, pkgs in loaded
    ]
    for env in envs:
        if env.unreached:
            warnings.append(
                f"{env.title}: {len(env.unreached)} package(s) are not needed by any requested package "
                f"({', '.join(env.unreached[:5])}{', ...' if len(env.unreached) > 5 else ''}); "
                "they are counted as if requested"
            )
    return AuditReport(
        envs=tuple(envs),
        differences=tuple(differences(envs)),
        warnings=tuple(warnings),
        installed=options.installed_size,
        threshold=options.threshold,
        regenerate=options.regenerate,
    )


def _env_audit(
    target: Target,
    platform: str,
    packages: Sequence[LockedPackage],
    sizes: Mapping[str, int],
    installed: Mapping[str, int] | None,
    threshold: Threshold,
) -> EnvAudit:
    g = depgraph.build(packages, target.requested)
    size_of = {n: sizes.get(p.url, 0) for n, p in g.packages.items()}
    w = depgraph.weights(g, size_of)
    total = sum(size_of.values())
    installed_of: dict[str, int | None] = (
        {n: installed.get(p.url) for n, p in g.packages.items()} if installed is not None else {}
    )
    missing = [n for n, v in installed_of.items() if v is None]
    installed_total = known_sum(list(installed_of.values())) if installed is not None else None
    wi = None
    unknown_freed: Mapping[str, int] = {}
    if installed is not None:
        wi = depgraph.weights(g, {n: v or 0 for n, v in installed_of.items()})
        if missing:
            # The same dominator arithmetic over 1 per unknown package counts the unknowns each requested
            # package would free: its installed figure is known only when that count is 0.
            unknown_freed = depgraph.weights(g, dict.fromkeys(missing, 1)).exclusive
    # Heavy means heavy in the image: installed bytes when every package has them; with one unknown, an
    # installed total or ranking would be a guess, so the download sizes stay the basis.
    basis, basis_total = w, total
    if wi is not None and installed_total is not None:
        basis, basis_total = wi, installed_total
    limit = threshold.for_total(basis_total)
    requested = set(g.requested)
    pulls = pulls_geospatial(g)
    layer_urls, layer_file = read_layer(target, platform)
    pip_layer = read_pip_layer(target, platform) if g.pip else None
    rows = []
    for name, p in g.packages.items():
        rows.append(
            Row(
                name=name,
                version=p.version,
                build=p.build,
                subdir=p.subdir,
                url=p.url,
                size=sizes.get(p.url),
                installed_size=installed_of.get(name),
                requested=name in requested,
                exclusive_bytes=w.exclusive[name] if name in requested else None,
                exclusive_installed_bytes=wi.exclusive[name]
                if wi is not None and name in requested and not unknown_freed.get(name)
                else None,
                shared_bytes=w.shared(name) if name in requested else None,
                dominated_bytes=w.dominated[name],
                flags=((FLAG_PIP,) if p.is_pip else ())
                + flags(name, basis.exclusive[name] if name in requested else None, limit, pulls),
                in_layer=_in_layer(p, layer_urls, pip_layer),
                manager=p.manager,
            )
        )
    geo = [r for r in rows if FLAG_GEOSPATIAL in r.flags or FLAG_PULLS_GEOSPATIAL in r.flags]
    geo_requested = frozenset(r.name for r in geo if r.requested)
    kept = depgraph.reachable(g.deps, [r for r in g.roots if r not in geo_requested])
    layer = None
    if layer_urls is not None and layer_file is not None:
        layer = layer_totals(layer_file, rows, installed is not None)
    return EnvAudit(
        target=target.label,
        kind=target.kind,
        platform=platform,
        base=target.base,
        depth=target.depth,
        requested_from="specs" if target.requested is not None else "top-level",
        rows=tuple(rows),
        size=total,
        installed_size=installed_total,
        size_missing=tuple(r.name for r in rows if r.size is None),
        installed_size_missing=tuple(missing),
        unreached=tuple(sorted(set(g.packages) - depgraph.reachable(g.deps, g.requested))),
        geospatial_packages=len(geo),
        geospatial_size=sum(r.size or 0 for r in geo),
        geospatial_removal_bytes=total - sum(size_of[n] for n in kept),
        layer=layer,
        groups=tuple((top, tuple(members)) for top, members in depgraph.dominator_groups(g, w).items()),
        heavy_threshold_bytes=limit,
        weight_basis=BASIS_INSTALLED if basis is wi else BASIS_DOWNLOAD,
    )


def _in_layer(p: LockedPackage, layer_urls: set[str] | None, pip_layer: set[str] | None) -> bool | None:
    """Whether a layered variant's layer adds ``p``: its explicit layer, or for pip its pip layer file."""
    if layer_urls is None:
        return None
    if p.is_pip:
        return None if pip_layer is None else f"{p.name}=={p.version}" in pip_layer
    return p.url in layer_urls
