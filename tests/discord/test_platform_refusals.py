"""What Discord refuses, and what the bot does about it: a DM Discord will never deliver is
tried once, not for hours; a channel only a server admin can fix (a forum that requires a
tag, a permission taken away) is told to the staff once and waits, uncounted, until it is
fixed, then goes out by itself; and a launch is announced whatever becomes of its thread."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.config import Config
from bot.outbox import Refused, SpaceDown
from bot.transports.discord.transport import DiscordTransport
from commands.framework.privacy import NO_DELAY
from commands.framework.rules import Rules
from storage.db import Database
from tests.discord.harness import WITHIN, DiscordChat, discord_settings, field_value
from tests.discord_standin import StandIn, StoredMessage
from tests.waiting import eventually

SEND_MESSAGES = 1 << 11
CREATE_PUBLIC_THREADS = 1 << 35
DMS_CLOSED = "your Discord DMs are closed to the bot"


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2)


def staff_notices(chat: DiscordChat, name: str) -> list[str]:
    """What ``name`` was told privately by the bot, other than answers to their commands."""
    return [m.content for m in chat.standin.dms_to(chat.person(name)) if not m.ephemeral]


async def with_staff(chat: DiscordChat) -> None:
    """An admin (who is told what only an admin can fix) and two members."""
    await chat.join("mod")
    await chat.set_dynamo_role("mod", "admin")
    await chat.join("ada")
    await chat.join("bea")


async def launch(chat: DiscordChat) -> StoredMessage:
    """ada pitches #1, ada and bea upvote it: it launches. Returns its post in guild 0."""
    await chat.ask("ada", "pitch", text="Pay for qualification tests")
    post = await chat.announcement(1)
    await chat.click_reply("ada", post, "dynamo:vote:up:1")
    await chat.click_reply("bea", post, "dynamo:vote:up:1")
    return post


def launch_posts(chat: DiscordChat, guild: int) -> list[StoredMessage]:
    return [
        m
        for m in chat.announcements(guild)
        if m.embeds and m.embeds[0]["title"] == "Idea #1 is now a campaign!"
    ]


def has_link(message: StoredMessage, thread_id: int) -> bool:
    fields = message.embeds[0].get("fields") or []
    return any(f["name"] == "Discussion" and f["value"] == f"<#{thread_id}>" for f in fields)


async def waiting_for_a_fix(chat: DiscordChat, event: str, guild: int) -> Any:
    """The delivery of ``event`` to the guild, once it is back in the outbox waiting for an
    admin's fix (not given up on): what the fix then releases."""
    space = chat.space(guild)

    async def rows() -> list[Any]:
        return [r for r in await chat.outbox(event) if r.space == space]

    async def waiting() -> bool:
        found = await rows()
        return bool(found) and all(
            r.claimed_until is None
            and r.sent_at is None
            and "waiting for an admin to fix it" in (r.last_error or "")
            for r in found
        )

    await eventually(waiting, f"the {event} delivery to wait for a fix")
    (row,) = await rows()
    assert row.failed_at is None
    return row


# -- direct messages ----------------------------------------------------------------------


