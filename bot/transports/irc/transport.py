"""The IRC transport: the bot in the channels workers already use.

Every member action happens by private message, without a prefix (``register ...``,
``upvote 12``). In a channel only the read-only commands (``!ideas``, ``!idea 12``,
``!campaigns``, ``!campaign 3``, ``!signers 3``, ``!help``) are answered; a command that
would tie a nick to a pseudonym is not acted on and the person gets a private hint. What
the bot says in a channel shows the commands one can use there with the prefix
(`` `!idea 12` ``), and those to send privately as they are typed there (`` `sign 3` ``).
Every line said in a channel is looked at for a registration or link code first: one seen
in public is burned and its sayer told privately. Announcements come from the outbox and
name pseudonyms only. Long replies are paged: five lines, then ``more``.

What a member wrote can never make a line of its own in public: the bot splits its text only
at its own line breaks, keeps member text on one line, and starts every continuation of a
long line with a prefix (``[campaign 3] <leafy_towhee> `` for a long ``say``, ``[idea 7] `` for
a long post about idea 7, ``… `` for anything else), so no piece of a member's text can
pass for a post, for the bot, or for someone else. The one exception is text that members
write in paragraphs (a parameter of shape "lines": a campaign's document), shown in a
private answer to the command that writes it (``doc 3``): it keeps its paragraphs, each
starting a line, their long lines still continued with the prefix. Long lines are cut evenly (see
bot/transports/irc/text.py): 413 characters make two lines of about 207, not a full line
and a scrap.
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
from bot.outbox import NotReachable, SpaceDown
from bot.transports.irc.connection import IncomingMessage, IrcConnection
from bot.transports.irc.early import EarlyConnection
from bot.transports.irc.pages import PageKey, Pages
from bot.transports.irc.settings import IrcNetworkSettings
from bot.transports.irc.text import paginate, split_message, split_prefixed
from bot.transports.typed import in_channel
from commands.audience import active_campaigns
from commands.framework.formatting import CLOSE, OPEN, one_line_quotes, plain, quote, spans
from commands.framework.registry import UsageError
from commands.framework.reply import IdentityRef

logger = logging.getLogger(__name__)

PAGE_LINES = 5
# How long one announcement may wait in the paced send queue before the outbox retries it.
SEND_PATIENCE = 600.0
# What a continuation line starts with when it is about no idea or campaign in particular.
CONTINUED = "… "
LOG_IN_FIRST = (
    "Please log in to your services account (NickServ) first: on this network your "
    "account, not your nick, is who you are to Dynamo."
)
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def to_irc(text: str) -> str:
    """Markdown-ish bold (our replies' only markup) as IRC bold; what members wrote is shown
    as it is, without the marks around it (see commands.framework.formatting)."""
    if OPEN not in text and CLOSE not in text:
        return _BOLD.sub("\x02\\1\x02", text) if "**" in text else text
    return "".join(
        plain(piece) if theirs else _BOLD.sub("\x02\\1\x02", plain(piece))
        for piece, theirs in spans(text)
    )


def one_line(member_text: str) -> str:
    """A member's text from a payload (unmarked) on one line, every separator a space."""
    return plain(one_line_quotes(quote(member_text)))


def irc_lines(
    text: str, room: int, continued: str = CONTINUED, *, public: bool = True
) -> list[str]:
    """The IRC lines of one of the bot's texts.

    The text is split at the bot's own line breaks, and member text's own only when not
    `public`; each line is cut to `room` bytes, its continuations starting with `continued`.
    """
    lines: list[str] = []
    for line in _lines(one_line_quotes(text) if public else text):
        lines.extend(split_prefixed(to_irc(line), room, continued))
    return lines


def _lines(text: str) -> list[str]:
    """The lines of a text, the member text in each still marked as theirs."""
    lines = [""]
    for piece, theirs in spans(text):
        for index, part in enumerate(piece.split("\n")):
            if index:
                lines.append("")
            lines[-1] += quote(part) if theirs and part else part
    return lines


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
        pages: Pages | None = None,
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
        self._environ = environ
        self._reconnect_base_delay = reconnect_base_delay
        self._join_timeout = join_timeout
        # Connected while the rest of the bot was loading (see bot/transports/irc/early.py).
        self.conn = early.conn if early is not None else self._connection()
        self.pages = pages or Pages()

    def _connection(self) -> IrcConnection:
        return IrcConnection(
            self.settings,
            on_message=self._on_message,
            on_join=self._on_join,
            on_ready=self._on_ready,
            on_gone=self._on_gone,
            environ=self._environ,
            reconnect_base_delay=self._reconnect_base_delay,
            join_timeout=self._join_timeout,
        )

    @property
    def announce_channel(self) -> str:
        return self.settings.channels[0]

    def campaign_channel(self, campaign_id: int) -> str:
        return f"#{self.settings.channel_prefix}-{campaign_id}"

    async def start(self) -> None:
        """Connect (again, after a `stop`: another process may have served this network
        meanwhile, see bot/serving.py)."""
        early, self._early = self._early, None
        if early is not None and not self.conn.stopped:
            # What arrived while the bot was loading is handled now, oldest first.
            await early.hand_over(self._on_message, self._on_join, self._on_ready, self._on_gone)
            return
        if self.conn.started:
            self.conn = self._connection()
        await self.conn.start()

    async def stop(self) -> None:
        await self.conn.stop()

    # -- people talking to the bot --------------------------------------------------------
    def identity(self, msg: IncomingMessage) -> IdentityRef | None:
        if msg.identity is None:
            return None
        return IdentityRef(
            key=f"{self.key_prefix}{msg.identity}",
            platform=self.platform,
            connection=self._connection_of(msg),
        )

    def _connection_of(self, msg: IncomingMessage) -> str:
        # user@host survives a nick change: limits on wrong codes hold across nicks.
        return f"irc:{self.settings.name}:{self.conn.fold(msg.userhost)}"

    async def _on_message(self, msg: IncomingMessage) -> None:
        text = msg.text.strip()
        identity = self.identity(msg)
        if not msg.private:
            # Said in public, a code is burned before anything else looks at the line.
            sayer = identity or IdentityRef(
                key=f"{self.key_prefix}?", platform=self.platform, connection=None
            )
            burned = await self.app.invoker.seen_in_public(sayer, msg.text)
            if burned is not None:
                await self.conn.send_privmsg(msg.nick, burned)
                return
            prefix = self.settings.prefix
            if not text.startswith(prefix):
                return  # ordinary chat
            line = text[len(prefix) :].strip()
            first = line.split(maxsplit=1)[0].lower() if line else ""
            registry = self.app.registry
            # Other bots share the prefix: stay quiet about commands that are not ours.
            if first != "more" and registry.get(first) is None and first not in registry.groups():
                return
        else:
            line = text
        if identity is None:
            await self.conn.send_privmsg(msg.nick, LOG_IN_FIRST, stranger=True)
            return
        if line.lower() == "more":
            await self._more(msg, identity)
            return
        reply = await self.app.invoker.handle(
            identity, line, where="dm" if msg.private else "channel"
        )
        if not msg.private and reply.private_hint:
            hint = f"{reply.text} (Type /msg {self.conn.current_nick} {line.split()[0]} ...)"
            await self._send_paged(msg, identity, hint, reply.member, private=True)
            return
        if msg.private:
            paragraphs = self._in_paragraphs(line)
            await self._send_paged(
                msg, identity, reply.text, reply.member, private=True, paragraphs=paragraphs
            )
            return
        text = self._in_channel(reply.text)
        await self._send_paged(msg, identity, text, reply.member, private=False)

    def _in_paragraphs(self, line: str) -> bool:
        """Whether the answer to `line` shows member text in paragraphs: the command takes
        text of that shape (`doc`), so the text it shows is a document."""
        try:
            command, _rest = self.app.registry.find(line)
        except UsageError:
            return False
        return any(param.shape == "lines" for param in command.params)

    def _in_channel(self, text: str) -> str:
        """The bot's text as a channel shows it: commands with the channel prefix."""
        return in_channel(text, self.app.registry, self.settings.prefix)

    def _page_key(self, msg: IncomingMessage, identity: IdentityRef, private: bool) -> PageKey:
        if private:
            return ("dm", identity.key, self.conn.fold(msg.userhost))
        return ("channel", self.conn.fold(msg.target))

    async def _send_paged(
        self,
        msg: IncomingMessage,
        identity: IdentityRef,
        text: str,
        member: bool,
        *,
        private: bool,
        paragraphs: bool = False,
    ) -> None:
        """Send `text` to `msg`'s sender (`private`) or channel, a page at a time; member
        text in it keeps its line breaks when it is `paragraphs` (sent privately)."""
        target = msg.nick if private else msg.target
        more = "more" if private else f"{self.settings.prefix}more"
        lines = irc_lines(text, self.conn.room(target), public=not (private and paragraphs))
        shown, rest = paginate(lines, first=PAGE_LINES)
        key = self._page_key(msg, identity, private)
        if rest:
            self.pages.keep(
                key,
                rest,
                member=member,
                owner=identity.key,
                nick=self.conn.fold(msg.nick) if private else None,
            )
            shown.append(f"({len(rest)} more line{'s' if len(rest) != 1 else ''}: say {more})")
        else:
            self.pages.drop(key)
        await self._send_lines(target, shown, member=member, charge=msg.nick)

    async def _more(self, msg: IncomingMessage, identity: IdentityRef) -> None:
        page = self.pages.take(self._page_key(msg, identity, msg.private))
        if page is None:
            target = msg.nick if msg.private else msg.target
            await self.conn.send_privmsg(
                target, "Nothing more to show.", stranger=True, charge=msg.nick
            )
            return
        # A channel's page is anyone's to continue, but only its asker's standing counts:
        # a stranger's `!more` goes with the strangers.
        member = page.member and page.owner == identity.key
        await self._send_paged(msg, identity, "\n".join(page.lines), member, private=msg.private)

    async def _send_lines(
        self, target: str, lines: list[str], *, member: bool, charge: str | None = None
    ) -> None:
        for line in lines:
            await self.conn.send_privmsg(target, line, stranger=not member, charge=charge)

    async def _on_join(self, network: str, nick: str, identity: str | None, channel: str) -> None:
        if identity is not None:
            # Notices that waited for this member go out now.
            await self.app.dispatcher.release(identity_key=f"{self.key_prefix}{identity}")

    async def _on_gone(self, network: str, nick: str) -> None:
        # Whoever holds the nick next must not read what was paged for this one.
        self.pages.forget_nick(self.conn.fold(nick))

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
        text = payload["text"]
        idea_id = payload.get("idea_id")
        if event == "followed_idea_launched" and self.settings.campaign_channels and idea_id:
            # Told, not invited: an INVITE to every follower at once, in member order, would
            # show anyone watching the channel's JOINs who voted for it.
            channel = self.campaign_channel(int(idea_id))
            text = f"{text} The campaign has a channel here, {channel}: join when you like."
        await self._send_now(nick, irc_lines(text, self.conn.room(nick)))

    async def deliver_announcement(self, space: str, event: str, payload: dict[str, Any]) -> None:
        if not self.conn.connected:
            # Retried by the outbox; _on_ready releases it as soon as we are back.
            raise SpaceDown(f"not connected to {self.settings.name}")
        campaign_id = payload.get("campaign_id")
        idea_id = payload.get("idea_id")
        number = campaign_id or idea_id
        announce = self.announce_channel
        if event == "say_hidden":
            return  # a line said on IRC can't be taken back: nothing to edit here
        if event == "campaign_say":
            author, message = one_line(payload["author"]), one_line(payload["message"])
            if self.settings.campaign_channels:
                channel = self.campaign_channel(int(campaign_id))
                await self._post(channel, message, f"<{author}> ")
                return
            await self._post(announce, message, f"[campaign {campaign_id}] <{author}> ")
            return
        if self.settings.campaign_channels and number is not None:
            channel = self.campaign_channel(int(number))
            if event == "campaign_launched":
                await self.conn.join(channel)
                topic = f"Campaign #{number}: {one_line(payload['idea_text'])}"
                await self.conn.set_topic(channel, topic)
            elif event == "petition_set":
                topic = f"#{number} petition: {one_line(payload['statement'])}"
                await self.conn.set_topic(channel, topic)
        if campaign_id is not None or event == "campaign_launched":
            continued = f"[campaign {number}] "
        elif idea_id is not None:
            continued = f"[idea {idea_id}] "
        else:
            continued = CONTINUED
        text = self._in_channel(payload["text"])
        if payload.get("link"):
            text += f" {payload['link']}"
        await self._send_now(announce, irc_lines(text, self.conn.room(announce), continued))

    async def _post(self, channel: str, message: str, prefix: str) -> None:
        """A member's words (one line) in a channel, every line of them starting with
        `prefix` (`<leafy_towhee> `)."""
        room = self.conn.room(channel) - len(prefix.encode("utf-8"))
        await self._send_now(channel, [prefix + piece for piece in split_message(message, room)])

    async def _send_now(self, target: str, lines: list[str]) -> None:
        """Send and wait until the last line is on the wire, so the outbox marks it sent
        only then."""
        async with asyncio.timeout(SEND_PATIENCE):
            for index, line in enumerate(lines):
                last = index == len(lines) - 1
                await self.conn.send_privmsg(target, line, wait=last)
