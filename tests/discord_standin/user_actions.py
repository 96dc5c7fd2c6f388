"""What a Discord user does, as gateway events: post a message, run a slash command, click a
button, pick from a select, submit a modal.

Each action is checked against what the Discord client would allow (the command is synced,
the button is on the message and enabled, the modal was shown to this user), so a test cannot
pass by doing something no real user could.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
from collections.abc import Mapping
from typing import Any

from .app_commands import CHANNEL, MENTIONABLE, ROLE, USER, allowed_in, build_options
from .errors import StandInError
from .gateway import GatewayHub
from .payloads import message_payload, with_component_ids
from .records import InteractionHandle, StoredMessage
from .snowflakes import iso_now
from .specs import CHANNEL_DM, DM_APP_PERMISSIONS
from .state import DiscordState, GuildState

Json = dict[str, Any]

APPLICATION_COMMAND, MESSAGE_COMPONENT, MODAL_SUBMIT = 2, 3, 5
BUTTON, STRING_SELECT, TEXT_INPUT, ACTION_ROW, LABEL = 2, 3, 4, 1, 18
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


def user_id_of(user: Json | int) -> int:
    return user if isinstance(user, int) else int(user["id"])


class UserActions:
    def __init__(self, state: DiscordState, hub: GatewayHub) -> None:
        self.state = state
        self.hub = hub
        self._submitted_modals: set[int] = set()  # interactions whose modal was submitted

    # messages ---------------------------------------------------------------------------

    async def send_message(self, channel_id: int, author: Json, content: str) -> StoredMessage:
        if not self.hub.live_sessions:
            raise StandInError("no bot is connected to the stand-in")
        channel = self.state.channel(channel_id)
        guild = self.state.guild_of(channel)
        if guild is not None:
            self.state.ensure_member(guild, author)
        elif channel["type"] == CHANNEL_DM and self.state.dm_recipient(channel) != int(
            author["id"]
        ):
            raise StandInError("only the DM's recipient can post in it")
        mentioned = [
            self.state.users[u]
            for u in sorted(self.state.users)
            if f"<@{u}>" in content or f"<@!{u}>" in content
        ]
        payload = message_payload(
            self.state.ids.next(),
            channel_id,
            author,
            {"content": content},
            now=iso_now(),
            mentions=mentioned,
        )
        stored = self.state.add_message(payload)
        # Delivered only if the bot asked for the intent, as on Discord.
        await self.hub.message_event("MESSAGE_CREATE", stored)
        return stored

    # interactions -----------------------------------------------------------------------

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
        path = name.split()
        command = self.state.find_command(guild_id, path[0])
        if command is None:
            synced = [
                c["name"] for scope in (guild_id, None) for c in self.state.commands.get(scope, [])
            ]
            raise StandInError(f"/{path[0]} is not registered with Discord (synced: {synced})")
        guild = self.state.guilds[guild_id] if guild_id is not None else None
        if not allowed_in(command, 0 if guild else 1):
            where = "in a server" if guild else "in DMs"
            raise StandInError(f"/{path[0]} is not available {where}")
        resolved: dict[str, dict[str, Json]] = {}

        def resolve(kind: int, value: Any) -> str:
            return self._resolve(guild, kind, value, resolved)

        data: Json = {
            "id": command["id"],
            "name": command["name"],
            "type": 1,
            "options": build_options(command, path[1:], options or {}, resolve),
        }
        if resolved:
            data["resolved"] = resolved
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        channel = self._channel_for(user, guild, channel_id)
        return await self._interaction(APPLICATION_COMMAND, user, guild, channel, data, locale)

    def _resolve(
        self, guild: GuildState | None, kind: int, value: Any, resolved: dict[str, dict[str, Json]]
    ) -> str:
        """Record a user/role/channel option's object in ``resolved``, return its id.

        Users are given as user dicts (or ids); roles and channels as ids.
        """
        key = user_id_of(value) if isinstance(value, dict | int) else None
        if kind in (USER, MENTIONABLE) and key in self.state.users:
            user = self.state.users[key]
            resolved.setdefault("users", {})[user["id"]] = user
            if guild is not None:
                member = self.state.ensure_member(guild, user)
                partial = {k: v for k, v in member.items() if k != "user"}
                partial["permissions"] = str(self.state.permissions(guild, key))
                resolved.setdefault("members", {})[user["id"]] = partial
            return str(key)
        if kind in (ROLE, MENTIONABLE) and guild is not None and key in guild.roles:
            resolved.setdefault("roles", {})[str(key)] = guild.roles[key]
            return str(key)
        if kind == CHANNEL and key in self.state.channels:
            channel = copy.deepcopy(self.state.channels[key])
            channel["permissions"] = str(
                self.state.permissions(guild, self.state.application_id) if guild else 0
            )
            resolved.setdefault("channels", {})[str(key)] = channel
            return str(key)
        raise StandInError(f"cannot resolve {value!r} as an option of type {kind}")

    def _channel_for(self, user: Json, guild: GuildState | None, channel_id: int | None) -> Json:
        if guild is None:
            if channel_id is not None:
                raise StandInError("a DM interaction happens in the user's DM channel")
            return self.state.open_dm(int(user["id"]))
        channel = self.state.channel(channel_id or guild.default_channel_id)
        if channel.get("guild_id") != str(guild.id):
            raise StandInError(f"channel {channel['id']} is not in guild {guild.name!r}")
        return channel

    async def use_component(
        self,
        user: Json,
        message_id: int,
        custom_id: str,
        *,
        component_type: int,
        values: list[str] | None = None,
        channel_id: int | None = None,
        guild_id: int | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        stored = self.state.messages.get(message_id)
        if stored is None or stored.deleted:
            raise StandInError(f"message {message_id} does not exist")
        component = stored.find_component(custom_id)
        if component is None:
            raise StandInError(f"{custom_id!r} is not on message {message_id}: {stored.custom_ids}")
        if component["type"] != component_type:
            raise StandInError(f"{custom_id!r} is a component of type {component['type']}")
        if component.get("disabled"):
            raise StandInError(f"{custom_id!r} is disabled")
        owner = (stored.payload.get("interaction_metadata") or {}).get("user", {}).get("id")
        if stored.ephemeral and owner != user["id"]:
            raise StandInError("an ephemeral message is only visible to its own user")
        if channel_id is not None and channel_id != stored.channel_id:
            raise StandInError(f"message {message_id} is in channel {stored.channel_id}")
        if guild_id is not None and guild_id != stored.guild_id:
            raise StandInError(f"message {message_id} is not in guild {guild_id}")
        data: Json = {"custom_id": custom_id, "component_type": component_type}
        if "id" in component:
            data["id"] = component["id"]
        if component_type == STRING_SELECT:
            data["values"] = self._checked_choice(component, values or [])
        guild = self.state.guilds.get(stored.guild_id) if stored.guild_id else None
        channel = self.state.channel(stored.channel_id)
        return await self._interaction(
            MESSAGE_COMPONENT, user, guild, channel, data, locale, message=stored
        )

    @staticmethod
    def _checked_choice(component: Json, values: list[str]) -> list[str]:
        offered = [o["value"] for o in component.get("options") or []]
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not low <= len(values) <= high or any(v not in offered for v in values):
            raise StandInError(f"pick {low}..{high} of {offered} in {component['custom_id']!r}")
        return list(values)

    async def submit_modal(
        self, user: Json, custom_id: str, values: Mapping[str, Any], *, locale: str = "en-US"
    ) -> InteractionHandle:
        shown = next(
            (
                h
                for h in reversed(list(self.state.interactions.values()))
                if h.user_id == int(user["id"])
                and h.modal is not None
                and h.modal.get("custom_id") == custom_id
                and h.id not in self._submitted_modals
            ),
            None,
        )
        if shown is None or shown.modal is None:
            raise StandInError(f"no open modal {custom_id!r} was shown to {user['username']}")
        components = _submitted_components(with_component_ids(shown.modal["components"]), values)
        self._submitted_modals.add(shown.id)
        guild = self.state.guilds.get(shown.guild_id) if shown.guild_id else None
        channel = self.state.channel(shown.channel_id)
        data = {"custom_id": custom_id, "components": components}
        return await self._interaction(
            MODAL_SUBMIT, user, guild, channel, data, locale, message=shown.source_message
        )

    async def _interaction(
        self,
        kind: int,
        user: Json,
        guild: GuildState | None,
        channel: Json,
        data: Json,
        locale: str,
        *,
        message: StoredMessage | None = None,
    ) -> InteractionHandle:
        state = self.state
        self.state.users.setdefault(int(user["id"]), user)
        interaction_id = state.ids.next()
        payload: Json = {
            "id": str(interaction_id),
            "application_id": str(state.application_id),
            "type": kind,
            "data": data,
            "token": "standin." + secrets.token_urlsafe(32),
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            # Guild install: the guild's id, or "0" in a DM with the bot.
            "authorizing_integration_owners": {"0": str(guild.id) if guild else "0"},
            "context": 0 if guild else 1,
            "channel_id": channel["id"],
            "channel": copy.deepcopy(channel),
        }
        if guild is not None:
            member = state.ensure_member(guild, user)
            user_permissions = state.permissions(guild, int(user["id"]))
            payload["channel"]["permissions"] = str(user_permissions)
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                member={**copy.deepcopy(member), "permissions": str(user_permissions)},
                app_permissions=str(state.permissions(guild, state.application_id)),
            )
        else:
            payload.update(user=user, app_permissions=str(DM_APP_PERMISSIONS))
        if message is not None:
            payload["message"] = copy.deepcopy(message.payload)
        handle = InteractionHandle(
            id=interaction_id,
            token=payload["token"],
            type=kind,
            payload=payload,
            user_id=int(user["id"]),
            channel_id=int(channel["id"]),
            guild_id=guild.id if guild else None,
            dispatched_at=asyncio.get_running_loop().time(),
            feed=state.feed,
            source_message=message,
        )
        # Registered before dispatch: a fast bot may answer before dispatch returns.
        state.interactions[interaction_id] = handle
        if not await self.hub.dispatch("INTERACTION_CREATE", payload):
            del state.interactions[interaction_id]
            raise StandInError("no bot is connected to receive the interaction")
        return handle


def _submitted_components(modal_components: list[Json], values: Mapping[str, Any]) -> list[Json]:
    """The modal submit ``components``: the modal's layout with the user's values in it."""
    used: set[str] = set()
    result: list[Json] = []
    for top in modal_components:
        if top["type"] == ACTION_ROW:
            inner = [_field(c, values, used) for c in top.get("components") or []]
            result.append({"type": ACTION_ROW, "id": top["id"], "components": inner})
        elif top["type"] == LABEL:
            result.append(
                {
                    "type": LABEL,
                    "id": top["id"],
                    "component": _field(top["component"], values, used),
                }
            )
    unknown = set(values) - used
    if unknown:
        raise StandInError(f"the modal has no field(s) {sorted(unknown)}")
    return result


def _field(component: Json, values: Mapping[str, Any], used: set[str]) -> Json:
    custom_id = component.get("custom_id", "")
    used.add(custom_id)
    if component["type"] == STRING_SELECT:
        chosen = list(values.get(custom_id, []))
        picked = UserActions._checked_choice(component, chosen) if chosen else []
        return {
            "type": STRING_SELECT,
            "id": component["id"],
            "custom_id": custom_id,
            "values": picked,
        }
    if component["type"] != TEXT_INPUT:
        raise StandInError(
            f"the stand-in cannot fill a modal component of type {component['type']}"
        )
    value = values.get(custom_id, "")
    if not isinstance(value, str):
        raise StandInError(f"field {custom_id!r} takes text, got {value!r}")
    low, high = component.get("min_length", 0), component.get("max_length", 4000)
    if component.get("required", True) and not value:
        raise StandInError(f"field {custom_id!r} is required")
    if value and not low <= len(value) <= high:
        raise StandInError(f"field {custom_id!r} must be {low}..{high} characters long")
    return {"type": TEXT_INPUT, "id": component["id"], "custom_id": custom_id, "value": value}
