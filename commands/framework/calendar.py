"""When things happen: the ``[schedule]`` settings, time zones, durations, dates and the
period keys the ledger uses.

Every time a member reads is shown in their own zone (``timezone Europe/Berlin``) or, if they
set none, in the configured one. Ledger periods are named after the *scheduled* time in the
configured zone, so a late (catch-up) run still names the week or day it was meant for.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_DURATION = re.compile(r"^(\d{1,4})\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class TimeError(ValueError):
    """A time, date, duration or zone that cannot be read; the message says what to type."""


def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name`` (``Europe/Berlin``, ``UTC``)."""
    if not name or len(name) > 64 or ".." in name or name.startswith("/"):
        raise TimeError(f"`{name[:40]}` is not a time zone name, like Europe/Berlin or UTC.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        spelled = _zone_names().get(name.lower())  # `utc`, `europe/berlin`
        if spelled is not None:
            return ZoneInfo(spelled)
        raise TimeError(
            f"`{name[:40]}` is not a time zone I know. Use a name like Europe/Berlin, "
            f"America/New_York or UTC."
        ) from exc


@functools.cache
def _zone_names() -> dict[str, str]:
    """Every zone name this system knows, by its lower-case spelling (read once)."""
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def parse_clock(text: str) -> tuple[int, int]:
    match = _CLOCK.match(text.strip())
    if not match:
        raise TimeError(f"`{text[:20]}` is not a 24-hour time like 15:00.")
    return int(match.group(1)), int(match.group(2))


def parse_weekly(text: str) -> tuple[int, int, int] | None:
    """``"mon 15:00"`` -> (weekday 0-6, hour, minute); ``"off"`` -> None."""
    if text.strip().lower() == "off":
        return None
    day, _, clock = text.strip().lower().partition(" ")
    if day[:3] not in WEEKDAYS or not clock:
        raise TimeError(f"`{text[:20]}` must look like `mon 15:00` (a weekday and a time) or off.")
    hour, minute = parse_clock(clock)
    return WEEKDAYS.index(day[:3]), hour, minute


def parse_daily(text: str) -> tuple[int, int] | None:
    """``"17:00"`` -> (hour, minute); ``"off"`` -> None."""
    if text.strip().lower() == "off":
        return None
    return parse_clock(text)


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``48h``, ``7d``, ``2w``."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise TimeError(f"`{text[:20]}` is not a duration; say for example 90m, 48h, 7d or 2w.")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_moment(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """A point in time typed by a person: ``in 7d``, ``7d``, ``2026-12-01`` (the end of that
    day in ``tz``) or ``2026-12-01 18:00`` (in ``tz``). Returned in UTC."""
    cleaned = text.strip().lower().removeprefix("in ").strip()
    if _DURATION.match(cleaned):
        return now + parse_duration(cleaned)
    day_text, _, clock_text = cleaned.partition(" ")
    try:
        day = date.fromisoformat(day_text)
    except ValueError as exc:
        raise TimeError(
            f"`{text[:30]}` is not a date or duration: say `2026-12-01`, `2026-12-01 18:00` "
            f"or `in 7d`."
        ) from exc
    if clock_text:
        hour, minute = parse_clock(clock_text)
        local = datetime.combine(day, time(hour, minute), tzinfo=tz)
    else:
        # A bare date means "by the end of that day", which is midnight starting the next.
        local = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=tz)
    return local.astimezone(now.tzinfo)


def show(at: datetime, tz: ZoneInfo) -> str:
    """A time as a member reads it: ``2026-12-01 18:00 CET``. Midnight is the end of the
    day before (``2026-12-01 24:00 CET``), so the end of a date someone typed alone shows
    as that date."""
    local = at.astimezone(tz)
    if (local.hour, local.minute) == (0, 0):
        return (local - timedelta(days=1)).strftime("%Y-%m-%d 24:00 %Z")
    return local.strftime("%Y-%m-%d %H:%M %Z")


def show_span(delta: timedelta) -> str:
    hours = round(delta.total_seconds() / 3600)
    if hours >= 48 and hours % 24 == 0:
        return f"{hours // 24} days"
    if hours >= 1:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{max(1, round(delta.total_seconds() / 60))} minutes"


def week_key(at: datetime, tz: ZoneInfo) -> str:
    """The ISO week a scheduled time falls in, in the schedule's zone: ``2026-W48``."""
    year, week, _ = at.astimezone(tz).isocalendar()
    return f"{year}-W{week:02d}"


def day_key(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).date().isoformat()


@dataclass(frozen=True)
class Schedule:
    """The ``[schedule]`` table: when periodic work happens (see config.example.toml)."""

    timezone: str = "UTC"
    weekly_update: str = "mon 15:00"
    daily_digest: str = "17:00"
    stall_days: int = 7
    objection_window: str = "48h"
    deadline_reminder: str = "24h"
    sweep_seconds: int = 60
    leader_poll_seconds: float = 10.0

    def __post_init__(self) -> None:
        # Raised as ValueError so the config loader names the table: "[schedule] ...".
        try:
            zone(self.timezone)
        except TimeError as exc:
            raise ValueError(f"timezone: {exc}") from exc
        for name, parse in (
            ("weekly_update", parse_weekly),
            ("daily_digest", parse_daily),
            ("objection_window", parse_duration),
            ("deadline_reminder", parse_duration),
        ):
            try:
                parse(getattr(self, name))
            except TimeError as exc:
                raise ValueError(f"{name}: {exc}") from exc
        if self.stall_days < 1:
            raise ValueError("stall_days must be at least 1")
        if not 5 <= self.sweep_seconds <= 3600:
            raise ValueError("sweep_seconds must be between 5 and 3600")
        if self.leader_poll_seconds <= 0:
            raise ValueError("leader_poll_seconds must be more than 0")

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone)

    @property
    def window(self) -> timedelta:
        return parse_duration(self.objection_window)

    @property
    def reminder(self) -> timedelta:
        return parse_duration(self.deadline_reminder)

    def weekly_in(self, tz: ZoneInfo, now: datetime) -> str | None:
        """When the next weekly update goes out, shown in ``tz``; None when it is off."""
        weekly = parse_weekly(self.weekly_update)
        if weekly is None:
            return None
        weekday, hour, minute = weekly
        return (
            self._next(now, hour, minute, weekday).astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z")
        )

    def daily_in(self, tz: ZoneInfo, now: datetime) -> str | None:
        """When the next daily digest comes, shown in ``tz``; None when it is off."""
        daily = parse_daily(self.daily_digest)
        if daily is None:
            return None
        return self._next(now, *daily).astimezone(tz).strftime("%H:%M %Z")

    def _next(self, now: datetime, hour: int, minute: int, weekday: int | None = None) -> datetime:
        local_now = now.astimezone(self.zone)
        days = 0 if weekday is None else (weekday - local_now.weekday()) % 7
        at = datetime.combine(local_now.date() + timedelta(days=days), time(hour, minute))
        at = at.replace(tzinfo=self.zone)
        if at <= local_now:
            at += timedelta(days=1 if weekday is None else 7)
        return at
