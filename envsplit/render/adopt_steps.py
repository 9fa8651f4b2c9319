"""Find the solver step of a hand-written Dockerfile: the RUN instruction that solves an environment file at
build time, and the environment it installs into.

A RUN instruction is a solver step when one of its commands (split at ``&&``, ``||``, ``;``, ``|``; leading
``VAR=value`` assignments and ``sudo`` skipped; the program matched by its base name, so
``${CONDA_DIR}/bin/mamba`` counts) is one of :data:`LOOKED_FOR`. Instructions are read by BuildKit's own
parser (the ``dockerfile`` package), so continuations, heredocs and exec-form RUN come out as Docker sees them.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from envsplit.errors import InputError

SOLVERS = ("conda", "mamba", "micromamba")
LOOKED_FOR = (
    "conda|mamba|micromamba env create|update",
    "conda|mamba|micromamba create|install|update -f/--file FILE",
)
# A line right above a RUN instruction that picks it when a file has several solver steps.
PICK = "# envsplit: install"
# Commands the solver step may chain besides the solver: cleanup that envsplit's own step does as well.
_CLEANUP = {"rm", "find", "true", ":", "set"}
_SEPARATORS = {"&&", "||", ";", "|", "&", ";;", "(", ")", "\n"}
_WRAPPERS = {"sudo", "command", "exec", "time", "{", "}", "!"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def looked_for() -> str:
    return "; ".join(f"'{c}'" for c in LOOKED_FOR)


@dataclass(frozen=True)
class Target:
    """Where a solver command installs: the base environment, a named one, or a prefix (as written)."""

    kind: str  # "base", "name" or "prefix"
    value: str = ""


@dataclass(frozen=True)
class Step:
    """A RUN instruction with solver commands, lines ``start``..``end`` (1-based, inclusive)."""

    start: int
    end: int
    target: Target
    files: tuple[str, ...]  # the environment files the solver commands read


def _commands(script: str) -> Iterator[list[str]]:
    """The simple commands of a shell script, as word lists (a script shlex cannot split yields nothing)."""
    for line in script.split("\n") if "\n" in script else [script]:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|()")
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError:  # an unbalanced quote: not a command envsplit can read
            continue
        current: list[str] = []
        for token in tokens:
            if token in _SEPARATORS:
                if current:
                    yield current
                current = []
            else:
                current.append(token)
        if current:
            yield current


def _program(words: list[str]) -> tuple[str, list[str]]:
    """The program's base name and its arguments, past ``VAR=value`` assignments and wrappers like sudo."""
    i = 0
    while i < len(words) and (_ASSIGNMENT.match(words[i]) or words[i] in _WRAPPERS):
        i += 1
    if i == len(words):
        return "", []
    return posixpath.basename(words[i]), words[i + 1 :]


def _option(args: list[str], short: str, long: str) -> list[str]:
    """Every value of ``-s VALUE``, ``--long VALUE`` and ``--long=VALUE`` in ``args``."""
    values = []
    for i, arg in enumerate(args):
        if arg in (short, long) and i + 1 < len(args):
            values.append(args[i + 1])
        elif arg.startswith(long + "="):
            values.append(arg[len(long) + 1 :])
    return values


def _is_solver(program: str, args: list[str]) -> bool:
    if program not in SOLVERS or not args:
        return False
    if args[0] == "env":
        return len(args) > 1 and args[1] in ("create", "update")
    return args[0] in ("create", "install", "update") and bool(_option(args, "-f", "--file"))


def _is_cleanup(program: str, args: list[str]) -> bool:
    return program in _CLEANUP or (program in SOLVERS and args[:1] == ["clean"])


def _target(path: str, line: int, args: list[str]) -> Target:
    prefixes = _option(args, "-p", "--prefix")
    names = _option(args, "-n", "--name")
    if prefixes:
        return Target("prefix", prefixes[-1])
    if names:
        return Target("base") if names[-1] == "base" else Target("name", names[-1])
    if args[0] in ("install", "update"):  # into the active environment: base in a Docker build
        return Target("base")
    raise InputError(
        f"{path}: line {line}: '{shlex.join(args[:2] if args[0] == 'env' else args[:1])}' names no "
        "environment (-n NAME or -p PATH), so it takes the name from the environment file, which envsplit "
        "does not read at build time; add -n NAME or -p PATH to the command and run envsplit again"
    )


def _script(command: object) -> str:
    value = getattr(command, "value", ())
    if getattr(command, "json", False):
        return shlex.join(value)
    heredocs = getattr(command, "heredocs", ())
    if heredocs:  # RUN <<EOF: the script is the heredoc's body
        return "\n".join(h.content for h in heredocs)
    return "\n".join(value)


def solver_steps(path: str, text: str) -> list[Step]:
    """Every solver step of Dockerfile ``text`` (``path`` names it in messages), in file order.

    Raises InputError for a solver step that envsplit could not replace without a surprise: one that also
    runs other commands (they would be dropped), or whose commands install into different environments.
    """
    import dockerfile

    try:
        instructions = dockerfile.parse_string(text)
    except dockerfile.GoParseError as exc:
        raise InputError(f"{path}: is not a Dockerfile Docker can read ({exc})") from None
    steps = []
    for command in instructions:
        if command.cmd != "RUN":
            continue
        words = [_program(c) for c in _commands(_script(command))]
        solvers = [(p, a) for p, a in words if _is_solver(p, a)]
        if not solvers:
            continue
        others = [" ".join([p, *a]) for p, a in words if not _is_solver(p, a) and not _is_cleanup(p, a)]
        if others:
            ran = ", ".join(f"'{o}'" for o in others)
            raise InputError(
                f"{path}: line {command.start_line}: the solver step also runs {ran}; "
                "envsplit replaces the whole RUN instruction and would drop that: move it into a RUN of its "
                "own, then run envsplit again"
            )
        targets = {_target(path, command.start_line, a) for _, a in solvers}
        if len(targets) > 1:
            raise InputError(
                f"{path}: line {command.start_line}: the solver step installs into several environments; "
                "envsplit installs one lock into one: split it into one RUN per environment"
            )
        files = tuple(f for _, a in solvers for f in _option(a, "-f", "--file"))
        steps.append(Step(command.start_line, command.end_line, targets.pop(), files))
    return steps


def escape_problem(path: str, lines: list[str]) -> str | None:
    """Why envsplit cannot write into this file: a parser directive that makes ``\\`` no continuation."""
    for line in lines:
        match = re.match(r"#\s*(\w+)\s*=\s*(\S*)", line)
        if not match:
            return None
        if match.group(1).lower() == "escape" and match.group(2) != "\\":
            return (
                f"{path}: sets '# escape={match.group(2)}', and envsplit writes its install step with '\\' "
                "continuations; drop the directive to adopt this file"
            )
    return None


def choose(path: str, lines: list[str], steps: list[Step]) -> Step:
    """The one step to replace: the only one, or the one right below a ``# envsplit: install`` line."""
    if not steps:
        raise InputError(
            f"{path}: has no solver step to replace; looked for a RUN instruction running {looked_for()}. "
            "Name a Dockerfile that installs its environment with one of them, or drop the dockerfile key"
        )
    if len(steps) == 1:
        return steps[0]
    picked = [s for s in steps if s.start >= 2 and lines[s.start - 2].strip() == PICK]
    if len(picked) == 1:
        return picked[0]
    where = ", ".join(str(s.start) for s in steps)
    raise InputError(
        f"{path}: has {len(steps)} solver steps (lines {where}); put a line '{PICK}' right above the one "
        "envsplit should replace, then run envsplit again"
    )
