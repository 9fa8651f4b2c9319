"""The one exception root. Its text is exactly what the user reads.

Exit codes (the CLI contract, documented in the README):

- 0: done;
- 1: the run could not finish its job (an unsatisfiable variant, a stale lock with ``--check``, an unreadable channel);
- 2: bad input: fix a file, a flag or a value (the message names which);
- 3: ``refresh --exit-code`` found changes;
- 4: the machine failed us: a file could not be written (full disk, read-only folder, permissions);
- 5: ``refresh --keep-going`` was partial: some variants were relocked and written, others could not be
  (their old locks are kept; the PR body's "Could not relock" section says why);
- 6: ``refresh`` relocked, but the relock holds a change that envsplit.yml's ``refresh: fail-on`` refuses;
- 130: interrupted (Ctrl-C).

When several apply to one refresh, the first of 1, 5, 6, 3 wins (a failure outranks a partial run, which
outranks a refused change, which outranks "changes found"); the PR body and stderr list every reason.
"""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_CHANGED = 3
EXIT_CANNOT_WRITE = 4
EXIT_PARTIAL = 5
EXIT_POLICY = 6
EXIT_INTERRUPTED = 130


class EnvsplitError(Exception):
    """Base of every error envsplit reports to a user; ``exit_code`` follows the contract above."""

    exit_code = EXIT_BAD_INPUT


class InputError(EnvsplitError):
    """A file, flag or value the user gave is wrong; the message says where and how to fix it."""

    exit_code = EXIT_BAD_INPUT


class WriteError(EnvsplitError):
    """A file could not be written for a reason outside the input (space, permissions): not the user's typo."""

    exit_code = EXIT_CANNOT_WRITE


class SolveError(EnvsplitError):
    """A variant could not be solved on a platform."""

    exit_code = EXIT_FAILED

    def __init__(self, variant: str, platform: str, explanation: str) -> None:
        self.variant = variant
        self.platform = platform
        self.explanation = explanation
        super().__init__(f"cannot lock variant {variant!r} on {platform}:\n{explanation}")
