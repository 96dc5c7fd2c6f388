"""Pseudonymous posts: a member's ``say`` appears in the campaign's thread under their
pseudonym, through one webhook per parent channel (a webhook can post into any thread of its
channel). The webhook is created once and remembered per guild, so it survives restarts.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re

import discord

from .refs import WEBHOOK, Refs
from .text import MAX_CONTENT, clip, member_line, one_line

logger = logging.getLogger(__name__)

WEBHOOK_NAME = "Dynamo discussion"
MAX_USERNAME = 80
# Discord refuses webhook usernames containing these words, and these exact names.
_FORBIDDEN = re.compile(r"discord|clyde", re.IGNORECASE)
_RESERVED = {"everyone", "here"}
# Discord's own default avatars: a deterministic picture per pseudonym that no third party
# has to serve (a third-party avatar service would learn every pseudonym that speaks).
_AVATARS = "https://cdn.discordapp.com/embed/avatars/{index}.png"
_AVATAR_COUNT = 6


def _acceptable(name: str) -> bool:
    return (
        1 <= len(name) <= MAX_USERNAME
        and not _FORBIDDEN.search(name)
        and (name.lower() not in _RESERVED)
    )


def webhook_username(author: str, pseudonym: str) -> str:
    """The name shown above a post: the author as they appear (pseudonym, and the name they
    chose to show), or the bare pseudonym, made acceptable to Discord if need be."""
    for candidate in (one_line(author, 10 * MAX_USERNAME), one_line(pseudonym, MAX_USERNAME)):
        if _acceptable(candidate):  # a shown name too long is left out, not cut in half
            return candidate
    defused = _FORBIDDEN.sub(lambda m: f"{m.group(0)[:3]}-{m.group(0)[3:]}", pseudonym)
    defused = one_line(defused, MAX_USERNAME)
    return defused if _acceptable(defused) else "member"


def avatar_url(pseudonym: str) -> str:
    digest = hashlib.sha256(pseudonym.encode("utf-8")).digest()
    return _AVATARS.format(index=digest[0] % _AVATAR_COUNT)


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
    ) -> None:
        username = webhook_username(author, pseudonym)
        for attempt in range(2):
            hook = await self._webhook(space, parent, fresh=attempt > 0)
            try:
                await hook.send(
                    clip(member_line(text), MAX_CONTENT),
                    username=username,
                    avatar_url=avatar_url(pseudonym),
                    thread=discord.Object(thread_id),
                    allowed_mentions=discord.AllowedMentions.none(),
                    wait=True,
                )
                return
            except discord.NotFound:
                # Someone deleted the webhook: forget it and make a new one, once.
                logger.warning("the discussion webhook of a channel is gone; recreating it")
                self._hooks.pop(parent.id, None)
                await self.refs.delete(space, WEBHOOK, parent.id)
                if attempt:
                    raise

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
                hook = await parent.create_webhook(name=WEBHOOK_NAME, reason="Dynamo discussion")
                assert hook.token is not None
                await self.refs.put(space, WEBHOOK, parent.id, f"{hook.id}:{hook.token}")
            self._hooks[parent.id] = hook
            return hook
