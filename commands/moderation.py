"""Moderation: roles, organizers, hiding, closing, banning, and the log of all of it."""

from __future__ import annotations

from typing import Any

from commands.framework import calendar, lookup
from commands.framework.context import Ctx
from commands.framework.formatting import quote, shown_pseudonym
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply, Role
from storage.repos import campaigns, ideas, members, moderation

spec = CommandSet()


async def _member(ctx: Ctx, pseudonym: str) -> Any:
    row = await members.member_by_pseudonym(ctx.conn, pseudonym)
    if row is None:
        raise CommandError(f"No member is called {quote(pseudonym[:40])}. Check the spelling.")
    return row


async def _log(
    ctx: Ctx,
    action: str,
    target: str,
    detail: str | None = None,
    *,
    reason: str | None = None,
    target_hidden: bool = False,
) -> None:
    await moderation.log(
        ctx.conn,
        actor_id=ctx.member_id,
        action=action,
        target=target,
        detail=detail,
        now=ctx.now,
        reason=reason,
        target_hidden=target_hidden,
    )


def _a(role: str) -> str:
    return f"an {role}" if role[0] in "aeiou" else f"a {role}"


def _pseudonym_param() -> Param:
    return Param("pseudonym", "word", "The member's pseudonym")


def _reason_param() -> Param:
    return Param(
        "reason", "text", "Why (shown in the public log)", required=False, max_chars=REASON_MAX
    )


def _named_param() -> Param:
    return Param(
        "named",
        "choice",
        'Name the member in the public log (it says only "a member" otherwise)',
        required=False,
        choices=("named",),
    )


REASON_MAX = 300


@spec.command(
    "mod promote",
    "Set a member's role: member, moderator or admin (admins only).",
    params=(
        _pseudonym_param(),
        Param("role", "choice", "The new role", choices=("member", "moderator", "admin")),
        _reason_param(),
    ),
    examples=("mod promote light_dragonfly moderator", "mod promote light_dragonfly admin trusted"),
    min_role=Role.ADMIN,
)
async def promote(ctx: Ctx, pseudonym: str, role: str, reason: str | None) -> Reply:
    target = await _member(ctx, pseudonym)
    if target.id == ctx.member_id and role != "admin":
        raise CommandError("You can't lower your own role; ask another admin.")
    if target.role == role:
        return Reply(f"{target.pseudonym} is already {role}.")
    await members.set_role(ctx.conn, target.id, role)
    await _log(ctx, "role", target.pseudonym, f"{target.role} -> {role}", reason=reason)
    ranks = ("member", "moderator", "admin")
    change = "raised" if ranks.index(role) > ranks.index(target.role) else "lowered"
    ctx.notify(
        [target.id],
        "role_changed",
        f"An admin {change} your role: you are now {_a(role)} of this Dynamo.",
    )
    return Reply(f"{target.pseudonym} is now {role}.")


@spec.command(
    "mod organizer",
    "Make a member an organizer of a campaign.",
    params=(Param("campaign", "int", "The campaign's number"), _pseudonym_param(), _reason_param()),
    examples=("mod organizer 3 light_dragonfly",),
    min_role=Role.MODERATOR,
)
async def organizer(ctx: Ctx, campaign: int, pseudonym: str, reason: str | None) -> Reply:
    await lookup.campaign(ctx, campaign)
    target = await _member(ctx, pseudonym)
    if not await campaigns.add_organizer(ctx.conn, campaign, target.id, ctx.now):
        return Reply(f"{target.pseudonym} already organizes campaign #{campaign}.")
    await _log(ctx, "organizer", target.pseudonym, f"campaign #{campaign}", reason=reason)
    ctx.notify(
        [target.id],
        "organizer_added",
        f"You are now an organizer of campaign #{campaign}. You can set its petition "
        f"(`petition {campaign} TEXT`) and revert its document.",
    )
    return Reply(f"{target.pseudonym} now organizes campaign #{campaign}.")


