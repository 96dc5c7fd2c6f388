"""What each email says: verification codes, notices and the weekly update.

The mailer (bot/transports/email/mailer.py) claims ``email`` outbox rows and asks
``Composer.compose`` for their letters; it knows SMTP, this module knows the words. The
address is looked up when the mail is composed, so ``email off`` stops even mails already
queued. Bulletins are
rendered once per time zone, not once per member.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from commands import codes, updates
from commands.email import CODE_LIFETIME, delivery, outside
from commands.framework import calendar
from commands.framework.calendar import Schedule
from commands.framework.formatting import one_line_quotes, plain
from storage.repos import emails, ledger
from storage.vault import Vault

NOTICE_FOOTER = (
    "You get these because you chose `notify email`. To stop, send the Dynamo bot privately: "
    "notify dm (or email off to stop every email)."
)


@dataclass(frozen=True)
class Attachment:
    """A document sent along with a mail."""

    filename: str
    # "text/markdown" or "text/plain": a text document in UTF-8.
    media_type: str
    text: str


@dataclass(frozen=True)
class Letter:
    outbox_id: int
    # None for a person without a chat account (commands/email/outside.py).
    member_id: int | None
    to: str
    subject: str
    text: str
    html: str
    # For List-Unsubscribe; None on mails that are not list mail (verification codes).
    unsubscribe_token: str | None
    # Names the bulletin a mail belongs to, for its Message-ID.
    reference: str
    attachments: tuple[Attachment, ...] = ()
    # The action whose delivery to its target this mail is (recorded once it is sent).
    delivers: int | None = None


@dataclass(frozen=True)
class Skip:
    """A row with nothing to send any more (the member forgot their address)."""

    outbox_id: int
    reason: str


class Composer:
    def __init__(self, schedule: Schedule, vault: Vault, *, cache_size: int = 64) -> None:
        self.schedule = schedule
        # Addresses are stored sealed; they are opened here, for the envelope only.
        self.vault = vault
        self.cache_size = cache_size
        self._contents: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._rendered: dict[tuple[str, str, str], tuple[str, str, str]] = {}

    async def compose(
        self, conn: AsyncConnection, rows: Sequence[Any], now: datetime
    ) -> list[Letter | Skip]:
        """Letters for claimed rows; call in a write transaction (codes are stored)."""
        members = [int(r.member_id) for r in rows if r.member_id is not None]
        found = await emails.recipients(conn, self.vault, members)
        out: list[Letter | Skip] = []
        for row in rows:
            if row.member_id is None and row.event == delivery.EVENT:
                out.append(await self._delivery(conn, row))
                continue
            if row.member_id is None:
                out.append(await self._outside(conn, row, now))
                continue
            who = found.get(int(row.member_id))
            if row.event == "verify_email":
                out.append(await self._verification(conn, row, who, now))
                continue
            if who is None or who.address is None or who.failed_at is not None:
                out.append(Skip(row.id, "no deliverable address any more"))
                continue
            zone = self._zone(who.timezone)
            if "ledger" in row.payload:
                kind, period = row.payload["ledger"]
                rendered = await self._bulletin(conn, kind, period, zone)
                if rendered is None:
                    out.append(Skip(row.id, f"bulletin {kind} {period} is gone"))
                    continue
                subject, text, body = rendered
                reference = f"{kind}.{period}"
            else:
                subject, text, body = notice(row.payload["text"])
                reference = row.event
            out.append(
                Letter(
                    outbox_id=row.id,
                    member_id=int(row.member_id),
                    to=who.address,
                    subject=subject,
                    text=text,
                    html=body,
                    unsubscribe_token=who.unsubscribe_token,
                    reference=reference,
                )
            )
        return out

    def _zone(self, name: str | None) -> ZoneInfo:
        try:
            return calendar.zone(name) if name else self.schedule.zone
        except calendar.TimeError:
            return self.schedule.zone

    async def _verification(
        self, conn: AsyncConnection, row: Any, who: Any, now: datetime
    ) -> Letter | Skip:
        if who is None or who.pending_address is None:
            return Skip(row.id, "no address waits for verification")
        code = codes.generate(groups=2)
        to = await emails.set_code(
            conn,
            self.vault,
            int(row.member_id),
            codes.digest(codes.normalize(code) or ""),
            now + CODE_LIFETIME,
        )
        if to is None:
            return Skip(row.id, "no address waits for verification")
        hours = int(CODE_LIFETIME.total_seconds() // 3600)
        text = (
            f"Your Dynamo verification code is {code}\n\n"
            f"Send it to the Dynamo bot in a private message:\n\n    verify {code}\n\n"
            f"It works for {hours} hours. If you did not ask for this, ignore this mail: "
            f"nobody will mail you again."
        )
        body = (
            f"<p>Your Dynamo verification code is <strong>{code}</strong></p>"
            f"<p>Send it to the Dynamo bot in a private message: <code>verify {code}</code></p>"
            f"<p>It works for {hours} hours. If you did not ask for this, ignore this mail: "
            f"nobody will mail you again.</p>"
        )
        return Letter(
            outbox_id=row.id,
            member_id=int(row.member_id),
            to=to,
            subject="Your Dynamo verification code",
            text=text,
            html=body,
            unsubscribe_token=None,
            reference="verify",
        )

    async def _delivery(self, conn: AsyncConnection, row: Any) -> Letter | Skip:
        mail = await delivery.compose(conn, self.vault, row)
        if isinstance(mail, str):
            return Skip(row.id, mail)
        return Letter(
            outbox_id=row.id,
            member_id=None,
            to=mail.to,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            unsubscribe_token=None,
            reference=f"action-{mail.action_id}.delivery",
            attachments=(Attachment(mail.filename, "text/markdown", mail.document),),
            delivers=mail.action_id,
        )

    async def _outside(self, conn: AsyncConnection, row: Any, now: datetime) -> Letter | Skip:
        mail = await outside.compose(conn, self.vault, row, now, self.schedule.zone)
        if isinstance(mail, str):
            return Skip(row.id, mail)
        return Letter(
            outbox_id=row.id,
            member_id=None,
            to=mail.to,
            subject=mail.subject,
            text=mail.text,
            html=mail.html,
            unsubscribe_token=mail.leave_token,
            reference=mail.reference,
        )

    async def _bulletin(
        self, conn: AsyncConnection, kind: str, period: str, zone: ZoneInfo
    ) -> tuple[str, str, str] | None:
        key = (kind, period, zone.key)
        if key in self._rendered:
            return self._rendered[key]
        if (kind, period) not in self._contents:
            self._trim()
            self._contents[(kind, period)] = await ledger.content(conn, kind, period)
        content = self._contents[(kind, period)]
        if content is None or kind != updates.KIND:
            return None
        rendered = (
            updates.subject(content, zone),
            updates.email_text(content, zone),
            updates.email_html(content, zone),
        )
        self._rendered[key] = rendered
        return rendered

    def _trim(self) -> None:
        # Bulletins are few and short-lived; forget them all rather than track ages.
        if len(self._contents) >= self.cache_size:
            self._contents.clear()
            self._rendered.clear()


def notice(text: str) -> tuple[str, str, str]:
    """Subject, text and HTML of a notice by email."""
    text = plain(one_line_quotes(text))
    first = text.split("\n", 1)[0]
    subject = first if len(first) <= 70 else first[:69].rstrip() + "…"
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    return (
        f"Dynamo: {subject}",
        f"{text}\n\n{NOTICE_FOOTER}",
        f"{paragraphs}<p><small>{html.escape(NOTICE_FOOTER)}</small></p>",
    )
