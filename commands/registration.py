"""Joining: redeem a code, flip through pseudonyms, choose one; link more accounts."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from commands import accounts, codes, leaving, pseudonyms
from commands.framework.context import Ctx
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import Action, CommandError, Reply, Role
from storage.db import Database
from storage.repos import codes as code_repo
from storage.repos import members, vouches
from storage.repos.members import Linked

logger = logging.getLogger(__name__)

spec = CommandSet()

OFFER_ACTIONS = (Action("Another name", "another"), Action("Choose this", "choose"))
BURNED_IN_PUBLIC = (
    "The code you just showed in a public channel no longer works: everyone there could see "
    "it and use it in your place. Ask the person who gave you a registration code for a new "
    "one (for a link code, send me `link` again), and send it to me privately, here."
)


@spec.watch_public
async def burn_codes_seen(db: Database, platform: str, text: str, now: datetime) -> str | None:
    """Burn any registration or link code in a line said in public; returns what to tell its
    sayer privately, or None (nothing usable was in it: the usual case, which costs no
    database access at all)."""
    digests = codes.digests_in(text)
    if not digests:
        return None
    async with db.read() as conn:
        if not await code_repo.usable(conn, digests, now):
            return None
    async with db.write() as conn:
        burned = await code_repo.burn(conn, digests, now)
    if not burned:
        return None
    logger.info("burned %d code(s) seen in public on %s", burned, platform)
    return BURNED_IN_PUBLIC


async def _fresh_name(ctx: Ctx, avoid: str | None = None) -> str:
    for _ in range(8):
        batch = [c for c in pseudonyms.candidates(24) if c != avoid]
        taken = await members.taken_pseudonyms(ctx.conn, batch) | await leaving.retired_among(
            ctx, batch
        )
        free = [c for c in batch if c not in taken]
        if free:
            return free[0]
    raise CommandError("I could not find a free pseudonym right now; please try again.")


def _offer(name: str, first: bool) -> Reply:
    lead = "Welcome to Dynamo! " if first else ""
    return Reply(
        f"{lead}Your pseudonym could be **{name}**. Send `another` for a different one, "
        f"or `choose` to take it. Nobody will see your account name next to it.",
        actions=OFFER_ACTIONS,
        data={"offer": name},
    )


def _attempt_keys(ctx: Ctx) -> list[str]:
    """What wrong codes count against: the account, and the connection it came by when the
    transport knows one (on IRC it stays the same when the person changes nick)."""
    keys = [ctx.identity_hash]
    if ctx.identity.connection:
        # A space cannot begin an account key ("platform:..."): the two never collide.
        keys.append(ctx.vault.digest(f"connection {ctx.identity.connection}"))
    return keys


async def _too_many_failures(ctx: Ctx) -> bool:
    since = ctx.now - timedelta(hours=1)
    failures = await code_repo.count_failures(ctx.conn, _attempt_keys(ctx), since)
    return failures >= ctx.rules.registration_failures_per_hour


async def _fail(ctx: Ctx, text: str) -> Reply:
    # Returned, not raised: the failed attempt must be committed to count against the limit.
    await code_repo.record_failure(ctx.conn, _attempt_keys(ctx), ctx.now)
    return Reply.error(text)


BURNED = (
    "That code was shown in a public channel, so it no longer works: anyone there could have "
    "used it. Ask the person who gave it to you for a new one, and send it to me privately."
)
TOO_MANY = (
    "Too many wrong codes from this account in the last hour. Please wait an hour and "
    "try again; if your code really doesn't work, ask the person who gave it to you."
)


@spec.command(
    "register",
    "Join Dynamo with your one-time registration code (send it privately).",
    params=(Param("code", "text", "Your registration code", max_chars=64),),
    examples=("register K7QF-M2XD-9HPA-3TWC",),
    min_role=Role.NOBODY,
)
async def register(ctx: Ctx, code: str) -> Reply:
    if ctx.member is not None:
        return Reply(f"You're already registered as **{ctx.pseudonym}**.")
    pending = await code_repo.get_pending(ctx.conn, ctx.identity_hash)
    if pending is not None:
        reply = _offer(pending.offered, first=False)
        reply.text = "You already used a code. " + reply.text
        return reply
    if await _too_many_failures(ctx):
        return Reply.error(TOO_MANY)
    normalized = codes.normalize(code)
    if normalized is None or len(normalized) != 16:
        return await _fail(
            ctx,
            "That doesn't look like a registration code. Codes look like "
            "`K7QF-M2XD-9HPA-3TWC` (letters and digits; dashes are optional).",
        )
    row = await code_repo.find_code(ctx.conn, codes.digest(normalized))
    if row is None:
        return await _fail(ctx, "That code is not valid. Check it for typos, or ask for a new one.")
    if row.burned_at is not None:
        return await _fail(ctx, BURNED)
    if row.redeemed_at is not None:
        return await _fail(ctx, "That code has already been used. Each code works only once.")
    if row.revoked_at is not None:
        return await _fail(ctx, "That code was withdrawn and no longer works. Ask for a new one.")
    if row.expires_at is not None and row.expires_at <= ctx.now:
        return await _fail(
            ctx,
            f"That code expired on {row.expires_at:%Y-%m-%d}. Ask an organizer for a new one.",
        )
    if not await code_repo.redeem_code(ctx.conn, row.id, ctx.now):
        return await _fail(ctx, "That code has already been used. Each code works only once.")
    name = await _fresh_name(ctx)
    await code_repo.add_pending(ctx.conn, ctx.identity_hash, row.id, name, ctx.now)
    return _offer(name, first=True)


@spec.command(
    "another",
    "Offer me a different pseudonym (while registering).",
    examples=("another",),
    min_role=Role.NOBODY,
)
async def another(ctx: Ctx) -> Reply:
    if ctx.member is not None:
        return Reply(f"You're already registered as **{ctx.pseudonym}**.")
    pending = await code_repo.get_pending(ctx.conn, ctx.identity_hash)
    if pending is None:
        raise CommandError("Start with `register YOUR-CODE`; then you can flip through names.")
    name = await _fresh_name(ctx, avoid=pending.offered)
    await code_repo.set_offer(ctx.conn, ctx.identity_hash, name)
    return _offer(name, first=False)


@spec.command(
    "choose",
    "Take the pseudonym you were offered (while registering).",
    examples=("choose",),
    min_role=Role.NOBODY,
)
async def choose(ctx: Ctx) -> Reply:
    if ctx.member is not None:
        return Reply(f"You're already registered as **{ctx.pseudonym}**.")
    pending = await code_repo.get_pending(ctx.conn, ctx.identity_hash)
    if pending is None:
        raise CommandError("Start with `register YOUR-CODE`, then `choose` a pseudonym.")
    kind = await code_repo.code_kind(ctx.conn, pending.code_id)
    member_id = await members.create_member(
        ctx.conn, pseudonym=pending.offered, code_kind=kind, role="member", now=ctx.now
    )
    await members.add_identity(
        ctx.conn,
        ctx.vault,
        key=ctx.identity.key,
        platform=ctx.identity.platform,
        member_id=member_id,
        now=ctx.now,
    )
    # Sealed: only the moderators' commands can tell who vouched for whom.
    await vouches.record_vouched(ctx.conn, ctx.vault, pending.code_id, member_id)
    await code_repo.delete_pending(ctx.conn, ctx.identity_hash)
    return Reply(
        f"You are **{pending.offered}**. Welcome! Send `ideas` to see what people are "
        f"pitching, `pitch YOUR IDEA` to start one, or `help` for everything.",
        data={"pseudonym": pending.offered},
    )


@spec.command(
    "link",
    "Attach another account to your membership: `link` gives a code, `link CODE` uses it.",
    params=(Param("code", "text", "The link code", required=False),),
    examples=("link", "link 7QFM-2XD9-HPA3"),
    min_role=Role.NOBODY,
    details="Send `link` from the account you already use; you get a one-time code. Then, "
    "from the other account (for example your IRC nick), send `link CODE`.",
)
async def link(ctx: Ctx, code: str | None) -> Reply:
    if code is None:
        if ctx.member is None:
            raise CommandError(
                "Send `link` from an account that is already registered to get a link code, "
                "then `link CODE` from this one. New here? Use `register YOUR-CODE`."
            )
        new_code = codes.generate(groups=3)
        minutes = ctx.rules.link_code_minutes
        await code_repo.add_link_code(
            ctx.conn,
            codes.digest(codes.normalize(new_code) or ""),
            ctx.member_id,
            ctx.now,
            ctx.now + timedelta(minutes=minutes),
        )
        return Reply(
            f"Your link code is `{new_code}` (works once, for {minutes} minutes). From your "
            f"other account, send me privately: `link {new_code}`"
        )
    if ctx.member is not None:
        raise CommandError(f"This account already belongs to **{ctx.pseudonym}**.")
    if await _too_many_failures(ctx):
        return Reply.error(TOO_MANY)
    normalized = codes.normalize(code)
    member_id = None
    if normalized is not None:
        member_id = await code_repo.use_link_code(ctx.conn, codes.digest(normalized), ctx.now)
    if member_id is None:
        return await _fail(
            ctx, "That link code is not valid or has expired. Send `link` again to get a new one."
        )
    earlier = await members.identities_of(ctx.conn, ctx.vault, member_id)
    new_id = await members.add_identity(
        ctx.conn,
        ctx.vault,
        key=ctx.identity.key,
        platform=ctx.identity.platform,
        member_id=member_id,
        now=ctx.now,
    )
    new = Linked(
        id=new_id,
        key=ctx.identity.key,
        key_hash=ctx.identity_hash,
        platform=ctx.identity.platform,
        created_at=ctx.now,
        last_seen_at=ctx.now,
    )
    await accounts.tell_linked(ctx, member_id, earlier, new)
    owner = await members.member_by_id(ctx.conn, member_id)
    assert owner is not None
    return Reply(
        f"This account is now linked: you are **{owner.pseudonym}** here too. Your other "
        f"accounts get a private note about it; `unlink` lists them all."
    )