async def _set_hidden(ctx: Ctx, idea_id: int, hidden: bool, reason: str | None) -> Reply:
    row = await lookup.idea(ctx, idea_id)
    if row.hidden == hidden:
        return Reply(f"#{idea_id} is already {'hidden' if hidden else 'visible'}.")
    await ideas.set_hidden(ctx.conn, idea_id, hidden)
    await _log(ctx, "hide" if hidden else "unhide", f"#{idea_id}", reason=reason)
    data = {"idea_id": idea_id}
    if hidden:
        return Reply(
            f"#{idea_id} is hidden: it left the listings and can't be voted on.", data=data
        )
    return Reply(f"#{idea_id} is visible again.", data=data)


@spec.command(
    "mod hide",
    "Hide an idea: it leaves the listings and can't be voted on.",
    params=(Param("idea", "int", "The idea's number"), _reason_param()),
    examples=("mod hide 12", "mod hide 12 off topic"),
    min_role=Role.MODERATOR,
)
async def hide(ctx: Ctx, idea: int, reason: str | None) -> Reply:
    return await _set_hidden(ctx, idea, True, reason)


@spec.command(
    "mod unhide",
    "Bring a hidden idea back.",
    params=(Param("idea", "int", "The idea's number"), _reason_param()),
    examples=("mod unhide 12", "mod unhide 12 hidden by mistake"),
    min_role=Role.MODERATOR,
)
async def unhide(ctx: Ctx, idea: int, reason: str | None) -> Reply:
    return await _set_hidden(ctx, idea, False, reason)


@spec.command(
    "mod close",
    "Close an idea or campaign: no more votes or signatures.",
    params=(Param("idea", "int", "The idea or campaign number"), _reason_param()),
    examples=("mod close 12", "mod close 12 a duplicate of #9"),
    min_role=Role.MODERATOR,
)
async def close(ctx: Ctx, idea: int, reason: str | None) -> Reply:
    row = await lookup.idea(ctx, idea)
    was_campaign = row.status == "campaign"
    if not await ideas.close(ctx.conn, idea, ctx.now):
        return Reply(f"#{idea} is already closed.")
    if was_campaign:
        await campaigns.close(ctx.conn, idea, ctx.now)
    await _log(ctx, "close", f"#{idea}", reason=reason)
    kind = "Campaign" if was_campaign else "Idea"
    if not row.hidden:
        ctx.announce(
            "closed", f"{kind} #{idea} is closed by the moderators: {quote(row.text)}", idea_id=idea
        )
    return Reply(f"{kind} #{idea} is closed.")


@spec.command(
    "mod ban",
    "Ban a member: they can no longer act, from any of their accounts.",
    params=(_pseudonym_param(), _named_param(), _reason_param()),
    examples=(
        "mod ban grumpy_heron",
        "mod ban grumpy_heron spam in every channel",
        "mod ban grumpy_heron named threats",
    ),
    min_role=Role.MODERATOR,
    details=(
        'The public log (`modlog`) says "a member was banned" without the pseudonym, '
        "unless you add `named`."
    ),
)
async def ban(ctx: Ctx, pseudonym: str, named: str | None, reason: str | None) -> Reply:
    target = await _member(ctx, pseudonym)
    if target.id == ctx.member_id:
        raise CommandError("You can't ban yourself.")
    if Role.parse(target.role) >= Role.MODERATOR and ctx.role < Role.ADMIN:
        raise CommandError("Only an admin can ban a moderator or admin.")
    if target.banned_at is not None:
        return Reply(f"{target.pseudonym} is already banned.")
    await members.set_banned(ctx.conn, target.id, ctx.now)
    await _log(ctx, "ban", target.pseudonym, reason=reason, target_hidden=named is None)
    shown = "names them" if named else 'says only "a member was banned"'
    return Reply(
        f"{target.pseudonym} is banned; all their accounts are blocked. The public log {shown}."
    )


@spec.command(
    "mod unban",
    "Lift a ban (the public log names the member only with `named`).",
    params=(_pseudonym_param(), _named_param(), _reason_param()),
    examples=("mod unban grumpy_heron", "mod unban grumpy_heron apologised"),
    min_role=Role.MODERATOR,
)
async def unban(ctx: Ctx, pseudonym: str, named: str | None, reason: str | None) -> Reply:
    target = await _member(ctx, pseudonym)
    if target.banned_at is None:
        return Reply(f"{target.pseudonym} is not banned.")
    await members.set_banned(ctx.conn, target.id, None)
    await _log(ctx, "unban", target.pseudonym, reason=reason, target_hidden=named is None)
    return Reply(f"{target.pseudonym} can take part again.")


