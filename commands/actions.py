"""Actions and sealed pledges: a campaign asks its members to do something together, once
enough of them have promised to.

An organizer of the campaign (or a moderator) opens one: `action 3 needs 200 by 14d
[target ADDRESS] TEXT`. Members pledge privately (`pledge A`, or `pledge A as "Name"` to be
named by that name rather than their pseudonym when it is delivered) and may withdraw
(`unpledge A`) while it is open. Everyone sees only how many have pledged.

Who pledged is sealed in the data (storage.models.Pledge): each pledge is found by a keyed
digest of the action and the member, and its member and chosen name are sealed with the
project secret. Pledge and unpledge run at a random later moment like signatures
(commands.framework.deferral), and the row that holds them until then is sealed too
(``sealed=True``), so not even the queue says who pledged.

The pledge that brings the count to what the action needs triggers it, in its own
transaction: the action's row is updated only while it is open and has the pledges
(storage.repos.actions), so it triggers exactly once however many pledges arrive together.
Only then are the pledges opened: every pledger is told privately that it's on and what to
do, the announcement says how many stood together, the names each pledger chose to be named
by are kept on the action (``revealed``), and the pledge rows go. If the deadline comes
first, the deadline sweep lapses it: pledgers are told, nobody is named, and the pledge rows
go as well.

An action with a target is delivered there. Pledgers may write their own letter to it
(`letter A TEXT`; `letter A` shows it), kept sealed by the same digest as their pledge, so a
database read before the trigger ties no letter to anyone. At the trigger the letters of the
pledges that count are opened (the others, and at a lapse all of them, are deleted unread)
into the delivery, sealed on the action: a summary (how many, of which categories, the
names each chose) and the letters as a document. A moderator must confirm the target
address once (`mod target A confirm`) before anything is mailed to it; until then the
delivery waits and moderators are told. Then exactly one ``email`` outbox row is written
(the ledger's "action_delivery" claim) and the organizers get a copy by private notice;
the mailer sends it with a Message-ID fixed by that row, records the delivery (time and
Message-ID) on the action and drops the sealed letters, all in the transaction that marks
the row sent (commands.email.delivery).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from commands.email.addresses import valid_address
from commands.framework import calendar, lookup, notices
from commands.framework.context import Ctx
from commands.framework.formatting import plural, quote
from commands.framework.job_env import sweep_deadlines
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply, Role
from commands.ideas import check_text
from commands.shown_names import check as check_name
from storage.repos import actions, campaigns, ledger, members, moderation, outbox, subscriptions
from storage.vault import ACTION_DELIVERY, ACTION_TARGET, LETTER, PLEDGE, Vault

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from commands.framework.job_env import JobEnv

logger = logging.getLogger(__name__)

spec = CommandSet()

# More than any movement of crowd workers will gather; a typo's 2000000 is refused.
MOST_NEEDED = 100_000

ACTION_TEXT = Param(
    "text", "text", "What the action asks members to do", max_chars="petition_max_chars"
)
PLEDGE_NAME = Param(
    "name",
    "text",
    "A name to be named by when it is delivered",
    required=False,
    keyword="as",
    shape="name",
    max_chars="name_max_chars",
    form_hint="Named when the action is delivered, instead of your pseudonym",
)


LETTER_TEXT = Param(
    "text",
    "text",
    "Your letter to the action's target (leave out to see yours)",
    required=False,
    max_chars="letter_max_chars",
)
# The event of the mail to the target (commands.email.delivery composes it).
DELIVERY = "action_delivery"
# Members' categories as the summary counts them (by the kind of code they registered with).
CATEGORY_OF_CODE = {"worker": "worker", "invite": "invited member"}


def stream(action_id: int) -> str:
    """The stream an action's queued pledges keep their order in (deferral.stream_of)."""
    return f"action-{action_id}"


