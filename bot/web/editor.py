"""The web editor: members write a campaign's document, section by section, under their
pseudonym, in a session opened with a one-time link they asked for privately (`web`); and
their own letter to an action's target (/actions/N/letter: the chat's `letter N TEXT`, seen
by nobody else before the action triggers).

No script: Preview renders on the server. Saving runs the chat's own `doc N edit` through
the invoker (who may edit, closed campaigns, member text cleaning, the random delay before
others see it, all in one transaction), with the revision the writer started from: when
the document has moved on since, nothing is overwritten; the page shows what changed and
keeps their text.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.web import auth, diff, markdown, sections
from bot.web.server import SITE, Site
from commands import actions as action_commands
from commands import web_sessions
from commands.framework.formatting import plain
from commands.framework.invoker import Invoker
from commands.framework.reply import IdentityRef
from storage.repos import actions, campaigns, documents, outbox

routes = web.RouteTableDef()

EDITOR_CAMPAIGNS = 100
WAITING = (
    "Your last change to this document is waiting for its random moment before everyone "
    "sees it. Save again once it shows here as the current revision: saved now, onto the "
    "revision before it, this text would be refused then."
)
# A form's bytes for a document at the limit: UTF-8 (4 bytes a character at most), each byte
# percent-encoded (3 characters), and room for the other fields.
FORM_SLACK = 64 * 1024


@dataclass
class Editor:
    invoker: Invoker


EDITOR = web.AppKey("editor", Editor)


def page(site: Site, template: str, status: int = 200, **values: Any) -> web.Response:
    response = site.render(template, status=status, **values)
    response.headers.update(auth.PRIVATE_HEADERS)
    return response


def message(site: Site, status: int, title: str, text: str) -> web.Response:
    return page(site, "editor_message.html", status=status, title=title, text=text)


def signed_out(site: Site) -> web.Response:
    return message(
        site,
        403,
        "Not signed in",
        "This page is for members editing a campaign's document. Send `web` to the bot in "
        "a private message for a link that signs you in; a session ends after a while, or "
        "when you sign out or send `web logout`.",
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def refusing(handler: Handler) -> Handler:
    """A request refused on the way (auth.Refused) gets a page that says why."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except auth.Refused as refused:
            return message(request.app[SITE], refused.status, "Not done", refused.message)

    return wrapped


def _token_shape(token: str) -> bool:
    return len(token) == 2 * web_sessions.TOKEN_BYTES and all(
        c in "0123456789abcdef" for c in token
    )


@routes.get("/login/{token}")
async def login_page(request: web.Request) -> web.Response:
    site = request.app[SITE]
    token = request.match_info["token"]
    works = False
    if _token_shape(token):
        async with site.db.read() as conn:
            works = await web_sessions.link_works(conn, site.db.vault, token, site.clock())
    if not works:
        return _dead_link(site)
    # Opening takes a click (a POST): chat apps that fetch links to preview them can't use
    # the link up before its member does.
    return page(site, "editor_login.html", token=token)


@routes.post("/login/{token}")
@refusing
async def login(request: web.Request) -> web.StreamResponse:
    site = request.app[SITE]
    auth.check_origin(request)
    token = request.match_info["token"]
    opened = None
    if _token_shape(token):
        async with site.db.write() as conn:
            opened = await web_sessions.open_session(conn, site.db.vault, token, site.clock())
    if opened is None:
        return _dead_link(site)
    response = web.Response(status=303, headers={"Location": "/editor", **auth.PRIVATE_HEADERS})
    auth.set_cookie(response, request, opened)
    return response


def _dead_link(site: Site) -> web.Response:
    return message(
        site,
        410,
        "This link does not work",
        "A sign-in link works once, within 15 minutes. Send `web` to the bot in a private "
        "message for a new one.",
    )


@routes.get("/editor")
async def editor_home(request: web.Request) -> web.Response:
    site = request.app[SITE]
    session = await auth.current(request)
    if session is None:
        return signed_out(site)
    async with site.db.read() as conn:
        active = await campaigns.list_all(conn, limit=EDITOR_CAMPAIGNS, include_closed=False)
        lettered = await actions.open_shown(conn, limit=EDITOR_CAMPAIGNS)
    return page(
        site,
        "editor_home.html",
        session=session,
        form_token=session.form_token(site),
        campaigns=active,
        actions=lettered,
    )


