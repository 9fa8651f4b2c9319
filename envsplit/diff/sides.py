"""One side of a diff: a conda-lock.yml, a locks/ folder, or the locks at a git revision.

Also the download-size lookup, since a conda-lock.yml records no sizes but the channel's repodata does.
"""

from __future__ import annotations

import hashlib
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envsplit import lockfile
from envsplit.errors import EnvsplitError, InputError
from envsplit.models import LockedPackage, Project

# Given locked packages, their download sizes in bytes by URL; packages it cannot size are left out.
SizeLookup = Callable[[Sequence[LockedPackage]], Mapping[str, int]]


@dataclass(frozen=True)
class Lock:
    """One conda-lock.yml, read."""

    key: str  # the variant it is paired by: its folder, its envsplit_variant, or the file's stem
    source: str  # where it was read from, as the user should see it
    variant: str | None  # envsplit's custom metadata ``envsplit_variant``; None for foreign lockfiles
    packages: Mapping[str, Sequence[LockedPackage]]  # platform -> packages
    # Names the variant asks for (composed specs); None when unknown, then the diff uses the leaves.
    requested: frozenset[str] | None = None
    base: str | None = None  # envsplit's ``envsplit_base``: the variant this one is layered on


@dataclass(frozen=True)
class LockSet:
    """Every lock of one side, by key; ``single`` when the side was one file, which pairs with any one lock."""

    label: str
    locks: Mapping[str, Lock]
    single: bool = False


RequestedFor = Callable[[str], "frozenset[str] | None"]


def requested_from_project(project: Project | None) -> RequestedFor:
    """Variant name -> the package names its composed spec asks for; None for a variant not in ``project``."""
    from envsplit.inputs.compose import compose

    cache: dict[str, Any] = {}

    def lookup(variant: str) -> frozenset[str] | None:
        if project is None or variant not in project.variants:
            return None
        try:
            return frozenset(d.name for d in compose(project, variant, cache).dependencies)
        except EnvsplitError:
            return None  # an inconsistent project says nothing reliable about what was requested

    return lookup


def _metadata(raw: bytes) -> dict[str, Any]:
    """``metadata`` without parsing the (large) package list a second time."""
    from ruamel.yaml import YAML

    text = raw.decode("utf-8", "replace")
    cut = text.find("\npackage:")
    try:
        data = YAML(typ="safe").load(text[:cut] if cut >= 0 else text)
    except Exception:  # read() already accepted the file; a head we cannot parse just has no metadata
        return {}
    meta = data.get("metadata") if isinstance(data, dict) else None
    return meta if isinstance(meta, dict) else {}


def _custom_metadata(meta: dict[str, Any]) -> dict[str, str]:
    custom = meta.get("custom_metadata")
    return {str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {}


def _channels(meta: dict[str, Any]) -> list[str] | None:
    channels = meta.get("channels")
    if not isinstance(channels, list):
        return None
    return [str(c.get("url")) if isinstance(c, dict) else str(c) for c in channels]


def _verify(
    path: Path, shown: str, packages: Mapping[str, Sequence[LockedPackage]], meta: dict[str, Any]
) -> None:
    """An envsplit lock folder's explicit and layer files must agree with its conda-lock.yml (see lockfile.verify)."""
    from envsplit.inputs.yaml_lines import display_path
    from envsplit.lockfile import verify
    from envsplit.lockfile.lockdir import LockDir

    base = _custom_metadata(meta).get("envsplit_base")
    base_dir = (
        LockDir(path.parent.parent, base) if base and "/" not in base and base not in (".", "..") else None
    )
    folder = LockDir(path.parent.parent, path.parent.name, base)
    try:
        verify.check_folder(folder, verify.pins_of(packages), _channels(meta), base_dir)
    except InputError as exc:
        # Files of a git revision live in a temporary folder: name them as the user knows them.
        shown_dir = shown[: -len(path.name)].rstrip("/")
        message = (
            str(exc).replace(display_path(path.parent.parent), str(Path(shown_dir).parent))
            if shown_dir
            else str(exc)
        )
        raise InputError(message) from None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".yml", ".yaml"):
        name = name.removesuffix(suffix)
    name = name.removesuffix(".conda-lock").removesuffix("conda-lock").rstrip("-._")
    return name or path.parent.name or "lock"


# Parsed locks by content digest: both sides of a diff usually share most files, and parsing a
# conda-lock.yml costs about a second per 500 kB, so each distinct content is parsed once.
_PARSED: dict[str, dict[str, tuple[LockedPackage, ...]]] = {}
_PARSED_MAX = 32


def _packages(path: Path, raw: bytes) -> dict[str, tuple[LockedPackage, ...]]:
    from envsplit.lockfile import conda_lock_yml

    digest = hashlib.sha256(raw).hexdigest()
    if digest not in _PARSED:
        if len(_PARSED) >= _PARSED_MAX:
            del _PARSED[next(iter(_PARSED))]
        _PARSED[digest] = {p: tuple(pkgs) for p, pkgs in conda_lock_yml.read(path).items()}
    return dict(_PARSED[digest])


