"""SIGTERM in the first second, while `dynamo run` is connecting to IRC and has not loaded the
rest of itself yet (bot/transports/irc/early.py): it still stops cleanly, with a QUIT and
exit status 0, as an operator (or systemd, restarting it) expects.

A second network whose server is frozen (it accepts the connection and never answers) keeps
the bot waiting its full second for every network to join before it loads: the signal is
sure to come while it is still loading, however slow the machine.
"""

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
    frozen = await ngircd_factory(penalties=False)
    frozen.pause()
    config = write_config(
        tmp_path / "config.toml",
        url=sqlite_url,
        networks=[Network("local", server), Network("frozen", frozen)],
    )
    watcher = await watch(server)
    bot = Bot(config)
    try:
        await bot.start()
        await watcher.wait_for(
            lambda line: line.command == "JOIN" and line.nick == "dynamo", timeout=15
        )
        assert "started with" not in bot.said()  # still waiting for the frozen network
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