@spec.command(
    "action",
    "Open an action on a campaign: what to do together, once enough members pledge (organizers).",
    params=(
        Param("campaign", "int", "The campaign's number"),
        Param("pledges", "int", "How many pledges it needs", keyword="needs"),
        Param("when", "word", "Its deadline (14d, 2026-12-31)", keyword="by"),
        Param(
            "address",
            "word",
            "The address it is delivered to",
            required=False,
            keyword="target",
        ),
        ACTION_TEXT,
    ),
    examples=(
        "action 3 needs 200 by 14d Send a letter to the MTurk team asking for a minimum pay rate",
        "action 3 needs 100 by 2026-12-31 target team@example.org We ask for a minimum pay rate.",
    ),
    later="Your action on campaign #{campaign} goes up",
    tell_after=True,
    form_title="Action on campaign #{campaign}",
    details="Members pledge privately with `pledge A`; everyone sees only how many have. "
    "When the pledges reach the number it needs before its deadline it triggers: every "
    "pledger is told what to do, and it is announced how many stood together. If the "
    "deadline comes first it lapses and nobody is ever named.",
)
async def action(
    ctx: Ctx, campaign: int, pledges: int, when: str, address: str | None, text: str
) -> Reply:
    row = await lookup.campaign(ctx, campaign)
    await lookup.require_organizer(ctx, campaign)
    if row.status != "active":
        raise CommandError(f"Campaign #{campaign} is closed.")
    if pledges > MOST_NEEDED:
        raise CommandError(f"An action can need at most {MOST_NEEDED} pledges.")
    zone = await ctx.zone()
    try:
        due_at = calendar.parse_moment(when, ctx.now, zone)
    except calendar.TimeError as exc:
        raise CommandError(str(exc)) from exc
    if due_at <= ctx.now:
        raise CommandError(f"{calendar.show(due_at, zone)} has passed; pick a later time.")
    target = None
    if address is not None:
        target = valid_address(address)
        if target is None:
            raise CommandError(
                f"“{quote(address[:60])}” is not an email address; for example "
                f"`target team@example.org`."
            )
    text = check_text(
        text, ACTION_TEXT.limit(ctx.rules), "action", f"action {campaign} needs 100 by 14d ..."
    )
    if ctx.trial:
        # Checked; the action's number is drawn when it is carried out (a rolled-back
        # trial would use one up on PostgreSQL).
        return Reply("The action can be opened.")
    number = await actions.create(
        ctx.conn,
        campaign_id=campaign,
        text=text,
        needs=pledges,
        due_at=due_at,
        target=None if target is None else ctx.vault.seal(target, ACTION_TARGET),
        by=ctx.member_id,
        now=ctx.now,
    )
    if not row.hidden:
        ctx.announce(
            "action_created",
            _opened(number, campaign, pledges, calendar.show(due_at, ctx.schedule.zone), text),
            campaign_id=campaign,
            action_id=number,
            needs=pledges,
            due_at=due_at.isoformat(),
            pledges=0,
        )
    await ctx.notify_in_zones(
        [m for m in await subscriptions.subscribers(ctx.conn, campaign) if m != ctx.member_id],
        "action_created",
        lambda z: _opened(number, campaign, pledges, calendar.show(due_at, z), text),
        campaign_id=campaign,
        action_id=number,
    )
    # Not the address: this answer may wait in the outbox (tell_after), and the address is
    # kept sealed.
    delivered = (
        f" Once it triggers, its pledgers' letters go to its target, after a moderator "
        f"confirmed the address once (`mod target {number}`)."
        if target
        else ""
    )
    return Reply(
        f"Action #{number} on campaign #{campaign} is open: it needs "
        f"{plural(pledges, 'pledge')} by {calendar.show(due_at, zone)}. It has been "
        f"announced.{delivered}",
        data={"action_id": number},
    )


def _opened(number: int, campaign: int, needs: int, when: str, text: str) -> str:
    return (
        f"Action #{number} of campaign #{campaign} happens if {plural(needs, 'member')} "
        f"pledge by {when}: {quote(text)} — pledge privately with `pledge {number}` (no one "
        f"sees who pledged, only how many)."
    )


@spec.command(
    "actions",
    "Show a campaign's actions: what each asks, how many pledged, its deadline.",
    params=(Param("campaign", "int", "The campaign's number"),),
    examples=("actions 3",),
    private=False,
    writes=False,
)
async def list_actions(ctx: Ctx, campaign: int) -> Reply:
    await lookup.campaign(ctx, campaign)
    rows = await actions.of_campaign(ctx.conn, campaign)
    if not rows:
        return Reply(
            f"Campaign #{campaign} has no actions. Its organizers can open one: "
            f"`action {campaign} needs 100 by 14d ...`."
        )
    zone = await ctx.zone()
    return Reply("\n".join(line(row, zone) for row in rows))