def read_lock(path: Path, key: str | None, requested_for: RequestedFor, shown_as: str | None = None) -> Lock:
    """Read one conda-lock.yml; errors name ``shown_as`` (e.g. ``REV:locks/cpu/conda-lock.yml``) if given."""
    shown = shown_as or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{shown}: lockfile not found") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot read it ({exc.strerror})") from None
    try:
        packages = _packages(path, raw)
    except InputError as exc:
        raise InputError(str(exc).replace(str(path), shown)) from None
    meta = _metadata(raw)
    variant = _custom_metadata(meta).get("envsplit_variant")
    base = _custom_metadata(meta).get("envsplit_base") if variant is not None else None
    if variant is not None:
        _verify(path, shown, packages, meta)
        packages = _with_pip(path, raw, shown, packages)
    lock_key = key or variant or _stem(path)
    requested = requested_for(variant) if variant else None
    return Lock(
        key=lock_key, source=shown, variant=variant, packages=packages, requested=requested, base=base
    )


def _with_pip(
    path: Path, raw: bytes, shown: str, packages: Mapping[str, Sequence[LockedPackage]]
) -> dict[str, tuple[LockedPackage, ...]]:
    """An envsplit lock's conda packages and its pip packages (``manager: pip`` entries).

    Only envsplit's own locks: a diff of other lockfiles compares their conda packages, as it always did.
    """
    from envsplit.inputs.yaml_lines import display_path
    from envsplit.lockfile import pip_entries

    try:
        pip = pip_entries.read(path, raw.decode("utf-8", "replace"))
    except InputError as exc:
        raise InputError(str(exc).replace(display_path(path), shown)) from None
    return {p: tuple(pkgs) for p, pkgs in pip_entries.merged(packages, pip).items()}


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def read_side(
    path: Path,
    requested_for: RequestedFor | None = None,
    label: str | None = None,
    shown_root: Path | None = None,
    shown_prefix: str = "",
) -> LockSet:
    """A conda-lock.yml, a variant folder holding one, or a locks/ folder of ``<variant>/conda-lock.yml``."""
    lookup = requested_for or requested_from_project(None)

    def shown(p: Path) -> str:
        return shown_prefix + _display(p, shown_root)

    if not path.exists():
        raise InputError(f"{shown(path)}: no such file or folder; give a conda-lock.yml or a locks/ folder")
    if path.is_file():
        lock = read_lock(path, None, lookup, shown(path))
        return LockSet(label=label or shown(path), locks={lock.key: lock}, single=True)
    own = path / lockfile.LOCK_NAME
    if own.is_file():
        lock = read_lock(own, path.name, lookup, shown(own))
        return LockSet(label=label or shown(path), locks={lock.key: lock}, single=True)
    found = sorted(p for p in path.glob(f"*/{lockfile.LOCK_NAME}") if p.is_file())
    if not found:
        raise InputError(
            f"{shown(path)}: no conda-lock.yml in it nor in its subfolders (<variant>/conda-lock.yml); "
            "give a conda-lock.yml or the locks/ folder envsplit writes"
        )
    locks = {p.parent.name: read_lock(p, p.parent.name, lookup, shown(p)) for p in found}
    return LockSet(label=label or shown(path), locks=locks)


# --- git -------------------------------------------------------------------------------------------


def _git(cwd: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess[Any]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=not binary, check=False, timeout=120
        )
    except FileNotFoundError:
        raise InputError("--git: the git command was not found; install git or compare two paths") from None
    except NotADirectoryError:
        raise InputError(f"--git: {cwd} is not a folder") from None


def _git_commit(folder: Path, rev: str) -> tuple[Path, str]:
    """The repository's top folder and the full commit id ``rev`` names; a bad revision is an InputError."""
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise InputError(f"--git {rev}: {folder} is not inside a git repository")
    root = Path(top.stdout.strip())
    check = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if check.returncode != 0 or not check.stdout.strip():
        raise InputError(
            f"--git {rev}: no such revision in {root}; give a commit, branch or tag "
            "(e.g. HEAD~1, origin/main), and fetch it first in a shallow clone"
        )
    return root, check.stdout.strip()


