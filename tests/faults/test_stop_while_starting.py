"""SIGTERM in the first second, while `dynamo run` has joined IRC and is still loading the
rest of itself (bot/transports/irc/early.py): it still stops cleanly, with a QUIT and exit
status 0, as an operator (or systemd, restarting it) expects."""

from __future__ import annotations

import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests.faults.processes import Bot, Network, watch, write_config
from tests.irc.ngircd import NgircdServer


async def test_sigterm_while_loading_stops_cleanly(
    ngircd_factory: Callable[..., Awaitable[NgircdServer]], sqlite_url: str, tmp_path: Path
) -> None:
    server = await ngircd_factory(penalties=False)
    config = write_config(
        tmp_path / "config.toml", url=sqlite_url, networks=[Network("local", server)]
    )
    watcher = await watch(server)
    bot = Bot(config)
    try:
        await bot.start()
        await watcher.wait_for(
            lambda line: line.command == "JOIN" and line.nick == "dynamo", timeout=15
        )
        assert "started with" not in bot.said()  # still loading
        assert bot.process is not None
        bot.process.send_signal(signal.SIGTERM)
        quit_line = await watcher.wait_for(
            lambda line: line.command == "QUIT" and line.nick == "dynamo", timeout=15
        )
        assert await bot.stop() == 0, bot.said()
        assert "shutting down" in quit_line.text
        assert "Traceback" not in bot.said(), bot.said()
    finally:
        if bot.running:
            await bot.kill()
        await watcher.close()
