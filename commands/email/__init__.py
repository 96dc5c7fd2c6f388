"""Email, privately: give an address, verify it with a mailed code, or forget it.

Nobody else ever sees an address, moderators included; even its owner sees it masked. The
verification code is made when the mail is composed (commands.email.mailings) and only its hash
is stored. A permanent delivery failure is told to the member the next time they act.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from commands import codes, outsiders
from commands.email.addresses import masked, valid_address
from commands.framework.context import Ctx
from commands.framework.registry import CommandSet, Param, ReplyNote
from commands.framework.reply import CommandError, Reply, Role
from storage.repos import emails

spec = CommandSet()

CODE_LIFETIME = timedelta(hours=24)
CODE_ATTEMPTS = 5
REQUESTS_PER_DAY = 5


def new_unsubscribe_token() -> str:
    return secrets.token_urlsafe(18)


def _not_configured() -> CommandError:
    return CommandError("Email is not set up on this Dynamo; ask the organizers.")


@spec.command(
    "email",
    "Get the weekly update (and notices, if you like) by email: `email ADDRESS`, "
    "`email off`, or `email` to see where you stand.",
    params=(Param("address", "word", "Your email address, or off", required=False),),
    examples=("email", "email kristy@example.org", "email off"),
    details="I mail you a code; send it back with `verify CODE`. Nobody sees your address, "
    "not even moderators. `email off` forgets it and stops every email.",
)
async def email(ctx: Ctx, address: str | None) -> Reply:
    current = await emails.get(ctx.conn, ctx.member_id)
    if address is None:
        return Reply(await _status(ctx, current))
    if address.lower() == "off":
        if await emails.forget(ctx.conn, ctx.member_id):
            return Reply("Done: I forgot your email address. No more emails.")
        return Reply("I had no email address of yours.")
    if not ctx.email_enabled:
        raise _not_configured()
    cleaned = valid_address(address)
    if cleaned is None:
        raise CommandError(
            "That doesn't look like an email address. Send it like `email kristy@example.org`."
        )
    requests = 1
    if current is not None and current.requests_since is not None:
        if ctx.now - current.requests_since < timedelta(days=1):
            requests = current.requests + 1
    if requests > REQUESTS_PER_DAY:
        raise CommandError(
            f"I have sent {REQUESTS_PER_DAY} codes today already; please try again tomorrow."
        )
    await emails.request(ctx.conn, ctx.vault, ctx.member_id, cleaned, ctx.now, requests=requests)
    ctx.email(ctx.member_id, "verify_email")
    return Reply(
        f"I'm mailing a code to {masked(cleaned)}. When it arrives, send me `verify CODE`. "
        f"Nobody else will ever see your address."
    )


NO_EMAIL = (
    "This Dynamo sends no email (its organizers have not set it up), so nothing goes out by "
    "email; notices come by private message."
)


async def _status(ctx: Ctx, row: Any) -> str:
    if not ctx.email_enabled:
        return NO_EMAIL
    zone = await ctx.zone()
    weekly = ctx.schedule.weekly_in(zone, ctx.now)
    when = f" The next weekly update goes out {weekly}." if weekly else ""
    if row is None or (row.address is None and row.pending_address is None):
        return f"You have no email address with me. `email ADDRESS` to add one.{when}"
    address, pending = emails.addresses(ctx.vault, row)
    lines = []
    if address is not None:
        lines.append(f"Your email {masked(address)} is verified.{when}")
    if pending is not None:
        lines.append(f"{masked(pending)} waits for `verify CODE`.")
    if row.failed_at is not None:
        lines.append(f"Mail to it could not be delivered: {row.failure}")
    lines.append("`email off` forgets it; `notify email` sends notices there too.")
    return " ".join(lines)


@spec.command(
    "verify",
    "Confirm your email address with the code I mailed you.",
    params=(Param("code", "text", "The code from the email", max_chars=64),),
    examples=("verify K7QF-M2XD",),
)
async def verify(ctx: Ctx, code: str) -> Reply:
    row = await emails.get(ctx.conn, ctx.member_id)
    if row is None or row.pending_address is None:
        raise CommandError("There is nothing to verify. Send `email ADDRESS` first.")
    if row.code_hash is None:
        return Reply.error("The code is still on its way; give it a minute and look again.")
    if row.code_expires_at is not None and row.code_expires_at <= ctx.now:
        raise CommandError("That code has expired. Send `email ADDRESS` again for a new one.")
    if row.code_attempts >= CODE_ATTEMPTS:
        raise CommandError("Too many wrong codes. Send `email ADDRESS` again for a new one.")
    normalized = codes.normalize(code)
    if normalized is None or codes.digest(normalized) != row.code_hash:
        # Returned, not raised: the failed attempt must be committed to count.
        used = await emails.count_wrong_code(ctx.conn, ctx.member_id)
        left = CODE_ATTEMPTS - used
        return Reply.error(
            f"That code is not right ({left} tr{'y' if left == 1 else 'ies'} left)."
            if left > 0
            else "That code is not right. Send `email ADDRESS` again for a new one."
        )
    _, pending = emails.addresses(ctx.vault, row)
    assert pending is not None  # the sealed one was there, checked above
    await emails.verify(ctx.conn, ctx.member_id, ctx.now, new_unsubscribe_token())
    weekly = ctx.schedule.weekly_in(await ctx.zone(), ctx.now)
    when = f" The weekly update comes {weekly}." if weekly else ""
    return Reply(
        f"Your email {masked(pending)} is verified.{when} Want notices by email "
        f"too? Send `notify email` (or `notify both`). `email off` stops every email."
    )


@spec.command(
    "mod unsubscribe",
    "Stop all email to whoever an unsubscribe request's token belongs to (admins).",
    params=(Param("token", "word", "The token from the request's subject"),),
    examples=("mod unsubscribe 3q2-ZkX8c1Vm5yQwL0aT",),
    min_role=Role.ADMIN,
    details="Mail clients send unsubscribe requests to the List-Unsubscribe address with a "
    "token in the subject. This forgets the address it belongs to without telling you whose.",
)
async def unsubscribe(ctx: Ctx, token: str) -> Reply:
    if await forget_by_token(ctx, token.strip()) is None:
        return Reply("No address has that token (it may be gone already). Nothing to do.")
    return Reply("Done: that address is forgotten and gets no more email.")


async def forget_by_token(ctx: Ctx, token: str) -> str | None:
    """Stop the mail an unsubscribe token is for: a member's address is forgotten (and they
    are told in chat), a person without a chat account leaves (commands/outsiders.py).
    Also what the one-click link of the public pages does. What happened, in words for
    the owner of the address; None when the token is nobody's (any more)."""
    member_id = await emails.member_by_token(ctx.conn, token)
    if member_id is not None and await emails.forget(ctx.conn, member_id):
        ctx.notify(
            [member_id],
            "email_unsubscribed",
            "Your email address was removed after an unsubscribe request; you will get no "
            "more emails. Send `email ADDRESS` to start again.",
            notice="personal",
        )
        return "Your address is forgotten: Dynamo sends it no more mail."
    left = await outsiders.leave(ctx.conn, ctx.vault, token, ctx.now, await ctx.zone())
    return None if left is None else str(left)


async def tell_undelivered(
    conn: AsyncConnection, member: Any, _key_hash: str, reply: Reply, now: datetime
) -> Reply:
    """Add the news of a bounced mail to a reply, once."""
    failure = await emails.failure_unshown(conn, member.id)
    if failure is None:
        return reply
    await emails.mark_failure_shown(conn, member.id, now)
    reply.text += (
        f"\n\nBy the way: an email to you could not be delivered ({failure.failure}). "
        f"I won't mail that address again. Send `email ADDRESS` with one that works, or "
        f"`email off`."
    )
    return reply


spec.note(ReplyNote(applies=lambda member: bool(member.email_trouble), add=tell_undelivered))