def _export(root: Path, rev: str, paths: Sequence[str], dest: Path) -> list[str]:
    """Write the files under ``paths`` (repo-relative) as they are at ``rev`` into ``dest``; the files found."""
    if not paths:
        return []  # ls-tree without a path would list the whole tree
    listing = _git(root, "ls-tree", "-r", "-z", "--name-only", "--full-tree", rev, "--", *paths)
    if listing.returncode != 0:
        raise InputError(f"--git {rev}: git ls-tree failed: {listing.stderr.strip()}")
    files = sorted(f for f in listing.stdout.split("\0") if f)
    if not files:
        return []
    archive = _git(root, "archive", "--format=tar", rev, "--", *files, binary=True)
    if archive.returncode != 0:
        message = archive.stderr.decode("utf-8", "replace").strip()
        raise InputError(f"--git {rev}: git archive failed: {message}")
    tar_path = dest.parent / f"{dest.name}.tar"
    tar_path.write_bytes(archive.stdout)
    try:
        with tarfile.open(tar_path) as tar:
            tar.extractall(dest, filter="data")
    except tarfile.FilterError as exc:  # a symlink or hard link leading out of the tree, an absolute path
        member = exc.tarinfo.name if exc.tarinfo is not None else "?"
        raise InputError(
            f"--git {rev}: {member}: a link to a path outside the repository's files; refused "
            "(replace it with a regular file, or compare two folders instead)"
        ) from None
    finally:
        tar_path.unlink(missing_ok=True)
    return files


def _project_inputs(project: Project | None, root: Path) -> list[str]:
    """Repo-relative paths of the project's input files, as the working tree lays them out."""
    if project is None:
        return []
    paths = {project.config.path, project.environment.path}
    paths.update(o.source.path.parent for o in project.overlays.values())
    out = []
    for p in paths:
        try:
            out.append(p.resolve().relative_to(root).as_posix())
        except ValueError:
            continue  # outside the repository: nothing to read at the revision
    return sorted(out)


def read_git_sides(
    rev: str,
    path: Path,
    project: Project | None,
    project_root: Path,
) -> tuple[LockSet, LockSet]:
    """``path`` (a conda-lock.yml or locks folder of the working tree) at git revision ``rev``, and as it is now.

    What each old variant requested is taken from the project's inputs at ``rev`` where they can be read,
    since a change under review may have changed the specs too.
    """
    from envsplit.inputs.project import read_project

    root, commit = _git_commit(project_root if project_root.is_dir() else project_root.parent, rev)
    root = root.resolve()
    try:
        rel = path.resolve().relative_to(root).as_posix()
    except ValueError:
        raise InputError(f"--git {rev}: {path} is outside the git repository {root}") from None
    new = read_side(path, requested_from_project(project), label=f"{rel} (working tree)", shown_root=root)
    with tempfile.TemporaryDirectory(prefix="envsplit-git-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        found = _export(root, commit, [rel], tree)
        if not found:
            raise InputError(f"--git {rev}: {rel} does not exist at {rev}; nothing to compare with")
        _export(root, commit, _project_inputs(project, root), tree)
        old_project = None
        if project is not None:
            try:
                old_project = read_project(tree / project.root.resolve().relative_to(root))
            except (EnvsplitError, ValueError):
                old_project = None  # the project was not there or not valid at rev: fall back to leaves
        old = read_side(
            tree / rel,
            requested_from_project(old_project),
            label=f"{rel} at {rev}",
            shown_root=tree,
            shown_prefix=f"{rev}:",
        )
    return old, new


# --- sizes -----------------------------------------------------------------------------------------


@dataclass
class RepodataSizes:
    """A :data:`SizeLookup` reading the channels' repodata through rattler's gateway, mirrors and cache.

    ``only_mirrored`` limits it to channels that have a mirror, so that a run meant to be offline never
    reaches for the network. A channel that cannot be read is reported in ``warnings`` and left unsized:
    a diff without sizes is still worth having.
    """

    mirrors: Mapping[str, str]
    cache_dir: Path
    base_dir: Path
    only_mirrored: bool = True
    warnings: list[str] = field(default_factory=list)
    # Where pip packages' sizes are read (a URL or a folder). None: pypi.org when sizes were asked for
    # (``only_mirrored`` False), else none, like a conda channel without a mirror.
    pypi_index: str | None = None

    def __call__(self, packages: Sequence[LockedPackage]) -> dict[str, int]:
        from envsplit.channels import canonical_url
        from envsplit.sizes.download import repodata_sizes

        mirrored = {canonical_url(k) for k in self.mirrors}
        conda = [p for p in packages if not p.is_pip]
        wanted = [p for p in conda if not self.only_mirrored or canonical_url(p.channel) in mirrored]
        found = repodata_sizes(wanted, self.mirrors, self.cache_dir, self.base_dir, strict=False)
        self.warnings.extend(found.warnings)
        pip = [p for p in packages if p.is_pip]
        index = self.pypi_index
        if index is None and not self.only_mirrored:
            from envsplit.sizes.pypi import DEFAULT_INDEX

            index = DEFAULT_INDEX
        if pip and index is not None:
            from envsplit.sizes.pypi import index_sizes

            from_index = index_sizes(pip, index, self.base_dir)
            self.warnings.extend(from_index.warnings)
            return {**found.sizes, **from_index.sizes}
        return found.sizes
