"""Vouching: a member of some standing gives someone they know a single-use code.

Who vouched for whom is for the moderators alone: the link is kept sealed
(storage.repos.vouches), a voucher's own `codes` says only whether each code was used, and
only `mod vouches` follows the chain. Suspending vouching is kept out of the moderation log,
whose entries one after another would show a chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from commands import codes
from commands.framework import calendar
from commands.framework.context import Ctx
from commands.framework.formatting import quote
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply, Role
from commands.framework.trust import VOUCH_WINDOW_DAYS
from storage.repos import codes as code_repo
from storage.repos import members, vouches

spec = CommandSet()

# Codes from `vouch` share one batch, so `dynamo codes revoke --batch vouch` withdraws
# every unused one at once. They are worker codes: a member vouches for a fellow worker.
BATCH = "vouch"
KIND = "worker"
# How far `mod vouches` follows a chain, and how many members it shows: a chain is short
# in practice, and a loop must end whatever the data.
MAX_GENERATIONS = 10
MAX_SHOWN = 200


@spec.command(
    "vouch",
    "Get a single-use invite code for someone you know and trust.",
    examples=("vouch",),
    details=f"Members who have been here a while may vouch, a few times in any "
    f"{VOUCH_WINDOW_DAYS} days (`vouch` says from when). The code is shown once: give it "
    f"privately to the person. "
    f"Moderators can see whom you vouched for; nobody else can. `codes` lists yours.",
)
async def vouch(ctx: Ctx) -> Reply:
    trust = ctx.trust
    zone = await ctx.zone()
    if await vouches.is_suspended(ctx.conn, ctx.member_id):
        raise CommandError(
            "The moderators have suspended your vouching, so I can't give you a code. "
            "Ask a moderator if you think this is a mistake."
        )
    allowed_from = ctx.member.created_at + timedelta(days=trust.vouch_after_days)
    if ctx.now < allowed_from:
        raise CommandError(
            f"Members can vouch once they have been here {trust.vouch_after_days} days; you "
            f"can from {calendar.show(allowed_from, zone)}."
        )
    window = timedelta(days=VOUCH_WINDOW_DAYS)
    recent = await vouches.issued_since(ctx.conn, ctx.vault, ctx.member_id, ctx.now - window)
    if len(recent) >= trust.vouches_per_month:
        # The window rolls: a code leaves it 30 days after it was made.
        again = recent[len(recent) - trust.vouches_per_month] + window
        raise CommandError(
            f"You have vouched {len(recent)} times in the last {VOUCH_WINDOW_DAYS} days, the "
            f"most there may be; you can again from {calendar.show(again, zone)}."
        )
    clear = codes.generate()
    code_hash = codes.digest(codes.normalize(clear) or "")
    expires_at = ctx.now + timedelta(days=trust.vouch_code_days)
    await code_repo.add_codes(
        ctx.conn, [code_hash], batch=BATCH, kind=KIND, created_at=ctx.now, expires_at=expires_at
    )
    row = await code_repo.find_code(ctx.conn, code_hash)
    assert row is not None
    await vouches.add(ctx.conn, ctx.vault, code_id=row.id, voucher_id=ctx.member_id)
    return Reply(
        f"Your invite code is `{clear}`. Give it privately to the person you vouch for: it "
        f"works once, until {calendar.show(expires_at, zone)}, and I won't show it again. "
        f"They send me `register {clear}` privately. Only the moderators can see that you "
        f"vouched for them; `codes` shows you whether it was used."
    )


def _state(issued: vouches.Issued, now: datetime, zone: ZoneInfo) -> str:
    if issued.redeemed_at is not None:
        return "used"
    if issued.revoked_at is not None:
        return "revoked by the moderators"
    if issued.burned_at is not None:
        return "shown in public, so it no longer works"
    if issued.expires_at is not None and issued.expires_at <= now:
        return "expired unused"
    until = f", works until {calendar.show(issued.expires_at, zone)}" if issued.expires_at else ""
    return f"not used yet{until}"


@spec.command(
    "codes",
    "The invite codes you vouched with: when, and whether each was used (not by whom).",
    examples=("codes",),
    writes=False,
)
async def codes_issued(ctx: Ctx) -> Reply:
    issued = await vouches.issued_by(ctx.conn, ctx.vault, ctx.member_id)
    if not issued:
        return Reply("You haven't vouched for anyone yet. `vouch` gives you a code to pass on.")
    zone = await ctx.zone()
    lines = ["Your invite codes (each code itself was shown only once):"]
    for n, code in enumerate(issued, 1):
        made = calendar.show(code.created_at, zone)
        lines.append(f"{n}. made {made}: {_state(code, ctx.now, zone)}")
    if await vouches.is_suspended(ctx.conn, ctx.member_id):
        lines.append("The moderators have suspended your vouching.")
    return Reply("\n".join(lines))


async def _target(ctx: Ctx, pseudonym: str) -> Any:
    row = await members.member_by_pseudonym(ctx.conn, pseudonym)
    if row is None:
        raise CommandError(f"No member is called {quote(pseudonym[:40])}. Check the spelling.")
    return row


async def _names(ctx: Ctx, ids: Sequence[int]) -> list[str]:
    names = []
    for member_id in ids:
        row = await members.member_by_id(ctx.conn, member_id)
        names.append(row.pseudonym if row is not None else "(a member who left)")
    return names


async def _chain_up(ctx: Ctx, member_id: int) -> list[str]:
    """Who vouched for the member, who vouched for them, and so on (nearest first)."""
    up: list[int] = []
    current = member_id
    for _ in range(MAX_GENERATIONS):
        voucher = await vouches.voucher_of(ctx.conn, ctx.vault, current, viewer_role=ctx.role.label)
        if voucher is None or voucher in up or voucher == member_id:
            break
        up.append(voucher)
        current = voucher
    return await _names(ctx, up)


async def _chain_down(ctx: Ctx, member_id: int) -> list[tuple[int, int]]:
    """Everyone the member's codes let in, and theirs in turn: (generation, member id),
    depth first, so each member comes right after the one who vouched for them."""
    found: list[tuple[int, int]] = []
    seen = {member_id}
    stack = [(1, m) for m in reversed(await _vouched(ctx, member_id))]
    while stack and len(found) < MAX_SHOWN:
        generation, current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        found.append((generation, current))
        if generation < MAX_GENERATIONS:
            stack.extend((generation + 1, m) for m in reversed(await _vouched(ctx, current)))
    return found


async def _vouched(ctx: Ctx, member_id: int) -> list[int]:
    return await vouches.vouched_by(ctx.conn, ctx.vault, member_id, viewer_role=ctx.role.label)


def _pseudonym_param() -> Param:
    return Param("pseudonym", "word", "The member's pseudonym")


@spec.command(
    "mod vouches",
    "Who vouched for a member and whom they vouched for, up and down the chain.",
    params=(_pseudonym_param(),),
    examples=("mod vouches light_dragonfly",),
    min_role=Role.MODERATOR,
    writes=False,
)
async def mod_vouches(ctx: Ctx, pseudonym: str) -> Reply:
    target = await _target(ctx, pseudonym)
    zone = await ctx.zone()
    up = await _chain_up(ctx, target.id)
    down = await _chain_down(ctx, target.id)
    lines = [f"Vouching around {target.pseudonym} (for moderators only):"]
    if up:
        lines.append("Vouched for by: " + " ← ".join(up) + " (nearest first)")
    else:
        lines.append("Vouched for by: nobody (registered with a minted code)")
    if down:
        lines.append("Vouched for:")
        names = await _names(ctx, [m for _, m in down])
        lines.extend(f"{'  ' * g}- {name}" for (g, _), name in zip(down, names, strict=True))
    else:
        lines.append("Vouched for: nobody")
    issued = await vouches.issued_by(ctx.conn, ctx.vault, target.id)
    used = sum(1 for code in issued if code.redeemed_at is not None)
    suspension = await vouches.suspension(ctx.conn, target.id)
    if suspension is None:
        state = "allowed"
    else:
        by = await members.member_by_id(ctx.conn, suspension.suspended_by)
        who = by.pseudonym if by is not None else "a moderator"
        state = f"suspended by {who} on {calendar.show(suspension.suspended_at, zone)}"
    lines.append(f"Codes issued: {len(issued)} ({used} used). Vouching: {state}.")
    return Reply("\n".join(lines))


@spec.command(
    "mod vouching",
    "Suspend a member's vouching (revoking their unused codes), or allow it again.",
    params=(_pseudonym_param(), Param("state", "choice", "off or on", choices=("off", "on"))),
    examples=("mod vouching light_dragonfly off", "mod vouching light_dragonfly on"),
    min_role=Role.MODERATOR,
    details="`off` stops the member vouching and revokes the codes they issued that nobody "
    "used yet; `on` lets them vouch again (revoked codes stay revoked). `mod vouches` shows "
    "who is up and down their chain, to act on each in turn.",
)
async def mod_vouching(ctx: Ctx, pseudonym: str, state: str) -> Reply:
    target = await _target(ctx, pseudonym)
    # Not written to the moderation log: a run of entries there, one member after another,
    # would show who is in one chain to whoever reads the log.
    if state == "on":
        if not await vouches.resume(ctx.conn, target.id):
            return Reply(f"{target.pseudonym} may already vouch.")
        ctx.notify([target.id], "vouching_resumed", "You may vouch again (`vouch`).")
        return Reply(f"{target.pseudonym} may vouch again.")
    newly = await vouches.suspend(ctx.conn, target.id, ctx.member_id, ctx.now)
    revoked = await vouches.revoke_unused(ctx.conn, ctx.vault, target.id, ctx.now)
    if not newly and not revoked:
        return Reply(f"{target.pseudonym}'s vouching is already suspended.")
    gone = f"; the {revoked} unused code(s) you issued no longer work" if revoked else ""
    ctx.notify(
        [target.id], "vouching_suspended", f"The moderators have suspended your vouching{gone}."
    )
    return Reply(
        f"Vouching suspended for {target.pseudonym}; {revoked} unused code(s) revoked. "
        f"`mod vouches {target.pseudonym}` shows whom they vouched for."
    )
