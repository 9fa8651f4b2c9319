"""One variant's lock folder: its file names, what its headers record, what is wrong with its files.

Every reader of a lock folder goes through this object, so a file is read once per run however many
questions are asked of it (a lock run asks the same folder about staleness, forgery, preferences and pins).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from envsplit.channels import canonical_url
from envsplit.errors import InputError
from envsplit.inputs.yaml_lines import display_path
from envsplit.lockfile import (
    LOCK_NAME,
    explicit,
    explicit_name,
    header,
    layer_name,
    pip_layer_name,
    pip_name,
    variant_dir,
)
from envsplit.models import LockedPackage

if TYPE_CHECKING:
    from envsplit.pip.resolve import PipPackage


class LockDir:
    def __init__(self, output: Path, variant: str, base: str | None = None, pip: bool = False) -> None:
        self.variant = variant
        self.base = base
        self.has_pip = pip  # the variant has pip entries: its lock includes the pip files
        self.path = variant_dir(output, variant)
        self.lock_path = self.path / LOCK_NAME
        self._lines: dict[Path, list[str]] = {}
        self._packages: dict[str, list[LockedPackage]] = {}
        self._tampered: dict[Path, str | None] = {}

    def explicit(self, platform: str) -> Path:
        return self.path / explicit_name(platform)

    def layer(self, platform: str) -> Path:
        return self.path / layer_name(platform)

    @staticmethod
    def pip_name(platform: str) -> str:
        return pip_name(platform)

    @staticmethod
    def pip_layer_name(platform: str) -> str:
        return pip_layer_name(platform)

    def pip(self, platform: str) -> Path:
        return self.path / pip_name(platform)

    def pip_layer(self, platform: str) -> Path:
        return self.path / pip_layer_name(platform)

    def pip_files(self, platform: str) -> list[Path]:
        return [self.pip(platform), self.pip_layer(platform)] if self.base else [self.pip(platform)]

    def installed(self, platform: str) -> Path:
        """The file an image installs on ``platform``: the layer of an extension, else the full lock."""
        return self.layer(platform) if self.base else self.explicit(platform)

    def files(self, platform: str) -> list[Path]:
        """Every file that holds (part of) the lock of ``platform``."""
        out = [self.lock_path, self.explicit(platform), *([self.layer(platform)] if self.base else [])]
        return [*out, *self.pip_files(platform)] if self.has_pip else out

    def exists(self) -> bool:
        return self.lock_path.exists()

    @cached_property
    def hashes(self) -> dict[str, str]:
        """Platform -> input hash recorded in conda-lock.yml's header; {} when there is none."""
        return header.read_hashes(self.lock_path)

    @cached_property
    def pins(self) -> dict[str, dict[str, tuple[str, str]]]:
        """Platform -> name -> (url, md5) of conda-lock.yml, read with verify's strict reader."""
        from envsplit.lockfile.verify import read_pins

        return read_pins(self.lock_path)

    @cached_property
    def pip_pins(self) -> dict[str, dict[str, tuple[str, str]]]:
        """Platform -> name -> (url, sha256) of conda-lock.yml's ``manager: pip`` entries."""
        from envsplit.lockfile.verify import read_pip_pins

        return read_pip_pins(self.lock_path)

    def pip_lines(self, platform: str, layer: bool = False) -> list[str]:
        """The ``name==version --hash=sha256:...`` lines of the pip file (or layer); [] when there is none."""
        path = self.pip_layer(platform) if layer else self.pip(platform)
        lines = self._lines.get(path)
        if lines is None:
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return []
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"{display_path(path)}: cannot be read ({exc})") from None
            lines = self._lines[path] = [
                ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")
            ]
        return lines

    def pip_packages(self, platform: str) -> tuple[PipPackage, ...]:
        """The locked pip packages of ``platform``: the pip file's versions and hashes, conda-lock.yml's URLs."""
        from envsplit.pip.resolve import PipPackage

        try:
            pins = self.pip_pins.get(platform, {})
            lines = self.pip_lines(platform)
        except InputError:
            return ()
        out = []
        for line in lines:
            name, _, rest = line.partition("==")
            version, _, digest = rest.partition(" --hash=sha256:")
            url = pins.get(name, ("", ""))[0]
            out.append(PipPackage(name, version, url, digest, None))
        return tuple(out)

    def tampered(self, path: Path) -> str | None:
        try:
            return self._tampered[path]
        except KeyError:
            problem = self._tampered[path] = header.tampered(path)
            return problem

    def lines(self, platform: str) -> list[str]:
        """The explicit file's ``url#md5`` lines (an InputError if it cannot be read)."""
        return self._read_lines(self.explicit(platform))

    def same_lines(self, platform: str, packages: Sequence[LockedPackage]) -> list[str] | None:
        """The explicit file's lines when it is intact and holds exactly ``packages``; else None.

        Its order is then the one ``conda_lock_yml.explicit_lines`` gives those packages.
        """
        if not self.explicit(platform).exists() or not self.intact(platform):
            return None
        try:
            lines = self.lines(platform)
        except InputError:
            return None
        same = len(lines) == len(packages) and set(lines) == {p.explicit_line() for p in packages}
        return lines if same else None

    def layer_lines(self, platform: str) -> list[str]:
        """The layer file's lines: what an extension adds to its base."""
        return self._read_lines(self.layer(platform))

    def _read_lines(self, path: Path) -> list[str]:
        lines = self._lines.get(path)
        if lines is None:
            lines = self._lines[path] = explicit.package_lines(path)
        return lines

    def packages(self, platform: str) -> list[LockedPackage]:
        """The explicit file's packages (name, version, build from the file names)."""
        # Read into a local first: the run may forget() this folder from another thread meanwhile.
        packages = self._packages.get(platform)
        if packages is None:
            packages = self._packages[platform] = explicit.packages(self.explicit(platform))
        return packages

    def locked(self, platform: str) -> list[LockedPackage]:
        """The current lock's packages; an unreadable or missing lock is none (it gets rewritten)."""
        try:
            return self.packages(platform)
        except InputError:
            return []

    def problem(self, platform: str, digest: str) -> str:
        """What is wrong with the files of ``platform`` for inputs hashing to ``digest``; "" when fresh.

        Missing, edited by hand or written for other inputs; forged files (intact each, disagreeing with each
        other) are found by :meth:`forged`, which needs the variant's channels and its base's lines.
        """
        for path in self.files(platform):
            if not path.exists():
                return f"{display_path(path)} is missing" if platform in self.hashes else "not locked yet"
            problem = self.tampered(path)
            if problem:
                return f"{display_path(path)} {problem}"
            if header.read_hashes(path).get(platform) != digest:
                return (
                    "inputs changed since the lock was written"
                    if platform in self.hashes
                    else "not locked yet"
                )
        return ""

    def forged(self, platform: str, channels: Sequence[str], base_lines: Sequence[str] | None) -> str:
        """Why the intact files of ``platform`` still disagree with each other or the channels; "" if not.

        Every file's own digest can be recomputed by anyone, so this is what makes a forged URL visible.
        """
        from envsplit.lockfile.verify import check_platform

        try:
            problem = check_platform(
                self,
                platform,
                self.pins.get(platform, {}),
                [canonical_url(c) for c in channels],
                base_lines,
            )
        except InputError as exc:
            return str(exc)
        return problem or ""

    def intact(self, platform: str) -> bool:
        """Whether the explicit file of ``platform`` is what envsplit wrote (its digest matches)."""
        return self.tampered(self.explicit(platform)) is None

    def read(self) -> dict[str, list[LockedPackage]]:
        """Platform -> packages of conda-lock.yml in full (imports conda-lock)."""
        from envsplit.lockfile import conda_lock_yml

        return conda_lock_yml.read(self.lock_path)

    def forget(self) -> None:
        """Drop what was read: the files were just written again."""
        self._lines.clear()
        self._packages.clear()
        self._tampered.clear()
        self.__dict__.pop("hashes", None)
        self.__dict__.pop("pins", None)
        self.__dict__.pop("pip_pins", None)
