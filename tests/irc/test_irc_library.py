"""The irc library's pieces the connection uses (bot/transports/irc/library.py), loaded as
the library loads them."""

from __future__ import annotations

from bot.transports.irc import library


def test_the_library_loaded_its_numeric_replies() -> None:
    from irc.events import numeric

    assert numeric["001"] == "welcome" and numeric["433"] == "nicknameinuse"
    assert library.Event("privmsg", "a!b@c", "#x", ["hi"]).arguments == ["hi"]
