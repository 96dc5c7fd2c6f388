"""What the bot says: every line's target checked, its text sanitized and split to fit,
and queued in the fair, paced send queue (flood.py).

Control lines (JOIN, TOPIC, WHO, WHOIS) share the queue under a target of their own.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.transports.irc.flood import FloodQueue
from bot.transports.irc.text import check_target, is_channel, split_message, truncate_bytes
from bot.transports.irc.wire import LINE_LIMIT

__all__ = ["CONTROL_TARGET", "Output"]

# What the server prepends when relaying our line: ":" nick "!" user "@" host " ". Hosts
# change (cloaks after identifying), so reserve the worst case instead of measuring ours.
PREFIX_RESERVE = 1 + 30 + 1 + 11 + 1 + 63 + 1
# The control lines share the flood queue under this target, which no nick or channel can be.
CONTROL_TARGET = ""


class Output:
    def __init__(
        self, flood: FloodQueue, *, fold: Callable[[str], str], topiclen: Callable[[], int]
    ) -> None:
        self._flood = flood
        self._fold = fold
        self._topiclen = topiclen

    def room(self, target: str, command: str = "PRIVMSG") -> int:
        """How many bytes of text fit in one `command` line to `target`, whatever prefix
        the server puts before it when relaying."""
        return LINE_LIMIT - PREFIX_RESERVE - len(f"{command} {target} :".encode())

    async def text(
        self,
        command: str,
        target: str,
        text: str,
        *,
        wait: bool,
        stranger: bool,
        charge: str | None,
    ) -> int:
        """Queue `text` as `command` lines to `target` (see IrcConnection.send_privmsg)."""
        check_target(target, channel=None)
        if charge is not None:
            check_target(charge, channel=False)
        pieces = split_message(text, self.room(target, command))
        fold = self._fold
        to = None if is_channel(target) else fold(target)
        key = fold(charge) if charge is not None else fold(target)
        waiter = None
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            waiter = self._flood.put(
                key, f"{command} {target} :{piece}", wait=wait and last, stranger=stranger, to=to
            )
        if waiter is not None:
            await waiter
        return len(pieces)

    def control(self, line: str) -> None:
        self._flood.put(CONTROL_TARGET, line)

    def topic(self, channel: str, text: str) -> None:
        check_target(channel, channel=True)
        room = self.room(channel, "TOPIC")
        self.control(f"TOPIC {channel} :{truncate_bytes(text, min(room, self._topiclen()))}")
