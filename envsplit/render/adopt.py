"""A hand-written Dockerfile that envsplit adopts (a variant's ``dockerfile:`` key): the user owns the file,
envsplit owns one marked region in it.

The first render replaces the file's solver step (see envsplit/render/adopt_steps.py) with a region::

    # >>> envsplit: install (...) >>>
    # content-sha256: <sha256 of the lines between this one and the end marker>
    # ... what the region does ...
    # replaces: <each line of the solver step it replaced>
    ARG TARGETARCH
    RUN <the install step of generated Dockerfiles (render/dockerfile.py install_step)>
    # <<< envsplit: install <<<

Every line outside the region is written back byte for byte. Later renders rewrite only the region, and
refuse a file whose region no longer matches its digest: that is the inverse of generated Dockerfiles, where
envsplit owns the file and the user owns marked sections. The ``# replaces:`` lines keep the original step, so
the target environment is derived again on every render and the adoption can be undone by hand.

The install goes where the replaced command installed: ``-p/--prefix PATH`` -> PATH as written (``$CONDA_DIR``
is expanded by the build's shell); ``-n base``, or ``install``/``update`` without -n/-p -> the base environment,
``docker.prefix`` of envsplit.yml (default /opt/conda); ``-n NAME`` -> ``<docker.prefix>/envs/NAME``.
micromamba (from ``docker.micromamba``) is bind-mounted for the step and never lands in the image.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Collection
from pathlib import Path

from envsplit.errors import InputError
from envsplit.generated import DIGEST_PREFIX
from envsplit.generated import split as split_header
from envsplit.inputs.yaml_lines import display_path
from envsplit.models import DockerConfig, VariantSpec
from envsplit.render.adopt_steps import Step, Target, choose, escape_problem, solver_steps
from envsplit.render.dockerfile import install_step

__all__ = ["BEGIN", "END", "check_adoptable", "problem", "render"]

BEGIN = "# >>> envsplit: install (envsplit's, rewritten from the locks; the rest of the file is yours) >>>"
END = "# <<< envsplit: install <<<"
_REPLACES = "# replaces: "
_MICROMAMBA = "/mnt/envsplit-micromamba"


def _read(path: Path) -> str:
    where = display_path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise InputError(
            f"{where}: not found; name an existing Dockerfile in the variant's dockerfile key"
        ) from None
    except IsADirectoryError:
        raise InputError(f"{where}: is a folder; name the Dockerfile to adopt") from None
    except UnicodeDecodeError:
        raise InputError(f"{where}: is not UTF-8 text, so envsplit cannot edit it") from None
    except OSError as exc:
        raise InputError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    if split_header(text)[1] is not None:
        raise InputError(
            f"{where}: is a Dockerfile envsplit generates, not a hand-written one; drop the variant's "
            "dockerfile key (envsplit writes its Dockerfile anyway)"
        )
    return text


def _digest(body: list[str]) -> str:
    return hashlib.sha256(("\n".join(body) + "\n").encode()).hexdigest()


def _region(where: str, lines: list[str]) -> tuple[int, int] | None:
    """The indexes of the region's begin and end lines; None if the file has no region yet."""
    bare = [line.rstrip("\r\n") for line in lines]
    begins = [i for i, line in enumerate(bare) if line == BEGIN]
    ends = [i for i, line in enumerate(bare) if line == END]
    if not begins and not ends:
        return None
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0] + 1:
        raise InputError(
            f"{where}: its envsplit region is broken ({len(begins)} begin and {len(ends)} end markers); "
            "restore the file from version control, or delete the region and put the solver step back"
        )
    begin, end = begins[0], ends[0]
    recorded = bare[begin + 1][len(DIGEST_PREFIX) :] if begin + 1 < end else ""
    body = bare[begin + 2 : end]
    if not bare[begin + 1].startswith(DIGEST_PREFIX) or recorded.strip() != _digest(body):
        raise InputError(
            f"{where}: lines {begin + 1}-{end + 1}, the region envsplit writes, were edited by hand; move the "
            "change outside the '# >>> envsplit: install' markers (everything else in the file is yours), "
            "or restore the region from version control"
        )
    return begin, end


def _original(where: str, lines: list[str]) -> tuple[list[str], Step, int, int]:
    """The solver step's lines, the step, and the line indexes (first, last) the region spans or will span."""
    found = _region(where, lines)
    if found is not None:
        begin, end = found
        bare = [ln.rstrip("\r\n") for ln in lines[begin + 2 : end]]
        original = [ln[len(_REPLACES) :] for ln in bare if ln.startswith(_REPLACES)]
        steps = solver_steps(where, "\n".join(original) + "\n")
        return original, choose(where, original, steps), begin, end
    bare = [ln.rstrip("\r\n") for ln in lines]
    refused = escape_problem(where, bare)
    if refused:
        raise InputError(refused)
    step = choose(where, bare, solver_steps(where, "".join(lines)))
    return bare[step.start - 1 : step.end], step, step.start - 1, step.end - 1


def check_adoptable(path: Path) -> None:
    """Raise InputError unless envsplit can adopt ``path``: it holds exactly one solver step (or one marked
    with ``# envsplit: install``) that envsplit can replace, or an unedited envsplit region."""
    where = display_path(path)
    _original(where, _read(path).splitlines(keepends=True))


def problem(path: Path) -> str | None:
    """Why envsplit must not render into ``path`` (the message of :func:`check_adoptable`); None if it may."""
    try:
        check_adoptable(path)
    except InputError as exc:
        return str(exc)
    return None


def _word(value: str) -> str:
    """``value`` as one shell word; ``$VAR`` and ``${VAR}`` stay live, as in the step it came from."""
    if "$" not in value:
        return shlex.quote(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'


def _prefix(target: Target, docker: DockerConfig) -> str:
    """The path the replaced command installed into, as written (``$VAR`` unexpanded)."""
    if target.kind == "prefix":
        return target.value
    if target.kind == "name":
        return f"{docker.prefix}/envs/{target.value}"
    return docker.prefix


def render(
    path: Path, spec: VariantSpec, docker: DockerConfig, lock_dir: str, pip_platforms: Collection[str] = ()
) -> str:
    """``path``'s text with its solver step (or its region) replaced by the region installing ``spec``'s
    lock from ``lock_dir`` (relative to the project root, the build context)."""
    where = display_path(path)
    text = _read(path)
    lines = text.splitlines(keepends=True)
    original, step, first, last = _original(where, lines)
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    prefix = _prefix(step.target, docker)
    word = _word(prefix)
    read = ", ".join(step.files) or "an environment file"
    body = [
        f"# It installs {lock_dir}/ for TARGETARCH into {word}, with no solver, in place of the step below,",
        f"# which solved {read} at build time: a COPY of that file is no longer needed.",
        "# Build with the project root as context (see docker-bake.hcl); 'envsplit dockerfile' rewrites this",
        "# region and refuses to if it was edited.",
        *(_REPLACES + line for line in original),
        "ARG TARGETARCH",
        *install_step(
            spec,
            lock_dir,
            pip_platforms,
            prefix,
            mounts=[
                f"--mount=type=bind,from={docker.micromamba},source=/bin/micromamba,target={_MICROMAMBA}"
            ],
            micromamba=f"MAMBA_ROOT_PREFIX={word} {_MICROMAMBA}",
            quote=_word,
        ),
    ]
    region = [BEGIN, DIGEST_PREFIX + _digest(body), *body, END]
    end = newline if lines[last].endswith(("\n", "\r")) else ""
    return "".join(lines[:first]) + newline.join(region) + end + "".join(lines[last + 1 :])
