"""The App wires storage, the command registry, the invoker, the outbox dispatcher, the
mailer, the scheduler and the transports together. There are no globals: everything that
needs one of these gets it from here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.config import Config
from bot.later import LaterRunner
from bot.outbox import Dispatcher, Sink
from bot.scheduler import Scheduler
from bot.serving import Serving
from bot.transports.email.mailer import Mailer
from bot.web.links import Links
from commands.catalog import build_registry
from commands.framework.invoker import Invoker
from commands.framework.job_env import JobEnv
from storage import migrate
from storage.db import Database
from storage.types import utcnow
from storage.vault import Vault

if TYPE_CHECKING:
    from bot.web.server import WebServer

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
        vault: Vault | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``vault``: the project secret to open the configured database with; a ``db``
        given instead carries its own."""
        if db is not None and vault is not None:
            raise TypeError("give App a database or a vault to open the configured one with")
        self.config = config
        self.clock = clock
        self.db = db or Database(config.database_url, vault=vault)
        # Fails here, with what to do, when there is no secret: nobody could be recognised.
        self.vault = self.db.vault
        self.registry = build_registry()
        self.dispatcher = Dispatcher(self.db, clock=clock)
        # Where announcements and emails link to ([web] public_url).
        self.links = Links(config.web.public_url)
        self.dispatcher.links = self.links
        # Email is off unless [email] host is set.
        self.mailer: Mailer | None = None
        if config.email.enabled:
            self.mailer = Mailer(
                self.db,
                config.email,
                config.schedule,
                clock=clock,
                public_url=config.web.public_url,
            )
            self.dispatcher.wake_mail = self.mailer.wake
        self.invoker = Invoker(
            db=self.db,
            registry=self.registry,
            rules=config.rules,
            spaces=(),
            admin_identities=frozenset(config.admins.identities),
            clock=clock,
            on_outbox=self._outbox_written,
            schedule=config.schedule,
            email_enabled=config.email.enabled,
            privacy=config.privacy,
            reserved_names=config.reserved_names,
            web_url=config.web.public_url if config.web.enabled else None,
            trust=config.trust,
        )
        self.jobs = JobEnv(
            db=self.db,
            registry=self.registry,
            rules=config.rules,
            schedule=config.schedule,
            spaces=lambda: self.invoker.spaces,
            admin_identities=frozenset(config.admins.identities),
            email_enabled=config.email.enabled,
            public_url=config.web.public_url,
            clock=clock,
            on_outbox=self._outbox_written,
        )
        self.scheduler = Scheduler(self.jobs)
        # What members asked for that others will see, carried out at its random moment.
        self.later = LaterRunner(self.db, self.invoker, clock=clock)
        self.transports: list[Transport] = []
        self.serving: Serving | None = None
        # The public pages ([web] listen), started with the transports (bot/runtime.py).
        self.web: WebServer | None = None

    def _spaces_known(self, spaces: tuple[str, ...]) -> None:
        # Every space any process serves hears every announcement (commands read these).
        self.invoker.spaces = spaces

    async def _taken(self, spaces: tuple[str, ...]) -> None:
        await self.dispatcher.release(spaces=spaces)

    def _outbox_written(self) -> None:
        self.dispatcher.wake()
        self.later.wake()
        if self.mailer is not None:
            self.mailer.wake()

    async def drain(self) -> int:
        """Carry out and deliver everything due now (the console and tests; the running bot
        does this in the background)."""
        return await self.later.drain() + await self.dispatcher.drain()

    def add_transport(self, transport: Transport) -> None:
        self.transports.append(transport)
        self.dispatcher.add_sink(transport)
        self.invoker.spaces = self.dispatcher.spaces

    async def migrate(self) -> None:
        await migrate.upgrade(self.db)

    async def start(
        self, *, dispatch: bool = True, schedule: bool | None = None, migrate: bool = True
    ) -> None:
        """``dispatch``: deliver in the background (the console drains by itself instead).
        ``schedule`` (default: as ``dispatch``): run the scheduler. ``migrate=False``: the
        caller has already run ``migrate()``."""
        if migrate:
            await self.migrate()
        self.serving = Serving(
            self.db,
            self.transports,
            takeover_seconds=self.config.database.takeover_seconds,
            clock=self.clock,
            owner=self.config.database.instance or None,
            on_spaces=self._spaces_known,
            on_taken=self._taken,
        )
        self.dispatcher.serving = self.serving.serving
        for worker in (self.dispatcher, self.later, self.mailer):
            if worker is not None:
                worker.owner = self.serving.owner
        # Takes the spaces this process may serve and starts their transports.
        await self.serving.begin()
        if dispatch:
            self.serving.keep()
        if dispatch:
            self.later.start()
            self.dispatcher.start()
            if self.mailer is not None:
                self.mailer.start()
        if dispatch if schedule is None else schedule:
            await self.scheduler.start()
        if self.web is not None:
            await self.web.start()
        logger.info(
            "started with %d transport(s) serving %d space(s)",
            len(self.transports),
            len(self.invoker.spaces),
        )

    async def stop(self) -> None:
        if self.web is not None:
            await self.web.stop()
        await self.scheduler.stop()
        await self.later.stop()
        await self.dispatcher.stop()
        if self.serving is not None:
            await self.serving.end()
        if self.mailer is not None:
            await self.mailer.stop()
        for transport in reversed(self.transports):
            try:
                await transport.stop()
            except Exception:
                logger.exception("transport failed to stop cleanly")
        await self.db.dispose()
