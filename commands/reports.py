"""Reports: any member reports an idea, a said message or a shown name; moderators decide.

Moderators get the reason, never the reporter: a report keeps its reporter only as a keyed
digest of the member and the item (storage.repos.reports), which counts distinct reporters
and says nothing else. At ``[trust] reports_to_hide`` distinct reporters the item is hidden
until a moderator decides (`mod report N keep|hide`), and its author is told privately why
and how to appeal (`appeal N WHY`). Every hiding and decision goes in the moderation log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commands.framework import lookup, notices
from commands.framework.context import Ctx
from commands.framework.formatting import plural, quote
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply, Role
from commands.ideas import check_text
from storage.repos import discussion, ideas, members, moderation, reports
from storage.repos.reports import KINDS

spec = CommandSet()

REASON_MAX_CHARS = 500
# What a reporter's digest is made for (storage/vault.py): such digests match no other.
REPORTER = "reporter"
HIDDEN_SAY = "[hidden by reports]"


@dataclass(frozen=True)
class Target:
    kind: str
    number: int  # the idea's, the message's, or the member whose shown name it is
    author_id: int
    label: str  # "idea #12", "message [say 17]", "the name shown by calm_otter"
    text: str


def _reason() -> Param:
    return Param("reason", "text", "Why", max_chars=REASON_MAX_CHARS)


async def _target(ctx: Ctx, kind: str, target: str) -> Target:
    if kind == "name":
        row = await members.member_by_pseudonym(ctx.conn, target)
        if row is None:
            raise CommandError(f"No member is called {quote(target[:40])}. Check the spelling.")
        shown = row.revealed_name
        item = await reports.item(ctx.conn, "name", int(row.id))
        if shown is None and item is not None and item.status in ("hidden", "removed"):
            shown = item.hidden_name
        if shown is None:
            raise CommandError(f"{row.pseudonym} shows no name beside their pseudonym.")
        return Target("name", int(row.id), int(row.id), f"the name shown by {row.pseudonym}", shown)
    if not target.isdigit():
        raise CommandError(f"Give the {kind}'s number, for example `report {kind} 12 WHY`.")
    number = int(target)
    if kind == "idea":
        row = await lookup.idea(ctx, number)
        return Target("idea", number, int(row.author_id), f"idea #{number}", row.text)
    said = await discussion.message(ctx.conn, number)
    if said is None or (said.hidden and ctx.role < Role.MODERATOR):
        raise CommandError(
            f"There is no message [say {number}]; the number is shown with each message."
        )
    return Target("say", number, int(said.author_id), f"message [say {number}]", said.text)


async def _hide(ctx: Ctx, t: Target, hidden: bool, item: Any) -> None:
    """Hide the target everywhere it shows, or show it again."""
    if t.kind == "idea":
        await ideas.set_hidden(ctx.conn, t.number, hidden)
    elif t.kind == "say":
        await discussion.set_message_hidden(ctx.conn, t.number, hidden)
        await _edit_said(ctx, t.number, hidden)
    elif hidden:
        member = await members.member_by_id(ctx.conn, t.number)
        if member is not None and member.revealed_name is not None:
            await members.set_revealed_name(ctx.conn, t.number, None)
            await reports.set_status(ctx.conn, item.id, item.status, hidden_name=t.text)
    else:
        member = await members.member_by_id(ctx.conn, t.number)
        if member is not None and member.revealed_name is None and item.hidden_name:
            await members.set_revealed_name(ctx.conn, t.number, item.hidden_name)


async def _edit_said(ctx: Ctx, number: int, hidden: bool) -> None:
    """Where a platform lets the bot edit what it posted (Discord), the words are replaced by
    HIDDEN_SAY, or put back; a line said on IRC can't be taken back."""
    said = await discussion.message(ctx.conn, number)
    author = await members.member_by_id(ctx.conn, int(said.author_id)) if said else None
    if said is None or author is None:
        return
    ctx.announce(
        "say_hidden",
        "",
        campaign_id=int(said.campaign_id),
        say_id=number,
        hidden=hidden,
        shown=f"{HIDDEN_SAY} [say {number}]",
        message=f"{said.text} [say {number}]",
        pseudonym=author.pseudonym,
    )


async def _log(ctx: Ctx, actor: int | None, action: str, t: Target, detail: str) -> None:
    await moderation.log(
        ctx.conn, actor_id=actor, action=action, target=t.label, detail=detail, now=ctx.now
    )


