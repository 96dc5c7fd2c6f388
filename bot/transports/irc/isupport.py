"""What the server says about itself in ISUPPORT (005): how it compares names, which
nick prefixes and STATUSMSG targets it uses, whether it has WHOX, how long a topic may be.

Until it has said, the defaults of RFC 1459 hold.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.transports.irc.lines import Line
from bot.transports.irc.text import irc_lower

__all__ = ["ServerInfo"]


class ServerInfo:
    """`on_casemapping()` runs when the server announces a casemapping other than the one
    in use: whatever was keyed by folded name must be keyed again."""

    def __init__(self, on_casemapping: Callable[[], None]) -> None:
        self._on_casemapping = on_casemapping
        self.reset()

    def reset(self) -> None:
        self.casemapping = "rfc1459"
        self.prefix_chars = "~&@%+"
        self.statusmsg = ""
        self.whox = False
        self.topiclen = 390

    def fold(self, name: str) -> str:
        """A nick, channel or account folded the way this server compares them."""
        return irc_lower(name, self.casemapping)

    def handlers(self) -> dict[str, Callable[[Line], None]]:
        return {"005": self._on_isupport}

    def _on_isupport(self, line: Line) -> None:
        # 005 <me> TOKEN[=value] ... :are supported by this server
        for token in line.params[1:-1]:
            name, _, value = token.partition("=")
            name = name.upper()
            if name == "CASEMAPPING" and value and value.lower() != self.casemapping:
                self.casemapping = value.lower()
                self._on_casemapping()
            elif name == "PREFIX" and ")" in value:
                self.prefix_chars = value.split(")", 1)[1]
            elif name == "STATUSMSG":
                self.statusmsg = value
            elif name == "WHOX":
                self.whox = True
            elif name == "-WHOX":
                self.whox = False
            elif name == "TOPICLEN" and value.isdigit():
                self.topiclen = int(value)
