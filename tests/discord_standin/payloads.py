"""Builders for the JSON objects Discord sends: users, guild parts, channels, messages.

Each builder fills every field discord.py 2.7 indexes with ``data[...]`` (a missing one is a
KeyError inside the library, far from the test that caused it), plus the usual optional ones.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from .specs import CHANNEL_DM, CHANNEL_FORUM, CHANNEL_TEXT

Json = dict[str, Any]


def user_payload(user_id: int, username: str, *, bot: bool = False) -> Json:
    return {
        "id": str(user_id),
        "username": username,
        "global_name": None if bot else username,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def role_payload(role_id: int, name: str, permissions: int, position: int, **extra: Any) -> Json:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
        **extra,
    }


def member_payload(user: Json, role_ids: Iterable[int], joined_at: str) -> Json:
    return {
        "user": user,
        "nick": None,
        "avatar": None,
        "roles": [str(r) for r in role_ids],
        "joined_at": joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }


def guild_channel_payload(
    channel_id: int, guild_id: int, name: str, channel_type: int, position: int
) -> Json:
    payload: Json = {
        "id": str(channel_id),
        "type": channel_type,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "parent_id": None,
        "nsfw": False,
        "topic": None,
        "rate_limit_per_user": 0,
        "last_message_id": None,
        "default_auto_archive_duration": 1440,
        "flags": 0,
    }
    if channel_type == CHANNEL_FORUM:
        payload.update(
            available_tags=[],
            default_reaction_emoji=None,
            default_sort_order=None,
            default_forum_layout=0,
            default_thread_rate_limit_per_user=0,
        )
    elif channel_type != CHANNEL_TEXT:
        raise ValueError(f"unsupported guild channel type {channel_type}")
    return payload


def forum_tag_payload(tag_id: int, name: str, *, moderated: bool = False) -> Json:
    """A forum's tag, as in its ``available_tags``."""
    return {
        "id": str(tag_id),
        "name": name,
        "moderated": moderated,
        "emoji_id": None,
        "emoji_name": None,
    }


def thread_payload(
    thread_id: int,
    guild_id: int,
    parent_id: int,
    owner_id: int,
    name: str,
    *,
    thread_type: int,
    auto_archive_duration: int,
    now: str,
    invitable: bool = True,
    applied_tags: Iterable[str] = (),
) -> Json:
    return {
        "id": str(thread_id),
        "type": thread_type,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "flags": 0,
        "applied_tags": list(applied_tags),
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": auto_archive_duration,
            "archive_timestamp": now,
            "locked": False,
            "invitable": invitable,
            "create_timestamp": now,
        },
    }


def dm_channel_payload(channel_id: int, recipient: Json) -> Json:
    return {
        "id": str(channel_id),
        "type": CHANNEL_DM,
        "recipients": [recipient],
        "last_message_id": None,
        "flags": 0,
    }


def with_component_ids(components: list[Json]) -> list[Json]:
    """Copy components, numbering those without an ``id`` depth-first as Discord does."""
    counter = 0
    result = copy.deepcopy(components)

    def visit(items: list[Json]) -> None:
        nonlocal counter
        for item in items:
            counter += 1
            item.setdefault("id", counter)
            if "components" in item:
                visit(item["components"])
            if isinstance(item.get("component"), dict):
                visit([item["component"]])
            if isinstance(item.get("accessory"), dict):
                visit([item["accessory"]])

    visit(result)
    return result


def rich_embeds(embeds: list[Json]) -> list[Json]:
    """Embeds as Discord echoes them back: with their ``type`` filled in."""
    return [{"type": "rich", **copy.deepcopy(e)} for e in embeds]


def message_payload(
    message_id: int,
    channel_id: int,
    author: Json,
    body: Mapping[str, Any],
    *,
    now: str,
    flags: int = 0,
    attachments: list[Json] | None = None,
    **extra: Any,
) -> Json:
    """A message as the REST API returns it, built from a create-message request body."""
    reference = body.get("message_reference")
    return {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "type": 19 if reference else 0,
        "author": author,
        "content": body.get("content") or "",
        "timestamp": now,
        "edited_timestamp": None,
        "tts": bool(body.get("tts", False)),
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": rich_embeds(body.get("embeds") or []),
        "components": with_component_ids(body.get("components") or []),
        "pinned": False,
        "flags": flags,
        **({"message_reference": reference} if reference else {}),
        **extra,
    }


def error_body(code: int, message: str, errors: Json | None = None) -> Json:
    body: Json = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = errors
    return body


def field_errors(path: list[str | int], code: str, message: str) -> Json:
    """Discord's nested ``errors`` object for one bad field of a form body."""
    node: Json = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        node = {str(key): node}
    return node
