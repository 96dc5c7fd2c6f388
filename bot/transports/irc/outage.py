"""What the log says while a network is unreachable.

An outage is logged at WARNING when it starts, for each new reason during it, and every
AWAY_REMINDER it lasts; every retry that fails the same way logs at DEBUG only (a
night-long outage would otherwise fill the log). Its end is logged once, with how long
it lasted, when the bot is back in its channels.
"""

from __future__ import annotations

import asyncio
import logging

from bot.durations import spoken
from bot.transports.irc.settings import IrcNetworkSettings

__all__ = ["Outage"]

logger = logging.getLogger(__name__)

# While a network stays unreachable, the log says so again this often.
AWAY_REMINDER = 3600.0


class Outage:
    def __init__(self, settings: IrcNetworkSettings) -> None:
        self.settings = settings
        self.network = settings.name
        # The outage in progress: since when (loop time) the network has been unreachable,
        # when the log last said so, and the reasons it gave.
        self._since: float | None = None
        self._noted_at = 0.0
        self._reasons: set[str] = set()

    @property
    def ongoing(self) -> bool:
        return self._since is not None

    def note(self, what: str) -> None:
        """The network is unreachable, for this reason."""
        now = asyncio.get_running_loop().time()
        if self._since is None:
            self._since, self._noted_at, self._reasons = now, now, {what}
            logger.warning(
                "irc[%s]: %s; reconnecting, at growing intervals of up to %.0f s",
                self.network,
                what,
                self.settings.reconnect_max_delay,
            )
        elif what not in self._reasons:
            self._reasons.add(what)
            self._noted_at = now
            logger.warning("irc[%s]: %s", self.network, what)
        elif now - self._noted_at >= AWAY_REMINDER:
            self._noted_at = now
            logger.warning(
                "irc[%s]: still away after %s: %s",
                self.network,
                spoken(now - self._since),
                what,
            )
        else:
            logger.debug("irc[%s]: %s", self.network, what)

    def over(self, *, first: bool) -> None:
        """The bot is back in its channels (`first`: it had never been ready before)."""
        if self._since is None:
            return
        # Measured from the first failure to being back in the channels. What the bot then
        # delivers is the outbox dispatcher's to say.
        away = spoken(asyncio.get_running_loop().time() - self._since)
        self._since = None
        self._reasons = set()
        if first:
            logger.info("irc[%s]: connected after %s of trying", self.network, away)
        else:
            logger.info("irc[%s]: back after %s", self.network, away)
