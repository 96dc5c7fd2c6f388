"""The editor's side of a web session: the cookie, the form token, the Origin check, and
reading a form no larger than a document can be.

The cookie is set only when a member opens a session with a login link; readers of the
public pages never get one. It is HttpOnly, SameSite=Strict, Path=/, and Secure when the
pages are published over https. Every POST of the editor carries the session's form token
and, from a browser, an Origin of this site; anything else is refused before it is read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aiohttp import web

from bot.web.server import SITE, Site
from commands import web_sessions

COOKIE = "dynamo_session"
FORM_TOKEN = "form_token"
# Pages with a session: never cached, and their forms send this site's Origin (with the
# public pages' no-referrer policy, browsers would send "Origin: null").
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "same-origin"}
READ_CHUNK = 64 * 1024


class Refused(Exception):
    """A request the editor does not act on; ``status`` and ``message`` say why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Session:
    token: str
    member: Any  # the member's row

    def form_token(self, site: Site) -> str:
        return web_sessions.form_token(site.db.vault, self.token)


async def current(request: web.Request) -> Session | None:
    """The session the request's cookie names, while it lasts."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 2 * web_sessions.TOKEN_BYTES:
        return None
    site = request.app[SITE]
    now = site.clock()
    async with site.db.read() as conn:
        member, stale = await web_sessions.member_of(conn, site.db.vault, token, now)
    if stale:
        async with site.db.write() as conn:
            await web_sessions.keep_alive(conn, site.db.vault, token, now)
    return None if member is None else Session(token, member)


def check_origin(request: web.Request) -> None:
    """A browser's POST must come from a page of this site (its public address, or the
    address it was reached at)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return  # not a browser: the form token still has to match
    public = request.app[SITE].settings.public_url
    allowed = {f"{request.scheme}://{request.host}"}
    if public:
        parts = urlsplit(public)
        allowed.add(f"{parts.scheme}://{parts.netloc}")
    if origin not in allowed:
        raise Refused(403, "This form was sent from another site, so it was not acted on.")


async def read_form(request: web.Request, limit: int) -> dict[str, str]:
    """The fields of a urlencoded form of at most ``limit`` bytes."""
    if request.content_type != "application/x-www-form-urlencoded":
        raise Refused(400, "This page takes only its own forms.")
    if request.content_length is not None and request.content_length > limit:
        raise Refused(413, "That is longer than any document may be.")
    body = bytearray()
    while len(body) <= limit:
        chunk = await request.content.read(READ_CHUNK)
        if not chunk:
            break
        body += chunk
    if len(body) > limit:
        raise Refused(413, "That is longer than any document may be.")
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=16, errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused(400, "That form could not be read.") from exc
    return dict(pairs)


async def posted(request: web.Request, limit: int) -> tuple[Session, dict[str, str]] | None:
    """A signed-in member's form, checked: from this site, within ``limit`` bytes, with the
    session's form token. None when nobody is signed in."""
    session = await current(request)
    if session is None:
        return None
    check_origin(request)
    form = await read_form(request, limit)
    check_form_token(request, session, form)
    return session, form


def check_form_token(request: web.Request, session: Session, form: dict[str, str]) -> None:
    sent = form.get(FORM_TOKEN, "")
    if not web_sessions.form_token_matches(request.app[SITE].db.vault, session.token, sent):
        raise Refused(
            403,
            "This form is from an older session or another site, so it was not acted on. "
            "Open the page again and send it from there.",
        )


def set_cookie(response: web.StreamResponse, request: web.Request, token: str) -> None:
    public = request.app[SITE].settings.public_url
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(web_sessions.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="Strict",
        secure=public.startswith("https://"),
    )


def clear_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")
