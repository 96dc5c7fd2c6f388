"""The bot restarts (a new client and App on the same database) and everything it posted
before keeps working: vote buttons, registration buttons, an open form, in-place edits."""

from __future__ import annotations

from tests.discord.harness import DiscordChat, field_value


async def test_old_buttons_and_forms_work_after_a_restart(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    await chat.join("ada")
    await chat.join("bea")
    await chat.join("dan")
    await chat.ask("ada", "pitch", text="Pay for qualification tests")
    post = await chat.announcement(1)
    other_guild_post = await chat.announcement(1, guild=1)
    offer = await chat.ask("cleo", "register", guild=None, code=await chat.mint())
    opened = await chat.slash("dan", "pitch")
    await opened.response()
    identifies = len(chat.standin.identifies)

    await chat.restart()
    assert len(chat.standin.identifies) == identifies + 1  # a new gateway session

    answer = await chat.click_reply("bea", post, "dynamo:vote:up:1")
    assert answer.startswith("You upvoted #1: now +1/-0")
    # The counts are edited in place in both guilds: the new process found the posts.
    for message in (post, other_guild_post):
        await chat.standin.wait_for(
            lambda m=message: field_value(chat.standin.message(m.id), "Votes") == "▲ 1 · ▼ 0"
        )

    chosen = await chat.click("cleo", offer, "dynamo:run:choose")
    await chosen.response()
    assert "You are **" in chat.standin.message(offer.id).content

    pitched = await chat.submit("dan", "dynamo:pitch", pitch_text="Answer emails in a week")
    assert "idea #2" in pitched.content
    assert (await chat.announcement(2, guild=1)).embeds[0]["description"] == (
        "Answer emails in a week"
    )
    # Nothing was announced twice by the second process.
    ideas = [m for m in chat.announcements(0) if m.embeds]
    assert len(ideas) == 2
