"""Every command declared once: name, help, typed parameters, who may run it and where.

Console and IRC parsing, Discord slash commands, ``help`` and usage errors all come from
these declarations.
"""

from __future__ import annotations

import dataclasses
import difflib
import inspect
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from commands.framework.formatting import quote
from commands.framework.reply import Reply, Role
from commands.framework.rules import Rules

_RULES = frozenset(f.name for f in dataclasses.fields(Rules))


class UsageError(Exception):
    """The line does not fit the command; the message says what to type instead."""


@dataclass(frozen=True)
class ReplyNote:
    """News a member hears with their next reply, once (a mail to them bounced, their
    private messages are closed). The feature that knows the news declares it
    (``CommandSet.note``); the invoker adds it. ``applies`` reads only the member's row, so
    a member with no news costs no query."""

    applies: Callable[[Any], bool]
    add: Callable[[Any, Any, str, Reply, Any], Awaitable[Reply]]  # conn, member, key, reply, now


# Text said in a public channel, looked at by a feature before anything else happens to it
# (a registration code shown in public is burned): (db, platform, text, now) -> what to tell
# the sayer privately, or None.
PublicWatch = Callable[[Any, str, str, Any], Awaitable[str | None]]


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # "int", "word", "text" (rest of the line), "choice"
    help: str
    required: bool = True
    choices: tuple[str, ...] = ()
    # A parameter introduced by a word: an optional "text" one (`sign 3 as "Name"`), or an
    # "int" or "word" one (`action 3 needs 200 by 14d`), then typed after its word, which
    # an optional one is left out with.
    keyword: str | None = None
    # The longest text accepted: a number, or the name of a ``[rules]`` setting
    # ("pitch_max_chars") when the deployment chooses it. The handler's check, the Discord
    # form's field and ``help`` all read it from here (see ``limit``).
    max_chars: int | str | None = None
    # What a Discord form's empty field shows, when it asks for this parameter.
    form_hint: str | None = None
    # How member text is made inert (commands.framework.member_text): "line" (every line separator
    # becomes a space), "lines" (paragraphs kept: a campaign's document), or "name" (a name
    # shown to others: refused, not silently changed, when it has invisible characters).
    shape: str = "line"

    @property
    def placeholder(self) -> str:
        if self.kind == "choice":
            inner = "|".join(self.choices)
        else:
            inner = self.name.upper()
        if self.keyword:
            inner = f"{self.keyword} {inner}"
        return inner if self.required else f"[{inner}]"

    def limit(self, rules: Rules) -> int | None:
        """The most characters this parameter takes under these rules (None: no limit)."""
        if isinstance(self.max_chars, str):
            return int(getattr(rules, self.max_chars))
        return self.max_chars


Handler = Callable[..., Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    name: str  # one or two words: "pitch", "mod hide"
    handler: Handler
    summary: str
    params: tuple[Param, ...] = ()
    examples: tuple[str, ...] = ()
    min_role: Role = Role.MEMBER
    # Private commands tie the invoker to a pseudonym: never acted on in public.
    private: bool = True
    writes: bool = True
    details: str = ""
    # A command whose effects others can see (a new idea, a vote count, a signature, a
    # post) runs a random time later when `[privacy] max_public_delay` is set, so its
    # timing doesn't point to the member (commands.framework.deferral). ``later`` is what the member
    # is told at once, with the arguments filled in ("Your upvote on #{idea} counts");
    # ``later_if`` limits it to some uses (`doc N edit`, not `doc N`); ``tell_after``:
    # whether the reply is sent once it has run (a new idea's number, a saved revision).
    later: str | None = None
    later_if: Callable[[dict[str, Any]], bool] | None = None
    tell_after: bool = False
    # The row that holds a ``later`` command until its moment does not say whose it is:
    # the member and the arguments are sealed with the project secret (a pledge, whose
    # pledger nobody may learn before the action triggers).
    sealed: bool = False
    # The title of the Discord form that asks for the text parameter, filled in with the
    # others ("Say in campaign #{campaign}"); None: the command's name.
    form_title: str | None = None

    def __post_init__(self) -> None:
        check_declaration(self)

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise KeyError(f"command {self.name!r} has no parameter {name!r}")

    @property
    def usage(self) -> str:
        return " ".join([self.name, *(p.placeholder for p in self.params)])

    @property
    def group(self) -> str | None:
        return self.name.split()[0] if " " in self.name else None

    def runs_later(self, args: dict[str, Any]) -> bool:
        """Whether this use of the command is one others can see (see ``later``)."""
        return self.later is not None and (self.later_if is None or self.later_if(args))


class DeclarationError(TypeError):
    """A command declaration that disagrees with its handler (raised when it is declared)."""


def check_declaration(command: Command) -> None:
    """The declared parameters are exactly the handler's keyword arguments (after ``ctx``),
    and every setting a declaration names exists; else a DeclarationError naming both."""
    where = f"command {command.name!r}"
    handler = getattr(command.handler, "__qualname__", repr(command.handler))
    names = [p.name for p in command.params]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DeclarationError(f"{where}: parameter {twice[0]!r} is declared twice")
    for param in command.params:
        if isinstance(param.max_chars, str) and param.max_chars not in _RULES:
            raise DeclarationError(
                f"{where}: parameter {param.name!r} has max_chars={param.max_chars!r}, "
                f"which is not a [rules] setting"
            )
    try:
        signature = inspect.signature(command.handler)
    except (TypeError, ValueError):
        return  # a builtin or C callable: nothing to compare
    arguments = list(signature.parameters.values())
    if not arguments or arguments[0].kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        raise DeclarationError(f"{where}: the handler {handler} must take ctx first")
    rest = {a.name: a for a in arguments[1:]}
    takes_any = any(a.kind is inspect.Parameter.VAR_KEYWORD for a in rest.values())
    for name in names:
        argument = rest.get(name)
        if argument is None and not takes_any:
            raise DeclarationError(
                f"{where}: parameter {name!r} is declared in Param(...) but the handler "
                f"{handler} has no argument {name!r}"
            )
        if argument is not None and argument.kind not in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        ):
            raise DeclarationError(f"{where}: the handler {handler} must take {name!r} by keyword")
    for argument in rest.values():
        if argument.kind in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL):
            continue
        if argument.name not in names and argument.default is inspect.Parameter.empty:
            raise DeclarationError(
                f"{where}: the handler {handler} takes {argument.name!r}, which no Param(...) "
                f"declares"
            )


