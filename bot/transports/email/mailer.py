"""The mailer: claims ``email`` rows from the outbox and sends them over SMTP (aiosmtplib).

- Connections are kept open and reused for many mails, at most ``[email] connections`` at
  once (that is also the number of mails in flight).
- The server down or unreachable: the claimed rows go back with a growing delay (1 s up to
  5 min) that does not count towards giving up, so after an outage of any length every
  mail goes out once it is back.
- A 4xx answer for one mail: that row is retried with backoff, and after many tries marked
  failed.
- A 5xx answer to the recipient or the message (a bad address): the row is marked failed,
  the failure is recorded on the member and told to them the next time they act; that
  address gets no more mail.
- A row is marked sent only after the server accepted it; a crash in between means the
  lease runs out and it is sent again (its Message-ID stays the same).

Log lines name outbox ids and SMTP codes, never addresses or pseudonyms. An outage is logged
when it starts (WARNING), again only every hour it lasts or when its cause changes, and once
it is over, at INFO, with how long it lasted and how many waiting mails then went out
("SMTP back after 14 min: 3 waiting mails sent"): a log read the next morning tells whether
anything is still owed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiosmtplib

from bot.config import ConfigError, EmailSettings
from bot.durations import spoken
from bot.outbox import due, until_idle, wait_or_poll
from bot.transports.email.mime import MessageBuilder
from commands.email.addresses import masked
from commands.email.mailings import Composer, Letter, Skip
from commands.framework.calendar import Schedule
from storage.db import Database
from storage.repos import actions, emails, outbox
from storage.retry import Backoff
from storage.types import utcnow

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 30
# One mail the server refused for now (4xx): 2**n seconds after n tries, at most 30 minutes.
RETRY = Backoff(first=1.0, cap=1800.0)
# The server unreachable: every waiting mail waits 1 s, 2 s, 4 s, ... at most 5 minutes.
OUTAGE = Backoff(first=1.0, cap=300.0)
CLOSE_IDLE_AFTER = 30.0
# On stop, the round in progress may finish (so accepted mails get marked sent) this long.
STOP_PATIENCE = 20.0
# While the server stays away, the log says so again this often (each retry goes to DEBUG).
OUTAGE_REMINDER = timedelta(hours=1)

_CONNECTION_TROUBLE = (
    aiosmtplib.SMTPConnectError,
    aiosmtplib.SMTPServerDisconnected,
    aiosmtplib.SMTPTimeoutError,
    aiosmtplib.SMTPHeloError,
    aiosmtplib.SMTPAuthenticationError,
    aiosmtplib.SMTPNotSupported,
    ConnectionError,
    OSError,
    TimeoutError,
)


@dataclass
class _Outcome:
    sent: list[int] = field(default_factory=list)
    temporary: list[tuple[Letter, str]] = field(default_factory=list)
    permanent: list[tuple[Letter, str]] = field(default_factory=list)
    # Not tried because the server could not be reached (or the connection broke).
    unsent: list[Letter] = field(default_factory=list)
    trouble: str | None = None


@dataclass
class _Outage:
    """The SMTP server unreachable since ``since`` (the first failed round)."""

    since: datetime
    trouble: str | None
    noted_at: datetime
    # Mails that still went out in rounds that also failed (a connection that broke midway).
    sent: int = 0


@dataclass
class _Recovery:
    """The server back after ``lasted``: counts what went out until nothing was left to send."""

    lasted: timedelta
    sent: int = 0
    refused: int = 0
    deferred: int = 0


class Mailer:
    def __init__(
        self,
        db: Database,
        settings: EmailSettings,
        schedule: Schedule,
        *,
        clock: Callable[[], datetime] = utcnow,
        environ: Mapping[str, str] = os.environ,
        poll_seconds: float = 1.0,
        batch: int = 250,
        public_url: str = "",
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.password: str | None = None
        if settings.username:
            self.password = environ.get(settings.password_env)
            if not self.password:
                raise ConfigError(
                    f"[email] username is set but the environment variable "
                    f"{settings.password_env} (password_env) is empty"
                )
        self.composer = Composer(schedule, db.vault)
        self.builder = MessageBuilder(
            settings.sender, settings.list_unsubscribe, one_click=one_click(settings, public_url)
        )
        self._idle: list[aiosmtplib.SMTP] = []
        self._outage_delay = 0.0
        self._outage_rounds = 0  # rounds in a row that found the server away
        self._outage: _Outage | None = None
        self._recovery: _Recovery | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.sent = 0
        self.failed = 0
        self.connections_opened = 0
        # Who this process is (bot/serving.py): its claims carry it.
        self.owner: str | None = None

    # -- running ----------------------------------------------------------------------
    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="mailer")

    async def stop(self) -> None:
        if self._task is not None:
            # Let the round in progress finish: a mail the server took but we never marked
            # sent would go out again after its lease.
            self._stopping = True
            self._wake.set()
            try:
                await asyncio.wait_for(self._task, timeout=STOP_PATIENCE)
            except TimeoutError:
                logger.warning("mailer stopped in the middle of a round")
            self._task = None
            self._stopping = False
        self._log_recovery()
        await self.close_connections()

    async def _loop(self) -> None:
        last_work = time.monotonic()
        check = outbox.due_check(outbox.of_kind("email"))
        look = True  # at start: send what is already waiting
        while not self._stopping:
            if look:
                try:
                    while not self._stopping and await self.run_once():
                        last_work = time.monotonic()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("mailer round failed; retrying shortly")
            if self._idle and time.monotonic() - last_work > CLOSE_IDLE_AFTER:
                await self.close_connections()
            woken = await wait_or_poll(self._wake, self.poll_seconds)
            look = woken or await due(self.db, check, self.clock())

    async def drain(self, max_rounds: int = 1000) -> int:
        """Send everything due now (tests, benchmarks). Returns rows handled."""
        return await until_idle(self.run_once, max_rounds)

    async def close_connections(self) -> None:
        idle, self._idle = self._idle, []
        for client in idle:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()

    # -- one round --------------------------------------------------------------------
    async def run_once(self) -> int:
        now = self.clock()
        async with self.db.write() as conn:
            rows = await outbox.claim(
                conn,
                outbox.of_kind("email"),
                now=now,
                lease=LEASE,
                limit=self.batch,
                by=self.owner,
            )
            if not rows:
                self._log_recovery()  # what waited for the server has gone out
                return 0
            composed = await self.composer.compose(conn, rows, now)
        attempts = {row.id: row.attempts + 1 for row in rows}
        letters = [c for c in composed if isinstance(c, Letter)]
        skipped = [c for c in composed if isinstance(c, Skip)]
        outcome = await self._send(letters, now)
        await self._record(outcome, skipped, attempts, letters)
        return len(rows)

    async def _send(self, letters: list[Letter], now: datetime) -> _Outcome:
        outcome = _Outcome()
        queue = deque(letters)
        workers = min(self.settings.connections, len(queue))
        await asyncio.gather(*(self._worker(queue, outcome, now) for _ in range(workers)))
        outcome.unsent.extend(queue)
        return outcome

    async def _worker(self, queue: deque[Letter], outcome: _Outcome, now: datetime) -> None:
        client: aiosmtplib.SMTP | None = None
        reused = False
        try:
            while queue and outcome.trouble is None:
                letter = queue.popleft()
                if client is None:
                    try:
                        client, reused = await self._client()
                    except _CONNECTION_TROUBLE as exc:
                        outcome.trouble = _describe(exc)
                        outcome.unsent.append(letter)
                        return
                message = self.builder.build(letter, now)
                try:
                    await client.sendmail(self.settings.sender, [letter.to], message)
                except _CONNECTION_TROUBLE as exc:
                    client.close()
                    client = None
                    if reused:
                        # A pooled connection the server dropped while idle: try once more
                        # on a fresh one before calling the server unreachable.
                        reused = False
                        queue.appendleft(letter)
                        continue
                    outcome.trouble = _describe(exc)
                    outcome.unsent.append(letter)
                    return
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    code = exc.recipients[0].code if exc.recipients else 550
                    self._refused(outcome, letter, code, exc.recipients[0].message)
                    continue
                except (aiosmtplib.SMTPDataError, aiosmtplib.SMTPRecipientRefused) as exc:
                    self._refused(outcome, letter, exc.code, exc.message)
                    continue
                except aiosmtplib.SMTPResponseException as exc:
                    # The sender refused, or another answer about our side: try later.
                    outcome.temporary.append((letter, f"{exc.code} {exc.message}"))
                    continue
                except ValueError as exc:  # an address aiosmtplib will not send to
                    outcome.permanent.append((letter, f"the address was refused ({exc})"))
                    continue
                outcome.sent.append(letter.outbox_id)
                reused = True
        finally:
            if client is not None:
                self._idle.append(client)

    def _refused(self, outcome: _Outcome, letter: Letter, code: int, message: str) -> None:
        # The server's text often quotes the address; keep only a masked form of it.
        reason = f"{code} {message.replace(letter.to, masked(letter.to))}"[:300]
        if code >= 500:
            outcome.permanent.append((letter, reason))
        else:
            outcome.temporary.append((letter, reason))

    async def _client(self) -> tuple[aiosmtplib.SMTP, bool]:
        while self._idle:
            client = self._idle.pop()
            if client.is_connected:
                return client, True
            client.close()
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            timeout=s.timeout,
            use_tls=s.tls,
            start_tls=s.starttls,
            username=s.username or None,
            password=self.password,
        )
        await client.connect()
        self.connections_opened += 1
        return client, False

    async def _record(
        self,
        outcome: _Outcome,
        skipped: list[Skip],
        attempts: dict[int, int],
        letters: list[Letter],
    ) -> None:
        now = self.clock()
        if outcome.unsent:
            self._outage_delay = OUTAGE.delay(self._outage_rounds)
            self._outage_rounds += 1
            self._note_trouble(outcome, now)
        else:
            if outcome.sent:
                self._outage_delay = 0.0
                self._outage_rounds = 0
            self._note_answer(outcome, now)
        async with self.db.write() as conn:
            await outbox.mark_sent(conn, outcome.sent, now)
            sent = set(outcome.sent)
            for letter in letters:
                if letter.delivers is not None and letter.outbox_id in sent:
                    # An action delivered to its target: recorded with the row marked sent.
                    await actions.record_delivered(
                        conn, letter.delivers, self.builder.message_id(letter), now
                    )
            await outbox.give_back(
                conn,
                [letter.outbox_id for letter in outcome.unsent],
                available_at=now + timedelta(seconds=self._outage_delay),
                error=f"SMTP server unreachable: {outcome.trouble}",
            )
            for letter, reason in outcome.temporary:
                tries = attempts[letter.outbox_id]
                if tries >= MAX_ATTEMPTS:
                    await outbox.mark_failed(conn, letter.outbox_id, now=now, error=reason)
                    logger.error("mail %s gave up after %d attempts", letter.outbox_id, tries)
                    continue
                delay = timedelta(seconds=RETRY.delay(tries))
                await outbox.mark_retry(
                    conn, letter.outbox_id, available_at=now + delay, error=reason
                )
            for letter, reason in outcome.permanent:
                await outbox.mark_failed(conn, letter.outbox_id, now=now, error=reason)
                if letter.member_id is not None:
                    await emails.record_failure(
                        conn, self.db.vault, letter.member_id, letter.to, reason, now
                    )
                logger.warning("mail %s refused permanently (%s)", letter.outbox_id, reason[:3])
            for skip in skipped:
                await outbox.mark_failed(conn, skip.outbox_id, now=now, error=skip.reason)
        self.sent += len(outcome.sent)
        self.failed += len(outcome.permanent)

    # -- what the log says about outages ----------------------------------------------
    def _note_trouble(self, outcome: _Outcome, now: datetime) -> None:
        outage = self._outage
        if outage is None:
            # Down again before what waited had all gone out: it was back, for a while.
            self._log_recovery()
            self._outage = _Outage(since=now, trouble=outcome.trouble, noted_at=now)
            logger.warning(
                "SMTP server unreachable (%s): %d mail(s) wait; trying again in %.0f s, then "
                "at growing intervals up to %.0f s",
                outcome.trouble,
                len(outcome.unsent),
                self._outage_delay,
                OUTAGE.cap,
            )
        elif outcome.trouble != outage.trouble or now - outage.noted_at >= OUTAGE_REMINDER:
            outage.trouble, outage.noted_at = outcome.trouble, now
            logger.warning(
                "SMTP server still unreachable after %s (%s): %d mail(s) wait",
                spoken((now - outage.since).total_seconds()),
                outcome.trouble,
                len(outcome.unsent),
            )
        else:
            logger.debug(
                "SMTP server unreachable (%s): %d mail(s) wait %.0f s",
                outcome.trouble,
                len(outcome.unsent),
                self._outage_delay,
            )
        self._outage.sent += len(outcome.sent)

    def _note_answer(self, outcome: _Outcome, now: datetime) -> None:
        """The server answered every mail of a round: an outage, if there was one, is over
        (measured from its first failure to this first answer)."""
        if self._outage is not None and (outcome.sent or outcome.temporary or outcome.permanent):
            outage, self._outage = self._outage, None
            self._recovery = _Recovery(lasted=now - outage.since, sent=outage.sent)
        recovery = self._recovery
        if recovery is not None:
            recovery.sent += len(outcome.sent)
            recovery.refused += len(outcome.permanent)
            recovery.deferred += len(outcome.temporary)

    def _log_recovery(self) -> None:
        recovery, self._recovery = self._recovery, None
        if recovery is None:
            return
        details = "".join(
            f", {count} {what}"
            for count, what in (
                (recovery.refused, "refused"),
                (recovery.deferred, "deferred by the server"),
            )
            if count
        )
        logger.info(
            "SMTP back after %s: %d waiting mail%s sent%s",
            spoken(recovery.lasted.total_seconds()),
            recovery.sent,
            "" if recovery.sent == 1 else "s",
            details,
        )


def one_click(settings: EmailSettings, public_url: str) -> Callable[[str], str] | None:
    """The https address a mail provider POSTs to for a one-click unsubscribe (RFC 8058),
    served by the public pages (bot/web/leaving.py); None without an https public_url or
    when [email] unsubscribe names another address."""
    if not public_url.startswith("https://") or settings.unsubscribe.startswith("https://"):
        return None
    return lambda token: f"{public_url}/unsubscribe/{token}"


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]
