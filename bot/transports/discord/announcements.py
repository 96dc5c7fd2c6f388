"""Announcements in one guild: what each outbox event becomes on Discord.

- ``idea_pitched``: an embed in the announce channel with ▲ Upvote / ▼ Downvote / Follow.
- ``idea_milestone``: a short "close to launching" post with the same buttons.
- ``campaign_launched``: a thread under the campaign parent channel (a forum post when it
  is a forum, with the configured tag or, where the forum requires one, its first) with the
  idea and the document's head, and a launch post in the announce channel linking to it.
  The launch post never waits on the thread: when the thread cannot be made (a forum that
  requires a tag it lacks, a missing permission, Discord down) the post goes out without
  the link, the delivery is tried again for the thread alone, and the post gets its link
  once the thread is there.
- ``petition_set``: the petition in the thread with a Sign button and a live count, and a
  note in the announce channel.
- ``campaign_say``: the member's words in the thread, posted by webhook under the pseudonym;
  where Discord refuses that webhook post, by the bot as ``**pseudonym**: words``.
- ``action_created``: the action in the announce channel with a Pledge button.
- ``closed``: a notice; buttons come off, the thread is locked.
- ``discussion_paced``: slow mode or a lock, told in the announce channel and the thread.
- anything else: its plain text, in the announce channel.

Each step records what it made (``refs``) before the next, so an outbox retry after a
partial failure continues where it stopped instead of posting twice.

A configured channel the bot cannot use as it is (deleted, hidden from it, a permission
missing, a forum's required tag) raises ``refusals.MisconfiguredChannel``: the transport
tells the staff and the delivery waits until an admin fixes it.

Every text goes through ``text.render`` (the bot's text, member text inert and on one line)
or ``embeds`` (the cards' raw texts): nothing a member wrote shows as the bot's markup.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import discord

from bot.web.links import Links
from commands.framework.registry import Registry
from commands.framework.rules import Rules
from storage.db import Database

from . import embeds
from .cards import IdeaCard, load_campaign, load_idea
from .edits import EditCoalescer
from .refs import (
    CAMPAIGN_THREAD,
    IDEA_POST,
    LAUNCH_POST,
    PETITION_POST,
    SAY_BOT_POST,
    SAY_POST,
    THREAD_STARTER,
    Pair,
    Refs,
)
from .refusals import (
    ANNOUNCE,
    CAMPAIGN_PARENT,
    KIND,
    MisconfiguredChannel,
    campaign_tags,
    in_channel,
)
from .settings import DiscordGuildSettings
from .text import MAX_CONTENT, clip, render
from .views import idea_buttons, pledge_button, sign_button
from .webhooks import WebhookPoster, WebhookRefused, fallback_post

logger = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
THREAD_ARCHIVE_MINUTES = 10080  # a week of quiet before Discord hides the thread


def idea_key(idea_id: int) -> tuple[str, int]:
    return ("idea", idea_id)


def petition_key(campaign_id: int) -> tuple[str, int]:
    return ("petition", campaign_id)


class Publisher:
    def __init__(
        self,
        client: discord.Client,
        db: Database,
        rules: Rules,
        refs: Refs,
        guilds: dict[str, DiscordGuildSettings],
        edits: EditCoalescer,
        registry: Registry,
        links: Links | None = None,
    ) -> None:
        self.client = client
        # Each post links to its public page ([web] public_url), when there is one.
        self.links = links or Links("")
        self.db = db
        self.rules = rules
        self.refs = refs
        self.guilds = guilds
        self.edits = edits
        self.webhooks = WebhookPoster(client, refs)
        self.registry = registry
        self._thread_locks: dict[tuple[str, int], asyncio.Lock] = {}

    @property
    def spaces(self) -> tuple[str, ...]:
        return tuple(self.guilds)

    def _page(self, card: Any) -> str | None:
        if card.status == "campaign":
            return self.links.campaign(card.idea_id)
        return self.links.idea(card.idea_id)

    async def publish(self, space: str, event: str, payload: dict[str, Any]) -> None:
        guild = self.guilds[space]
        handler = {
            "idea_pitched": self._idea_pitched,
            "idea_milestone": self._idea_milestone,
            "campaign_launched": self._campaign_launched,
            "petition_set": self._petition_set,
            "action_created": self._action_created,
            "campaign_say": self._campaign_say,
            "closed": self._closed,
            "discussion_paced": self._discussion_paced,
            "say_hidden": self._say_hidden,
        }.get(event)
        if handler is None:
            await self._plain(guild, payload)
        else:
            await handler(space, guild, payload)

    # -- channels -------------------------------------------------------------------------
    async def _channel(self, channel_id: int, setting: str) -> Any:
        """A configured channel (``setting`` names it), from the cache or from Discord."""
        channel = self.client.get_channel(channel_id)
        if channel is None:
            with in_channel(setting, channel_id):
                channel = await self.client.fetch_channel(channel_id)
        return channel

    def _render(self, text: str) -> str:
        """An announcement's text as a public post shows it."""
        return render(text, self.registry, public=True)

    def _messageable(self, guild: DiscordGuildSettings, channel_id: int) -> Any:
        return self.client.get_partial_messageable(channel_id, guild_id=guild.id)

    async def _announce(self, guild: DiscordGuildSettings, **message: Any) -> discord.Message:
        channel = self._messageable(guild, guild.announce_channel_id)
        with in_channel(ANNOUNCE, guild.announce_channel_id):
            return await channel.send(allowed_mentions=NO_MENTIONS, **message)

    async def _in_thread(
        self, guild: DiscordGuildSettings, thread_id: int, **message: Any
    ) -> discord.Message:
        """A message in a campaign's thread. What it may do there is set on the campaign
        parent channel, so a refusal names that one."""
        channel = self._messageable(guild, thread_id)
        with in_channel(CAMPAIGN_PARENT, guild.campaign_parent_channel_id, configured=False):
            return await channel.send(allowed_mentions=NO_MENTIONS, **message)

    # -- ideas ----------------------------------------------------------------------------
    async def _idea_pitched(
        self, space: str, guild: DiscordGuildSettings, payload: dict[str, Any]
    ) -> None:
        idea_id = int(payload["idea_id"])
        if await self.refs.get(space, IDEA_POST, idea_id) is not None:
            return  # posted before a retry
        card = await load_idea(self.db, self.rules, idea_id) or IdeaCard.from_payload(
            payload, self.rules, "open"
        )
        if card.hidden:
            return  # hidden before it was announced: nothing public about it
        message = await self._announce(
            guild,
            embed=embeds.idea_embed(card, url=self._page(card)),
            view=idea_buttons(idea_id, votes=card.status != "closed"),
        )
        await self.refs.put(space, IDEA_POST, idea_id, Pair(message.channel.id, message.id))
        # Votes cast while this was being posted found no message to edit.
        now = await load_idea(self.db, self.rules, idea_id)
        if now is not None and (now.up, now.down, now.status) != (card.up, card.down, card.status):
            self.edits.mark(idea_key(idea_id))

    async def _idea_milestone(
        self, space: str, guild: DiscordGuildSettings, payload: dict[str, Any]
    ) -> None:
        idea_id = int(payload["idea_id"])
        await self._announce(
            guild,
            embed=embeds.milestone_embed(
                idea_id,
                self._render(payload["text"]),
                int(payload.get("needed", 0)),
                url=self.links.idea(idea_id),
            ),
            view=idea_buttons(idea_id),
        )
        self.edits.mark(idea_key(idea_id))

    async def refresh_idea(self, idea_id: int, spaces: Iterable[str] | None = None) -> None:
        """Bring the idea's announcement up to date in every guild (or in ``spaces``)."""
        card = await load_idea(self.db, self.rules, idea_id)
        if card is None:
            return
        posts = await self.refs.across(spaces or self.spaces, IDEA_POST, idea_id)
        for space, pair in posts.items():
            if card.hidden:
                embed, view = embeds.hidden_embed(idea_id), None
            else:
                embed = embeds.idea_embed(card, url=self._page(card))
                view = idea_buttons(idea_id) if card.status != "closed" else None
            await self._edit(space, IDEA_POST, idea_id, pair, embed=embed, view=view)

    async def _edit(self, space: str, kind: str, ref: int, pair: Pair, **changes: Any) -> None:
        guild = self.guilds[space]
        message = self._messageable(guild, pair.first).get_partial_message(pair.second)
        if pair.first == guild.announce_channel_id:
            where = in_channel(ANNOUNCE, pair.first)
        else:  # a campaign's thread
            where = in_channel(CAMPAIGN_PARENT, guild.campaign_parent_channel_id, configured=False)
        try:
            with where:
                await message.edit(allowed_mentions=NO_MENTIONS, **changes)
        except discord.NotFound:
            # Deleted by someone in the guild: stop trying to keep it up to date.
            logger.info("a %s message is gone from %s; no longer editing it", kind, space)
            await self.refs.delete(space, kind, ref)

    # -- campaigns ------------------------------------------------------------------------
    async def _campaign_launched(
        self, space: str, guild: DiscordGuildSettings, payload: dict[str, Any]
    ) -> None:
        idea_id = int(payload["idea_id"])
        blocked: Exception | None = None
        try:
            thread: Pair | None = await self.ensure_thread(space, guild, idea_id)
        except Exception as exc:
            # The launch is news whatever becomes of the thread: post it now and try the
            # thread again afterwards (this delivery fails or waits for it).
            blocked = exc
            thread = await self.refs.get(space, CAMPAIGN_THREAD, idea_id)  # made, not filled
        card = await load_idea(self.db, self.rules, idea_id) or IdeaCard.from_payload(
            payload, self.rules, "campaign"
        )
        posted = await self.refs.get(space, LAUNCH_POST, idea_id)
        if posted is None:
            message = await self._announce(
                guild,
                embed=embeds.launch_embed(
                    card, thread.second if thread else None, url=self.links.campaign(idea_id)
                ),
                view=idea_buttons(idea_id, votes=False),
            )
            await self.refs.put(space, LAUNCH_POST, idea_id, Pair(message.channel.id, message.id))
        elif thread is not None and blocked is None:
            # A retry: the launch post went out before its thread could be made (or this is
            # a repeat after a crash, and the edit changes nothing). Give it the link.
            await self._edit(
                space,
                LAUNCH_POST,
                idea_id,
                posted,
                embed=embeds.launch_embed(card, thread.second, url=self.links.campaign(idea_id)),
                view=idea_buttons(idea_id, votes=False),
            )
        self.edits.mark(idea_key(idea_id))
        if blocked is not None:
            raise blocked

    async def ensure_thread(
        self, space: str, guild: DiscordGuildSettings, campaign_id: int
    ) -> Pair:
        """The campaign's thread in this guild (parent, thread), made on first need."""
        lock = self._thread_locks.setdefault((space, campaign_id), asyncio.Lock())
        async with lock:
            pair = await self.refs.get(space, CAMPAIGN_THREAD, campaign_id)
            card = None
            if pair is None:
                card = await load_campaign(self.db, campaign_id)
                if card is None:
                    raise LookupError(f"campaign {campaign_id} does not exist")
                pair = await self._create_thread(space, guild, card)
            if await self.refs.get(space, THREAD_STARTER, campaign_id) is None:
                card = card or await load_campaign(self.db, campaign_id)
                if card is None:
                    raise LookupError(f"campaign {campaign_id} does not exist")
                starter = await self._in_thread(
                    guild,
                    pair.second,
                    embed=embeds.campaign_embed(
                        card,
                        await self._author(campaign_id),
                        self.registry,
                        url=self.links.campaign(campaign_id),
                    ),
                )
                await self.refs.put(
                    space, THREAD_STARTER, campaign_id, Pair(pair.second, starter.id)
                )
        return pair

    async def _author(self, idea_id: int) -> str:
        """Who pitched the idea, as its card has it (the shown name marked)."""
        card = await load_idea(self.db, self.rules, idea_id)
        return card.author if card is not None else ""

    async def _create_thread(self, space: str, guild: DiscordGuildSettings, card: Any) -> Pair:
        parent = await self._channel(guild.campaign_parent_channel_id, CAMPAIGN_PARENT)
        name = embeds.thread_name(card.campaign_id, card.text)
        if isinstance(parent, discord.ForumChannel):
            tags, stale = campaign_tags(parent, guild.campaign_tag_id)
            if stale:
                logger.warning(
                    "campaign_tag_id %s is not a tag of the forum %s in %s; posting without it",
                    guild.campaign_tag_id,
                    parent.id,
                    space,
                )
            # A forum post is a thread whose first message is the campaign itself.
            with in_channel(CAMPAIGN_PARENT, parent.id):
                created = await parent.create_thread(
                    name=name,
                    auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                    embed=embeds.campaign_embed(
                        card,
                        await self._author(card.campaign_id),
                        self.registry,
                        url=self.links.campaign(card.campaign_id),
                    ),
                    allowed_mentions=NO_MENTIONS,
                    applied_tags=tags,
                )
            pair = Pair(parent.id, created.thread.id)
            await self.refs.put(space, CAMPAIGN_THREAD, card.campaign_id, pair)
            await self.refs.put(
                space, THREAD_STARTER, card.campaign_id, Pair(pair.second, created.message.id)
            )
            return pair
        if not isinstance(parent, discord.TextChannel):
            raise MisconfiguredChannel(CAMPAIGN_PARENT, parent.id, KIND)
        with in_channel(CAMPAIGN_PARENT, parent.id):
            thread = await parent.create_thread(
                name=name,
                type=discord.ChannelType.public_thread,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
        pair = Pair(parent.id, thread.id)
        await self.refs.put(space, CAMPAIGN_THREAD, card.campaign_id, pair)
        return pair

    async def _petition_set(
        self, space: str, guild: DiscordGuildSettings, payload: dict[str, Any]
    ) -> None:
        campaign_id = int(payload["campaign_id"])
        thread = await self.ensure_thread(space, guild, campaign_id)
        card = await load_campaign(self.db, campaign_id)
        if card is None or card.hidden:
            return
        view = sign_button(campaign_id) if card.status == "active" else None
        posted = await self.refs.get(space, PETITION_POST, campaign_id)
        if posted is not None:  # the statement changed: update the message in place
            await self._edit(
                space,
                PETITION_POST,
                campaign_id,
                posted,
                embed=embeds.petition_embed(card, url=self.links.campaign(card.campaign_id)),
                view=view,
            )
            posted = await self.refs.get(space, PETITION_POST, campaign_id)  # None if gone
        if posted is None:
            message = await self._in_thread(
                guild,
                thread.second,
                embed=embeds.petition_embed(card, url=self.links.campaign(card.campaign_id)),
                **_view(view),
            )
            await self.refs.put(space, PETITION_POST, campaign_id, Pair(thread.second, message.id))
        note = f"{self._render(payload['text'])}\nDiscussion and signatures: <#{thread.second}>"
        await self._announce(
            guild,
            embed=embeds.notice_embed(note, colour=embeds.LAUNCHED),
            **_view(view),
        )

    async def refresh_petition(self, campaign_id: int, spaces: Iterable[str] | None = None) -> None:
        """Bring the petition's count and button up to date in every guild (or ``spaces``)."""
        card = await load_campaign(self.db, campaign_id)
        if card is None or card.petition is None:
            return
        posts = await self.refs.across(spaces or self.spaces, PETITION_POST, campaign_id)
        view = sign_button(campaign_id) if card.status == "active" else None
        for space, pair in posts.items():
            await self._edit(
                space,
                PETITION_POST,
                campaign_id,
                pair,
                embed=embeds.petition_embed(card, url=self.links.campaign(card.campaign_id)),
                view=view,
            )

    async def _campaign_say(
        self, space: str, guild: DiscordGuildSettings, payload: dict[str, Any]
    ) -> None:
        campaign_id = int(payload["campaign_id"])
        thread = await self.ensure_thread(space, guild, campaign_id)
        parent = await self._channel(thread.first, CAMPAIGN_PARENT)
        if not isinstance(parent, discord.TextChannel | discord.ForumChannel):
            raise MisconfiguredChannel(CAMPAIGN_PARENT, thread.first, KIND)
        pseudonym, words = str(payload["pseudonym"]), str(payload["message"])
        say_id = payload.get("say_id")
        try:
            posted = await self.webhooks.post(
                space,
                parent,
                thread.second,
                text=words,
                author=str(payload.get("author") or pseudonym),
                pseudonym=pseudonym,
            )
        except WebhookRefused as why:
            # The member was told it shows in the channels: it does, posted by the bot.
            logger.warning(
                "a say in campaign %s went out as a bot post in %s: %s", campaign_id, space, why
            )
            message = await self._in_thread(
                guild, thread.second, content=fallback_post(pseudonym, words)
            )
            if isinstance(say_id, int):
                await self.refs.put(space, SAY_BOT_POST, say_id, Pair(thread.second, message.id))
            return
        if isinstance(say_id, int):
            await self.refs.put(space, SAY_POST, say_id, Pair(thread.second, posted))

    async def _say_hidden(
        self, space: str, guild: DiscordGuildSettings, payload: dict[str, Any]
    ) -> None:
        """Reports hid a said message (or a moderator showed it again): its words in the
        thread are replaced, or put back."""
        say_id = int(payload["say_id"])
        words = str(payload["message"])
        shown = str(payload["shown"])
        by_bot = await self.refs.get(space, SAY_BOT_POST, say_id)
        if by_bot is not None:
            if payload.get("hidden"):
                content = clip(shown, MAX_CONTENT)
            else:
                content = fallback_post(str(payload["pseudonym"]), words)
            channel = self._messageable(guild, by_bot.first)
            await channel.get_partial_message(by_bot.second).edit(
                content=content, allowed_mentions=NO_MENTIONS
            )
            return
        posted = await self.refs.get(space, SAY_POST, say_id)
        if posted is None:
            return  # never posted here
        thread = await self.refs.get(space, CAMPAIGN_THREAD, int(payload["campaign_id"]))
        if thread is None:
            return
        parent = await self._channel(thread.first, CAMPAIGN_PARENT)
        if not isinstance(parent, discord.TextChannel | discord.ForumChannel):
            raise MisconfiguredChannel(CAMPAIGN_PARENT, thread.first, KIND)
        text = shown if payload.get("hidden") else words
        try:
            await self.webhooks.edit(space, parent, posted.first, posted.second, text)
        except discord.NotFound:
            # The webhook that posted it is gone, and only it could edit the message.
            logger.warning("a hidden say in %s could not be edited: its webhook is gone", space)

    async def _closed(
        self, space: str, guild: DiscordGuildSettings, payload: dict[str, Any]
    ) -> None:
        idea_id = int(payload["idea_id"])
        notice = embeds.notice_embed(
            self._render(payload["text"]), colour=embeds.CLOSED, url=payload.get("link")
        )
        await self._announce(guild, embed=notice)
        await self.refresh_idea(idea_id, [space])
        thread = await self.refs.get(space, CAMPAIGN_THREAD, idea_id)
        if thread is None:
            return
        await self._in_thread(guild, thread.second, embed=notice)
        await self.refresh_petition(idea_id, [space])
        try:
            channel = self.client.get_channel(thread.second) or await self.client.fetch_channel(
                thread.second
            )
            if isinstance(channel, discord.Thread):
                await channel.edit(archived=True, locked=True, reason="campaign closed")
        except discord.HTTPException as exc:
            # Locking needs Manage Threads; the notice is out either way, so no retry.
            logger.warning("could not lock a closed campaign's thread in %s: %s", space, exc)

    # -- actions --------------------------------------------------------------------------
    async def _action_created(
        self, space: str, guild: DiscordGuildSettings, payload: dict[str, Any]
    ) -> None:
        """A new action, with a Pledge button: a click pledges privately (the answer is
        ephemeral) and its count changes at a random later moment, like a signature."""
        text = self._render(str(payload.get("text", "")))
        await self._announce(
            guild,
            content=clip(text, MAX_CONTENT),
            view=pledge_button(int(payload["action_id"])),
        )

    # -- anything else --------------------------------------------------------------------
    async def _discussion_paced(
        self, space: str, guild: DiscordGuildSettings, payload: dict[str, Any]
    ) -> None:
        """Slow mode or a lock: told in the announcements channel and in the campaign's
        thread, where the discussion it slows happens."""
        await self._plain(guild, payload)
        thread = await self.refs.get(space, CAMPAIGN_THREAD, int(payload["campaign_id"]))
        if thread is not None:
            text = clip(self._render(str(payload.get("text", ""))), MAX_CONTENT)
            await self._in_thread(guild, thread.second, content=text)

    async def _plain(self, guild: DiscordGuildSettings, payload: dict[str, Any]) -> None:
        text = self._render(str(payload.get("text", "")))
        if text.strip():
            link = f"\n{payload['link']}" if payload.get("link") else ""
            await self._announce(guild, content=clip(text, MAX_CONTENT - len(link)) + link)


def _view(view: discord.ui.View | None) -> dict[str, Any]:
    return {"view": view} if view is not None else {}
