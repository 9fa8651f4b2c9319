"""``envsplit audit``: sizes, exclusive weights and flags per locked environment, and how variants differ.

The result is plain data (:class:`~envsplit.audit_model.AuditReport`); renderers in ``audit_render/`` turn it
into a table, markdown, JSON or HTML. The flag rules are in ``audit_flags``, the comparisons between
environments (layers, variant differences) in ``audit_compare``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

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
from envsplit.audit.model import (
    BASIS_DOWNLOAD,
    BASIS_INSTALLED,
    AuditReport,
    EnvAudit,
    Row,
    known_sum,
    total_of,
)
from envsplit.audit.whatif import OVERLAY, EnvView, Request, candidates, check_requests, what_if
from envsplit.errors import InputError
from envsplit.models import LockedPackage, Project

if TYPE_CHECKING:
    from envsplit.audit.resolve import Measure


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
    requests: tuple[Request, ...] = ()  # --drop / --drop-overlay what-ifs
    resolve: bool = False  # confirm each what-if with a real solve
    whole: bool = False  # rank the whole image of a layered variant, not only its layer
    project: Project | None = None  # for --resolve: the specs to solve again
    progress: Callable[[str], None] = lambda _message: None


def audit(targets: Sequence[Target], options: AuditOptions) -> AuditReport:
    from envsplit.audit import lock_target as targets_mod
    from envsplit.locking.run import default_cache_dir

    loaded: list[tuple[Target, str, list[LockedPackage]]] = []
    for target in targets:
        locked = targets_mod.load(target)
        for platform in targets_mod.select_platforms(target, locked, options.platforms):
            loaded.append((target, platform, locked[platform]))
    views = [
        EnvView(
            target,
            f"{target.label} · {platform}",
            depgraph.build(pkgs, target.requested),
            layer_only=bool(target.layer_paths) and not options.whole,
        )
        for target, platform, pkgs in loaded
    ]
    check_requests(options.requests, views)
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
        _env_audit(view, platform, lookup.sizes, installed, options)
        for view, (_, platform, _) in zip(views, loaded, strict=True)
    ]
    if options.resolve and options.requests:
        envs = _resolve_all(envs, views, loaded, lookup.sizes, options, cache_dir)
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
    view: EnvView,
    platform: str,
    sizes: Mapping[str, int],
    installed: Mapping[str, int] | None,
    options: AuditOptions,
) -> EnvAudit:
    target, g = view.target, view.graph
    size_of = {n: sizes.get(p.url, 0) for n, p in g.packages.items()}
    w = depgraph.weights(g, size_of)
    total = sum(size_of.values())
    installed_of: dict[str, int | None] = (
        {n: installed.get(p.url) for n, p in g.packages.items()} if installed is not None else {}
    )
    missing = [n for n, v in installed_of.items() if v is None]
    # The measure every table, the treemap and the what-ifs use: installed bytes with --installed-size
    # (the figure an image's size is quoted in), else download bytes; unknown sizes make each sum a lower
    # bound, said so wherever it is shown.
    measure: dict[str, int | None] = (
        installed_of if installed is not None else {n: sizes.get(p.url) for n, p in g.packages.items()}
    )
    basis = w if installed is None else depgraph.weights(g, {n: v or 0 for n, v in measure.items()})
    alone = depgraph.exclusive_sets(g, w)
    unknown = [n for n, v in measure.items() if v is None]
    # Shared weights with an unknown size among them are unknown ("?"), not a sum that reads as complete.
    shared_unknown = depgraph.weights(g, dict.fromkeys(unknown, 1)) if unknown else None
    measure_total = total_of(list(measure.values()))
    limit = options.threshold.for_total(measure_total.bytes)
    requested = set(g.requested)
    pulls = pulls_geospatial(g)
    layer_urls, layer_file = read_layer(target, platform)
    pip_layer = read_pip_layer(target, platform) if g.pip else None
    rows = []
    for name, p in g.packages.items():
        frees = total_of([measure[m] for m in alone[name]]) if name in requested else None
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
                exclusive_installed_bytes=frees.bytes
                if frees is not None and installed is not None and not frees.lower_bound
                else None,
                shared_bytes=w.shared(name) if name in requested else None,
                dominated_bytes=w.dominated[name],
                flags=((FLAG_PIP,) if p.is_pip else ())
                + flags(name, basis.exclusive[name] if name in requested else None, limit, pulls),
                in_layer=_in_layer(p, layer_urls, pip_layer),
                manager=p.manager,
                frees=frees,
                shares=basis.shared(name)
                if name in requested and (shared_unknown is None or not shared_unknown.shared(name))
                else None,
            )
        )
    by_name = {r.name: r for r in rows}

    def in_layer(name: str) -> bool:
        return by_name[name].in_layer is not False

    geo = [r for r in rows if FLAG_GEOSPATIAL in r.flags or FLAG_PULLS_GEOSPATIAL in r.flags]
    geo_requested = frozenset(r.name for r in geo if r.requested)
    kept = depgraph.reachable(g.deps, [r for r in g.roots if r not in geo_requested])
    geo_removal = total_of([v for n, v in measure.items() if n not in kept])
    layer = None
    if layer_urls is not None and layer_file is not None:
        layer = layer_totals(layer_file, rows, installed is not None, measure)
    return EnvAudit(
        target=target.label,
        kind=target.kind,
        platform=platform,
        base=target.base,
        depth=target.depth,
        requested_from="specs" if target.requested is not None else "top-level",
        rows=tuple(rows),
        size=total,
        installed_size=known_sum(list(installed_of.values())) if installed is not None else None,
        size_missing=tuple(r.name for r in rows if r.size is None),
        installed_size_missing=tuple(missing),
        unreached=tuple(sorted(set(g.packages) - depgraph.reachable(g.deps, g.requested))),
        geospatial_packages=len(geo),
        geospatial_size=sum(measure[r.name] or 0 for r in geo),
        geospatial_total=total_of([measure[r.name] for r in geo]),
        geospatial_removal_bytes=geo_removal.bytes,
        geospatial_removal=geo_removal,
        layer=layer,
        groups=tuple((top, tuple(members)) for top, members in depgraph.dominator_groups(g, w).items()),
        heavy_threshold_bytes=limit,
        weight_basis=BASIS_INSTALLED if installed is not None else BASIS_DOWNLOAD,
        size_total=total_of([r.size for r in rows]),
        installed_total=measure_total if installed is not None else None,
        view=None if not target.layer_paths else "layer" if view.layer_only else "whole",
        what_ifs=tuple(what_if(view, request, measure, in_layer) for request in options.requests),
        candidates=candidates(view, by_name, measure, limit, in_layer, alone),
    )


def _resolve_all(
    envs: list[EnvAudit],
    views: Sequence[EnvView],
    loaded: Sequence[tuple[Target, str, list[LockedPackage]]],
    sizes: Mapping[str, int],
    options: AuditOptions,
    cache_dir: Path,
) -> list[EnvAudit]:
    """Each what-if of each variant confirmed by a real solve (the slow part: one solve per pair)."""
    from envsplit.audit.resolve import ResolveContext, Resolver
    from envsplit.errors import SolveError

    if options.project is None:
        raise InputError("--resolve: needs a project; a lockfile given by path has no specs to solve again")
    resolver = Resolver(ResolveContext(options.project, options.mirrors, cache_dir))
    measure = _measure_lookup(sizes, options, cache_dir)
    out = []
    try:
        for env, view, (target, platform, packages) in zip(envs, views, loaded, strict=True):
            if target.kind != "variant":
                out.append(env)
                continue
            resolved = []
            for request, figure in zip(options.requests, env.what_ifs, strict=True):
                uses = request.kind == OVERLAY and view.overlay(request.names[0]) is not None
                if not figure.dropped and not uses:
                    resolved.append(figure)
                    continue
                options.progress(f"solving {env.title} without {request.label.split(' ', 1)[1]}")
                leaves = depgraph.group_leaves(view.graph, figure.dropped)
                try:
                    result = resolver.resolve(target, platform, packages, request, leaves, measure)
                except SolveError as exc:
                    note = f"--resolve: the variant without them does not solve: {exc}"
                    resolved.append(replace(figure, notes=(*figure.notes, note)))
                    continue
                resolved.append(replace(figure, resolved=result))
            out.append(replace(env, what_ifs=tuple(resolved)))
    finally:
        resolver.close()
    return out


def _measure_lookup(sizes: Mapping[str, int], options: AuditOptions, cache_dir: Path) -> Measure:
    """Sizes in the audit's measure for any packages, those a solve brings in included (cached lookups)."""

    def lookup(packages: Sequence[LockedPackage]) -> Mapping[str, int | None]:
        conda = [p for p in packages if not p.is_pip]
        if options.installed_size:
            from envsplit.sizes.installed import installed_sizes

            found = installed_sizes(conda, options.mirrors, cache_dir, options.base_dir).sizes
            return {p.url: found.get(p.url) for p in packages}
        from envsplit.sizes.download import repodata_sizes

        new = [p for p in conda if p.url not in sizes]
        extra = repodata_sizes(new, options.mirrors, cache_dir, options.base_dir).sizes if new else {}
        return {p.url: sizes.get(p.url, extra.get(p.url)) for p in packages}

    return lookup


def _in_layer(p: LockedPackage, layer_urls: set[str] | None, pip_layer: set[str] | None) -> bool | None:
    """Whether a layered variant's layer adds ``p``: its explicit layer, or for pip its pip layer file."""
    if layer_urls is None:
        return None
    if p.is_pip:
        return None if pip_layer is None else f"{p.name}=={p.version}" in pip_layer
    return p.url in layer_urls
