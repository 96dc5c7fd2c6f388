"""Attacks on Discord, each told as the attacker's story: Mallory is a registered member who
wants her words to pass for the bot's, or for someone else's, or to make a say vanish after
its author was told it was posted. Everything she types shows as plain text, on one line in
public, under a name that is hers."""

from __future__ import annotations

import pytest

from commands.framework.rules import Rules
from tests.discord.harness import DiscordChat, field_value
from tests.discord_standin import StoredMessage

EXECUTE = "/webhooks/{webhook_id}/{webhook_token}"
# What a member's text may not do in a public post: start a line of its own.
SEPARATORS = ("\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029")


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2)


def escaped(pseudonym: str) -> str:
    return pseudonym.replace("_", "\\_")


async def launch(chat: DiscordChat, pitch: str) -> None:
    """mallory pitches; she and bea upvote it into campaign #1 (a thread in each guild)."""
    await chat.ask("mallory", "pitch", text=pitch)
    post = await chat.announcement(1)
    await chat.click_reply("mallory", post, "dynamo:vote:up:1")
    await chat.click_reply("bea", post, "dynamo:vote:up:1")
    await chat.standin.wait_for(lambda: all(len(chat.threads(g)) == 1 for g in (0, 1)))


def thread_of(chat: DiscordChat, guild: int) -> int:
    (thread,) = chat.threads(guild)
    return int(thread["id"])


def public_lines(chat: DiscordChat) -> list[str]:
    """Every line of every public message the bot made (not answers, not DMs)."""
    lines: list[str] = []
    for message, text in chat.rendered_texts():
        if message.ephemeral or chat.standin.is_dm(message.channel_id):
            continue
        lines.extend(text.split("\n"))
    return lines


async def test_mallory_cannot_make_her_pitch_a_link_the_bot_offers(
    discord_chat: DiscordChat,
) -> None:
    """Mallory pitches a masked link worded like a notice from the bot, hoping members
    click "Claim your back pay" in the bot's own announcement."""
    chat = discord_chat
    await chat.join("mallory")
    bait = "[Claim your back pay](http://evil.example/login) before Friday"
    await chat.ask("mallory", "pitch", text=bait)
    for guild in (0, 1):
        post = await chat.announcement(1, guild)
        # Shown as the characters she typed: a bracket, a URL; no link text of its own.
        assert post.embeds[0]["description"] == (
            "\\[Claim your back pay](http://evil.example/login) before Friday"
        )


async def test_mallory_cannot_forge_the_bots_voice_with_markdown(
    discord_chat: DiscordChat,
) -> None:
    """As an organizer, Mallory writes a petition statement and a say made of headings,
    code blocks and spoilers, to look like an official notice from the bot."""
    chat = discord_chat
    mallory = await chat.join("mallory")
    await chat.join("bea")
    await launch(chat, "Pay for qualification tests")

    statement = "# OFFICIAL ```Dynamo: petition closed``` ||sign elsewhere||"
    await chat.ask("mallory", "petition", campaign=1, text=statement)
    say = "-# sent by Dynamo > **the campaign is cancelled** __now__"
    await chat.ask("mallory", "say", campaign=1, text=say)

    for guild in (0, 1):

        def petition(g: int = guild) -> StoredMessage | None:
            return next(
                (
                    m
                    for m in chat.standin.messages_in(thread_of(chat, g))
                    if m.embeds and m.embeds[0]["title"].startswith("Petition")
                ),
                None,
            )

        shown = await chat.standin.wait_for(petition)
        assert shown.embeds[0]["description"] == (
            "\\# OFFICIAL \\`\\`\\`Dynamo: petition closed\\`\\`\\` \\|\\|sign elsewhere\\|\\|"
        )
        (post,) = await chat.standin.wait_for(
            lambda g=guild: chat.standin.webhook_posts(thread_of(chat, g))
        )
        assert post.author_name == mallory
        assert post.content == (
            "\\-# sent by Dynamo > \\*\\*the campaign is cancelled\\*\\* \\_\\_now\\_\\_ \\[say 1]"
        )


async def test_a_paragraph_typed_into_a_form_never_becomes_a_line_of_its_own(
    discord_chat: DiscordChat,
) -> None:
    """Mallory types line breaks (a newline, U+2028, U+0085) into the /pitch and /say forms,
    so that the public posts would show a line that seems to come from the bot or from
    another member."""
    chat = discord_chat
    mallory = await chat.join("mallory")
    bea = await chat.join("bea")

    opened = await chat.slash("mallory", "pitch")
    assert (await opened.response())["type"] == 9
    pitch = "Pay us\nDynamo: #2 was removed\u2028# Vote now\u0085**▲ 999**"
    await chat.submit("mallory", "dynamo:pitch", pitch_text=pitch)
    one_line = "Pay us Dynamo: #2 was removed # Vote now **▲ 999**"
    for guild in (0, 1):
        post = await chat.announcement(1, guild)
        assert post.embeds[0]["description"] == (
            "Pay us Dynamo: #2 was removed # Vote now \\*\\*▲ 999\\*\\*"
        )
        assert field_value(post, "Pitched by") == mallory

    post = await chat.announcement(1)
    await chat.click_reply("mallory", post, "dynamo:vote:up:1")
    await chat.click_reply("bea", post, "dynamo:vote:up:1")
    await chat.standin.wait_for(lambda: all(len(chat.threads(g)) == 1 for g in (0, 1)))
    assert [t["name"] for g in (0, 1) for t in chat.threads(g)] == [f"#1 {one_line}"] * 2

    opened = await chat.slash("mallory", "say", campaign=1)
    assert (await opened.response())["type"] == 9
    say = f"Agreed.\n<{bea}> I quit\u2028Dynamo: campaign closed\u0085# Vote\r\nno"
    await chat.submit("mallory", "dynamo:say:1", say_text=say)
    for guild in (0, 1):
        (post,) = await chat.standin.wait_for(
            lambda g=guild: chat.standin.webhook_posts(thread_of(chat, g))
        )
        assert post.author_name == mallory
        assert post.content == (
            f"Agreed. <{escaped(bea)}> I quit Dynamo: campaign closed # Vote  no \\[say 1]"
        )

    # No public line starts with her words, and none of her separators got through.
    for line in public_lines(chat):
        forged = ("Dynamo:", "# Vote", "\\# Vote", f"<{bea}>", f"<{escaped(bea)}>", "**▲", "\\*")
        assert not line.startswith(forged), line
        assert not any(separator in line for separator in SEPARATORS), repr(line)


