"""Item 8: subscriptions, whoami, reveal, and help generated from the registry."""

from __future__ import annotations

from commands.catalog import build_registry
from commands.framework.registry import UsageError
from tests.harness import ConsoleChat


async def test_subscribe_unsubscribe(chat: ConsoleChat) -> None:
    await chat.join("alice")
    await chat.join("bob")
    await chat.dm("alice", "pitch Something")
    assert "now follow #1" in await chat.dm("bob", "subscribe 1")
    assert "already follow" in await chat.dm("bob", "subscribe 1")
    assert "#1" in await chat.dm("bob", "subscriptions")
    assert "no longer follow" in await chat.dm("bob", "unsubscribe 1")
    assert "were not following" in await chat.dm("bob", "unsubscribe 1")
    assert "no idea #5" in await chat.dm("bob", "subscribe 5")


async def test_reveal_shows_name_beside_pseudonym(chat: ConsoleChat) -> None:
    pseudonym = await chat.join("alice")
    assert "anonymous" in await chat.dm("alice", "whoami")
    await chat.dm("alice", "reveal Kristy M.")
    assert "Kristy M." in await chat.dm("alice", "whoami")
    await chat.dm("alice", "pitch Open letter to Amazon")
    assert f"{pseudonym} (Kristy M.)" in chat.announcements[-1]
    assert "only, from now on" in await chat.dm("alice", "unreveal")
    assert "You show no name" in await chat.dm("alice", "unreveal")
    await chat.dm("alice", "pitch Second")
    assert "Kristy" not in chat.announcements[-1]
    assert "Kristy" not in await chat.dm("alice", "idea 2")


async def test_help_lists_and_explains(chat: ConsoleChat) -> None:
    listing = await chat.dm("anyone", "help")
    assert "register YOUR-CODE" in listing and "pitch" in listing
    assert "mod ban" not in listing
    sign = await chat.dm("anyone", "help sign")
    assert "sign CAMPAIGN" in sign and "Example" in sign and "privately" in sign
    assert "don't know the command" in await chat.dm("anyone", "help frobnicate")
    assert "help mod" in listing
    mod = await chat.dm("anyone", "help mod")
    assert "mod ban" in mod and "mod promote" in mod
    ban = await chat.dm("anyone", "help mod ban")
    assert "mod ban PSEUDONYM" in ban and "Only moderators" in ban
    await chat.join("admin")
    # Help says the same to everyone: in a channel, a difference would tell who is what.
    assert (await chat.dm("admin", "help")).splitlines() == listing.splitlines()[1:]
    assert await chat.dm("admin", "help mod ban") == ban
    assert "mod promote" in await chat.dm("admin", "help mod promote")


def test_every_command_has_help_and_examples_that_parse() -> None:
    registry = build_registry()
    assert len(list(registry)) >= 30
    for command in registry:
        assert command.summary and command.summary[0].isupper(), command.name
        assert command.examples, command.name
        for example in command.examples:
            parsed, _args = registry.parse(example)
            assert parsed is command, example
        for param in command.params:
            assert param.help, (command.name, param.name)


def test_usage_errors_say_what_to_type() -> None:
    registry = build_registry()
    cases = {
        "upvote": "needs the idea's number",
        "upvote twelve": "not an idea number",
        "frob": "don't know the command",
        "upvot 3": "Did you mean `upvote`?",
        "campains": "Did you mean `campaigns`?",
        "sign 3 robot": "not one of",
        "mod": "needs a subcommand",
        "mod zap": "no subcommand",
        "upvote 3 4": "didn't understand",
        "mod promote x king": "not one of",
    }
    for line, expected in cases.items():
        try:
            registry.parse(line)
        except UsageError as exc:
            assert expected in str(exc), (line, str(exc))
        else:
            raise AssertionError(f"{line!r} parsed")


async def test_typos_get_the_same_answer_everywhere(chat: ConsoleChat) -> None:
    await chat.join("alice")
    for asked in ("upvot 1", "help upvot"):
        answer = await chat.dm("alice", asked)
        assert answer.startswith("I don't know the command “upvot”. Did you mean `upvote`?")
    assert "Did you mean `upvote`?" in (await chat.channel("alice", "!upvot 1") or "")