@dataclass
class Registry:
    commands: dict[str, Command] = field(default_factory=dict)
    notes: list[ReplyNote] = field(default_factory=list)
    public_watches: list[PublicWatch] = field(default_factory=list)
    _groups: set[str] = field(default_factory=set)

    def add(self, command: Command) -> Command:
        if command.name in self.commands:
            raise ValueError(f"command {command.name!r} declared twice")
        self.commands[command.name] = command
        if command.group:
            self._groups.add(command.group)
        return command

    def extend(self, commands: CommandSet) -> None:
        for command in commands.commands:
            self.add(command)
        self.notes.extend(commands.notes)
        self.public_watches.extend(commands.public_watches)

    def get(self, name: str) -> Command | None:
        return self.commands.get(name.lower())

    def __iter__(self) -> Any:
        return iter(self.commands.values())

    def groups(self) -> set[str]:
        return self._groups

    def find(self, line: str) -> tuple[Command, str]:
        """The command a line starts with, and the rest of the line."""
        words = line.strip().split(None, 2)
        if not words:
            raise UsageError("Say a command, for example `help`.")
        first = words[0].lower()
        if first in self.groups() and len(words) >= 2:
            name = f"{first} {words[1].lower()}"
            if name in self.commands:
                rest = words[2] if len(words) > 2 else ""
                return self.commands[name], rest
            subs = sorted(c.name.split()[1] for c in self if c.group == first)
            raise UsageError(
                f"`{first}` has no subcommand “{_clip(words[1])}”. Try one of: {', '.join(subs)}."
            )
        if first in self.groups():
            subs = sorted(c.name.split()[1] for c in self if c.group == first)
            raise UsageError(f"`{first}` needs a subcommand: {', '.join(subs)}.")
        command = self.commands.get(first)
        if command is None:
            raise UsageError(self.unknown(first))
        rest = line.strip()[len(words[0]) :].strip()
        return command, rest

    def unknown(self, word: str) -> str:
        """What to say to a command name nobody declared, with the closest one that exists."""
        names = sorted({*self.commands, *self.groups()})
        close = difflib.get_close_matches(word.lower(), names, n=1, cutoff=0.75)
        guess = f" Did you mean `{close[0]}`?" if close else ""
        return f"I don't know the command “{_clip(word)}”.{guess} Send `help` for a list."

    def parse(self, line: str) -> tuple[Command, dict[str, Any]]:
        command, rest = self.find(line)
        return command, parse_args(command, rest)


_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’"}


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _clip(text: str, n: int = 30) -> str:
    """A piece of what the person typed, echoed back as their text (never as markup)."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", text)
    return quote(text if len(text) <= n else text[: n - 1] + "…")


def unquote(text: str) -> str:
    """A parameter's text without the quotes around it (straight or curly)."""
    text = text.strip()
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        return text[1:-1].strip()
    return text