def _appeal_line(item_id: int) -> str:
    return (
        f"If you think that is wrong, send me `appeal {item_id} WHY`: the moderators read it "
        f"and decide. You may also write to any moderator."
    )


@spec.command(
    "report",
    "Report an idea, a said message or a shown name to the moderators; they get your "
    "reason, never who you are.",
    params=(
        Param("kind", "choice", "What you report", choices=KINDS),
        Param(
            "target",
            "word",
            "The idea's number, the message's number (shown with it as [say N]), or the "
            "pseudonym beside the shown name",
        ),
        _reason(),
    ),
    examples=(
        "report idea 12 It names a requester's worker ID.",
        "report say 17 A personal attack.",
        "report name calm_otter That is somebody's real name.",
    ),
    later="Your report reaches the moderators",
    sealed=True,
    details="Only a keyed digest stands for you in the report, to count distinct reporters: "
    "moderators, and anyone who reads the database, cannot learn who reported. When enough "
    "members report the same thing, it is hidden until a moderator decides.",
)
async def report(ctx: Ctx, kind: str, target: str, reason: str) -> Reply:
    t = await _target(ctx, kind, target)
    reason = check_text(reason, REASON_MAX_CHARS, "reason", f"report {kind} {target} WHY")
    if t.author_id == ctx.member_id:
        raise CommandError(f"That is your own {t.kind}; nobody else's report is needed.")
    existing = await reports.item(ctx.conn, t.kind, t.number)
    if existing is not None and existing.status == "kept":
        raise CommandError(
            f"The moderators looked at {t.label} and kept it. If something new is wrong with "
            "it, write to a moderator."
        )
    if existing is not None and existing.status == "removed":
        return Reply(f"The moderators have hidden {t.label} already.", data={"unchanged": True})
    item = await reports.open_item(ctx.conn, t.kind, t.number, t.author_id, ctx.now)
    digest = ctx.vault.digest_for(f"report-{item.id}:member-{ctx.member_id}", REPORTER)
    if not await reports.add(ctx.conn, item.id, digest, reason):
        return Reply(
            f"You reported {t.label} already; a member's report counts once.",
            data={"unchanged": True},
        )
    count = await reports.count(ctx.conn, item.id)
    needed = ctx.trust.reports_to_hide
    staff = await ctx.staff()
    ctx.notify(
        staff,
        "report_made",
        f"Report {item.id}: {t.label} ({quote(t.text)}), {plural(count, 'report')} of the "
        f"{needed} that hide it. Reason: {quote(reason)}. Decide with `mod report {item.id} "
        "keep` or `hide`.",
        notice=notices.PERSONAL,
    )
    if item.status == "open" and count >= needed:
        await _hide(ctx, t, True, item)
        await reports.set_status(ctx.conn, item.id, "hidden")
        await _log(ctx, None, "report hide", t, f"report {item.id}: {plural(count, 'report')}")
        why = "; ".join(quote(r) for r in await reports.reasons(ctx.conn, item.id))
        ctx.notify(
            [t.author_id],
            "report_hidden",
            f"Your {t.label} ({quote(t.text)}) is hidden: {count} members reported it, until "
            f"a moderator decides. The reasons they gave: {why}. {_appeal_line(item.id)}",
            notice=notices.PERSONAL,
        )
        ctx.notify(
            staff,
            "report_hidden",
            f"Report {item.id}: {t.label} is hidden after {plural(count, 'report')}, until "
            f"you decide: `mod report {item.id} keep` or `hide`.",
            notice=notices.PERSONAL,
        )
    return Reply(f"Reported {t.label} to the moderators. They see your reason, never who sent it.")


