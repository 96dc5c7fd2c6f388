"""REST routes about the bot itself: login lookups, gateway discovery, application commands,
and read-only guild lookups.
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from .errors import UNKNOWN_GUILD, UNKNOWN_MEMBER, RestError, unknown
from .gateway import APPLICATION_FLAGS, GatewayHub
from .http_layer import json_response, no_content
from .rest_channels import record_of, snowflake
from .specs import THREAD_TYPES
from .state import DiscordState, GuildState

Json = dict[str, Any]


class ApplicationRoutes:
    def __init__(self, state: DiscordState, hub: GatewayHub) -> None:
        self.state = state
        self.hub = hub

    def register(self, router: web.UrlDispatcher, prefix: str) -> None:
        app = prefix + "/applications/{application_id}"
        guild = prefix + "/guilds/{guild_id}"
        routes = [
            ("GET", prefix + "/users/@me", self.me),
            ("GET", prefix + "/users/{user_id}", self.user),
            ("GET", prefix + "/oauth2/applications/@me", self.application),
            ("GET", prefix + "/applications/@me", self.application),
            ("GET", prefix + "/gateway", self.gateway),
            ("GET", prefix + "/gateway/bot", self.gateway_bot),
            ("GET", app + "/commands", self.list_commands),
            ("PUT", app + "/commands", self.overwrite_commands),
            ("GET", app + "/guilds/{guild_id}/commands", self.list_commands),
            ("PUT", app + "/guilds/{guild_id}/commands", self.overwrite_commands),
            ("GET", guild, self.guild),
            ("GET", guild + "/channels", self.guild_channels),
            ("GET", guild + "/roles", self.guild_roles),
            ("GET", guild + "/members/{user_id}", self.member),
            ("DELETE", app + "/commands/{command_id}", self.delete_command),
        ]
        for method, path, handler in routes:
            router.add_route(method, path, handler)

    async def me(self, request: web.Request) -> web.Response:
        user = {**self.state.bot_user, "verified": True, "mfa_enabled": False, "flags": 0}
        return json_response(user)

    async def user(self, request: web.Request) -> web.Response:
        return json_response(self.state.user(snowflake(request, "user_id")))

    async def application(self, request: web.Request) -> web.Response:
        state = self.state
        return json_response(
            {
                "id": str(state.application_id),
                "name": state.bot_user["username"],
                "icon": None,
                "description": "",
                "summary": "",
                "type": None,
                "rpc_origins": [],
                "bot_public": False,
                "bot_require_code_grant": False,
                "bot": state.bot_user,
                "owner": state.owner,
                "team": None,
                "verify_key": "0" * 64,
                "flags": APPLICATION_FLAGS,
                # Must stay None: with an endpoint URL Discord would not send interactions
                # over the gateway, and discord.py warns about exactly that.
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "tags": [],
                "approximate_guild_count": len(state.guilds),
                "integration_types_config": {"0": {}},
            }
        )

    async def gateway(self, request: web.Request) -> web.Response:
        return json_response({"url": self.hub.url})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return json_response({"url": self.hub.url, "shards": 1, "session_start_limit": limit})

    # application commands ---------------------------------------------------------------

    def _scope(self, request: web.Request) -> int | None:
        if snowflake(request, "application_id") != self.state.application_id:
            raise RestError(403, 50001, "Missing Access")
        if "guild_id" not in request.match_info:
            return None
        guild_id = snowflake(request, "guild_id")
        if guild_id not in self.state.guilds:
            raise RestError(403, 50001, "Missing Access")
        return guild_id

    async def list_commands(self, request: web.Request) -> web.Response:
        return json_response(copy.deepcopy(self.state.commands.get(self._scope(request), [])))

    async def overwrite_commands(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        return json_response(self.state.overwrite_commands(scope, record_of(request).json))

    async def delete_command(self, request: web.Request) -> web.Response:
        scope = self._scope(request)
        command_id = str(snowflake(request, "command_id"))
        kept = [c for c in self.state.commands.get(scope, []) if c["id"] != command_id]
        self.state.commands[scope] = kept
        return no_content()

    # guilds -----------------------------------------------------------------------------

    def _guild(self, request: web.Request) -> GuildState:
        guild = self.state.guilds.get(snowflake(request, "guild_id"))
        if guild is None:
            raise unknown("Guild", UNKNOWN_GUILD)
        return guild

    async def guild(self, request: web.Request) -> web.Response:
        payload = self.state.guild_create(self._guild(request).id)
        for key in ("members", "channels", "threads", "presences", "voice_states"):
            payload.pop(key)
        return json_response(payload)

    async def guild_channels(self, request: web.Request) -> web.Response:
        guild_id = str(self._guild(request).id)
        channels = [
            c
            for c in self.state.channels.values()
            if c.get("guild_id") == guild_id and c["type"] not in THREAD_TYPES
        ]
        return json_response(channels)

    async def guild_roles(self, request: web.Request) -> web.Response:
        return json_response(list(self._guild(request).roles.values()))

    async def member(self, request: web.Request) -> web.Response:
        member = self._guild(request).members.get(snowflake(request, "user_id"))
        if member is None:
            raise unknown("Member", UNKNOWN_MEMBER)
        return json_response(member)
