"""Hostile or long text must reach IRC as inert, well-sized lines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.transports.irc.text import (
    irc_lower,
    paginate,
    sanitize,
    split_message,
    split_prefixed,
    truncate_bytes,
)

LINE_ENDERS = "\r\n\0"


def test_cr_injection_becomes_a_space() -> None:
    assert sanitize("innocent\rJOIN #injected") == "innocent JOIN #injected"


def test_every_unsafe_control_character_is_replaced() -> None:
    assert sanitize("a\0b\nc\rd\te\x01f\x7fg\u2028h") == "a b c d e f g h"


def test_formatting_codes_survive() -> None:
    styled = "\x02bold\x02 \x0304red\x03 \x1ditalic\x1d \x1funder\x1f\x0f"
    assert sanitize(styled) == styled
    assert split_message(styled) == [styled]


def test_only_the_bots_own_line_break_starts_a_message() -> None:
    assert split_message("first\nsecond") == ["first", "second"]
    # Every other separator a client might show as a new line is a space: a member's text
    # holding one cannot become a message that poses as the bot or as someone else.
    forged = "ok\r\n<boss> a\rb\x85c\u2028d\u2029e\x0bf\x0cg\x1ch\x1ei"
    assert split_message(forged) == ["ok", "<boss> a b c d e f g h i"]


def test_continuation_lines_carry_the_prefix() -> None:
    words = " ".join(f"w{i:02d}" for i in range(30))  # 119 bytes
    pieces = split_prefixed(words, 40, "[idea 7] ")
    # Four lines, as filling each to 40 bytes takes, but even: 35 or 36 bytes each.
    assert pieces[0] == "w00 w01 w02 w03 w04 w05 w06 w07 w08"
    assert [len(p.encode()) for p in pieces] == [35, 36, 36, 36]
    assert all(p.startswith("[idea 7] ") and len(p.encode()) <= 40 for p in pieces[1:])
    assert " ".join(p.removeprefix("[idea 7] ") for p in pieces) == words
    assert split_prefixed("short\u2028line", 40, "[idea 7] ") == ["short line"]
    with pytest.raises(ValueError):
        split_prefixed(words, 10, "[campaign 12] ")


@given(st.text(), st.integers(min_value=20, max_value=80))
def test_prefixed_pieces_are_safe_bounded_and_all_continued(text: str, max_bytes: int) -> None:
    line = text.replace("\n", " ")
    pieces = split_prefixed(line, max_bytes, "… ")
    for index, piece in enumerate(pieces):
        assert len(piece.encode("utf-8")) <= max_bytes
        assert not any(ch in piece for ch in LINE_ENDERS + "\u2028\u2029\x85")
        assert index == 0 or piece.startswith("… ")
    rebuilt = "".join(p if i == 0 else p.removeprefix("… ") for i, p in enumerate(pieces))
    assert rebuilt.replace(" ", "") == sanitize(line).replace(" ", "")


def test_blank_lines_are_dropped_because_irc_cannot_send_them() -> None:
    assert split_message("one\n\n   \ntwo\n") == ["one", "two"]
    assert split_message("") == []


def test_long_lines_split_at_word_boundaries() -> None:
    words = " ".join(f"word{i:03d}" for i in range(100))
    pieces = split_message(words, max_bytes=50)
    assert all(len(p.encode()) <= 50 for p in pieces)
    assert " ".join(pieces) == words
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in pieces)


def test_a_long_paragraph_is_cut_evenly_not_into_a_full_line_and_a_scrap() -> None:
    words = ("Requesters should pay at least minimum wage for every survey we take. " * 6)[:413]
    first, second = split_message(words, max_bytes=380)
    assert abs(len(first) - len(second)) < 12
    assert f"{first} {second}" == words.rstrip(" ")
    # Non-ASCII text is measured in bytes and never cut inside a character.
    accented = " ".join(["Lohnerhöhung für Überstunden ✊"] * 20)
    pieces = split_message(accented, max_bytes=200)
    sizes = [len(p.encode()) for p in pieces]
    assert len(pieces) == 4 and max(sizes) <= 200 and max(sizes) - min(sizes) < 40
    assert " ".join(pieces) == accented


def test_an_even_cut_never_cuts_more_words_than_a_full_one() -> None:
    # One word fills most of a line: cutting the lines shorter would cut it in two.
    text = "see " + "x" * 35 + " then a few more words after it"
    pieces = split_message(text, max_bytes=40)
    assert "x" * 35 in "".join(pieces).replace(" ", "")
    assert any("x" * 35 in p for p in pieces)


def test_a_word_longer_than_a_line_is_cut_at_a_character_boundary() -> None:
    text = "ü" * 30  # two bytes each
    pieces = split_message(text, max_bytes=11)
    assert all(len(p.encode()) <= 11 for p in pieces)
    assert "".join(pieces) == text
    assert pieces[0] == "ü" * 5


def test_four_byte_characters_are_never_cut() -> None:
    text = "🐝" * 10
    pieces = split_message(text, max_bytes=7)
    assert pieces == ["🐝"] * 10


def test_too_small_a_budget_is_refused() -> None:
    with pytest.raises(ValueError):
        split_message("abc", max_bytes=3)


@given(st.text(), st.integers(min_value=4, max_value=60))
def test_split_pieces_are_safe_bounded_and_lose_only_spacing(text: str, max_bytes: int) -> None:
    pieces = split_message(text, max_bytes)
    for piece in pieces:
        assert len(piece.encode("utf-8")) <= max_bytes
        assert not any(ch in piece for ch in LINE_ENDERS)
        assert piece.strip(" ")
    # Only spaces (and the line breaks that became spaces) may be dropped.
    assert "".join(pieces).replace(" ", "") == sanitize(text).replace(" ", "")


@given(st.text())
def test_sanitized_text_never_contains_a_line_ender(text: str) -> None:
    cleaned = sanitize(text)
    assert not any(ch in cleaned for ch in LINE_ENDERS)
    assert len(cleaned) == len(text)


def test_truncate_bytes_keeps_whole_characters() -> None:
    assert truncate_bytes("héllo\rworld", 2) == "h"
    assert truncate_bytes("héllo\rworld", 3) == "hé"
    assert truncate_bytes("short", 100) == "short"
    assert truncate_bytes("a\nb", 3) == "a b"


def test_paginate_shows_the_first_lines_and_keeps_the_rest() -> None:
    shown, rest = paginate((f"line {i}" for i in range(12)), first=5)
    assert shown == [f"line {i}" for i in range(5)]
    assert rest == [f"line {i}" for i in range(5, 12)]
    assert paginate(["only"]) == (["only"], [])
    with pytest.raises(ValueError):
        paginate(["x"], first=0)


def test_irc_lower_follows_the_server_casemapping() -> None:
    assert irc_lower("Nick[1]\\~") == "nick{1}|^"
    assert irc_lower("Nick[1]\\~", "ascii") == "nick[1]\\~"
    assert irc_lower("Nick[1]\\~", "strict-rfc1459") == "nick{1}|~"
    assert irc_lower("ÄBC", "rfc7613") == "äbc"
