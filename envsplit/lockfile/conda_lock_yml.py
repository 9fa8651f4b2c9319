"""conda-lock.yml through conda-lock's own models and writer, so its tools read what we write.

Imported only when a lock is written or read in full: conda-lock takes most of a second to import.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from envsplit.errors import InputError
from envsplit.models import LockedPackage, dep_name
from envsplit.redact import redact_url

_IMPORTING = threading.Lock()


def preload() -> None:
    """Import the parts of conda-lock used here, one thread at a time.

    conda-lock's package imports itself in a cycle: two threads importing it at once can each see the other's
    half-initialized modules (ImportError). Every use below goes through here first; a lock run calls it from a
    background thread so that the import overlaps the solves.
    """
    with _IMPORTING:
        import conda_lock.interfaces.vendored_conda
        import conda_lock.lockfile.v1.models
        import conda_lock.lockfile.v2prelim.models  # noqa: F401


@functools.cache
def _dependency_items(depends: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    # Variants share most packages, so each dependency list is parsed once per process.
    # conda-lock keys dependencies by name; a second spec for the same name is dropped, as conda-lock does.
    out: dict[str, str] = {}
    for dep in depends:
        name = dep_name(dep)
        spec = dep.strip().split("::")[-1][len(name) :].strip()
        out.setdefault(name, spec or "*")
    return tuple(out.items())


def _dependencies(depends: Sequence[str]) -> dict[str, str]:
    return dict(_dependency_items(tuple(depends)))


def build(
    packages: Mapping[str, Sequence[LockedPackage]],
    channels: Sequence[str],
    hashes: Mapping[str, str],
    sources: Sequence[str],
    custom: Mapping[str, str],
    pip: Mapping[str, Sequence[Any]] | None = None,
) -> Any:
    """A conda-lock ``Lockfile`` (v2 model) for every platform in ``packages``; ``pip`` adds each platform's
    pip packages (envsplit.pip.resolve.PipPackage) as ``manager: pip`` entries, as conda-lock writes them."""
    preload()
    from conda_lock.lockfile.v2prelim.models import HashModel, LockedDependency, Lockfile, LockMeta

    deps = [
        LockedDependency(
            name=p.name,
            version=p.version,
            manager="conda",
            platform=platform,
            dependencies=_dependencies(p.depends),
            url=p.url,
            hash=HashModel(md5=p.md5, sha256=p.sha256),
            categories={"main"},
            build=p.build,
        )
        for platform, pkgs in sorted(packages.items())
        for p in pkgs
    ]
    deps += [
        LockedDependency(
            name=p.name,
            version=p.version,
            manager="pip",
            platform=platform,
            dependencies={},  # installed with --no-deps: every package is listed
            url=p.url,
            hash=HashModel(sha256=p.sha256),
            categories={"main"},
        )
        for platform, pkgs in sorted((pip or {}).items())
        for p in pkgs
    ]
    meta = LockMeta(
        content_hash=dict(sorted(hashes.items())),
        channels=list(channels),
        platforms=sorted(packages),
        sources=list(sources),
        custom_metadata=dict(custom),
    )
    return Lockfile(package=deps, metadata=meta)


_ENTRY_YAML: dict[str, str] = {}


def render(lockfile: Any, header_lines: Sequence[str]) -> str:
    """The YAML text conda-lock's ``write_conda_lock_file`` writes, with our header in place of its help text.

    Same steps as that writer (sort, drop virtual packages, dump the v1 dict unsorted) but with libyaml's
    dumper: the pure-Python one took most of a lock's time. tests/test_lockfile_render.py holds the two
    outputs byte-equal.
    """
    import yaml

    from envsplit.lockfile.header import seal

    lockfile.alphasort_inplace()
    lockfile.filter_virtual_packages_inplace()
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    output = lockfile.to_v1().dict_for_output()
    packages = output.pop("package")
    if not packages:  # sealed like any other: an unsealed lock reads as edited by hand on every run
        return seal(header_lines, yaml.dump({**output, "package": []}, Dumper=dumper, sort_keys=False))
    # Variants share most packages; each entry is represented once per process. A block sequence under
    # a top-level key is not indented, so the entries dumped one by one concatenate to the same text.
    items = []
    for entry in packages:
        key = json.dumps(entry)
        if key not in _ENTRY_YAML:
            _ENTRY_YAML[key] = yaml.dump([entry], Dumper=dumper, sort_keys=False)
        items.append(_ENTRY_YAML[key])
    body = yaml.dump(output, Dumper=dumper, sort_keys=False) + "package:\n" + "".join(items)
    return seal(header_lines, body)


def explicit_lines(packages: Sequence[LockedPackage]) -> list[str]:
    """Package lines exactly as ``conda-lock render -k explicit`` orders one platform's packages (topologically).

    The same steps as conda-lock's ``alphasort_inplace``, ``filter_virtual_packages_inplace`` and
    ``toposort_inplace`` on the model, on the packages themselves: building the model only to order it took
    longer than the solve. Rendered here rather than by conda-lock's renderer, which expands ``${VAR}`` in every
    URL: that would write a channel's token into the file.
    """
    preload()
    from conda_lock.interfaces.vendored_conda import toposort

    real = {p.name: p for p in sorted(packages, key=lambda p: p.name) if not p.name.startswith("__")}
    order = toposort({name: {n for n, _ in _dependency_items(tuple(p.depends))} for name, p in real.items()})
    return [f"{real[name].url}#{real[name].md5}" for name in order if name in real]


def _parse(path: Path) -> Any:
    """conda-lock's own parse_conda_lock_file, minus its pure-Python YAML loader (4x slower on big locks)."""
    import yaml

    preload()
    from conda_lock.lockfile import MissingLockfileVersion, UnknownLockfileVersion
    from conda_lock.lockfile.v1.models import Lockfile as LockfileV1
    from conda_lock.lockfile.v2prelim.models import Lockfile, lockfile_v1_to_v2
    from pydantic import ValidationError

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as fh:
        content = yaml.load(fh, Loader=loader)
    if not isinstance(content, dict):
        raise ValueError("expected a mapping at the top level")
    version = content.pop("version", None)
    try:
        if version == 1:
            return lockfile_v1_to_v2(LockfileV1.model_validate(content))
        if version == 2:
            return Lockfile.model_validate(content)
    except ValidationError as exc:
        from envsplit.lockfile.verify import describe_invalid

        raise ValueError(describe_invalid(exc.errors(), content)) from None
    if version is None:
        raise MissingLockfileVersion(f"{path} is missing a version")
    raise UnknownLockfileVersion(f"{path} has unknown version {version}")


