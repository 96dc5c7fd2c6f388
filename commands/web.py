"""`web`: a one-time link into the web editor, where members write long documents.

The link is given only in a private message and only to a member; see
commands/web_sessions.py for how long it and the session it opens last.
"""

from __future__ import annotations

from commands import web_sessions
from commands.framework.context import Ctx
from commands.framework.formatting import plural
from commands.framework.registry import CommandSet, Param
from commands.framework.reply import CommandError, Reply

spec = CommandSet()

WEB_OFF = (
    'The web editor is not running here: the admin must set [web] listen (a "HOST:PORT") '
    "and [web] public_url (the address people reach the pages at, like "
    "https://dynamo.example.org) in the bot's config."
)
NO_ADDRESS = (
    "The web pages have no public address yet, so I can't give you a link: the admin must "
    "set [web] public_url (like https://dynamo.example.org) in the bot's config."
)


@spec.command(
    "web",
    "Get a one-time link that opens the web editor for campaign documents under your "
    "pseudonym; `web logout` ends every web session of yours.",
    params=(
        Param("action", "choice", "logout ends your sessions", required=False, choices=("logout",)),
    ),
    examples=("web", "web logout"),
    details="The link works once, for 15 minutes, and opens a session in that browser for "
    "12 hours (it ends after 2 hours without use). Don't share it: whoever opens it edits "
    "as you.",
)
async def web(ctx: Ctx, action: str | None) -> Reply:
    if action == "logout":
        ended = await web_sessions.end_all(ctx.conn, ctx.member_id)
        if not ended:
            return Reply("You had no web session open; any link I gave you no longer works.")
        return Reply(f"Ended {plural(ended, 'web session')} of yours; sign in again with `web`.")
    if ctx.web_url is None:
        raise CommandError(WEB_OFF)
    if not ctx.web_url:
        raise CommandError(NO_ADDRESS)
    token = await web_sessions.issue_link(ctx.conn, ctx.vault, ctx.member_id, ctx.now)
    minutes = int(web_sessions.LINK_LIFETIME.total_seconds() // 60)
    return Reply(
        f"Your link to the web editor (it works once, within {minutes} minutes; don't share "
        f"it): {ctx.web_url}/login/{token}"
    )
