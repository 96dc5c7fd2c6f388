"""An idea launches on Discord: 25 members click ▲ on the announcement, and each of the two
guilds gets exactly one campaign thread (a forum post in one, a text-channel thread in the
other) and one launch post, while the counts on the announcement are edited in place."""

from __future__ import annotations

import asyncio

from tests.discord.harness import EDIT_INTERVAL, DiscordChat, field_value
from tests.discord_standin import StoredMessage

LAUNCH_AT = 25


async def test_twenty_five_clicks_launch_one_thread_per_guild(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    author = await chat.join("ada")
    await chat.ask("ada", "pitch", text="Pay for qualification tests")
    post = await chat.announcement(1)
    voters = [f"worker{n}" for n in range(LAUNCH_AT)]
    for name in voters:
        await chat.join(name)

    # All at once, as a rush of clicks would come.
    loop = asyncio.get_running_loop()
    rush_started = loop.time()
    answers = await asyncio.gather(
        *(chat.click_reply(name, post, "dynamo:vote:up:1") for name in voters)
    )
    assert all(a.startswith("You upvoted #1: now +") for a in answers)
    assert sum("That vote launched it" in a for a in answers) == 1
    rush_took = loop.time() - rush_started

    # One thread per guild, each opened by the one launch, and one launch post each.
    def launch_posts(guild: int) -> list[StoredMessage]:
        return [
            m
            for m in chat.announcements(guild)
            if m.embeds and m.embeds[0]["title"] == "Idea #1 is now a campaign!"
        ]

    await chat.standin.wait_for(lambda: all(launch_posts(g) for g in (0, 1)), within=10)
    forum_posts, text_threads = chat.threads(0), chat.threads(1)
    assert [t["name"] for t in forum_posts] == ["#1 Pay for qualification tests"]
    assert [t["name"] for t in text_threads] == ["#1 Pay for qualification tests"]
    for guild, (thread,) in ((0, forum_posts), (1, text_threads)):
        (starter,) = chat.standin.messages_in(int(thread["id"]))
        assert starter.embeds[0]["title"] == "Campaign #1"
        assert starter.embeds[0]["description"] == "Pay for qualification tests"
        assert field_value(starter, "Pitched by") == author
        assert field_value(starter, "Document") == (
            "Empty so far: start it with `/doc campaign:1 action:edit text:…`"
        )

        launches = launch_posts(guild)
        assert len(launches) == 1
        assert field_value(launches[0], "Discussion") == f"<#{thread['id']}>"
        # Coming close to launch was announced once, too.
        close = [m for m in chat.announcements(guild) if "close to launching" in str(m.embeds)]
        assert len(close) == 1

    # The announcement shows the final count, edited in place: at most one edit per
    # interval while the clicks came in, and one more with the final state.
    def launched(guild: int) -> bool:
        shown = chat.standin.message(post.id if guild == 0 else other.id)
        return field_value(shown, "Votes") == "▲ 25 · ▼ 0"

    other = await chat.announcement(1, guild=1)
    await chat.standin.wait_for(lambda: launched(0) and launched(1), within=10)
    shown = chat.standin.message(post.id)
    assert shown.embeds[0]["title"] == "Campaign #1"
    assert field_value(shown, "To launch") == "Launched as a campaign"
    edits = chat.standin.requests_to("PATCH", f"/channels/{post.channel_id}/messages/{post.id}")
    assert 1 <= len(edits) <= rush_took / EDIT_INTERVAL + 3

    # More votes after the launch still reach the counts; the launch never repeats.
    late = await chat.join("latecomer")
    assert late
    await chat.click_reply("latecomer", post, "dynamo:vote:down:1")
    await chat.standin.wait_for(
        lambda: field_value(chat.standin.message(post.id), "Votes") == "▲ 25 · ▼ 1", within=10
    )
    assert len(chat.threads(0)) == len(chat.threads(1)) == 1
