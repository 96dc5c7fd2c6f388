"""A member's linked accounts: the numbered list (`unlink`, `whoami`), removing one, and the
notice every account gets when another one is linked.

An account is shown by its kind (platform and, on IRC, the network) and its handle masked to
the first two characters: enough for its owner to tell their accounts apart, never the whole
name, not even to them, since a private message can be read over a shoulder, and whoever
holds one of the accounts must not learn the others' names from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from commands.framework import calendar
from commands.framework.context import Ctx
from commands.framework.formatting import plural, quote
from commands.framework.registry import CommandSet, Param, ReplyNote
from commands.framework.reply import CommandError, Reply
from storage.repos import members
from storage.repos.members import Linked

spec = CommandSet()

_PLATFORMS = {"irc": "IRC", "discord": "Discord", "console": "console"}


def kind_of(account: Linked) -> str:
    """``IRC account on libera``, ``Discord account``."""
    name = _PLATFORMS.get(account.platform, account.platform)
    parts = account.key.split(":")
    if account.platform == "irc" and len(parts) >= 3:
        return f"{name} account on {parts[1]}"
    return f"{name} account"


def masked(account: Linked) -> str:
    handle = account.key.rsplit(":", 1)[-1]
    return quote(handle[:2]) + "…"


def describe(account: Linked) -> str:
    return f"{kind_of(account)} {masked(account)}"


async def numbered(ctx: Ctx) -> list[Linked]:
    """The member's accounts in the order they were linked: `unlink N` counts in it."""
    linked = await members.identities_of(ctx.conn, ctx.vault, ctx.member_id)
    return sorted(linked, key=lambda account: account.id)


def listing(ctx: Ctx, accounts: Sequence[Linked], zone: ZoneInfo) -> list[str]:
    lines = []
    for number, account in enumerate(accounts, start=1):
        seen = account.last_seen_at or account.created_at
        line = (
            f"{number}. {describe(account)}, linked {account.created_at.astimezone(zone):%Y-%m-%d}"
            f", last seen {seen.astimezone(zone):%Y-%m-%d}"
        )
        if account.key_hash == ctx.identity_hash:
            line += " (this account)"
        lines.append(line)
    return lines


async def tell_linked(ctx: Ctx, member_id: int, earlier: Sequence[Linked], new: Linked) -> None:
    """A private notice to each account the member had before ``new`` was linked, pinned to
    that very account: whoever linked it, the owner of the others hears of it."""
    number = sorted([a.id for a in earlier] + [new.id]).index(new.id) + 1
    zone = await ctx.zone_of(member_id)
    text = (
        f"Another account was just linked to your Dynamo membership: {describe(new)}, on "
        f"{calendar.show(ctx.now, zone)}. It can act as you from now on. If that wasn't you, "
        f"remove it with `unlink {number}` (`unlink` lists your accounts) and tell a moderator."
    )
    for account in sorted(earlier, key=lambda a: a.id):
        ctx.tell_account(member_id, account.id, "account_linked", text)


async def _tell_unlinked(ctx: Ctx, others: Sequence[Linked], gone: Linked) -> None:
    """The member's other accounts hear that one was removed, as they hear of a new one."""
    zone = await ctx.zone_of(ctx.member_id)
    text = (
        f"An account was removed from your Dynamo membership: {describe(gone)}, on "
        f"{calendar.show(ctx.now, zone)}. If that wasn't you, tell a moderator."
    )
    for account in others:
        ctx.tell_account(ctx.member_id, account.id, "account_unlinked", text)


@spec.command(
    "unlink",
    "List your linked accounts, or remove one by its number: `unlink 2`.",
    params=(Param("account", "int", "The account's number in the list", required=False),),
    examples=("unlink", "unlink 2"),
    details="Every linked account can act as you. If I tell you about an account you did not "
    "link, remove it with `unlink N` and tell a moderator. An account can remove itself and "
    "the accounts linked after it, not older ones (so one linked with a stolen code can't push "
    "you out); your last account can't be removed.",
)
async def unlink(ctx: Ctx, account: int | None) -> Reply:
    accounts = await numbered(ctx)
    zone = await ctx.zone()
    if account is None:
        return Reply(
            "\n".join(
                [
                    "Your linked accounts (only you see this):",
                    *listing(ctx, accounts, zone),
                    "`unlink N` removes one.",
                ]
            )
        )
    if account > len(accounts):
        raise CommandError(
            f"You have {plural(len(accounts), 'linked account')}. Send `unlink` to see them "
            f"numbered, then `unlink N` with one of those numbers."
        )
    if len(accounts) == 1:
        raise CommandError(
            f"That is your only linked account: without it nobody could act as "
            f"**{ctx.pseudonym}** any more. Link another one first (`link`), then remove this one."
        )
    chosen = accounts[account - 1]
    mine = next((a for a in accounts if a.key_hash == ctx.identity_hash), None)
    if mine is not None and chosen.id < mine.id:
        raise CommandError(
            f"Account {account} was linked before this one, so it can't be removed from here: "
            f"otherwise an account linked with a stolen code could push out its owner. Send "
            f"`unlink {account}` from that account, or from one linked before it."
        )
    if not await members.remove_identity(ctx.conn, ctx.member_id, chosen.id):
        raise CommandError("That account was removed a moment ago. Send `unlink` to see the rest.")
    await _tell_unlinked(ctx, [a for a in accounts if a.id != chosen.id and a is not mine], chosen)
    if chosen.key_hash == ctx.identity_hash:
        return Reply(
            f"Done: this account ({describe(chosen)}) is no longer linked to "
            f"**{ctx.pseudonym}**, and I treat it as a stranger from now on. Your other accounts "
            f"are unchanged."
        )
    return Reply(
        f"Done: the {describe(chosen)} is no longer linked to you. It can't act as "
        f"**{ctx.pseudonym}** any more."
    )


DMS_CLOSED = (
    "\n\nBy the way: I couldn't send you a private message on this account: it doesn't take "
    "private messages from the bot (on Discord: the server's Privacy Settings, allow direct "
    "messages). What I had to tell you went to your email if you gave me one (`email "
    "ADDRESS`); from now on I'll try this account again."
)


async def tell_dms_refused(
    conn: AsyncConnection, _member: Any, key_hash: str, reply: Reply, _now: datetime
) -> Reply:
    """Add to a reply, once, that this account's private messages were refused."""
    await members.clear_refused_dms(conn, key_hash)
    reply.text += DMS_CLOSED
    return reply


spec.note(ReplyNote(applies=lambda member: member.dms_refused_at is not None, add=tell_dms_refused))
