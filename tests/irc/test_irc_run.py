"""`dynamo run` as a real process on a real ngircd: joins at once, answers, stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.databases import database_without_rights, postgres_available
from tests.irc.client import IrcTestClient

ROOT = Path(__file__).resolve().parents[2]


async def test_dynamo_run_joins_answers_and_stops(
    ngircd_factory: Callable[..., Awaitable], tmp_path: Path
) -> None:
    server = await ngircd_factory(penalties=False)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[web]\nlisten = ""\n\n[database]\nurl = "sqlite:///{tmp_path / "run.db"}"\n\n'
        f'[[irc]]\nname = "local"\nhost = "127.0.0.1"\nport = {server.port}\n'
        'nick = "dynamo"\nchannels = ["#dynamo"]\nidentity = "nick"\n'
    )
    watcher = await IrcTestClient.connect(server.host, server.port, "watcher")
    await watcher.join("#dynamo")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DYNAMO_DATABASE_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "--config",
        str(config),
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await watcher.wait_for(lambda line: line.command == "JOIN" and line.nick == "dynamo")
        # Asked while the bot may still be loading: the answer still comes.
        await watcher.privmsg("dynamo", "ideas")
        reply = await watcher.wait_for(
            lambda line: line.command == "PRIVMSG" and line.nick == "dynamo", timeout=20
        )
        assert "No open ideas yet" in reply.text
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(15):
            code = await process.wait()
        assert code == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await watcher.quit()
    assert process.stderr is not None
    errors = (await process.stderr.read()).decode()
    assert "Traceback" not in errors, errors


async def test_a_database_found_wrong_after_joining_stops_the_bot_cleanly(
    ngircd_factory: Callable[..., Awaitable], tmp_path: Path
) -> None:
    """A PostgreSQL user that may connect but not create the bot's tables passes the check
    made before connecting to IRC; the migrations then fail, after the bot has joined. It
    says why in one line and leaves with a QUIT, not a traceback and a dropped socket."""
    unreachable = postgres_available()
    if unreachable:
        pytest.skip(unreachable)
    server = await ngircd_factory(penalties=False)
    watcher = await IrcTestClient.connect(server.host, server.port, "watcher")
    await watcher.join("#dynamo")
    with database_without_rights() as url:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[web]\nlisten = ""\n\n[database]\nurl = "{url}"\n\n'
            f'[[irc]]\nname = "local"\nhost = "127.0.0.1"\nport = {server.port}\n'
            'nick = "dynamo"\nchannels = ["#dynamo"]\nidentity = "nick"\n'
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("DYNAMO_DATABASE_URL", None)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "--config",
            str(config),
            "run",
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            async with asyncio.timeout(30):
                _out, err = await process.communicate()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    await watcher.wait_for(lambda line: line.command == "JOIN" and line.nick == "dynamo")
    await watcher.wait_for(lambda line: line.command == "QUIT" and line.nick == "dynamo")
    await watcher.quit()
    assert process.returncode == 2
    errors = err.decode()
    assert "Traceback" not in errors, errors
    said = [line for line in errors.splitlines() if line.startswith("dynamo: ")]
    assert len(said) == 1 and "may not create or change the bot's tables" in said[0], errors
