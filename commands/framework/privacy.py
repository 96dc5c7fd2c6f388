"""The ``[privacy]`` table: how long, at most, a member's action waits before others see it.

An IRC server tells anyone who asks how long each user has been idle, and a private message
to the bot resets it. If ``New idea #9 by leafy_towhee`` appeared the instant its author's
private ``pitch`` arrived, an observer who WHOISes the channel would see whose idle time had
just dropped to zero. So a command whose effects others can see is carried out after a
random delay (commands.framework.deferral), drawn afresh for each command, uniformly between nothing
and ``max_public_delay``. Anyone who acted within that window is then as likely to be the
author.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from commands.framework.calendar import TimeError, parse_duration

# Longer than this and a discussion stops feeling like one.
LONGEST = timedelta(hours=1)
_RANDOM = secrets.SystemRandom()


@dataclass(frozen=True)
class Privacy:
    max_public_delay: str = "90s"

    def __post_init__(self) -> None:
        # Raised as ValueError so the config loader names the table: "[privacy] ...".
        try:
            delay = parse_duration(self.max_public_delay)
        except TimeError as exc:
            raise ValueError(f"max_public_delay: {exc} (0s turns the delay off)") from exc
        if delay > LONGEST:
            raise ValueError("max_public_delay must be at most 1h")

    @property
    def longest(self) -> timedelta:
        return parse_duration(self.max_public_delay)

    def draw(self) -> timedelta:
        """A fresh delay for one command."""
        longest = self.longest
        if not longest:
            return timedelta(0)
        # Whole milliseconds: nothing finer survives the database's timestamps anyway.
        return timedelta(milliseconds=_RANDOM.randrange(int(longest / timedelta(milliseconds=1))))


NO_DELAY = Privacy(max_public_delay="0s")


def show_delay(delay: timedelta) -> str:
    seconds = round(delay.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes} min"
