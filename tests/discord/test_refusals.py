"""What goes wrong gets a clear private answer: clicks by people who have not joined, ideas
that do not exist or were hidden, and /mod from people without a moderator role."""

from __future__ import annotations

from tests.discord.harness import DiscordChat
from tests.waiting import eventually


async def test_a_click_before_registering_says_how_to_join(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    await chat.join("ada")
    await chat.ask("ada", "pitch", text="Pay for qualification tests")
    post = await chat.announcement(1)
    handle = await chat.click("stranger", post, "dynamo:vote:up:1")
    answer = await handle.reply()
    assert handle.ephemeral and answer.ephemeral
    assert "You need to register first" in answer.content
    assert "`/register code:YOUR-CODE`" in answer.content
    assert (await chat.click_reply("stranger", post, "dynamo:follow:1")).startswith(
        "You need to register first"
    )


async def test_unknown_and_hidden_ideas_are_refused(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    await chat.join("ada")
    await chat.join("bea")
    unknown = await chat.ask("bea", "upvote", idea=999)
    assert unknown.ephemeral and "There is no idea #999" in unknown.content

    await chat.ask("ada", "pitch", text="Requesters must answer within a week")
    post = await chat.announcement(1)
    await chat.join("mod")
    await chat.set_dynamo_role("mod", "moderator")
    await chat.give_moderator_role("mod")
    hidden = await chat.ask("mod", "mod hide", idea=1)
    assert hidden.ephemeral and "#1 is hidden" in hidden.content

    # Its announcement loses its buttons at once...
    await eventually(lambda: post.custom_ids == [], "the hidden idea's buttons taken off")
    # ...and whatever way someone still tries, the core refuses.
    for command in ("upvote", "downvote", "subscribe"):
        answer = await chat.ask("bea", command, idea=1)
        assert "There is no idea #1" in answer.content
    # Moderators still see it and are told why it can't be voted on.
    assert "hidden by a moderator" in (await chat.ask("mod", "upvote", idea=1)).content


async def test_mod_needs_the_servers_moderator_role(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    await chat.join("ada")
    await chat.ask("ada", "pitch", text="Pay for qualification tests")
    # A Dynamo moderator without the server's moderator role is refused by the bot ...
    await chat.set_dynamo_role("ada", "moderator")
    refused = await chat.ask("ada", "mod hide", idea=1)
    assert refused.ephemeral and "moderator roles" in refused.content
    # ... and a member with the Discord role but not the Dynamo role by the core.
    await chat.join("bea")
    await chat.give_moderator_role("bea", guild=1)
    core = await chat.ask("bea", "mod hide", idea=1, guild=1)
    assert core.ephemeral and "Only moderators can use `/mod hide`" in core.content
    # Both roles: it works. The role of one server does not count in another.
    await chat.give_moderator_role("ada", guild=1)
    assert "hidden" in (await chat.ask("ada", "mod hide", idea=1, guild=1)).content
    assert "moderator roles" in (await chat.ask("ada", "mod unhide", idea=1, guild=0)).content
