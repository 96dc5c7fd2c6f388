"""Each campaign's shared document (the paper's wiki), with revisions."""

from __future__ import annotations

from commands.framework import calendar, lookup, notices
from commands.framework.context import Ctx
from commands.framework.formatting import plural, quote, shown_pseudonym
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply
from commands.ideas import check_text
from storage.repos import activity, campaigns, documents, subscriptions

spec = CommandSet()

ACTIONS = ("show", "edit", "append", "history", "revert")
CHANGES = ("edit", "append", "revert")


TEXT = Param(
    "text",
    "text",
    "The text (or revision number for revert)",
    required=False,
    shape="lines",
    max_chars="doc_max_chars",
)


@spec.command(
    "doc",
    "Read or edit a campaign's shared document: `doc N`, `doc N edit TEXT`, "
    "`doc N append TEXT`, `doc N history`, `doc N revert REV`.",
    params=(
        Param("campaign", "int", "The campaign's number"),
        Param("action", "choice", "What to do", required=False, choices=ACTIONS),
        TEXT,
    ),
    examples=(
        "doc 3",
        "doc 3 edit Our demands: 1. Pay for qualification tests.",
        "doc 3 append 2. Answer worker emails within a week.",
        "doc 3 history",
        "doc 3 revert 2",
    ),
    details="Every edit is kept as a revision with the editor's pseudonym and the time. "
    "Organizers of the campaign and moderators can revert to an earlier revision. A chat "
    "message carries only so much: write long documents, section by section, in the web "
    "editor (`web` gives you a link).",
    later="Your change to campaign #{campaign}'s document is saved",
    later_if=lambda args: args.get("action") in CHANGES,
    tell_after=True,
)
async def doc(
    ctx: Ctx, campaign: int, action: str | None, text: str | None, base: int | None = None
) -> Reply:
    # ``base`` is not typed in chat: the web editor passes the revision its writer started
    # from (0: the empty document), and an edit is refused when the document has moved on
    # since, rather than overwriting what someone else wrote meanwhile.
    row = await lookup.campaign(ctx, campaign)
    action = action or "show"
    if row.status == "closed" and action in CHANGES:
        raise CommandError(
            f"Campaign #{campaign} is closed: its document stays as it was when it closed. "
            f"`doc {campaign}` shows it."
        )
    head = await documents.head(ctx.conn, campaign)
    if action == "show":
        if text:
            raise CommandError(
                f"To change the document say `doc {campaign} edit TEXT` or "
                f"`doc {campaign} append TEXT`."
            )
        if head is None:
            return Reply(
                f"The document of campaign #{campaign} is empty. Start it with "
                f"`doc {campaign} edit TEXT`."
            )
        frozen = ", frozen since the campaign closed" if row.status == "closed" else ""
        return Reply(
            f"Document of campaign #{campaign} (revision {head.rev}, by {head.pseudonym}, "
            f"{calendar.show(head.created_at, await ctx.zone())}{frozen}):\n{quote(head.text)}"
        )
    if base is not None and action in CHANGES and (head.rev if head else 0) != base:
        raise CommandError(
            f"Campaign #{campaign}'s document changed since you started from revision {base}: "
            f"it is at revision {head.rev if head else 0} now, so your edit was not saved."
        )
    if action == "history":
        rows = await documents.history(ctx.conn, campaign, limit=20)
        if not rows:
            return Reply(f"The document of campaign #{campaign} has no revisions yet.")
        zone = await ctx.zone()
        lines = [f"Revisions of campaign #{campaign}'s document, newest first:"]
        lines += [
            f"r{r.rev} {r.action} by {shown_pseudonym(r.pseudonym)}, "
            f"{calendar.show(r.created_at, zone)}, "
            f"{plural(r.length, 'character')}"
            for r in rows
        ]
        return Reply("\n".join(lines))
    if action == "revert":
        await lookup.require_organizer(ctx, campaign)
        rev_text = (text or "").strip().removeprefix("r")
        if not (rev_text.isascii() and rev_text.isdigit() and len(rev_text) < 9):
            raise CommandError(f"Say which revision: `doc {campaign} revert 2`.")
        rev = int(rev_text)
        old = await documents.get(ctx.conn, campaign, rev)
        if old is None:
            raise CommandError(
                f"Campaign #{campaign}'s document has no revision {rev}. "
                f"See `doc {campaign} history`."
            )
        new_text = old.text
    else:
        limit = TEXT.limit(ctx.rules)
        body = check_text(text or "", limit, "text", f"doc {campaign} {action} Our goals...")
        new_text = body if action == "edit" or head is None else f"{head.text}\n{body}"
        if limit is not None and len(new_text) > limit:
            raise CommandError(
                f"The document would be {len(new_text)} characters; the limit is "
                f"{limit}. Shorten it with `doc {campaign} edit TEXT`."
            )
    rev_no = await campaigns.next_doc_rev(ctx.conn, campaign)
    await documents.add(
        ctx.conn,
        campaign_id=campaign,
        rev=rev_no,
        member_id=ctx.member_id,
        action=action if action != "revert" else f"revert:{rev}",
        text=new_text,
        now=ctx.now,
    )
    await activity.touch(ctx.conn, campaign, ctx.now)
    # Edits come in bursts; only members who chose the digest hear of them, there.
    ctx.notify(
        [m for m in await subscriptions.subscribers(ctx.conn, campaign) if m != ctx.member_id],
        "doc_edited",
        f"Campaign #{campaign}'s document has a new revision {rev_no} by {ctx.pseudonym} "
        f"(`doc {campaign}`).",
        notice=notices.DIGEST,
        campaign_id=campaign,
    )
    return Reply(
        f"Saved revision {rev_no} of campaign #{campaign}'s document "
        f"({plural(len(new_text), 'character')})."
    )