def line(row: Any, zone: ZoneInfo) -> str:
    """One action as `actions N` (and the campaign's page) show it: only the count."""
    when = calendar.show(row.due_at, zone)
    count = f"{row.pledge_count} of {row.needs} pledges"
    if row.status == actions.TRIGGERED:
        state = f"triggered {calendar.show(row.closed_at, zone)}: {row.pledge_count} stood together"
        state += delivery_note(row, zone)
    elif row.status == actions.LAPSED:
        state = f"lapsed at its deadline, {when}, with {count}"
    else:
        state = f"{count}, until {when} (`pledge {row.id}`)"
    return f"Action #{row.id}: {quote(row.text)} — {state}."


def delivery_note(row: Any, zone: ZoneInfo) -> str:
    """What `actions N`, the campaign page and the export say of a triggered action's
    delivery to its target (never the address)."""
    if row.delivered_at is not None:
        return f"; delivered to the target on {calendar.show(row.delivered_at, zone)}"
    if row.has_target:
        return "; its letters wait to be delivered to the target"
    return ""


async def in_view(conn: Any, since: datetime, now: datetime, within: Any) -> list[dict[str, Any]]:
    """The actions the daily digest and the weekly update carry: open ones due within
    ``within`` (their count), and those that triggered or lapsed since ``since`` (hidden
    campaigns left out). Counts only, never who."""
    return [
        {
            "action_id": r.id,
            "campaign_id": r.campaign_id,
            "text": r.text,
            "needs": r.needs,
            "pledges": r.pledge_count,
            "status": r.status,
            "due_at": r.due_at.isoformat(),
        }
        for r in await actions.in_view(conn, since, now + within)
        if not r.hidden and (r.status != actions.OPEN or r.due_at > now)
    ]


def in_view_line(item: dict[str, Any], when: str) -> str:
    """What the digest and the weekly update say of an action, lower-case first, no full
    stop: "action #4 of campaign #1 has 37 of 200 pledges until ... (`pledge 4`)"."""
    what = f"action #{item['action_id']} of campaign #{item['campaign_id']}"
    if item["status"] == actions.TRIGGERED:
        return f"{what} triggered: {plural(item['pledges'], 'member')} stood together"
    if item["status"] == actions.LAPSED:
        return f"{what} lapsed with {item['pledges']} of {item['needs']} pledges"
    return (
        f"{what} has {item['pledges']} of {item['needs']} pledges until {when} "
        f"(`pledge {item['action_id']}`)"
    )


@spec.command(
    "pledge",
    "Pledge privately to take part in an action; optionally with a name to be named by.",
    params=(Param("action", "int", "The action's number"), PLEDGE_NAME),
    examples=("pledge 4", 'pledge 4 as "Kristy M., Turker since 2011"'),
    later="Your pledge to action #{action} counts",
    sealed=True,
    form_title="Pledge to action #{action} with a name",
    details="No one, not even moderators or organizers, can see who pledged before the action "
    "triggers; then each pledger is named only as they chose: by their pseudonym, or by "
    "the name given with `as NAME`. If it lapses nobody is ever named.",
)
async def pledge(ctx: Ctx, action: int, name: str | None) -> Reply:
    row = await _open_action(ctx, action)
    if name is not None:
        name = await check_name(
            ctx, name, f'pledge {action} as "Kristy M., Turker"', PLEDGE_NAME.limit(ctx.rules)
        )
    finder = _finder(ctx, action)
    if name is None and await actions.has_pledge(ctx.conn, action, finder):
        return Reply.unchanged(
            f"You have pledged to action #{action} already. `unpledge {action}` withdraws it."
        )
    sealed = ctx.vault.seal(json.dumps({"member": ctx.member_id, "name": name}), PLEDGE)
    outcome = await actions.pledge(ctx.conn, action, finder, sealed)
    if outcome is None:
        raise CommandError(await _no_longer_open(ctx, action))
    kind, count = outcome
    named = f'named "{quote(name)}"' if name else "named by your pseudonym only"
    if kind == "updated":
        return Reply(
            f"Your pledge to action #{action} stays; when it is delivered you are {named}."
        )
    if count >= row.needs and await trigger(ctx, row):
        return Reply(
            f"Your pledge to action #{action} made it {plural(count, 'pledge')}: it's on. I "
            f"sent you what to do.",
            data={"news": True},
        )
    return Reply(
        f"You pledged to action #{action}; it has {count} of {row.needs}. No one sees that "
        f"you did; if it triggers you are {named}. `unpledge {action}` withdraws it.",
        data={"action_id": action, "pledges": count},
    )


