"""Loading the idea or campaign a command names, with the friendly refusals."""

from __future__ import annotations

from typing import Any

from commands.framework.context import Ctx
from commands.framework.reply import CommandError, Role
from storage.repos import campaigns, ideas


async def idea(ctx: Ctx, idea_id: int) -> Any:
    return shown_idea(ctx, await ideas.get(ctx.conn, idea_id), idea_id)


def shown_idea(ctx: Ctx, row: Any, idea_id: int) -> Any:
    """The idea row, unless there is none or it is hidden from the one asking."""
    if row is None or (row.hidden and ctx.role < Role.MODERATOR):
        raise CommandError(f"There is no idea #{idea_id}. Send `ideas` to see the open ones.")
    return row


async def campaign(ctx: Ctx, campaign_id: int) -> Any:
    row = await campaigns.get(ctx.conn, campaign_id)
    if row is None or (row.hidden and ctx.role < Role.MODERATOR):
        idea_row = await ideas.get(ctx.conn, campaign_id)
        if idea_row is not None and not (idea_row.hidden and ctx.role < Role.MODERATOR):
            raise CommandError(
                f"#{campaign_id} is still an idea, not a campaign: it "
                f"launches at {ctx.rules.launch_upvotes} upvotes. See `idea {campaign_id}`."
            )
        raise CommandError(
            f"There is no campaign #{campaign_id}. Send `campaigns` to see them all."
        )
    return row


async def require_organizer(ctx: Ctx, campaign_id: int) -> None:
    """Organizers of this campaign, moderators and admins may pass."""
    if ctx.role >= Role.MODERATOR:
        return
    if not await campaigns.is_organizer(ctx.conn, campaign_id, ctx.member_id):
        raise CommandError(
            f"Only organizers of campaign #{campaign_id} (or moderators) can do that."
        )
