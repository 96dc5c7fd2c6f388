"""Asking the server which services account a nick is logged in as (WHOIS), when nothing
it sent already said (no account-tag, extended-join or WHOX).

Several questions about one nick share one WHOIS; each waits at most WHOIS_TIMEOUT, and
every question still open when the link drops is answered None (not known).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.transports.irc.lines import Line

__all__ = ["Whois"]

WHOIS_TIMEOUT = 5.0


class Whois:
    """`control(line)` queues the WHOIS; `on_account(nick, account)` is told what the
    server answered (None: not logged in)."""

    def __init__(
        self,
        fold: Callable[[str], str],
        *,
        control: Callable[[str], None],
        connected: Callable[[], bool],
        on_account: Callable[[str, str | None], None],
    ) -> None:
        self._fold = fold
        self._control = control
        self._connected = connected
        self._on_account = on_account
        self._pending: dict[str, asyncio.Future[str | None]] = {}
        self._found: dict[str, str | None] = {}

    def reset(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_result(None)
        self._pending = {}
        self._found = {}

    def handlers(self) -> dict[str, Callable[[Line], None]]:
        return {"330": self._on_account_line, "318": self._on_end, "401": self._on_no_such_nick}

    async def account(self, nick: str) -> str | None:
        """The account `nick` is logged in as, None when not or not known in time."""
        if not self._connected():
            return None
        key = self._fold(nick)
        future = self._pending.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._pending[key] = future
            self._found[key] = None
            self._control(f"WHOIS {nick}")
        try:
            return await asyncio.wait_for(asyncio.shield(future), WHOIS_TIMEOUT)
        except TimeoutError:
            if self._pending.get(key) is future:
                del self._pending[key]
                future.set_result(None)
            return None

    def _on_account_line(self, line: Line) -> None:
        # 330 <me> <nick> <account> :is logged in as
        if len(line.params) >= 3:
            nick, account = line.params[1], line.params[2]
            self._found[self._fold(nick)] = account
            self._on_account(nick, account)

    def _on_end(self, line: Line) -> None:
        # 318 <me> <nick> :End of WHOIS
        nick = line.param(1)
        if nick is None:
            return
        key = self._fold(nick)
        account = self._found.pop(key, None)
        if account is None:
            self._on_account(nick, None)
        future = self._pending.pop(key, None)
        if future is not None and not future.done():
            future.set_result(account)

    def _on_no_such_nick(self, line: Line) -> None:
        # 401 <me> <nick> :No such nick
        nick = line.param(1)
        if nick is not None:
            key = self._fold(nick)
            self._found.pop(key, None)
            future = self._pending.pop(key, None)
            if future is not None and not future.done():
                future.set_result(None)
