"""Real `dynamo run` processes for the fault tests, and a look into their database.

A `Bot` is one `python -m bot.cli --config CONFIG run`, as an operator starts it, with its
log in a file of its own for each run; `kill()` is SIGKILL, nothing tidied up. `Peek`
reads (and, where a test needs it, changes) the database from outside, as an operator
with `psql` or `sqlite3` would. `Member` is a person on IRC who registers and acts by
private message, as members do.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Row

from commands import admin
from storage.db import Database
from storage.types import utcnow
from tests.irc.client import IrcTestClient, Line
from tests.irc.ngircd import NgircdServer
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]
CHANNEL = "#dynamo"


@dataclass(frozen=True)
class Network:
    """One `[[irc]]` table: a network `name` on `server`, where the bot is `nick`."""

    name: str
    server: NgircdServer
    nick: str = "dynamo"


def write_config(
    path: Path,
    *,
    url: str,
    networks: Sequence[Network],
    instance: str = "",
    takeover_seconds: float = 30.0,
    launch_upvotes: int = 25,
    rate: float = 100.0,
    burst: int | None = None,
    admins: Sequence[str] = (),
    smtp_port: int | None = None,
) -> Path:
    """A config as an operator writes it: no delay before public effects (these tests are
    not about timing attacks), no scheduled posts, and pacing that keeps up with a storm."""
    lines = [
        "[web]",
        'listen = ""',
        "",
        "[database]",
        f'url = "{url}"',
        f"takeover_seconds = {takeover_seconds}",
        f'instance = "{instance}"',
        "",
        "[rules]",
        f"launch_upvotes = {launch_upvotes}",
        "",
        "[privacy]",
        'max_public_delay = "0s"',
        "",
        "[schedule]",
        'weekly_update = "off"',
        'daily_digest = "off"',
        "",
        "[admins]",
        "identities = [" + ", ".join(f'"{a}"' for a in admins) + "]",
    ]
    if smtp_port is not None:
        lines += [
            "",
            "[email]",
            'host = "127.0.0.1"',
            f"port = {smtp_port}",
            "starttls = false",
            'from = "dynamo@movement.example"',
            "timeout = 5.0",
        ]
    for network in networks:
        lines += [
            "",
            "[[irc]]",
            f'name = "{network.name}"',
            f'host = "{network.server.host}"',
            f"port = {network.server.port}",
            f'nick = "{network.nick}"',
            f'channels = ["{CHANNEL}"]',
            'identity = "nick"',
            f"burst = {burst if burst is not None else max(int(rate), 1)}",
            f"rate = {rate}",
            "reconnect_max_delay = 1.0",
        ]
    path.write_text("\n".join(lines) + "\n")
    return path


class Bot:
    """`dynamo run` with `config`; each start logs to `<name>-<n>.log` beside the config."""

    def __init__(self, config: Path, name: str = "bot") -> None:
        self.config = config
        self.name = name
        self.runs = 0
        self.process: asyncio.subprocess.Process | None = None
        self.log: Path | None = None

    async def start(self) -> None:
        assert not self.running, f"{self.name} is already running"
        self.runs += 1
        self.log = self.config.parent / f"{self.name}-{self.runs}.log"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("DYNAMO_DATABASE_URL", None)
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "--config",
                str(self.config),
                "run",
                cwd=self.config.parent,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def pause(self) -> None:
        """SIGSTOP, and wait until the process is stopped: from then on it does nothing
        (writes nothing) until `resume`."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        pid = self.process.pid
        await eventually(lambda: process_state(pid) == "T", f"{self.name} to stop", within=5)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    async def kill(self) -> None:
        """SIGKILL: no clean-up, no QUIT, leases and claims left as they were."""
        assert self.process is not None
        self.process.kill()
        async with asyncio.timeout(10):
            await self.process.wait()

    async def stop(self) -> int:
        """SIGTERM, as an operator stops it; its exit status."""
        assert self.process is not None
        if self.running:
            self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(15):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode or 0

    def said(self) -> str:
        """This run's log so far."""
        return self.log.read_text(errors="replace") if self.log else ""

    def logs(self) -> str:
        """Every run's log, for a failing assertion's message."""
        parts = []
        for run in range(1, self.runs + 1):
            log = self.config.parent / f"{self.name}-{run}.log"
            if log.exists():
                parts.append(f"--- {log.name}\n{log.read_text(errors='replace')}")
        return "\n".join(parts)

    async def wait_log(self, pattern: str, timeout: float = 20.0) -> str:  # noqa: ASYNC109
        """The first line of this run's log matching `pattern` (a regex), once it is there."""
        regex = re.compile(pattern)
        try:
            async with asyncio.timeout(timeout):
                while True:
                    for line in self.said().splitlines():
                        if regex.search(line):
                            return line
                    if not self.running:
                        raise AssertionError(f"{self.name} exited:\n{self.said()}")
                    await asyncio.sleep(0.05)
        except TimeoutError:
            raise AssertionError(f"{self.name} never logged {pattern!r}:\n{self.said()}") from None


