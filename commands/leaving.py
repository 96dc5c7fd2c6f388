"""Leaving: `leave` (after a confirmation) and `mod erase PSEUDONYM` (an admin, on a
member's written request) erase a member.

Their accounts, email, time zone, shown names, follows, web sessions, pending pledges and
letters and every notice to them go, in one transaction, and the pseudonym, names, address
and account keys are taken out of every text the database holds (storage/repos/erasure.py).
What they gave stays, counted, under "former member": ideas, votes, document edits, and
their signatures unless they choose to withdraw them. The pseudonym is never offered again.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime

from commands import actions as action_commands
from commands.framework import deferral
from commands.framework.context import Ctx
from commands.framework.formatting import plural, quote
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import Action, CommandError, Reply, Role
from storage.repos import actions, campaigns, emails, erasure, members, moderation, petitions
from storage.vault import LEAVE_CONFIRM, RETIRED_PSEUDONYM, Vault

logger = logging.getLogger(__name__)

spec = CommandSet()

# How long a `leave` confirmation stays good: one window of this many seconds, and the next.
CONFIRM_WINDOW = 600
CHOICES = ("keep", "withdraw")


@dataclass(frozen=True)
class Erased:
    signatures_kept: int
    signatures_withdrawn: int


def retired_digest(vault: Vault, pseudonym: str) -> str:
    return vault.digest_for(pseudonym.lower(), RETIRED_PSEUDONYM)


async def retired_among(ctx: Ctx, candidates: list[str]) -> set[str]:
    """Which of these pseudonyms belonged to someone who left."""
    by_digest = {retired_digest(ctx.vault, c): c for c in candidates}
    found = await erasure.retired(ctx.conn, list(by_digest))
    return {by_digest[d] for d in found}


def confirmation(vault: Vault, member_id: int, now: datetime, back: int = 0) -> str:
    window = int(now.timestamp()) // CONFIRM_WINDOW - back
    return vault.digest_for(f"member-{member_id}:{window}", LEAVE_CONFIRM)[:8]


def _confirmed(vault: Vault, member_id: int, now: datetime, code: str) -> bool:
    return any(
        hmac.compare_digest(code.lower(), confirmation(vault, member_id, now, back))
        for back in (0, 1)
    )


async def erase(ctx: Ctx, member_id: int, withdraw: bool) -> Erased:
    """Erase one member, in the command's transaction."""
    row = await members.member_by_id(ctx.conn, member_id)
    if row is None:
        raise CommandError("No such member.")
    linked = await members.identities_of(ctx.conn, ctx.vault, member_id)
    email_row = await emails.get(ctx.conn, member_id)
    addresses = emails.addresses(ctx.vault, email_row) if email_row is not None else ()
    signed = await erasure.signatures_of(ctx.conn, member_id)
    names = [row.revealed_name, *(s.display_name for s in signed)]

    # Pledges and letters to open actions: found by their keyed digest, as the member would.
    for action_id in await erasure.open_action_ids(ctx.conn):
        finder = action_commands.finder_of(ctx, action_id, member_id)
        await actions.unpledge(ctx.conn, action_id, finder)
        await erasure.drop_letter(ctx.conn, action_id, finder)
    # Their commands still waiting for their moment, sealed ones opened to see whose.
    queued = await erasure.queued_sealed(ctx.conn, deferral.KIND)
    theirs = [int(q.id) for q in queued if deferral.opened(ctx.vault, q)[0] == member_id]
    await erasure.drop_outbox(ctx.conn, theirs)

    withdrawn = 0
    if withdraw:
        for s in signed:
            campaign = await campaigns.get(ctx.conn, s.campaign_id)
            version = await petitions.unsign(ctx.conn, s.campaign_id, member_id)
            if campaign is not None and version == campaign.petition_version:
                await campaigns.add_signatures(ctx.conn, s.campaign_id, -1)
            withdrawn += 1
    else:
        await erasure.unname_signatures(ctx.conn, member_id)

    await erasure.delete_own(ctx.conn, member_id, [i.key_hash for i in linked])
    needles = [row.pseudonym, *names, *addresses, *(i.key for i in linked)]
    await erasure.scrub(ctx.conn, [n for n in needles if n])
    await erasure.retire(ctx.conn, member_id, retired_digest(ctx.vault, row.pseudonym))
    logger.info("a member was erased (%d signatures withdrawn)", withdrawn)
    return Erased(signatures_kept=len(signed) - withdrawn, signatures_withdrawn=withdrawn)


