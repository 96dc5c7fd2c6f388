"""People without a chat account sign a campaign's petition or follow its updates by email.

A request from the public pages is checked, then mailed a one-time link (its hash stored,
48 hours); the link's page asks to confirm and only the confirming POST acts (mail scanners
follow links). A confirmed signature counts at a random moment, like a member's `sign`
(commands.framework.deferral), on the petition's version current then, as researcher or
ally (worker needs membership). Every mail after that carries a link to leave in one click.

Against misuse of the form to mail strangers: an address gets at most one confirmation
mail per campaign and action, ever (the unique key of ``outsider``), and the forms are
rate limited per IP and per address in the database. The page answers the same whether
an address is new, waiting or has signed already, so it tells nobody who signed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from commands import shown_names
from commands.email.addresses import valid_address
from commands.framework import calendar, member_text
from commands.framework.privacy import Privacy
from commands.framework.reply import CommandError
from commands.framework.rules import Rules
from commands.petitions import SHOWN_NAME
from storage.repos import activity, campaign_deadlines, campaigns, outbox, outsiders
from storage.vault import Vault

logger = logging.getLogger(__name__)

ACTIONS = ("sign", "follow")
CATEGORIES = ("researcher", "ally")
LINK_LIFETIME = timedelta(hours=48)
AFFILIATION_MAX = 100
# Form uses allowed: per IP address an hour, per email address a day. Kept in the database
# (storage/repos/outsiders.py), so they hold across processes and restarts.
PER_IP = (20, timedelta(hours=1))
PER_ADDRESS = (5, timedelta(days=1))
# The kind of queued row that counts a confirmed signature at its moment (bot/later.py).
COUNT_EVENT = "outside_count"


class Refused(CommandError):
    """A request the page refuses, with the reason to show."""


@dataclass(frozen=True)
class Form:
    campaign_id: int
    action: str
    address: str
    name: str | None = None
    affiliation: str | None = None
    category: str | None = None


def academic(address: str, domains: Iterable[str]) -> bool:
    """Whether an address is at one of the academic domains (suffixes like ``.edu``)."""
    domain = address.rpartition("@")[2].lower()
    for suffix in domains:
        suffix = suffix.lower()
        if domain == suffix.lstrip(".") or domain.endswith("." + suffix.lstrip(".")):
            return True
    return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def leave_token(vault: Vault, row: sa.Row) -> str:
    """The link to leave (withdraw a signature, stop following): derived from the request
    with the project secret, so nothing needs storing and nobody can forge one."""
    return f"o{row.id}-{_leave_mac(vault, int(row.id), row.address_hash)}"


def _leave_mac(vault: Vault, outsider_id: int, address_hash: str) -> str:
    return vault.digest(f"outsider leave:{outsider_id}:{address_hash}")[:32]


async def by_leave_token(conn: AsyncConnection, vault: Vault, token: str) -> sa.Row | None:
    number, sep, mac = token.removeprefix("o").partition("-")
    if not token.startswith("o") or not sep or not number.isdigit() or len(number) > 12:
        return None
    row = await outsiders.get(conn, int(number))
    if row is None or not hmac.compare_digest(
        mac, _leave_mac(vault, int(row.id), row.address_hash)
    ):
        return None
    return row


# -- asking ---------------------------------------------------------------------------


async def check_form(
    conn: AsyncConnection, rules: Rules, reserved: Iterable[str], form: Form
) -> Form:
    """The form as it will be stored, or Refused saying what to change."""
    address = valid_address(member_text.clean(form.address))
    if address is None:
        raise Refused("That doesn't look like an email address (like kristy@example.org).")
    if form.action == "follow":
        return Form(form.campaign_id, "follow", address)
    if form.category not in CATEGORIES:
        raise Refused(
            "Sign as researcher or ally: signing as a worker needs membership (ask an "
            "organizer for a registration code)."
        )
    name = await shown_names.check_in(
        conn, reserved, member_text.clean(form.name or ""), "Kristy M.", SHOWN_NAME.limit(rules)
    )
    affiliation = member_text.clean(form.affiliation or "") or None
    if affiliation is not None:
        if len(affiliation) > AFFILIATION_MAX:
            raise Refused(
                f"The affiliation is {len(affiliation)} characters; the limit is "
                f"{AFFILIATION_MAX}. Please shorten it."
            )
        affiliation = await shown_names.check_in(
            conn, reserved, affiliation, "University of Somewhere", AFFILIATION_MAX
        )
    return Form(form.campaign_id, "sign", address, name, affiliation, form.category)


async def refuse_if_closed(
    conn: AsyncConnection, campaign_id: int, action: str, now: datetime, zone: ZoneInfo
) -> sa.Row:
    """The campaign, when it takes this action now; else Refused with chat's wording."""
    row = await campaigns.get(conn, campaign_id)
    if row is None or row.hidden:
        raise Refused(f"There is no campaign #{campaign_id}.")
    if action == "follow":
        return row
    if not row.petition_text:
        raise Refused(f"Campaign #{campaign_id} has no petition yet.")
    if row.status != "active":
        raise Refused(f"Campaign #{campaign_id} is closed; its petition no longer takes names.")
    ended = await _ended(conn, campaign_id, now, zone)
    if ended is not None:
        raise Refused(ended)
    return row