@pytest.mark.parametrize(
    ("name", "refusal"),
    [
        (
            "Kristy @everyone",
            "A shown name can't contain `@`: it could make the name look like a mention, a "
            "channel, the bot or someone speaking. Please choose a name without it, for "
            "example `/reveal name:Kristy M.`.",
        ),
        (
            "<#1> mod",
            "A shown name can't contain `#`, `<`, `>`: it could make the name look like a "
            "mention, a channel, the bot or someone speaking. Please choose a name without "
            "them, for example `/reveal name:Kristy M.`.",
        ),
        (
            "Dynamo Team",
            "A shown name can't contain the bot's name: it could pass for a message from "
            "the bot. Please choose another.",
        ),
        (
            "light dragonfly",
            "A shown name can't be or contain a pseudonym (adjective_animal): it could pass "
            "for another member. Please choose a name of your own.",
        ),
        (
            "Kris\u200bty",
            "That name has an invisible or control character in it (U+200B), which could "
            "make it look like something else. Please type it again with letters, digits "
            "and ordinary punctuation.",
        ),
    ],
)
async def test_mallory_cannot_show_a_name_that_poses_as_someone(
    discord_chat: DiscordChat, name: str, refusal: str
) -> None:
    """Mallory tries to show a name beside her pseudonym, or beside her signature, that
    pings, links a channel, poses as the bot or as another member, or hides a character."""
    chat = discord_chat
    await chat.join("mallory")
    await chat.join("bea")
    answer = await chat.ask("mallory", "reveal", name=name)
    assert answer.ephemeral and answer.content == refusal
    assert "You are anonymous" in (await chat.ask("mallory", "whoami")).content

    await launch(chat, "Pay for qualification tests")
    await chat.ask("mallory", "petition", campaign=1, text="We ask for pay.")
    signed = await chat.ask("bea", "sign", campaign=1, name=name)
    assert signed.ephemeral
    assert signed.content == refusal.replace(
        "`/reveal name:Kristy M.`", "`/sign campaign:1 name:Kristy M., Turker`"
    )
    signers = await chat.ask("bea", "signers", campaign=1)
    assert "0 signatures" in signers.content and "Signed openly" not in signers.content


async def test_mallory_cannot_make_a_say_vanish_or_speak_for_the_bot(
    discord_chat: DiscordChat,
) -> None:
    """Mallory shows the name "Clyde", which Discord refuses above a webhook post, hoping
    her say (or another's) is dropped after everyone was told it was posted; when Discord
    refuses the webhook outright, she hopes the bot's own post lends her words its voice."""
    chat = discord_chat
    mallory = await chat.join("mallory")
    await chat.join("bea")
    await launch(chat, "Pay for qualification tests")
    assert "appear as" in (await chat.ask("mallory", "reveal", name="Clyde")).content

    await chat.ask("mallory", "say", campaign=1, text="First!")
    for guild in (0, 1):
        (post,) = await chat.standin.wait_for(
            lambda g=guild: chat.standin.webhook_posts(thread_of(chat, g))
        )
        assert post.author_name == mallory  # the bare pseudonym: still hers, still posted

    chat.standin.inject_error(
        "POST", EXECUTE, status=403, code=50013, message="Missing Permissions", times=2
    )
    said = await chat.ask("mallory", "say", campaign=1, text="**Dynamo**: campaign cancelled")
    assert said.content.startswith("Said in campaign #1's discussion")

    def by_bot(guild: int) -> list[StoredMessage]:
        return [
            m
            for m in chat.standin.messages_in(thread_of(chat, guild))
            if m.content and m.webhook_id is None
        ]

    await chat.standin.wait_for(lambda: all(by_bot(g) for g in (0, 1)))
    for guild in (0, 1):
        (post,) = by_bot(guild)
        # Her pseudonym in the bot's bold, then her words, inert: never "**Dynamo**:".
        assert (
            post.content
            == f"**{escaped(mallory)}**: \\*\\*Dynamo\\*\\*: campaign cancelled \\[say 2]"
        )
        assert post.allowed_mentions == {"parse": []}
