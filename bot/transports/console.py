"""The console transport: try the whole bot on a terminal, or replay a script.

Lines:
- ``/as NAME``: become (or create) a local person; a new one gets a fresh registration code.
- ``/channel LINE``: say LINE in the public channel (commands there start with ``!``).
- anything else: a private message to the bot from the current person; ``{code}`` in a line
  stands for the code the console minted for that person (so scripts can register).
Output is labelled: ``[#dynamo]`` is what the channel shows, ``[DM name]`` what one person's
private messages show.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.app import App
from bot.transports.typed import in_channel
from commands import admin
from commands.framework.formatting import plain
from commands.framework.reply import IdentityRef, Reply
from storage.repos import members

SPACE = "console"
_CONTROLS = [*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029]
_ESCAPES = str.maketrans(
    {code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" for code in _CONTROLS}
)


def visible(text: str) -> str:
    """Text with every control character written as an escape (``\\x1b``)."""
    return text.translate(_ESCAPES)


class ConsoleTransport:
    platform = "console"
    spaces = (SPACE,)

    def __init__(self, app: App, out: Callable[[str], None] = print) -> None:
        self.app = app
        self.out = out
        self.channel = app.config.console.channel
        self.prefix = app.config.console.prefix
        self.current: str | None = None
        self.known: set[str] = set()
        # The code minted for each new person, so a script can say `register {code}`.
        self.codes: dict[str, str] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    @staticmethod
    def identity(name: str) -> IdentityRef:
        return IdentityRef(key=f"console:{name.lower()}", platform="console")

    # -- what the bot sends -------------------------------------------------------------
    def emit(self, where: str, text: str) -> None:
        """Show one message: ``where`` is the channel name or ``DM name``. Control characters
        are shown as escapes, never sent raw: stored text must not drive the terminal."""
        lines = plain(text).split("\n")
        self.out(f"[{where}] {visible(lines[0])}")
        for line in lines[1:]:
            self.out(f"[{where}]   {visible(line)}")

    def in_channel(self, text: str) -> str:
        """The bot's text as the channel shows it: commands with the channel prefix."""
        return in_channel(text, self.app.registry, self.prefix)

    async def deliver_announcement(self, space: str, event: str, payload: dict[str, Any]) -> None:
        if event == "say_hidden":
            return  # a printed line can't be edited: nothing to show
        link = f" {payload['link']}" if payload.get("link") else ""
        self.emit(self.channel, self.in_channel(payload["text"]) + link)

    def can_reach(self, identity_key: str) -> bool:
        return identity_key.startswith("console:")

    async def deliver_dm(self, identity_key: str, event: str, payload: dict[str, Any]) -> None:
        self.emit(f"DM {identity_key.removeprefix('console:')}", payload["text"])

    def _show_reply(self, name: str, reply: Reply, public: bool) -> None:
        if public and not reply.private_hint:
            self.emit(self.channel, f"<dynamo> {self.in_channel(reply.text)}")
            return
        text = reply.text
        if reply.actions:
            text += "  [" + " | ".join(f"{a.label}: `{a.command}`" for a in reply.actions) + "]"
        self.emit(f"DM {name}", text)

    # -- what people type ---------------------------------------------------------------
    async def line(self, text: str) -> bool:
        """Handle one typed line; False when the console session should end."""
        text = text.rstrip("\r\n")
        if not text.strip() or text.lstrip().startswith("# "):
            return True
        if "{code}" in text and self.current in self.codes:
            text = text.replace("{code}", self.codes[self.current])
        if text.startswith("/"):
            return await self._meta(text)
        if self.current is None:
            if text.split(maxsplit=1)[0].lower() == "help":
                # Help is the same for everyone: no need to be someone to read it.
                reply = await self.app.invoker.handle(self.identity("?"), text, where="dm")
                for part in reply.text.splitlines():
                    self.out(f"[console] {visible(part)}")
                return True
            self.out("[console] First say who you are: /as NAME (`help` works before that too)")
            return True
        reply = await self.app.invoker.handle(self.identity(self.current), text, where="dm")
        self._show_reply(self.current, reply, public=False)
        await self.app.drain()
        return True

    async def _meta(self, text: str) -> bool:
        word, _, rest = text.partition(" ")
        rest = rest.strip()
        if word in ("/quit", "/exit"):
            return False
        if word == "/as":
            if not rest or " " in rest or len(rest) > 32:
                self.out("[console] Usage: /as NAME (one word)")
                return True
            await self._become(rest)
            return True
        if word == "/channel":
            if self.current is None:
                self.out("[console] First say who you are: /as NAME")
                return True
            self.out(f"[{self.channel}] <{self.current}> {visible(rest)}")
            burned = await self.app.invoker.seen_in_public(self.identity(self.current), rest)
            if burned is not None:
                self.emit(f"DM {self.current}", burned)
                return True
            if rest.startswith(self.prefix) and len(rest) > len(self.prefix):
                line = rest[len(self.prefix) :]
                reply = await self.app.invoker.handle(
                    self.identity(self.current), line, where="channel"
                )
                self._show_reply(self.current, reply, public=True)
                await self.app.drain()
            return True
        self.out("[console] Commands: /as NAME, /channel LINE, /quit; other lines are DMs.")
        return True

    async def _become(self, name: str) -> None:
        name = name.lower()
        self.current = name
        if name in self.known:
            self.out(f"[console] You are {name}.")
            return
        self.known.add(name)
        key_hash = self.app.vault.digest(self.identity(name).key)
        async with self.app.db.read() as conn:
            registered = await members.member_by_identity(conn, key_hash)
        if registered is not None:
            self.out(f"[console] You are {name} (registered as {registered.pseudonym}).")
            return
        now = self.app.clock()
        (code,) = await admin.mint(
            self.app.db,
            1,
            kind="worker",
            batch="console",
            now=now,
            expires_at=now + timedelta(days=1),
        )
        self.codes[name] = code
        self.out(f"[console] You are {name}, new here. Your registration code: {code}")
        self.out(f"[console] Try: register {code}   (in a script: register {{code}})")

    async def run(self, stream: Any = None) -> None:
        """Read lines until end of input (a script) or /quit (interactive)."""
        stream = stream or sys.stdin
        interactive = stream.isatty()
        if interactive:
            self.out("Dynamo console. /as NAME to become someone; `help` for commands.")
        if interactive:
            _line_editing(sorted(self.app.invoker.registry.commands))
        while True:
            if interactive:
                try:
                    raw = await asyncio.to_thread(input, f"{self.current or '?'}> ")
                except EOFError:
                    break
                raw += "\n"
            else:
                raw = await asyncio.to_thread(stream.readline)
            if raw == "":
                break
            if not interactive and raw.strip() and not raw.startswith("# "):
                self.out(f"> {visible(raw.rstrip())}")
            if not await self.line(raw):
                break


def _line_editing(commands: list[str]) -> None:
    """Arrow keys, editing, history (this session only: lines hold registration codes) and
    Tab completing command names, for the interactive console, where the standard library's
    readline exists."""
    try:
        import readline
    except ImportError:  # not on every platform; plain input() then
        return

    def complete(text: str, state: int) -> str | None:
        typed = readline.get_line_buffer().lstrip()
        found = [c[len(typed) - len(text) :] for c in commands if c.startswith(typed)]
        return found[state] if state < len(found) else None

    readline.set_completer_delims(" ")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")
