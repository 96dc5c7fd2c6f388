"""Signing and following a campaign from outside chat (commands/outsiders.py): the forms
at /campaigns/N/sign and /campaigns/N/follow, and the confirmation link /confirm/TOKEN.

Nothing acts on a GET (mail scanners follow links): the link's page has a button. The
answer to a request reads the same whether its address is new, waiting or done already,
so the form tells nobody who signed. The address is never shown or logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.web import forms
from bot.web.server import SITE
from commands import outsiders
from commands.framework.privacy import Privacy, show_delay
from commands.framework.reply import CommandError
from storage.repos import campaigns

logger = logging.getLogger(__name__)

UNAVAILABLE = (
    "Signing and following by email are not available on this Dynamo (it sends no mail, "
    "or has no public address)."
)


@dataclass
class Outside:
    privacy: Privacy
    # Where deadlines are shown in ([schedule] timezone).
    zone: ZoneInfo
    reserved_names: frozenset[str]
    # Email on, and an https or http public address for the links.
    available: bool
    # Wake the mailer and the runner of queued actions after a request is written.
    wake: Callable[[], None]

    def routes(self) -> web.RouteTableDef:
        routes = web.RouteTableDef()
        for action in outsiders.ACTIONS:
            path = r"/campaigns/{number:\d+}/" + action
            routes.get(path)(self._form(action))
            routes.post(path)(self._ask(action))
        routes.get("/confirm/{token}")(self.confirm_page)
        routes.post("/confirm/{token}")(self.confirm)
        return routes

    # -- the forms ----------------------------------------------------------------
    def _form(self, action: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            return await self._show(request, action)

        return handler

    def _ask(self, action: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            return await self.ask(request, action)

        return handler

    async def _show(
        self,
        request: web.Request,
        action: str,
        error: str | None = None,
        status: int = 200,
        values: dict[str, str] | None = None,
    ) -> web.Response:
        site = request.app[SITE]
        number = int(request.match_info["number"])
        now = site.clock()
        async with site.db.read() as conn:
            campaign = await campaigns.get(conn, number)
            if campaign is None or campaign.hidden:
                raise web.HTTPNotFound(text=f"There is no campaign #{number}.")
            closed = None
            try:
                await outsiders.refuse_if_closed(conn, number, action, now, self.zone)
            except outsiders.Refused as exc:
                closed = str(exc)
        return site.render(
            "outside_form.html",
            status=status,
            action=action,
            campaign=campaign,
            closed=closed if self.available else UNAVAILABLE,
            error=error,
            values=values or {},
            categories=outsiders.CATEGORIES,
            form_token=forms.token(site.db.vault, request.path, now),
        )

    async def ask(self, request: web.Request, action: str) -> web.Response:
        site = request.app[SITE]
        number = int(request.match_info["number"])
        data = await request.post()
        values = {k: str(data.get(k, "")) for k in ("name", "affiliation", "category", "email")}
        now = site.clock()
        if not forms.valid(site.db.vault, request.path, str(data.get("form", "")), now):
            return await self._show(
                request, action, "This form had expired; please send it again.", 400, values
            )
        if not self.available:
            return await self._show(request, action, UNAVAILABLE, 404)
        form = outsiders.Form(
            campaign_id=number,
            action=action,
            address=values["email"],
            name=values["name"],
            affiliation=values["affiliation"],
            category=values["category"] or None,
        )
        try:
            async with site.db.write() as conn:
                await outsiders.refuse_if_closed(conn, number, action, now, self.zone)
                form = await outsiders.check_form(conn, site.rules, self.reserved_names, form)
                outcome = await outsiders.ask(
                    conn,
                    site.db.vault,
                    form,
                    ip=client_ip(request),
                    now=now,
                    base=site.settings.public_url,
                    academic_domains=site.settings.academic_domains,
                )
        except CommandError as exc:
            return await self._show(request, action, str(exc), 400, values)
        logger.info("web %s request: %s", action, outcome)
        if outcome == "limited":
            return await self._show(
                request,
                action,
                "Too many requests from here or for that address: please try again tomorrow.",
                429,
                values,
            )
        self.wake()
        return site.render("outside_sent.html", action=action, number=number)

    # -- the link in the mail -------------------------------------------------------
    async def confirm_page(self, request: web.Request) -> web.Response:
        site = request.app[SITE]
        now = site.clock()
        async with site.db.read() as conn:
            row = await outsiders.pending(conn, request.match_info["token"], now)
            campaign = None if row is None else await campaigns.get(conn, int(row.campaign_id))
        if row is None or campaign is None:
            return site.render(
                "outside_done.html", status=404, title="This link does not work", message=_DEAD_LINK
            )
        return site.render(
            "outside_confirm.html",
            row=row,
            campaign=campaign,
            form_token=forms.token(site.db.vault, request.path, now),
        )

    async def confirm(self, request: web.Request) -> web.Response:
        site = request.app[SITE]
        data = await request.post()
        now = site.clock()
        if not forms.valid(site.db.vault, request.path, str(data.get("form", "")), now):
            return await self.confirm_page(request)
        try:
            async with site.db.write() as conn:
                row = await outsiders.confirm(
                    conn,
                    request.match_info["token"],
                    now=now,
                    privacy=self.privacy,
                    zone=self.zone,
                    base=site.settings.public_url,
                )
        except CommandError as exc:
            return site.render(
                "outside_done.html", status=409, title="Not confirmed", message=str(exc)
            )
        if row is None:
            return site.render(
                "outside_done.html", status=404, title="This link does not work", message=_DEAD_LINK
            )
        self.wake()
        logger.info("web %s confirmed", row.action)
        number = int(row.campaign_id)
        if row.action == "sign":
            delay = self.privacy.longest
            when = (
                f"within {show_delay(delay)}, at a random moment, so its timing points to nobody"
                if delay
                else "now"
            )
            message = (
                f"Thank you: your signature on campaign #{number}'s petition counts {when}. "
                f"A mail will tell you it does, with a link to withdraw it."
            )
        else:
            message = (
                f"You follow campaign #{number}: its part of the weekly update comes by mail, "
                f"each with a link to stop."
            )
        return site.render(
            "outside_done.html", title="Confirmed", message=message, campaign_id=number
        )


def client_ip(request: web.Request) -> str:
    """Who sent a form, for its rate limit. Behind the reverse proxy on this machine
    (README: "Public pages") every request comes from loopback: then the address the proxy
    adds last to X-Forwarded-For is the client's. From anywhere else the header could be
    forged and is ignored."""
    peer = request.remote or ""
    if peer in ("127.0.0.1", "::1"):
        forwarded = request.headers.getall("X-Forwarded-For", [])
        if forwarded:
            return forwarded[-1].rpartition(",")[2].strip() or peer
    return peer


_DEAD_LINK = (
    "This confirmation link has been used already, or has expired (links work for 48 hours). "
    "An address gets one confirmation mail per campaign, so it can't be mailed again."
)