@spec.command(
    "unpledge",
    "Withdraw your pledge to an action, before it triggers.",
    params=(Param("action", "int", "The action's number"),),
    examples=("unpledge 4",),
    later="Your pledge to action #{action} is withdrawn",
    sealed=True,
)
async def unpledge(ctx: Ctx, action: int) -> Reply:
    row = await _open_action(ctx, action)
    count = await actions.unpledge(ctx.conn, action, _finder(ctx, action))
    if count is None:
        current = await actions.get(ctx.conn, action)
        if current is not None and current.status != actions.OPEN:
            raise CommandError(await _no_longer_open(ctx, action))
        raise CommandError(
            f"You have no pledge on action #{action}. (A pledge you have just sent counts "
            f"from its random moment on; withdraw it after that.)"
        )
    return Reply(
        f"Your pledge to action #{action} is withdrawn; it has {count} of {row.needs}.",
        data={"action_id": action, "pledges": count},
    )


@spec.command(
    "letter",
    "Write your own letter to an action's target, private until it triggers; or see yours.",
    params=(Param("action", "int", "The action's number"), LETTER_TEXT),
    examples=(
        "letter 4 I have done surveys for six years; fair pay would let me stay.",
        "letter 4",
    ),
    form_title="Your letter for action #{action}",
    details="Nobody sees your letter before the action triggers, not even moderators or "
    "organizers. It goes with your pledge: when the action triggers, the letters of those who "
    "pledged are sent to its target together, each under the name you pledged with (your "
    "pseudonym unless you chose another). A new letter replaces yours. If the action lapses "
    "or your pledge does not count, your letter is deleted unread.",
)
async def letter(ctx: Ctx, action: int, text: str | None) -> Reply:
    row = await _open_action(ctx, action)
    if not row.has_target:
        raise CommandError(
            f"Action #{action} has no target to deliver letters to; its pledgers are told "
            f"what to do when it triggers."
        )
    finder = _finder(ctx, action)
    pledged = await actions.has_pledge(ctx.conn, action, finder)
    goes = (
        "It goes to the target with your pledge when the action triggers."
        if pledged
        else f"It goes only with your pledge: `pledge {action}` (a pledge you sent counts "
        f"from its random moment)."
    )
    if text is None:
        sealed = await actions.letter(ctx.conn, action, finder)
        if sealed is None:
            return Reply(
                f"You have written no letter to action #{action}'s target. "
                f"`letter {action} TEXT` writes one; only you see it until it triggers."
            )
        mine = ctx.vault.open(sealed, LETTER)
        return Reply(f"Your letter to action #{action}'s target: {quote(mine)} {goes}")
    text = check_text(
        text, LETTER_TEXT.limit(ctx.rules), "letter", f"letter {action} Fair pay would let me stay."
    )
    replaced = await actions.write_letter(ctx.conn, action, finder, ctx.vault.seal(text, LETTER))
    kept = "replaces your earlier one" if replaced else "is kept"
    return Reply(
        f"Your letter to action #{action}'s target {kept}, sealed: nobody sees it before the "
        f"action triggers. {goes} `letter {action}` shows it."
    )


@spec.command(
    "mod target",
    "See an action's target address, or confirm it so the letters may be mailed there.",
    params=(
        Param("action", "int", "The action's number"),
        Param(
            "confirm", "choice", "confirm: allow mail to it", required=False, choices=("confirm",)
        ),
    ),
    examples=("mod target 4", "mod target 4 confirm"),
    min_role=Role.MODERATOR,
    details="Nothing is mailed to an action's target before a moderator confirmed the address "
    "once: the bot must not be used to mail strangers. Check that the address belongs to the "
    "action's target (the requester, the platform), then confirm it.",
)
async def mod_target(ctx: Ctx, action: int, confirm: str | None) -> Reply:
    row = await actions.get(ctx.conn, action)
    if row is None:
        raise CommandError(f"There is no action #{action}.")
    sealed = await actions.sealed_target(ctx.conn, action)
    if sealed is None:
        raise CommandError(f"Action #{action} has no target address.")
    address = ctx.vault.open(sealed, ACTION_TARGET)
    if confirm is None:
        state = (
            "confirmed"
            if row.target_confirmed_at is not None
            else f"not confirmed: `mod target {action} confirm` allows mail to it"
        )
        return Reply(f"Action #{action}'s target is {address}, {state}.")
    if not await actions.confirm_target(ctx.conn, action, ctx.now):
        return Reply.unchanged(f"Action #{action}'s target {address} is confirmed already.")
    await moderation.log(
        ctx.conn,
        actor_id=ctx.member_id,
        action="target",
        target=f"action #{action}",
        detail="confirmed its target address",
        now=ctx.now,
    )
    if row.status == actions.TRIGGERED and await queue_delivery(ctx, row):
        return Reply(f"Action #{action}'s target {address} is confirmed; its letters go there now.")
    return Reply(
        f"Action #{action}'s target {address} is confirmed: its letters go there when it triggers."
    )


