"""A variant's exact environment created on this machine from its locks: the conda lock, then its pip file.

The conda part follows what micromamba does with an explicit file: every archive the lock names is fetched
(through a ``--mirror`` if given), its md5 checked against the lock, its own ``info/index.json`` read (so
``noarch: python`` and the rest are the archive's, not guessed), and py-rattler installs exactly those
records. The records keep the lock's URL and channel, so the prefix's ``conda-meta`` reads like the lock.

The pip part (envsplit/pip/install.py) runs ``uv pip install --no-deps --require-hashes`` against the
prefix's interpreter.

A second run changes nothing: when conda-meta holds exactly the lock and every pip distribution is there at
its locked version, nothing is fetched, nothing is written and the outcome says so.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import tempfile
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envsplit import channels, fetch
from envsplit.errors import InputError
from envsplit.inputs.yaml_lines import display_path
from envsplit.lockfile.lockdir import LockDir
from envsplit.models import LockedPackage, Project, VariantSpec
from envsplit.pip.install import InstallError, install_pip, pip_missing, pip_pins
from envsplit.redact import basic_auth, redact_text, redact_url


@dataclass(frozen=True)
class InstallOptions:
    platform: str | None = None  # None: this machine's
    mirrors: Mapping[str, str] = field(default_factory=dict)
    pypi_index: str | None = None  # None: envsplit.yml's pypi-index, else PyPI
    cache_dir: Path | None = None
    force: bool = False  # replace what a prefix holding another environment has
    progress: bool = False  # installers draw their progress bars (on a terminal)


@dataclass(frozen=True)
class InstallOutcome:
    platform: str
    conda_added: tuple[str, ...]  # archive file names linked this run
    conda_removed: tuple[str, ...]  # file names of packages --force replaced or removed
    pip_installed: tuple[str, ...]  # name==version installed this run

    @property
    def nothing_to_do(self) -> bool:
        return not (self.conda_added or self.conda_removed or self.pip_installed)


def current_platform() -> str:
    from rattler import Subdir

    return str(Subdir.current())


def install_variant(
    project: Project,
    variant: str,
    prefix: Path,
    options: InstallOptions,
    say: Callable[[str], None] = lambda _: None,
) -> InstallOutcome:
    """Make ``prefix`` hold exactly ``variant``'s locked environment; every input problem is an InputError
    raised before anything is fetched or written."""
    spec, platform = _target(project, variant, options.platform)
    _check_prefix(prefix, options.force)
    _check_fresh(project, variant, platform, options)
    folder = LockDir(project.output, variant, spec.base)
    locked = folder.packages(platform)
    pins = pip_pins(folder, platform)
    if pins and platform != current_platform():
        raise InputError(
            f"{display_path(folder.pip(platform))}: pip packages need the environment's Python to run; "
            f"install {variant!r} for {platform} on a {platform} machine, or choose --platform {current_platform()}"
        )
    installed = _installed(prefix)
    wanted = {p.file_name: p.md5 for p in locked}
    foreign = sorted(fn for fn, md5 in installed.items() if fn not in wanted or wanted[fn] != md5)
    if foreign and not options.force:
        raise InputError(
            f"{prefix}: holds another environment ({len(foreign)} package(s) not in the lock of {variant!r} on "
            f"{platform}, e.g. {foreign[0]}); choose an empty or new folder, or add --force to make it match"
        )
    missing = [p for p in locked if installed.get(p.file_name) != p.md5]
    added: tuple[str, ...] = ()
    if missing or foreign:
        added = _install_conda(project, spec, platform, prefix, locked, missing, options, say)
    todo = pip_missing(prefix, pins)
    if todo:
        install_pip(
            project,
            folder,
            platform,
            prefix,
            len(todo),
            pypi_index=options.pypi_index,
            cache_dir=_cache_dir(options) / "uv",
            progress=options.progress,
            say=say,
        )
    return InstallOutcome(platform, added, tuple(foreign), tuple(f"{p.name}=={p.version}" for p in todo))


def _target(project: Project, variant: str, platform: str | None) -> tuple[VariantSpec, str]:
    from envsplit.inputs.compose import compose

    if variant not in project.variants:
        raise InputError(
            f"variant {variant!r}: no such variant in {project.config.name}; declared: {', '.join(project.variants)}"
        )
    spec = compose(project, variant, {})
    chosen = platform or current_platform()
    if chosen not in spec.platforms:
        how = "this machine is" if platform is None else "--platform is"
        raise InputError(
            f"variant {variant!r} is not locked for {chosen} ({how} {chosen}); its platforms: "
            f"{', '.join(spec.platforms)}"
        )
    return spec, chosen


def _check_prefix(prefix: Path, force: bool) -> None:
    if prefix.exists() and not prefix.is_dir():
        raise InputError(f"--prefix {prefix}: is a file, not a folder; give a folder for the environment")
    if prefix.is_dir() and not (prefix / "conda-meta").is_dir() and any(prefix.iterdir()) and not force:
        raise InputError(
            f"--prefix {prefix}: holds files but no conda-meta/ (not an environment); choose an empty or new "
            "folder, or add --force to install into it anyway"
        )


def _check_fresh(project: Project, variant: str, platform: str, options: InstallOptions) -> None:
    """The lock must be what ``envsplit lock`` would write now: the same check as ``lock --check``."""
    from envsplit.locking.plan import LockOptions
    from envsplit.locking.run import lock_project

    check = LockOptions(
        variants=(variant,),
        platforms=(platform,),
        check=True,
        mirrors=dict(options.mirrors),
        cache_dir=options.cache_dir,
        dockerfiles=False,
    )
    outcome = lock_project(project, check)
    stale = [r for r in outcome.results if r.status != "unchanged" and r.platform == platform]
    if stale:
        first = stale[0]
        raise InputError(
            f"the lock of {first.variant!r} on {platform} is not current ({first.detail}); "
            f"run 'envsplit lock --variant {variant}' first"
        )


def _installed(prefix: Path) -> dict[str, str | None]:
    """Archive file name -> md5 of each package the prefix's conda-meta records."""
    out: dict[str, str | None] = {}
    for meta in sorted((prefix / "conda-meta").glob("*.json")):
        try:
            record = json.loads(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{meta}: not a conda-meta record ({exc}); add --force to replace it") from None
        fn = record.get("fn") or str(record.get("url", "")).rsplit("/", 1)[-1]
        out[fn] = record.get("md5")
    return out


def _install_conda(
    project: Project,
    spec: VariantSpec,
    platform: str,
    prefix: Path,
    locked: Sequence[LockedPackage],
    missing: Sequence[LockedPackage],
    options: InstallOptions,
    say: Callable[[str], None],
) -> tuple[str, ...]:
    """Fetch and check the archives ``missing`` from the prefix, then make it hold exactly ``locked``."""
    from rattler import PrefixRecord, RepoDataRecord, Subdir, install

    cache = _cache_dir(options)
    sources = channels.resolve(tuple(spec.channels), {**project.mirrors, **options.mirrors}, project.root)
    say(f"fetching {len(missing)} conda archive(s)")
    archives = {p.file_name: _archive(p, sources, cache / "archives") for p in missing}
    read = {fn: asyncio.run(RepoDataRecord.from_package_archive(path)) for fn, path in archives.items()}
    if read:
        # rattler fetches a record from its URL unless its package cache holds it: a throwaway install of
        # the checked local archives fills that cache, so the real install links them under the lock's URLs.
        with tempfile.TemporaryDirectory(prefix="envsplit-warm-", dir=cache) as scratch:
            asyncio.run(
                install(
                    list(read.values()),
                    scratch,
                    cache_dir=cache / "pkgs",
                    show_progress=False,
                    execute_link_scripts=False,
                )
            )
    say(f"installing {len(missing)} conda package(s) into {prefix}")
    prefix.mkdir(parents=True, exist_ok=True)
    present = {
        r.file_name: r
        for r in (PrefixRecord.from_path(p) for p in sorted((prefix / "conda-meta").glob("*.json")))
    }
    records = [_record(p, read[p.file_name]) if p.file_name in read else present[p.file_name] for p in locked]
    asyncio.run(
        install(
            records,
            prefix,
            cache_dir=cache / "pkgs",
            installed_packages=list(present.values()),
            platform=Subdir(platform),
            show_progress=options.progress,
        )
    )
    return tuple(sorted(archives))


def _cache_dir(options: InstallOptions) -> Path:
    from envsplit.locking.run import default_cache_dir

    cache = (options.cache_dir or default_cache_dir()) / "install"
    cache.mkdir(parents=True, exist_ok=True)
    return cache


def _fetch_url(package: LockedPackage, sources: Sequence[channels.ChannelSource]) -> str:
    """Where the archive is read: through the channel's mirror when there is one."""
    for source in sources:
        if package.url.startswith(source.canonical + "/"):
            return source.fetch + package.url[len(source.canonical) :]
    return channels.network_url(package.url)


def _archive(package: LockedPackage, sources: Sequence[channels.ChannelSource], folder: Path) -> Path:
    """The archive of ``package`` in ``folder``, fetched unless a copy with the locked md5 is there."""
    target = folder / package.file_name
    if target.is_file() and _md5(target) == package.md5:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    url = _fetch_url(package, sources)
    plain, headers = basic_auth(url)
    request = urllib.request.Request(plain, headers=headers)
    partial = target.with_suffix(target.suffix + ".part")
    try:
        with urllib.request.urlopen(request, timeout=fetch.timeout()) as response, partial.open("wb") as out:
            shutil.copyfileobj(response, out)
    except (OSError, ValueError) as exc:
        partial.unlink(missing_ok=True)
        raise InstallError(
            f"cannot fetch {redact_url(plain)} ({redact_text(str(exc))}); check the channel or --mirror"
        ) from None
    if _md5(partial) != package.md5:
        partial.unlink()
        raise InstallError(
            f"{redact_url(plain)}: its md5 is not the locked {package.md5}; the channel or mirror serves "
            "another file under that name"
        )
    partial.replace(target)
    return target


def _md5(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "md5").hexdigest()


def _record(package: LockedPackage, read: Any) -> Any:
    """The record rattler installs: the archive's own metadata, under the lock's URL, channel and md5."""
    from rattler import RepoDataRecord

    record = RepoDataRecord(read, package.file_name, package.url, package.channel)
    record.md5 = bytes.fromhex(package.md5)
    return record
