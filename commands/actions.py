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
go as well. Delivering a triggered action to its target (a letter) is another feature's:
it starts from the ``action_triggered`` event and reads `storage.repos.actions.revealed` and
the sealed target.
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
from storage.repos import actions, ledger, members, outbox, subscriptions
from storage.vault import ACTION_TARGET, PLEDGE

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
    delivered = f" Once it triggers it is for delivery to {target}." if target else ""
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
    elif row.status == actions.LAPSED:
        state = f"lapsed at its deadline, {when}, with {count}"
    else:
        state = f"{count}, until {when} (`pledge {row.id}`)"
    return f"Action #{row.id}: {quote(row.text)} — {state}."


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


def _finder(ctx: Ctx, action_id: int) -> str:
    return ctx.vault.digest_for(f"action-{action_id}:member-{ctx.member_id}", PLEDGE)


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
