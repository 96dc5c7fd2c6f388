"""An IRC network down for longer than any retry budget: what it missed goes out once when
it is back, in order, and nothing is given up.

Deliveries to a space that is down wait without counting against their attempts (25 failures
while connected give a row up). The outage is made long by the database rather than by the
clock: its rows are given 100 attempts and made due again, as hours of retries would have
left them, and are tried (and put back) once more while the server is still down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.faults.processes import (
    Bot,
    Member,
    Network,
    Peek,
    channel_lines,
    mint,
    watch,
    write_config,
)
from tests.irc.ngircd import NgircdServer
from tests.waiting import eventually

QUIET = 1.0
IDEAS = (
    "Pay for qualification tests",
    "A floor of 12 dollars an hour for surveys",
    "Answer every rejection within a day",
)
# The announcements for the network that is down, still to go.
MISSED = "kind = 'announce' AND space = 'irc:neta' AND sent_at IS NULL"


@pytest.mark.slow
async def test_what_a_network_missed_while_down_goes_out_once_when_it_is_back(
    ngircd_factory: Callable[..., Awaitable[NgircdServer]], sqlite_url: str, tmp_path: Path
) -> None:
    down = await ngircd_factory(penalties=False)
    up = await ngircd_factory(penalties=False)
    config = write_config(
        tmp_path / "config.toml",
        url=sqlite_url,
        networks=[Network("neta", down), Network("netb", up)],
    )
    (code,) = await mint(sqlite_url, 1)
    bot = Bot(config)
    peek = Peek(sqlite_url)
    watcher = await watch(down)
    alice = await Member.arrive(up, "alice")
    try:
        await bot.start()
        await bot.wait_log("started with")
        await watcher.wait_for(lambda line: line.command == "JOIN" and line.nick == "dynamo")
        await alice.register(code)

        await down.stop()
        await watcher.close()
        await bot.wait_log(r"irc\[neta\]: disconnected")
        ideas = [await alice.pitch(text) for text in IDEAS]

        # Tried while down, and put back without counting.
        async def tried() -> bool:
            rows = await peek.rows(f"SELECT attempts, last_error FROM outbox WHERE {MISSED}")
            return len(rows) == 3 and all(
                r.attempts == 0 and (r.last_error or "").startswith("space down") for r in rows
            )

        await eventually(tried, "the announcements to be tried while the network is down")
        # Down for hours: far past the 25 counted failures that give a row up.
        hours_later = f"UPDATE outbox SET attempts = 100, available_at = created_at WHERE {MISSED}"
        assert await peek.execute(hours_later) == 3

        async def tried_again() -> bool:
            rows = await peek.rows(
                f"SELECT available_at > created_at AS later FROM outbox WHERE {MISSED}"
            )
            return all(r.later for r in rows)

        await eventually(tried_again, "the announcements to be tried again")
        rows = await peek.rows(f"SELECT attempts, failed_at FROM outbox WHERE {MISSED}")
        assert [(r.attempts, r.failed_at) for r in rows] == [(100, None)] * 3

        # Back; someone is in the channel before the bot can be (it is paused meanwhile).
        await bot.pause()
        await down.start()
        watcher = await watch(down)
        bot.resume()
        await watcher.wait_for(
            lambda line: line.command == "JOIN" and line.nick == "dynamo", timeout=15
        )
        for idea in ideas:
            await watcher.wait_for(
                lambda line, idea=idea: line.text.startswith(f"New idea #{idea} "), timeout=15
            )
        await asyncio.sleep(QUIET)
        said = [line.text.split(" by ")[0] for line in channel_lines(watcher)]
        assert said == [f"New idea #{idea}" for idea in ideas]
        rows = await peek.rows(
            "SELECT space, sent_at, failed_at FROM outbox WHERE kind = 'announce'"
        )
        assert len(rows) == 6
        assert all(r.sent_at is not None and r.failed_at is None for r in rows)
        await bot.wait_log(r"irc:neta back after \d+ s: 3 waiting announcements delivered")
        assert await bot.stop() == 0
        assert "Traceback" not in bot.logs(), bot.logs()
    finally:
        if bot.running:
            await bot.kill()
        for client in (watcher, alice.client):
            await client.close()
        await peek.dispose()
