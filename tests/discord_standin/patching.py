"""Pointing discord.py at a stand-in, and only for as long as a test needs it.

discord.py reads ``Route.BASE`` when each request is built (REST and webhooks alike) and
``DiscordWebSocket.DEFAULT_GATEWAY`` when it connects; a plain ``Client`` never asks
``GET /gateway``, and after READY it reconnects to ``resume_gateway_url``, which the stand-in
sets to itself. So these two class attributes are all there is to patch.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

if TYPE_CHECKING:
    from .server import StandIn


class patched_discord:
    """Patch discord.py to talk to ``standin``; restore on exit.

    Usable with ``with`` and with ``async with``, so it can sit in the same statement as the
    stand-in itself: ``async with StandIn() as standin, patched_discord(standin): ...``.
    """

    def __init__(self, standin: StandIn) -> None:
        self.standin = standin
        self._saved: tuple[str, yarl.URL] | None = None

    def __enter__(self) -> StandIn:
        base = self.standin.api_base
        if not base.startswith(("http://127.0.0.1:", "http://localhost:")):
            raise RuntimeError("start the stand-in (on 127.0.0.1) before patching discord.py")
        self._saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        Route.BASE = base
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.standin.gateway_url)
        return self.standin

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._saved is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None

    async def __aenter__(self) -> StandIn:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)
