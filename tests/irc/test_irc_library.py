"""The irc library is imported with a cheaper caller lookup for importlib_resources.files()
(bot/transports/irc/library.py): the same answers, and nothing left changed."""

from __future__ import annotations

import sys

from bot.transports.irc import library

if sys.version_info >= (3, 12):
    from importlib.resources import _common, files
else:
    from importlib_resources import _common, files


def where_files_points() -> str:
    return str(files())  # no package named: the caller's own, tests.irc


def test_the_frame_walk_finds_the_caller_the_stack_inspection_finds() -> None:
    original = _common._infer_caller
    expected = where_files_points()
    with library._frame_walk_for_files():
        assert _common._infer_caller is not original
        assert where_files_points() == expected
    assert _common._infer_caller is original
    assert expected.endswith("irc")


def test_the_library_loaded_its_numeric_replies() -> None:
    from irc.events import numeric

    assert numeric["001"] == "welcome" and numeric["433"] == "nicknameinuse"
    assert library.Event("privmsg", "a!b@c", "#x", ["hi"]).arguments == ["hi"]