async def _ended(
    conn: AsyncConnection, campaign_id: int, now: datetime, zone: ZoneInfo
) -> str | None:
    """Chat's words for a petition past its deadline, or None."""
    deadline = await campaign_deadlines.get(conn, campaign_id, "petition")
    if deadline is None or (deadline.ended_at is None and deadline.due_at > now):
        return None
    return (
        f"The petition of campaign #{campaign_id} closed at its deadline, "
        f"{calendar.show(deadline.due_at, zone)}; signatures can no longer be added or "
        f"taken off."
    )


async def ask(
    conn: AsyncConnection,
    vault: Vault,
    form: Form,
    *,
    ip: str,
    now: datetime,
    base: str,
    academic_domains: Iterable[str],
) -> str:
    """Record a checked request and queue its confirmation mail: "mailed", "known" (the
    address asked for this already: nothing is mailed) or "limited" (a rate limit is
    reached: only the attempt is recorded, so commit either way)."""
    for key, (most, window) in (
        (f"web ip:{ip}", PER_IP),
        (f"web address:{outsiders.address_key(form.address)}", PER_ADDRESS),
    ):
        if await outsiders.attempts(conn, vault.digest(key), now - window, now) > most:
            return "limited"
    is_academic = form.category == "researcher" and academic(form.address, academic_domains)
    outsider_id = await outsiders.add(
        conn,
        vault,
        campaign_id=form.campaign_id,
        action=form.action,
        address=form.address,
        now=now,
        name=form.name,
        affiliation=form.affiliation,
        category=form.category,
        academic=is_academic,
    )
    if outsider_id is None:
        return "known"
    await _mail(conn, outsider_id, "outside_confirm", now, base)
    return "mailed"


async def _mail(
    conn: AsyncConnection, outsider_id: int, event: str, now: datetime, base: str, **data: object
) -> None:
    await outbox.add(
        conn,
        [
            {
                "kind": "email",
                "space": None,
                "member_id": None,
                "stream": None,
                "event": event,
                "payload": {"outsider": outsider_id, "base": base, **data},
                "created_at": now,
                "available_at": now,
                "attempts": 0,
            }
        ],
    )


def new_link_token() -> str:
    return secrets.token_urlsafe(24)


# -- confirming -----------------------------------------------------------------------


async def pending(conn: AsyncConnection, token: str, now: datetime) -> sa.Row | None:
    """The request a confirmation link is for, while it works."""
    return await outsiders.by_token(conn, token_hash(token), now)


