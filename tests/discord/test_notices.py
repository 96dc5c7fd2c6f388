"""Notices on Discord: private messages to members, a campaign closed by the moderators, and
events this transport has no special look for (shown as their plain text)."""

from __future__ import annotations

import pytest

from commands.framework.rules import Rules
from tests.discord.harness import DiscordChat, field_value


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2)


async def test_a_promotion_reaches_the_member_by_dm(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    await chat.join("ada")
    cleo = await chat.join("cleo")
    dan = await chat.join("dan")
    await chat.set_dynamo_role("ada", "admin")
    await chat.give_moderator_role("ada")

    done = await chat.ask("ada", "mod promote", pseudonym=cleo, role="moderator")
    assert done.ephemeral and f"{cleo} is now moderator" in done.content
    (notice,) = await chat.standin.wait_for(
        lambda: [m for m in chat.standin.dms_to(chat.person("cleo")) if not m.ephemeral]
    )
    assert notice.content == "An admin raised your role: you are now a moderator of this Dynamo."
    assert notice.allowed_mentions == {"parse": []}

    # Someone who closed their DMs: Discord refuses the notice (50007), nothing else breaks
    # (test_platform_refusals has what becomes of the notice).
    chat.standin.close_dms(chat.person("dan"))
    promoted = await chat.ask("ada", "mod promote", pseudonym=dan, role="moderator")
    assert f"{dan} is now moderator" in promoted.content
    dm_channel = chat.standin.dm_channel_id(chat.person("dan"))
    await chat.standin.wait_for(
        lambda: [
            r
            for r in chat.standin.requests_to("POST", f"/channels/{dm_channel}/messages")
            if r.status == 403
        ]
    )
    assert "You follow nothing" in (await chat.ask("dan", "subscriptions")).content


async def test_closing_a_campaign_takes_the_buttons_off(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    await chat.join("ada")
    await chat.join("bea")
    await chat.set_dynamo_role("ada", "moderator")
    await chat.give_moderator_role("ada", guild=1)
    await chat.ask("ada", "pitch", text="Pay for qualification tests")
    post = await chat.announcement(1)
    await chat.click_reply("ada", post, "dynamo:vote:up:1")
    await chat.click_reply("bea", post, "dynamo:vote:up:1")
    await chat.ask("ada", "petition", campaign=1, text="We ask requesters to pay for tests.")
    (thread,) = await chat.standin.wait_for(lambda: chat.threads(1))
    thread_id = int(thread["id"])

    def petition() -> object:
        return next(
            (m for m in chat.standin.messages_in(thread_id) if m.custom_ids == ["dynamo:sign:1"]),
            None,
        )

    sign_post = await chat.standin.wait_for(petition)
    closed = await chat.ask("ada", "mod close", idea=1, guild=1)
    assert "Campaign #1 is closed" in closed.content

    for guild in (0, 1):
        await chat.standin.wait_for(
            lambda g=guild: any(
                "closed by the moderators" in str(m.embeds) for m in chat.announcements(g)
            )
        )
    await chat.standin.wait_for(
        lambda: chat.standin.state.channel(thread_id)["thread_metadata"]["locked"]
    )
    shown = chat.standin.message(post.id)
    assert shown.embeds[0]["title"] == "Idea #1 (closed)" and shown.custom_ids == []
    assert field_value(shown, "To launch") == "Closed"
    assert chat.standin.message(sign_post.id).custom_ids == []  # type: ignore[attr-defined]
    assert chat.standin.state.channel(thread_id)["thread_metadata"]["archived"]


async def test_an_event_without_its_own_look_is_shown_as_text(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    space = chat.transport.spaces[1]
    text = "Today: 3 new ideas. Vote with `upvote N`. @everyone"
    await chat.transport.deliver_announcement(space, "daily_digest", {"text": text})
    (shown,) = chat.announcements(1)
    assert shown.content == "Today: 3 new ideas. Vote with `/upvote idea:N`. @everyone"
    assert shown.allowed_mentions == {"parse": []} and not shown.pings
