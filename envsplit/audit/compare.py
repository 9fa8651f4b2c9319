"""Environments against each other: a layered variant against its base (its layer file), and variants at
the same layer depth pairwise."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from envsplit.audit.lock_target import Target
from envsplit.audit.model import Difference, EnvAudit, Layer, Row, known_sum, total_of
from envsplit.errors import InputError


def read_layer(target: Target, platform: str) -> tuple[set[str] | None, str | None]:
    """The URLs in the target's layer file for ``platform`` and that file, or (None, None) without one."""
    from envsplit.lockfile import explicit

    for layer_platform, path in target.layer_paths:
        if layer_platform == platform:
            if not path.is_file():
                raise InputError(
                    f"{path}: the layer file of variant {target.label!r} is missing; run 'envsplit lock --variant {target.label}'"
                )
            lines = explicit.package_lines(path)
            return {line.partition("#")[0] for line in lines}, path.as_posix()
    return None, None


def read_pip_layer(target: Target, platform: str) -> set[str] | None:
    """``name==version`` of each pip package the target's layer adds on ``platform`` (its
    ``pip-layer-<platform>.txt``; none when it has no such file), or None when the target has no layer."""
    for layer_platform, path in target.layer_paths:
        if layer_platform == platform:
            pip_layer = path.parent / f"pip-layer-{platform}.txt"
            if not pip_layer.is_file():
                return set()
            lines = pip_layer.read_text(encoding="utf-8").splitlines()
            return {ln.split()[0] for ln in lines if ln.strip() and not ln.lstrip().startswith("#")}
    return None


def layer_totals(file: str, rows: Sequence[Row], installed: bool, measure: Mapping[str, int | None]) -> Layer:
    """What the layer adds: its rows marked ``in_layer``; ``installed`` says installed sizes were read;
    ``total`` is in the audit's measure."""
    in_layer = [r for r in rows if r.in_layer]
    return Layer(
        file=file,
        packages=len(in_layer),
        size=sum(r.size or 0 for r in in_layer),
        installed_size=known_sum([r.installed_size for r in in_layer]) if installed else None,
        total=total_of([measure[r.name] for r in in_layer]),
    )


def differences(envs: Sequence[EnvAudit]) -> list[Difference]:
    """Each pair of environments on the same platform at the same layer depth (cpu vs cuda, and their
    spatial extensions with each other); an extension against its own base is its layer instead."""
    out = []
    for i, a in enumerate(envs):
        for b in envs[i + 1 :]:
            if a.platform != b.platform or a.depth != b.depth or a.target == b.target:
                continue
            urls_a = {r.url: r for r in a.rows}
            urls_b = {r.url: r for r in b.rows}
            only_a = total_of([_measured(a, r) for u, r in urls_a.items() if u not in urls_b])
            only_b = total_of([_measured(b, r) for u, r in urls_b.items() if u not in urls_a])
            out.append(
                Difference(
                    a=a.target,
                    b=b.target,
                    platform=a.platform,
                    only_a_packages=only_a.of,
                    only_a_size=only_a.bytes,
                    only_b_packages=only_b.of,
                    only_b_size=only_b.bytes,
                    size_a=a.measure_total.bytes,
                    size_b=b.measure_total.bytes,
                    only_a=only_a,
                    only_b=only_b,
                )
            )
    return out


def _measured(env: EnvAudit, r: Row) -> int | None:
    return r.installed_size if env.installed_total is not None else r.size
