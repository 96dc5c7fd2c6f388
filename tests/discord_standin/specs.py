"""What a test declares about the fake Discord: guilds, their channels and roles.

Also the permission and intent bits the stand-in needs; they are written out here rather than
taken from discord.py so the stand-in describes Discord, not the library under test.
"""

from __future__ import annotations

from dataclasses import dataclass

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 51) - 1

EVERYONE_PERMISSIONS = (
    ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
# What Discord reports as app_permissions for an interaction in a DM.
DM_APP_PERMISSIONS = ATTACH_FILES | EMBED_LINKS | MENTION_EVERYONE | USE_EXTERNAL_EMOJIS

# Gateway intent bits (https://discord.com/developers/docs/events/gateway#gateway-intents).
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

# Channel types.
CHANNEL_TEXT = 0
CHANNEL_DM = 1
CHANNEL_PUBLIC_THREAD = 11
CHANNEL_PRIVATE_THREAD = 12
CHANNEL_FORUM = 15
THREAD_TYPES = (CHANNEL_PUBLIC_THREAD, CHANNEL_PRIVATE_THREAD)

# Channel flags (https://discord.com/developers/docs/resources/channel#channel-object-channel-flags):
# REQUIRE_TAG, "whether a tag is required to be specified when creating a thread in a
# GUILD_FORUM or a GUILD_MEDIA channel".
CHANNEL_FLAG_REQUIRE_TAG = 1 << 4

# Permission overwrite types.
OVERWRITE_ROLE = 0
OVERWRITE_MEMBER = 1

# Message flags.
FLAG_HAS_THREAD = 1 << 5
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7


@dataclass(frozen=True)
class RoleSpec:
    """A guild role; ``permissions`` is a Discord permission bit set."""

    name: str
    permissions: int = 0


@dataclass(frozen=True)
class GuildSpec:
    """One guild the bot is in when it connects.

    Channel names must be unique within the guild: tests look channels up by name.
    """

    name: str = "Dynamo Workers"
    text_channels: tuple[str, ...] = ("general", "announcements")
    forum_channels: tuple[str, ...] = ("campaigns",)
    roles: tuple[str | RoleSpec, ...] = ("moderator",)
    locale: str = "en-US"

    def role_specs(self) -> list[RoleSpec]:
        return [r if isinstance(r, RoleSpec) else RoleSpec(r) for r in self.roles]