def _finder(ctx: Ctx, action_id: int) -> str:
    return finder_of(ctx, action_id, ctx.member_id)


def finder_of(ctx: Ctx, action_id: int, member_id: int) -> str:
    """The keyed digest a member's pledge and letter to an action are found by."""
    return _digest(ctx.vault, action_id, member_id)


def _digest(vault: Vault, action_id: int, member_id: int) -> str:
    return vault.digest_for(f"action-{action_id}:member-{member_id}", PLEDGE)


async def own_letter(conn: Any, vault: Vault, action_id: int, member_id: int) -> str | None:
    """A member's own letter to an action, opened for them alone (the web editor)."""
    sealed = await actions.letter(conn, action_id, _digest(vault, action_id, member_id))
    return None if sealed is None else vault.open(sealed, LETTER)


async def has_own_pledge(conn: Any, vault: Vault, action_id: int, member_id: int) -> bool:
    """Whether a member's own pledge to an action counts now (the web page shows it to them
    alone)."""
    return await actions.has_pledge(conn, action_id, _digest(vault, action_id, member_id))


async def _open_action(ctx: Ctx, action_id: int) -> Any:
    row = await actions.get(ctx.conn, action_id)
    if row is None or (row.hidden and ctx.role < Role.MODERATOR):
        raise CommandError(f"There is no action #{action_id}.")
    if row.status != actions.OPEN:
        raise CommandError(await _no_longer_open(ctx, action_id))
    if row.due_at <= ctx.now and not ctx.carried_out:
        when = calendar.show(row.due_at, await ctx.zone())
        raise CommandError(f"Action #{action_id} took pledges until {when}.")
    return row


async def _no_longer_open(ctx: Ctx, action_id: int) -> str:
    row = await actions.get(ctx.conn, action_id)
    if row is not None and row.status == actions.TRIGGERED:
        return (
            f"Action #{action_id} has triggered already, with "
            f"{plural(row.pledge_count, 'pledge')}: it takes no more pledges."
        )
    return f"Action #{action_id} lapsed at its deadline; it takes no more pledges."


async def trigger(ctx: Ctx, row: Any) -> bool:
    """Trigger an action that has its pledges: for exactly one caller, tell every pledger
    what to do and announce how many stood together. False when it was not this one's."""
    count = await actions.trigger(ctx.conn, row.id, ctx.now)
    if count is None:
        return False
    if not await ledger.claim(ctx.conn, "action_trigger", stream(row.id), ctx.now):
        return False  # cannot happen while the status holds; the ledger says so twice
    pledgers = await _opened_pledges(ctx, row.id)
    names = await _names(ctx, pledgers)
    await actions.set_revealed(ctx.conn, row.id, names)
    letters = await actions.take_letters(ctx.conn, row.id)
    if row.has_target:
        content = await _delivery(ctx, row, count, pledgers, names, letters)
        await actions.set_delivery(
            ctx.conn, row.id, ctx.vault.seal(json.dumps(content), ACTION_DELIVERY)
        )
        if row.target_confirmed_at is not None:
            await queue_delivery(ctx, row)
        else:
            ctx.notify(
                await ctx.staff(),
                "action_target_unconfirmed",
                f"Action #{row.id} of campaign #{row.campaign_id} triggered, but its target "
                f"address was never confirmed, so its letters wait. See it with `mod target "
                f"{row.id}` and, if it is the action's real target, send `mod target {row.id} "
                f"confirm`: then they go.",
                notice=notices.PERSONAL,
                campaign_id=row.campaign_id,
                action_id=row.id,
            )
    ctx.notify(
        [member for member, _ in pledgers],
        "action_triggered",
        f"It's on: action #{row.id} of campaign #{row.campaign_id} has "
        f"{plural(count, 'pledge')}, and yours is one. Here is what to do: {quote(row.text)}",
        notice=notices.PERSONAL,
        campaign_id=row.campaign_id,
        action_id=row.id,
    )
    if not row.hidden:
        ctx.announce(
            "action_triggered",
            f"Action #{row.id} of campaign #{row.campaign_id} is on: "
            f"{plural(count, 'member')} stood together. {quote(row.text)}",
            campaign_id=row.campaign_id,
            action_id=row.id,
            pledges=count,
        )
    logger.info("action %s triggered", row.id)
    return True