def process_state(pid: int) -> str:
    """R, S, T (stopped), ...: the field after the command's name in /proc/PID/stat."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]


class Peek:
    """The bot's database seen from outside, by SQL, through the bot's own storage layer (a
    process of its own would do the same)."""

    def __init__(self, url: str) -> None:
        self.db = Database(url, pool_size=1)

    async def rows(self, sql: str, **params: Any) -> list[Row[Any]]:
        async with self.db.read() as conn:
            return list(await conn.execute(text(sql), params))

    async def execute(self, sql: str, **params: Any) -> int:
        async with self.db.write() as conn:
            result = await conn.execute(text(sql), params)
            return int(result.rowcount or 0)

    async def dispose(self) -> None:
        await self.db.dispose()


async def mint(url: str, count: int) -> list[str]:
    """Registration codes, as `dynamo codes mint` makes them (the schema must exist)."""
    db = Database(url)
    try:
        return await admin.mint(
            db, count, kind="worker", batch="faults", now=utcnow(), expires_at=None
        )
    finally:
        await db.dispose()


def from_bot(nick: str, target: str) -> Any:
    """A predicate: a PRIVMSG from `nick` to `target`."""

    def match(line: Line) -> bool:
        return (
            line.command == "PRIVMSG"
            and line.nick.lower() == nick.lower()
            and line.params[0].lower() == target.lower()
        )

    return match


@dataclass
class Member:
    """A person on one network, in the channel, who talks to the bot privately."""

    client: IrcTestClient
    bot: str = "dynamo"
    pseudonym: str = ""
    acked: set[int] = field(default_factory=set)

    @classmethod
    async def arrive(cls, server: NgircdServer, nick: str, bot: str = "dynamo") -> Member:
        client = await IrcTestClient.connect(server.host, server.port, nick)
        await client.join(CHANNEL)
        return cls(client, bot)

    @property
    def nick(self) -> str:
        return self.client.nick

    async def ask(self, line: str, timeout: float = 15.0) -> str:  # noqa: ASYNC109
        """Say `line` to the bot privately; the first line of its answer."""
        mark = self.client.mark()
        await self.client.privmsg(self.bot, line)
        reply = await self.client.wait_for(from_bot(self.bot, self.nick), timeout, since=mark)
        return reply.text

    async def register(self, code: str) -> str:
        offer = await self.ask(f"register {code}")
        assert "could be" in offer, offer
        chosen = await self.ask("choose")
        match = re.search(r"You are \x02([a-z]+_[a-z]+)\x02", chosen)
        assert match, chosen
        self.pseudonym = match.group(1)
        return self.pseudonym

    async def pitch(self, idea: str) -> int:
        answer = await self.ask(f"pitch {idea}")
        match = re.search(r"Pitched as idea #(\d+)", answer)
        assert match, answer
        return int(match.group(1))

    def dms(self) -> list[str]:
        """Every private line from the bot so far."""
        return [line.text for line in self.client.received(from_bot(self.bot, self.nick))]


async def watch(server: NgircdServer, nick: str = "watcher") -> IrcTestClient:
    """A silent client in the channel: what everyone there sees."""
    client = await IrcTestClient.connect(server.host, server.port, nick)
    await client.join(CHANNEL)
    return client


def channel_lines(watcher: IrcTestClient, bots: Sequence[str] = ("dynamo",)) -> list[Line]:
    """What the bot(s) said in the channel, in the order the watcher saw it."""
    wanted = {bot.lower() for bot in bots}
    return [
        line
        for line in watcher.received(lambda line: line.command == "PRIVMSG")
        if line.nick.lower() in wanted and line.params[0].lower() == CHANNEL
    ]


async def settle(seconds: float) -> None:
    """Let time pass (a bounded quiet spell in which nothing more may happen)."""
    await asyncio.sleep(seconds)
