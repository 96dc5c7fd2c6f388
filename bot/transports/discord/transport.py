"""The Discord transport: one bot connection serving every configured guild (each a space).

Members act through slash commands, buttons and forms, all answered privately (see
``interactions``); the outbox's announcements become embeds, threads and webhook posts (see
``announcements``); vote and signature counts on those messages are edited in place,
coalesced (see ``edits``), whichever platform the vote came from.

A count edited the instant someone clicks would time their click for anyone watching the
message (and, say, an IRC channel's WHOIS idle times). It doesn't: with `[privacy]
max_public_delay` set, a vote or a signature is carried out at a random moment later
(commands.framework.deferral), and the edit follows that moment, not the click.

What Discord refuses is sorted in ``refusals``: a DM it will never take ends at once
(``Refused``); a configured channel an admin has to fix is told to the staff once, and its
deliveries wait (``SpaceDown``) until a change to the server's channels or roles, or the
outbox's next try, finds it fixed; while the connection is down, deliveries wait too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Hashable, Mapping
from typing import Any

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.app import App
from bot.config import ConfigError
from bot.outbox import Refused, SpaceDown
from commands.framework.job_env import tell_staff
from commands.framework.registry import Command
from commands.framework.reply import Reply

from .announcements import Publisher, idea_key, petition_key
from .client import DynamoClient
from .edits import EditCoalescer
from .interactions import InteractionRunner
from .refs import Refs
from .refusals import MisconfiguredChannel, dm_refusal, staff_notice
from .settings import DiscordGuildSettings, DiscordSettings, missing_token
from .text import chunks, render

logger = logging.getLogger(__name__)

PLATFORM = "discord"
NO_MENTIONS = discord.AllowedMentions.none()


class NotConnected(SpaceDown):
    """The Discord connection is not ready: not a failure, the delivery waits for it."""


def space_of(guild_id: int) -> str:
    return f"{PLATFORM}:{guild_id}"


def refused_token(env: str) -> str:
    return (
        f"Discord refused the bot token in {env} (401 Unauthorized). Copy a fresh one from "
        f"the Discord developer portal (your application → Bot → Reset Token) into {env}."
    )


class ApiOverride:
    """Point discord.py at ``api_base`` / ``gateway_url`` (a proxy, or a local stand-in) for
    as long as the transport runs. discord.py reads both class attributes when it builds
    each request and when it connects, so this is all a proxy needs."""

    def __init__(self, settings: DiscordSettings) -> None:
        self.api_base = settings.api_base.rstrip("/")
        self.gateway_url = settings.gateway_url
        self._saved: tuple[str, yarl.URL] | None = None

    def apply(self) -> None:
        if self._saved is not None or not (self.api_base or self.gateway_url):
            return
        self._saved = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
        if self.api_base:
            Route.BASE = self.api_base
        if self.gateway_url:
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def restore(self) -> None:
        if self._saved is not None:
            Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None


class DiscordTransport:
    platform = PLATFORM

    def __init__(
        self,
        app: App,
        settings: DiscordSettings,
        *,
        environ: Mapping[str, str] = os.environ,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = 60.0,
        edit_interval: float = 1.5,
    ) -> None:
        token = (environ.get(settings.token_env) or "").strip()
        if not token:
            raise ConfigError(missing_token(settings.token_env))
        self.app = app
        self.settings = settings
        self._token = token
        self.guilds: dict[str, DiscordGuildSettings] = {space_of(g.id): g for g in settings.guilds}
        self.spaces: tuple[str, ...] = tuple(self.guilds)
        self.guild_ready_timeout = guild_ready_timeout
        self.ready_timeout = ready_timeout
        self.api = ApiOverride(settings)
        self.refs = Refs(app.db, app.clock)
        self.edits = EditCoalescer(self._flush, edit_interval)
        self.runner = InteractionRunner(
            app.invoker, app.registry, app.config.rules, {g.id: g for g in settings.guilds}
        )
        self.client: DynamoClient | None = None
        self.publisher: Publisher | None = None
        self._connection: asyncio.Task[None] | None = None
        # Spaces where a delivery has waited for an admin's fix, and whether any waited for
        # the connection: a change there, or a reconnection, releases what waits at once.
        # A space stays in the set after a delivery there succeeds (another may still wait
        # for a different channel); a release with nothing waiting changes nothing.
        self._troubled: set[str] = set()
        self._waiting_for_connection = False

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        self.api.apply()
        client = DynamoClient(
            self.app.registry,
            self.runner,
            guild_ready_timeout=self.guild_ready_timeout,
            on_change=self._changed,
        )
        self.client = client
        try:
            try:
                await client.login(self._token)
            except discord.LoginFailure:
                raise ConfigError(refused_token(self.settings.token_env)) from None
            self._connection = asyncio.create_task(self._connect(client), name="discord-gateway")
            await self._wait_ready(client)
            self._check_guilds(client)
        except BaseException:
            await self._close_client()
            self.api.restore()
            raise
        self.publisher = Publisher(
            client,
            self.app.db,
            self.app.config.rules,
            self.refs,
            self.guilds,
            self.edits,
            self.app.registry,
            self.app.links,
        )
        self.app.invoker.listeners.append(self._after_command)
        logger.info("discord connected, serving %d guild(s)", len(self.guilds))
        if self.ready:
            await self._changed(None)  # what waited while it was down goes out now

    async def _connect(self, client: DynamoClient) -> None:
        try:
            await client.connect(reconnect=True)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            logger.error("the Discord gateway connection ended: %s", type(exc).__name__)
            raise

    async def _wait_ready(self, client: DynamoClient) -> None:
        assert self._connection is not None
        ready = asyncio.create_task(client.wait_until_ready(), name="discord-ready")
        try:
            done, _ = await asyncio.wait(
                {ready, self._connection},
                timeout=self.ready_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            ready.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ready
        if self._connection in done:
            error = self._connection.exception()
            why = f"{type(error).__name__}: {error}" if error else "it closed before READY"
            raise ConfigError(f"could not connect to the Discord gateway: {why}")
        if not done:
            logger.warning(
                "Discord is not ready after %.0fs; announcements wait until it is",
                self.ready_timeout,
            )

    def _check_guilds(self, client: DynamoClient) -> None:
        if not client.is_ready():
            return
        for number, settings in enumerate(self.settings.guilds, start=1):
            where = f"[[discord.guilds]] #{number}"
            guild = client.get_guild(settings.id)
            if guild is None:
                raise ConfigError(
                    f"{where} id {settings.id}: the bot is not in that server. Invite it "
                    f"with the bot and applications.commands scopes, or fix the id."
                )
            if guild.unavailable:  # a Discord outage, not a mistake: check next time
                logger.warning("%s: the server %s is unavailable on Discord now", where, guild.id)
                continue
            announce = guild.get_channel(settings.announce_channel_id)
            if not isinstance(announce, discord.TextChannel):
                raise ConfigError(
                    f"{where} announce_channel_id {settings.announce_channel_id}: not a text "
                    f"channel of the server {guild.name!r}"
                )
            parent = guild.get_channel(settings.campaign_parent_channel_id)
            if not isinstance(parent, discord.TextChannel | discord.ForumChannel):
                raise ConfigError(
                    f"{where} campaign_parent_channel_id {settings.campaign_parent_channel_id}:"
                    f" not a text or forum channel of the server {guild.name!r}"
                )
            if isinstance(parent, discord.ForumChannel):
                # Where an admin finds the ids campaign_tag_id takes.
                logger.info(
                    "%s: the forum #%s has the tags %s%s",
                    where,
                    parent.name,
                    ", ".join(f"{t.name!r} ({t.id})" for t in parent.available_tags) or "none",
                    " and requires one on every post" if parent.flags.require_tag else "",
                )
            tag = settings.campaign_tag_id
            if tag is not None and not isinstance(parent, discord.ForumChannel):
                raise ConfigError(
                    f"{where} campaign_tag_id {tag}: the campaign parent channel "
                    f"#{parent.name} is not a forum, so it has no tags; remove the setting"
                )
            if tag is not None and parent.get_tag(tag) is None:
                names = ", ".join(f"{t.name!r} ({t.id})" for t in parent.available_tags)
                raise ConfigError(
                    f"{where} campaign_tag_id {tag}: not a tag of the forum #{parent.name} "
                    f"(its tags: {names or 'none'})"
                )
            for role_id in settings.moderator_role_ids:
                if guild.get_role(role_id) is None:
                    logger.warning("%s moderator_role_ids: no role %s there", where, role_id)

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.app.invoker.listeners.remove(self._after_command)
        await self.edits.close(within=3.0)
        await self._close_client()
        self.api.restore()

    async def _close_client(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            await client.close()
        task, self._connection = self._connection, None
        if task is not None:
            _, late = await asyncio.wait({task}, timeout=5.0)
            for pending in late:
                pending.cancel()
            with contextlib.suppress(BaseException):
                await task

    @property
    def ready(self) -> bool:
        client = self.client
        return client is not None and client.is_ready() and not client.is_closed()

    # -- the outbox -----------------------------------------------------------------------
    async def deliver_announcement(self, space: str, event: str, payload: dict[str, Any]) -> None:
        if not self.ready or self.publisher is None:
            self._waiting_for_connection = True
            raise NotConnected("the Discord connection is not ready")
        try:
            await self.publisher.publish(space, event, payload)
        except MisconfiguredChannel as trouble:
            self._troubled.add(space)
            await self._tell_staff(space, trouble)
            raise SpaceDown(f"waiting for an admin to fix it: {trouble}") from trouble

    async def _tell_staff(self, space: str, trouble: MisconfiguredChannel) -> None:
        """Tell the moderators and admins, once, what to fix. The delivery waits either way:
        a notice that could not be written now is written at the delivery's next try."""
        settings = self.guilds[space]
        guild = self.client.get_guild(settings.id) if self.client is not None else None
        key, text = staff_notice(trouble, settings, guild)
        try:
            told = await tell_staff(self.app.jobs, key, text)
        except Exception:
            logger.exception("could not tell the staff about %s in %s", trouble.setting, space)
            return
        if told:
            logger.warning("told the staff to fix %s in %s: %s", trouble.setting, space, trouble)

    async def _changed(self, guild_id: int | None) -> None:
        """The connection is back (``guild_id`` None), or a server's channels or roles
        changed (an admin's fix, perhaps): what waits for it is tried now rather than at
        its next turn."""
        if guild_id is None:
            # READY comes before start() has its publisher when Discord answers at once.
            if not self._waiting_for_connection or self.publisher is None:
                return
            self._waiting_for_connection = False
            spaces = self.spaces
        else:
            space = space_of(guild_id)
            if space not in self._troubled:
                return
            spaces = (space,)
        try:
            await self.app.dispatcher.release(spaces=spaces)
        except Exception:
            logger.exception("could not release the deliveries waiting for %s", spaces)

    def can_reach(self, identity_key: str) -> bool:
        return identity_key.startswith(f"{PLATFORM}:") and self.ready

    async def deliver_dm(self, identity_key: str, event: str, payload: dict[str, Any]) -> None:
        client = self.client
        if client is None or not self.ready:
            raise NotConnected("the Discord connection is not ready")
        user_id = int(identity_key.removeprefix(f"{PLATFORM}:"))
        # Private to the member: their own texts keep their lines, still shown as typed.
        text = render(str(payload.get("text", "")), self.app.registry, public=False)
        try:
            channel = await client.create_dm(discord.Object(user_id))
            for part in chunks(text):
                await channel.send(part, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as exc:
            reason = dm_refusal(exc)
            if reason is None:
                raise
            # Never again for this delivery: each refused try counts toward Discord's limit
            # of invalid requests.
            logger.info("Discord refuses a direct message (%s) for good: code %s", event, exc.code)
            raise Refused(reason) from exc

    # -- counts on announcements ----------------------------------------------------------
    def _after_command(self, command: Command, reply: Reply) -> None:
        """After any command, from any transport, once it has taken effect: refresh the
        counts it changed on the messages."""
        if not self.ready:
            return
        data = reply.data
        if isinstance(data.get("idea_id"), int):
            self.edits.mark(idea_key(data["idea_id"]))
        # A signature only updated (a name shown) changes no count.
        if isinstance(data.get("campaign_id"), int) and "signatures" in data:
            if data.get("new") is not False:
                self.edits.mark(petition_key(data["campaign_id"]))

    async def _flush(self, key: Hashable) -> None:
        publisher = self.publisher
        if publisher is None or not self.ready:
            return
        kind, number = key  # type: ignore[misc]
        if kind == "idea":
            await publisher.refresh_idea(number)
        elif kind == "petition":
            await publisher.refresh_petition(number)
