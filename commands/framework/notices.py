"""Where a private notice goes, by the member's ``notify`` preference.

``ctx.notify`` queues notices; when the transaction's outbox rows are written each notice
becomes a ``dm`` row, an ``email`` row, both, a ``digest`` row (held for the member's daily
digest DM) or nothing. Four kinds of notice:

- FOLLOWING: about an idea or campaign the member follows. Fully up to the preference.
- PERSONAL: addressed to this member (a role, a nudge, a dispute to mediate). ``off`` and
  ``digest`` do not silence these: they come by DM.
- DIGEST: only ever collected into the digest (document edits); others hear nothing.
- WEEKLY: part of the weekly update; members who get the weekly email read it there, so
  only the others are told, by their preference.

Email needs a verified, deliverable address; without one the notice comes by DM instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repos import prefs

FOLLOWING = "following"
PERSONAL = "personal"
DIGEST = "digest"
WEEKLY = "weekly"
KINDS = (FOLLOWING, PERSONAL, DIGEST, WEEKLY)

CHOICES = ("dm", "email", "both", "digest", "off")

_BY_PREFERENCE: dict[str, tuple[str, ...]] = {
    "dm": ("dm",),
    "email": ("email",),
    "both": ("dm", "email"),
    "digest": ("digest",),
    "off": (),
}


def routes(preference: str, has_email: bool, notice: str) -> tuple[str, ...]:
    """The outbox kinds one notice becomes for one member."""
    if notice == DIGEST:
        return ("digest",) if preference == "digest" else ()
    chosen = _BY_PREFERENCE.get(preference, ("dm",))
    if notice == PERSONAL and preference in ("digest", "off"):
        chosen = ("dm",)
    if notice == WEEKLY and has_email:
        return ()  # they read it in the weekly email
    if not has_email and "email" in chosen:
        chosen = tuple(dict.fromkeys(("dm" if kind == "email" else kind) for kind in chosen))
    return chosen


async def expand(conn: AsyncConnection, notices: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Turn queued notices into outbox rows, one query for all their members."""
    if not notices:
        return []
    known = await prefs.routes(conn, {n["member_id"] for n in notices})
    rows: list[dict[str, Any]] = []
    for notice in notices:
        preference, has_email = known.get(notice["member_id"], (prefs.DEFAULT_NOTIFY, False))
        for kind in routes(preference, has_email, notice["notice"]):
            rows.append(
                {
                    "kind": kind,
                    "member_id": notice["member_id"],
                    "event": notice["event"],
                    "payload": notice["payload"],
                    "created_at": notice["created_at"],
                    "available_at": notice["created_at"],
                    "attempts": 0,
                }
            )
    return rows
