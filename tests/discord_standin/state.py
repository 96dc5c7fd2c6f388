"""Everything the fake Discord knows: users, guilds, channels, messages, webhooks, commands,
interactions. REST handlers and dispatch helpers change it only through these methods, so the
rules (ids, counters, what a message looks like) live in one place.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .app_commands import CHAT_INPUT, validate_overwrite
from .errors import (
    INVALID_FORM_BODY,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    TAG_REQUIRED,
    UNKNOWN_CHANNEL,
    UNKNOWN_MESSAGE,
    UNKNOWN_USER,
    RestError,
    unknown,
)
from .payloads import (
    dm_channel_payload,
    field_errors,
    forum_tag_payload,
    guild_channel_payload,
    member_payload,
    message_payload,
    rich_embeds,
    role_payload,
    thread_payload,
    user_payload,
    with_component_ids,
)
from .records import ChangeFeed, InteractionHandle, RecordedRequest, StoredMessage, UploadedFile
from .snowflakes import SnowflakeFactory, iso_now
from .specs import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    CHANNEL_DM,
    CHANNEL_FLAG_REQUIRE_TAG,
    CHANNEL_FORUM,
    CHANNEL_PUBLIC_THREAD,
    CHANNEL_TEXT,
    EVERYONE_PERMISSIONS,
    FLAG_EPHEMERAL,
    FLAG_HAS_THREAD,
    FLAG_LOADING,
    OVERWRITE_MEMBER,
    OVERWRITE_ROLE,
    THREAD_TYPES,
    VIEW_CHANNEL,
    GuildSpec,
)

Json = dict[str, Any]


@dataclass
class GuildState:
    """A guild with its ids, so tests can say ``guild.channel_id("general")``."""

    id: int
    name: str
    locale: str
    owner_id: int
    joined_at: str
    roles: dict[int, Json] = field(default_factory=dict)
    channel_ids: dict[str, int] = field(default_factory=dict)
    text_channel_ids: list[int] = field(default_factory=list)
    members: dict[int, Json] = field(default_factory=dict)  # user id -> member with "user"

    @property
    def everyone_role_id(self) -> int:
        return self.id  # Discord gives @everyone the guild's own id

    @property
    def default_channel_id(self) -> int:
        return self.text_channel_ids[0]

    def role_id(self, name: str) -> int:
        for role_id, role in self.roles.items():
            if role["name"] == name:
                return role_id
        raise KeyError(f"guild {self.name!r} has no role {name!r}")

    def channel_id(self, name: str) -> int:
        try:
            return self.channel_ids[name]
        except KeyError:
            raise KeyError(f"guild {self.name!r} has no channel {name!r}") from None

    @property
    def bot_role_id(self) -> int:
        """The role Discord made for the bot when it was invited (managed, named after it)."""
        for role_id, role in self.roles.items():
            if role.get("managed") and (role.get("tags") or {}).get("bot_id"):
                return role_id
        raise KeyError(f"guild {self.name!r} has no role of the bot's")


class DiscordState:
    def __init__(
        self, specs: Sequence[GuildSpec], *, bot_name: str, token: str, feed: ChangeFeed
    ) -> None:
        self.ids = SnowflakeFactory()
        self.feed = feed
        self.token = token
        self.http_base = ""  # set once the server listens; attachment URLs point at it
        # New applications share the bot user's id, as on Discord.
        self.application_id = self.ids.next()
        self.bot_user = user_payload(self.application_id, bot_name, bot=True)
        self.owner = user_payload(self.ids.next(), "guild_owner")
        self.users: dict[int, Json] = {self.application_id: self.bot_user}
        self.users[int(self.owner["id"])] = self.owner
        self.guilds: dict[int, GuildState] = {}
        self.channels: dict[int, Json] = {}
        self.channel_messages: dict[int, list[StoredMessage]] = {}
        self.messages: dict[int, StoredMessage] = {}
        self.dm_channels: dict[int, int] = {}  # user id -> DM channel id
        self.dms_closed: set[int] = set()
        self.thread_members: dict[int, set[int]] = {}
        self.webhooks: dict[int, Json] = {}
        self.commands: dict[int | None, list[Json]] = {None: []}
        self._command_ids: dict[tuple[int | None, int, str], int] = {}
        self.interactions: dict[int, InteractionHandle] = {}
        self.requests: list[RecordedRequest] = []
        self.attachments: dict[int, UploadedFile] = {}
        for spec in specs:
            self._add_guild(spec)

    # users and guilds -------------------------------------------------------------------

    def make_user(self, name: str, *, bot: bool = False) -> Json:
        user = user_payload(self.ids.next(), name, bot=bot)
        self.users[int(user["id"])] = user
        return user

    def user(self, user_id: int) -> Json:
        try:
            return self.users[user_id]
        except KeyError:
            raise unknown("User", UNKNOWN_USER) from None

    def _add_guild(self, spec: GuildSpec) -> None:
        now = iso_now()
        guild = GuildState(
            id=self.ids.next(),
            name=spec.name,
            locale=spec.locale,
            owner_id=int(self.owner["id"]),
            joined_at=now,
        )
        guild.roles[guild.id] = role_payload(guild.id, "@everyone", EVERYONE_PERMISSIONS, 0)
        bot_role = self.ids.next()
        # Discord creates a managed role for a bot invited with permissions.
        guild.roles[bot_role] = role_payload(
            bot_role,
            self.bot_user["username"],
            ADMINISTRATOR,
            len(spec.roles) + 1,
            managed=True,
            tags={"bot_id": self.bot_user["id"]},
        )
        for position, role in enumerate(spec.role_specs(), start=1):
            role_id = self.ids.next()
            guild.roles[role_id] = role_payload(role_id, role.name, role.permissions, position)
        kinds = [(n, CHANNEL_TEXT) for n in spec.text_channels]
        kinds += [(n, CHANNEL_FORUM) for n in spec.forum_channels]
        for position, (name, kind) in enumerate(kinds):
            if name in guild.channel_ids:
                raise ValueError(f"channel name {name!r} used twice in guild {spec.name!r}")
            channel_id = self.ids.next()
            self.channels[channel_id] = guild_channel_payload(
                channel_id, guild.id, name, kind, position
            )
            guild.channel_ids[name] = channel_id
            if kind == CHANNEL_TEXT:
                guild.text_channel_ids.append(channel_id)
        if not guild.text_channel_ids:
            raise ValueError(f"guild {spec.name!r} needs at least one text channel")
        self.guilds[guild.id] = guild
        self.join(guild.id, self.bot_user, [bot_role])
        self.join(guild.id, self.owner)

    def join(self, guild_id: int, user: Json, role_ids: Iterable[int] = ()) -> Json:
        guild = self.guilds[guild_id]
        self.users.setdefault(int(user["id"]), user)
        member = member_payload(user, role_ids, iso_now())
        guild.members[int(user["id"])] = member
        return member

    def ensure_member(self, guild: GuildState, user: Json) -> Json:
        """The member for an acting user; someone who can act in a guild is in it."""
        member = guild.members.get(int(user["id"]))
        return member if member is not None else self.join(guild.id, user)

    def permissions(self, guild: GuildState, user_id: int) -> int:
        member = guild.members.get(user_id)
        role_ids = [guild.id, *(int(r) for r in (member or {}).get("roles", []))]
        value = 0
        for role_id in role_ids:
            role = guild.roles.get(role_id)
            if role is not None:
                value |= int(role["permissions"])
        return ALL_PERMISSIONS if value & ADMINISTRATOR else value

    def channel_permissions(self, channel: Json, user_id: int) -> int:
        """What ``user_id`` may do in a guild channel (in a thread: in its parent), as Discord
        documents it ("Permissions" → "Permission Overwrites"): the guild's owner and an
        Administrator may do everything; otherwise the roles' permissions, then the
        channel's @everyone overwrite, then its role overwrites together, then the
        member's own. Without View Channel nothing else counts."""
        if channel["type"] in THREAD_TYPES:
            channel = self.channel(int(channel["parent_id"]))
        guild = self.guild_of(channel)
        if guild is None:
            return ALL_PERMISSIONS
        if user_id == guild.owner_id:
            return ALL_PERMISSIONS
        value = self.permissions(guild, user_id)
        if value & ADMINISTRATOR:
            return ALL_PERMISSIONS
        overwrites = {int(o["id"]): o for o in channel.get("permission_overwrites") or []}
        everyone = overwrites.get(guild.everyone_role_id)
        if everyone is not None:
            value = (value & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        member = guild.members.get(user_id) or {}
        for role_id in member.get("roles", []):
            role = overwrites.get(int(role_id))
            if role is not None:
                allow |= int(role["allow"])
                deny |= int(role["deny"])
        value = (value & ~deny) | allow
        own = overwrites.get(user_id)
        if own is not None:
            value = (value & ~int(own["deny"])) | int(own["allow"])
        return value if value & VIEW_CHANNEL else 0

    def require_bot_permissions(self, channel: Json, needed: int) -> None:
        """Refuse as Discord does what the bot may not do in a guild channel: 403 with
        50001 "Missing Access" when the channel is hidden from it, 403 with 50013 ("You
        lack permissions to perform that action") when it sees the channel but lacks
        ``needed``."""
        if self.guild_of(channel) is None:
            return
        value = self.channel_permissions(channel, self.application_id)
        if not value & VIEW_CHANNEL:
            raise RestError(403, MISSING_ACCESS, "Missing Access")
        if value & needed != needed:
            raise RestError(403, MISSING_PERMISSIONS, "Missing Permissions")

    def set_role_permissions(self, guild_id: int, role_id: int, permissions: int) -> Json:
        role = self.guilds[guild_id].roles[role_id]
        role["permissions"] = str(permissions)
        self.feed.notify()
        return role

    def set_overwrite(self, channel_id: int, target_id: int, *, allow: int, deny: int) -> Json:
        """Set the channel's permission overwrite for a role or a member (``target_id``);
        with nothing allowed or denied, remove it (as Discord's channel settings do)."""
        channel = self.channel(channel_id)
        guild = self.guild_of(channel)
        if guild is None or channel["type"] in THREAD_TYPES:
            raise ValueError("permission overwrites belong to a guild's channels")
        kind = OVERWRITE_ROLE if target_id in guild.roles else OVERWRITE_MEMBER
        kept = [o for o in channel["permission_overwrites"] if int(o["id"]) != target_id]
        if allow or deny:
            overwrite = {"id": str(target_id), "type": kind, "allow": str(allow), "deny": str(deny)}
            kept.append(overwrite)
        channel["permission_overwrites"] = kept
        self.feed.notify()
        return channel

    def edit_forum(
        self, channel_id: int, *, tags: Sequence[str] | None, require_tag: bool | None
    ) -> Json:
        """A forum's tags (by name: a name kept keeps its id, as when an admin edits the
        list) and its REQUIRE_TAG flag."""
        channel = self.channel(channel_id)
        if channel["type"] != CHANNEL_FORUM:
            raise ValueError("only a forum channel has tags")
        if tags is not None:
            known = {tag["name"]: tag for tag in channel["available_tags"]}
            channel["available_tags"] = [
                known.get(name) or forum_tag_payload(self.ids.next(), name) for name in tags
            ]
        if require_tag is not None:
            flags = int(channel["flags"]) & ~CHANNEL_FLAG_REQUIRE_TAG
            channel["flags"] = flags | (CHANNEL_FLAG_REQUIRE_TAG if require_tag else 0)
        self.feed.notify()
        return channel

    def guild_create(self, guild_id: int) -> Json:
        """The full GUILD_CREATE payload, as sent after READY."""
        guild = self.guilds[guild_id]
        channels = [
            copy.deepcopy(c)
            for c in self.channels.values()
            if c.get("guild_id") == str(guild_id) and c["type"] not in THREAD_TYPES
        ]
        threads = [
            copy.deepcopy(c)
            for c in self.channels.values()
            if c.get("guild_id") == str(guild_id)
            and c["type"] in THREAD_TYPES
            and not c["thread_metadata"]["archived"]
        ]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "roles": [copy.deepcopy(r) for r in guild.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": str(guild.default_channel_id),
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": guild.locale,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": guild.joined_at,
            "large": False,
            "unavailable": False,
            # Equal to len(members): discord.py then sees the guild as chunked and does not
            # ask for members over the gateway before on_ready.
            "member_count": len(guild.members),
            "members": [copy.deepcopy(m) for m in guild.members.values()],
            "channels": channels,
            "threads": threads,
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    # channels ---------------------------------------------------------------------------

    def channel(self, channel_id: int) -> Json:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise unknown("Channel", UNKNOWN_CHANNEL) from None

    def guild_of(self, channel: Json) -> GuildState | None:
        guild_id = channel.get("guild_id")
        return self.guilds.get(int(guild_id)) if guild_id else None

    def open_dm(self, user_id: int) -> Json:
        recipient = self.user(user_id)
        channel_id = self.dm_channels.get(user_id)
        if channel_id is None:
            channel_id = self.ids.next()
            self.channels[channel_id] = dm_channel_payload(channel_id, recipient)
            self.dm_channels[user_id] = channel_id
        return self.channels[channel_id]

    def dm_recipient(self, channel: Json) -> int | None:
        if channel["type"] != CHANNEL_DM:
            return None
        return int(channel["recipients"][0]["id"])

    def create_thread(
        self, parent_id: int, owner_id: int, body: Json, *, thread_id: int | None = None
    ) -> Json:
        parent = self.channel(parent_id)
        if parent["type"] not in (CHANNEL_TEXT, CHANNEL_FORUM):
            raise RestError(400, 50024, "Cannot execute action on this channel type")
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise RestError(
                400,
                INVALID_FORM_BODY,
                "Invalid Form Body",
                field_errors(["name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100."),
            )
        applied_tags: list[str] = []
        if parent["type"] == CHANNEL_FORUM:
            applied_tags = self._forum_post_tags(parent, body.get("applied_tags"))
        if parent["type"] == CHANNEL_FORUM or thread_id is not None:
            thread_type = CHANNEL_PUBLIC_THREAD
        else:
            thread_type = int(body.get("type") or 12)  # private unless asked, as in API v10
        thread_id = thread_id or self.ids.next()
        thread = thread_payload(
            thread_id,
            int(parent["guild_id"]),
            parent_id,
            owner_id,
            name,
            thread_type=thread_type,
            auto_archive_duration=int(
                body.get("auto_archive_duration") or parent["default_auto_archive_duration"]
            ),
            now=iso_now(),
            invitable=bool(body.get("invitable", True)),
            applied_tags=applied_tags,
        )
        self.channels[thread_id] = thread
        self.thread_members[thread_id] = {owner_id}
        self.feed.notify()
        return thread

    @staticmethod
    def _forum_post_tags(forum: Json, asked: Any) -> list[str]:
        """The tags a new forum post gets. Discord documents ``applied_tags`` as "the IDs of
        the set of tags that have been applied to a thread in a GUILD_FORUM channel" and,
        for a forum with the REQUIRE_TAG flag, refuses a post without one: 400, 40067 "A
        tag is required to create a forum post in this channel". It does not document what
        becomes of an id that is not one of the forum's tags; here such an id is left out,
        so it never satisfies REQUIRE_TAG."""
        offered = {str(tag["id"]) for tag in forum.get("available_tags") or []}
        applied = [str(tag) for tag in asked or [] if str(tag) in offered]
        if not applied and int(forum.get("flags") or 0) & CHANNEL_FLAG_REQUIRE_TAG:
            raise RestError(
                400, TAG_REQUIRED, "A tag is required to create a forum post in this channel"
            )
        return applied

    def threads_in(self, parent_id: int) -> list[Json]:
        return [
            c
            for c in self.channels.values()
            if c["type"] in THREAD_TYPES and c["parent_id"] == str(parent_id)
        ]

    # messages ---------------------------------------------------------------------------

    def message(self, channel_id: int, message_id: int) -> StoredMessage:
        stored = self.messages.get(message_id)
        if stored is None or stored.deleted or stored.channel_id != channel_id:
            raise unknown("Message", UNKNOWN_MESSAGE)
        return stored

    def add_message(
        self,
        payload: Json,
        *,
        request: Json | None = None,
        files: Sequence[UploadedFile] = (),
    ) -> StoredMessage:
        channel = self.channel(int(payload["channel_id"]))
        guild = self.guild_of(channel)
        stored = StoredMessage(
            payload, request, files=list(files), guild_id=guild.id if guild else None
        )
        self.messages[stored.id] = stored
        self.channel_messages.setdefault(stored.channel_id, []).append(stored)
        if not stored.ephemeral:
            channel["last_message_id"] = payload["id"]
            if channel["type"] in THREAD_TYPES:
                channel["message_count"] += 1
                channel["total_message_sent"] += 1
        self.feed.notify()
        return stored

    def attachments_for(
        self, channel_id: int, body: Json, files: Sequence[UploadedFile]
    ) -> list[Json]:
        """Attachment objects for uploaded files, served back by the stand-in's own URL."""
        described = {str(a.get("id")): a for a in body.get("attachments") or []}
        result = []
        for index, upload in enumerate(files):
            attachment_id = self.ids.next()
            self.attachments[attachment_id] = upload
            url = f"{self.http_base}/attachments/{channel_id}/{attachment_id}/{upload.filename}"
            result.append(
                {
                    "id": str(attachment_id),
                    "filename": upload.filename,
                    "size": len(upload.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": upload.content_type,
                    "description": described.get(str(index), {}).get("description"),
                }
            )
        return result

    def bot_message(
        self,
        channel_id: int,
        body: Json,
        files: Sequence[UploadedFile] = (),
        *,
        author: Json | None = None,
        flags: int = 0,
        message_id: int | None = None,
        **extra: Any,
    ) -> StoredMessage:
        """A message the bot (or one of its webhooks) posted with a create-message body."""
        payload = message_payload(
            message_id or self.ids.next(),
            channel_id,
            author or self.bot_user,
            body,
            now=iso_now(),
            flags=flags,
            attachments=self.attachments_for(channel_id, body, files),
            **extra,
        )
        return self.add_message(payload, request=copy.deepcopy(body), files=files)

    def edit_message(
        self, stored: StoredMessage, body: Json, files: Sequence[UploadedFile] = ()
    ) -> None:
        """Apply an edit body; filling a deferred placeholder does not mark it edited."""
        payload = stored.payload
        was_loading = stored.loading
        if "content" in body:
            payload["content"] = body["content"] or ""
        if "embeds" in body:
            payload["embeds"] = rich_embeds(body["embeds"] or [])
        if "components" in body:
            payload["components"] = with_component_ids(body["components"] or [])
        if "attachments" in body or files:
            kept_ids = {str(a.get("id")) for a in body.get("attachments") or []}
            kept = [a for a in payload["attachments"] if a["id"] in kept_ids]
            payload["attachments"] = kept + self.attachments_for(stored.channel_id, body, files)
            stored.files.extend(files)
        # Ephemerality is fixed at creation; an edit only settles the loading state.
        new_flags = int(body.get("flags") or 0) & ~(FLAG_EPHEMERAL | FLAG_LOADING)
        payload["flags"] = (stored.flags & FLAG_EPHEMERAL) | new_flags
        if not was_loading:
            payload["edited_timestamp"] = iso_now()
        stored.edits.append(copy.deepcopy(body))
        self.feed.notify()

    def delete_message(self, stored: StoredMessage) -> None:
        stored.deleted = True
        self.feed.notify()

    def start_thread_on(self, stored: StoredMessage, body: Json) -> Json:
        """A thread from a message takes the message's id, as on Discord."""
        if stored.payload.get("thread"):
            raise RestError(400, 160004, "A thread has already been created for this message")
        thread = self.create_thread(
            stored.channel_id, self.application_id, body, thread_id=stored.id
        )
        stored.payload["thread"] = copy.deepcopy(thread)
        stored.payload["flags"] = stored.flags | FLAG_HAS_THREAD
        return thread

    # webhooks ---------------------------------------------------------------------------

    def create_webhook(self, channel_id: int, name: str) -> Json:
        channel = self.channel(channel_id)
        if channel["type"] not in (CHANNEL_TEXT, CHANNEL_FORUM):
            raise RestError(400, 50024, "Cannot execute action on this channel type")
        webhook_id = self.ids.next()
        webhook = {
            "id": str(webhook_id),
            "type": 1,
            "guild_id": channel["guild_id"],
            "channel_id": str(channel_id),
            "name": name,
            "avatar": None,
            "token": secrets.token_urlsafe(48),
            "application_id": str(self.application_id),
            "user": self.bot_user,
        }
        self.webhooks[webhook_id] = webhook
        self.feed.notify()
        return webhook

    # application commands ---------------------------------------------------------------

    def overwrite_commands(self, guild_id: int | None, body: Any) -> list[Json]:
        validate_overwrite(body)
        result = []
        for command in body:
            kind = int(command.get("type", CHAT_INPUT))
            # Discord keeps a command's id across overwrites that keep its name and type.
            key = (guild_id, kind, command["name"])
            command_id = self._command_ids.setdefault(key, self.ids.next())
            record = copy.deepcopy(command)
            record.update(
                id=str(command_id),
                application_id=str(self.application_id),
                version=str(self.ids.next()),
                type=kind,
                description=command.get("description", ""),
                default_member_permissions=command.get("default_member_permissions"),
                nsfw=bool(command.get("nsfw", False)),
            )
            if guild_id is not None:
                record["guild_id"] = str(guild_id)
            result.append(record)
        self.commands[guild_id] = result
        self.feed.notify()
        return copy.deepcopy(result)

    def find_command(self, guild_id: int | None, name: str) -> Json | None:
        scopes = [guild_id, None] if guild_id is not None else [None]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command["type"] == CHAT_INPUT:
                    return command
        return None
