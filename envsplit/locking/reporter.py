"""What a lock run tells as it goes (a pair begun, a pair done, a warning), and the wrapper that lets
several chains tell it from their threads."""

from __future__ import annotations

import threading
from typing import Protocol

from envsplit.locking.outcome import PairResult


class Reporter(Protocol):
    def start(self, total: int) -> None: ...
    def begin(self, variant: str, platform: str) -> None: ...
    def done(self, result: PairResult) -> None: ...
    def warn(self, message: str) -> None: ...


class SilentReporter:
    def start(self, total: int) -> None:
        pass

    def begin(self, variant: str, platform: str) -> None:
        pass

    def done(self, result: PairResult) -> None:
        pass

    def warn(self, message: str) -> None:
        pass


class SerializedReporter:
    """A reporter called from several chains at once: one call at a time."""

    def __init__(self, reporter: Reporter) -> None:
        self._reporter = reporter
        self._lock = threading.Lock()

    def start(self, total: int) -> None:
        with self._lock:
            self._reporter.start(total)

    def begin(self, variant: str, platform: str) -> None:
        with self._lock:
            self._reporter.begin(variant, platform)

    def done(self, result: PairResult) -> None:
        with self._lock:
            self._reporter.done(result)

    def warn(self, message: str) -> None:
        with self._lock:
            self._reporter.warn(message)
