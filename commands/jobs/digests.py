"""The daily digest: new ideas, ideas close to launch and campaign progress, posted to every
space at ``[schedule] daily_digest``. Members who chose ``notify digest`` get it by DM with
the notices kept for them since the last one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from commands import actions, campaign_deadlines
from commands.framework import calendar, notices
from commands.framework.context import Ctx
from commands.framework.formatting import plain, plural, quote, who
from commands.votes import MILESTONE_NEEDED
from storage.repos import deadlines, ledger, outbox, prefs, progress

if TYPE_CHECKING:
    from commands.framework.job_env import JobEnv

logger = logging.getLogger(__name__)

KIND = "daily_digest"
IDEAS_SHOWN = 10


async def daily_digest(env: JobEnv, scheduled_for: datetime) -> int:
    tz = env.schedule.zone
    period = calendar.day_key(scheduled_for, tz)
    now = env.clock()
    async with env.transaction(now) as ctx:
        if not await ledger.claim(ctx.conn, KIND, period, now):
            logger.info("daily digest %s already sent; nothing to do", period)
            return 0
        content = await _gather(ctx, period, scheduled_for)
        await ledger.set_content(ctx.conn, KIND, period, content)
        general = _has_news(content)
        if general:
            ctx.announce(KIND, text(content, tz), period=period)
        held = await outbox.held(ctx.conn, "digest")
        kept: dict[int, list[str]] = defaultdict(list)
        for row in held:
            kept[int(row.member_id)].append(str(row.payload["text"]))
        readers = set(await prefs.members_choosing(ctx.conn, "digest")) | set(kept)
        zones = await prefs.timezones_of(ctx.conn, readers)
        rendered: dict[str, str] = {}
        for member_id in sorted(readers):
            if not kept.get(member_id) and not general:
                continue
            name = zones.get(member_id, env.schedule.timezone)
            if general and name not in rendered:
                rendered[name] = text(content, _zone(name, tz))
            parts = ["Your daily digest."]
            if kept.get(member_id):
                parts.append("For you:\n" + "\n".join(f"- {t}" for t in kept[member_id]))
            if general:
                parts.append(rendered[name])
            # PERSONAL: it goes by DM (or email, for whoever switched to that since).
            ctx.notify([member_id], KIND, "\n".join(parts), notice=notices.PERSONAL)
        await outbox.mark_sent(ctx.conn, [row.id for row in held], now)
        queued = len(ctx.pending)
    logger.info("daily digest %s queued (%d deliveries)", period, queued)
    return queued


def _zone(name: str, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return calendar.zone(name)
    except calendar.TimeError:
        return fallback


async def _gather(ctx: Ctx, period: str, scheduled_for: datetime) -> dict[str, Any]:
    since = scheduled_for - timedelta(days=1)
    rules = ctx.rules
    new = await progress.new_ideas(ctx.conn, since, scheduled_for, IDEAS_SHOWN)
    near = await progress.near_launch(
        ctx.conn, max(1, rules.launch_upvotes - MILESTONE_NEEDED), limit=5
    )
    campaigns = [c for c in await progress.campaigns(ctx.conn, since, scheduled_for) if c.changed]
    due = await deadlines.open_due_before(ctx.conn, ctx.now + timedelta(days=2))
    return {
        "period": period,
        "new_ideas": [
            {"id": r.id, "text": r.text, "author": plain(who(r.pseudonym, r.revealed_name))}
            for r in new
        ],
        "new_idea_count": await progress.count_new_ideas(ctx.conn, since, scheduled_for),
        "near_launch": [
            {"id": r.id, "text": r.text, "needed": rules.upvotes_needed(r.up, r.down)}
            for r in near
            if 0 < rules.upvotes_needed(r.up, r.down) <= MILESTONE_NEEDED
        ],
        "campaigns": [
            {
                "id": c.id,
                "text": c.text,
                "signatures": c.signatures,
                "new_signatures": c.new_signatures,
                "doc_edits": c.doc_edits,
                "update_edits": c.update_edits,
                "steps_proposed": c.steps_proposed,
                "steps_adopted": c.steps_adopted,
            }
            for c in campaigns
        ],
        "deadlines": [
            {"idea_id": d.idea_id, "text": d.text, "due_at": d.due_at.isoformat()}
            for d in due
            if not d.hidden and d.due_at > ctx.now
        ],
        "campaign_deadlines": await campaign_deadlines.upcoming(
            ctx.conn, ctx.now, timedelta(days=2)
        ),
        "actions": await actions.in_view(ctx.conn, since, ctx.now, timedelta(days=2)),
    }


def _has_news(content: dict[str, Any]) -> bool:
    return any(
        content.get(k)
        for k in (
            "new_ideas",
            "near_launch",
            "campaigns",
            "deadlines",
            "campaign_deadlines",
            "actions",
        )
    )


def text(content: dict[str, Any], zone: ZoneInfo) -> str:
    lines = [f"Daily digest, {content['period']}:"]
    if content["new_ideas"]:
        shown = len(content["new_ideas"])
        more = content["new_idea_count"] - shown
        lines.append(
            f"New ideas ({content['new_idea_count']}): "
            + "; ".join(
                f"#{i['id']} {quote(i['text'])} — {quote(i['author'])}"
                for i in content["new_ideas"]
            )
            + (f"; and {more} more (`ideas new`)" if more > 0 else "")
        )
    for i in content["near_launch"]:
        lines.append(
            f"Close to launch: #{i['id']} needs {plural(i['needed'], 'more upvote')}: "
            f"{quote(i['text'])}"
        )
    for c in content["campaigns"]:
        bits = []
        if c["new_signatures"]:
            bits.append(f"+{c['new_signatures']} signatures ({c['signatures']} in all)")
        if c["doc_edits"]:
            bits.append(f"{plural(c['doc_edits'], 'document edit')}")
        if c["update_edits"]:
            bits.append("update drafted")
        if c["steps_proposed"]:
            bits.append(f"{plural(c['steps_proposed'], 'next step')} proposed")
        if c["steps_adopted"]:
            bits.append(f"{plural(c['steps_adopted'], 'next step')} adopted")
        lines.append(f"Campaign #{c['id']} {quote(c['text'])}: {', '.join(bits)}")
    for d in content["deadlines"]:
        due = calendar.show(datetime.fromisoformat(d["due_at"]), zone)
        lines.append(f"Deadline: idea #{d['idea_id']} closes {due} unless it launches.")
    # .get: a digest queued before campaign deadlines existed has no such list.
    for d in content.get("campaign_deadlines", []):
        due = calendar.show(datetime.fromisoformat(d["due_at"]), zone)
        lines.append(f"Deadline: {campaign_deadlines.upcoming_line(d, due)}.")
    # .get: a digest queued before actions existed has no such list.
    for a in content.get("actions", []):
        due = calendar.show(datetime.fromisoformat(a["due_at"]), zone)
        lines.append(f"Action: {actions.in_view_line(a, due)}.")
    if len(lines) == 1:
        lines.append("A quiet day.")
    return "\n".join(lines)
