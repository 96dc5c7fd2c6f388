"""Pitching on Discord: a form or one command, announced in every guild with vote buttons,
and never a ping, whatever the pitch says."""

from __future__ import annotations

from tests.discord.harness import DiscordChat, field_value


async def test_pitch_by_modal_is_announced_in_every_guild(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    pseudonym = await chat.join("alice")

    opened = await chat.slash("alice", "pitch")
    assert (await opened.response())["type"] == 9
    form = opened.modal
    assert form is not None
    assert form["custom_id"] == "dynamo:pitch" and form["title"] == "Pitch an idea"
    (field,) = [c for row in form["components"] for c in row["components"]]
    assert field["custom_id"] == "pitch_text"
    assert field["max_length"] == chat.config.rules.pitch_max_chars

    answer = await chat.submit("alice", "dynamo:pitch", pitch_text="Pay for qualification tests")
    assert answer.ephemeral and "idea #1" in answer.content

    for guild in (0, 1):
        post = await chat.announcement(1, guild)
        (embed,) = post.embeds
        assert embed["description"] == "Pay for qualification tests"
        assert field_value(post, "Pitched by") == pseudonym
        assert field_value(post, "Votes") == "▲ 0 · ▼ 0"
        assert field_value(post, "To launch") == "25 more upvotes needed"
        assert post.custom_ids == ["dynamo:vote:up:1", "dynamo:vote:down:1", "dynamo:follow:1"]
        labels = [c["label"] for c in post.components[0]["components"]]
        assert labels == ["▲ Upvote", "▼ Downvote", "Follow"]
    # The member who pitched is not tied to the post: it is the bot's, not a reply to them.
    post = await chat.announcement(1)
    assert post.author_id == chat.standin.application_id
    assert "interaction_metadata" not in post.payload


async def test_pitch_with_text_pitches_at_once(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    await chat.join("bob")
    answer = await chat.ask("bob", "pitch", text="Answer worker emails within a week")
    assert answer.ephemeral and "Pitched as idea #1" in answer.content
    post = await chat.announcement(1, guild=1)
    assert post.embeds[0]["description"] == "Answer worker emails within a week"

    too_long = await chat.ask("bob", "pitch", text="x" * 141)
    assert too_long.ephemeral and "the limit is 140" in too_long.content


async def test_a_pitch_full_of_mentions_never_pings(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    await chat.join("mallory")
    moderator_role = chat.config.discord.guilds[0].moderator_role_ids[0]
    victim = chat.person("victim")
    hostile = f"@everyone @here <@&{moderator_role}> <@{victim['id']}> pay us"
    await chat.ask("mallory", "pitch", text=hostile)
    for guild in (0, 1):
        post = await chat.announcement(1, guild)
        # Shown as written, but inert: each mention broken up where Discord would parse it.
        assert post.embeds[0]["description"] == (
            f"@\u200beveryone @\u200bhere \\<@\u200b&{moderator_role}> "
            f"\\<@\u200b{victim['id']}> pay us"
        )
    # The same text as a say in a campaign and as plain announcements: covered in the
    # launch story. Here: every message the bot made so far allows no mentions at all.
    made = chat.bot_messages()
    assert len(made) >= 4
    for message in made:
        assert message.allowed_mentions == {"parse": []}, message
        assert not message.pings
