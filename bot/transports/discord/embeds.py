"""How announcements look on Discord: embeds for ideas, launches, campaign threads and
petitions. Member text only ever goes into embeds, thread names and webhook posts, and every
message that carries it is sent with ``AllowedMentions.none()``, so nothing a member writes
can ping anyone.

The cards' texts are as stored (a member's raw text; the author as the bot's text with the
shown name marked) and are made inert here (see ``text``); a notice's text comes already
rendered by the publisher, which knows the command words.
"""

from __future__ import annotations

import discord

from commands.framework.registry import Registry

from .cards import CampaignCard, IdeaCard
from .text import (
    MAX_EMBED_FIELD,
    MAX_THREAD_NAME,
    clip,
    member_line,
    one_line,
    render,
    slash_commands,
)

OPEN = discord.Colour.blurple()
LAUNCHED = discord.Colour.green()
CLOSED = discord.Colour.light_grey()
MAX_DESCRIPTION = 4096


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def votes(up: int, down: int) -> str:
    return f"▲ {up} · ▼ {down}"


def author_line(author: str) -> str:
    """Who pitched: the pseudonym as the bot writes it, the shown name beside it inert."""
    return clip(render(author, None, public=True), MAX_EMBED_FIELD)


def to_launch(card: IdeaCard) -> str:
    if card.status == "campaign":
        return "Launched as a campaign"
    if card.status == "closed":
        return "Closed"
    if card.needed == 0:
        return "Ready to launch"
    return f"{plural(card.needed, 'more upvote')} needed"


def idea_embed(card: IdeaCard, url: str | None = None) -> discord.Embed:
    colour = {"open": OPEN, "campaign": LAUNCHED}.get(card.status, CLOSED)
    title = f"Campaign #{card.idea_id}" if card.status == "campaign" else f"Idea #{card.idea_id}"
    if card.status == "closed":
        title += " (closed)"
    embed = discord.Embed(
        url=url,
        title=title,
        description=clip(member_line(card.text), MAX_DESCRIPTION),
        colour=colour,
    )
    embed.add_field(name="Pitched by", value=author_line(card.author), inline=True)
    embed.add_field(name="Votes", value=votes(card.up, card.down), inline=True)
    embed.add_field(name="To launch", value=to_launch(card), inline=True)
    if card.status != "closed":
        embed.set_footer(text="Your vote is private: only you see the answer to your click.")
    return embed


def hidden_embed(idea_id: int) -> discord.Embed:
    return discord.Embed(
        title=f"Idea #{idea_id}",
        description="This idea is hidden by the moderators.",
        colour=CLOSED,
    )


def milestone_embed(
    idea_id: int, rendered: str, needed: int, url: str | None = None
) -> discord.Embed:
    return discord.Embed(
        title=f"Idea #{idea_id} is close to launching",
        url=url,
        description=clip(rendered, MAX_DESCRIPTION),
        colour=OPEN,
    ).set_footer(text=f"{plural(needed, 'more upvote')} and it becomes a campaign.")


def launch_embed(card: IdeaCard, thread_id: int | None, url: str | None = None) -> discord.Embed:
    embed = discord.Embed(
        url=url,
        title=f"Idea #{card.idea_id} is now a campaign!",
        description=clip(member_line(card.text), MAX_DESCRIPTION),
        colour=LAUNCHED,
    )
    embed.add_field(
        name="Pitched by (first organizer)", value=author_line(card.author), inline=True
    )
    embed.add_field(name="Votes", value=votes(card.up, card.down), inline=True)
    if thread_id is not None:
        embed.add_field(name="Discussion", value=f"<#{thread_id}>", inline=False)
    embed.set_footer(text="Everyone who voted now follows it.")
    return embed


def thread_name(campaign_id: int, text: str) -> str:
    """The idea as the thread's name: one line, as typed. Discord shows channel and thread
    names as they are, without markdown, mentions or links, so escaping would only show
    backslashes."""
    return one_line(f"#{campaign_id} {text}", MAX_THREAD_NAME)


def campaign_embed(
    card: CampaignCard, author: str, registry: Registry, url: str | None = None
) -> discord.Embed:
    """The first message of a campaign's thread: the idea and the document's head (or how
    to start it, as the slash command takes it)."""
    embed = discord.Embed(
        url=url,
        title=f"Campaign #{card.campaign_id}",
        description=clip(member_line(card.text), MAX_DESCRIPTION),
        colour=LAUNCHED,
    )
    if author:
        embed.add_field(name="Pitched by (first organizer)", value=author_line(author), inline=True)
    embed.add_field(name="Votes", value=votes(card.up, card.down), inline=True)
    if card.document:
        embed.add_field(
            name=f"Document (revision {card.document_rev})",
            # A public post: the document's paragraphs run on as one line here, like every
            # member text in public (the whole document is one `/doc` away).
            value=clip(member_line(card.document), MAX_EMBED_FIELD),
            inline=False,
        )
    else:
        embed.add_field(
            name="Document",
            value=slash_commands(
                f"Empty so far: start it with `doc {card.campaign_id} edit …`", registry
            ),
            inline=False,
        )
    embed.set_footer(
        text="Talk here under your pseudonym with /say: the bot posts it for you, so nobody "
        "sees your account."
    )
    return embed


def petition_embed(card: CampaignCard, url: str | None = None) -> discord.Embed:
    closed = card.status != "active"
    embed = discord.Embed(
        url=url,
        title=f"Petition of campaign #{card.campaign_id}" + (" (closed)" if closed else ""),
        description=clip(member_line(card.petition or ""), MAX_DESCRIPTION),
        colour=CLOSED if closed else LAUNCHED,
    )
    embed.add_field(name="Signatures", value=str(card.signatures), inline=True)
    if not closed:
        embed.set_footer(
            text="One click signs under your pseudonym; nobody sees who signed. "
            f"Names people chose to show: /signers campaign:{card.campaign_id}"
        )
    return embed


def notice_embed(
    rendered: str, *, colour: discord.Colour = OPEN, url: str | None = None
) -> discord.Embed:
    """A notice; with ``url``, a link to the page it is about under it (an embed's own url
    needs a title, which a notice has not)."""
    text = clip(rendered, MAX_DESCRIPTION - (len(url) + 1 if url else 0))
    return discord.Embed(description=f"{text}\n{url}" if url else text, colour=colour)
