"""The date cutoff (``exclude-newer``): records published after it are invisible to the solve.

A cutoff is configured as a date (``2026-01-31``: 00:00 UTC that day, as uv and pixi read it), a date-time
(``2026-01-31T12:00:00Z``; without an offset it is UTC) or a duration before now (``36h``, ``7d``, ``2w``).

Three values, three jobs:
- the CONFIGURED value (``7d``) and the exemptions go into the input hash, so changing them makes the locks
  stale, but time passing does not: a ``7d`` lock is not stale an hour later;
- the RESOLVED instant (an absolute UTC date-time) is what the solve uses, and is recorded in the lock header
  next to the configured value (``exclude-newer linux-64: 2026-11-27T18:48:46Z (7d)``);
- a relock reuses the recorded instant when the configured value is unchanged, so a spec edit solved on
  Tuesday sees the same channel as the lock made on Monday (like keeping locked builds). ``--update``,
  ``--force`` and ``refresh`` move forward: they resolve the duration against now again.

Records without any timestamp are kept: conda-build stamps records since 2016, so an unstamped record is
older than any cutoff one would configure, and dropping them would make old noarch packages vanish.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

_DURATION = re.compile(r"^(\d+)\s*([hdw])\Z")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
HINT = "use a date (2026-01-31), a UTC date-time (2026-01-31T12:00:00Z) or a duration (36h, 7d, 2w)"


class SolveCutoff(NamedTuple):
    """What a solve needs: the instant, and the package names exempt from it."""

    instant: dt.datetime
    exempt: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExcludeNewer:
    value: str  # as configured, normalized: "7d", "2026-01-31", "2026-01-31T12:00:00Z"
    exempt: tuple[str, ...] = ()  # sorted package names that may be newer than the cutoff

    @property
    def duration(self) -> dt.timedelta | None:
        match = _DURATION.match(self.value)
        return dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))}) if match else None

    def hash_payload(self) -> dict[str, Any]:
        return {"cutoff": self.value, "exempt": list(self.exempt)}

    def resolve(self, now: dt.datetime) -> dt.datetime:
        """The absolute UTC instant, whole seconds (a duration counts back from ``now``)."""
        duration = self.duration
        instant = now - duration if duration is not None else parse_instant(self.value)
        return instant.astimezone(dt.UTC).replace(microsecond=0)

    def recorded(self, instant: dt.datetime) -> str:
        """The header value: the instant, then the configured value it came from."""
        return f"{format_instant(instant)} ({self.value})"

    def reuse(self, recorded: str | None) -> dt.datetime | None:
        """The instant of a header value written for this same configured value; None otherwise."""
        if not recorded:
            return None
        instant, _, value = recorded.partition(" (")
        if value.removesuffix(")") != self.value:
            return None
        try:
            return parse_instant(instant)
        except ValueError:
            return None


def format_instant(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str) -> dt.datetime:
    """A date (00:00 UTC) or an ISO 8601 date-time (UTC unless it names an offset); ValueError otherwise."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", text):
        raise ValueError(text)
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def parse_cutoff(value: Any) -> str:
    """The normalized configured value; ValueError (its message says what is accepted) when unreadable.

    YAML reads an unquoted ``2026-01-31`` as a date and a date-time as a datetime: both are accepted.
    """
    if isinstance(value, dt.date):  # a datetime is a date too
        value = value.isoformat()
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a date or a duration; {HINT}")
    text = value.strip()
    match = _DURATION.match(text.lower())
    if match:
        if int(match.group(1)) == 0:
            raise ValueError(f"{text!r} is no cooldown at all; {HINT}, or remove the setting")
        return f"{int(match.group(1))}{match.group(2)}"
    try:
        instant = parse_instant(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date or a duration; {HINT}") from None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return text
    return format_instant(instant)


def effective(configured: ExcludeNewer | None, override: str | None) -> ExcludeNewer | None:
    """The run's cutoff: ``--exclude-newer`` replaces the configured value and keeps its exemptions."""
    if override is None:
        return configured
    return ExcludeNewer(override, configured.exempt if configured is not None else ())


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
