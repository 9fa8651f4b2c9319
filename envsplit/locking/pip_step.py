"""The pip step of a lock run: a variant's pip entries resolved with uv against one platform's conda lock.

Runs in the chain that solved the conda side, right after it: the conda lock gives the Python and the
distributions conda provides (fixed for uv), and for an extension the base's pip packages are fixed too, so
its pip layer holds only its own additions. uv is started only here: a run whose locks are fresh never is.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Sequence
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from envsplit.errors import InputError
from envsplit.inputs.operations import Pip
from envsplit.inputs.yaml_lines import display_path
from envsplit.models import LockedPackage, Project, VariantSpec
from envsplit.redact import strip_auth

PUBLIC_INDEX = "https://pypi.org/simple"


def public_index(project: Project) -> str:
    """The index the locks are made against, as recorded: no credentials, a folder as written."""
    return strip_auth(project.pypi_index or PUBLIC_INDEX)


def mapping_overrides(project: Project) -> dict[str, tuple[str, ...]]:
    if project.pypi_mapping is None:
        return {}
    from envsplit.pip.mapping import read_overrides

    return read_overrides(project.pypi_mapping)


def pip_hash_inputs(project: Project) -> dict[str, Any]:
    """What every pip step of ``project`` depends on besides its entries: the index and the mapping overrides."""
    overrides = mapping_overrides(project)
    return {"index": public_index(project), "mapping": {k: list(v) for k, v in sorted(overrides.items())}}


def pip_lines_digest(lines: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps(list(lines)).encode()).hexdigest()


def entry_sources(project: Project, spec: VariantSpec) -> dict[str, str]:
    """Requirement -> the file that names it (environment.yml or an overlay), for messages."""
    sources = {r: project.environment.path for r in project.environment.pip}
    for name in spec.overlays:
        overlay = project.overlays[name]
        for op in overlay.operations:
            if isinstance(op, Pip):
                for added in op.add or ():
                    sources[added.value] = overlay.source.path
    return {r: display_path(p) for r, p in sources.items()}


def check_entries(project: Project, specs: Sequence[VariantSpec]) -> None:
    """A malformed pip entry is refused before anything is solved."""
    from envsplit.pip.resolve import PipEntry, parse_entries

    for spec in specs:
        sources = entry_sources(project, spec)
        parse_entries([PipEntry(r, sources.get(r, "")) for r in spec.pip])


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class PipStep:
    """Resolves pip entries for the run; a folder index is served on loopback until :meth:`close`."""

    def __init__(self, project: Project, index: str | None) -> None:
        self.project = project
        self._index = index or project.pypi_index or PUBLIC_INDEX
        self._url: str | None = None
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @functools.cached_property
    def hash_inputs(self) -> dict[str, Any]:
        return pip_hash_inputs(self.project)

    @functools.cached_property
    def _mapping(self) -> Any:
        from envsplit.pip.mapping import bundled_mapping

        return bundled_mapping().overridden(mapping_overrides(self.project))

    def index_url(self) -> str:
        """The URL uv reads: the index itself, or a loopback server of its folder (uv's file:// index
        reads every wheel to learn its metadata; over http it takes the PEP 658 .metadata files)."""
        with self._lock:
            if self._url is None:
                self._url = self._serve()
            return self._url

    def _serve(self) -> str:
        parsed = urlparse(self._index)
        if parsed.scheme in ("http", "https"):
            return self._index
        folder = Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(self._index)
        if not folder.is_absolute():
            folder = self.project.root / folder
        if not folder.is_dir():
            raise InputError(
                f"PyPI index folder {display_path(folder)} does not exist; "
                "give --pypi-index (or pypi-index: in envsplit.yml) a simple-index folder or URL"
            )
        folder = folder.resolve()
        # Pages link their files relatively (../../packages/...), so the folder's parent is served.
        handler = functools.partial(_Quiet, directory=str(folder.parent))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/{folder.name}"

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def resolve(
        self,
        spec: VariantSpec,
        platform: str,
        conda: Sequence[LockedPackage],
        base_pip: Sequence[Any],
    ) -> tuple[Any, ...]:
        """Every pip package of ``spec`` on ``platform`` (its base's, then its own), sorted by name."""
        from envsplit.pip.mapping import Provided, conda_provided
        from envsplit.pip.resolve import PipEntry, pip_target, resolve

        sources = entry_sources(self.project, spec)
        where = f"{spec.name!r} ({platform})"
        target = pip_target(
            platform, conda, spec.virtual_packages_for(platform).get("__glibc"), f"variant {where}"
        )
        provided = conda_provided(conda, self._mapping)
        for package in base_pip:
            clash = provided.get(package.name)
            if clash is not None:
                raise InputError(
                    f"variant {where}: its conda package {clash.conda_name} {clash.version} provides "
                    f"{package.name}, which its base {spec.base!r} installs from pip ({package.name} "
                    f"{package.version}); add {clash.conda_name} to the base's conda dependencies"
                )
            provided[package.name] = Provided(
                package.name, package.version, f"{package.name} (pip, from {spec.base!r})"
            )
        own = resolve([PipEntry(r, sources.get(r, "")) for r in spec.pip], provided, target, self.index_url())
        return tuple(sorted((*base_pip, *own), key=lambda p: p.name))
