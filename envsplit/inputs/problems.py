"""Input errors gathered while reading, so that one run reports every independent mistake at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from envsplit.errors import InputError
from envsplit.inputs.yaml_lines import UnreadableFile


class Problems:
    """The input errors found so far; readers check each independent entry in its own ``check()``.

    A check that fails is recorded and the reader goes on with the next entry, so a file with three
    mistakes gets three ``error:`` lines in one run. A file that cannot be read at all ends the run at
    once (with what was found before it): nothing after it could be checked meaningfully.
    """

    def __init__(self) -> None:
        self._errors: list[InputError] = []
        self._stopped = False  # a fatal error is on its way out through the enclosing checks

    @contextmanager
    def check(self, fatal: bool = False) -> Iterator[None]:
        """Record an InputError raised in the block and go on; ``fatal``: raise it (with the others) at once."""
        try:
            yield
        except InputError as exc:
            if self._stopped:
                raise
            self._errors.append(exc)
            if fatal or isinstance(exc, UnreadableFile):
                self._stopped = True
                self.raise_any()

    def raise_any(self) -> None:
        """Raise what was found: the error itself when there is one, else one line per error."""
        if len(self._errors) == 1:
            raise self._errors[0]
        if self._errors:
            raise InputError("\n".join(dict.fromkeys(str(e) for e in self._errors)))


def each(problems: Problems | None) -> AbstractContextManager[None]:
    """``problems.check()``, or no context at all (the first error raises) when there is no collector."""
    return problems.check() if problems is not None else nullcontext()
