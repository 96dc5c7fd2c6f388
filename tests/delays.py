"""A `[privacy]` setting whose delays are known in advance, for tests of what waits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from commands.framework.privacy import Privacy


@dataclass(frozen=True)
class Scripted(Privacy):
    """The configured window; the next commands draw the delays in ``upcoming`` (seconds),
    then none at all."""

    upcoming: list[float] = field(default_factory=list)

    def draw(self) -> timedelta:
        return timedelta(seconds=self.upcoming.pop(0) if self.upcoming else 0.0)