@routes.post("/logout")
@refusing
async def logout(request: web.Request) -> web.Response:
    site = request.app[SITE]
    got = await auth.posted(request, FORM_SLACK)
    if got is None:
        return signed_out(site)
    session, _form = got
    async with site.db.write() as conn:
        await web_sessions.end(conn, site.db.vault, session.token)
    response = message(site, 200, "Signed out", "Your session has ended in this browser.")
    auth.clear_cookie(response)
    return response


@routes.get("/campaigns/{campaign:[0-9]{1,9}}/document/edit")
@refusing
async def edit_page(request: web.Request) -> web.Response:
    site = request.app[SITE]
    session = await auth.current(request)
    if session is None:
        return signed_out(site)
    number = int(request.match_info["campaign"])
    async with site.db.read() as conn:
        campaign = await _campaign(conn, number)
        head = await documents.head(conn, number)
        waiting = await _waiting(conn, session, number)
    return _editor(site, session, campaign, head, notice=WAITING if waiting else None)


@routes.post("/campaigns/{campaign:[0-9]{1,9}}/document/edit")
@refusing
async def edit(request: web.Request) -> web.Response:
    site = request.app[SITE]
    got = await auth.posted(request, site.rules.doc_max_chars * 12 + FORM_SLACK)
    if got is None:
        return signed_out(site)
    session, form = got
    number = int(request.match_info["campaign"])
    base, scope, text = _fields(form)
    async with site.db.read() as conn:
        campaign = await _campaign(conn, number)
        started = await documents.get(conn, number, base) if base else None
        waiting = await _waiting(conn, session, number)
    if base and started is None:
        raise auth.Refused(400, f"Campaign #{number}'s document has no revision {base}.")
    started_text = started.text if started is not None else ""
    full = text if scope == "all" else sections.replace(started_text, int(scope), text)
    if full is None:
        raise auth.Refused(400, f"Revision {base} has no section {scope}.")
    focus = Focus(base=base, scope=scope, text=text)
    if form.get("do") != "save":
        return _editor(
            site, session, campaign, started, focus=focus, preview_html=markdown.render(text).html
        )
    if waiting:
        # Saved onto the revision before it, this edit would be refused when its own moment
        # came, and its words would be lost by then.
        return _editor(site, session, campaign, started, focus=focus, problem=WAITING)
    reply = await request.app[EDITOR].invoker.invoke(
        IdentityRef(key=f"web:member:{session.member.id}", platform="web"),
        request.app[EDITOR].invoker.registry.commands["doc"],
        {"campaign": number, "action": "edit", "text": full, "base": base},
        where="dm",
        member_id=session.member.id,
    )
    async with site.db.read() as conn:
        head = await documents.head(conn, number)
    if reply.ok:
        return _editor(site, session, campaign, head, notice=plain(reply.text))
    head_rev = head.rev if head is not None else 0
    if head_rev == base:
        return _editor(site, session, campaign, started, focus=focus, problem=plain(reply.text))
    # The document moved on: show what changed since they started, keep their words, and
    # let them save them onto the current revision once they have looked.
    head_text = head.text if head is not None else ""
    if scope != "all" and int(scope) > len(sections.split(head_text)):
        focus = Focus(base=head_rev, scope="all", text=f"{head_text}\n\n{text}")
    else:
        focus = Focus(base=head_rev, scope=scope, text=text)
    return _editor(
        site,
        session,
        campaign,
        head,
        focus=focus,
        problem=plain(reply.text),
        diff=diff.lines(started_text, head_text),
        status=409,
    )


@routes.get("/actions/{action:[0-9]{1,9}}/letter")
@refusing
async def letter_page(request: web.Request) -> web.Response:
    site = request.app[SITE]
    session = await auth.current(request)
    if session is None:
        return signed_out(site)
    number = int(request.match_info["action"])
    async with site.db.read() as conn:
        action = await _letter_action(conn, number)
        mine = await action_commands.own_letter(conn, site.db.vault, number, session.member.id)
    return await _letter(site, session, action, mine or "")


@routes.post("/actions/{action:[0-9]{1,9}}/letter")
@refusing
async def write_letter(request: web.Request) -> web.Response:
    site = request.app[SITE]
    got = await auth.posted(request, site.rules.letter_max_chars * 12 + FORM_SLACK)
    if got is None:
        return signed_out(site)
    session, form = got
    number = int(request.match_info["action"])
    text = form.get("text", "").replace("\r\n", "\n")
    async with site.db.read() as conn:
        action = await _letter_action(conn, number)
    invoker = request.app[EDITOR].invoker
    reply = await invoker.invoke(
        IdentityRef(key=f"web:member:{session.member.id}", platform="web"),
        invoker.registry.commands["letter"],
        {"action": number, "text": text},
        where="dm",
        member_id=session.member.id,
    )
    if reply.ok:
        return await _letter(site, session, action, text, notice=plain(reply.text))
    return await _letter(site, session, action, text, problem=plain(reply.text), status=400)


