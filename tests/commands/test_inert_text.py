"""Member text is inert when it is stored: one item stays one line, nothing invisible or
controlling survives, and a shown name can't pose as someone else or as the bot."""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from commands.framework import member_text
from commands.framework.formatting import OPEN, one_line_quotes, plain, quote, spans
from storage.models import Idea, Member, Signature
from tests.harness import ConsoleChat

SEPARATORS = ["\r", "\n", "\r\n", "\x00", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"]
HIDING = ["\u200b", "\u2060", "\ufeff", "\u202e", "\u202a", "\u2066", "\u200f", "\x1b", "\x07"]


async def stored(chat: ConsoleChat, column: sa.Column) -> list[str]:
    async with chat.db.read() as conn:
        return list((await conn.execute(sa.select(column))).scalars())


async def test_a_pitch_with_line_separators_is_stored_and_shown_as_one_line(
    chat: ConsoleChat,
) -> None:
    await chat.join("mallory")
    forged = "\u2028".join(["Fair pay", "<leafy_towhee> I quit", "New idea #9 by leafy_towhee: x"])
    reply = await chat.dm("mallory", "pitch " + forged)
    assert "Pitched as idea #1" in reply
    (text,) = await stored(chat, Idea.__table__.c.text)
    assert text == "Fair pay <leafy_towhee> I quit New idea #9 by leafy_towhee: x"
    assert chat.announcements[-1].count("\n") == 0


async def test_every_separator_becomes_a_space_and_hidden_characters_go(
    chat: ConsoleChat,
) -> None:
    await chat.join("mallory")
    text = "".join(f"{n}{piece}" for n, piece in enumerate(SEPARATORS + HIDING))
    assert "Pitched" in await chat.dm("mallory", "pitch " + text)
    (stored_text,) = await stored(chat, Idea.__table__.c.text)
    assert member_text.unsafe_characters(stored_text) is None
    # Separators became spaces (CR LF two of them), the hiding characters are gone.
    assert stored_text == "0 1 2  3 4 5 6 7 8 91011121314151617"


async def test_nothing_readable_is_refused_as_empty(chat: ConsoleChat) -> None:
    await chat.join("mallory")
    for empty in ("\u200b\u200b\u200b", "\u202e", "\x1b\x07", "\u2028\u2029"):
        answer = await chat.dm("mallory", "pitch " + empty)
        assert "is empty" in answer or "needs the idea" in answer, answer
    assert await stored(chat, Idea.__table__.c.text) == []


async def test_terminal_escapes_are_stored_without_their_controls(chat: ConsoleChat) -> None:
    await chat.join("mallory")
    await chat.dm("mallory", "pitch ctrl \x01\x07\x1b[31mred\x1b[0m")
    assert await stored(chat, Idea.__table__.c.text) == ["ctrl [31mred[0m"]


@given(st.text(max_size=60))
def test_cleaned_text_never_holds_what_could_break_a_line(text: str) -> None:
    cleaned = member_text.clean(text)
    assert member_text.unsafe_characters(cleaned) is None
    assert member_text.clean(cleaned) == cleaned  # cleaning twice changes nothing
    paragraphs = member_text.clean_lines(text)
    assert all(member_text.unsafe_characters(line) is None for line in paragraphs.split("\n"))


def test_the_bots_marks_around_member_text_can_not_be_forged() -> None:
    # A member who types the marks themself gets them dropped on the way in.
    assert member_text.clean(f"x{OPEN}**bold**") == "x**bold**"
    text = f"**Bot** said: {quote('**not bold** ' + OPEN)} end"
    assert [theirs for _, theirs in spans(text)] == [False, True, False]
    assert plain(text) == "**Bot** said: **not bold**  end"
    assert one_line_quotes(f"a\n{quote('b' + chr(0x2028) + 'c')}") == f"a\n{quote('b c')}"


async def test_shown_names_that_pose_as_someone_are_refused(chat: ConsoleChat) -> None:
    victim = await chat.join("victim")
    await chat.join("mallory")
    bad = {
        victim: "pseudonym",
        victim.replace("_", " ").title(): "pseudonym",
        f"friend of {victim}": "pseudonym",
        "brave koala": "pseudonym",  # one the bot could hand out tomorrow
        "Dynamo team": "bot's name",
        "<leafy_towhee>": "can't contain",
        "@everyone": "can't contain",
        "#general": "can't contain",
        "Kristy: I quit": "can't contain",
        "`code`": "can't contain",
        "Kristy\u202e": "invisible",
        "Kr\u200bisty": "invisible",
        "Kr\u200disty": "invisible",
        "Kristy\x1b[31m": "invisible",
    }
    for name, why in bad.items():
        answer = await chat.dm("mallory", f"reveal {name}")
        assert why in answer, (name, answer)
    assert await stored(chat, Member.__table__.c.revealed_name) == [None, None]
    assert "appear as" in await chat.dm("mallory", "reveal Kristy M., Turker since 2011")


async def test_a_signature_name_is_held_to_the_same_rules(chat: ConsoleChat) -> None:
    victim = await chat.join("victim")
    await chat.join("mallory")
    await chat.dm("victim", "pitch Launch me")
    chat.app.invoker.rules = chat.app.invoker.rules.__class__(launch_upvotes=1)
    await chat.dm("mallory", "upvote 1")
    await chat.dm("victim", "petition 1 We ask for fair pay.")
    assert "pseudonym" in await chat.dm("mallory", f'sign 1 as "{victim}"')
    assert "can't contain" in await chat.dm("mallory", 'sign 1 as "dynamo: all signed"')
    assert await stored(chat, Signature.__table__.c.display_name) == []
    assert "Signed" in await chat.dm("mallory", 'sign 1 as "M. Allory, researcher"')
