"""A command's facts are declared once (commands/framework/registry.py), and a declaration that
disagrees with its handler fails when the module is imported, not when a member runs it."""

from __future__ import annotations

import pytest

from bot.transports.discord import forms
from commands.catalog import build_registry
from commands.framework.context import Ctx
from commands.framework.registry import CommandSet, DeclarationError, Param
from commands.framework.reply import Reply
from commands.framework.rules import Rules
from tests.harness import ConsoleChat


def test_a_declared_parameter_the_handler_lacks_fails_at_registration() -> None:
    spec = CommandSet()
    with pytest.raises(DeclarationError, match=r"'upvote'.*'idea'.*no argument 'idea'"):

        @spec.command("upvote", "Upvote.", params=(Param("idea", "int", "The idea's number"),))
        async def upvote(ctx: Ctx, number: int) -> Reply:  # pragma: no cover
            return Reply("never run")

    assert spec.commands == []


def test_a_handler_argument_nobody_declares_fails_at_registration() -> None:
    spec = CommandSet()
    with pytest.raises(DeclarationError, match=r"'pitch'.*takes 'text', which no Param"):

        @spec.command("pitch", "Pitch.")
        async def pitch(ctx: Ctx, text: str) -> Reply:  # pragma: no cover
            return Reply("never run")


def test_a_limit_naming_no_rule_fails_at_registration() -> None:
    spec = CommandSet()
    with pytest.raises(DeclarationError, match=r"'pitch'.*'pich_max_chars'.*not a \[rules\]"):

        @spec.command(
            "pitch", "Pitch.", params=(Param("text", "text", "Idea", max_chars="pich_max_chars"),)
        )
        async def pitch(ctx: Ctx, text: str) -> Reply:  # pragma: no cover
            return Reply("never run")


def test_optional_arguments_and_keyword_catch_alls_are_accepted() -> None:
    spec = CommandSet()

    @spec.command("ideas", "List.", params=(Param("page", "int", "Page", required=False),))
    async def ideas(ctx: Ctx, page: int | None, *, verbose: bool = False) -> Reply:
        return Reply("ok")

    @spec.command("idea", "Show.", params=(Param("idea", "int", "Number"),))
    async def idea(ctx: Ctx, **args: int) -> Reply:
        return Reply("ok")

    assert [c.name for c in spec.commands] == ["ideas", "idea"]


def test_every_form_stops_where_its_command_does() -> None:
    """The Discord form of every command with a required text reads the declared limit."""
    rules = Rules(pitch_max_chars=99)
    registry = build_registry()
    pitch = registry.get("pitch")
    assert pitch is not None
    assert pitch.param("text").limit(rules) == 99
    assert forms.field_limit(pitch.param("text"), rules) == 99
    for command in registry:
        field = forms.asks_when_missing(command)
        if field is None:
            continue
        limit = field.limit(rules)
        assert limit is not None, f"{command.name}: a form with no declared limit"
        assert forms.field_limit(field, rules) == min(limit, forms.MAX_FIELD)


def test_help_states_the_configured_limit() -> None:
    from commands.help import describe

    registry = build_registry()
    pitch = registry.get("pitch")
    assert pitch is not None
    assert "at most 99 characters" in describe(pitch, Rules(pitch_max_chars=99))
    assert "at most 140 characters" in describe(pitch, Rules())


@pytest.fixture
def rules() -> Rules:
    return Rules(pitch_max_chars=99, name_max_chars=20)


async def test_a_configured_limit_holds_on_the_console_and_in_its_help(chat: ConsoleChat) -> None:
    await chat.join("alice")
    assert "limit is 99" in await chat.dm("alice", "pitch " + "x" * 100)
    assert "idea #1" in await chat.dm("alice", "pitch " + "y" * 99)
    assert "at most 99 characters" in await chat.dm("alice", "help pitch")
    assert "limit is 20" in await chat.dm("alice", "reveal " + "Kristy" * 4)
