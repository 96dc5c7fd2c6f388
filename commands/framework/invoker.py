"""The invoker: one line (or one parsed command) in, one Reply out, one transaction.

Transports call ``Invoker.handle`` for typed lines and ``Invoker.invoke`` for structured
input (slash commands, buttons). Parsing, cleaning member text, the where-check (private
commands are never acted on in public), roles, bans, the delay of public posts and the
transaction around the handler all happen here, once.

A command answered in public runs for nobody in particular: whoever asks, the channel gets
the same answer (no membership or role hints, times in the configured zone, hidden ideas
shown to nobody). Every line said in public is shown to the features that watch for
something in it (``seen_in_public``: a registration code is burned), and news a feature
keeps for a member is added to their next reply (``ReplyNote``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError

from commands.framework import deferral, member_text
from commands.framework.calendar import Schedule
from commands.framework.context import Ctx
from commands.framework.privacy import NO_DELAY, Privacy
from commands.framework.registry import Command, Param, Registry, ReplyNote, UsageError
from commands.framework.reply import CommandError, IdentityRef, Reply, Role
from commands.framework.rules import Rules
from commands.framework.trust import Trust
from storage.db import CommitInDoubt, Database, lost_connection
from storage.repos import members, outbox
from storage.retry import Backoff, retry
from storage.types import utcnow

logger = logging.getLogger(__name__)

OOPS = (
    "Something went wrong on our side and nothing was changed. Please try again in a "
    "moment; if it keeps happening, tell a moderator."
)
IN_DOUBT = (
    "The connection to the database broke while this was being saved, so I can't tell "
    "whether it was. Please check (for example with `idea N`, `campaign N` or `whoami`) before you "
    "send it again."
)
SEEN_EVERY = timedelta(minutes=10)
RETRIES = 3
# Between the tries of a command whose transaction met a conflict: a few milliseconds,
# drawn at random, so two commands that collided don't collide again in step.
CONFLICT_BACKOFF = Backoff(first=0.005, cap=0.05, jitter=True)
SUSPENDED = "Your membership is suspended by the moderators, so I can't act on your commands."
INVISIBLE_IN_NAME = (
    "That name has an invisible or control character in it (U+{code:04X}), which could make "
    "it look like something else. Please type it again with letters, digits and ordinary "
    "punctuation."
)


@dataclass
class Invoker:
    db: Database
    registry: Registry
    rules: Rules
    spaces: tuple[str, ...]
    admin_identities: frozenset[str] = frozenset()
    clock: Callable[[], datetime] = utcnow
    # Called after a commit that queued outbox rows, so delivery starts at once.
    on_outbox: Callable[[], None] | None = None
    # Called after every command that succeeded (for example, a transport refreshing the
    # vote counts it shows); a listener must be quick and must not raise.
    listeners: list[Callable[[Command, Reply], None]] = field(default_factory=list)
    stats: dict[str, int] = field(default_factory=dict)
    # Told of every invocation: (platform, command, outcome, seconds); /metrics counts them.
    on_invoked: Callable[[str, str, str, float], None] | None = None
    schedule: Schedule = field(default_factory=Schedule)
    email_enabled: bool = False
    privacy: Privacy = NO_DELAY
    # Names no member may show beside their pseudonym: the bot's own, on every platform.
    reserved_names: frozenset[str] = frozenset({"dynamo"})
    # The public address of the web pages (Ctx.web_url): None when [web] is off.
    web_url: str | None = None
    # Who may vouch for newcomers ([trust]).
    trust: Trust = field(default_factory=Trust)

    async def handle(self, identity: IdentityRef, line: str, *, where: str) -> Reply:
        """Parse a typed line and run it."""
        problem = _unreadable(line)
        if problem:
            return await self._standing(identity, Reply.error(problem))
        try:
            command, args = self.registry.parse(member_text.one_line(line))
        except UsageError as exc:
            return await self._standing(identity, Reply.error(str(exc)))
        return await self.invoke(identity, command, args, where=where)

    async def _standing(self, identity: IdentityRef, reply: Reply) -> Reply:
        """Mark a refusal with its sender's standing, as a command's reply is: a member's
        answers then keep their order on a transport that sends members' replies first
        (IRC's flood queue), instead of a typo's answer coming after the next reply."""
        try:
            async with self.db.read() as conn:
                key_hash = self.db.vault.digest(identity.key)
                member = await members.member_by_identity(conn, key_hash)
        except (DBAPIError, OSError):
            # The database is away: the refusal still goes out, in the strangers' turn.
            return reply
        reply.member = member is not None and member.banned_at is None
        return reply

    async def seen_in_public(self, identity: IdentityRef, text: str) -> str | None:
        """Show a line said in public to the features that watch for something in it;
        returns what to tell its sayer privately, or None (the usual case)."""
        for watch in self.registry.public_watches:
            told = await watch(self.db, identity.platform, text, self.clock())
            if told is not None:
                return told
        return None

    async def invoke(
        self,
        identity: IdentityRef,
        command: Command,
        args: dict[str, Any],
        *,
        where: str,
        member_id: int | None = None,
    ) -> Reply:
        """Run a parsed command. ``member_id``: the member is known by a session, not by an
        account (the web editor): they act as that member, in private, with their own role."""
        started = time.perf_counter()
        if where != "dm" and command.private:
            reply = Reply(
                f"I did not act on that: send `{command.name} ...` to me in a private "
                f"message instead. In a channel it would show everyone who is behind your "
                f"pseudonym.",
                ok=False,
                private_hint=True,
            )
            self._log(identity.platform, command.name, "refused-public", started)
            return await self._standing(identity, reply)
        try:
            args = _cleaned(command, args)
        except UsageError as exc:
            return await self._standing(identity, Reply.error(str(exc)))
        try:
            reply = await retry(
                lambda: self._run(identity, command, args, where, member_id),
                backoff=CONFLICT_BACKOFF,
                retry_if=_transient,
                tries=RETRIES,
            )
        except CommandError as exc:
            reply = await self._standing(identity, Reply.error(str(exc)))
        except CommitInDoubt:
            logger.error("command %s: the database connection broke during commit", command.name)
            reply = Reply.error(IN_DOUBT)
        except DBAPIError:
            logger.exception("command %s failed in the database", command.name)
            reply = Reply.error(OOPS)
        except Exception:
            logger.exception("command %s failed", command.name)
            reply = Reply.error(OOPS)
        if reply.data.get("later"):
            # Not which command: the line's time is when the member acted, and naming what
            # it was would tie it to the post that comes out later (commands.framework.deferral).
            self._log(identity.platform, "later", "queued", started)
        else:
            self._log(identity.platform, command.name, "ok" if reply.ok else "refused", started)
            if reply.ok:
                self._after(command, reply)
                if reply.data.get("compact"):
                    await self._compact(list(reply.data["compact"]))
        return reply

    async def _compact(self, tables: list[str]) -> None:
        """After an erasure (`leave`): rewrite the files so no copy of the erased values is
        left on disk in free pages, the WAL or dead row versions (Database.compact)."""
        try:
            await self.db.compact(tables)
        except Exception:
            # The erasure itself is committed; the old copies go at the next compaction.
            logger.exception("compacting after an erasure failed")

    async def carry_out(self, row: Any) -> bool:
        """Run a command queued by `deferral.submit` (an outbox row of kind ``command``),
        now that its moment has come; False when it had been carried out already."""
        command = self.registry.get(row.event)
        started = time.perf_counter()
        async with self.db.write() as conn:
            if not await outbox.take(conn, row):
                return False  # another process got there first
            member_id, payload = deferral.opened(self.db.vault, row)
            member = None if member_id is None else await members.member_by_id(conn, member_id)
            if command is None or member is None:
                logger.warning("dropped a queued %s: no such command or member", row.event)
                return True
            role = Role.ADMIN if payload.get("admin") else Role.parse(member.role)
            identity = IdentityRef(key=f"member:{member.id}", platform="later")
            ctx = self._ctx(conn, identity, "", "dm", self.clock(), member=member, role=role)
            if member.banned_at is not None:
                deferral.tell(ctx, f"`{command.name}` was not done: {SUSPENDED}")
                reply = Reply.error(SUSPENDED)
            else:
                reply = await deferral.carry_out(ctx, command, dict(payload["args"]))
            await ctx.flush_outbox()
        self._log("later", command.name, "ok" if reply.ok else "refused", started)
        if reply.ok:
            self._after(command, reply)
        if self.on_outbox is not None:
            self.on_outbox()
        return True

    def _after(self, command: Command, reply: Reply) -> None:
        for listener in self.listeners:
            try:
                listener(command, reply)
            except Exception:
                logger.exception("listener failed after %s", command.name)

    async def _run(
        self,
        identity: IdentityRef,
        command: Command,
        args: dict[str, Any],
        where: str,
        member_id: int | None = None,
    ) -> Reply:
        # The one keyed digest of this command (storage/vault.py): accounts are stored only
        # as digests, and this one finds the member, their pending registration, and more.
        key_hash = self.db.vault.digest(identity.key)
        session_scope = self.db.write() if command.writes else self.db.read()
        later = False
        async with session_scope as conn:
            now = self.clock()
            if member_id is None:
                member = await members.member_by_identity(conn, key_hash)
            else:
                member = await members.member_by_id(conn, member_id)
            in_good_standing = member is not None and member.banned_at is None
            if where != "dm":
                # A public answer is the same whoever asks: run it for nobody in particular.
                ctx = self._ctx(conn, identity, key_hash, where, now)
                reply = await command.handler(ctx, **args)
                reply.member = in_good_standing
                return reply
            role = Role.NOBODY
            if member is not None:
                if member.banned_at is not None:
                    return Reply.error(SUSPENDED)
                role = Role.parse(member.role)
            if identity.key in self.admin_identities and member is not None:
                role = Role.ADMIN
            if command.min_role >= Role.MEMBER and member is None:
                return Reply.error(
                    "You need to register first: send me privately `register YOUR-CODE` "
                    "(codes come from your organizers)."
                )
            if role < command.min_role:
                return Reply.error(f"Only {command.min_role.label}s can use `{command.name}`.")
            ctx = self._ctx(conn, identity, key_hash, where, now, member=member, role=role)
            if self.privacy.longest and command.runs_later(args):
                admin = identity.key in self.admin_identities
                reply = await deferral.submit(ctx, command, args, self.privacy, admin=admin)
                later = bool(reply.data.get("later"))
            else:
                reply = await command.handler(ctx, **args)
            reply.member = in_good_standing
            queued = await ctx.flush_outbox() if command.writes else 0
            queued += later
            # A mail to them bounced, or their private messages are closed: tell them now,
            # once (see commands.email and commands.framework.notices). That waits for a
            # command from one of their accounts: a web session has none.
            by_account = member is not None and member_id is None
            news = [n for n in self.registry.notes if by_account and n.applies(member)]
            if news and command.writes:
                reply = await _tell(news, conn, member, key_hash, reply, now)
            if (
                command.writes
                and reply.ok
                and by_account
                and (member.identity_seen_at is None or now - member.identity_seen_at > SEEN_EVERY)
            ):
                await members.touch_identity(conn, key_hash, now)
        if news and not command.writes:
            async with self.db.write() as conn:
                reply = await _tell(news, conn, member, key_hash, reply, now)
        if queued and self.on_outbox is not None:
            self.on_outbox()
        return reply

    def _ctx(
        self,
        conn: Any,
        identity: IdentityRef,
        key_hash: str,
        where: str,
        now: datetime,
        *,
        member: Any = None,
        role: Role = Role.NOBODY,
    ) -> Ctx:
        return Ctx(
            conn=conn,
            identity=identity,
            vault=self.db.vault,
            identity_hash=key_hash,
            where=where,
            now=now,
            rules=self.rules,
            spaces=self.spaces,
            registry=self.registry,
            member=member,
            role=role,
            schedule=self.schedule,
            email_enabled=self.email_enabled,
            reserved_names=self.reserved_names,
            web_url=self.web_url,
            admin_identities=self.admin_identities,
            trust=self.trust,
        )

    def _log(self, platform: str, command: str, outcome: str, started: float) -> None:
        # One line per invocation; never the identity (pseudonymity invariant). Written on
        # the loop's next turn: the transport sends the reply in this one, so formatting and
        # writing the log line never delay a member's answer.
        self.stats[outcome] = self.stats.get(outcome, 0) + 1
        seconds = time.perf_counter() - started
        if self.on_invoked is not None:
            self.on_invoked(platform, command, outcome, seconds)
        ms = seconds * 1000
        name = command.replace(" ", "_")
        asyncio.get_running_loop().call_soon(_log_invocation, platform, name, outcome, ms)


async def _tell(
    news: list[ReplyNote], conn: Any, member: Any, key_hash: str, reply: Reply, now: datetime
) -> Reply:
    for note in news:
        reply = await note.add(conn, member, key_hash, reply, now)
    return reply


def _log_invocation(platform: str, command: str, outcome: str, ms: float) -> None:
    logger.info("invoke platform=%s command=%s outcome=%s ms=%.2f", platform, command, outcome, ms)


def _unreadable(text: str) -> str | None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Your message contains characters I can't read; please retype it."
    return None


def _cleaned(command: Command, args: dict[str, Any]) -> dict[str, Any]:
    """Member text as it will be stored: see commands.framework.member_text."""
    by_name = {param.name: param for param in command.params}
    cleaned = dict(args)
    for name, value in args.items():
        if not isinstance(value, str):
            continue
        problem = _unreadable(value)
        if problem:
            raise UsageError(problem)
        param: Param | None = by_name.get(name)
        shape = param.shape if param is not None else "line"
        if shape == "name":
            odd = member_text.unsafe_characters(value, joiners=True)
            if odd is not None:
                raise UsageError(INVISIBLE_IN_NAME.format(code=ord(odd)))
        cleaned[name] = (
            member_text.clean_lines(value) if shape == "lines" else member_text.clean(value)
        )
    return cleaned


def _transient(exc: Exception) -> bool:
    """A database failure after which nothing was written and the command can run again: a
    serialization failure or deadlock, SQLite's lock, or a connection the server dropped
    (found at its first statement; see storage.db)."""
    if not isinstance(exc, DBAPIError):
        return False
    if lost_connection(exc):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return sqlstate in {"40001", "40P01"} or "database is locked" in str(exc.orig)