async def test_a_member_whose_dms_are_closed_is_tried_once(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    await chat.join("ada")
    dan = await chat.join("dan")
    await chat.set_dynamo_role("ada", "admin")
    await chat.give_moderator_role("ada")
    chat.close_dms("dan")

    promoted = await chat.ask("ada", "mod promote", pseudonym=dan, role="moderator")
    assert f"{dan} is now moderator" in promoted.content

    async def refused() -> bool:
        return any(DMS_CLOSED in (r.last_error or "") for r in await chat.outbox("role_changed"))

    await eventually(refused, "the refusal to reach the outbox")
    # Nothing more is delivered from here on: what Discord saw is all the bot tried.
    await chat.app.dispatcher.stop()
    assert chat.dm_requests("dan") == [403]
    (answer,) = [r for r in chat.standin.requests if r.status == 403]
    assert answer.response == {"code": 50007, "message": "Cannot send messages to this user"}
    (row,) = await chat.outbox("role_changed")
    assert row.sent_at is None


async def test_a_refused_dm_is_never_tried_again(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    await chat.join("ada")
    dan = await chat.join("dan")
    await chat.set_dynamo_role("ada", "admin")
    await chat.give_moderator_role("ada")
    chat.close_dms("dan")
    await chat.ask("ada", "mod promote", pseudonym=dan, role="moderator")

    async def refused() -> bool:
        return any(DMS_CLOSED in (r.last_error or "") for r in await chat.outbox("role_changed"))

    await eventually(refused, "the refusal to reach the outbox")
    (row,) = await chat.outbox("role_changed")
    assert row.failed_at is not None and DMS_CLOSED in row.last_error
    # Even when dan is seen again, the refused notice is not tried a second time.
    await chat.app.dispatcher.release(identity_key=f"discord:{chat.person('dan')['id']}")
    await chat.app.drain()
    assert chat.dm_requests("dan") == [403]


async def test_an_account_discord_no_longer_knows_is_refused(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    gone = chat.standin.state.ids.next()  # an id Discord never gave out, or took back
    with pytest.raises(Refused, match="Discord no longer knows your account"):
        await chat.transport.deliver_dm(f"discord:{gone}", "role_changed", {"text": "Hello"})
    (opened,) = chat.standin.requests_to("POST", "/users/@me/channels")
    assert (opened.status, opened.response["code"]) == (404, 10013)


async def test_not_connected_is_not_a_failure(standin: StandIn, db: Database) -> None:
    config = Config(discord=discord_settings(standin))
    chat = DiscordChat(standin, db, config)  # never started: no connection to Discord
    transport: DiscordTransport = chat.transport
    with pytest.raises(SpaceDown):
        await transport.deliver_announcement(chat.space(0), "daily_digest", {"text": "Hi"})
    with pytest.raises(SpaceDown):
        await transport.deliver_dm("discord:1", "role_changed", {"text": "Hi"})
    assert standin.requests == []


async def test_what_waited_for_discord_goes_out_once_it_is_ready(
    standin: StandIn, db: Database, rules: Rules
) -> None:
    standin.hold_ready()  # Discord is slow to answer: no READY yet
    config = Config(rules=rules, privacy=NO_DELAY, discord=discord_settings(standin))
    chat = DiscordChat(standin, db, config)
    chat.transport.ready_timeout = 0.2  # the bot starts anyway, and says so
    await chat.start()
    try:
        assert not chat.transport.ready
        async with chat.app.jobs.transaction(chat.app.clock()) as ctx:
            ctx.announce("weekly_update", "This week: 3 new ideas.")

        async def waiting() -> bool:
            rows = await chat.outbox("weekly_update")
            return len(rows) == 2 and all(
                "not ready" in (r.last_error or "") and r.claimed_until is None for r in rows
            )

        await eventually(waiting, "the announcements to wait for Discord")
        assert all(r.failed_at is None for r in await chat.outbox("weekly_update"))

        standin.send_ready()
        for guild in (0, 1):
            await chat.standin.wait_for(lambda g=guild: chat.announcements(g), within=WITHIN)
            (shown,) = chat.announcements(guild)
            assert shown.content == "This week: 3 new ideas."
    finally:
        await chat.stop()


# -- forums that require tags -------------------------------------------------------------


async def test_a_forum_that_requires_tags_gets_its_first_tag(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    await with_staff(chat)
    await chat.edit_forum(0, tags=["Campaign", "Question"], require_tag=True)
    await launch(chat)

    (post,) = await chat.standin.wait_for(lambda: chat.threads(0), within=WITHIN)
    campaign_tag = chat.standin.forum_tag_id(chat.campaign_parent(0), "Campaign")
    assert post["applied_tags"] == [str(campaign_tag)]
    (launched,) = await chat.standin.wait_for(lambda: launch_posts(chat, 0), within=WITHIN)
    assert has_link(launched, int(post["id"]))
    forum = chat.campaign_parent(0)
    assert [r.status for r in chat.standin.requests_to("POST", f"/channels/{forum}/threads")] == [
        200
    ]
    assert staff_notices(chat, "mod") == []


async def test_a_forum_without_the_tag_it_requires_holds_the_thread_not_the_launch(
    discord_chat: DiscordChat,
) -> None:
    chat = discord_chat
    await with_staff(chat)
    await chat.edit_forum(0, require_tag=True)  # and no tags at all
    await launch(chat)

    # The launch is announced in both servers at once; the forum's thread waits.
    (launched,) = await chat.standin.wait_for(lambda: launch_posts(chat, 0), within=WITHIN)
    assert "Discussion" not in str(launched.embeds[0].get("fields"))
    assert field_value(launched, "Votes") == "▲ 2 · ▼ 0"
    await chat.standin.wait_for(lambda: launch_posts(chat, 1) and chat.threads(1), within=WITHIN)
    assert chat.threads(0) == []
    forum = chat.campaign_parent(0)
    refused = chat.standin.requests_to("POST", f"/channels/{forum}/threads")
    assert refused and {(r.status, r.response["code"]) for r in refused} == {(400, 40067)}

    # The admin is told once, with what to do; the delivery waits, it is not given up.
    (told,) = await chat.standin.wait_for(lambda: staff_notices(chat, "mod"), within=WITHIN)
    assert told.startswith(f"In the Discord server “Dynamo Workers” ({chat.guild_id(0)}), ")
    assert "#campaigns requires a tag on every post and has none" in told
    assert "40067" in told and "Add a tag to the forum" in told
    await waiting_for_a_fix(chat, "campaign_launched", 0)
    # The rest of the server's news goes on meanwhile.
    await chat.ask("ada", "pitch", text="Answer emails within a week")
    await chat.announcement(2, guild=0)

    # The admin adds a tag: the forum post goes out with it, by itself, and the launch
    # post gets its link. Nothing is posted twice; nobody is told twice.
    await chat.edit_forum(0, tags=["Campaign"])
    (thread,) = await chat.standin.wait_for(lambda: chat.threads(0), within=WITHIN)
    assert thread["applied_tags"] == [str(chat.standin.forum_tag_id(forum, "Campaign"))]
    await chat.standin.wait_for(
        lambda: has_link(chat.standin.message(launched.id), int(thread["id"])), within=WITHIN
    )
    (starter,) = chat.standin.messages_in(int(thread["id"]))
    assert starter.embeds[0]["title"] == "Campaign #1"

    async def sent() -> bool:
        return all(r.sent_at is not None for r in await chat.outbox("campaign_launched"))

    await eventually(sent, "the launch to be delivered everywhere")
    assert len(launch_posts(chat, 0)) == len(chat.threads(0)) == 1
    assert staff_notices(chat, "mod") == [told]


async def test_a_configured_tag_the_forum_lost_is_told_to_the_staff(
    standin: StandIn, db: Database, rules: Rules
) -> None:
    forum = standin.guilds[0].channel_id("campaigns")
    await standin.edit_forum(forum, tags=["Question", "Campaign"], require_tag=True)
    tag = standin.forum_tag_id(forum, "Campaign")
    async with started(standin, db, rules, campaign_tag_id=tag) as chat:
        await with_staff(chat)
        # The configured tag, not the first one.
        await chat.ask("ada", "pitch", text="Pay for qualification tests")
        post = await chat.announcement(1)
        await chat.click_reply("ada", post, "dynamo:vote:up:1")
        await chat.click_reply("bea", post, "dynamo:vote:up:1")
        (first,) = await chat.standin.wait_for(lambda: chat.threads(0), within=WITHIN)
        assert first["applied_tags"] == [str(tag)]

        # An admin deletes that tag: the next campaign's post waits and the staff are told.
        await chat.edit_forum(0, tags=["Question"])
        await chat.ask("ada", "pitch", text="Answer emails within a week")
        second = await chat.announcement(2)
        await chat.click_reply("ada", second, "dynamo:vote:up:2")
        await chat.click_reply("bea", second, "dynamo:vote:up:2")
        (told,) = await chat.standin.wait_for(lambda: staff_notices(chat, "mod"), within=WITHIN)
        assert f"campaign_tag_id {tag} is not one of its tags" in told
        question = standin.forum_tag_id(forum, "Question")
        assert f"Question ({question})" in told and "restart the bot" in told
        assert len(chat.threads(0)) == 1


# -- permissions an admin took away -------------------------------------------------------


async def test_without_create_public_threads_the_launch_post_still_goes_out(
    discord_chat: DiscordChat,
) -> None:
    chat = discord_chat
    await with_staff(chat)
    parent = chat.campaign_parent(1)  # Turker Nation's campaign threads: a text channel
    await chat.deny_bot(parent, CREATE_PUBLIC_THREADS, guild=1)
    await launch(chat)

    (launched,) = await chat.standin.wait_for(lambda: launch_posts(chat, 1), within=WITHIN)
    assert "Discussion" not in str(launched.embeds[0].get("fields"))
    refused = chat.standin.requests_to("POST", f"/channels/{parent}/threads")
    assert refused and {(r.status, r.response["code"]) for r in refused} == {(403, 50013)}
    (told,) = await chat.standin.wait_for(lambda: staff_notices(chat, "mod"), within=WITHIN)
    assert "Turker Nation" in told and "#campaigns" in told
    assert "Discord does not let the bot make campaign threads in #campaigns" in told
    assert "Create Public Threads" in told and "50013 Missing Permissions" in told
    await waiting_for_a_fix(chat, "campaign_launched", 1)
    assert chat.threads(1) == []

    await chat.allow_bot(parent, guild=1)
    (thread,) = await chat.standin.wait_for(lambda: chat.threads(1), within=WITHIN)
    await chat.standin.wait_for(
        lambda: has_link(chat.standin.message(launched.id), int(thread["id"])), within=WITHIN
    )
    (starter,) = await chat.standin.wait_for(
        lambda: chat.standin.messages_in(int(thread["id"])), within=WITHIN
    )
    assert starter.embeds[0]["title"] == "Campaign #1"
    assert len(launch_posts(chat, 1)) == 1
    assert staff_notices(chat, "mod") == [told]


async def test_an_announce_channel_the_bot_may_not_post_in_waits_for_the_fix(
    discord_chat: DiscordChat,
) -> None:
    chat = discord_chat
    await with_staff(chat)
    news = chat.announce_channel(1)
    await chat.deny_bot(news, SEND_MESSAGES, guild=1)
    await chat.ask("ada", "pitch", text="Pay for qualification tests")

    await chat.announcement(1, guild=0)
    (told,) = await chat.standin.wait_for(lambda: staff_notices(chat, "mod"), within=WITHIN)
    assert "Turker Nation" in told
    assert "Discord does not let the bot post in #news, set as announce_channel_id" in told
    assert "View Channel, Send Messages and Embed Links" in told
    row = await waiting_for_a_fix(chat, "idea_pitched", 1)
    assert "50013" in row.last_error
    assert chat.announcements(1) == []
    refused = chat.standin.requests_to("POST", f"/channels/{news}/messages")
    assert refused and {r.status for r in refused} == {403}

    await chat.allow_bot(news, guild=1)
    shown = await chat.announcement(1, guild=1)
    assert shown.embeds[0]["description"] == "Pay for qualification tests"
    assert len(chat.announcements(1)) == 1
    assert staff_notices(chat, "mod") == [told]


@asynccontextmanager
async def started(
    standin: StandIn, db: Database, rules: Rules, **guild0: Any
) -> AsyncIterator[DiscordChat]:
    """The bot, with settings of the first guild changed (``campaign_tag_id=...``)."""
    settings = discord_settings(standin)
    first = dataclasses.replace(settings.guilds[0], **guild0)
    discord = dataclasses.replace(settings, guilds=(first, *settings.guilds[1:]))
    chat = DiscordChat(standin, db, Config(rules=rules, privacy=NO_DELAY, discord=discord))
    await chat.start()
    try:
        assert chat.transport.client is not None
        await chat.transport.client.tree.sync()
        yield chat
    finally:
        await chat.stop()
