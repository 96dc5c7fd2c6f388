"""REST routes on channels: messages, threads, forum posts, DMs, thread members, webhooks."""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from .errors import CANNOT_DM_USER, CANNOT_EDIT_OTHERS_MESSAGE, RestError
from .gateway import GatewayHub
from .http_layer import RECORD_KEY, json_response, no_content
from .limits import check_message_body
from .records import RecordedRequest
from .specs import (
    CHANNEL_FORUM,
    CHANNEL_PUBLIC_THREAD,
    CHANNEL_TEXT,
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    SEND_MESSAGES,
    SEND_MESSAGES_IN_THREADS,
    THREAD_TYPES,
)
from .state import DiscordState
from .webhook_names import check_webhook_name

Json = dict[str, Any]
THREAD_METADATA_KEYS = ("archived", "locked", "auto_archive_duration", "invitable")


def snowflake(request: web.Request, name: str) -> int:
    """A path id; a non-numeric one means the route itself is unknown to Discord (and to
    the stand-in, e.g. ``/messages/pins`` caught by ``/messages/{message_id}``)."""
    try:
        return int(request.match_info[name])
    except ValueError:
        request[RECORD_KEY].route = ""  # listed in StandIn.unhandled
        raise RestError(404, 0, "404: Not Found") from None


def record_of(request: web.Request) -> RecordedRequest:
    return request[RECORD_KEY]


def body_of(request: web.Request) -> Json:
    body = record_of(request).json
    return body if isinstance(body, dict) else {}


