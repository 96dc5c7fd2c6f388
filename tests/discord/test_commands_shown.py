"""On Discord every command the bot shows is the slash command as one types it.

The bot's texts are written once, with commands as typed in a private message (`sign 1`);
Discord has no such lines, only slash commands with named options. So what a member reads
in a reply, a notice, a post or `/help` is `/sign campaign:1`: the options the registered
slash command really has, and a line they can type as it stands.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest

from commands.framework.rules import Rules
from tests.discord.harness import DiscordChat

# Application command option types.
SUBCOMMAND, STRING, INTEGER = 1, 3, 4
SHOWN = re.compile(r"`(/[^`]+)`")


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=1)


def registered(chat: DiscordChat, path: list[str]) -> dict[str, Any]:
    """The slash command (or subcommand) registered with Discord under `path`."""
    (command,) = [c for c in chat.standin.commands() if c["name"] == path[0]]
    for name in path[1:]:
        (command,) = [
            o for o in command["options"] if o["name"] == name and o["type"] == SUBCOMMAND
        ]
    return command


def typed(chat: DiscordChat, shown: str) -> tuple[str, dict[str, Any]]:
    """What a member types to run `shown` (`/sign campaign:1`): the command's name and
    its options, each checked against the slash command registered with Discord."""
    words = shown.removeprefix("/").split(" ")
    path = list(itertools.takewhile(lambda word: re.fullmatch("[a-z]+", word), words))[:2]
    command = registered(chat, path)
    declared = {o["name"]: o for o in command.get("options", [])}
    text = " ".join(words[len(path) :])
    # Every "word:" that starts an option, the names the slash command has or not.
    starts = [m.start() for m in re.finditer(r"(?:^| )\[?[a-z_]+:", text)]
    assert not text or starts[:1] == [0], f"{shown}: {text!r} is not options"
    options: dict[str, Any] = {}
    for start, end in zip(starts, [*starts[1:], len(text)], strict=False):
        name, _, value = text[start:end].strip().strip("[]").partition(":")
        if options and declared[list(options)[-1]]["type"] == STRING:
            options[list(options)[-1]] += text[start:end]  # "text:Our demands: 1. ..."
            continue
        assert name in declared, f"{shown}: /{' '.join(path)} has no option {name!r}"
        number = declared[name]["type"] == INTEGER and value.isdigit()
        options[name] = int(value) if number else value  # or a placeholder: `campaign:N`
    required = {name for name, option in declared.items() if option.get("required")}
    assert not options or required <= set(options), f"{shown}: {required} are required"
    return " ".join(path), options


def shown_in(text: str) -> list[str]:
    return SHOWN.findall(text)


async def test_what_the_bot_says_about_signing_is_the_slash_command_to_type(
    discord_chat: DiscordChat,
) -> None:
    chat = discord_chat
    await chat.join("ada")
    await chat.join("bea")
    await chat.ask("ada", "pitch", text="Pay for qualification tests")
    post = await chat.announcement(1)
    assert "launched it" in await chat.click_reply("ada", post, "dynamo:vote:up:1")
    await chat.ask("ada", "petition", campaign=1, text="We ask requesters to pay for tests.")

    # Bea reads the campaign: how to sign is the slash command, as she types it.
    campaign = await chat.ask("bea", "campaign", campaign=1)
    assert "sign it privately: `/sign campaign:1`" in campaign.content
    name, options = typed(chat, "/sign campaign:1")
    signed = await chat.ask("bea", name, **options)
    assert "signed" in signed.content.lower(), signed.content

    # The petition changes: the notice to Bea says how to sign the new one, the same way.
    await chat.ask("ada", "petition", campaign=1, text="We ask requesters to pay for all tests.")
    (notice,) = await chat.standin.wait_for(
        lambda: [
            m
            for m in chat.standin.dms_to(chat.person("bea"))
            if not m.ephemeral and "new statement" in m.content
        ]
    )
    assert "To sign the new one: `/sign campaign:1`." in notice.content


async def test_help_shows_usage_and_examples_as_the_slash_commands_take_them(
    discord_chat: DiscordChat,
) -> None:
    chat = discord_chat
    about_sign = (await chat.ask("cleo", "help", topic="sign")).content
    assert about_sign.startswith(
        "`/sign campaign:CAMPAIGN [category:worker|researcher|ally] [name:NAME]` — "
    )
    assert "`/sign campaign:3 name:Kristy M., Turker since 2011`" in about_sign
    about_doc = (await chat.ask("cleo", "help", topic="doc")).content
    assert "`/doc campaign:N action:edit text:TEXT`" in about_doc
    about_deadline = (await chat.ask("cleo", "help", topic="mod deadline")).content
    assert "`/mod deadline idea:12 when:in 7d`" in about_deadline

    # Every slash command help shows names only options the registered command has.
    texts = [about_sign, about_doc, about_deadline]
    texts.append((await chat.ask("cleo", "help")).content)
    texts.append((await chat.ask("cleo", "help", topic="mod")).content)
    shown = [command for text in texts for command in shown_in(text)]
    assert len(shown) > 20
    for command in shown:
        typed(chat, command)

    # A mistyped command: the suggestion is one to type too.
    unknown = (await chat.ask("cleo", "help", topic="sing")).content
    assert "Did you mean `/sign`? Send `/help` for a list." in unknown
    # Text in backticks that is no command is left as it is.
    assert "`in 7d`" in about_deadline
