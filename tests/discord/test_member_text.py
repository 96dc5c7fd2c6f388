"""Member text on Discord is plain text: a pitch, a petition statement, a shown name and a
``say`` full of markdown and mentions show exactly as typed in every embed, thread name,
webhook post, DM and private answer, while the bot's own ``**name**`` and `` `/command` ``
still render. The strings checked are the ones Discord stored."""

from __future__ import annotations

import re

import pytest

from commands.framework.formatting import CLOSE, OPEN
from commands.framework.rules import Rules
from tests.discord.harness import DiscordChat, field_value
from tests.discord_standin import StoredMessage

# Everything a member might try, in one line; each piece as Discord would render it raw.
HOSTILE = "# Header [x](http://evil) ||spoiler|| ```code``` **bold** @everyone <@123>"
# The same, as it must be stored: a backslash before each markup character (Discord shows
# the character itself), a zero-width space after the "@" of @everyone.
SHOWN = (
    "\\# Header \\[x](http://evil) \\|\\|spoiler\\|\\| \\`\\`\\`code\\`\\`\\` "
    "\\*\\*bold\\*\\* @\u200beveryone \\<@123>"
)
# A name the core lets a member show (no mention, channel or code characters), still markup.
NAME = "**Boss** ||hidden|| ~~x~~ __u__"
NAME_SHOWN = "\\*\\*Boss\\*\\* \\|\\|hidden\\|\\| \\~\\~x\\~\\~ \\_\\_u\\_\\_"
# Markup that would be live if any of it reached Discord unescaped.
LIVE = (
    re.compile(r"(?<!\\)\[x\]\(http://evil\)"),
    re.compile(r"\|\|spoiler\|\||\|\|hidden\|\|"),
    re.compile(r"```code```"),
    re.compile(r"\*\*bold\*\*|\*\*Boss\*\*"),
    re.compile(r"@(everyone|here)"),
    re.compile(r"(?<!\\)<@[0-9]+>"),
    re.compile(r"^#+ ", re.MULTILINE),
)


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2)


def thread_id(chat: DiscordChat, guild: int) -> int:
    (thread,) = chat.threads(guild)
    return int(thread["id"])


def in_thread(chat: DiscordChat, guild: int, title: str) -> StoredMessage | None:
    if not chat.threads(guild):
        return None
    return next(
        (
            m
            for m in chat.standin.messages_in(thread_id(chat, guild))
            if m.embeds and m.embeds[0]["title"].startswith(title)
        ),
        None,
    )


async def test_hostile_member_text_shows_as_typed_everywhere(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    ada = await chat.join("ada")
    bea = await chat.join("bea")

    # A shown name full of markup: accepted by the core, shown inert; the bot's own bold
    # and command still render in the same answer.
    revealed = await chat.ask("ada", "reveal", name=NAME)
    assert revealed.content == (
        f"From now on you appear as {ada} ({NAME_SHOWN}). `/unreveal` takes it back."
    )
    whoami = await chat.ask("ada", "whoami")
    assert whoami.content.startswith(f"You are **{ada}**, member")
    assert whoami.content.endswith(
        f'You show the name "{NAME_SHOWN}" beside your pseudonym (`/unreveal` to stop).'
    )

    # The pitch: the announcement in each guild.
    await chat.ask("ada", "pitch", text=HOSTILE)
    for guild in (0, 1):
        post = await chat.announcement(1, guild)
        assert post.embeds[0]["description"] == SHOWN
        assert field_value(post, "Pitched by") == f"{ada} ({NAME_SHOWN})"

    # It launches: the thread is named as typed (Discord renders no markup in names), the
    # launch post and the thread's first message show it inert.
    post = await chat.announcement(1)
    await chat.click_reply("ada", post, "dynamo:vote:up:1")
    await chat.click_reply("bea", post, "dynamo:vote:up:1")
    await chat.standin.wait_for(lambda: all(in_thread(chat, g, "Campaign") for g in (0, 1)))
    for guild in (0, 1):
        (thread,) = chat.threads(guild)
        assert thread["name"] == f"#1 {HOSTILE}"
        starter = in_thread(chat, guild, "Campaign")
        assert starter is not None and starter.embeds[0]["description"] == SHOWN
        assert field_value(starter, "Pitched by") == f"{ada} ({NAME_SHOWN})"
        launch = await chat.standin.wait_for(
            lambda g=guild: next(
                (m for m in chat.announcements(g) if "now a campaign" in str(m.embeds)), None
            )
        )
        assert launch.embeds[0]["description"] == SHOWN

    # The member who followed it hears by DM: the bot's `/campaign campaign:1` (as the
    # slash command takes it), the idea inert.
    (dm,) = await chat.standin.wait_for(
        lambda: [m for m in chat.standin.dms_to(chat.person("ada")) if not m.ephemeral]
    )
    assert (
        dm.content
        == f"Idea #1, which you follow, is now a campaign: {SHOWN}. See `/campaign campaign:1`."
    )

    # The petition statement: in each thread and in each announce channel's note.
    statement = HOSTILE.replace("# Header", "# We ask")
    statement_shown = SHOWN.replace("\\# Header", "\\# We ask")
    await chat.ask("ada", "petition", campaign=1, text=statement)
    await chat.standin.wait_for(lambda: all(in_thread(chat, g, "Petition") for g in (0, 1)))
    for guild in (0, 1):
        petition = in_thread(chat, guild, "Petition")
        assert petition is not None and petition.embeds[0]["description"] == statement_shown
        note = await chat.standin.wait_for(
            lambda g=guild: next(
                (m for m in chat.announcements(g) if "petition" in str(m.embeds)), None
            )
        )
        assert note.embeds[0]["description"] == (
            f"The petition of campaign #1 is open: {statement_shown} — sign it privately "
            f"with `/sign campaign:1`.\nDiscussion and signatures: <#{thread_id(chat, guild)}>"
        )

    # Says: the words inert; the name above them as typed (no markup in names), the
    # answer to the member inert.
    said = await chat.ask("bea", "say", campaign=1, text=HOSTILE)
    assert said.content.startswith(f"Said in campaign #1's discussion, as {bea}.")
    said = await chat.ask("ada", "say", campaign=1, text="**Count me in**")
    assert said.content.startswith(f"Said in campaign #1's discussion, as {ada} ({NAME_SHOWN}).")
    for guild in (0, 1):
        posts = await chat.standin.wait_for(
            lambda g=guild: (
                (p := chat.standin.webhook_posts(thread_id(chat, g))) and len(p) == 2 and p
            )
        )
        assert [(p.author_name, p.content) for p in posts] == [
            (bea, f"{SHOWN} \\[say 1]"),
            (f"{ada} ({NAME})", "\\*\\*Count me in\\*\\* \\[say 2]"),
        ]

    # Nowhere did any of it come out live, nothing pings, and the marks the core puts
    # around member text never reached Discord.
    for message, text in chat.rendered_texts():
        for pattern in LIVE:
            assert not pattern.search(text), (pattern.pattern, text, message)
    for message in chat.bot_messages():
        assert message.allowed_mentions == {"parse": []}, message
        assert not message.pings
    assert not [s for s in chat.strings_sent() if OPEN in s or CLOSE in s]
