"""Finding the idea or campaign a page's address names, and the page that says it is not
there: a hidden idea reads exactly like one that never existed."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.web.server import Site
from storage.repos import campaigns, ideas

# Numbers are database integers: anything larger names nothing.
LARGEST = 2**31 - 1


def number(request: web.Request, name: str = "number") -> int:
    """The number in the address (routes match it as digits)."""
    return int(request.match_info[name])


def storable(value: int) -> bool:
    """Whether a number can name a row at all (a larger one would not even fit the query)."""
    return 0 < value <= LARGEST


def missing(site: Site, title: str, hint: str, link: tuple[str, str] | None = None) -> web.Response:
    return site.render("missing.html", status=404, title=title, hint=hint, link=link)


async def idea(conn: AsyncConnection, idea_id: int) -> Any:
    """The idea's row, or None when there is none or a moderator hid it."""
    row = await ideas.get(conn, idea_id) if storable(idea_id) else None
    return None if row is None or row.hidden else row


def no_idea(site: Site, idea_id: int) -> web.Response:
    return missing(
        site,
        f"There is no idea #{idea_id}",
        "No idea has this number, or it was taken down.",
        ("/", "See the campaigns and the ideas close to launch"),
    )


async def campaign(conn: AsyncConnection, campaign_id: int) -> Any:
    """The campaign's row, or None when there is none or its idea is hidden."""
    row = await campaigns.get(conn, campaign_id) if storable(campaign_id) else None
    return None if row is None or row.hidden else row


async def no_campaign(site: Site, conn: AsyncConnection, campaign_id: int) -> web.Response:
    if await idea(conn, campaign_id) is not None:
        return missing(
            site,
            f"#{campaign_id} is still an idea, not a campaign",
            f"It launches as a campaign at {site.rules.launch_upvotes} upvotes.",
            (f"/ideas/{campaign_id}", f"See idea #{campaign_id}"),
        )
    return missing(
        site,
        f"There is no campaign #{campaign_id}",
        "No campaign has this number, or it was taken down.",
        ("/", "See the active campaigns"),
    )