@spec.command(
    "appeal",
    "Ask the moderators to show again something of yours that reports hid.",
    params=(
        Param("report", "int", "The report's number, from the notice that told you"),
        Param("text", "text", "Why it should be shown", max_chars=REASON_MAX_CHARS),
    ),
    examples=("appeal 4 The name is a pen name, not anybody's real name.",),
)
async def appeal(ctx: Ctx, report: int, text: str) -> Reply:
    item = await reports.item_by_id(ctx.conn, report)
    if item is None or item.author_id != ctx.member_id:
        raise CommandError(f"No report {report} is about something of yours.")
    if item.status == "removed":
        raise CommandError(
            f"A moderator decided report {report} already; if you disagree, write to another "
            "moderator or an admin."
        )
    if item.status != "hidden":
        raise CommandError(f"Report {report} hid nothing of yours; there is nothing to appeal.")
    text = check_text(text, REASON_MAX_CHARS, "appeal", f"appeal {report} WHY")
    t = await _item_target(ctx, item)
    ctx.notify(
        await ctx.staff(),
        "report_appeal",
        f"{ctx.pseudonym} appeals report {report} ({t.label}, {quote(t.text)}): {quote(text)}. "
        f"Decide with `mod report {report} keep` or `hide`.",
        notice=notices.PERSONAL,
    )
    return Reply(f"Your appeal of report {report} reached the moderators; they will decide.")


async def _item_target(ctx: Ctx, item: Any) -> Target:
    number = int(item.target)
    if item.kind == "idea":
        row = await ideas.get(ctx.conn, number)
        text = row.text if row is not None else ""
        return Target("idea", number, int(item.author_id), f"idea #{number}", text)
    if item.kind == "say":
        said = await discussion.message(ctx.conn, number)
        text = said.text if said is not None else ""
        return Target("say", number, int(item.author_id), f"message [say {number}]", text)
    member = await members.member_by_id(ctx.conn, number)
    name = (member.revealed_name if member is not None else None) or item.hidden_name or ""
    who = member.pseudonym if member is not None else "a member who left"
    return Target("name", number, int(item.author_id), f"the name shown by {who}", name)


@spec.command(
    "mod reports",
    "The reports waiting for a decision: what, how many, and the reasons (never who).",
    examples=("mod reports",),
    min_role=Role.MODERATOR,
    writes=False,
)
async def open_reports(ctx: Ctx) -> Reply:
    rows = await reports.undecided(ctx.conn, limit=ctx.rules.listing_size)
    if not rows:
        return Reply("No reports wait for a decision.")
    lines = ["Reports waiting for a decision, oldest first:"]
    for row in rows:
        t = await _item_target(ctx, row)
        state = "hidden by reports" if row.status == "hidden" else "shown"
        why = "; ".join(quote(r) for r in await reports.reasons(ctx.conn, row.id))
        lines.append(
            f"Report {row.id}: {t.label} ({quote(t.text)}), {plural(row.reports, 'report')}, "
            f"{state}. Reasons: {why}"
        )
    lines.append("Decide with `mod report N keep` or `mod report N hide`.")
    return Reply("\n".join(lines))


@spec.command(
    "mod report",
    "Decide a report: keep the item (shown again) or hide it for good.",
    params=(
        Param("report", "int", "The report's number (`mod reports`)"),
        Param("decision", "choice", "Keep it shown, or hide it", choices=("keep", "hide")),
    ),
    examples=("mod report 4 keep", "mod report 4 hide"),
    min_role=Role.MODERATOR,
)
async def decide(ctx: Ctx, report: int, decision: str) -> Reply:
    item = await reports.item_by_id(ctx.conn, report)
    if item is None:
        raise CommandError(f"There is no report {report}. Send `mod reports` to see them.")
    if item.status in ("kept", "removed"):
        done = "kept" if item.status == "kept" else "hidden"
        raise CommandError(f"Report {report} is decided already: {done}.")
    t = await _item_target(ctx, item)
    keep = decision == "keep"
    if keep and item.status == "hidden":
        await _hide(ctx, t, False, item)
    if not keep and item.status == "open":
        await _hide(ctx, t, True, item)
        item = await reports.item_by_id(ctx.conn, report)
    await reports.set_status(ctx.conn, report, "kept" if keep else "removed", decided_at=ctx.now)
    await _log(ctx, ctx.member_id, f"report {decision}", t, f"report {report}")
    if item.status == "hidden" or not keep:
        outcome = (
            "shown again: a moderator kept it"
            if keep
            else "hidden for good by a moderator. If you disagree, write to another moderator "
            "or an admin."
        )
        ctx.notify(
            [t.author_id],
            "report_decided",
            f"Your {t.label} ({quote(t.text)}) is {outcome}",
            notice=notices.PERSONAL,
        )
    data = {"idea_id": t.number} if t.kind == "idea" else {}
    if keep:
        return Reply(f"Report {report}: {t.label} is kept and shown.", data=data)
    return Reply(f"Report {report}: {t.label} is hidden for good.", data=data)
