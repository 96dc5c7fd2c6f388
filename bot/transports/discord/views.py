"""Persistent buttons. Each button's ``custom_id`` carries everything needed to act on a click
(``dynamo:vote:up:42``), so buttons on old messages keep working after a restart: discord.py
matches the id against these ``DynamicItem`` templates, not against anything in memory.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, cast

import discord

from commands.context import Action

_ID = r"[0-9]{1,9}"


class ComponentHandler(Protocol):
    """What a click is handed to (the transport's interaction runner)."""

    async def vote(self, interaction: discord.Interaction, idea: int, direction: str) -> None: ...

    async def follow(self, interaction: discord.Interaction, idea: int) -> None: ...

    async def sign(self, interaction: discord.Interaction, campaign: int) -> None: ...

    async def sign_with_name(self, interaction: discord.Interaction, campaign: int) -> None: ...

    async def action(self, interaction: discord.Interaction, line: str) -> None: ...


def handler_of(interaction: discord.Interaction) -> ComponentHandler:
    return cast(ComponentHandler, interaction.client.components)  # type: ignore[attr-defined]


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"dynamo:vote:(?P<direction>up|down):(?P<idea>{_ID})",
):
    def __init__(self, direction: str, idea: int) -> None:
        up = direction == "up"
        super().__init__(
            discord.ui.Button(
                label="▲ Upvote" if up else "▼ Downvote",
                style=discord.ButtonStyle.success if up else discord.ButtonStyle.secondary,
                custom_id=f"dynamo:vote:{direction}:{idea}",
            )
        )
        self.direction = direction
        self.idea = idea

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> VoteButton:
        return cls(match["direction"], int(match["idea"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await handler_of(interaction).vote(interaction, self.idea, self.direction)


class FollowButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"dynamo:follow:(?P<idea>{_ID})"
):
    def __init__(self, idea: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Follow", style=discord.ButtonStyle.primary, custom_id=f"dynamo:follow:{idea}"
            )
        )
        self.idea = idea

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> FollowButton:
        return cls(int(match["idea"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await handler_of(interaction).follow(interaction, self.idea)


class SignButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"dynamo:sign:(?P<campaign>{_ID})"
):
    def __init__(self, campaign: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Sign", style=discord.ButtonStyle.success, custom_id=f"dynamo:sign:{campaign}"
            )
        )
        self.campaign = campaign

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> SignButton:
        return cls(int(match["campaign"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await handler_of(interaction).sign(interaction, self.campaign)


class SignWithNameButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=rf"dynamo:signname:(?P<campaign>{_ID})",
):
    """On the private sign confirmation: opens a form for a name to show among the signers."""

    def __init__(self, campaign: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Show a name…",
                style=discord.ButtonStyle.secondary,
                custom_id=f"dynamo:signname:{campaign}",
            )
        )
        self.campaign = campaign

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button[Any], match: re.Match[str]
    ) -> SignWithNameButton:
        return cls(int(match["campaign"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await handler_of(interaction).sign_with_name(interaction, self.campaign)


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


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    VoteButton,
    FollowButton,
    SignButton,
    SignWithNameButton,
    ActionButton,
)

_ACTION_LINE = re.compile(r"[a-z][a-z0-9 _#-]{0,80}")


def idea_buttons(idea: int, *, votes: bool = True) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if votes:
        view.add_item(VoteButton("up", idea))
        view.add_item(VoteButton("down", idea))
    view.add_item(FollowButton(idea))
    return view


def sign_button(campaign: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(SignButton(campaign))
    return view


def sign_with_name_button(campaign: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(SignWithNameButton(campaign))
    return view


def action_buttons(actions: tuple[Action, ...]) -> discord.ui.View | None:
    """Buttons for a reply's actions (at most one row of five); None when there are none."""
    view = discord.ui.View(timeout=None)
    for action in actions[:5]:
        if _ACTION_LINE.fullmatch(action.command):
            view.add_item(ActionButton(action.command, action.label))
    return view if view.children else None
