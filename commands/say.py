"""Pseudonymous discussion in a campaign's channels and threads."""

from __future__ import annotations

from commands import campaign_deadlines, discussion_pace
from commands.framework import lookup
from commands.framework.context import Ctx
from commands.framework.formatting import plain, quote, who
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply
from commands.ideas import check_text
from storage.repos import activity, discussion

spec = CommandSet()


SAY = Param(
    "text",
    "text",
    "What to say",
    max_chars="say_max_chars",
    form_hint="Posted in the campaign's thread under your pseudonym",
)


@spec.command(
    "say",
    "Say something in a campaign's discussion, under your pseudonym, on every platform.",
    params=(
        Param("campaign", "int", "The campaign's number"),
        SAY,
    ),
    examples=("say 3 I can draft the letter to requesters tonight.",),
    later="Your words go into campaign #{campaign}'s discussion",
    form_title="Say in campaign #{campaign}",
    details="Your message appears in the campaign's channel or thread in every Discord server "
    "and IRC network, signed with your pseudonym only.",
)
async def say(ctx: Ctx, campaign: int, text: str) -> Reply:
    row = await lookup.campaign(ctx, campaign)
    if row.status != "active":
        raise CommandError(f"Campaign #{campaign} is closed; its discussion is over.")
    ended = await campaign_deadlines.ended_when(ctx, campaign, "discussion")
    if ended is not None:
        raise CommandError(
            f"The discussion of campaign #{campaign} ended at its deadline, {ended}; it takes "
            "no more messages."
        )
    await discussion_pace.check(ctx, campaign)
    text = check_text(text, SAY.limit(ctx.rules), "message", f"say {campaign} Hello all")
    assert ctx.member is not None
    author = who(ctx.pseudonym, ctx.member.revealed_name)
    if ctx.trial:
        # A message's number is public: a trial run must not use one up (commands.framework
        # .deferral); the member hears it once the message is said.
        return Reply(f"Said in campaign #{campaign}'s discussion, as {author}.")
    await activity.touch(ctx.conn, campaign, ctx.now)
    number = await discussion.add_message(ctx.conn, campaign, ctx.member_id, text, ctx.now)
    # The number goes with the words on every platform, so anyone can cite or report them.
    cite = f"[say {number}]"
    ctx.announce(
        "campaign_say",
        f"[campaign {campaign}] <{author}> {quote(text)} {cite}",
        campaign_id=campaign,
        author=plain(author),
        pseudonym=ctx.pseudonym,
        message=f"{text} {cite}",
        say_id=number,
    )
    return Reply(
        f"Said in campaign #{campaign}'s discussion, as {author}. It shows as message {cite}: "
        f"anyone may cite it, or report it, by that number.",
        data={"say_id": number},
    )
