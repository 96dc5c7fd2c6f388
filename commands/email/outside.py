"""What mails to people without a chat account say (commands/outsiders.py): the link to
confirm a signature or a follow, the news that a signature counts, and a followed
campaign's part of the weekly update. Each but the first carries the link to leave.

The confirmation link is made when the mail is composed and only its hash is stored, like
members' verification codes.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from commands import outsiders, updates
from commands.framework.formatting import one_line_quotes, plain, quote
from storage.repos import campaigns, ledger
from storage.repos import outsiders as outsider_repo
from storage.vault import Vault


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    # For List-Unsubscribe: the link to leave (none on the confirmation mail).
    leave_token: str | None
    reference: str


async def compose(
    conn: AsyncConnection, vault: Vault, row: Any, now: datetime, zone: ZoneInfo
) -> Mail | str:
    """The mail of an outsider's outbox row, or why there is nothing to send."""
    payload = row.payload
    base = str(payload.get("base") or "")
    if not base:
        return "no [web] public_url for the links"
    outsider_id = int(payload["outsider"])
    who = await outsider_repo.get(conn, outsider_id)
    if who is None:
        return "that person has left"
    campaign = await campaigns.get(conn, int(who.campaign_id))
    if campaign is None:
        return "no such campaign"
    title = f"campaign #{campaign.id} ({quote(campaign.text)})"
    leave = f"{base}/unsubscribe/{outsiders.leave_token(vault, who)}"
    if row.event == "outside_confirm":
        if who.confirmed_at is not None:
            return "confirmed already"
        token = outsiders.new_link_token()
        await outsider_repo.set_token(
            conn, outsider_id, outsiders.token_hash(token), now + outsiders.LINK_LIFETIME
        )
        subject, text = _confirmation(who, title, f"{base}/confirm/{token}")
        token_for_list = None
    elif row.event == "outside_signed":
        subject = f"Dynamo: your signature on campaign #{campaign.id} counts"
        text = (
            f"Thank you: your signature on the petition of {title} counts now, as "
            f"{_as(who)}.\n\nTo withdraw it, open this link and press the button: {leave}"
        )
        token_for_list = outsiders.leave_token(vault, who)
    elif row.event == "outside_following":
        subject = f"Dynamo: you follow campaign #{campaign.id}"
        text = (
            f"You follow {title}: its part of the weekly update comes to this address.\n\n"
            f"To stop, open this link and press the button: {leave}"
        )
        token_for_list = outsiders.leave_token(vault, who)
    else:
        kind, period = payload["ledger"]
        found = await ledger.content(conn, kind, period)
        items = [c for c in (found or {}).get("campaigns", []) if c["id"] == who.campaign_id]
        if not items:
            return f"bulletin {kind} {period} has no campaign #{who.campaign_id}"
        lines = updates.section_text(items[0], zone)
        subject = f"Dynamo: this week in campaign #{campaign.id}"
        text = "\n".join(lines) + f"\n\nTo stop these mails, open this link: {leave}"
        body = "\n".join(updates.section_html(items[0], zone)) + _stop_html(leave)
        token = outsiders.leave_token(vault, who)
        return Mail(_to(vault, who), subject, text, body, token, f"{kind}.{period}")
    text = plain(one_line_quotes(text))
    return Mail(_to(vault, who), subject, text, _paragraphs(text), token_for_list, str(row.event))


def _to(vault: Vault, who: Any) -> str:
    return outsider_repo.address(vault, who)


def _as(who: Any) -> str:
    shown = who.name + (f", {who.affiliation}" if who.affiliation else "")
    return f"{who.category}, showing {quote(shown)}"


def _confirmation(who: Any, title: str, link: str) -> tuple[str, str]:
    hours = int(outsiders.LINK_LIFETIME.total_seconds() // 3600)
    if who.action == "sign":
        subject = "Dynamo: confirm your signature"
        asked = f"sign the petition of {title} as {_as(who)}"
    else:
        subject = "Dynamo: confirm that you follow a campaign"
        asked = f"follow {title} by email"
    text = (
        f"Someone, we hope you, asked to {asked} with this address.\n\n"
        f"To confirm, open this link and press Confirm: {link}\n\n"
        f"It works for {hours} hours. If this was not you, ignore this mail: we will not mail "
        f"you again about this campaign."
    )
    return subject, text


def _paragraphs(text: str) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())


def _stop_html(link: str) -> str:
    return f'<p><small>To stop these mails: <a href="{html.escape(link)}">leave</a></small></p>'
