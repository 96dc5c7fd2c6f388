"""The weekly update (the paper's weekly emails): organizers write each campaign's update as
a draft with revisions; at ``[schedule] weekly_update`` every member with a verified email
gets one email with every active campaign's update, its petition count and what changed,
and the same digest is posted to every space.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from commands import actions, campaign_deadlines
from commands.framework import calendar, lookup, notices
from commands.framework.context import Ctx
from commands.framework.formatting import plural, quote, shown_pseudonym
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply
from commands.ideas import check_text
from storage.repos import (
    activity,
    deadlines,
    emails,
    ledger,
    nextsteps,
    outsiders,
    progress,
    subscriptions,
)
from storage.repos import updates as update_repo

if TYPE_CHECKING:
    from commands.framework.job_env import JobEnv

logger = logging.getLogger(__name__)

spec = CommandSet()

KIND = "weekly_update"
UPDATE_MAX_CHARS = 2000
# How much of an update a space post shows (the email carries all of it).
SPACE_CLIP = 280
STOP_LINE = "To stop these emails, send the Dynamo bot privately: email off"


@spec.command(
    "update",
    "Write a campaign's update for the weekly email (organizers), or read it: `update N`, "
    "`update N TEXT`, `update N history`.",
    params=(
        Param("campaign", "int", "The campaign's number"),
        Param(
            "text",
            "text",
            "The update, or `history`",
            required=False,
            shape="lines",
            max_chars=UPDATE_MAX_CHARS,
        ),
    ),
    examples=(
        "update 3",
        "update 3 We met the requester's team on Tuesday; they promised an answer by Friday.",
        "update 3 history",
    ),
    details="Each save is a new revision; the newest one goes out with the weekly update "
    "email to every member with a verified address, and is posted in every space.",
    later="Your update of campaign #{campaign} is saved",
    later_if=lambda args: (args.get("text") or "history").strip().lower() != "history",
    tell_after=True,
)
async def update(ctx: Ctx, campaign: int, text: str | None) -> Reply:
    row = await lookup.campaign(ctx, campaign)
    zone = await ctx.zone()
    if text is None:
        return Reply(await _show(ctx, campaign, zone))
    if text.strip().lower() == "history":
        rows = await update_repo.history(ctx.conn, campaign, limit=20)
        if not rows:
            return Reply(f"Campaign #{campaign} has no updates yet.")
        lines = [f"Updates of campaign #{campaign}, newest first:"]
        for r in rows:
            state = f"sent in {r.published_in}" if r.published_in else "draft"
            lines.append(
                f"r{r.rev} by {shown_pseudonym(r.pseudonym)}, "
                f"{calendar.show(r.created_at, zone)} ({state}): "
                f"{quote(_clip(r.text, 80))}"
            )
        return Reply("\n".join(lines))
    await lookup.require_organizer(ctx, campaign)
    if row.status != "active":
        raise CommandError(f"Campaign #{campaign} is closed.")
    text = check_text(text, UPDATE_MAX_CHARS, "update", f"update {campaign} This week we...")
    rev = await update_repo.add(ctx.conn, campaign, ctx.member_id, text, ctx.now)
    await activity.touch(ctx.conn, campaign, ctx.now)
    weekly = ctx.schedule.weekly_in(zone, ctx.now)
    when = f"It goes out with the weekly update {weekly}." if weekly else ""
    return Reply(
        f"Saved revision {rev} of campaign #{campaign}'s update. {when} "
        f"Until then anyone can read it with `update {campaign}`; a new save replaces it."
    )


async def _show(ctx: Ctx, campaign: int, zone: ZoneInfo) -> str:
    draft = await update_repo.draft(ctx.conn, campaign)
    weekly = ctx.schedule.weekly_in(zone, ctx.now)
    lines = []
    if draft is None:
        lines.append(
            f"Campaign #{campaign} has no update drafted for the next weekly email. "
            f"Organizers: `update {campaign} TEXT`."
        )
    else:
        lines.append(
            f"Campaign #{campaign}'s update (revision {draft.rev} by {draft.pseudonym}, "
            f"{calendar.show(draft.created_at, zone)}), going out {weekly or 'when sent'}:"
        )
        lines.append(quote(draft.text))
    sent = await update_repo.last_published(ctx.conn, campaign)
    if sent is not None:
        lines.append(f"Last sent ({sent.published_in}): {quote(_clip(sent.text, 200))}")
    return "\n".join(lines)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# -- the weekly job ---------------------------------------------------------------------


async def weekly_update(env: JobEnv, scheduled_for: datetime) -> int:
    """Send the week's update once: ledger row first, then the emails, space posts and
    notices, all in one transaction."""
    tz = env.schedule.zone
    period = calendar.week_key(scheduled_for, tz)
    now = env.clock()
    recipients: list[int] = []
    async with env.transaction(now) as ctx:
        if not await ledger.claim(ctx.conn, KIND, period, now):
            logger.info("weekly update %s already sent; nothing to do", period)
            return 0
        content = await _gather(ctx, period, scheduled_for)
        await ledger.set_content(ctx.conn, KIND, period, content)
        if env.email_enabled:
            recipients = await emails.deliverable_members(ctx.conn)
        for member_id in recipients:
            ctx.email(member_id, KIND, ledger=[KIND, period])
        if env.email_enabled:
            # People without a chat account who follow a campaign by email get its section.
            for item in content["campaigns"]:
                for outsider_id in await outsiders.followers(ctx.conn, item["id"]):
                    ctx.pending.append(
                        {
                            "kind": "email",
                            "event": KIND,
                            "payload": {
                                "ledger": [KIND, period],
                                "outsider": outsider_id,
                                "campaign": item["id"],
                                "base": env.public_url,
                            },
                            "created_at": now,
                            "available_at": now,
                            "attempts": 0,
                        }
                    )
        ctx.announce(KIND, space_text(content, tz), period=period)
        for item in content["campaigns"]:
            if item["update"] is None:
                continue
            followers = await subscriptions.subscribers(ctx.conn, item["id"])
            ctx.notify(
                followers,
                "campaign_update",
                f"This week's update of campaign #{item['id']} "
                f"({quote(_clip(item['text'], 60))}): {quote(item['update'])}",
                notice=notices.WEEKLY,
                campaign_id=item["id"],
            )
        queued = len(ctx.pending)
    logger.info("weekly update %s queued: %d emails", period, len(recipients))
    return queued


async def _gather(ctx: Ctx, period: str, scheduled_for: datetime) -> dict[str, Any]:
    since = scheduled_for - timedelta(days=7)
    found = await progress.campaigns(ctx.conn, since, scheduled_for)
    drafts = await update_repo.drafts(ctx.conn, [c.id for c in found])
    await update_repo.publish(ctx.conn, list(drafts), period)
    campaigns = []
    for c in found:
        draft = drafts.get(c.id)
        step = await nextsteps.open_step(ctx.conn, c.id)
        campaigns.append(
            {
                "id": c.id,
                "text": c.text,
                "update": draft.text if draft is not None else None,
                "update_by": shown_pseudonym(draft.pseudonym) if draft is not None else None,
                "signatures": c.signatures,
                "has_petition": c.has_petition,
                "new_signatures": c.new_signatures,
                "doc_edits": c.doc_edits,
                "steps_adopted": c.steps_adopted,
                "followers": c.followers,
                "open_step": (
                    {"text": step.text, "window_ends_at": step.window_ends_at.isoformat()}
                    if step is not None
                    else None
                ),
            }
        )
    due = await deadlines.open_due_before(ctx.conn, ctx.now + timedelta(days=7))
    return {
        "period": period,
        "scheduled_for": scheduled_for.isoformat(),
        "campaigns": campaigns,
        "new_ideas": await progress.count_new_ideas(ctx.conn, since, scheduled_for),
        "deadlines": [
            {"idea_id": d.idea_id, "text": d.text, "due_at": d.due_at.isoformat()}
            for d in due
            if not d.hidden and d.due_at > ctx.now
        ],
        "campaign_deadlines": await campaign_deadlines.upcoming(
            ctx.conn, ctx.now, timedelta(days=7)
        ),
        "actions": await actions.in_view(ctx.conn, since, ctx.now, timedelta(days=7)),
    }


# -- how it reads ------------------------------------------------------------------------


def _at(iso: str, zone: ZoneInfo) -> str:
    return calendar.show(datetime.fromisoformat(iso), zone)


def _changes(item: dict[str, Any]) -> list[str]:
    changes = []
    if item["has_petition"]:
        new = f" (+{item['new_signatures']} this week)" if item["new_signatures"] else ""
        changes.append(f"petition: {plural(item['signatures'], 'signature')}{new}")
    if item["doc_edits"]:
        changes.append(f"document: {plural(item['doc_edits'], 'edit')}")
    if item["steps_adopted"]:
        changes.append(f"{plural(item['steps_adopted'], 'next step')} adopted")
    changes.append(plural(item["followers"], "follower"))
    return changes


def subject(content: dict[str, Any], zone: ZoneInfo) -> str:
    day = datetime.fromisoformat(content["scheduled_for"]).astimezone(zone)
    return f"Dynamo weekly update, {day:%d %B %Y}"


def email_text(content: dict[str, Any], zone: ZoneInfo) -> str:
    day = datetime.fromisoformat(content["scheduled_for"]).astimezone(zone)
    lines = [f"Dynamo: the week to {day:%A %d %B %Y}", ""]
    if not content["campaigns"]:
        lines += ["No campaign is active right now. Pitch an idea or vote on one!", ""]
    for item in content["campaigns"]:
        lines += section_text(item, zone)
        lines.append("")
    lines.append(f"New ideas this week: {content['new_ideas']}. Send the bot `ideas` to vote.")
    for d in content["deadlines"]:
        lines.append(
            f"Deadline: idea #{d['idea_id']} closes {_at(d['due_at'], zone)} unless it "
            f"launches: {d['text']}"
        )
    for d in _campaign_deadlines(content):
        lines.append(
            f"Deadline: {campaign_deadlines.upcoming_line(d, _at(d['due_at'], zone))}: {d['text']}"
        )
    for a in _actions(content):
        lines.append(f"Action: {actions.in_view_line(a, _at(a['due_at'], zone))}: {a['text']}")
    lines += ["", STOP_LINE]
    return "\n".join(lines)


def email_html(content: dict[str, Any], zone: ZoneInfo) -> str:
    e = html.escape
    day = datetime.fromisoformat(content["scheduled_for"]).astimezone(zone)
    parts = [f"<h1>Dynamo: the week to {e(f'{day:%A %d %B %Y}')}</h1>"]
    if not content["campaigns"]:
        parts.append("<p>No campaign is active right now. Pitch an idea or vote on one!</p>")
    for item in content["campaigns"]:
        parts += section_html(item, zone)
    parts.append(f"<p>New ideas this week: {content['new_ideas']}.</p>")
    if content["deadlines"] or _campaign_deadlines(content):
        parts.append("<ul>")
        for d in content["deadlines"]:
            parts.append(
                f"<li>Idea #{d['idea_id']} closes {e(_at(d['due_at'], zone))} unless it "
                f"launches: {e(d['text'])}</li>"
            )
        for d in _campaign_deadlines(content):
            line = campaign_deadlines.upcoming_line(d, _at(d["due_at"], zone))
            parts.append(f"<li>{e(_first_up(line))}: {e(d['text'])}</li>")
        parts.append("</ul>")
    if _actions(content):
        parts.append("<ul>")
        for a in _actions(content):
            line = actions.in_view_line(a, _at(a["due_at"], zone))
            parts.append(f"<li>{e(_first_up(line))}: {e(a['text'])}</li>")
        parts.append("</ul>")
    parts.append(f"<p><small>{e(STOP_LINE)}</small></p>")
    return "\n".join(parts)


def section_text(item: dict[str, Any], zone: ZoneInfo) -> list[str]:
    """One campaign's part of the weekly email (also what its followers by email get)."""
    lines = [f"Campaign #{item['id']}: {item['text']}"]
    if item["update"]:
        lines.append(f"Update from {item['update_by']}: {item['update']}")
    lines.append("; ".join(_changes(item)).capitalize() + ".")
    if item["open_step"]:
        step = item["open_step"]
        lines.append(
            f"Proposed next step: {step['text']} (object by "
            f"{_at(step['window_ends_at'], zone)} with `object {item['id']} REASON`)"
        )
    return lines