@routes.post("/actions/{action:[0-9]{1,9}}/pledge")
@refusing
async def pledge(request: web.Request) -> web.Response:
    """Pledge (with the name to be named by, if given) or withdraw: the chat's `pledge A [as
    NAME]` / `unpledge A`, sealed and carried out at its random moment as there."""
    site = request.app[SITE]
    got = await auth.posted(request, FORM_SLACK)
    if got is None:
        return signed_out(site)
    session, form = got
    number = int(request.match_info["action"])
    do = form.get("do", "")
    if do not in ("pledge", "unpledge"):
        raise auth.Refused(400, "That form could not be read.")
    async with site.db.read() as conn:
        action = await _letter_action(conn, number)
        mine = await action_commands.own_letter(conn, site.db.vault, number, session.member.id)
    invoker = request.app[EDITOR].invoker
    args: dict[str, Any] = {"action": number}
    if do == "pledge":
        args["name"] = form.get("name", "").strip() or None
    reply = await invoker.invoke(
        IdentityRef(key=f"web:member:{session.member.id}", platform="web"),
        invoker.registry.commands[do],
        args,
        where="dm",
        member_id=session.member.id,
    )
    async with site.db.read() as conn:
        action = await _letter_action(conn, number)
    if reply.ok:
        return await _letter(site, session, action, mine or "", notice=plain(reply.text))
    return await _letter(site, session, action, mine or "", problem=plain(reply.text), status=400)


async def _letter_action(conn: Any, number: int) -> Any:
    action = await actions.get(conn, number)
    if action is None or action.hidden:
        raise auth.Refused(404, f"There is no action #{number}.")
    return action


async def _letter(
    site: Site, session: auth.Session, action: Any, text: str, *, status: int = 200, **values: Any
) -> web.Response:
    """The member's own page for an action: their pledge (theirs alone to see) and letter."""
    values.setdefault("notice", None)
    values.setdefault("problem", None)
    async with site.db.read() as conn:
        pledged = await action_commands.has_own_pledge(
            conn, site.db.vault, action.id, session.member.id
        )
    return page(
        site,
        "editor_letter.html",
        status=status,
        session=session,
        form_token=session.form_token(site),
        action=action,
        text=text,
        limit=site.rules.letter_max_chars,
        pledged=pledged,
        **values,
    )


async def _waiting(conn: Any, session: auth.Session, number: int) -> bool:
    """Whether this member's last change to the document still waits for its moment."""
    return await outbox.member_waiting(conn, session.member.id, "doc", str(number))


@dataclass(frozen=True)
class Focus:
    """One form shown on its own: what the writer sent, against revision ``base``."""

    base: int
    scope: str  # "all", or a section's number
    text: str


def _fields(form: dict[str, str]) -> tuple[int, str, str]:
    base_text = form.get("base", "")
    scope = form.get("scope", "")
    if not (base_text.isascii() and base_text.isdigit() and len(base_text) < 10):
        raise auth.Refused(400, "That form could not be read.")
    if scope != "all" and not (scope.isascii() and scope.isdigit() and 0 < len(scope) < 7):
        raise auth.Refused(400, "That form could not be read.")
    return int(base_text), scope, form.get("text", "").replace("\r\n", "\n")


async def _campaign(conn: Any, number: int) -> Any:
    campaign = await campaigns.get(conn, number)
    if campaign is None or campaign.hidden:
        raise auth.Refused(404, f"There is no campaign #{number}.")
    return campaign


def _editor(
    site: Site,
    session: auth.Session,
    campaign: Any,
    revision: Any,
    *,
    status: int = 200,
    **values: Any,
) -> web.Response:
    text = revision.text if revision is not None else ""
    values.setdefault("focus", None)
    return page(
        site,
        "editor.html",
        status=status,
        session=session,
        form_token=session.form_token(site),
        campaign=campaign,
        revision=revision,
        rev=revision.rev if revision is not None else 0,
        text=text,
        sections=sections.split(text),
        frozen=campaign.status == "closed",
        **{"notice": None, "problem": None, "diff": None, "preview_html": None, **values},
    )
