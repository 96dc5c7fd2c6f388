"""Accounts by default: on IRC a member is their services account unless "nick" is chosen.

Trusting nicks means whoever holds a nick acts as its member: on a network where nicks
can be taken over, anyone could vote and sign as someone else. So it is never a default,
and a bot that is told to trust nicks says so in its log, once, at start-up.
"""

from __future__ import annotations

import asyncio
import logging
import re
import tomllib
from pathlib import Path

import pytest

from bot.config import from_dict
from bot.transports.irc.connection import IrcConnection
from bot.transports.irc.settings import IrcNetworkSettings
from commands.framework.reply import IdentityRef
from tests.irc.conftest import MakeChat, NgircdFactory
from tests.waiting import eventually

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"
TRUSTS = "whoever holds a nick on local acts as its member"


def test_a_network_is_served_by_account_unless_nick_is_chosen() -> None:
    assert IrcNetworkSettings(name="libera", host="irc.libera.chat").identity == "account"
    lines = EXAMPLE.read_text().splitlines()
    uncommented = [line[1:] if re.match(r"^#(\[\[|[a-z_]+ = )", line) else line for line in lines]
    config = from_dict(tomllib.loads("\n".join(uncommented)))
    assert config.irc[0].identity == "account"


@pytest.mark.parametrize("identity", ["nick", "account"])
async def test_trusting_nicks_is_said_once_at_start_up(
    ngircd_factory: NgircdFactory, caplog: pytest.LogCaptureFixture, identity: str
) -> None:
    server = await ngircd_factory(penalties=False)
    settings = IrcNetworkSettings(
        name="local",
        host=server.host,
        port=server.port,
        channels=("#dynamo",),
        identity=identity,
    )
    conn = IrcConnection(settings, reconnect_base_delay=0.05, join_timeout=5.0)
    caplog.set_level(logging.INFO)
    try:
        await conn.start()
        async with asyncio.timeout(5):
            await conn.wait_ready()
        await server.restart()
        await eventually(lambda: conn.ready_count >= 2, "the bot back after a restart")
    finally:
        await conn.stop(grace=0.5)
    said = [r for r in caplog.records if TRUSTS in r.getMessage()]
    if identity == "nick":
        assert [r.levelno for r in said] == [logging.WARNING]
    else:
        assert said == []


async def test_without_services_nobody_acts_as_anybody_by_default(make_chat: MakeChat) -> None:
    # ngircd has no services: left at the default, the bot asks everyone to log in first.
    chat = await make_chat(identity="account")
    code = await chat.mint()
    answer = await chat.dm("mallory", f"register {code}")
    assert "log in to your services account" in answer
    # The code was not touched: its owner can still use it where they can be told apart.
    reply = await chat.app.invoker.handle(
        IdentityRef("console:mallory", "console"), f"register {code}", where="dm"
    )
    assert "could be" in reply.text