def section_html(item: dict[str, Any], zone: ZoneInfo) -> list[str]:
    e = html.escape
    parts = [f"<h2>Campaign #{item['id']}: {e(item['text'])}</h2>"]
    if item["update"]:
        parts.append(
            f"<p><strong>Update from {e(item['update_by'])}:</strong> {e(item['update'])}</p>"
        )
    parts.append(f"<p>{e('; '.join(_changes(item)).capitalize())}.</p>")
    if item["open_step"]:
        step = item["open_step"]
        parts.append(
            f"<p><strong>Proposed next step:</strong> {e(step['text'])} (object by "
            f"{e(_at(step['window_ends_at'], zone))} with "
            f"<code>object {item['id']} REASON</code>)</p>"
        )
    return parts


def space_text(content: dict[str, Any], zone: ZoneInfo) -> str:
    """The weekly digest as posted in every space: shorter, no email footer."""
    lines = [f"Weekly update ({content['period']}):"]
    if not content["campaigns"]:
        lines.append("No campaign is active right now.")
    for item in content["campaigns"]:
        line = f"#{item['id']} {quote(_clip(item['text'], 80))} — {'; '.join(_changes(item))}"
        if item["update"]:
            line += f". Update: {quote(_clip(item['update'], SPACE_CLIP))}"
        lines.append(line)
    lines.append(f"{plural(content['new_ideas'], 'new idea')} this week.")
    for d in content["deadlines"]:
        lines.append(f"Idea #{d['idea_id']} closes {_at(d['due_at'], zone)} unless it launches.")
    for d in _campaign_deadlines(content):
        lines.append(_first_up(campaign_deadlines.upcoming_line(d, _at(d["due_at"], zone))) + ".")
    for a in _actions(content):
        lines.append(_first_up(actions.in_view_line(a, _at(a["due_at"], zone))) + ".")
    return "\n".join(lines)


def _first_up(line: str) -> str:
    return line[:1].upper() + line[1:]


def _actions(content: dict[str, Any]) -> list[dict[str, Any]]:
    # An update queued before actions existed has no such list.
    return list(content.get("actions", []))


def _campaign_deadlines(content: dict[str, Any]) -> list[dict[str, Any]]:
    # An update queued before campaign deadlines existed has no such list.
    return list(content.get("campaign_deadlines", []))
