"""The outbox dispatcher: claims due deliveries and hands them to the transports.

Announcements go to the transport that owns the row's space, in order. Each transport has a
lane of its own, so a slow one (IRC paces itself to a line a second) never holds up another.
A DM goes to the member's most recently seen identity on a transport that can reach it now;
when none can (the member is offline on IRC, say) it waits and is tried again. A DM pinned
to one identity (``identity_id`` in its payload: a notice only that account's holder can act
on) goes to that identity alone, waiting the same way. Identities are stored sealed: their
keys are opened here, and transports get them as they always did. Failures are
retried with backoff; after many attempts a row is marked failed so one broken row never
blocks the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.web.links import Links
from storage.db import Database, lost_connection
from storage.repos import members, outbox, prefs
from storage.retry import Backoff
from storage.types import utcnow

if TYPE_CHECKING:
    from sqlalchemy import Select

logger = logging.getLogger(__name__)


class Sink(Protocol):
    """What a transport offers the dispatcher."""

    platform: str
    spaces: tuple[str, ...]

    async def deliver_announcement(
        self, space: str, event: str, payload: dict[str, Any]
    ) -> None: ...

    def can_reach(self, identity_key: str) -> bool: ...

    async def deliver_dm(self, identity_key: str, event: str, payload: dict[str, Any]) -> None: ...


class NotReachable(Exception):
    """The member cannot be reached on any transport right now; try later."""


class Gone(Exception):
    """The one identity a DM was pinned to is no longer linked: nobody is left to tell."""


class SpaceDown(Exception):
    """The transport is not connected to that space (or platform) now. Not a failure: the
    delivery waits, however long, and is not counted against its attempts."""


class Refused(Exception):
    """The platform refuses this delivery for good (a member whose DMs are closed to the
    bot): trying again would only count against the bot. No retry; a DM falls back to the
    member's email or digest."""


@dataclass
class Delivery:
    id: int
    kind: str
    space: str | None
    member_id: int | None
    event: str
    payload: dict[str, Any]
    attempts: int


# Failures of a space that is connected; a space that is down waits without counting.
MAX_ATTEMPTS = 25
# After n failed attempts a delivery waits 2**n seconds, at most five minutes.
RETRY = Backoff(first=1.0, cap=300.0)
# A batch is small and each row is marked sent as soon as it is out, so a process that dies
# holds back little; the next server of the space takes even that back at once (bot/serving).
LEASE = timedelta(minutes=5)
UNREACHABLE_RETRY = timedelta(minutes=2)


