"""Which process serves which space: every space heard, each served once.

Several `dynamo run` processes may share one PostgreSQL (a movement that outgrew one
machine, or a standby beside the main one). The database knows every space any of them is
configured with (table ``space``; each says so in every round, the first one as it starts,
before it serves anyone), so an announcement written by any process reaches every space,
served by whichever process serves it. The transaction that writes an announcement reads
that table (storage/repos/spaces.py): a network whose process has just started hears the
next announcement written anywhere, not only after the writer's next round.

What was announced before a space was first registered is not copied to it: that is the
movement's past, which its members find with `ideas` as anyone who joins later does. The
registration comes in the first round, as the process starts and before it answers anyone
(on IRC about a second after it has joined its channels: it joins first and loads
meanwhile). Copying what came in that second, or in a window before it, would have to tell
an announcement to every space from one meant for another space alone, which the outbox
rows don't record.

Only one process serves a space at a time, or a channel command would be answered twice: it
holds the space's lease and renews it every third of `[database] takeover_seconds`. A
process that doesn't hold a space stands by (its transport is not connected) and takes the
lease over once it has run out: within `takeover_seconds` of the server's death. A process
that restarts with the same spaces on the same machine (the same ``owner``) takes its
leases back at once; one that was running before and is still alive finds its lease gone
and stands by.

Whoever takes a space also takes back what the previous server had claimed and not
delivered (it died mid-batch): those announcements go out at once, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from storage.db import Database
from storage.repos import outbox
from storage.repos import spaces as space_repo

logger = logging.getLogger(__name__)

# How long after a lease it stands by for runs out a process looks again (timestamps are
# stored to the microsecond; a look a moment early would find it still held).
LOOK_AFTER = 0.02


class Served(Protocol):
    spaces: tuple[str, ...]

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def default_owner(spaces: Sequence[str]) -> str:
    """This machine and these spaces: a process restarted with the same configuration on the
    same machine is recognised as the same owner."""
    digest = hashlib.sha256("\n".join(sorted(spaces)).encode()).hexdigest()[:12]
    return f"{socket.gethostname()}/{digest}"


class Serving:
    def __init__(
        self,
        db: Database,
        transports: Sequence[Served],
        *,
        takeover_seconds: float,
        clock: Callable[[], datetime],
        owner: str | None = None,
        on_spaces: Callable[[tuple[str, ...]], None] = lambda spaces: None,
        on_taken: Callable[[tuple[str, ...]], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.transports = list(transports)
        self.takeover = timedelta(seconds=takeover_seconds)
        self.clock = clock
        self.configured = tuple(space for t in self.transports for space in t.spaces)
        self.owner = owner or default_owner(self.configured)
        self.incarnation = uuid.uuid4().hex
        # Told every space announcements go to (after each look at the database).
        self.on_spaces = on_spaces
        # Told the spaces this process has just taken (to deliver what waits for them).
        self.on_taken = on_taken
        self.running: set[int] = set()  # indexes of the transports this process serves
        # When the first lease this process stands by for runs out (None: it waits for none).
        self.free_at: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    def serving(self, spaces: tuple[str, ...]) -> bool:
        """Whether this process serves these spaces now."""
        return any(
            index in self.running and set(spaces) <= set(t.spaces)
            for index, t in enumerate(self.transports)
        )

    async def begin(self) -> None:
        """Take back what an earlier run of this process held when it was killed, say which
        spaces it has, take those it may, start their transports."""
        async with self.db.write() as conn:
            taken_back = await outbox.release_claims_of(conn, self.owner)
        if taken_back:
            logger.info("took back %d deliveries an earlier run had not finished", taken_back)
        await self.round(first=True)

    def keep(self) -> None:
        """From now on, renew what this process serves and take over what others leave."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="serving")

    async def end(self) -> None:
        """Stop renewing and let go of the leases, so another process may take over at once
        (the transports are stopped by the caller)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        held = [s for i in self.running for s in self.transports[i].spaces]
        self.running.clear()
        with contextlib.suppress(Exception):
            async with self.db.write() as conn:
                await space_repo.give_up(conn, held, self.incarnation)

    async def _loop(self) -> None:
        period = self.takeover.total_seconds() / 3
        while True:
            await asyncio.sleep(self._until_next_round(period))
            try:
                await self.round()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # The database is away: keep serving what we serve; the lease says for how
                # long others wait before they take over.
                logger.warning("could not renew the spaces this process serves: %s", exc)

    def _until_next_round(self, period: float) -> float:
        """A third of takeover_seconds, or until a lease this process stands by for runs out
        if that is sooner. A lease runs takeover_seconds from its last renewal, so taking it
        as it runs out is within takeover_seconds of its holder's death; the next regular
        look could come up to a third later."""
        if self.free_at is None:
            return period
        runs_out = (self.free_at - self.clock()).total_seconds()
        return min(period, max(runs_out, 0.0) + LOOK_AFTER)

    async def round(self, *, first: bool = False) -> None:
        """One look at the database: say which spaces this process has, renew or take
        their leases, start the transports it now serves and stop those it lost."""
        now = self.clock()
        until = now + self.takeover
        held: list[int] = []
        async with self.db.write() as conn:
            await space_repo.seen(conn, self.configured, now)
            for index, transport in enumerate(self.transports):
                # A transport is served whole (one Discord connection for all its servers).
                taken = [
                    await space_repo.take(
                        conn,
                        space,
                        owner=self.owner,
                        incarnation=self.incarnation,
                        until=until,
                        now=now,
                        preempt_own=first,
                    )
                    for space in transport.spaces
                ]
                if all(taken):
                    held.append(index)
                elif any(taken):
                    # Half of a transport is no use: let go of the part we got.
                    got = [s for s, ok in zip(transport.spaces, taken, strict=True) if ok]
                    await space_repo.give_up(conn, got, self.incarnation)
            new = [i for i in held if i not in self.running]
            new_spaces = [s for i in new for s in self.transports[i].spaces]
            await space_repo.release_claims(conn, new_spaces)
            known = tuple(await space_repo.current(conn, now))
            waiting = [s for i, t in enumerate(self.transports) if i not in held for s in t.spaces]
            self.free_at = await space_repo.next_free(conn, waiting, now)
        self.on_spaces(tuple(dict.fromkeys((*self.configured, *known))))
        for index in sorted(set(self.running) - set(held)):
            await self._stand_by(index, "another process took it over")
        for index in new:
            await self._serve(index)
        if first:
            for index in range(len(self.transports)):
                if index not in held:
                    await self._stand_by(index, "another process serves it", started=True)

    async def _serve(self, index: int) -> None:
        transport = self.transports[index]
        await transport.start()
        self.running.add(index)
        logger.info("serving %s", ", ".join(transport.spaces))
        if self.on_taken is not None:
            await self.on_taken(transport.spaces)

    async def _stand_by(self, index: int, why: str, *, started: bool = False) -> None:
        transport = self.transports[index]
        if index in self.running or started:
            self.running.discard(index)
            with contextlib.suppress(Exception):
                await transport.stop()
        logger.info("standing by for %s: %s", ", ".join(transport.spaces), why)
