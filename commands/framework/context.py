"""What a command receives (Ctx) and what it gives back (Reply)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from commands.framework import calendar, notices
from commands.framework.calendar import Schedule
from commands.framework.registry import Registry
from commands.framework.reply import CommandError, IdentityRef, Role
from commands.framework.rules import Rules
from commands.framework.trust import Trust
from storage.repos import members, outbox, prefs
from storage.vault import Vault

if TYPE_CHECKING:
    import sqlalchemy as sa


@dataclass
class Ctx:
    conn: AsyncConnection
    identity: IdentityRef
    where: str  # "dm" or "channel"
    now: datetime
    rules: Rules
    # The spaces this process knows of (its own, and the others it last read of): an
    # announcement goes to these and to every other the database knows as it is written.
    spaces: tuple[str, ...]
    registry: Registry
    # The project secret: digests to look accounts up by, sealed keys and addresses.
    vault: Vault
    # The keyed digest of ``identity.key``, made once per command by the invoker.
    identity_hash: str = ""
    member: sa.Row | None = None
    role: Role = Role.NOBODY
    pending: list[dict[str, Any]] = field(default_factory=list)
    schedule: Schedule = field(default_factory=Schedule)
    email_enabled: bool = False
    # Names a member may not show (the bot's own, on every platform).
    reserved_names: frozenset[str] = frozenset()
    # The public address of the web pages, for links to them: None when [web] is off, ""
    # when it has no public_url.
    web_url: str | None = None
    # A trial run, always rolled back, to check a command that runs later
    # (commands.framework.deferral): a handler may stop short of a write that would use up a
    # number people see (an idea's: PostgreSQL's sequences don't roll back).
    trial: bool = False
    # A command queued earlier and carried out now (commands.framework.deferral): it was asked for
    # before ``now``, so a deadline that passed while it waited does not refuse it.
    carried_out: bool = False
    # The configured admin accounts ([admins]): staff whatever their role in the database.
    admin_identities: frozenset[str] = frozenset()
    # Who may vouch for newcomers ([trust]).
    trust: Trust = field(default_factory=Trust)
    _zone: ZoneInfo | None = field(default=None, repr=False)

    @property
    def member_id(self) -> int:
        if self.member is None:
            raise CommandError("You need to register first: send `register YOUR-CODE`.")
        return int(self.member.id)

    @property
    def pseudonym(self) -> str:
        assert self.member is not None
        return str(self.member.pseudonym)

    def announce(self, event: str, text: str, **data: Any) -> None:
        """Queue an announcement to every space (written with this transaction): those the
        database knows of as it is written, not only those this process has heard of
        (``spaces``), so a network whose process has just started hears it too."""
        payload = {"text": text, **data}
        # Announcements about one idea or campaign keep their order in each space.
        number = data.get("campaign_id") or data.get("idea_id")
        self.pending.append(
            {
                "kind": "announce",
                "space": None,  # every space: one row each (storage.repos.outbox.add)
                "stream": None if number is None else str(number),
                "event": event,
                "payload": payload,
                "created_at": self.now,
                "available_at": self.now,
                "attempts": 0,
            }
        )

    def notify(
        self,
        member_ids: Iterable[int],
        event: str,
        text: str,
        *,
        notice: str = notices.FOLLOWING,
        **data: Any,
    ) -> None:
        """Queue a private notice to each member; their ``notify`` preference decides whether
        it comes by DM, email, both, in the daily digest or not at all (see
        commands.framework.notices).
        """
        payload = {"text": text, **data}
        for member_id in member_ids:
            self.pending.append(
                {
                    "kind": "notice",
                    "notice": notice,
                    "member_id": member_id,
                    "event": event,
                    "payload": payload,
                    "created_at": self.now,
                }
            )

    def tell_account(self, member_id: int, identity_id: int, event: str, text: str) -> None:
        """Queue a private message to one of a member's accounts (by its row id, never its
        key), whatever their ``notify`` choice: what only the holder of that very account
        can act on, such as another account being linked. It waits while that account is
        unreachable (see bot/outbox.py)."""
        self.pending.append(
            {
                "kind": "dm",
                "member_id": member_id,
                "event": event,
                "payload": {"text": text, "identity_id": identity_id},
                "created_at": self.now,
                "available_at": self.now,
                "attempts": 0,
            }
        )

    def email(self, member_id: int, event: str, **data: Any) -> None:
        """Queue an email to one member whatever their ``notify`` choice (verification
        codes, the weekly update); commands.email.mailings says what it contains."""
        self.pending.append(
            {
                "kind": "email",
                "member_id": member_id,
                "event": event,
                "payload": data,
                "created_at": self.now,
                "available_at": self.now,
                "attempts": 0,
            }
        )

    async def notify_in_zones(
        self,
        member_ids: Iterable[int],
        event: str,
        render: Callable[[ZoneInfo], str],
        *,
        notice: str = notices.FOLLOWING,
        **data: Any,
    ) -> None:
        """Like ``notify``, for a text with times in it: each member reads them in their zone."""
        ids = list(dict.fromkeys(member_ids))
        chosen = await prefs.timezones_of(self.conn, ids)
        groups: dict[str, list[int]] = {}
        for member_id in ids:
            groups.setdefault(chosen.get(member_id, self.schedule.timezone), []).append(member_id)
        for name, group in groups.items():
            text = render(_safe_zone(name, self.schedule))
            self.notify(group, event, text, notice=notice, **data)

    async def staff(self) -> list[int]:
        """The moderators and admins (by role, and the configured admin accounts)."""
        hashes = sorted(self.vault.digest(key) for key in self.admin_identities)
        return await members.staff_ids(self.conn, hashes)

    async def zone(self) -> ZoneInfo:
        """The invoker's time zone: their own, else the configured one."""
        if self._zone is None:
            if self.member is None:
                self._zone = _safe_zone(self.schedule.timezone, self.schedule)
            else:
                self._zone = await self.zone_of(self.member_id)
        return self._zone

    async def zone_of(self, member_id: int) -> ZoneInfo:
        """A member's time zone: their own, else the configured one."""
        name = await prefs.timezone_of(self.conn, member_id)
        return _safe_zone(name or self.schedule.timezone, self.schedule)

    async def flush_outbox(self) -> int:
        queued = [row for row in self.pending if row["kind"] != "notice"]
        routed = await notices.expand(
            self.conn, [row for row in self.pending if row["kind"] == "notice"]
        )
        # One executemany needs the same keys in every row (announcements have no member,
        # notices no space).
        rows: Sequence[dict[str, Any]] = [
            {"space": None, "member_id": None, "stream": None, **row} for row in queued + routed
        ]
        n = await outbox.add(self.conn, rows, also=self.spaces)
        self.pending = []
        return n


def _safe_zone(name: str, schedule: Schedule) -> ZoneInfo:
    # A zone saved earlier may vanish from a later tzdata; fall back rather than fail.
    try:
        return calendar.zone(name)
    except calendar.TimeError:
        return schedule.zone
