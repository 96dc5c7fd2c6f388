"""Persistent buttons. Each button's ``custom_id`` carries everything needed to act on a click
(``dynamo:vote:up:42``), so buttons on old messages keep working after a restart: discord.py
matches the id against these ``DynamicItem`` templates, not against anything in memory.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

import discord

from commands.framework.reply import Action

_ID = r"[0-9]{1,9}"


class ComponentHandler(Protocol):
    """What a click is handed to (the transport's interaction runner)."""

    async def vote(self, interaction: discord.Interaction, idea: int, direction: str) -> None: ...

    async def follow(self, interaction: discord.Interaction, idea: int) -> None: ...

    async def sign(self, interaction: discord.Interaction, campaign: int) -> None: ...

    async def sign_with_name(self, interaction: discord.Interaction, campaign: int) -> None: ...

    async def action(self, interaction: discord.Interaction, line: str) -> None: ...

    async def pledge(self, interaction: discord.Interaction, action: int) -> None: ...

    async def pledge_with_name(self, interaction: discord.Interaction, action: int) -> None: ...


def handler_of(interaction: discord.Interaction) -> ComponentHandler:
    return cast(ComponentHandler, interaction.client.components)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _Kind:
    """One kind of record button: what it shows and what a click on it does."""

    label: str
    style: discord.ButtonStyle
    click: Callable[[ComponentHandler, discord.Interaction, int], Awaitable[None]]


# The custom id is ``dynamo:<kind>:<number>``: these ids are on messages already posted, so
# a kind is never renamed (a new one may be added).
KINDS: dict[str, _Kind] = {
    "vote:up": _Kind(
        "▲ Upvote", discord.ButtonStyle.success, lambda h, i, idea: h.vote(i, idea, "up")
    ),
    "vote:down": _Kind(
        "▼ Downvote", discord.ButtonStyle.secondary, lambda h, i, idea: h.vote(i, idea, "down")
    ),
    "follow": _Kind("Follow", discord.ButtonStyle.primary, lambda h, i, idea: h.follow(i, idea)),
    "sign": _Kind("Sign", discord.ButtonStyle.success, lambda h, i, campaign: h.sign(i, campaign)),
    # On the private sign confirmation: opens a form for a name to show among the signers.
    "signname": _Kind(
        "Show a name…",
        discord.ButtonStyle.secondary,
        lambda h, i, campaign: h.sign_with_name(i, campaign),
    ),
    # On an action's announcement: a private pledge (the answer only the clicker sees).
    "pledge": _Kind(
        "Pledge", discord.ButtonStyle.success, lambda h, i, action: h.pledge(i, action)
    ),
    # On the private pledge confirmation: a form for a name to be named by at delivery.
    "pledgename": _Kind(
        "Be named by a name…",
        discord.ButtonStyle.secondary,
        lambda h, i, action: h.pledge_with_name(i, action),
    ),
}
_KIND = "|".join(re.escape(kind) for kind in KINDS)


class RecordButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"dynamo:(?P<kind>{_KIND}):(?P<number>{_ID})",
):
    """A button about one idea, campaign or action: vote, follow, sign, pledge, show a name."""

    def __init__(self, kind: str, number: int) -> None:
        shown = KINDS[kind]
        super().__init__(
            discord.ui.Button(
                label=shown.label, style=shown.style, custom_id=f"dynamo:{kind}:{number}"
            )
        )
        self.kind = kind
        self.number = number

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> RecordButton:
        return cls(match["kind"], int(match["number"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await KINDS[self.kind].click(handler_of(interaction), interaction, self.number)


_ACTION_PREFIX = "dynamo:run:"


class ActionButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"dynamo:run:(?P<line>[a-z][a-z0-9 _#-]{0,80})",
):
    """A reply's follow-up action ("Another name" runs `another`). The line is one the
    clicking member could type themself, and it runs as theirs, so a forged id gains
    nothing."""

    def __init__(self, line: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80],
                style=discord.ButtonStyle.primary,
                custom_id=_ACTION_PREFIX + line,
            )
        )
        self.line = line

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> ActionButton:
        return cls(match["line"], item.label or match["line"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await handler_of(interaction).action(interaction, self.line)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (RecordButton, ActionButton)

_ACTION_LINE = re.compile(r"[a-z][a-z0-9 _#-]{0,80}")


def idea_buttons(idea: int, *, votes: bool = True) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if votes:
        view.add_item(RecordButton("vote:up", idea))
        view.add_item(RecordButton("vote:down", idea))
    view.add_item(RecordButton("follow", idea))
    return view


def sign_button(campaign: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RecordButton("sign", campaign))
    return view


def sign_with_name_button(campaign: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RecordButton("signname", campaign))
    return view


def pledge_button(action: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RecordButton("pledge", action))
    return view


def pledge_with_name_button(action: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(RecordButton("pledgename", action))
    return view


def action_buttons(actions: tuple[Action, ...]) -> discord.ui.View | None:
    """Buttons for a reply's actions (at most one row of five); None when there are none."""
    view = discord.ui.View(timeout=None)
    for action in actions[:5]:
        if _ACTION_LINE.fullmatch(action.command):
            view.add_item(ActionButton(action.command, action.label))
    return view if view.children else None