class Dispatcher:
    def __init__(
        self,
        db: Database,
        *,
        clock: Callable[[], datetime] = utcnow,
        poll_seconds: float = 1.0,
        batch: int = 20,
    ) -> None:
        self.db = db
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.sinks: list[Sink] = []
        self._wakes: list[asyncio.Event] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.delivered = 0
        # Whether this process serves these spaces now (bot/serving.py; all of them when
        # nothing says otherwise: the console, tests).
        self.serving: Callable[[tuple[str, ...]], bool] = lambda spaces: True
        # The public page an announcement links to ([web] public_url; none by default).
        self.links = Links("")
        # Wakes the mailer (a notice a member's accounts refuse goes to their email).
        self.wake_mail: Callable[[], None] = lambda: None
        # Who this process is (bot/serving.py): its claims carry it.
        self.owner: str | None = None
        # Spaces that were down, since when (monotonic), and what has been delivered to each
        # since it came back: logged once its backlog is out.
        self._down: dict[str, float] = {}
        self._caught_up: dict[str, int] = {}

    def add_sink(self, sink: Sink) -> None:
        self.sinks.append(sink)

    @property
    def spaces(self) -> tuple[str, ...]:
        return tuple(space for sink in self.sinks for space in sink.spaces)

    def space_states(self) -> dict[str, str]:
        """Each space of this process: "up", "down" (deliveries wait for it) or "standby"
        (another process serves it), for /healthz and /metrics."""
        states = {}
        for space in self.spaces:
            if not self.serving((space,)):
                states[space] = "standby"
            else:
                states[space] = "down" if space in self._down else "up"
        return states

    def lanes(self) -> list[tuple[tuple[str, ...], bool]]:
        """What each lane claims: one lane per transport's spaces, and one for DMs."""
        lanes: list[tuple[tuple[str, ...], bool]] = [(sink.spaces, False) for sink in self.sinks]
        if self.sinks:
            lanes.append(((), True))
        return lanes

    def wake(self) -> None:
        for event in self._wakes:
            event.set()

    async def release(
        self, *, spaces: tuple[str, ...] = (), identity_key: str | None = None
    ) -> None:
        """Deliver now what waits for these spaces, or for the member behind an identity
        (a transport reconnected; a member came online), instead of at its next retry."""
        now = self.clock()
        member_ids: list[int] = []
        if identity_key is not None:
            # People join all the time (a netsplit brings hundreds back at once), and most
            # have nothing waiting: look first, with a read, and write only when needed.
            key_hash = self.db.vault.digest(identity_key)
            async with self.db.read() as conn:
                member = await members.member_by_identity(conn, key_hash)
                if member is not None and await outbox.dms_waiting(conn, member.id, now=now):
                    member_ids.append(int(member.id))
        if not spaces and not member_ids:
            return
        async with self.db.write() as conn:
            released = await outbox.release(conn, now=now, spaces=spaces, member_ids=member_ids)
        if released or spaces:
            self.wake()

    def start(self) -> None:
        if self._tasks:
            return
        for spaces, dms in self.lanes():
            event = asyncio.Event()
            self._wakes.append(event)
            name = "outbox-dms" if dms else f"outbox-{','.join(spaces)}"
            self._tasks.append(asyncio.create_task(self._loop(spaces, dms, event), name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._wakes = []

    async def _loop(self, spaces: tuple[str, ...], dms: bool, wake: asyncio.Event) -> None:
        check = outbox.due_check(outbox.lane(spaces, dms))
        look = True  # at start: deliver what is already waiting
        while True:
            if look:
                try:
                    while await self.run_once(spaces, dms):
                        pass
                    self._log_caught_up(spaces)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if lost_connection(exc):  # a server restart: no traceback for that
                        logger.warning("outbox: the database connection broke; retrying shortly")
                    else:
                        logger.exception("outbox dispatch failed; retrying shortly")
            woken = await wait_or_poll(wake, self.poll_seconds)
            look = woken or await due(self.db, check, self.clock())

    async def drain(self, max_rounds: int = 1000) -> int:
        """Deliver everything due now (for the console and tests). Returns rows handled."""

        async def every_lane() -> int:
            return sum([await self.run_once(spaces, dms) for spaces, dms in self.lanes()])

        return await until_idle(every_lane, max_rounds)

    async def run_once(self, spaces: tuple[str, ...], dms: bool) -> int:
        """Claim and deliver one batch of one lane; returns how many rows it handled.

        Each row is marked sent as soon as it has gone out. Announcements of a space go in
        order: when one can't go now, the rest of that space's batch is given back and waits
        behind it (the claim never takes a row behind one that waits)."""
        if spaces and not self.serving(spaces):
            return 0  # another process serves them
        now = self.clock()
        async with self.db.write() as conn:
            rows = await outbox.claim(
                conn,
                outbox.lane(spaces, dms),
                now=now,
                lease=LEASE,
                limit=self.batch,
                in_order=not dms,
                by=self.owner,
            )
        if not rows:
            return 0
        held_back: list[int] = []
        stopped: set[str] = set()
        for row in rows:
            if row.space is not None and row.space in stopped:
                held_back.append(row.id)
                continue
            delivery = Delivery(
                id=row.id,
                kind=row.kind,
                space=row.space,
                member_id=row.member_id,
                event=row.event,
                payload=row.payload,
                attempts=row.attempts + 1,
            )
            if not await self._attempt(delivery) and row.space is not None:
                stopped.add(row.space)
        if held_back:
            async with self.db.write() as conn:
                await outbox.unclaim(conn, held_back)
        return len(rows)

    async def _attempt(self, delivery: Delivery) -> bool:
        """Deliver one row and record the outcome; False when it must be tried again later
        (what comes after it in its space waits for it)."""
        try:
            await self._deliver(delivery)
        except SpaceDown as exc:
            self._note_down(delivery.space)
            await self._retry(delivery, UNREACHABLE_RETRY, f"space down: {exc}", count=False)
            return False
        except NotReachable:
            await self._retry(delivery, UNREACHABLE_RETRY, "not reachable now", count=False)
            return False
        except (Gone, Refused) as exc:
            # For good: trying again would change nothing (and count against the bot).
            level = logging.INFO if isinstance(exc, Gone) else logging.WARNING
            logger.log(
                level, "delivery %s (%s) refused for good: %s", delivery.id, delivery.event, exc
            )
            async with self.db.write() as conn:
                await outbox.mark_failed(conn, delivery.id, now=self.clock(), error=str(exc))
            return True
        except Exception as exc:  # a transport error: retry with backoff
            logger.warning(
                "delivery %s (%s) failed: %s", delivery.id, delivery.event, type(exc).__name__
            )
            await self._retry(delivery, None, f"{type(exc).__name__}: {exc}", count=True)
            return False
        async with self.db.write() as conn:
            await outbox.mark_sent(conn, [delivery.id], self.clock())
        self.delivered += 1
        if delivery.space in self._down:
            self._caught_up[delivery.space] = self._caught_up.get(delivery.space, 0) + 1
        return True

    def _note_down(self, space: str | None) -> None:
        if space is not None and space not in self._down:
            self._down[space] = time.monotonic()
            self._caught_up.pop(space, None)

    def _log_caught_up(self, spaces: tuple[str, ...]) -> None:
        """A space that was down and has had its backlog delivered: say so, once."""
        for space in spaces:
            count = self._caught_up.pop(space, 0)
            if count:
                since = self._down.pop(space)
                logger.info(
                    "%s back after %s: %d waiting announcement%s delivered",
                    space,
                    _span(time.monotonic() - since),
                    count,
                    "" if count == 1 else "s",
                )

    async def _deliver(self, delivery: Delivery) -> None:
        if delivery.kind == "announce":
            payload = delivery.payload
            link = self.links.of(delivery.event, payload)
            if link is not None:
                # Computed as it goes out, so a public_url set later links older news too.
                payload = {**payload, "link": link}
            for sink in self.sinks:
                if delivery.space in sink.spaces:
                    await sink.deliver_announcement(delivery.space, delivery.event, payload)
                    return
            raise SpaceDown(f"no transport here serves {delivery.space}")
        assert delivery.member_id is not None
        async with self.db.read() as conn:
            identities = await members.identities_of(conn, self.db.vault, delivery.member_id)
        pinned = delivery.payload.get("identity_id")
        if pinned is not None:
            identities = [identity for identity in identities if identity.id == pinned]
            if not identities:
                raise Gone("the account this was meant for was unlinked before it could be told")
        refused = [identity for identity in identities if identity.dms_refused_at is not None]
        why = "this account takes no private messages from the bot"
        for identity in identities:
            if identity.dms_refused_at is not None:
                continue
            for sink in self.sinks:
                if sink.platform == identity.platform and sink.can_reach(identity.key):
                    try:
                        await sink.deliver_dm(identity.key, delivery.event, delivery.payload)
                    except Refused as exc:
                        # This account takes no private messages: not again until its
                        # holder acts through it (and is told then); try their others.
                        async with self.db.write() as conn:
                            await members.refuse_dms(conn, identity.id, self.clock())
                        logger.info("delivery %s (%s): %s", delivery.id, delivery.event, exc)
                        refused.append(identity)
                        why = str(exc)
                        break
                    return
        if refused:
            # None of the member's accounts takes it now, and one of them never will.
            if await self._fall_back(delivery):
                raise Refused(f"{why}: sent by email instead")
            if len(refused) == len(identities):
                raise Refused(f"{why}, and no other account of the member takes them")
        raise NotReachable

    async def _fall_back(self, delivery: Delivery) -> bool:
        """A notice the member's accounts won't take as a private message goes to their
        email, when they have one that works (the mail is kept as any other); False when
        it can't (they are told when they next act)."""
        if delivery.payload.get("identity_id") is not None or "text" not in delivery.payload:
            return False  # meant for that one account; or not a notice
        assert delivery.member_id is not None
        async with self.db.write() as conn:
            routes = await prefs.routes(conn, [delivery.member_id])
            _, has_email = routes.get(delivery.member_id, ("dm", False))
            if has_email:
                now = self.clock()
                await outbox.add(
                    conn,
                    [
                        {
                            "kind": "email",
                            "space": None,
                            "stream": None,
                            "member_id": delivery.member_id,
                            "event": delivery.event,
                            "payload": delivery.payload,
                            "created_at": now,
                            "available_at": now,
                            "attempts": 0,
                        }
                    ],
                )
        if has_email:
            self.wake_mail()
        return has_email

    async def _retry(
        self, delivery: Delivery, delay: timedelta | None, error: str, *, count: bool
    ) -> None:
        now = self.clock()
        async with self.db.write() as conn:
            if count and delivery.attempts >= MAX_ATTEMPTS:
                await outbox.mark_failed(conn, delivery.id, now=now, error=error)
                logger.error("delivery %s gave up after %s attempts", delivery.id, MAX_ATTEMPTS)
                return
            if delay is None:
                delay = timedelta(seconds=RETRY.delay(delivery.attempts))
            await outbox.mark_retry(
                conn, delivery.id, available_at=now + delay, error=error, counted=count
            )


def _span(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


async def until_idle(step: Callable[[], Awaitable[int]], max_rounds: int) -> int:
    """Run ``step`` (a round of work returning how much it did) until a round does nothing,
    at most ``max_rounds`` times; how much was done in all (the console's and tests' drain)."""
    total = 0
    for _ in range(max_rounds):
        done = await step()
        if done == 0:
            break
        total += done
    return total


async def wait_or_poll(wake: asyncio.Event, seconds: float) -> bool:
    """Wait until `wake` is set (True) or `seconds` pass (False); clears `wake`."""
    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
    # that arrives as the event is set, and stop() would hang.
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await wake.wait()
    woken = wake.is_set()
    wake.clear()
    return woken


async def due(db: Database, check: Select, now: datetime) -> bool:
    """Whether a poll should claim: rows retried later, or written by another process.

    A read, so an idle bot writes nothing (no write lock, no WAL growth, nothing for the
    checkpointer). On a database error it says yes, and the claim reports the error.
    """
    try:
        async with db.read() as conn:
            return await outbox.any_due(conn, check, now=now)
    except Exception:
        return True
