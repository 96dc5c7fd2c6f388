"""Where each idea and campaign has its public page, and the link an announcement about it
carries in chat (when ``[web] public_url`` is set). The pages' routes (bot/web/) and every
link to them come from here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

IDEA = "/ideas/{number}"
CAMPAIGN = "/campaigns/{number}"
# Announcements of a member's words (a `say` in a campaign's discussion) are chat, not news:
# they carry no link.
UNLINKED = frozenset({"campaign_say", "say_hidden"})


def route(path: str) -> str:
    """An aiohttp route for a page path here: ``/ideas/{number}`` takes digits only."""
    return path.replace("{number}", r"{number:\d+}")


class Links:
    def __init__(self, public_url: str) -> None:
        self.public_url = public_url.rstrip("/")

    def _full(self, path: str) -> str | None:
        return f"{self.public_url}{path}" if self.public_url else None

    def idea(self, number: int) -> str | None:
        return self._full(IDEA.format(number=number))

    def campaign(self, number: int) -> str | None:
        return self._full(CAMPAIGN.format(number=number))

    def of(self, event: str, payload: Mapping[str, Any]) -> str | None:
        """The page an announcement is about, or None (no public_url, or nothing to link)."""
        if not self.public_url or event in UNLINKED:
            return None
        if payload.get("campaign_id") is not None:
            return self.campaign(int(payload["campaign_id"]))
        if payload.get("idea_id") is not None:
            number = int(payload["idea_id"])
            return self.campaign(number) if event == "campaign_launched" else self.idea(number)
        return None
