"""An action on Discord (issue 14): the organizer opens it with /action, its announcement in
each guild has a Pledge button, a click pledges privately (an ephemeral answer), and the
pledge that reaches what it needs triggers it once."""

from __future__ import annotations

import pytest

from commands.framework.rules import Rules
from tests.discord.harness import DiscordChat
from tests.discord.test_campaign import launched_campaign
from tests.discord_standin import StoredMessage


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2)


async def test_the_pledge_button_pledges_privately_and_triggers_once(
    discord_chat: DiscordChat,
) -> None:
    chat = discord_chat
    names = await launched_campaign(chat)
    opened = await chat.ask(
        "ada", "action", campaign=1, pledges=2, when="14d", text="Write to the MTurk team"
    )
    assert opened.ephemeral and "Action #1 on campaign #1 is open" in opened.content

    def post(guild: int) -> StoredMessage | None:
        return next(
            (m for m in chat.announcements(guild) if "dynamo:pledge:1" in m.custom_ids), None
        )

    await chat.standin.wait_for(lambda: all(post(g) for g in (0, 1)))
    first = post(0)
    assert first is not None and "happens if 2 members pledge" in first.content

    pledged = await (await chat.click("bea", first, "dynamo:pledge:1")).reply()
    assert pledged.ephemeral and "You pledged to action #1; it has 1 of 2" in pledged.content
    assert pledged.custom_ids == ["dynamo:pledgename:1"]
    again = await chat.click_reply("bea", first, "dynamo:pledge:1")
    assert "already" in again

    second = post(1)
    assert second is not None
    on = await (await chat.click("cleo", second, "dynamo:pledge:1")).reply()
    assert on.ephemeral and "it's on" in on.content

    def stood(guild: int) -> list[StoredMessage]:
        return [m for m in chat.announcements(guild) if "stood together" in m.content]

    await chat.standin.wait_for(lambda: all(stood(g) for g in (0, 1)))
    assert [len(stood(g)) for g in (0, 1)] == [1, 1]
    assert "2 members stood together" in stood(0)[0].content
    for message in chat.announcements(0) + chat.announcements(1):
        assert names["bea"] not in message.content and names["cleo"] not in message.content
    assert len([r for r in await chat.outbox("action_triggered") if r.kind == "announce"]) == 2