class ChannelRoutes:
    def __init__(self, state: DiscordState, hub: GatewayHub) -> None:
        self.state = state
        self.hub = hub

    def register(self, router: web.UrlDispatcher, prefix: str) -> None:
        channel = prefix + "/channels/{channel_id}"
        message = channel + "/messages/{message_id}"
        routes = [
            ("GET", channel, self.get_channel),
            ("PATCH", channel, self.edit_channel),
            ("GET", channel + "/messages", self.history),
            ("POST", channel + "/messages", self.create_message),
            ("GET", message, self.get_message),
            ("PATCH", message, self.edit_message),
            ("DELETE", message, self.delete_message),
            ("POST", message + "/threads", self.thread_from_message),
            ("POST", channel + "/threads", self.create_thread),
            ("PUT", channel + "/thread-members/{user_id}", self.add_thread_member),
            ("DELETE", channel + "/thread-members/{user_id}", self.remove_thread_member),
            ("GET", channel + "/thread-members", self.thread_members),
            ("POST", prefix + "/users/@me/channels", self.open_dm),
            ("GET", channel + "/webhooks", self.channel_webhooks),
            ("POST", channel + "/webhooks", self.create_webhook),
            ("GET", prefix + "/guilds/{guild_id}/webhooks", self.guild_webhooks),
        ]
        for method, path, handler in routes:
            router.add_route(method, path, handler)

    # channels ---------------------------------------------------------------------------

    async def get_channel(self, request: web.Request) -> web.Response:
        return json_response(self.state.channel(snowflake(request, "channel_id")))

    async def edit_channel(self, request: web.Request) -> web.Response:
        channel = self.state.channel(snowflake(request, "channel_id"))
        body = body_of(request)
        is_thread = channel["type"] in THREAD_TYPES
        for key, value in body.items():
            if is_thread and key in THREAD_METADATA_KEYS:
                channel["thread_metadata"][key] = value
            elif key in ("name", "topic", "rate_limit_per_user", "nsfw", "applied_tags", "flags"):
                channel[key] = value
        event = "THREAD_UPDATE" if is_thread else "CHANNEL_UPDATE"
        await self.hub.channel_event(event, channel, newly_created=False)
        return json_response(channel)

    # messages ---------------------------------------------------------------------------

    async def history(self, request: web.Request) -> web.Response:
        channel_id = snowflake(request, "channel_id")
        self.state.channel(channel_id)
        limit = min(int(request.query.get("limit", 50)), 100)
        visible = [
            m.payload
            for m in self.state.channel_messages.get(channel_id, [])
            if not m.deleted and not m.ephemeral
        ]
        return json_response(list(reversed(visible))[:limit])  # newest first, as Discord

    async def create_message(self, request: web.Request) -> web.Response:
        channel_id = snowflake(request, "channel_id")
        channel = self.state.channel(channel_id)
        if channel["type"] == CHANNEL_FORUM:
            raise RestError(400, 50008, "Cannot send messages in a non-text channel")
        recipient = self.state.dm_recipient(channel)
        if recipient is not None and recipient in self.state.dms_closed:
            # 50007: the user closed their DMs to the bot (or blocked it).
            raise RestError(403, CANNOT_DM_USER, "Cannot send messages to this user")
        # Discord's "Create Message" needs SEND_MESSAGES in a channel and
        # SEND_MESSAGES_IN_THREADS in a thread (a DM needs neither).
        in_thread = channel["type"] in THREAD_TYPES
        self.state.require_bot_permissions(
            channel, SEND_MESSAGES_IN_THREADS if in_thread else SEND_MESSAGES
        )
        body = body_of(request)
        files = record_of(request).files
        check_message_body(body, has_files=bool(files))
        stored = self.state.bot_message(channel_id, body, files)
        await self.hub.message_event("MESSAGE_CREATE", stored)
        return json_response(stored.payload)

    async def get_message(self, request: web.Request) -> web.Response:
        stored = self.state.message(
            snowflake(request, "channel_id"), snowflake(request, "message_id")
        )
        return json_response(stored.payload)

    async def edit_message(self, request: web.Request) -> web.Response:
        stored = self.state.message(
            snowflake(request, "channel_id"), snowflake(request, "message_id")
        )
        if stored.author_id != self.state.application_id:
            raise RestError(
                403, CANNOT_EDIT_OTHERS_MESSAGE, "Cannot edit a message authored by another user"
            )
        body = body_of(request)
        check_message_body(body, creating=False)
        self.state.edit_message(stored, body, record_of(request).files)
        await self.hub.message_event("MESSAGE_UPDATE", stored)
        return json_response(stored.payload)

    async def delete_message(self, request: web.Request) -> web.Response:
        stored = self.state.message(
            snowflake(request, "channel_id"), snowflake(request, "message_id")
        )
        self.state.delete_message(stored)
        await self.hub.message_event("MESSAGE_DELETE", stored)
        return no_content()

    # threads ----------------------------------------------------------------------------

    async def create_thread(self, request: web.Request) -> web.Response:
        """A thread in a text channel, or a forum post (a thread with its first message)."""
        parent_id = snowflake(request, "channel_id")
        parent = self.state.channel(parent_id)
        body = body_of(request)
        # Discord: a thread in a text channel needs CREATE_PUBLIC_THREADS (a private one
        # CREATE_PRIVATE_THREADS); a forum post needs SEND_MESSAGES.
        if parent["type"] == CHANNEL_FORUM:
            needed = SEND_MESSAGES
        elif int(body.get("type") or 0) == CHANNEL_PUBLIC_THREAD:
            needed = CREATE_PUBLIC_THREADS
        else:
            needed = CREATE_PRIVATE_THREADS
        self.state.require_bot_permissions(parent, needed)
        if parent["type"] != CHANNEL_FORUM:
            thread = self.state.create_thread(parent_id, self.state.application_id, body)
            await self.hub.channel_event("THREAD_CREATE", thread, newly_created=True)
            return json_response(thread)
        starter = body.get("message")
        if not isinstance(starter, dict):
            raise RestError(400, 50035, "Invalid Form Body: a forum post needs a message")
        files = record_of(request).files
        check_message_body(starter, has_files=bool(files), prefix=["message"])
        thread = self.state.create_thread(parent_id, self.state.application_id, body)
        await self.hub.channel_event("THREAD_CREATE", thread, newly_created=True)
        # A forum post's first message has the thread's id.
        stored = self.state.bot_message(
            int(thread["id"]), starter, files, message_id=int(thread["id"])
        )
        await self.hub.message_event("MESSAGE_CREATE", stored)
        return json_response({**thread, "message": stored.payload})

    async def thread_from_message(self, request: web.Request) -> web.Response:
        stored = self.state.message(
            snowflake(request, "channel_id"), snowflake(request, "message_id")
        )
        thread = self.state.start_thread_on(stored, body_of(request))
        await self.hub.channel_event("THREAD_CREATE", thread, newly_created=True)
        return json_response(thread)

    def _thread(self, request: web.Request) -> Json:
        thread = self.state.channel(snowflake(request, "channel_id"))
        if thread["type"] not in THREAD_TYPES:
            raise RestError(400, 50024, "Cannot execute action on this channel type")
        return thread

    def _member_id(self, request: web.Request) -> int:
        raw = request.match_info["user_id"]
        return self.state.application_id if raw == "@me" else snowflake(request, "user_id")

    async def add_thread_member(self, request: web.Request) -> web.Response:
        thread = self._thread(request)
        members = self.state.thread_members.setdefault(int(thread["id"]), set())
        members.add(self._member_id(request))
        thread["member_count"] = len(members)
        return no_content()

    async def remove_thread_member(self, request: web.Request) -> web.Response:
        thread = self._thread(request)
        members = self.state.thread_members.setdefault(int(thread["id"]), set())
        members.discard(self._member_id(request))
        thread["member_count"] = len(members)
        return no_content()

    async def thread_members(self, request: web.Request) -> web.Response:
        thread = self._thread(request)
        joined = thread["thread_metadata"]["create_timestamp"]
        members = [
            {"id": thread["id"], "user_id": str(u), "join_timestamp": joined, "flags": 0}
            for u in sorted(self.state.thread_members.get(int(thread["id"]), set()))
        ]
        return json_response(members)

    # DMs and webhooks -------------------------------------------------------------------

    async def open_dm(self, request: web.Request) -> web.Response:
        body = body_of(request)
        return json_response(self.state.open_dm(int(body.get("recipient_id") or 0)))

    async def channel_webhooks(self, request: web.Request) -> web.Response:
        channel_id = str(snowflake(request, "channel_id"))
        self.state.channel(int(channel_id))
        hooks = [w for w in self.state.webhooks.values() if w["channel_id"] == channel_id]
        return json_response(hooks)

    async def guild_webhooks(self, request: web.Request) -> web.Response:
        guild_id = str(snowflake(request, "guild_id"))
        hooks = [w for w in self.state.webhooks.values() if w["guild_id"] == guild_id]
        return json_response(hooks)

    async def create_webhook(self, request: web.Request) -> web.Response:
        channel_id = snowflake(request, "channel_id")
        if self.state.channel(channel_id)["type"] not in (CHANNEL_TEXT, CHANNEL_FORUM):
            raise RestError(400, 50024, "Cannot execute action on this channel type")
        name = check_webhook_name(body_of(request).get("name"), ["name"])
        return json_response(copy.deepcopy(self.state.create_webhook(channel_id, name)))
