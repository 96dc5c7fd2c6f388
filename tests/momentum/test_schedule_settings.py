"""The [schedule] and [email] tables, and reading times, dates and durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import ConfigError, from_dict
from commands.framework import calendar
from commands.framework.calendar import Schedule

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # a Monday


def test_email_from_is_the_sender_field() -> None:
    config = from_dict({"email": {"host": "smtp.example.org", "from": "dynamo@example.org"}})
    assert config.email.sender == "dynamo@example.org" and config.email.enabled
    assert config.email.list_unsubscribe("T0K") == (
        "mailto:dynamo@example.org?subject=unsubscribe%20T0K"
    )
    custom = from_dict({"email": {"unsubscribe": "https://example.org/stop?t={token}"}})
    assert custom.email.list_unsubscribe("T0K") == "https://example.org/stop?t=T0K"
    assert not from_dict({}).email.enabled


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"email": {"form": "x@example.org"}}, "unknown key [email] form"),
        ({"email": {"sender": "x@example.org"}}, "unknown key [email] sender"),
        ({"email": {"host": "smtp.example.org"}}, "[email] from must be an email address"),
        ({"email": {"port": 0}}, "[email] port must be between 1 and 65535"),
        ({"email": {"tls": True}}, "starttls (port 587) or tls (port 465), not both"),
        ({"email": {"unsubscribe": "ftp://x"}}, "unsubscribe must start with mailto:"),
        ({"schedule": {"timezone": "Mars/Olympus"}}, "[schedule] timezone:"),
        ({"schedule": {"weekly_update": "someday"}}, "[schedule] weekly_update: `someday`"),
        ({"schedule": {"daily_digest": "25:00"}}, "[schedule] daily_digest:"),
        ({"schedule": {"objection_window": "soon"}}, "[schedule] objection_window:"),
        ({"schedule": {"stall_days": 0}}, "[schedule] stall_days must be at least 1"),
        ({"schedule": {"stall_days": "7"}}, "[schedule] stall_days must be a whole number"),
    ],
)
def test_bad_settings_name_the_key(raw: dict, message: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        from_dict(raw)
    assert message in str(excinfo.value)


def test_unknown_email_key_lists_from_among_the_known_ones() -> None:
    with pytest.raises(ConfigError) as excinfo:
        from_dict({"email": {"form": "x"}})
    assert "from" in str(excinfo.value).split("known keys:")[1]


def test_schedule_reads_times_in_its_zone() -> None:
    berlin = calendar.zone("Europe/Berlin")
    schedule = Schedule(timezone="America/New_York", weekly_update="mon 09:00")
    # Mon 09:00 in New York is 14:00 UTC: it just passed, so the next one is a week away.
    assert schedule.weekly_in(berlin, NOW) == "Mon 2026-11-30 15:00 CET"
    assert Schedule(weekly_update="off").weekly_in(berlin, NOW) is None
    assert Schedule(daily_digest="17:00").daily_in(berlin, NOW) == "18:00 CET"
    assert calendar.week_key(NOW, schedule.zone) == "2026-W48"
    assert calendar.day_key(datetime(2026, 11, 24, 2, tzinfo=UTC), schedule.zone) == "2026-11-23"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("in 7d", NOW + timedelta(days=7)),
        ("36h", NOW + timedelta(hours=36)),
        ("2026-12-01", datetime(2026, 12, 1, 23, 0, tzinfo=UTC)),  # end of the day in Berlin
        ("2026-12-01 18:00", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
    ],
)
def test_moments_people_type(typed: str, expected: datetime) -> None:
    assert calendar.parse_moment(typed, NOW, calendar.zone("Europe/Berlin")) == expected


@pytest.mark.parametrize("typed", ["tomorrow", "2026-13-01", "2026-12-01 25:00", "in 7 years"])
def test_moments_that_are_not(typed: str) -> None:
    with pytest.raises(calendar.TimeError):
        calendar.parse_moment(typed, NOW, calendar.zone("UTC"))