async def _delivery(
    ctx: Ctx,
    row: Any,
    count: int,
    pledgers: list[tuple[int, str | None]],
    names: list[str],
    letters: dict[str, str],
) -> dict[str, Any]:
    """What goes to the target: the summary and each pledger's letter under the name they
    chose. Letters without a pledge that counts are left unread."""
    categories: dict[str, int] = {}
    written = []
    for member_id, name in pledgers:
        member = await members.member_by_id(ctx.conn, member_id)
        if member is None:
            continue
        category = CATEGORY_OF_CODE.get(member.code_kind, "member")
        categories[category] = categories.get(category, 0) + 1
        sealed = letters.get(finder_of(ctx, row.id, member_id))
        if sealed is not None:
            written.append(
                {"name": name or str(member.pseudonym), "text": ctx.vault.open(sealed, LETTER)}
            )
    written.sort(key=lambda w: (w["name"].casefold(), w["text"]))
    campaign = await campaigns.get(ctx.conn, row.campaign_id)
    return {
        "action": row.id,
        "campaign": row.campaign_id,
        "campaign_text": "" if campaign is None else campaign.text,
        "text": row.text,
        "count": count,
        "categories": dict(sorted(categories.items())),
        "names": names,
        "letters": written,
        "triggered_at": ctx.now.isoformat(),
    }


async def queue_delivery(ctx: Ctx, row: Any) -> bool:
    """Queue the mail to a triggered action's confirmed target, and the organizers' copy,
    exactly once (the ledger); False when it was queued before."""
    waiting = await actions.delivery(ctx.conn, row.id)
    if waiting is None or waiting.delivery is None:
        return False
    if not await ledger.claim(ctx.conn, DELIVERY, stream(row.id), ctx.now):
        return False
    content = json.loads(ctx.vault.open(waiting.delivery, ACTION_DELIVERY))
    ctx.pending.append(
        {
            "kind": "email",
            "member_id": None,
            "stream": stream(row.id),
            "event": DELIVERY,
            "payload": {"action": row.id},
            "created_at": ctx.now,
            "available_at": ctx.now,
            "attempts": 0,
        }
    )
    organizers = [int(o.id) for o in await campaigns.organizer_names(ctx.conn, row.campaign_id)]
    ctx.notify(
        organizers,
        "action_delivery_copy",
        f"Your copy of what goes to action #{row.id}'s target now:\n\n{summary(content)}"
        f"\n\n{letters_text(content)}",
        notice=notices.PERSONAL,
        campaign_id=row.campaign_id,
        action_id=row.id,
    )
    return True


def summary(content: dict[str, Any]) -> str:
    """The mail's summary: how many, of which categories, the names each chose."""
    kinds = ", ".join(plural(n, c) for c, n in content["categories"].items())
    names = "; ".join(content["names"])
    written = len(content["letters"])
    return (
        f"{plural(content['count'], 'member')} of the Dynamo campaign #{content['campaign']} "
        f"({content['campaign_text']}) pledged together to this action, and reached the number "
        f"it needed: {content['text']}\n\n"
        f"Who they are: {kinds or 'members'}. Each is named as they chose: {names}.\n\n"
        f"{plural(written, 'letter')} from them {'is' if written == 1 else 'are'} attached."
    )


def letters_text(content: dict[str, Any]) -> str:
    """The letters as one Markdown document, each once, under its writer's chosen name."""
    lines = [f"# Letters for action #{content['action']}", "", content["text"], ""]
    for item in content["letters"]:
        # Quoted, so nothing a member wrote becomes a heading of the document.
        quoted = [f"> {line}" if line else ">" for line in item["text"].split("\n")]
        lines += [f"## From {item['name']}", "", *quoted, ""]
    if not content["letters"]:
        lines += ["(No pledger wrote a letter.)", ""]
    return "\n".join(lines)


