"""A campaign on Discord: its petition with a one-click Sign button and a live count, a name
shown by choice through a form, and pseudonymous talk posted by webhook in its threads."""

from __future__ import annotations

import pytest

from bot.transports.discord.webhooks import avatar_url
from commands.framework.rules import Rules
from tests.discord.harness import DiscordChat, field_value
from tests.discord_standin import StoredMessage


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2)


async def launched_campaign(chat: DiscordChat) -> dict[str, str]:
    """ada pitches, ada and bea upvote: campaign #1, with a thread in each guild."""
    names = {name: await chat.join(name) for name in ("ada", "bea", "cleo")}
    await chat.ask("ada", "pitch", text="Pay for qualification tests")
    post = await chat.announcement(1)
    await chat.click_reply("ada", post, "dynamo:vote:up:1")
    assert "launched it" in await chat.click_reply("bea", post, "dynamo:vote:up:1")
    await chat.standin.wait_for(lambda: all(len(chat.threads(g)) == 1 for g in (0, 1)))
    return names


def thread_id(chat: DiscordChat, guild: int) -> int:
    (thread,) = chat.threads(guild)
    return int(thread["id"])


def petition_in(chat: DiscordChat, guild: int) -> StoredMessage | None:
    return next(
        (
            m
            for m in chat.standin.messages_in(thread_id(chat, guild))
            if m.embeds and m.embeds[0]["title"].startswith("Petition")
        ),
        None,
    )


async def test_sign_button_signs_and_a_name_can_be_shown(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    await launched_campaign(chat)

    # The organizer writes the statement in a form.
    opened = await chat.slash("ada", "petition", campaign=1)
    assert (await opened.response())["type"] == 9
    assert opened.modal is not None and opened.modal["custom_id"] == "dynamo:petition:1"
    statement = "We ask requesters to pay for qualification tests. @everyone"
    done = await chat.submit("ada", "dynamo:petition:1", petition_text=statement)
    assert "It has been announced" in done.content

    await chat.standin.wait_for(lambda: all(petition_in(chat, g) for g in (0, 1)))
    petition = petition_in(chat, 1)
    assert petition is not None
    # Shown as typed; the mention made inert (a zero-width space after the "@").
    shown_statement = "We ask requesters to pay for qualification tests. @\u200beveryone"
    assert petition.embeds[0]["description"] == shown_statement
    assert field_value(petition, "Signatures") == "0"
    assert petition.custom_ids == ["dynamo:sign:1"]
    note = [m for m in chat.announcements(0) if "petition" in str(m.embeds).lower()]
    assert len(note) == 1 and note[0].custom_ids == ["dynamo:sign:1"]

    # One click signs, privately; the count on the petition goes up in both guilds.
    signed = await (await chat.click("cleo", petition, "dynamo:sign:1")).reply()
    assert signed.ephemeral and "Signed" in signed.content and "1 signature" in signed.content
    assert signed.custom_ids == ["dynamo:signname:1"]
    await chat.standin.wait_for(
        lambda: all(field_value(petition_in(chat, g), "Signatures") == "1" for g in (0, 1))
    )

    # "Show a name…" asks for it in a form; the signature is updated, not doubled.
    asked = await chat.click("cleo", signed, "dynamo:signname:1")
    assert (await asked.response())["type"] == 9
    assert asked.modal is not None and asked.modal["custom_id"] == "dynamo:sign:1:"
    shown = await chat.submit("cleo", "dynamo:sign:1:", sign_name="Cleo R., Turker since 2015")
    assert "updated" in shown.content and "Cleo R., Turker since 2015" in shown.content
    signers = await chat.ask("bea", "signers", campaign=1)
    assert "1 signature" in signers.content and "Cleo R., Turker since 2015" in signers.content
    assert field_value(chat.standin.message(petition.id), "Signatures") == "1"


async def test_say_posts_by_webhook_under_the_pseudonym(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    names = await launched_campaign(chat)
    role = chat.config.discord.guilds[0].moderator_role_ids[0]
    words = f"@everyone I can draft the letter tonight <@&{role}>"
    answer = await chat.ask("bea", "say", campaign=1, text=words)
    assert answer.ephemeral and "Said in campaign #1" in answer.content

    def posts(guild: int) -> list[StoredMessage]:
        return chat.standin.webhook_posts(thread_id(chat, guild))

    await chat.standin.wait_for(lambda: all(posts(g) for g in (0, 1)))
    bea_id = chat.person("bea")["id"]
    for guild in (0, 1):
        (post,) = posts(guild)
        assert post.content == (
            f"@\u200beveryone I can draft the letter tonight \\<@\u200b&{role}> \\[say 1]"
        )
        assert post.author_name == names["bea"]
        assert post.avatar_url == avatar_url(names["bea"])
        assert post.allowed_mentions == {"parse": []} and not post.pings
        assert bea_id not in str(post.payload) and bea_id not in str(post.request)

    # /say without text opens a form; the second post reuses each guild's webhook.
    opened = await chat.slash("cleo", "say", campaign=1, guild=1)
    assert (await opened.response())["type"] == 9
    await chat.submit("cleo", "dynamo:say:1", say_text="Count me in.")
    await chat.standin.wait_for(lambda: all(len(posts(g)) == 2 for g in (0, 1)))
    assert [p.author_name for p in posts(0)] == [names["bea"], names["cleo"]]
    assert len(chat.standin.webhooks) == 2  # one per guild's campaign parent channel
    for message in chat.bot_messages():
        assert message.allowed_mentions == {"parse": []}, message
