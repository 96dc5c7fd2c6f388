"""The IRC transport: the bot in the channels workers already use.

Every member action happens by private message, without a prefix (``register ...``,
``upvote 12``). In a channel only the read-only commands (``!ideas``, ``!idea 12``,
``!campaigns``, ``!campaign 3``, ``!signers 3``, ``!help``) are answered; a command that
would tie a nick to a pseudonym is not acted on and the person gets a private hint.
Announcements come from the outbox and name pseudonyms only. Long replies are paged: five
lines, then ``more``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import Mapping
from typing import Any

from bot.app import App
from bot.config import ConfigError
from bot.outbox import NotReachable
from bot.transports.irc.connection import IncomingMessage, IrcConnection
from bot.transports.irc.early import EarlyConnection
from bot.transports.irc.settings import IrcNetworkSettings
from bot.transports.irc.text import irc_lower, paginate, split_message
from commands.audience import active_campaigns, follower_identities
from commands.context import IdentityRef
from commands.formatting import OPEN, one_line_quotes, spans

logger = logging.getLogger(__name__)

PAGE_LINES = 5
LINE_BYTES = 400
# How long one announcement may wait in the paced send queue before the outbox retries it.
SEND_PATIENCE = 600.0
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def to_irc(text: str) -> str:
    """Markdown-ish bold (our replies' only markup) as IRC bold; what members wrote is shown
    as it is (see commands.formatting)."""
    if OPEN not in text:
        return _BOLD.sub("\x02\\1\x02", text) if "**" in text else text
    return "".join(
        piece if theirs else _BOLD.sub("\x02\\1\x02", piece) for piece, theirs in spans(text)
    )


class IrcTransport:
    platform = "irc"

    def __init__(
        self,
        app: App,
        settings: IrcNetworkSettings,
        *,
        environ: Mapping[str, str] = os.environ,
        reconnect_base_delay: float = 2.0,
        join_timeout: float = 30.0,
        early: EarlyConnection | None = None,
    ) -> None:
        problem = settings.startup_problem(environ)
        if problem:
            raise ConfigError(problem)
        self.app = app
        self.settings = settings
        self.space = f"irc:{settings.name}"
        self.spaces = (self.space,)
        self.key_prefix = f"{self.space}:"
        self._early = early
        if early is not None:
            # Connected while the rest of the bot was loading (see bot/transports/irc/early.py).
            self.conn = early.conn
        else:
            self.conn = IrcConnection(
                settings,
                on_message=self._on_message,
                on_join=self._on_join,
                on_ready=self._on_ready,
                environ=environ,
                reconnect_base_delay=reconnect_base_delay,
                join_timeout=join_timeout,
            )
        self._pages: dict[str, list[str]] = {}

    @property
    def announce_channel(self) -> str:
        return self.settings.channels[0]

    def campaign_channel(self, campaign_id: int) -> str:
        return f"#{self.settings.channel_prefix}-{campaign_id}"

    async def start(self) -> None:
        if self._early is None:
            await self.conn.start()
            return
        # What arrived while the bot was loading is handled now, oldest first.
        await self._early.hand_over(self._on_message, self._on_join, self._on_ready)

    async def stop(self) -> None:
        await self.conn.stop()

    # -- people talking to the bot --------------------------------------------------------
    def identity(self, msg: IncomingMessage) -> IdentityRef | None:
        if msg.identity is None:
            return None
        return IdentityRef(key=f"{self.key_prefix}{msg.identity}", platform=self.platform)

    async def _on_message(self, msg: IncomingMessage) -> None:
        text = msg.text.strip()
        if msg.private:
            line, target, where, more = text, msg.nick, "dm", "more"
        else:
            prefix = self.settings.prefix
            if not text.startswith(prefix):
                return  # ordinary chat
            line, target, where = text[len(prefix) :].strip(), msg.target, "channel"
            more = f"{prefix}more"
            first = line.split(maxsplit=1)[0].lower() if line else ""
            registry = self.app.registry
            # Other bots share the prefix: stay quiet about commands that are not ours.
            if first != "more" and registry.get(first) is None and first not in registry.groups():
                return
        if line.lower() == "more":
            await self._more(target, more)
            return
        identity = self.identity(msg)
        if identity is None:
            await self.conn.send_privmsg(
                msg.nick,
                "Please log in to your services account (NickServ) first: on this network "
                "your account, not your nick, is who you are to Dynamo.",
            )
            return
        reply = await self.app.invoker.handle(identity, line, where=where)
        if where == "channel" and reply.private_hint:
            hint = f"{reply.text} (Type /msg {self.conn.current_nick} {line.split()[0]} ...)"
            await self._send_paged(msg.nick, hint, "more")
            return
        await self._send_paged(target, to_irc(reply.text), more)

    async def _send_paged(self, target: str, text: str, more: str) -> None:
        lines = [piece for line in text.splitlines() for piece in split_message(line, LINE_BYTES)]
        shown, rest = paginate(lines, first=PAGE_LINES)
        key = irc_lower(target)
        if rest:
            self._pages[key] = rest
            shown.append(f"({len(rest)} more line{'s' if len(rest) != 1 else ''}: say {more})")
        else:
            self._pages.pop(key, None)
        for line in shown:
            await self.conn.send_privmsg(target, line)

    async def _more(self, target: str, more: str) -> None:
        rest = self._pages.pop(irc_lower(target), None)
        if not rest:
            await self.conn.send_privmsg(target, "Nothing more to show.")
            return
        await self._send_paged(target, "\n".join(rest), more)

    async def _on_join(self, network: str, nick: str, identity: str | None, channel: str) -> None:
        if identity is not None:
            # Notices that waited for this member go out now.
            await self.app.dispatcher.release(identity_key=f"{self.key_prefix}{identity}")

    async def _on_ready(self, network: str) -> None:
        if self.settings.campaign_channels:
            for campaign_id in await self._active_campaigns():
                await self.conn.join(self.campaign_channel(campaign_id))
        # Whatever was announced while we were away goes out now, in order.
        await self.app.dispatcher.release(spaces=self.spaces)

    async def _active_campaigns(self) -> list[int]:
        return await active_campaigns(self.app.db)

    # -- what the bot sends -------------------------------------------------------------
    def can_reach(self, identity_key: str) -> bool:
        if not identity_key.startswith(self.key_prefix) or not self.conn.connected:
            return False
        return self.conn.is_online(identity_key.removeprefix(self.key_prefix))

    async def deliver_dm(self, identity_key: str, event: str, payload: dict[str, Any]) -> None:
        nick = self.conn.nick_of(identity_key.removeprefix(self.key_prefix))
        if nick is None or not self.conn.connected:
            raise NotReachable
        await self._send_now(nick, to_irc(payload["text"]))

    async def deliver_announcement(self, space: str, event: str, payload: dict[str, Any]) -> None:
        if not self.conn.connected:
            # Retried by the outbox; _on_ready releases it as soon as we are back.
            raise ConnectionError(f"not connected to {self.settings.name}")
        campaign_id = payload.get("campaign_id") or payload.get("idea_id")
        if self.settings.campaign_channels and campaign_id is not None:
            channel = self.campaign_channel(int(campaign_id))
            if event == "campaign_say":
                await self._send_now(channel, f"<{payload['author']}> {payload['message']}")
                return
            if event == "campaign_launched":
                await self._open_campaign_channel(int(campaign_id), payload)
            elif event == "petition_set":
                topic = f"#{campaign_id} petition: {payload['statement']}"
                await self.conn.set_topic(channel, topic)
        text = one_line_quotes(payload["text"])
        await self._send_now(self.announce_channel, to_irc(text))

    async def _open_campaign_channel(self, campaign_id: int, payload: dict[str, Any]) -> None:
        channel = self.campaign_channel(campaign_id)
        await self.conn.join(channel)
        await self.conn.set_topic(channel, f"Campaign #{campaign_id}: {payload['idea_text']}")
        for key in await follower_identities(self.app.db, campaign_id, self.key_prefix):
            nick = self.conn.nick_of(key.removeprefix(self.key_prefix))
            if nick is not None:
                await self.conn.invite(nick, channel)

    async def _send_now(self, target: str, text: str) -> None:
        """Send and wait until it is on the wire, so the outbox marks it sent only then."""
        async with asyncio.timeout(SEND_PATIENCE):
            await self.conn.send_privmsg(target, text, wait=True)