async def _opened_pledges(ctx: Ctx, action_id: int) -> list[tuple[int, str | None]]:
    """The pledges of an action that has just triggered or lapsed, opened and deleted: each
    pledger's member id and the name they chose (None: their pseudonym)."""
    opened = [
        json.loads(ctx.vault.open(s, PLEDGE))
        for s in await actions.take_sealed(ctx.conn, action_id)
    ]
    return [(int(p["member"]), p.get("name")) for p in opened]


async def _names(ctx: Ctx, pledgers: list[tuple[int, str | None]]) -> list[str]:
    """What each pledger chose to be named by, sorted: their order says nothing."""
    names = []
    for member_id, name in pledgers:
        if name is None:
            member = await members.member_by_id(ctx.conn, member_id)
            name = None if member is None else str(member.pseudonym)
        if name is not None:
            names.append(name)
    return sorted(names, key=str.casefold)


async def sweep(env: JobEnv, now: datetime) -> int:
    """Remind the campaign's followers ahead of an open action's deadline, and lapse it at
    the deadline, each exactly once."""
    async with env.db.read() as conn:
        due = await actions.open_due_before(conn, now + env.schedule.reminder)
    return await sweep_deadlines(
        due,
        now,
        env.schedule.reminder,
        at_deadline=lambda row: _lapse(env, row, now),
        remind=lambda row: _remind(env, row, now),
    )


def _key(row: Any) -> str:
    return f"{stream(row.id)}@{row.due_at:%Y%m%dT%H%M%SZ}"


async def _remind(env: JobEnv, row: Any, now: datetime) -> int:
    if row.hidden:
        return 0
    async with env.transaction(now) as ctx:
        if not await ledger.claim(ctx.conn, "action_reminder", _key(row), now):
            return 0
        left = calendar.show_span(row.due_at - now)

        def render(z: ZoneInfo) -> str:
            return (
                f"Reminder: action #{row.id} of campaign #{row.campaign_id} has "
                f"{row.pledge_count} of {row.needs} pledges and {left} left (until "
                f"{calendar.show(row.due_at, z)}): {quote(row.text)} Pledge privately with "
                f"`pledge {row.id}`."
            )

        await ctx.notify_in_zones(
            await subscriptions.subscribers(ctx.conn, row.campaign_id),
            "action_reminder",
            render,
            campaign_id=row.campaign_id,
            action_id=row.id,
        )
        return 1


async def _lapse(env: JobEnv, row: Any, now: datetime) -> int:
    async with env.transaction(now) as ctx:
        if await outbox.asked_before(ctx.conn, stream(row.id), row.due_at):
            # A pledge sent before the deadline waits for its random moment: it counts, so
            # the action lapses (or triggers) once it has been carried out.
            return 0
        current = await actions.get(ctx.conn, row.id)
        if current is None or current.status != actions.OPEN:
            return 0
        if current.pledge_count >= current.needs:
            return int(await trigger(ctx, current))
        if not await ledger.claim(ctx.conn, "action_lapse", _key(row), now):
            return 0
        count = await actions.lapse(ctx.conn, row.id, row.due_at)
        if count is None:
            return 0
        pledgers = await _opened_pledges(ctx, row.id)
        await actions.take_letters(ctx.conn, row.id)  # deleted unread

        def lapsed(z: ZoneInfo) -> str:
            return (
                f"Action #{row.id} of campaign #{row.campaign_id} lapsed at its deadline, "
                f"{calendar.show(row.due_at, z)}, with {count} of {row.needs} pledges. "
                f"Nothing is sent and nobody is named: {quote(row.text)}"
            )

        await ctx.notify_in_zones(
            [member for member, _ in pledgers],
            "action_lapsed",
            lapsed,
            notice=notices.PERSONAL,
            campaign_id=row.campaign_id,
            action_id=row.id,
        )
        if not row.hidden:
            ctx.announce(
                "action_lapsed",
                lapsed(ctx.schedule.zone),
                campaign_id=row.campaign_id,
                action_id=row.id,
                pledges=count,
            )
        logger.info("action %s lapsed at its deadline", row.id)
        return 1
