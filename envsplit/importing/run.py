"""``envsplit import`` without click: read, name, factor, check the guarantee, report the drift, write."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from envsplit.errors import InputError
from envsplit.generated import Header, regenerate_command
from envsplit.importing.drift import drift
from envsplit.importing.drift_render import render_json, render_markdown, render_text
from envsplit.importing.extends import Reading, parse_modes, read_extensions
from envsplit.importing.factor import factor
from envsplit.importing.files import project_files
from envsplit.importing.guarantee import check_guarantee
from envsplit.importing.names import Naming, mirror_pairs, name_files
from envsplit.importing.read import EnvFile, read_env_file
from envsplit.importing.stale import stale_overlays
from envsplit.importing.virtual import with_virtual_packages
from envsplit.inputs.problems import Problems
from envsplit.inputs.yaml_lines import display_path

FORMATS = ("text", "markdown", "json")


@dataclass(frozen=True)
class ImportRequest:
    files: list[Path]
    output: Path
    names: tuple[str, ...] = ()
    bases: tuple[str, ...] = ()
    dockerfiles: tuple[str, ...] = ()
    virtual_packages: tuple[str, ...] = ()
    extends_modes: tuple[str, ...] = ()
    force: bool = False
    check: bool = False
    format: str = "text"


@dataclass(frozen=True)
class ImportResult:
    report: str
    written: list[Path]
    variants: list[str]
    readings: dict[str, Reading]
    removed: list[Path] = field(default_factory=list)  # the old project's overlays (--force)


def _read_all(naming: Naming) -> dict[str, EnvFile]:
    problems = Problems()
    envs: dict[str, EnvFile] = {}
    for variant, path in naming.variants.items():
        with problems.check():
            envs[variant] = read_env_file(path)
    problems.raise_any()
    return envs


def _dockerfiles(values: tuple[str, ...], naming: Naming, output: Path) -> dict[str, str]:
    """``--dockerfile VARIANT=PATH`` -> variant -> the path relative to the output project, each checked."""
    found: dict[str, str] = {}
    for value in values:
        variant, sep, raw = value.partition("=")
        if not sep or not variant or not raw:
            raise InputError(f"--dockerfile {value}: expected VARIANT=PATH, e.g. --dockerfile cpu=Dockerfile")
        if variant not in naming.variants:
            raise InputError(
                f"--dockerfile {value}: no variant {variant!r}; variants: {', '.join(naming.variants)}"
            )
        if variant in found:
            raise InputError(f"--dockerfile {value}: variant {variant!r} already has a Dockerfile; give one")
        path = Path(raw)
        if not path.is_file():
            raise InputError(f"--dockerfile {value}: {display_path(path)} not found")
        try:
            from envsplit.render.adopt import check_adoptable
        except ModuleNotFoundError:  # pragma: no cover - the adoption half of issue 10 is merged separately
            raise InputError(
                "--dockerfile: this envsplit cannot adopt Dockerfiles (envsplit.render.adopt is missing)"
            ) from None
        check_adoptable(path)
        found[variant] = Path(os.path.relpath(path.absolute(), output.absolute())).as_posix()
    return found


def _report(
    request: ImportRequest,
    naming: Naming,
    envs: dict[str, EnvFile],
    effective: dict[str, EnvFile],
    readings: dict[str, Reading],
) -> str:
    drifts = []
    for reference, other in mirror_pairs(naming):
        why = "base" if naming.bases.get(other) == reference else "suffix"
        additive = {v for v, r in readings.items() if r.additive}
        if why == "suffix" and {reference, other} <= additive:
            # Two additive extensions mirror in what they add; their bases' drift has its own pair.
            drifts.append(drift(envs[reference], envs[other], why, additions=True))
        else:
            drifts.append(drift(effective[reference], effective[other], why))
    options = [
        *(f"--base={b}" for b in request.bases),
        *(f"--extends-mode={m}" for m in request.extends_modes),
        *(f"--name={n}" for n in request.names),
    ]
    files = [display_path(p) for p in request.files]
    command = regenerate_command("import", "--check", f"--format={request.format}", *options, *files)
    header = Header("drift report", command)
    extensions = list(readings.values())
    if request.format == "markdown":
        return render_markdown(drifts, extensions, header)
    if request.format == "json":
        return render_json(drifts, extensions, header)
    return render_text(drifts, extensions)


def _check_output(request: ImportRequest, files: dict[str, str], envs: dict[str, EnvFile]) -> None:
    if request.force:
        return
    if (request.output / "envsplit.yml").exists():
        raise InputError(
            f"{display_path(request.output / 'envsplit.yml')}: the output folder already holds an envsplit project; "
            "import into another folder with -o DIR, or pass --force to replace its files"
        )
    inputs = {env.path.resolve(): env for env in envs.values()}
    for rel in files:
        env = inputs.get((request.output / rel).resolve())
        if env is not None:
            raise InputError(
                f"{env.label}: is one of the files being imported and would be replaced by the project's {rel}; "
                "write the project elsewhere with -o DIR, or pass --force to replace it"
            )


def import_project(request: ImportRequest) -> ImportResult:
    """Check everything, then (unless ``check``) write the project; the report is returned, not printed."""
    from envsplit.generated import write

    if request.format not in FORMATS:
        raise InputError(f"--format {request.format}: expected one of {', '.join(FORMATS)}")
    naming = name_files(request.files, request.names, request.bases)
    envs = _read_all(naming)
    modes = parse_modes(request.extends_modes, naming.bases)
    dockerfiles = _dockerfiles(request.dockerfiles, naming, request.output)
    # From here on an additive extension is the environment its file makes of its base's.
    effective, readings = read_extensions(envs, naming.bases, modes)
    factored = with_virtual_packages(factor(effective, naming.bases), request.virtual_packages, naming)
    checked = project_files(factored, effective, naming.bases, {}, readings)
    check_guarantee(checked, effective)
    report = _report(request, naming, envs, effective, readings)
    if request.check:
        return ImportResult(report, [], list(envs), readings)
    files = project_files(factored, effective, naming.bases, dockerfiles, readings)
    _check_output(request, files, envs)
    targets = {request.output / rel: text for rel, text in files.items()}
    stale = stale_overlays(request.output, targets) if request.force else []
    written = write(targets, root=request.output)
    for path in stale:
        path.unlink()
    return ImportResult(report, written, list(envs), readings, stale)