@spec.command(
    "mod member",
    "What moderators may know of a member: role, code kind, since when, banned.",
    params=(_pseudonym_param(),),
    examples=("mod member light_dragonfly",),
    min_role=Role.MODERATOR,
    writes=False,
)
async def member_info(ctx: Ctx, pseudonym: str) -> Reply:
    target = await _member(ctx, pseudonym)
    kind = "a worker code" if target.code_kind == "worker" else "an invite code (not a worker)"
    zone = await ctx.zone()
    banned = f" Banned since {calendar.show(target.banned_at, zone)}." if target.banned_at else ""
    since = calendar.show(target.created_at, zone)
    return Reply(f"{target.pseudonym}: {target.role}, registered {since} with {kind}.{banned}")


@spec.command(
    "mod log",
    "The moderation log: every action, who and when.",
    examples=("mod log",),
    min_role=Role.MODERATOR,
    writes=False,
)
async def log(ctx: Ctx) -> Reply:
    rows = await moderation.recent(ctx.conn, limit=30)
    if not rows:
        return Reply("The moderation log is empty.")
    zone = await ctx.zone()
    lines = ["Moderation log, newest first:"]
    for r in rows:
        detail = f" ({r.detail})" if r.detail else ""
        detail += f" — {r.reason}" if r.reason else ""
        at = calendar.show(r.created_at, zone)
        # An item hidden at its reports' threshold was hidden by no one person.
        actor = r.actor or ("members' reports" if r.action == "report hide" else "console")
        lines.append(f"{at} {actor}: {r.action} {r.target}{detail}")
    return Reply("\n".join(lines))


PAGE = 20

# How the public log says what happened; any other kind of action (other features log
# theirs too) shows as "ACTION TARGET".
_SAID = {
    "hide": "hid idea {target}",
    "unhide": "brought back idea {target}",
    "close": "closed {target}",
    "ban": "banned {target}",
    "unban": "lifted the ban on {target}",
    "role": "changed the role of {target}",
    "organizer": "made {target} an organizer",
    "erase": "erased a member's data",
}
_UNNAMED = {
    "ban": "a member was banned",
    "unban": "a member's ban was lifted",
}


def public_line(row: Any) -> str:
    """One entry of the public log: the moderator by pseudonym only (never an account),
    what was done to what, and the stated reason. A hidden target is "a member"."""
    actor = shown_pseudonym(row.actor) if row.actor else "the console"
    if row.target_hidden:
        unnamed = _UNNAMED.get(row.action)
        said = f"{actor}: {unnamed}" if unnamed else f"{actor}: {row.action} a member"
        if row.action == "erase":
            said = f"{actor}: {_SAID['erase']}"
    else:
        target = shown_pseudonym(row.target)
        template = _SAID.get(row.action, "{action} {target}")
        said = f"{actor}: {template.format(action=row.action, target=target)}"
        if row.detail:
            said += f" ({row.detail})"
    return f"{said}. Reason: {row.reason}" if row.reason else f"{said}."


@spec.command(
    "modlog",
    "The public moderation log: what moderators did, to what, and why; newest first.",
    params=(Param("page", "int", "Page number", required=False),),
    examples=("modlog", "modlog 2"),
    min_role=Role.NOBODY,
    private=False,
    writes=False,
)
async def public_log(ctx: Ctx, page: int | None) -> Reply:
    page = page or 1
    rows = await moderation.page(ctx.conn, limit=PAGE, offset=(page - 1) * PAGE)
    if not rows:
        if page == 1:
            return Reply("The moderation log is empty: no moderator has acted yet.")
        return Reply(f"The moderation log has no page {page}. Send `modlog` for the newest.")
    zone = await ctx.zone()
    lines = ["Moderation log, newest first:" if page == 1 else f"Moderation log, page {page}:"]
    lines += [f"{calendar.show(r.created_at, zone)} {public_line(r)}" for r in rows]
    if len(rows) == PAGE and page * PAGE < await moderation.count(ctx.conn):
        lines.append(f"More: `modlog {page + 1}`")
    return Reply("\n".join(lines))
