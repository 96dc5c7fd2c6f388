"""The App wires storage, the command registry, the invoker, the outbox dispatcher and the
transports together. There are no globals: everything that needs one of these gets it
from here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bot.config import Config
from bot.outbox import Dispatcher, Sink
from commands.catalog import build_registry
from commands.dispatch import Invoker
from storage import migrate
from storage.db import Database
from storage.types import utcnow

logger = logging.getLogger(__name__)


class Transport(Sink, Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class App:
    def __init__(
        self,
        config: Config,
        *,
        db: Database | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.config = config
        self.clock = clock
        self.db = db or Database(config.database_url)
        self.registry = build_registry()
        self.dispatcher = Dispatcher(self.db, clock=clock)
        self.invoker = Invoker(
            db=self.db,
            registry=self.registry,
            rules=config.rules,
            spaces=(),
            admin_identities=frozenset(config.admins.identities),
            clock=clock,
            on_outbox=self.dispatcher.wake,
        )
        self.transports: list[Transport] = []

    def add_transport(self, transport: Transport) -> None:
        self.transports.append(transport)
        self.dispatcher.add_sink(transport)
        self.invoker.spaces = self.dispatcher.spaces

    async def migrate(self) -> None:
        await migrate.upgrade(self.db)

    async def start(self, *, dispatch: bool = True) -> None:
        await self.migrate()
        for transport in self.transports:
            await transport.start()
        if dispatch:
            self.dispatcher.start()
        logger.info(
            "started with %d transport(s) serving %d space(s)",
            len(self.transports),
            len(self.invoker.spaces),
        )

    async def stop(self) -> None:
        await self.dispatcher.stop()
        for transport in reversed(self.transports):
            try:
                await transport.stop()
            except Exception:
                logger.exception("transport failed to stop cleanly")
        await self.db.dispose()
