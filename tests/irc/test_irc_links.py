"""On IRC an announcement ends with the link to its page when `[web] public_url` is set."""

from __future__ import annotations

from bot.web.settings import WebSettings
from commands.framework.rules import Rules
from tests.irc.conftest import MakeChat

PUBLIC = "https://dynamo.example.org"


async def test_irc_announcements_end_with_the_link(make_chat: MakeChat) -> None:
    chat = await make_chat(
        rules=Rules(launch_upvotes=1), web=WebSettings(listen="", public_url=PUBLIC)
    )
    await chat.join("ada")
    await chat.dm("ada", "pitch Pay for qualification tests")
    pitched = await chat.announcement("Pay for qualification tests")
    assert pitched.text.endswith(f" {PUBLIC}/ideas/1")
    await chat.dm("ada", "upvote 1")
    launched = await chat.announcement("now a campaign")
    assert launched.text.endswith(f" {PUBLIC}/campaigns/1")
