"""REST routes authenticated by a token in the path: interaction callbacks, follow-ups and
the original response (the application's webhook), and channel webhooks.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from aiohttp import web

from .errors import (
    ALREADY_ACKNOWLEDGED,
    INVALID_FORM_BODY,
    UNKNOWN_INTERACTION,
    UNKNOWN_MESSAGE,
    UNKNOWN_WEBHOOK,
    RestError,
    unknown,
)
from .gateway import GatewayHub
from .http_layer import json_response, no_content
from .limits import check_message_body, check_modal
from .records import InteractionHandle, StoredMessage
from .rest_channels import body_of, record_of, snowflake
from .specs import CHANNEL_FORUM, FLAG_LOADING, THREAD_TYPES
from .state import DiscordState
from .webhook_names import check_webhook_username

Json = dict[str, Any]

# Interaction type -> callback types Discord accepts for it.
ALLOWED_CALLBACKS = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}
CHAT_INPUT_COMMAND_MESSAGE = 20
FORUM_NEEDS_THREAD = 220001
INVALID_WEBHOOK_TOKEN = 50027


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true")


class InteractionRoutes:
    def __init__(self, state: DiscordState, hub: GatewayHub, *, deadline: float) -> None:
        self.state = state
        self.hub = hub
        self.deadline = deadline

    def register(self, router: web.UrlDispatcher, prefix: str) -> None:
        hook = prefix + "/webhooks/{webhook_id}/{webhook_token}"
        routes = [
            ("POST", prefix + "/interactions/{interaction_id}/{token}/callback", self.callback),
            ("POST", hook, self.execute),
            ("GET", hook, self.get_webhook_with_token),
            ("DELETE", hook, self.delete_webhook),
            ("GET", hook + "/messages/{message_id}", self.get_message),
            ("PATCH", hook + "/messages/{message_id}", self.edit_message),
            ("DELETE", hook + "/messages/{message_id}", self.delete_message),
            ("GET", prefix + "/webhooks/{webhook_id}", self.get_webhook),
            ("DELETE", prefix + "/webhooks/{webhook_id}", self.delete_webhook),
        ]
        for method, path, handler in routes:
            router.add_route(method, path, handler)

    # lookups ----------------------------------------------------------------------------

    def _handle_by_token(self, token: str) -> InteractionHandle:
        for handle in self.state.interactions.values():
            if handle.token == token:
                return handle
        raise unknown("Webhook", UNKNOWN_WEBHOOK)

    def _webhook(self, request: web.Request, *, with_token: bool) -> Json:
        webhook = self.state.webhooks.get(snowflake(request, "webhook_id"))
        if webhook is None:
            raise unknown("Webhook", UNKNOWN_WEBHOOK)
        if with_token and request.match_info["webhook_token"] != webhook["token"]:
            raise RestError(401, INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
        return webhook

    def _is_application(self, request: web.Request) -> bool:
        return snowflake(request, "webhook_id") == self.state.application_id

    # interaction callbacks --------------------------------------------------------------

    async def callback(self, request: web.Request) -> web.Response:
        handle = self.state.interactions.get(snowflake(request, "interaction_id"))
        if handle is None or handle.token != request.match_info["token"]:
            raise unknown("interaction", UNKNOWN_INTERACTION)
        if handle.acknowledged:
            raise RestError(400, ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged.")
        if asyncio.get_running_loop().time() - handle.dispatched_at > self.deadline:
            # Discord forgets an interaction nobody answered within 3 seconds.
            raise unknown("interaction", UNKNOWN_INTERACTION)
        body = body_of(request)
        kind = int(body.get("type") or 0)
        data = body.get("data") or {}
        needs_message = kind in (6, 7)
        if kind not in ALLOWED_CALLBACKS.get(handle.type, set()) or (
            needs_message and handle.source_message is None
        ):
            raise RestError(400, INVALID_FORM_BODY, f"Invalid interaction callback type {kind}")
        files = record_of(request).files
        if kind in (4, 7):
            check_message_body(data, has_files=bool(files), creating=kind == 4, prefix=["data"])
        elif kind == 9:
            check_modal(data)
        handle.callbacks.append(copy.deepcopy(body))
        message = await self._answer(handle, kind, data, files)
        self.state.feed.notify()
        if not _truthy(request.query.get("with_response")):
            return no_content()
        interaction: Json = {"id": str(handle.id), "type": handle.type}
        resource: Json = {"type": kind}
        if message is not None:
            interaction.update(
                response_message_id=str(message.id),
                response_message_loading=message.loading,
                response_message_ephemeral=message.ephemeral,
            )
            resource["message"] = message.payload
        return json_response({"interaction": interaction, "resource": resource})

    async def _answer(
        self, handle: InteractionHandle, kind: int, data: Json, files: list[Any]
    ) -> StoredMessage | None:
        flags = int(data.get("flags") or 0)
        if kind == 4:
            handle.original = self._interaction_message(handle, data, files, flags=flags)
            await self.hub.message_event("MESSAGE_CREATE", handle.original)
        elif kind == 5:
            # The "thinking..." placeholder; edits and the first follow-up fill it in.
            handle.original = self._interaction_message(
                handle, {}, [], flags=(flags & ~FLAG_LOADING) | FLAG_LOADING
            )
            await self.hub.message_event("MESSAGE_CREATE", handle.original)
        elif kind in (6, 7):
            handle.original = handle.source_message
            if kind == 7 and handle.original is not None:
                self.state.edit_message(handle.original, data, files)
                await self.hub.message_event("MESSAGE_UPDATE", handle.original)
        return handle.original if kind in (4, 5, 7) else None

    def _interaction_message(
        self, handle: InteractionHandle, body: Json, files: list[Any], *, flags: int
    ) -> StoredMessage:
        app_id = str(self.state.application_id)
        metadata: Json = {
            "id": str(handle.id),
            "type": handle.type,
            "user": self.state.users[handle.user_id],
            "authorizing_integration_owners": handle.payload["authorizing_integration_owners"],
        }
        if handle.source_message is not None:
            metadata["interacted_message_id"] = str(handle.source_message.id)
        extra: Json = {"webhook_id": app_id, "application_id": app_id}
        if handle.type == 2 and handle.original is None:
            extra["type"] = CHAT_INPUT_COMMAND_MESSAGE
        return self.state.bot_message(
            handle.channel_id,
            body,
            files,
            flags=flags,
            interaction_metadata=metadata,
            **extra,
        )

    # executing webhooks -----------------------------------------------------------------

    async def execute(self, request: web.Request) -> web.Response:
        body = body_of(request)
        files = record_of(request).files
        check_message_body(body, has_files=bool(files))
        if self._is_application(request):
            stored = await self._followup(request.match_info["webhook_token"], body, files)
        else:
            stored = await self._channel_post(request, body, files)
        if _truthy(request.query.get("wait")):
            return json_response(stored.payload)
        return no_content()

    async def _followup(self, token: str, body: Json, files: list[Any]) -> StoredMessage:
        handle = self._handle_by_token(token)
        if not handle.acknowledged:
            raise unknown("Webhook", UNKNOWN_WEBHOOK)  # follow-ups need an initial response
        original = handle.original
        if original is not None and original.loading:
            # After a deferral the first follow-up replaces the placeholder, keeping its
            # ephemerality, as Discord does.
            self.state.edit_message(original, body, files)
            handle.followups.append(original)
            await self.hub.message_event("MESSAGE_UPDATE", original)
            return original
        flags = int(body.get("flags") or 0) & ~FLAG_LOADING
        stored = self._interaction_message(handle, body, files, flags=flags)
        handle.followups.append(stored)
        await self.hub.message_event("MESSAGE_CREATE", stored)
        return stored

    async def _channel_post(
        self, request: web.Request, body: Json, files: list[Any]
    ) -> StoredMessage:
        webhook = self._webhook(request, with_token=True)
        username = body.get("username")
        if username is not None:
            username = check_webhook_username(username, ["username"])
        channel_id = int(webhook["channel_id"])
        channel = self.state.channel(channel_id)
        target, message_id = channel_id, None
        if request.query.get("thread_id"):
            thread = self.state.channel(int(request.query["thread_id"]))
            if thread["type"] not in THREAD_TYPES or thread["parent_id"] != str(channel_id):
                raise RestError(400, INVALID_FORM_BODY, "Invalid thread_id for this webhook")
            target = int(thread["id"])
        elif channel["type"] == CHANNEL_FORUM:
            if not body.get("thread_name"):
                raise RestError(
                    400,
                    FORUM_NEEDS_THREAD,
                    "Webhooks posted to forum channels must have a thread_name or thread_id",
                )
            thread = self.state.create_thread(
                channel_id,
                int(webhook["id"]),
                {"name": body["thread_name"], "applied_tags": body.get("applied_tags")},
            )
            await self.hub.channel_event("THREAD_CREATE", thread, newly_created=True)
            target = message_id = int(thread["id"])
        author = {
            "id": webhook["id"],
            "username": username or webhook["name"],
            "global_name": None,
            "discriminator": "0000",
            "avatar": None,
            "bot": True,
            "public_flags": 0,
        }
        stored = self.state.bot_message(
            target,
            body,
            files,
            author=author,
            message_id=message_id,
            webhook_id=webhook["id"],
            application_id=str(self.state.application_id),
        )
        await self.hub.message_event("MESSAGE_CREATE", stored)
        return stored

    # webhook messages -------------------------------------------------------------------

    def _webhook_message(self, request: web.Request) -> StoredMessage:
        raw = request.match_info["message_id"]
        if self._is_application(request):
            handle = self._handle_by_token(request.match_info["webhook_token"])
            if raw == "@original":
                found = handle.original
            else:
                found = next((m for m in handle.messages if str(m.id) == raw), None)
        else:
            webhook = self._webhook(request, with_token=True)
            found = self.state.messages.get(int(raw)) if raw.isdigit() else None
            if found is not None and str(found.webhook_id) != webhook["id"]:
                found = None
        if found is None or found.deleted:
            raise unknown("Message", UNKNOWN_MESSAGE)
        return found

    async def get_message(self, request: web.Request) -> web.Response:
        return json_response(self._webhook_message(request).payload)

    async def edit_message(self, request: web.Request) -> web.Response:
        stored = self._webhook_message(request)
        body = body_of(request)
        check_message_body(body, creating=False)
        self.state.edit_message(stored, body, record_of(request).files)
        await self.hub.message_event("MESSAGE_UPDATE", stored)
        return json_response(stored.payload)

    async def delete_message(self, request: web.Request) -> web.Response:
        stored = self._webhook_message(request)
        self.state.delete_message(stored)
        await self.hub.message_event("MESSAGE_DELETE", stored)
        return no_content()

    # webhooks themselves ----------------------------------------------------------------

    async def get_webhook(self, request: web.Request) -> web.Response:
        return json_response(self._webhook(request, with_token=False))

    async def get_webhook_with_token(self, request: web.Request) -> web.Response:
        webhook = self._webhook(request, with_token=True)
        return json_response({k: v for k, v in webhook.items() if k != "user"})

    async def delete_webhook(self, request: web.Request) -> web.Response:
        webhook = self._webhook(request, with_token="webhook_token" in request.match_info)
        del self.state.webhooks[int(webhook["id"])]
        self.state.feed.notify()
        return no_content()
