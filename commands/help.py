"""``help``, generated from the registry."""

from __future__ import annotations

from commands.framework.context import Ctx
from commands.framework.registry import Command, CommandSet, Param
from commands.framework.reply import CommandError, Reply, Role
from commands.framework.rules import Rules

spec = CommandSet()

SECTIONS = (
    (
        "Joining",
        (
            "register",
            "another",
            "choose",
            "link",
            "unlink",
            "whoami",
            "reveal",
            "unreveal",
            "vouch",
            "codes",
        ),
    ),
    ("Ideas", ("pitch", "ideas", "idea", "upvote", "downvote", "unvote")),
    ("Campaigns", ("campaigns", "campaign", "say", "doc", "petition", "sign", "unsign", "signers")),
    ("Actions", ("actions", "action", "pledge", "unpledge")),
    ("Momentum", ("update", "nextstep", "object")),
    ("Following", ("subscribe", "unsubscribe", "subscriptions")),
    ("Staying in touch", ("notify", "email", "verify", "timezone")),
    ("Leaving", ("leave",)),
    ("Moderation", ("modlog",)),
)


def describe(command: Command, rules: Rules) -> str:
    lines = [f"`{command.usage}` — {command.summary}"]
    if command.details:
        lines.append(command.details)
    for p in command.params:
        choices = f" ({', '.join(p.choices)})" if p.choices else ""
        optional = "" if p.required else ", optional"
        limit = p.limit(rules)
        most = f", at most {limit} characters" if limit is not None and p.kind == "text" else ""
        lines.append(f"  {p.placeholder}: {p.help}{choices}{optional}{most}")
    lines.append(
        "Example"
        + ("s" if len(command.examples) > 1 else "")
        + ": "
        + "; ".join(f"`{e}`" for e in command.examples)
    )
    if command.min_role >= Role.MODERATOR:
        lines.append(f"Only {command.min_role.label}s can use it.")
    if command.private:
        lines.append("Send it to me privately: it is never acted on in a public channel.")
    return "\n".join(lines)


@spec.command(
    "help",
    "List the commands, or explain one: `help pitch`.",
    params=(Param("topic", "text", "A command name", required=False),),
    examples=("help", "help sign", "help mod", "help mod ban"),
    min_role=Role.NOBODY,
    private=False,
    writes=False,
)
async def help_(ctx: Ctx, topic: str | None) -> Reply:
    # The same answer for everyone who asks (members, strangers, moderators): in a channel
    # a difference would tell everyone who is what.
    registry = ctx.registry
    if topic:
        words = topic.lower().split()
        command = registry.get(" ".join(words[:2])) or registry.get(words[0])
        if command is None and words[0] in registry.groups():
            subs = sorted(c.name for c in registry if c.group == words[0])
            return Reply(
                f"`{words[0]}` commands: {', '.join(subs)}. `help {subs[0]}` explains one."
            )
        if command is None:
            raise CommandError(registry.unknown(words[0]))
        return Reply(describe(command, ctx.rules))
    lines = []
    if ctx.member is None:
        lines.append("New here? Send me privately `register YOUR-CODE` to join.")
    for title, names in SECTIONS:
        available = [n for n in names if registry.get(n) is not None]
        lines.append(f"{title}: " + ", ".join(available))
    listed = {n for _, names in SECTIONS for n in names} | {"help"}
    other = [
        c.name
        for c in registry
        if c.name not in listed and c.group is None and c.min_role <= Role.MEMBER
    ]
    if other:
        lines.append("More: " + ", ".join(other))
    for group in sorted(registry.groups()):
        lines.append(f"For moderators: `help {group}`.")
    lines.append("`help COMMAND` explains one, with an example.")
    return Reply("\n".join(lines))
