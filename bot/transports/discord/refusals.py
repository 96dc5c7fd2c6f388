"""Discord's refusals, and what each one means for a delivery.

Discord answers a request it will not carry out with an HTTP status and a JSON error code
(https://discord.com/developers/docs/topics/opcodes-and-status-codes#json). Trying again
after a refusal that will not change only counts against the bot: Discord restricts, for a
while, an IP address that makes too many invalid requests (10,000 answers of 401, 403 or 429
in 10 minutes, "Invalid Request Limit" in its rate-limit documentation). So:

- a DM Discord refuses for good ends at once: `dm_refusal` gives the reason, the transport
  raises ``bot.outbox.Refused`` with it, and the outbox falls back to the member's email or
  digest;
- a configured channel the bot cannot use as it is (deleted, hidden from the bot, a missing
  permission, a forum that requires a tag) is something a server admin can fix: it becomes
  `MisconfiguredChannel`, the staff are told once (`staff_notice`), and what was to be
  posted there waits (``bot.outbox.SpaceDown``, not counted as a failure) until it is fixed;
- anything else (Discord down, a rate limit, a timeout) is an ordinary failure, retried with
  backoff.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import discord

from commands.framework.formatting import quote

from .settings import DiscordGuildSettings

# Discord's JSON error codes, with the meaning its documentation gives them.
UNKNOWN_CHANNEL = 10003  # "Unknown channel": deleted, or never a channel
UNKNOWN_USER = 10013  # "Unknown user": the account no longer exists
TAG_REQUIRED = 40067  # "A tag is required to create a forum post in this channel"
MISSING_ACCESS = 50001  # "Missing access": the channel is hidden from the bot
# "Cannot send messages to this user": the member closed their DMs to the bot (Privacy
# Settings → Direct Messages), blocked it, or no longer shares a server with it.
CANNOT_DM_USER = 50007
MISSING_PERMISSIONS = 50013  # "You lack permissions to perform that action"

# What a member reads (in the note the outbox leaves them) when their DMs are refused.
_DM_REFUSALS = {
    CANNOT_DM_USER: "your Discord DMs are closed to the bot",
    UNKNOWN_USER: "Discord no longer knows your account",
}

ANNOUNCE = "announce_channel_id"
CAMPAIGN_PARENT = "campaign_parent_channel_id"

# What is wrong with a configured channel.
PERMISSIONS = "permissions"  # hidden from the bot, or a permission missing (50001, 50013)
MISSING = "missing"  # the channel no longer exists (10003)
KIND = "kind"  # not the kind of channel the setting needs
TAGS = "tags"  # a forum that requires a tag the bot cannot give (40067)

_DESCRIPTIONS = {
    PERMISSIONS: "the bot may not use it",
    MISSING: "no such channel",
    KIND: "not a text or forum channel",
    TAGS: "the forum requires a tag",
}


def dm_refusal(exc: discord.HTTPException) -> str | None:
    """Why Discord will never take this DM, for the member to read; None when trying
    again later may work."""
    return _DM_REFUSALS.get(exc.code)


class MisconfiguredChannel(Exception):
    """A configured channel the bot cannot use as it is; a server admin can fix it, so what
    was to be posted there waits (it is not a failure)."""

    def __init__(self, setting: str, channel_id: int, problem: str, answer: str = "") -> None:
        self.setting = setting  # ANNOUNCE or CAMPAIGN_PARENT
        self.channel_id = channel_id
        self.problem = problem  # PERMISSIONS, MISSING, KIND or TAGS
        self.answer = answer  # what Discord answered ("50013 Missing Permissions"), if it did
        said = f" (Discord: {answer})" if answer else ""
        super().__init__(f"{setting} {channel_id}: {_DESCRIPTIONS[problem]}{said}")


def _answer(exc: discord.HTTPException) -> str:
    return f"{exc.code} {exc.text}".strip()


def channel_problem(exc: discord.HTTPException, *, configured: bool) -> str | None:
    """What Discord's refusal says is wrong with a channel an admin looks after; None for
    anything else. ``configured``: the channel itself is the configured one (not one of
    the campaign threads under it, which are gone for other reasons than a setting)."""
    if exc.code in (MISSING_ACCESS, MISSING_PERMISSIONS):
        return PERMISSIONS
    if exc.code == TAG_REQUIRED:
        return TAGS
    if exc.code == UNKNOWN_CHANNEL and configured:
        return MISSING
    return None


@contextmanager
def in_channel(setting: str, channel_id: int, *, configured: bool = True) -> Iterator[None]:
    """Requests in a configured channel (or, ``configured=False``, in a thread under it):
    a refusal only a server admin can lift becomes `MisconfiguredChannel`."""
    try:
        yield
    except discord.HTTPException as exc:
        problem = channel_problem(exc, configured=configured)
        if problem is None:
            raise
        raise MisconfiguredChannel(setting, channel_id, problem, _answer(exc)) from exc


def campaign_tags(
    forum: discord.ForumChannel, tag_id: int | None
) -> tuple[list[discord.ForumTag], bool]:
    """The tags a campaign's post in ``forum`` gets, and whether ``tag_id`` (the configured
    ``campaign_tag_id``) was looked for and is not one of the forum's tags.

    The configured tag when it is set; else, where the forum requires a tag, its first one
    anyone may apply (a "moderated" tag needs Manage Threads), or its very first. A forum
    that requires nothing gets no tag it was not asked for."""
    if tag_id is not None:
        tag = forum.get_tag(tag_id)
        return ([tag], False) if tag is not None else ([], True)
    if not forum.flags.require_tag:
        return [], False
    offered = list(forum.available_tags)
    free = [tag for tag in offered if not tag.moderated]
    return (free or offered)[:1], False


def _names(tags: Sequence[discord.ForumTag]) -> str:
    return ", ".join(f"{quote(tag.name)} ({tag.id})" for tag in tags) or "none"


def staff_notice(
    trouble: MisconfiguredChannel,
    settings: DiscordGuildSettings,
    guild: discord.Guild | None,
) -> tuple[str, str]:
    """The key the staff are told under (once per server, channel and problem) and what
    they are told: which server and channel, what Discord said, and what to do."""
    key = f"discord:{settings.id}:{trouble.channel_id}:{trouble.problem}"
    server = f"the Discord server {settings.id}"
    channel = None
    if guild is not None:
        server = f"the Discord server “{quote(guild.name)}” ({settings.id})"
        channel = guild.get_channel(trouble.channel_id)
    where = f"the channel {trouble.channel_id}"
    if channel is not None:
        where = f"#{quote(channel.name)}"
    said = f" (Discord answered {trouble.answer})" if trouble.answer else ""
    waits = "What the bot has to post there waits, and goes out once that is done."
    table = f"{trouble.setting} in that server's [[discord.guilds]] table"

    if trouble.problem == TAGS:
        forum = channel if isinstance(channel, discord.ForumChannel) else None
        tags = list(forum.available_tags) if forum is not None else []
        fix_forum = 'or turn off the forum\'s "Require people to select tags when posting" setting'
        if settings.campaign_tag_id is not None and (
            forum is None or forum.get_tag(settings.campaign_tag_id) is None
        ):
            return key, (
                f"In {server}, the forum {where} requires a tag on every post, and "
                f"campaign_tag_id {settings.campaign_tag_id} is not one of its tags (it has: "
                f"{_names(tags)}){said}. Set campaign_tag_id in that server's "
                f"[[discord.guilds]] table to one of them, or remove it to use the forum's "
                f"first tag, and restart the bot; {fix_forum}. The campaign posts wait until "
                f"then."
            )
        has = "has none" if not tags else f"refused the tag the bot gave (it has: {_names(tags)})"
        return key, (
            f"In {server}, the forum {where} requires a tag on every post and {has}{said}. "
            f"Add a tag to the forum, {fix_forum}. The campaign posts wait, and go out by "
            f"themselves once that is done."
        )
    if trouble.problem == MISSING:
        return key, (
            f"In {server}, the channel {trouble.channel_id} set as {trouble.setting} no "
            f"longer exists{said}. Set {table} to a channel that exists and restart the bot. "
            f"What the bot has to post there waits until then."
        )
    if trouble.problem == KIND:
        return key, (
            f"In {server}, {where} set as {trouble.setting} is not a text or forum channel. "
            f"Set {table} to one and restart the bot. What the bot has to post there waits "
            f"until then."
        )
    if trouble.setting == ANNOUNCE:
        doing, needed = "post in", "View Channel, Send Messages and Embed Links"
    elif isinstance(channel, discord.ForumChannel):
        doing = "make posts in"
        needed = "View Channel, Send Messages, Send Messages in Threads and Embed Links"
    else:
        doing = "make campaign threads in"
        needed = "View Channel, Create Public Threads, Send Messages in Threads and Embed Links"
    return key, (
        f"In {server}, Discord does not let the bot {doing} {where}, set as "
        f"{trouble.setting}{said}. Give the bot's role {needed} there (Server Settings → "
        f"Roles, or the channel's Edit Channel → Permissions). {waits}"
    )