def parse_int(token: str, param: Param, command: Command) -> int:
    digits = token[1:] if token.startswith("#") else token
    if not digits.isascii() or not digits.isdigit() or len(digits) > 9 or int(digits) < 1:
        raise UsageError(
            f"“{_clip(token)}” is not {_a(param.name)} number. Usage: `{command.usage}` "
            f"(for example `{command.examples[0] if command.examples else command.name}`)."
        )
    return int(digits)


def parse_args(command: Command, rest: str) -> dict[str, Any]:
    """Fill the parameters from the rest of the line, left to right."""
    values: dict[str, Any] = {}
    remaining = rest.strip()
    skipped: Param | None = None  # an optional choice the next word was not one of
    for param in command.params:
        if param.kind == "text":
            text = remaining
            if param.keyword:
                head, _, tail = remaining.partition(" ")
                if head.lower() == param.keyword:
                    text = unquote(tail)
                elif remaining:
                    # Neither the keyword nor a choice: say so, never drop it silently.
                    if skipped is not None:
                        raise UsageError(
                            f"“{_clip(head)}” is not one of {', '.join(skipped.choices)}. "
                            f"Usage: `{command.usage}`."
                        )
                    break
                else:
                    text = ""
            remaining = ""
            if not text:
                if param.required:
                    raise _missing(command, param)
                values[param.name] = None
                continue
            values[param.name] = text
            continue
        token, _, tail = remaining.partition(" ")
        if param.keyword:
            if token.lower() != param.keyword:
                if param.required:
                    raise _missing(command, param)
                values[param.name] = None
                continue
            remaining = tail.strip()
            token, _, tail = remaining.partition(" ")
            if not token:
                raise _missing(command, param)
        if param.kind == "choice":
            if token.lower() in param.choices:
                values[param.name] = token.lower()
                remaining = tail.strip()
            elif param.required:
                what = f"“{_clip(token)}” is not" if token else "Missing"
                raise UsageError(
                    f"{what} one of {', '.join(param.choices)}. Usage: `{command.usage}`."
                )
            else:
                values[param.name] = None
                skipped = param if token else None
            continue
        if not token:
            if param.required:
                raise _missing(command, param)
            values[param.name] = None
            continue
        if param.kind == "int":
            values[param.name] = parse_int(token, param, command)
        else:
            values[param.name] = token
        remaining = tail.strip()
    if remaining:
        raise UsageError(
            f"I didn't understand “{_clip(remaining)}” after `{command.name}`. "
            f"Usage: `{command.usage}`."
        )
    return values


def _missing(command: Command, param: Param) -> UsageError:
    return UsageError(
        f"`{command.name}` needs {param.help.lower()}. Usage: `{command.usage}`, "
        f"for example `{command.examples[0]}`."
    )


class CommandSet:
    """The commands one feature module declares; the catalog merges them into a Registry."""

    def __init__(self) -> None:
        self.commands: list[Command] = []
        self.notes: list[ReplyNote] = []
        self.public_watches: list[PublicWatch] = []

    def note(self, note: ReplyNote) -> ReplyNote:
        """Declare news a member is told with their next reply (see ``ReplyNote``)."""
        self.notes.append(note)
        return note

    def watch_public(self, watch: PublicWatch) -> PublicWatch:
        """Declare a look at every line said in public (see ``PublicWatch``)."""
        self.public_watches.append(watch)
        return watch

    def command(
        self,
        name: str,
        summary: str,
        *,
        params: Sequence[Param] = (),
        examples: Sequence[str] = (),
        min_role: Role = Role.MEMBER,
        private: bool = True,
        writes: bool = True,
        details: str = "",
        later: str | None = None,
        later_if: Callable[[dict[str, Any]], bool] | None = None,
        tell_after: bool = False,
        sealed: bool = False,
        form_title: str | None = None,
    ) -> Callable[[Handler], Handler]:
        """Declare a command; the handler is ``async def f(ctx, **params) -> Reply``, and
        its arguments after ``ctx`` are checked against ``params`` here, at import."""

        def decorate(handler: Handler) -> Handler:
            self.commands.append(
                Command(
                    name=name,
                    handler=handler,
                    summary=summary,
                    params=tuple(params),
                    examples=tuple(examples),
                    min_role=min_role,
                    private=private,
                    writes=writes,
                    details=details,
                    later=later,
                    later_if=later_if,
                    tell_after=tell_after,
                    sealed=sealed,
                    form_title=form_title,
                )
            )
            return handler

        return decorate


__all__ = [
    "Command",
    "CommandSet",
    "DeclarationError",
    "Param",
    "PublicWatch",
    "Registry",
    "ReplyNote",
    "UsageError",
    "parse_args",
    "unquote",
]