def read(path: Path) -> dict[str, list[LockedPackage]]:
    """Platform -> conda packages of any conda-lock.yml (v1 or v2); a bad file is an InputError."""
    try:
        lockfile = _parse(path)
    except FileNotFoundError:
        raise InputError(f"{path}: lockfile not found") from None
    except Exception as exc:  # yaml and pydantic errors: the file is not a conda-lock lockfile
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: not a readable conda-lock.yml ({first}); regenerate it") from None
    out: dict[str, list[LockedPackage]] = {p: [] for p in lockfile.metadata.platforms}
    for dep in lockfile.package:
        if dep.manager != "conda":
            continue
        if len(dep.url.rsplit("/", 2)) != 3:
            raise InputError(
                f"{path}: package {dep.name!r} ({dep.platform}): url {redact_url(dep.url)!r} is not "
                "CHANNEL/SUBDIR/FILE; regenerate it"
            )
        subdir = dep.url.rsplit("/", 2)[-2]
        out.setdefault(dep.platform, []).append(
            LockedPackage(
                name=dep.name,
                version=dep.version,
                build=dep.build or dep.url.rsplit("/", 1)[-1].rsplit("-", 1)[-1].split(".")[0],
                subdir=subdir,
                channel=dep.url.rsplit("/", 2)[0],
                url=dep.url,
                md5=dep.hash.md5 or "",
                sha256=dep.hash.sha256,
                size=None,
                depends=tuple(f"{n} {s}".strip() if s != "*" else n for n, s in dep.dependencies.items()),
            )
        )
    return {k: sorted(v, key=lambda p: p.name) for k, v in out.items()}