def _outcome(erased: Erased) -> str:
    if erased.signatures_withdrawn:
        return f"{plural(erased.signatures_withdrawn, 'signature')} withdrawn"
    if erased.signatures_kept:
        return f"{plural(erased.signatures_kept, 'signature')} kept, under no name"
    return "no signatures"


@spec.command(
    "leave",
    "Leave Dynamo: your accounts, email, time zone and names are erased (asks to confirm).",
    params=(
        Param(
            "signatures",
            "choice",
            "Keep your signatures (counted, unnamed) or withdraw them",
            required=False,
            choices=CHOICES,
        ),
        Param("code", "word", "The confirmation code `leave` gave you", required=False),
    ),
    examples=("leave", "leave keep 1a2b3c4d"),
    details=(
        'Your ideas, votes and document edits stay, counted, under "former member"; your '
        "signatures too unless you withdraw them. Your pseudonym is never given out again. "
        "This can't be undone."
    ),
)
async def leave(ctx: Ctx, signatures: str | None, code: str | None) -> Reply:
    if signatures is None or code is None:
        fresh = confirmation(ctx.vault, ctx.member_id, ctx.now)
        return Reply(
            "Leaving erases your linked accounts, email, time zone, shown names and any "
            "notices not yet sent, and can't be undone. Your ideas, votes and document edits "
            'stay, counted, under "former member"; your pseudonym is never given out again. '
            "Your signatures can stay (counted, with no name) or be withdrawn. To confirm, "
            f"within 10 minutes send `leave keep {fresh}` or `leave withdraw {fresh}`.",
            actions=(
                Action("Leave, keep my signatures", f"leave keep {fresh}"),
                Action("Leave, withdraw my signatures", f"leave withdraw {fresh}"),
            ),
        )
    if not _confirmed(ctx.vault, ctx.member_id, ctx.now, code):
        raise CommandError(
            "That confirmation code is wrong or has expired. Send `leave` for a new one."
        )
    erased = await erase(ctx, ctx.member_id, withdraw=signatures == "withdraw")
    return Reply(
        f"You have left Dynamo ({_outcome(erased)}). Everything that named you is erased. "
        "Thank you for everything you did here.",
        data={"compact": erasure.erased_tables()},
    )


@spec.command(
    "mod erase",
    "Erase a member on their written request, as `leave` does (admins only).",
    params=(
        Param("pseudonym", "word", "The member's pseudonym"),
        Param(
            "signatures",
            "choice",
            "Keep their signatures (counted, unnamed) or withdraw them",
            choices=CHOICES,
        ),
    ),
    examples=("mod erase grumpy_heron keep",),
    min_role=Role.ADMIN,
)
async def mod_erase(ctx: Ctx, pseudonym: str, signatures: str) -> Reply:
    target = await members.member_by_pseudonym(ctx.conn, pseudonym)
    if target is None:
        raise CommandError(f"No member is called {quote(pseudonym[:40])}. Check the spelling.")
    if target.id == ctx.member_id:
        raise CommandError("To erase yourself, use `leave`.")
    erased = await erase(ctx, int(target.id), withdraw=signatures == "withdraw")
    await moderation.log(
        ctx.conn,
        actor_id=ctx.member_id,
        action="erase",
        target=erasure.FORMER,
        detail=None,
        reason="on the member's written request",
        target_hidden=True,
        now=ctx.now,
    )
    return Reply(
        f'That member is erased ({_outcome(erased)}); they show as "former member".',
        data={"compact": erasure.erased_tables()},
    )
