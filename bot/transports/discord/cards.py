"""What an idea's or campaign's Discord messages show, read fresh from the database when they
are posted or edited (so an edit always shows the latest counts, whoever voted where).

Texts are kept as stored, raw; ``author`` is the bot's text with the shown name marked as
the member's (commands.framework.formatting.who). ``embeds`` makes them inert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commands.framework.formatting import quote, who
from commands.framework.rules import Rules
from storage.db import Database
from storage.repos import campaigns, documents, ideas


@dataclass(frozen=True)
class IdeaCard:
    idea_id: int
    author: str  # marked: commands.framework.formatting.who
    text: str
    up: int
    down: int
    needed: int
    status: str  # "open", "campaign" or "closed"
    hidden: bool = False

    @classmethod
    def from_row(cls, row: Any, rules: Rules) -> IdeaCard:
        return cls(
            idea_id=int(row.id),
            author=who(row.pseudonym, row.author_revealed),
            text=str(row.text),
            up=int(row.up),
            down=int(row.down),
            needed=rules.upvotes_needed(int(row.up), int(row.down)),
            status=str(row.status),
            hidden=bool(row.hidden),
        )

    @classmethod
    def from_payload(cls, payload: dict[str, Any], rules: Rules, status: str) -> IdeaCard:
        up, down = int(payload.get("up", 0)), int(payload.get("down", 0))
        return cls(
            idea_id=int(payload["idea_id"]),
            # Only the announcement's plain copy is left: all of it is treated as the
            # member's (escaped), the pseudonym too, which reads the same.
            author=quote(str(payload.get("author", ""))),
            text=str(payload.get("idea_text", "")),
            up=up,
            down=down,
            needed=rules.upvotes_needed(up, down),
            status=status,
        )


@dataclass(frozen=True)
class CampaignCard:
    campaign_id: int
    text: str
    status: str  # "active" or "closed"
    hidden: bool
    up: int
    down: int
    petition: str | None
    signatures: int
    document: str | None  # the head revision's text
    document_rev: int


async def load_idea(db: Database, rules: Rules, idea_id: int) -> IdeaCard | None:
    async with db.read() as conn:
        row = await ideas.get(conn, idea_id)
    return IdeaCard.from_row(row, rules) if row is not None else None


async def load_campaign(db: Database, campaign_id: int) -> CampaignCard | None:
    async with db.read() as conn:
        row = await campaigns.get(conn, campaign_id)
        if row is None:
            return None
        head = await documents.head(conn, campaign_id)
    return CampaignCard(
        campaign_id=int(row.id),
        text=str(row.text),
        status=str(row.status),
        hidden=bool(row.hidden),
        up=int(row.up),
        down=int(row.down),
        petition=row.petition_text,
        signatures=int(row.signature_count),
        document=str(head.text) if head is not None else None,
        document_rev=int(head.rev) if head is not None else 0,
    )
