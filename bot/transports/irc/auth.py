"""Who the bot is on the network: capabilities, authentication and its nick.

IRCv3 capability negotiation (CAP LS 302 is sent by link.py before NICK/USER), SASL PLAIN
when configured and offered, NickServ IDENTIFY otherwise, the nick: the configured one,
then the alternatives, then variations, and regaining the configured nick when it
frees up. The password is read from the environment when needed and never logged.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from collections.abc import Callable, Iterator, Mapping

from bot.transports.irc.lines import Line
from bot.transports.irc.settings import IrcNetworkSettings

__all__ = ["WANTED_CAPS", "Registration"]

logger = logging.getLogger(__name__)

# Capabilities that improve identity and membership tracking, requested when offered.
WANTED_CAPS = frozenset({"account-tag", "extended-join", "account-notify", "multi-prefix"})

# 433 nick in use, 432 erroneous, 437 unavailable, 436 collision.
_NICK_REJECTED = ("433", "432", "437", "436")
# 902 nick locked, 904 failed, 905 too long, 906 aborted.
_SASL_FAILED = ("902", "904", "905", "906")


class Registration:
    """Capabilities, SASL, NickServ and the bot's nick, for one connection at a time
    (`reset()` before each)."""

    def __init__(
        self,
        settings: IrcNetworkSettings,
        *,
        send_now: Callable[[str], None],
        fold: Callable[[str], str],
        registered: Callable[[], bool],
        environ: Mapping[str, str],
        rng: random.Random,
    ) -> None:
        self.settings = settings
        self.network = settings.name
        self._send_now = send_now
        self._fold = fold
        self._registered = registered
        self._environ = environ
        self._rng = rng
        self.reset()

    def reset(self) -> None:
        self.caps_offered: dict[str, str | None] = {}
        self.caps_enabled: set[str] = set()
        self.negotiating = True
        self.sasl_state = "off"  # off -> requested -> mechanism -> sent -> done | failed
        self._candidates: Iterator[str] = self._nick_sequence()
        self.nick = ""

    def first_nick(self) -> str:
        """The nick to register with (each connection starts from the configured one)."""
        self.nick = next(self._candidates)
        return self.nick

    def handlers(self) -> dict[str, Callable[[Line], None]]:
        return {
            "CAP": self._on_cap,
            "AUTHENTICATE": self._on_authenticate,
            "903": self._on_sasl_success,
            "907": self._on_sasl_success,  # already authenticated
            **dict.fromkeys(_SASL_FAILED, self._on_sasl_failure),
            "900": self._on_logged_in,
            **dict.fromkeys(_NICK_REJECTED, self._on_nick_rejected),
            "421": self._on_unknown_command,
            "NICK": self._on_nick,
            "QUIT": self._on_quit,
        }

    def password(self) -> str | None:
        name = self.settings.password_env
        if not name:
            return None
        password = self._environ.get(name)
        if password and any(ch in password for ch in "\r\n\0"):
            logger.error("irc[%s]: %s contains a line break; not using it", self.network, name)
            return None
        return password or None

    # ------------------------------------------------------------ capabilities

    def _on_cap(self, line: Line) -> None:
        # CAP <me> <sub> [*] :<caps>
        args = line.params[1:]
        if not args:
            return
        sub = args[0].upper()
        caps = _parse_caps(args[-1]) if len(args) > 1 else {}
        if sub == "LS":
            self.caps_offered.update(caps)
            if len(args) > 2 and args[1] == "*":
                return  # CAP LS 302 continues on another line
            self._request_caps()
        elif sub == "ACK":
            self.caps_enabled.update(caps)
            if "sasl" in caps and self.sasl_state == "requested":
                self.sasl_state = "mechanism"
                self._send_now("AUTHENTICATE PLAIN")
            else:
                self._cap_end()
        elif sub == "NAK":
            logger.info("irc[%s]: server refused capabilities %s", self.network, " ".join(caps))
            if self.sasl_state == "requested":
                self.sasl_state = "off"
            self._cap_end()
        elif sub == "NEW":
            self.caps_offered.update(caps)
            wanted = sorted(c for c in caps if c in WANTED_CAPS and c not in self.caps_enabled)
            if wanted:
                self._send_now("CAP REQ :" + " ".join(wanted))
        elif sub == "DEL":
            self.caps_enabled.difference_update(caps)

    def _request_caps(self) -> None:
        wanted = {cap for cap in WANTED_CAPS if cap in self.caps_offered}
        if self.settings.sasl and self.password() and "sasl" in self.caps_offered:
            mechanisms = self.caps_offered["sasl"]
            if mechanisms is None or "PLAIN" in mechanisms.upper().split(","):
                wanted.add("sasl")
                self.sasl_state = "requested"
            else:
                logger.warning("irc[%s]: server offers no SASL PLAIN", self.network)
        if wanted:
            self._send_now("CAP REQ :" + " ".join(sorted(wanted)))
        else:
            self._cap_end()

    def _cap_end(self) -> None:
        if self.negotiating and not self._registered():
            self._send_now("CAP END")
        self.negotiating = False

    def _on_unknown_command(self, line: Line) -> None:
        if (line.param(1) or "").upper() == "CAP":
            # A server without IRCv3 registers us without waiting for CAP END.
            self.negotiating = False

    # -------------------------------------------------------------- SASL, NickServ

    def _on_authenticate(self, line: Line) -> None:
        if self.sasl_state != "mechanism" or line.param(0) != "+":
            return
        password = self.password() or ""
        login = self.settings.sasl_login
        payload = base64.b64encode(f"{login}\0{login}\0{password}".encode()).decode()
        # AUTHENTICATE carries at most 400 bytes; a payload of exactly a multiple of 400
        # is terminated by "+".
        chunks = [payload[i : i + 400] for i in range(0, len(payload), 400)]
        if len(payload) % 400 == 0:
            chunks.append("+")
        for chunk in chunks:
            self._send_now(f"AUTHENTICATE {chunk}")
        self.sasl_state = "sent"

    def _on_sasl_success(self, line: Line) -> None:
        if self.sasl_state in ("mechanism", "sent"):
            self.sasl_state = "done"
            logger.info("irc[%s]: SASL authentication succeeded", self.network)
            self._cap_end()

    def _on_sasl_failure(self, line: Line) -> None:
        if self.sasl_state in ("mechanism", "sent"):
            self.sasl_state = "failed"
            logger.warning("irc[%s]: SASL authentication failed (%s)", self.network, line.command)
            self._cap_end()

    def _on_logged_in(self, line: Line) -> None:
        # 900 <nick> <mask> <account> :You are now logged in as <account>
        account = line.param(2) or "?"
        logger.info("irc[%s]: logged in to services as %s", self.network, account)

    def welcomed(self, line: Line) -> None:
        """001: registered under the nick it names; identify to NickServ if SASL did not
        (before any JOIN, so channels that need an identified nick let us in)."""
        self.nick = line.param(0) or self.nick
        self.negotiating = False
        password = self.password()
        if password and self.sasl_state not in ("done", "failed"):
            self._send_now(f"PRIVMSG NickServ :IDENTIFY {self.settings.sasl_login} {password}")

    # --------------------------------------------------------------------- nick

    def _nick_sequence(self) -> Iterator[str]:
        base = self.settings.nick
        yield base
        yield from self.settings.alt_nicks
        for underscores in range(1, 4):
            yield base + "_" * underscores
        while True:
            yield f"{base[:6]}{self._rng.randrange(1000):03d}"

    def _on_nick_rejected(self, line: Line) -> None:
        if self._registered():
            # Our regain attempt failed: the nick is still taken. Try again later.
            logger.debug("irc[%s]: nick %s still unavailable", self.network, self.settings.nick)
            return
        nick = next(self._candidates)
        logger.info("irc[%s]: nick taken or refused; trying %s", self.network, nick)
        self._send_now(f"NICK {nick}")

    def _on_nick(self, line: Line) -> None:
        old, new = line.nick, line.param(0)
        if new is None:
            return
        if self.is_me(old):
            self.nick = new
            logger.info("irc[%s]: now known as %s", self.network, new)
        elif self._fold(old) == self._fold(self.settings.nick):
            self.try_regain()

    def _on_quit(self, line: Line) -> None:
        if self._fold(line.nick) == self._fold(self.settings.nick):
            self.try_regain()

    def is_me(self, nick: str) -> bool:
        return bool(self.nick) and self._fold(nick) == self._fold(self.nick)

    async def regain_loop(self) -> None:
        while self._registered():
            await asyncio.sleep(self.settings.regain_nick_interval)
            self.try_regain()

    def try_regain(self) -> None:
        wanted = self.settings.nick
        if self._registered() and self._fold(self.nick) != self._fold(wanted):
            self._send_now(f"NICK {wanted}")


def _parse_caps(text: str) -> dict[str, str | None]:
    """ "sasl=PLAIN,EXTERNAL multi-prefix" -> {"sasl": "PLAIN,EXTERNAL", "multi-prefix": None}"""
    caps: dict[str, str | None] = {}
    for token in text.split():
        name, sep, value = token.partition("=")
        caps[name.lstrip("-~=").lower()] = value if sep else None
    return caps
