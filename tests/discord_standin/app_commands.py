"""Application commands: checking a bulk overwrite like Discord does, and turning a test's
``slash_command("idea vote", {"idea": 42})`` into the interaction data a client receives.

The checks matter because Discord rejects a whole sync for one bad field (a 101-character
description, an upper-case name); catching that here beats finding it in production.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from .errors import INVALID_FORM_BODY, RestError, StandInError
from .payloads import field_errors

Json = dict[str, Any]

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10
SNOWFLAKE_TYPES = (USER, CHANNEL, ROLE, MENTIONABLE)
CHAT_INPUT = 1
MAX_OPTIONS = 25
_SLASH_NAME = re.compile(r"^[-_'\w]{1,32}$")


def _invalid(path: list[str | int], code: str, message: str) -> RestError:
    return RestError(400, INVALID_FORM_BODY, "Invalid Form Body", field_errors(path, code, message))


def _check_name(name: Any, path: list[str | int], *, chat_input: bool) -> None:
    ok = isinstance(name, str) and (
        bool(_SLASH_NAME.match(name)) and name == name.lower()
        if chat_input
        else 1 <= len(name) <= 32
    )
    if not ok:
        raise _invalid([*path, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Invalid name")


def _check_description(description: Any, path: list[str | int]) -> None:
    if not isinstance(description, str) or not 1 <= len(description) <= 100:
        raise _invalid(
            [*path, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."
        )


def _check_options(options: list[Json], path: list[str | int]) -> None:
    if len(options) > MAX_OPTIONS:
        raise _invalid(path, "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
    seen_optional = False
    names: set[str] = set()
    for index, option in enumerate(options):
        here = [*path, index]
        _check_name(option.get("name"), here, chat_input=True)
        _check_description(option.get("description"), here)
        if option["name"] in names:
            raise _invalid(here, "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS", "Duplicate")
        names.add(option["name"])
        if option["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP):
            _check_options(option.get("options") or [], [*here, "options"])
            continue
        if option.get("required"):
            if seen_optional:
                raise _invalid(
                    here,
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True
        choices = option.get("choices") or []
        if len(choices) > MAX_OPTIONS:
            raise _invalid([*here, "choices"], "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer.")


def validate_overwrite(commands: Any) -> None:
    """Raise the 400 Discord would answer to this bulk overwrite body, if any."""
    if not isinstance(commands, list):
        raise _invalid([], "BASE_TYPE_ARRAY", "Must be an array.")
    seen: set[tuple[int, str]] = set()
    for index, command in enumerate(commands):
        kind = command.get("type", CHAT_INPUT)
        _check_name(command.get("name"), [index], chat_input=kind == CHAT_INPUT)
        if kind == CHAT_INPUT:
            _check_description(command.get("description"), [index])
            _check_options(command.get("options") or [], [index, "options"])
        key = (kind, command["name"])
        if key in seen:
            raise _invalid(
                [index, "name"],
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                "Application command names must be unique",
            )
        seen.add(key)


def allowed_in(command: Json, context: int) -> bool:
    """Whether a user can run the command in an interaction context (0 guild, 1 bot DM)."""
    contexts = command.get("contexts")
    if contexts is not None:
        return context in contexts
    return context == 0 or command.get("dm_permission") is not False


def _convert(option: Json, value: Any, resolve: Callable[[int, Any], str]) -> Any:
    """The value the Discord client would send, refusing what its UI would not allow."""
    name, kind = option["name"], option["type"]
    if kind == STRING:
        if not isinstance(value, str):
            raise StandInError(f"option {name!r} takes a string, got {value!r}")
        low, high = option.get("min_length", 0), option.get("max_length", 6000)
        if not low <= len(value) <= high:
            raise StandInError(f"option {name!r} must be {low}..{high} characters long")
    elif kind in (INTEGER, NUMBER):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise StandInError(f"option {name!r} takes a number, got {value!r}")
        if kind == INTEGER and not isinstance(value, int):
            raise StandInError(f"option {name!r} takes an integer, got {value!r}")
        low, high = option.get("min_value"), option.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise StandInError(f"option {name!r} must be within {low}..{high}")
    elif kind == BOOLEAN:
        if not isinstance(value, bool):
            raise StandInError(f"option {name!r} takes a boolean, got {value!r}")
    elif kind in SNOWFLAKE_TYPES:
        return resolve(kind, value)
    else:
        raise StandInError(f"option {name!r} has type {kind}, which the stand-in cannot send")
    choices = option.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise StandInError(f"{value!r} is not one of the choices of option {name!r}")
    return value


def build_options(
    command: Json,
    path: list[str],
    values: Mapping[str, Any],
    resolve: Callable[[int, Any], str],
) -> list[Json]:
    """Interaction ``options`` for ``command``, walking ``path`` through groups/subcommands.

    ``resolve(option_type, value)`` turns a user/channel/role value into its id string and
    records it in the interaction's ``resolved`` data.
    """
    definitions: list[Json] = command.get("options") or []
    chain: list[Json] = []
    for step in path:
        match = next(
            (
                o
                for o in definitions
                if o["name"] == step and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
            ),
            None,
        )
        if match is None:
            raise StandInError(f"/{command['name']} has no subcommand or group {step!r}")
        chain.append(match)
        definitions = match.get("options") or []
    if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in definitions):
        raise StandInError(f"/{command['name']} {' '.join(path)} needs a subcommand")

    by_name = {o["name"]: o for o in definitions}
    unknown = set(values) - set(by_name)
    if unknown:
        raise StandInError(f"/{command['name']} has no option(s) {sorted(unknown)}")
    missing = [o["name"] for o in definitions if o.get("required") and o["name"] not in values]
    if missing:
        raise StandInError(f"/{command['name']} requires option(s) {missing}")

    leaf: list[Json] = [
        {"name": o["name"], "type": o["type"], "value": _convert(o, values[o["name"]], resolve)}
        for o in definitions
        if o["name"] in values
    ]
    for parent in reversed(chain):
        leaf = [{"name": parent["name"], "type": parent["type"], "options": leaf}]
    return leaf
