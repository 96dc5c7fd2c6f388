"""Buttons already posted in Discord keep working: their custom ids, written by the
button classes of earlier versions, still find a button that does the same thing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.transports.discord import views

# Custom ids as earlier versions posted them (VoteButton, FollowButton, SignButton,
# SignWithNameButton, ActionButton), with what a click must do.
OLD_IDS = [
    ("dynamo:vote:up:42", "▲ Upvote", ("vote", 42, "up")),
    ("dynamo:vote:down:7", "▼ Downvote", ("vote", 7, "down")),
    ("dynamo:follow:123456789", "Follow", ("follow", 123456789)),
    ("dynamo:sign:3", "Sign", ("sign", 3)),
    ("dynamo:signname:3", "Show a name…", ("sign_with_name", 3)),
    ("dynamo:run:another", "Another name", ("action", "another")),
    ("dynamo:pledge:4", "Pledge", ("pledge", 4)),
    ("dynamo:pledgename:4", "Be named by a name…", ("pledge_with_name", 4)),
]


class Clicks:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    async def vote(self, interaction: Any, idea: int, direction: str) -> None:
        self.calls.append(("vote", idea, direction))

    async def follow(self, interaction: Any, idea: int) -> None:
        self.calls.append(("follow", idea))

    async def sign(self, interaction: Any, campaign: int) -> None:
        self.calls.append(("sign", campaign))

    async def sign_with_name(self, interaction: Any, campaign: int) -> None:
        self.calls.append(("sign_with_name", campaign))

    async def action(self, interaction: Any, line: str) -> None:
        self.calls.append(("action", line))

    async def pledge(self, interaction: Any, action: int) -> None:
        self.calls.append(("pledge", action))

    async def pledge_with_name(self, interaction: Any, action: int) -> None:
        self.calls.append(("pledge_with_name", action))


def matching(custom_id: str) -> list[tuple[type[discord.ui.DynamicItem[Any]], Any]]:
    found = []
    for item in views.DYNAMIC_ITEMS:
        match = item.__discord_ui_compiled_template__.fullmatch(custom_id)  # type: ignore[attr-defined]
        if match is not None:
            found.append((item, match))
    return found


@pytest.mark.parametrize(("custom_id", "label", "call"), OLD_IDS)
async def test_an_old_button_id_still_does_what_it_did(
    custom_id: str, label: str, call: tuple[Any, ...]
) -> None:
    ((item, match),) = matching(custom_id)  # exactly one template claims it
    posted = discord.ui.Button[Any](label=label, custom_id=custom_id)
    button = await item.from_custom_id(None, posted, match)  # type: ignore[arg-type]
    assert button.item.custom_id == custom_id
    assert button.item.label == label
    clicks = Clicks()
    await button.callback(SimpleNamespace(client=SimpleNamespace(components=clicks)))  # type: ignore[arg-type]
    assert clicks.calls == [call]


def test_new_buttons_carry_the_same_ids() -> None:
    ids = [c.custom_id for c in views.idea_buttons(42).children]  # type: ignore[attr-defined]
    assert ids == ["dynamo:vote:up:42", "dynamo:vote:down:42", "dynamo:follow:42"]
    (sign,) = views.sign_button(3).children
    (name,) = views.sign_with_name_button(3).children
    assert [sign.custom_id, name.custom_id] == ["dynamo:sign:3", "dynamo:signname:3"]  # type: ignore[attr-defined]
    (pledge,) = views.pledge_button(4).children
    (named,) = views.pledge_with_name_button(4).children
    assert [pledge.custom_id, named.custom_id] == ["dynamo:pledge:4", "dynamo:pledgename:4"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "custom_id",
    ["dynamo:vote:sideways:1", "dynamo:sign:0x3", "dynamo:follow:1234567890", "dynamo:sign:3:"],
)
def test_a_forged_or_unknown_id_matches_no_button(custom_id: str) -> None:
    assert matching(custom_id) == []
