"""Pseudonymous posts: a member's ``say`` appears in the campaign's thread under their
pseudonym, through one webhook per parent channel (a webhook can post into any thread of its
channel). The webhook is created once and remembered per guild, so it survives restarts.

The member was told their words show in the channels; so when Discord will not take the
webhook post (a name it refuses, a missing permission, a webhook it no longer knows), the
post is not retried in vain: ``WebhookRefused`` says so at once and the publisher posts the
words as the bot, ``**pseudonym**: words`` (`fallback_post`). Discord's documentation
itself warns that its name rules are "not shared" in full and that every error must be
handled, so the fallback is needed even with names checked here.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging

import discord

from .refs import WEBHOOK, Refs
from .text import MAX_CONTENT, clip, inert, member_line

logger = logging.getLogger(__name__)

WEBHOOK_NAME = "Dynamo discussion"
MAX_USERNAME = 80
# Discord's documented rules for the name a webhook post shows ("Usernames and Nicknames":
# usernames may not contain @, #, :, ``` or "discord" and may not be "everyone" or "here";
# "Create Webhook": webhook names may not contain "clyde" or "discord" and have 1 to 80
# characters; names are trimmed of leading, trailing and repeated whitespace).
_FORBIDDEN_PARTS = ("@", "#", ":", "```", "discord", "clyde")
_FORBIDDEN_NAMES = frozenset({"everyone", "here"})
# Discord's own default avatars: a deterministic picture per pseudonym that no third party
# has to serve (a third-party avatar service would learn every pseudonym that speaks).
_AVATARS = "https://cdn.discordapp.com/embed/avatars/{index}.png"
_AVATAR_COUNT = 6


class WebhookRefused(Exception):
    """Discord will not take this post through a webhook; trying again would not help."""


def acceptable(name: str) -> bool:
    """Whether Discord's documented rules allow ``name`` above a webhook post."""
    lowered = name.lower()
    return (
        1 <= len(name) <= MAX_USERNAME
        and not any(part in lowered for part in _FORBIDDEN_PARTS)
        and lowered not in _FORBIDDEN_NAMES
    )


def webhook_username(author: str, pseudonym: str) -> str | None:
    """The name shown above a post: the author as they appear (pseudonym, and the name they
    chose to show), else the bare pseudonym; None when Discord would take neither. Names are
    shown as typed (Discord renders no markup in them), on one line."""
    for candidate in (author, pseudonym):
        name = " ".join(candidate.split())
        if acceptable(name):  # a shown name too long is left out, not cut in half
            return name
    return None


def avatar_url(pseudonym: str) -> str:
    digest = hashlib.sha256(pseudonym.encode("utf-8")).digest()
    return _AVATARS.format(index=digest[0] % _AVATAR_COUNT)


def fallback_post(pseudonym: str, text: str) -> str:
    """A say posted by the bot itself: the pseudonym in bold, the words inert."""
    return clip(f"**{inert(pseudonym)}**: {member_line(text)}", MAX_CONTENT)


class WebhookPoster:
    def __init__(self, client: discord.Client, refs: Refs) -> None:
        self.client = client
        self.refs = refs
        self._hooks: dict[int, discord.Webhook] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    async def post(
        self,
        space: str,
        parent: discord.TextChannel | discord.ForumChannel,
        thread_id: int,
        *,
        text: str,
        author: str,
        pseudonym: str,
    ) -> int:
        """Post ``text`` in the thread under the author's name; the message's id.
        WebhookRefused when Discord refuses it for good; other errors (Discord down, rate
        limits) are worth a retry."""
        username = webhook_username(author, pseudonym)
        if username is None:
            raise WebhookRefused("no name Discord accepts")
        for attempt in range(2):
            hook = await self._webhook(space, parent, fresh=attempt > 0)
            try:
                sent = await hook.send(
                    clip(member_line(text), MAX_CONTENT),
                    username=username,
                    avatar_url=avatar_url(pseudonym),
                    thread=discord.Object(thread_id),
                    allowed_mentions=discord.AllowedMentions.none(),
                    wait=True,
                )
                return int(sent.id)
            except discord.HTTPException as exc:
                if not _stale(exc):
                    if _for_good(exc):
                        raise WebhookRefused(_why(exc)) from exc
                    raise
                # Someone deleted the webhook (or reset its token): forget it and make a
                # new one, once.
                logger.warning("the discussion webhook of a channel is gone; recreating it")
                self._hooks.pop(parent.id, None)
                await self.refs.delete(space, WEBHOOK, parent.id)
                if attempt:
                    raise WebhookRefused(f"a new webhook failed too: {_why(exc)}") from exc

    async def edit(
        self,
        space: str,
        parent: discord.TextChannel | discord.ForumChannel,
        thread_id: int,
        message_id: int,
        text: str,
    ) -> None:
        """Replace the words of a message the channel's webhook posted (only it may)."""
        hook = await self._webhook(space, parent, fresh=False)
        await hook.edit_message(
            message_id,
            content=clip(member_line(text), MAX_CONTENT),
            thread=discord.Object(thread_id),
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def _webhook(
        self, space: str, parent: discord.TextChannel | discord.ForumChannel, *, fresh: bool
    ) -> discord.Webhook:
        lock = self._locks.setdefault(parent.id, asyncio.Lock())
        async with lock:
            if not fresh and parent.id in self._hooks:
                return self._hooks[parent.id]
            stored = None if fresh else await self.refs.get_raw(space, WEBHOOK, parent.id)
            hook_id, _, token = (stored or "").partition(":")
            if hook_id.isdigit() and token:
                hook = discord.Webhook.partial(int(hook_id), token, client=self.client)
            else:
                try:
                    hook = await parent.create_webhook(
                        name=WEBHOOK_NAME, reason="Dynamo discussion"
                    )
                except discord.HTTPException as exc:
                    # No Manage Webhooks permission, or the channel has all the webhooks
                    # Discord allows: nothing a retry would change.
                    if _for_good(exc):
                        raise WebhookRefused(f"cannot make a webhook: {_why(exc)}") from exc
                    raise
                assert hook.token is not None
                await self.refs.put(space, WEBHOOK, parent.id, f"{hook.id}:{hook.token}")
            self._hooks[parent.id] = hook
            return hook


def _stale(exc: discord.HTTPException) -> bool:
    """The remembered webhook is gone (404) or its token no longer works (401)."""
    return isinstance(exc, discord.NotFound) or exc.status == 401


def _for_good(exc: discord.HTTPException) -> bool:
    """A refusal a retry would meet again: the request itself (400: the name, the body, the
    channel's webhook limit) or the permissions (403, Missing Permissions)."""
    return exc.status in (400, 403)


def _why(exc: discord.HTTPException) -> str:
    # Discord's own words on what it refused; never the name or the text.
    return f"{exc.status} (code {exc.code})"
