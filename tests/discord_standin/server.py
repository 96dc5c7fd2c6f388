"""``StandIn``: a local Discord (REST + gateway on 127.0.0.1) for the real discord.py client.

Usage, in an async test::

    async with StandIn(guilds=[GuildSpec("Workers")]) as standin, patched_discord(standin):
        async with running_client(bot, standin):
            alice = standin.make_user("alice")
            handle = await standin.slash_command(alice, standin.guild().id, "pitch", {...})
            assert (await handle.reply()).ephemeral
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from .errors import StandInError
from .gateway import GatewayHub
from .http_layer import API_PREFIX, Fault, FaultPlan, make_middleware, rate_limit_fault
from .payloads import error_body
from .records import (
    DEFAULT_WITHIN,
    ChangeFeed,
    InteractionHandle,
    RecordedRequest,
    StoredMessage,
)
from .rest_application import ApplicationRoutes
from .rest_channels import ChannelRoutes
from .rest_interactions import InteractionRoutes
from .specs import CHANNEL_DM, PRIVILEGED_INTENTS, GuildSpec
from .state import DiscordState, GuildState
from .user_actions import BUTTON, STRING_SELECT, UserActions, user_id_of

Json = dict[str, Any]
T = TypeVar("T")

DEFAULT_TOKEN = "standin-bot-token"  # a fake; only ever sent to 127.0.0.1


class StandIn:
    """A fake Discord for one test: start it, point discord.py at it, act as users, read
    what Discord would show."""

    def __init__(
        self,
        guilds: Sequence[GuildSpec] = (GuildSpec(),),
        *,
        bot_name: str = "Dynamo",
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        heartbeat_interval_ms: int = 41_250,
        allowed_privileged_intents: int = PRIVILEGED_INTENTS,
        interaction_deadline: float = 3.0,
    ) -> None:
        self.host = host
        self.feed = ChangeFeed()
        self.state = DiscordState(guilds, bot_name=bot_name, token=token, feed=self.feed)
        self.hub = GatewayHub(
            self.state,
            self.feed,
            heartbeat_interval_ms=heartbeat_interval_ms,
            allowed_privileged_intents=allowed_privileged_intents,
        )
        self.faults = FaultPlan()
        self.actions = UserActions(self.state, self.hub)
        self.interaction_deadline = interaction_deadline
        self.base_url = ""
        self.api_base = ""
        self.gateway_url = ""
        self._runner: web.AppRunner | None = None

    # lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> StandIn:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application(middlewares=[make_middleware(self.state, self.faults)])
        # Literal routes (/users/@me) are registered before the ones they would shadow.
        ApplicationRoutes(self.state, self.hub).register(app.router, API_PREFIX)
        ChannelRoutes(self.state, self.hub).register(app.router, API_PREFIX)
        InteractionRoutes(self.state, self.hub, deadline=self.interaction_deadline).register(
            app.router, API_PREFIX
        )
        app.router.add_get("/gateway", self.hub.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._file)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, 0)  # port 0: a free one, never a fixed guess
        await site.start()
        self._runner = runner
        port = runner.addresses[0][1]
        self.base_url = f"http://{self.host}:{port}"
        self.api_base = self.base_url + API_PREFIX
        self.gateway_url = f"ws://{self.host}:{port}/gateway"
        self.state.http_base = self.base_url
        self.hub.url = self.gateway_url

    async def stop(self) -> None:
        if self._runner is None:
            return
        await self.hub.close()
        await self._runner.cleanup()
        self._runner = None

    async def _file(self, request: web.Request) -> web.Response:
        upload = self.state.attachments.get(int(request.match_info["attachment_id"]))
        if upload is None:
            raise web.HTTPNotFound()
        return web.Response(body=upload.data, content_type=upload.content_type)

    # who and where ----------------------------------------------------------------------

    @property
    def token(self) -> str:
        return self.state.token

    @property
    def bot_user(self) -> Json:
        return self.state.bot_user

    @property
    def application_id(self) -> int:
        return self.state.application_id

    @property
    def guilds(self) -> list[GuildState]:
        return list(self.state.guilds.values())

    def guild(self, name: str | None = None) -> GuildState:
        """The guild called ``name``, or the first one."""
        for guild in self.state.guilds.values():
            if name is None or guild.name == name:
                return guild
        raise KeyError(f"no guild {name!r}")

    def make_user(self, name: str) -> Json:
        """A new Discord user (a user object dict with a fresh snowflake id)."""
        return self.state.make_user(name)

    async def add_member(self, guild_id: int, user: Json, roles: Sequence[int] = ()) -> Json:
        """Make ``user`` join the guild with those role ids (GUILD_MEMBER_ADD if connected)."""
        member = self.state.join(guild_id, user, roles)
        await self.hub.dispatch("GUILD_MEMBER_ADD", {**member, "guild_id": str(guild_id)})
        return member

    def close_dms(self, user: Json | int) -> None:
        """The user no longer accepts DMs from the bot (Privacy Settings → Direct Messages
        off, or the bot blocked): sending one answers 403 with 50007 "Cannot send messages
        to this user", as Discord does."""
        self.state.dms_closed.add(user_id_of(user))

    # what a server's admins do ----------------------------------------------------------

    async def edit_forum(
        self,
        channel_id: int,
        *,
        tags: Sequence[str] | None = None,
        require_tag: bool | None = None,
    ) -> Json:
        """An admin edits a forum channel: its tags, by name (a name kept keeps its id), and
        "Require people to select tags when posting" (the REQUIRE_TAG channel flag). The bot
        hears of it by CHANNEL_UPDATE."""
        channel = self.state.edit_forum(channel_id, tags=tags, require_tag=require_tag)
        await self.hub.channel_event("CHANNEL_UPDATE", channel, newly_created=False)
        return channel

    def forum_tag_id(self, channel_id: int, name: str) -> int:
        for tag in self.state.channel(channel_id)["available_tags"]:
            if tag["name"] == name:
                return int(tag["id"])
        raise KeyError(f"the forum {channel_id} has no tag {name!r}")

    async def set_role_permissions(self, guild_id: int, role_id: int, permissions: int) -> None:
        """An admin changes what a role may do (GUILD_ROLE_UPDATE follows)."""
        role = self.state.set_role_permissions(guild_id, role_id, permissions)
        await self.hub.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild_id), "role": role})

    async def set_channel_permissions(
        self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0
    ) -> None:
        """An admin sets a channel's permissions for a role or a member (nothing allowed or
        denied removes the overwrite); CHANNEL_UPDATE follows."""
        channel = self.state.set_overwrite(channel_id, target_id, allow=allow, deny=deny)
        await self.hub.channel_event("CHANNEL_UPDATE", channel, newly_created=False)

    def dm_channel_id(self, user: Json | int) -> int:
        return int(self.state.open_dm(user_id_of(user))["id"])

    # acting as users --------------------------------------------------------------------

    async def send_message(self, channel_id: int, author: Json, content: str) -> StoredMessage:
        """``author`` posts ``content`` in a guild channel, thread or their DM channel."""
        return await self.actions.send_message(channel_id, author, content)

    async def send_dm(self, author: Json, content: str) -> StoredMessage:
        """``author`` writes to the bot in a direct message."""
        return await self.actions.send_message(self.dm_channel_id(author), author, content)

    async def slash_command(
        self,
        user: Json,
        guild_id: int | None,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        channel_id: int | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """Run ``/name`` (``"group sub"`` for subcommands) in a guild, or in DMs with
        ``guild_id=None``; the command must have been synced."""
        return await self.actions.slash_command(
            user, guild_id, name, options, channel_id=channel_id, locale=locale
        )

    async def click_button(
        self,
        user: Json,
        message_id: int,
        custom_id: str,
        channel_id: int | None = None,
        guild_id: int | None = None,
    ) -> InteractionHandle:
        """Click a button that is on the stored message."""
        return await self.actions.use_component(
            user,
            message_id,
            custom_id,
            component_type=BUTTON,
            channel_id=channel_id,
            guild_id=guild_id,
        )

    async def choose(
        self, user: Json, message_id: int, custom_id: str, values: list[str]
    ) -> InteractionHandle:
        """Pick ``values`` in a string select that is on the stored message."""
        return await self.actions.use_component(
            user, message_id, custom_id, component_type=STRING_SELECT, values=values
        )

    async def submit_modal(
        self, user: Json, custom_id: str, values: Mapping[str, Any]
    ) -> InteractionHandle:
        """Submit the modal the bot showed this user, with ``{field_custom_id: value}``."""
        return await self.actions.submit_modal(user, custom_id, values)

    # what Discord would show ------------------------------------------------------------

    def message(self, message_id: int) -> StoredMessage:
        return self.state.messages[message_id]

    def messages_in(
        self, channel_id: int, *, include_ephemeral: bool = False
    ) -> list[StoredMessage]:
        """Messages everyone in the channel sees, oldest first (ephemeral ones on request)."""
        return [
            m
            for m in self.state.channel_messages.get(channel_id, [])
            if not m.deleted and (include_ephemeral or not m.ephemeral)
        ]

    def last_message(self, channel_id: int) -> StoredMessage | None:
        messages = self.messages_in(channel_id)
        return messages[-1] if messages else None

    def dms_to(self, user: Json | int) -> list[StoredMessage]:
        """What the bot sent this user privately (its ephemeral DM replies included)."""
        channel_id = self.state.dm_channels.get(user_id_of(user))
        if channel_id is None:
            return []
        bot_id = self.application_id
        return [
            m for m in self.messages_in(channel_id, include_ephemeral=True) if m.author_id == bot_id
        ]

    def interaction_responses(self, interaction: InteractionHandle) -> list[StoredMessage]:
        return interaction.messages

    def webhook_posts(self, channel_id: int) -> list[StoredMessage]:
        """Posts made through a channel webhook (not interaction follow-ups)."""
        hooks = {int(w) for w in self.state.webhooks}
        return [m for m in self.messages_in(channel_id) if m.webhook_id in hooks]

    @property
    def webhooks(self) -> list[Json]:
        return list(self.state.webhooks.values())

    def threads_in(self, parent_id: int) -> list[Json]:
        """Threads (and forum posts) under a channel, as channel objects."""
        return self.state.threads_in(parent_id)

    def commands(self, guild_id: int | None = None) -> list[Json]:
        """The commands last synced globally, or for ``guild_id``."""
        return self.state.commands.get(guild_id, [])

    def is_dm(self, channel_id: int) -> bool:
        return self.state.channel(channel_id)["type"] == CHANNEL_DM

    # what the bot did over HTTP and the gateway -----------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.state.requests

    def requests_to(self, method: str, route_or_path: str) -> list[RecordedRequest]:
        """Requests to a route template (``/channels/{channel_id}/messages``) or a path."""
        return [r for r in self.state.requests if r.matches(method, route_or_path)]

    @property
    def unhandled(self) -> list[RecordedRequest]:
        """Requests to routes the stand-in does not know (answered 404/405)."""
        return [r for r in self.state.requests if not r.route]

    @property
    def identifies(self) -> list[Json]:
        return self.hub.identifies

    @property
    def intents(self) -> int | None:
        """The intents of the latest IDENTIFY."""
        return int(self.hub.identifies[-1].get("intents", 0)) if self.hub.identifies else None

    @property
    def presence_updates(self) -> list[Json]:
        """Presence/status changes the bot sent (gateway op 3)."""
        return self.hub.presence_updates

    @property
    def connected(self) -> bool:
        return bool(self.hub.connected_sessions)

    async def wait_for(
        self,
        predicate: Callable[[], T],
        within: float = DEFAULT_WITHIN,
        what: str = "the condition",
    ) -> T:
        """Wait until ``predicate()`` is truthy (re-checked whenever something is recorded)."""
        return await self.feed.wait_until(predicate, within, what)

    # misbehaving on purpose -------------------------------------------------------------

    def inject_rate_limit(
        self,
        method: str,
        route: str,
        *,
        retry_after: float = 0.05,
        times: int = 1,
        is_global: bool = False,
    ) -> None:
        """Answer the next ``times`` matching requests with a 429 discord.py will retry."""
        self.faults.add(
            rate_limit_fault(
                method, route, retry_after=retry_after, times=times, is_global=is_global
            )
        )

    def inject_error(
        self,
        method: str,
        route: str,
        *,
        status: int,
        code: int,
        message: str,
        times: int = 1,
        errors: Json | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with a Discord JSON error (``errors``:
        the per-field details of a 50035 Invalid Form Body, see ``payloads.field_errors``)."""
        body = error_body(code, message, errors)
        fault = Fault(method.upper(), route, status, body, {}, times)
        self.faults.add(fault)

    def hold_ready(self) -> None:
        """From now on, a bot that identifies gets no READY until `send_ready`."""
        self.hub.ready_gate.clear()

    def send_ready(self) -> None:
        self.hub.ready_gate.set()

    async def drop_connections(self, code: int = 4000) -> None:
        """Close the bot's websocket like a network failure; it should RESUME."""
        await self.hub.drop_connections(code)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: the bot should reconnect and RESUME."""
        await self.hub.request_reconnect()

    def require_connected(self) -> None:
        if not self.connected:
            raise StandInError("no bot is connected to the stand-in")
