"""Modal forms for a command's text parameter.

``/pitch`` without its text opens a one-field form; so do the other commands whose text is
required (``/say 3``, ``/petition 3``, ...), and the "Show a name…" button of a signature.
The form's ``custom_id`` names the command and carries the values already given
(``dynamo:say:3``), so a submission needs nothing kept in memory: it is handled the same
after a restart, and two members filling the same form at once never mix. The field's
limit, its placeholder and the form's title are declared with the command
(``Param.max_chars``, ``Param.form_hint``, ``form_title`` in commands/framework/registry.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import discord

from commands.framework.registry import Command, Param, Registry
from commands.framework.rules import Rules

from .text import clip

PREFIX = "dynamo:"
MAX_FIELD = 4000  # Discord's longest text input
MAX_TITLE = 45
MAX_LABEL = 45


class FormError(ValueError):
    """A submission that does not fit its form (an old or forged form id)."""


def slug(command: Command) -> str:
    return command.name.replace(" ", "_")


def text_param(command: Command) -> Param | None:
    return next((p for p in command.params if p.kind == "text"), None)


def asks_when_missing(command: Command) -> Param | None:
    """The required text parameter a form asks for when the slash command leaves it out."""
    param = text_param(command)
    return param if param is not None and param.required else None


def field_limit(param: Param, rules: Rules) -> int:
    """The field stops at the length the command accepts (``Param.max_chars``)."""
    limit = param.limit(rules)
    return MAX_FIELD if limit is None else min(limit, MAX_FIELD)


@dataclass(frozen=True)
class Form:
    command: Command
    field: Param
    given: dict[str, Any]  # the command's other parameters

    @property
    def custom_id(self) -> str:
        values = [
            "" if self.given.get(p.name) is None else str(self.given[p.name])
            for p in self.command.params
            if p is not self.field
        ]
        return PREFIX + ":".join([slug(self.command), *values])

    @property
    def field_id(self) -> str:
        return f"{slug(self.command)}_{self.field.name}"

    def title(self) -> str:
        template = self.command.form_title
        if template is not None:
            try:
                return clip(template.format(**self.given), MAX_TITLE)
            except (KeyError, IndexError):
                pass
        return clip(f"/{self.command.name}", MAX_TITLE)

    def modal(self, rules: Rules) -> discord.ui.Modal:
        limit = field_limit(self.field, rules)
        modal = discord.ui.Modal(title=self.title(), custom_id=self.custom_id, timeout=None)
        modal.add_item(
            discord.ui.TextInput(
                label=clip(self.field.help, MAX_LABEL),
                custom_id=self.field_id,
                style=discord.TextStyle.paragraph if limit > 100 else discord.TextStyle.short,
                max_length=limit,
                required=True,
                placeholder=self.field.form_hint,
            )
        )
        return modal

    def arguments(self, submitted: Mapping[str, str]) -> dict[str, Any]:
        """The command's arguments from a submission's field values."""
        return {**self.given, self.field.name: submitted.get(self.field_id) or None}


def form_for(command: Command, given: Mapping[str, Any]) -> Form | None:
    field = text_param(command)
    if field is None:
        return None
    values = {p.name: given.get(p.name) for p in command.params if p is not field}
    form = Form(command, field, values)
    if len(form.custom_id) > 100 or any(":" in str(v) for v in values.values() if v):
        return None
    return form


def parse_form_id(custom_id: str, registry: Registry) -> Form:
    """The form a submitted ``custom_id`` names; FormError when it names none."""
    if not custom_id.startswith(PREFIX):
        raise FormError("not a Dynamo form")
    name, *values = custom_id.removeprefix(PREFIX).split(":")
    command = registry.get(name.replace("_", " "))
    field = text_param(command) if command is not None else None
    if command is None or field is None:
        raise FormError(f"no form for {name!r}")
    others = [p for p in command.params if p is not field]
    if len(values) != len(others):
        raise FormError("the form does not match its command")
    given: dict[str, Any] = {}
    for param, raw in zip(others, values, strict=True):
        given[param.name] = _value(param, raw)
    return Form(command, field, given)


def _value(param: Param, raw: str) -> Any:
    if raw == "":
        if param.required:
            raise FormError(f"{param.name} is missing")
        return None
    if param.kind == "int":
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 9 and int(raw) >= 1):
            raise FormError(f"{param.name} is not a number")
        return int(raw)
    if param.kind == "choice" and raw not in param.choices:
        raise FormError(f"{param.name} is not one of the choices")
    return raw


def submitted_values(data: Mapping[str, Any]) -> dict[str, str]:
    """``{field custom_id: value}`` from a modal submission's components."""
    values: dict[str, str] = {}

    def walk(components: Any) -> None:
        for component in components or []:
            if not isinstance(component, dict):
                continue
            if "custom_id" in component and isinstance(component.get("value"), str):
                values[component["custom_id"]] = component["value"]
            walk(component.get("components"))
            if isinstance(component.get("component"), dict):
                walk([component["component"]])

    walk(data.get("components"))
    return values
