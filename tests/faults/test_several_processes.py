"""Several `dynamo run` processes on one PostgreSQL database.

- Each with a network of its own: every network hears every idea, once, whichever process
  it was pitched through.
- Both with the same network: one serves it and answers its channel, once; killed, the other
  takes over within `takeover_seconds` and answers once in its turn.
"""

from __future__ import annotations

import asyncio
import time
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
from tests.irc.client import IrcTestClient
from tests.irc.ngircd import NgircdServer

NgircdFactory = Callable[..., Awaitable[NgircdServer]]
TAKEOVER = 3.0
# How often a process looks at the database (a third of takeover_seconds), with room.
ROUND = TAKEOVER / 3 + 1.0


async def announced_once(watcher: IrcTestClient, idea: int, bots: tuple[str, ...]) -> None:
    """The idea's announcement is in the channel; after a quiet spell, still only once."""
    prefix = f"New idea #{idea} "
    await watcher.wait_for(
        lambda line: line.command == "PRIVMSG" and line.text.startswith(prefix),
        timeout=15,
        since=0,
    )
    await asyncio.sleep(1.5)
    said = [line.text for line in channel_lines(watcher, bots) if line.text.startswith(prefix)]
    assert len(said) == 1, said


@pytest.mark.slow
async def test_each_network_hears_every_idea_once_whichever_process_took_it(
    ngircd_factory: NgircdFactory, postgres_url: str, tmp_path: Path
) -> None:
    servers = {"neta": await ngircd_factory(penalties=False)}
    servers["netb"] = await ngircd_factory(penalties=False)
    bots = {}
    for name, server in servers.items():
        (tmp_path / name).mkdir()
        config = write_config(
            tmp_path / name / "config.toml",
            url=postgres_url,
            networks=[Network(name, server)],
            instance=name,
            takeover_seconds=TAKEOVER,
        )
        bots[name] = Bot(config, name)
    watchers = {name: await watch(server) for name, server in servers.items()}
    alice = await Member.arrive(servers["neta"], "alice")
    bob = await Member.arrive(servers["netb"], "bob")
    peek = Peek(postgres_url)
    try:
        for bot in bots.values():
            await bot.start()
        for name, bot in bots.items():
            await bot.wait_log(f"serving irc:{name}")
            await bot.wait_log("started with")
        known = time.monotonic() + ROUND  # each has seen the other's network by then
        alice_code, bob_code = await mint(postgres_url, 2)
        await asyncio.gather(alice.register(alice_code), bob.register(bob_code))
        await asyncio.sleep(known - time.monotonic())

        on_a = await alice.pitch("Pay for qualification tests")
        on_b = await bob.pitch("A floor of 12 dollars an hour for surveys")

        for watcher in watchers.values():
            await asyncio.gather(
                announced_once(watcher, on_a, ("dynamo",)),
                announced_once(watcher, on_b, ("dynamo",)),
            )
        rows = await peek.rows(
            "SELECT space, payload::json->>'idea_id' AS idea, sent_at FROM outbox "
            "WHERE kind = 'announce' ORDER BY id"
        )
        assert sorted((row.space, int(row.idea)) for row in rows) == sorted(
            (f"irc:{name}", idea) for name in servers for idea in (on_a, on_b)
        )
        assert all(row.sent_at is not None for row in rows)
        for bot in bots.values():
            assert await bot.stop() == 0
            assert "Traceback" not in bot.logs(), bot.logs()
    finally:
        for bot in bots.values():
            if bot.running:
                await bot.kill()
        for client in [*watchers.values(), alice.client, bob.client]:
            await client.close()
        await peek.dispose()
