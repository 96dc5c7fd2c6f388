"""Who is where, and logged in as whom.

The channels the bot wants and is in; the users who share at least one of them with it
(from JOIN, PART, KICK, QUIT, NICK and NAMES); and each one's services account, from
extended-join, account-notify, account-tag, WHOX after NAMES, or WHOIS (whois.py) when
nothing else said. Users who share no channel are invisible to a client (no QUIT reaches
us), so they count as offline. Names are compared folded, the way the server announced
(isupport.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.transports.irc.isupport import ServerInfo
from bot.transports.irc.lines import Line
from bot.transports.irc.settings import IrcNetworkSettings
from bot.transports.irc.whois import Whois

__all__ = ["Roster"]

logger = logging.getLogger(__name__)

# Token in our WHOX queries, so replies to anyone else's WHO are not mistaken for ours.
WHOX_TOKEN = "173"
# RFC 1459: 512 bytes per line including CR LF.
LINE_LIMIT = 510

# Why a JOIN was refused, by numeric (477: on modern servers, "you need a registered nick").
_JOIN_REFUSED = {
    "403": "no such channel",
    "405": "too many channels",
    "471": "channel is full",
    "473": "invite only",
    "474": "banned",
    "475": "bad key",
    "476": "bad channel mask",
    "477": "registered nicks only",
}


@dataclass
class _Member:
    """A user sharing at least one channel with the bot."""

    nick: str
    channels: set[str] = field(default_factory=set)
    account: str | None = None
    account_known: bool = False


class Roster:
    """`is_me(nick)` tells the bot's own nick, `caps()` the capabilities enabled;
    `control(line)` queues a WHO or WHOIS (`connected()`: whether to ask at all);
    `on_arrived(nick, channel)` runs when someone else joins one of the bot's channels,
    `on_departed(nick)` when a nick stops being visible (quit, renamed, left the last
    shared channel); `on_settled()` once every channel joined on registering has answered.
    """

    def __init__(
        self,
        settings: IrcNetworkSettings,
        server: ServerInfo,
        *,
        is_me: Callable[[str], bool],
        caps: Callable[[], set[str]],
        control: Callable[[str], None],
        connected: Callable[[], bool],
        on_arrived: Callable[[str, str], None],
        on_departed: Callable[[str], None],
        on_settled: Callable[[], None],
    ) -> None:
        self.settings = settings
        self.network = settings.name
        self.server = server
        self._fold = server.fold
        self._is_me = is_me
        self._caps = caps
        self._control = control
        self._on_arrived = on_arrived
        self._on_departed = on_departed
        self._on_settled = on_settled
        # Channels to be in: the configured ones plus any joined since, rejoined after
        # every reconnect. Keyed by folded name.
        self.wanted: dict[str, str] = {}
        for channel in settings.channels:
            self.wanted.setdefault(self._fold(channel), channel)
        self._whois = Whois(
            server.fold, control=control, connected=connected, on_account=self.set_account
        )
        self.reset()

    def reset(self) -> None:
        """Forget everything seen on the last connection: membership is unknown while
        away; NAMES rebuilds it after the rejoin. Pending WHOIS answer None."""
        self._whois.reset()
        self.joined: dict[str, str] = {}
        self.join_pending: dict[str, str] = {}
        self._names_pending: dict[str, dict[str, str]] = {}
        self._members: dict[str, _Member] = {}

    def handlers(self) -> dict[str, Callable[[Line], None]]:
        return {
            "JOIN": self._on_join,
            "PART": self._on_part,
            "KICK": self._on_kick,
            "QUIT": self._on_quit,
            "NICK": self._on_nick,
            "ACCOUNT": self._on_account,
            "353": self._on_namreply,
            "366": self._on_endofnames,
            **dict.fromkeys(_JOIN_REFUSED, self._on_join_refused),
            "354": self._on_whox,
            **self._whois.handlers(),
        }

    # ------------------------------------------------------------ the bot's channels

    def join_lines(self) -> list[str]:
        """On registering: JOIN every wanted channel, in as few lines as fit, and wait
        for each to answer (see `on_settled`)."""
        self.join_pending = dict(self.wanted)
        lines: list[str] = []
        batch: list[str] = []
        for channel in self.wanted.values():
            candidate = f"JOIN {','.join([*batch, channel])}"
            if batch and len(candidate.encode()) > LINE_LIMIT:
                lines.append(f"JOIN {','.join(batch)}")
                batch = []
            batch.append(channel)
        if batch:
            lines.append(f"JOIN {','.join(batch)}")
        return lines

    def want(self, channel: str) -> bool:
        """Be in `channel` from now on; True if the bot is not in it yet."""
        key = self._fold(channel)
        self.wanted.setdefault(key, channel)
        return key not in self.joined

    def refold(self) -> None:
        """Re-key by the new casemapping: 005 arrives after we started joining."""
        fold = self._fold
        self.wanted = {fold(name): name for name in self.wanted.values()}
        self.join_pending = {fold(name): name for name in self.join_pending.values()}
        old_joined = self.joined
        self.joined = {fold(name): name for name in old_joined.values()}
        self._names_pending.clear()
        members = list(self._members.values())
        self._members = {}
        for member in members:
            member.channels = {fold(old_joined.get(c, c)) for c in member.channels}
            self._members[fold(member.nick)] = member

    def _settled(self, key: str) -> None:
        if key in self.join_pending:
            del self.join_pending[key]
            if not self.join_pending:
                self._on_settled()

    def _on_join_refused(self, line: Line) -> None:
        channel = line.param(1)
        if channel is not None and self._fold(channel) in self.join_pending:
            why = _JOIN_REFUSED[line.command]
            logger.warning("irc[%s]: cannot join %s (%s)", self.network, channel, why)
            self._settled(self._fold(channel))

    # ------------------------------------------------------------------ membership

    def _member(self, nick: str) -> _Member:
        key = self._fold(nick)
        member = self._members.get(key)
        if member is None:
            member = self._members[key] = _Member(nick)
        else:
            member.nick = nick
        return member

    def _leave(self, nick: str, channel_key: str) -> None:
        key = self._fold(nick)
        member = self._members.get(key)
        if member is None:
            return
        member.channels.discard(channel_key)
        if not member.channels:
            del self._members[key]
            self._on_departed(nick)

    def can_see(self, key: str) -> bool:
        """Whether the folded nick `key` shares a channel with the bot."""
        return key in self._members

    def _on_join(self, line: Line) -> None:
        nick, channel = line.nick, line.param(0)
        if channel is None:
            return
        key = self._fold(channel)
        if self._is_me(nick):
            self.joined[key] = channel
            self._names_pending[key] = {}
            logger.info("irc[%s]: joined %s", self.network, channel)
            return
        self._member(nick).channels.add(key)
        account = line.param(1)
        if account is not None and "extended-join" in self._caps():
            self.set_account(nick, None if account == "*" else account)
        self._on_arrived(nick, channel)

    def _on_part(self, line: Line) -> None:
        if line.params:
            self._on_leave(line.nick, line.params[0])

    def _on_kick(self, line: Line) -> None:
        if len(line.params) >= 2:
            self._on_leave(line.params[1], line.params[0])

    def _on_leave(self, nick: str, channel: str) -> None:
        key = self._fold(channel)
        if self._is_me(nick):
            logger.info("irc[%s]: left %s", self.network, channel)
            self.joined.pop(key, None)
            self._names_pending.pop(key, None)
            for other in list(self._members.values()):
                self._leave(other.nick, key)
            return
        self._leave(nick, key)

    def _on_quit(self, line: Line) -> None:
        if self._members.pop(self._fold(line.nick), None) is not None:
            self._on_departed(line.nick)

    def _on_nick(self, line: Line) -> None:
        old, new = line.nick, line.param(0)
        # Our own rename was noted before this runs (see auth.py), so compare the new nick.
        if new is None or self._is_me(new):
            return
        member = self._members.pop(self._fold(old), None)
        if member is not None:
            member.nick = new
            self._members[self._fold(new)] = member
            if self._fold(old) != self._fold(new):
                self._on_departed(old)

    def _on_namreply(self, line: Line) -> None:
        # 353 <me> <symbol> <channel> :[prefixes]nick ...
        if len(line.params) < 4:
            return
        key = self._fold(line.params[2])
        if key not in self.joined:
            return
        pending = self._names_pending.setdefault(key, {})
        for token in line.params[3].split():
            nick = token.lstrip(self.server.prefix_chars).split("!", 1)[0]
            if nick:
                pending[self._fold(nick)] = nick

    def _on_endofnames(self, line: Line) -> None:
        # 366 <me> <channel> :End of NAMES list
        channel = line.param(1)
        if channel is None:
            return
        key = self._fold(channel)
        names = self._names_pending.pop(key, None)
        if names is not None and key in self.joined:
            for member_key, member in list(self._members.items()):
                if key in member.channels and member_key not in names:
                    self._leave(member.nick, key)
            for nick in names.values():
                if not self._is_me(nick):
                    self._member(nick).channels.add(key)
            if self.settings.identity == "account" and self.server.whox:
                self._control(f"WHO {channel} %tna,{WHOX_TOKEN}")
        self._settled(key)

    # -------------------------------------------------------------------- accounts

    def set_account(self, nick: str, account: str | None) -> None:
        member = self._members.get(self._fold(nick))
        if member is not None:
            member.account = account
            member.account_known = True

    def _on_account(self, line: Line) -> None:
        account = line.param(0)
        self.set_account(line.nick, None if account in ("*", None) else account)

    def _on_whox(self, line: Line) -> None:
        # 354 <me> <token> <nick> <account>; account "0" means not logged in.
        args = line.params[1:]
        if len(args) >= 3 and args[0] == WHOX_TOKEN:
            self.set_account(args[1], None if args[2] == "0" else args[2])

    def identity_of(self, nick: str) -> str | None:
        """The identity key of `nick`: its folded nick, or (identity="account") the folded
        services account, None when not logged in or not known."""
        if self.settings.identity == "nick":
            return self._fold(nick)
        member = self._members.get(self._fold(nick))
        if member is None or member.account is None:
            return None
        return self._fold(member.account)

    def nick_of(self, identity_key: str) -> str | None:
        """The current nick of someone with this identity who shares a channel with the
        bot, or None."""
        key = self._fold(identity_key)
        if self.settings.identity == "nick":
            member = self._members.get(key)
            return member.nick if member is not None else None
        for member in self._members.values():
            if member.account is not None and self._fold(member.account) == key:
                return member.nick
        return None

    def is_online(self, identity_key: str) -> bool:
        """Whether someone with this identity shares a channel with the bot right now."""
        key = self._fold(identity_key)
        if self.settings.identity == "nick":
            return key in self._members
        return any(
            m.account is not None and self._fold(m.account) == key for m in self._members.values()
        )

    async def resolve_identity(self, nick: str) -> str | None:
        """Like `identity_of`, asking the server (WHOIS) when the account is not known."""
        if self.settings.identity == "nick":
            return self._fold(nick)
        member = self._members.get(self._fold(nick))
        if member is not None and member.account_known:
            return self.identity_of(nick)
        account = await self._whois.account(nick)
        return self._fold(account) if account else None
