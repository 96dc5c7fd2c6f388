"""From a slash command, a click or a form to a command invocation, and back as an answer.

Every answer to a member is ephemeral: only the member sees it, and nobody sees who clicked
or ran what. That privacy is what makes private commands (pitch, vote, sign, say) safe to
run inside a server, so every invocation runs as ``where="dm"``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from typing import Any

import discord

from commands.framework.invoker import Invoker
from commands.framework.registry import Command, Registry, UsageError
from commands.framework.reply import IdentityRef, Reply
from commands.framework.rules import Rules

from . import forms
from .settings import DiscordGuildSettings
from .slash import MOD_GROUP
from .text import chunks, option_name, render
from .views import action_buttons, pledge_with_name_button, sign_with_name_button

logger = logging.getLogger(__name__)

PLATFORM = "discord"
# Discord forgets an interaction that gets no answer within 3 seconds; a command still
# running after this long is answered with "thinking..." and its reply follows.
DEFER_AFTER = 2.0
NO_MENTIONS = discord.AllowedMentions.none()

NOT_A_MODERATOR = "Only members with one of this server's moderator roles can use `/mod` here."
FORM_OUT_OF_DATE = "That form is out of date. Please run the command again."
MOD_ONLY_IN_SERVERS = "`/mod` works only inside a server, where your moderator role is."


def identity_of(user: discord.abc.User) -> IdentityRef:
    return IdentityRef(key=f"{PLATFORM}:{user.id}", platform=PLATFORM)


class InteractionRunner:
    """Turns interactions into invocations; also the handler of the persistent buttons."""

    def __init__(
        self,
        invoker: Invoker,
        registry: Registry,
        rules: Rules,
        guilds: Mapping[int, DiscordGuildSettings],
    ) -> None:
        self.invoker = invoker
        self.registry = registry
        self.rules = rules
        self.guilds = guilds

    # -- slash commands -------------------------------------------------------------------
    async def slash(
        self, interaction: discord.Interaction, command: Command, options: Mapping[str, Any]
    ) -> None:
        if command.group == MOD_GROUP and not self.may_moderate(interaction):
            await self._refuse(interaction, self._mod_refusal(interaction))
            return
        args = {p.name: options.get(option_name(p)) for p in command.params}
        param = forms.asks_when_missing(command)
        if param is not None and args[param.name] is None:
            form = forms.form_for(command, args)
            if form is not None:
                await self._open_form(interaction, form)
                return
        await self.run(interaction, command, args)

    def may_moderate(self, interaction: discord.Interaction) -> bool:
        """In a configured server: one of its moderator roles (or, when it names none, the
        Manage Messages permission). The member's Dynamo role is checked by the invoker too."""
        guild = self.guilds.get(interaction.guild_id or 0)
        user = interaction.user
        if guild is None or not isinstance(user, discord.Member):
            return False
        if guild.moderator_role_ids:
            return any(role.id in guild.moderator_role_ids for role in user.roles)
        return interaction.permissions.manage_messages

    def _mod_refusal(self, interaction: discord.Interaction) -> str:
        return MOD_ONLY_IN_SERVERS if interaction.guild_id is None else NOT_A_MODERATOR

    # -- buttons --------------------------------------------------------------------------
    async def vote(self, interaction: discord.Interaction, idea: int, direction: str) -> None:
        name = "upvote" if direction == "up" else "downvote"
        await self._named(interaction, name, {"idea": idea})

    async def follow(self, interaction: discord.Interaction, idea: int) -> None:
        await self._named(interaction, "subscribe", {"idea": idea})

    async def sign(self, interaction: discord.Interaction, campaign: int) -> None:
        command = self._command("sign")
        args = {"campaign": campaign, "category": None, "name": None}
        await self.run(interaction, command, args, extra=sign_with_name_button(campaign))

    async def sign_with_name(self, interaction: discord.Interaction, campaign: int) -> None:
        form = forms.form_for(self._command("sign"), {"campaign": campaign, "category": None})
        assert form is not None
        await self._open_form(interaction, form)

    async def pledge(self, interaction: discord.Interaction, action: int) -> None:
        command = self._command("pledge")
        args = {"action": action, "name": None}
        await self.run(interaction, command, args, extra=pledge_with_name_button(action))

    async def pledge_with_name(self, interaction: discord.Interaction, action: int) -> None:
        form = forms.form_for(self._command("pledge"), {"action": action})
        assert form is not None
        await self._open_form(interaction, form)

    async def action(self, interaction: discord.Interaction, line: str) -> None:
        """A reply's follow-up button; on our own private reply it replaces that reply."""
        message = interaction.message
        edit = message is not None and message.flags.ephemeral
        try:
            command, args = self.registry.parse(line)
        except UsageError as exc:
            await self._refuse(interaction, str(exc))
            return
        if command.group == MOD_GROUP and not self.may_moderate(interaction):
            await self._refuse(interaction, self._mod_refusal(interaction))
            return
        await self.run(interaction, command, args, edit=edit)

    # -- forms ----------------------------------------------------------------------------
    async def _open_form(self, interaction: discord.Interaction, form: forms.Form) -> None:
        modal = form.modal(self.rules)
        await interaction.response.send_modal(modal)
        # The submission is handled from its custom_id (see ``form_submitted``), not by this
        # object: discord.py keeps one modal per custom_id for everyone, so drop it.
        modal.stop()

    async def form_submitted(self, interaction: discord.Interaction) -> None:
        data: Mapping[str, Any] = interaction.data or {}  # type: ignore[assignment]
        try:
            form = forms.parse_form_id(str(data.get("custom_id", "")), self.registry)
        except forms.FormError:
            await self._refuse(interaction, FORM_OUT_OF_DATE)
            return
        if form.command.group == MOD_GROUP and not self.may_moderate(interaction):
            await self._refuse(interaction, self._mod_refusal(interaction))
            return
        await self.run(interaction, form.command, form.arguments(forms.submitted_values(data)))

    # -- running and answering ------------------------------------------------------------
    def _command(self, name: str) -> Command:
        command = self.registry.get(name)
        if command is None:
            raise LookupError(f"the registry has no {name!r} command")
        return command

    async def _named(
        self, interaction: discord.Interaction, name: str, args: dict[str, Any]
    ) -> None:
        await self.run(interaction, self._command(name), args)

    async def run(
        self,
        interaction: discord.Interaction,
        command: Command,
        args: dict[str, Any],
        *,
        edit: bool = False,
        extra: discord.ui.View | None = None,
    ) -> Reply:
        """Invoke ``command`` as the interaction's user and answer privately."""
        work = self.invoker.invoke(identity_of(interaction.user), command, args, where="dm")
        return await self._answer(interaction, work, edit=edit, extra=extra)

    async def _answer(
        self,
        interaction: discord.Interaction,
        work: Awaitable[Reply],
        *,
        edit: bool,
        extra: discord.ui.View | None,
    ) -> Reply:
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
        deferred = not done
        if deferred:
            try:
                if edit:
                    await interaction.response.defer()
                else:
                    await interaction.response.defer(ephemeral=True, thinking=True)
            except discord.HTTPException as exc:
                # Too late for Discord; the command still finishes (and commits) below.
                _log_unanswered(exc)
        reply = await task
        view = action_buttons(reply.actions) or (extra if reply.ok else None)
        await self._send(interaction, reply.text, view=view, edit=edit, deferred=deferred)
        return reply

    async def _refuse(self, interaction: discord.Interaction, text: str) -> None:
        await self._send(interaction, text, view=None, edit=False, deferred=False)

    async def _send(
        self,
        interaction: discord.Interaction,
        text: str,
        *,
        view: discord.ui.View | None,
        edit: bool,
        deferred: bool,
    ) -> None:
        # Private to the member: their own texts keep their lines, still shown as typed.
        parts = chunks(render(text, self.registry, public=False))
        first, rest = parts[0], parts[1:]
        first_view = view if not rest else None
        try:
            if edit:
                # The reply replaces the private message the button was on; no buttons left
                # means the choice is made.
                if deferred:
                    await interaction.edit_original_response(
                        content=first, view=first_view, allowed_mentions=NO_MENTIONS
                    )
                else:
                    await interaction.response.edit_message(
                        content=first, view=first_view, allowed_mentions=NO_MENTIONS
                    )
            elif deferred:
                await interaction.followup.send(first, ephemeral=True, **_view_kw(first_view))
            else:
                await interaction.response.send_message(
                    first, ephemeral=True, **_view_kw(first_view)
                )
            for index, part in enumerate(rest):
                last_view = view if index == len(rest) - 1 else None
                await interaction.followup.send(part, ephemeral=True, **_view_kw(last_view))
        except discord.HTTPException as exc:
            _log_unanswered(exc)


def _log_unanswered(exc: discord.HTTPException) -> None:
    logger.warning(
        "could not answer an interaction: %s %s (code %s)",
        exc.status,
        type(exc).__name__,
        exc.code,
    )


def _view_kw(view: discord.ui.View | None) -> dict[str, Any]:
    kw: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
    if view is not None:
        kw["view"] = view
    return kw
