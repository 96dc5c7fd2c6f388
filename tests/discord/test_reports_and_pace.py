"""Reports and a discussion's pace on Discord: `/report` answers privately and the reported
message's words are replaced in every thread once enough members reported it; `/mod slow`
is told in the campaign's thread, and a second `/say` within the interval is refused
privately."""

from __future__ import annotations

import pytest

from commands.framework.rules import Rules
from tests.discord.harness import DiscordChat
from tests.discord.test_campaign import launched_campaign, thread_id


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2)


async def test_report_and_slow_mode_by_slash_command(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    names = await launched_campaign(chat)
    await chat.join("dan")
    await chat.set_dynamo_role("dan", "moderator")
    await chat.give_moderator_role("dan")

    said = await chat.ask("bea", "say", campaign=1, text="You are all fools.")
    assert said.ephemeral and "[say 1]" in said.content
    first = await chat.ask("ada", "report", kind="say", target="1", reason="An insult.")
    assert first.ephemeral and "never who sent it" in first.content
    await chat.ask("cleo", "report", kind="say", target="1", reason="Rude.")
    await chat.join("eve")
    await chat.ask("eve", "report", kind="say", target="1", reason="Uncalled for.")
    # Hidden at the third reporter: the words in each guild's thread are replaced.
    for guild in (0, 1):
        await chat.standin.wait_for(
            lambda g=guild: (
                [p.content for p in chat.standin.webhook_posts(thread_id(chat, g))]
                == ["\\[hidden by reports] \\[say 1]"]
            )
        )
    listing = await chat.ask("dan", "mod reports")
    assert listing.ephemeral and "message [say 1]" in listing.content
    assert "hidden by reports" in listing.content and "An insult." in listing.content
    for name in ("ada", "cleo"):
        assert names[name] not in listing.content

    kept = await chat.ask("dan", "mod report", report=1, decision="keep")
    assert kept.ephemeral and "kept and shown" in kept.content
    for guild in (0, 1):
        await chat.standin.wait_for(
            lambda g=guild: (
                [p.content for p in chat.standin.webhook_posts(thread_id(chat, g))]
                == ["You are all fools. \\[say 1]"]
            )
        )

    slowed = await chat.ask("dan", "mod slow", campaign=1, span="10m", reason="Cool down.")
    assert slowed.ephemeral and "every 10 minutes" in slowed.content
    for guild in (0, 1):
        await chat.standin.wait_for(
            lambda g=guild: any(
                "slowed campaign #1's discussion" in m.content and "Cool down." in m.content
                for m in chat.standin.messages_in(thread_id(chat, g))
            )
        )
    assert "Said in campaign #1" in (await chat.ask("ada", "say", campaign=1, text="Ok.")).content
    refused = await chat.ask("ada", "say", campaign=1, text="And more.")
    assert refused.ephemeral and "in slow mode" in refused.content
