"""The Discord chat harness: the same stories as the console and IRC harnesses, told through
the real discord.py client against the local Discord stand-in.

    chat = DiscordChat(standin, db, config); await chat.start()
    pseudonym = await chat.join("alice")               # /register in DMs, click "Choose this"
    reply = await chat.slash("alice", "pitch", text="Pay for qualification tests")
    post = await chat.announcement(1)                  # the embed in the announce channel
    await chat.click("bob", post, "dynamo:vote:up:1")

Two guilds are served: "Dynamo Workers" (campaign threads in a forum) and "Turker Nation"
(campaign threads in a text channel), so every story covers both kinds of thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import discord
import sqlalchemy as sa

from bot.app import App
from bot.config import Config
from bot.transports.discord.settings import DiscordGuildSettings, DiscordSettings
from bot.transports.discord.transport import DiscordTransport
from commands import admin
from storage.db import Database
from storage.models import Outbox
from storage.repos import members
from tests.discord_standin import GuildSpec, InteractionHandle, StandIn, StoredMessage

Json = dict[str, Any]

GUILDS = (
    GuildSpec(
        "Dynamo Workers",
        text_channels=("general", "announcements"),
        forum_channels=("campaigns",),
        roles=("moderator",),
    ),
    GuildSpec(
        "Turker Nation",
        text_channels=("lobby", "news", "campaigns"),
        forum_channels=(),
        roles=("mods",),
    ),
)
# Per guild: (announce channel, campaign parent channel, moderator role).
LAYOUT = (("announcements", "campaigns", "moderator"), ("news", "campaigns", "mods"))
EDIT_INTERVAL = 0.2  # production coalesces over 1.5 s; tests need not wait that long
WITHIN = 10.0


def discord_settings(standin: StandIn, **overrides: Any) -> DiscordSettings:
    guilds = []
    for state, (announce, parent, role) in zip(standin.guilds, LAYOUT, strict=True):
        guilds.append(
            DiscordGuildSettings(
                id=state.id,
                announce_channel_id=state.channel_id(announce),
                campaign_parent_channel_id=state.channel_id(parent),
                moderator_role_ids=(state.role_id(role),),
            )
        )
    options: dict[str, Any] = {
        "api_base": standin.api_base,
        "gateway_url": standin.gateway_url,
        "guilds": tuple(guilds),
    }
    options.update(overrides)
    return DiscordSettings(**options)


@dataclass
class DiscordChat:
    standin: StandIn
    db: Database
    config: Config
    app: App = field(init=False)
    transport: DiscordTransport = field(init=False)
    people: dict[str, Json] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._build()

    def _build(self) -> None:
        self.app = App(self.config, db=self.db)
        self.transport = DiscordTransport(
            self.app,
            self.config.discord,
            environ={self.config.discord.token_env: self.standin.token},
            guild_ready_timeout=0.05,
            edit_interval=EDIT_INTERVAL,
        )
        self.app.add_transport(self.transport)

    async def start(self) -> None:
        # Deliveries run in the background as in production; scheduled jobs are not needed.
        await self.app.start(schedule=False)

    async def stop(self) -> None:
        # App.stop also disposes the database's pool; the Database stays usable (a restart
        # opens new connections) and the db fixture disposes it again at the end.
        await self.app.stop()

    async def restart(self) -> None:
        """Stop the bot and start a new one (new client, new App) on the same database."""
        await self.stop()
        self._build()
        await self.start()

    # -- who and where --------------------------------------------------------------------
    def person(self, name: str) -> Json:
        if name not in self.people:
            self.people[name] = self.standin.make_user(name)
        return self.people[name]

    def guild_id(self, guild: int) -> int:
        return self.standin.guilds[guild].id

    def announce_channel(self, guild: int = 0) -> int:
        return self.config.discord.guilds[guild].announce_channel_id

    def campaign_parent(self, guild: int = 0) -> int:
        return self.config.discord.guilds[guild].campaign_parent_channel_id

    def close_dms(self, name: str) -> None:
        """``name`` turns off direct messages from the bot (Discord answers 50007 from now)."""
        self.standin.close_dms(self.person(name))

    def dm_requests(self, name: str) -> list[int]:
        """The statuses of the bot's requests to post in ``name``'s DM channel."""
        channel = self.standin.dm_channel_id(self.person(name))
        return [r.status for r in self.standin.requests_to("POST", f"/channels/{channel}/messages")]

    # -- what a server's admins do --------------------------------------------------------
    async def edit_forum(
        self, guild: int = 0, *, tags: list[str] | None = None, require_tag: bool | None = None
    ) -> None:
        """An admin edits the guild's campaign forum; returns once the bot has heard of it."""
        forum_id = self.campaign_parent(guild)
        channel = await self.standin.edit_forum(forum_id, tags=tags, require_tag=require_tag)
        wanted = ([t["id"] for t in channel["available_tags"]], channel["flags"])

        def heard() -> bool:
            forum = self.transport.client.get_channel(forum_id) if self.transport.client else None
            if not isinstance(forum, discord.ForumChannel):
                return False
            return ([str(t.id) for t in forum.available_tags], forum.flags.value) == wanted

        await self.standin.wait_for(heard, within=WITHIN, what="the bot to see the forum's edit")

    async def deny_bot(self, channel_id: int, permissions: int, guild: int = 0) -> None:
        """An admin takes ``permissions`` from the bot's role in a channel (and Administrator
        from the role, which would override any channel's permissions)."""
        state = self.standin.guilds[guild]
        await self.standin.set_role_permissions(state.id, state.bot_role_id, 0)
        await self.standin.set_channel_permissions(channel_id, state.bot_role_id, deny=permissions)

    async def allow_bot(self, channel_id: int, guild: int = 0) -> None:
        """An admin gives the bot's role back what the channel denied it."""
        state = self.standin.guilds[guild]
        await self.standin.set_channel_permissions(channel_id, state.bot_role_id)

    async def give_moderator_role(self, name: str, guild: int = 0) -> None:
        """Give ``name`` the guild's moderator role on Discord."""
        state = self.standin.guilds[guild]
        role = self.config.discord.guilds[guild].moderator_role_ids[0]
        await self.standin.add_member(state.id, self.person(name), roles=[role])

    async def set_dynamo_role(self, name: str, role: str) -> None:
        """What an admin does with `/mod promote`, done directly."""
        async with self.db.write() as conn:
            key_hash = self.db.vault.digest(f"discord:{self.person(name)['id']}")
            member = await members.member_by_identity(conn, key_hash)
            assert member is not None, f"{name} is not registered"
            await members.set_role(conn, member.id, role)

    # -- acting ---------------------------------------------------------------------------
    async def slash(
        self, name: str, command: str, /, *, guild: int | None = 0, **options: Any
    ) -> InteractionHandle:
        """``name`` runs ``/command`` in a guild (by index), or in DMs with ``guild=None``
        (positional, so an option may be called ``name`` too)."""
        guild_id = self.guild_id(guild) if guild is not None else None
        return await self.standin.slash_command(self.person(name), guild_id, command, options)

    async def ask(
        self, name: str, command: str, /, *, guild: int | None = 0, **options: Any
    ) -> StoredMessage:
        """Run a slash command and return the bot's (first) answer."""
        handle = await self.slash(name, command, guild=guild, **options)
        return await handle.reply(within=WITHIN)

    async def click(self, name: str, message: StoredMessage, custom_id: str) -> InteractionHandle:
        return await self.standin.click_button(self.person(name), message.id, custom_id)

    async def click_reply(self, name: str, message: StoredMessage, custom_id: str) -> str:
        """Click, and return the text of the private answer."""
        handle = await self.click(name, message, custom_id)
        return (await handle.reply(within=WITHIN)).content

    async def submit(self, name: str, custom_id: str, **fields: str) -> StoredMessage:
        handle = await self.standin.submit_modal(self.person(name), custom_id, fields)
        return await handle.reply(within=WITHIN)

    async def mint(self) -> str:
        (code,) = await admin.mint(
            self.db, 1, kind="worker", batch="discord-test", now=self.app.clock(), expires_at=None
        )
        return code

    async def join(self, name: str) -> str:
        """Register ``name`` end to end in DMs with the bot; returns their pseudonym."""
        offer = await self.ask(name, "register", guild=None, code=await self.mint())
        assert "could be" in offer.content, offer.content
        handle = await self.click(name, offer, "dynamo:run:choose")
        await handle.response(within=WITHIN)
        chosen = self.standin.message(offer.id).content
        match = re.search(r"You are \*\*([a-z]+_[a-z]+)\*\*", chosen)
        assert match, chosen
        return match.group(1)

    # -- reading --------------------------------------------------------------------------
    def announcements(self, guild: int = 0) -> list[StoredMessage]:
        return self.standin.messages_in(self.announce_channel(guild))

    async def announcement(self, idea_id: int, guild: int = 0) -> StoredMessage:
        """Wait for the announcement of idea ``idea_id`` in a guild's announce channel."""
        title = re.compile(rf"(Idea|Campaign) #{idea_id}( \(closed\))?")

        def posted() -> StoredMessage | None:
            return next(
                (
                    m
                    for m in self.announcements(guild)
                    if m.embeds and title.fullmatch(m.embeds[0].get("title", ""))
                ),
                None,
            )

        return await self.standin.wait_for(posted, within=WITHIN, what=f"the post of #{idea_id}")

    def threads(self, guild: int = 0) -> list[Json]:
        return self.standin.threads_in(self.campaign_parent(guild))

    def space(self, guild: int = 0) -> str:
        return f"discord:{self.guild_id(guild)}"

    async def outbox(self, event: str) -> list[Any]:
        """The outbox rows of an event, oldest first."""
        async with self.db.read() as conn:
            table = Outbox.__table__
            query = sa.select(table).where(table.c.event == event).order_by(table.c.id)
            return list(await conn.execute(query))

    def bot_messages(self) -> list[StoredMessage]:
        """Every message the bot made: posts, answers, thread messages, webhook posts."""
        return [m for m in self.standin.state.messages.values() if m.request is not None]

    def rendered_texts(self) -> Iterator[tuple[StoredMessage, str]]:
        """Every text of the bot's messages that Discord renders as markdown: contents,
        embed descriptions and field values, as they stand now (after edits)."""
        for message in self.bot_messages():
            if message.content:
                yield message, message.content
            for embed in message.embeds:
                if embed.get("description"):
                    yield message, str(embed["description"])
                for item in embed.get("fields") or []:
                    yield message, str(item["value"])

    def strings_sent(self) -> Iterator[str]:
        """Every string in every request body the bot sent to Discord."""

        def walk(value: Any) -> Iterator[str]:
            if isinstance(value, str):
                yield value
            elif isinstance(value, dict):
                for item in value.values():
                    yield from walk(item)
            elif isinstance(value, list):
                for item in value:
                    yield from walk(item)

        for request in self.standin.requests:
            yield from walk(request.json)


def field_value(message: StoredMessage, name: str) -> str:
    """The value of the embed field called ``name`` on a message's first embed."""
    for item in message.embeds[0].get("fields") or []:
        if item["name"].startswith(name):
            return str(item["value"])
    raise AssertionError(f"no field {name!r} in {message.embeds[0]}")