async def confirm(
    conn: AsyncConnection,
    token: str,
    *,
    now: datetime,
    privacy: Privacy,
    zone: ZoneInfo,
    base: str,
) -> sa.Row | None:
    """Confirm the request of a link: a follow at once, a signature queued to count at its
    random moment. None when the link does not work (used, expired, never made)."""
    row = await pending(conn, token, now)
    if row is None:
        return None
    if row.action == "sign":
        await refuse_if_closed(conn, int(row.campaign_id), "sign", now, zone)
    if not await outsiders.confirm(conn, int(row.id), now):
        return None
    if row.action == "sign":
        stream = str(row.campaign_id)
        at = now + privacy.draw()
        waiting = (await outbox.latest_waiting(conn, [stream])).get(stream)
        if waiting is not None and waiting > at:
            at = waiting  # after what members asked for earlier on this campaign
        await outbox.add(
            conn,
            [
                {
                    "kind": outbox.COMMAND,
                    "space": None,
                    "member_id": None,
                    "stream": stream,
                    "event": COUNT_EVENT,
                    "payload": {"outsider": int(row.id), "base": base},
                    "created_at": now,
                    "available_at": at,
                    "attempts": 0,
                }
            ],
        )
    else:
        await _mail(conn, int(row.id), "outside_following", now, base)
    return row


async def count(conn: AsyncConnection, payload: dict[str, object], now: datetime) -> bool:
    """At its moment: a confirmed signature counts on the current version, and its signer
    is mailed that it does. False when it can't any more (withdrawn, closed meanwhile)."""
    outsider_id = int(str(payload["outsider"]))
    row = await outsiders.get(conn, outsider_id)
    if row is None:
        return False
    campaign = await campaigns.get(conn, int(row.campaign_id))
    deadline = await campaign_deadlines.get(conn, int(row.campaign_id), "petition")
    if (
        campaign is None
        or campaign.status != "active"
        or not campaign.petition_text
        or (deadline is not None and deadline.ended_at is not None)
    ):
        # Closed between the confirmation and its moment: like a member's queued `sign`.
        await outsiders.remove(conn, outsider_id)
        return False
    if not await outsiders.count(conn, outsider_id, int(campaign.petition_version), now):
        return False
    await campaigns.add_signatures(conn, int(row.campaign_id), 1)
    await activity.touch(conn, int(row.campaign_id), now)
    await _mail(conn, outsider_id, "outside_signed", now, str(payload["base"]))
    return True


# -- leaving --------------------------------------------------------------------------


@dataclass(frozen=True)
class Left:
    action: str
    campaign_id: int
    # Why a signature stays (the petition closed at its deadline), else None.
    kept: str | None = None

    def __str__(self) -> str:
        if self.kept is not None:
            return f"{self.kept} You get no more mail about it either way."
        if self.action == "sign":
            return (
                f"Your signature on campaign #{self.campaign_id}'s petition is withdrawn, and "
                f"your address forgotten."
            )
        return f"You no longer follow campaign #{self.campaign_id}; your address is forgotten."


async def leave(
    conn: AsyncConnection, vault: Vault, token: str, now: datetime, zone: ZoneInfo
) -> Left | None:
    """Withdraw a signature or stop following, by the link in a mail; None for a link that
    belongs to nobody (left already)."""
    row = await by_leave_token(conn, vault, token)
    if row is None:
        return None
    campaign_id = int(row.campaign_id)
    if row.action == "sign" and row.counted_at is not None:
        # Like `unsign`: only a deadline keeps a signature on.
        ended = await _ended(conn, campaign_id, now, zone)
        if ended is not None:
            return Left("sign", campaign_id, kept=ended)
    removed = await outsiders.remove(conn, int(row.id))
    if removed is None:
        return None
    campaign = await campaigns.get(conn, campaign_id)
    if (
        removed.action == "sign"
        and removed.counted_at is not None
        and campaign is not None
        and removed.version == campaign.petition_version
    ):
        await campaigns.add_signatures(conn, campaign_id, -1)
    return Left(str(removed.action), campaign_id)
