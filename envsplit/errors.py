"""The one exception root. Its text is exactly what the user reads."""

from __future__ import annotations


class EnvsplitError(Exception):
    """Base of every error envsplit reports to a user.

    ``exit_code`` follows the CLI contract: 2 for bad input (fix a file or a flag),
    1 for a run that could not finish its job (an unsatisfiable variant, a stale lock).
    """

    exit_code = 2


class InputError(EnvsplitError):
    """A file, flag or value the user gave is wrong; the message says where and how to fix it."""

    exit_code = 2


class SolveError(EnvsplitError):
    """A variant could not be solved on a platform."""

    exit_code = 1

    def __init__(self, variant: str, platform: str, explanation: str) -> None:
        self.variant = variant
        self.platform = platform
        self.explanation = explanation
        super().__init__(f"cannot lock variant {variant!r} on {platform}:\n{explanation}")
