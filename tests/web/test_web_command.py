"""`web` tells a member what the admin must set when the editor can't be reached, and gives
each member a link of their own, only privately."""

from __future__ import annotations

import pytest

from bot.config import Config
from bot.web.settings import WebSettings
from commands.framework.privacy import NO_DELAY
from storage.db import Database
from tests.harness import ConsoleChat


async def ask(db: Database, settings: WebSettings, line: str = "web") -> str:
    chat = ConsoleChat(db, Config(privacy=NO_DELAY, web=settings))
    await chat.start()
    try:
        await chat.join("alice")
        return await chat.dm("alice", line)
    finally:
        await chat.stop()


async def test_with_the_web_off_the_admin_is_told_what_to_set(db: Database) -> None:
    reply = await ask(db, WebSettings(listen=""))
    assert "[web] listen" in reply and "[web] public_url" in reply
    assert "/login/" not in reply


async def test_without_a_public_address_the_admin_is_told_to_set_it(db: Database) -> None:
    reply = await ask(db, WebSettings(listen="127.0.0.1:0", public_url=""))
    assert "[web] public_url" in reply and "/login/" not in reply


@pytest.mark.parametrize("line", ["web", "web logout"])
async def test_web_is_never_acted_on_in_public(db: Database, line: str) -> None:
    chat = ConsoleChat(db, Config(privacy=NO_DELAY, web=WebSettings(public_url="https://d.org")))
    await chat.start()
    try:
        await chat.join("alice")
        assert await chat.channel("alice", f"!{line}") is None
        assert "private message" in chat.last_dm("alice")
        assert "/login/" not in chat.everything_public()
    finally:
        await chat.stop()


async def test_each_link_is_new_and_for_15_minutes(db: Database) -> None:
    settings = WebSettings(listen="127.0.0.1:0", public_url="https://dynamo.example.org")
    first = await ask(db, settings)
    assert "https://dynamo.example.org/login/" in first and "15 minutes" in first
