"""The slash commands, generated from the command registry: one per command, and a group per
command group (``/mod hide``). Option names, types, descriptions and choices come from the
command's parameters; nothing here is declared twice.

``/mod`` is a server-only group with ``default_member_permissions`` Manage Messages, so
Discord shows it only to members who may moderate (server admins can narrow that to the
moderator roles under Server Settings → Integrations). The bot also checks the configured
moderator roles on every use, and the invoker checks the member's Dynamo role.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any, Optional

import discord
from discord import app_commands

from commands.framework.registry import Command, Param, Registry

from . import forms
from .text import clip, option_name, slash_commands

logger = logging.getLogger(__name__)

MAX_DESCRIPTION = 100
MAX_ID = 999_999_999  # the core's numbers have at most nine digits
MOD_GROUP = "mod"
MOD_PERMISSIONS = discord.Permissions(manage_messages=True)
OUT_OF_SYNC = (
    "This command changed since it was registered with Discord. An admin needs to run "
    "`dynamo discord sync`; until then, please try again later."
)
OOPS = "Something went wrong on our side and nothing was changed. Please try again in a moment."

RunnerOf = Callable[[discord.Interaction], Any]


def _annotation(param: Param) -> Any:
    if param.kind == "int":
        return app_commands.Range[int, 1, MAX_ID]
    return str


def _description(text: str, registry: Registry) -> str:
    return clip(slash_commands(text, registry), MAX_DESCRIPTION) or "…"


def make_command(
    command: Command,
    runner_of: RunnerOf,
    registry: Registry,
    parent: app_commands.Group | None = None,
) -> app_commands.Command[Any, ..., None]:
    """One slash command whose options are the command's parameters, in order."""
    form_field = forms.asks_when_missing(command)
    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    descriptions: dict[str, str] = {}
    choices: dict[str, list[app_commands.Choice[str]]] = {}
    for param in command.params:
        required = param.required and param is not form_field
        annotation = _annotation(param)
        help_text = param.help
        if param is form_field:
            help_text += " (leave it out to get a form)"
        descriptions[option_name(param)] = _description(help_text, registry)
        if param.kind == "choice":
            choices[option_name(param)] = [
                app_commands.Choice(name=c, value=c) for c in param.choices
            ]
        parameters.append(
            inspect.Parameter(
                option_name(param),
                inspect.Parameter.KEYWORD_ONLY,
                annotation=annotation if required else Optional[annotation],  # noqa: UP045
                default=inspect.Parameter.empty if required else None,
            )
        )

    async def callback(interaction: discord.Interaction, **options: Any) -> None:
        await runner_of(interaction).slash(interaction, command, options)

    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    described = app_commands.choices(**choices)(app_commands.describe(**descriptions)(callback))
    return app_commands.Command(
        name=command.name.split()[-1],
        description=_description(command.summary, registry),
        callback=described,
        parent=parent,
    )


def build_tree(
    client: discord.Client, registry: Registry, runner_of: RunnerOf
) -> app_commands.CommandTree[Any]:
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
    groups: dict[str, app_commands.Group] = {}
    for command in registry:
        if command.group is None:
            tree.add_command(make_command(command, runner_of, registry))
            continue
        group = groups.get(command.group)
        if group is None:
            group = _group(command.group, registry)
            groups[command.group] = group
        group.add_command(make_command(command, runner_of, registry, parent=group))
    for group in groups.values():
        tree.add_command(group)

    @tree.error
    async def on_error(
        interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        if isinstance(error, app_commands.CommandSignatureMismatch):
            text = OUT_OF_SYNC
            logger.warning("slash command /%s is out of sync with Discord", error.command.name)
        else:
            text = OOPS
            logger.error("slash command failed", exc_info=error)
        if not interaction.response.is_done():
            try:
                await interaction.response.send_message(
                    text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
                )
            except discord.HTTPException:
                logger.warning("could not tell a member their command failed")

    return tree


def _group(name: str, registry: Registry) -> app_commands.Group:
    subs = sorted(c.name.split()[1] for c in registry if c.group == name)
    if name == MOD_GROUP:
        return app_commands.Group(
            name=name,
            description=clip("Moderation (moderators only): " + ", ".join(subs), MAX_DESCRIPTION),
            guild_only=True,
            default_permissions=MOD_PERMISSIONS,
        )
    return app_commands.Group(
        name=name, description=clip(f"/{name} " + ", ".join(subs), MAX_DESCRIPTION)
    )


def command_payloads(tree: app_commands.CommandTree[Any]) -> list[dict[str, Any]]:
    """What a sync sends to Discord (for checks and the sync command's summary)."""
    return [c.to_dict(tree) for c in tree.get_commands()]
