"""The mail that delivers a triggered action to its target (commands/actions.py): the
summary in the body, the letters as a Markdown document attached, each letter once.

It is composed from what was sealed on the action at the trigger, and the address, sealed
too, is opened here for the envelope only. Nothing is composed for a target no moderator
confirmed, nor once the delivery is recorded (a row claimed again after it was sent).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from commands import actions
from storage.repos import actions as action_repo
from storage.vault import ACTION_DELIVERY, ACTION_TARGET, Vault

EVENT = actions.DELIVERY


@dataclass(frozen=True)
class Delivery:
    action_id: int
    to: str
    subject: str
    text: str
    html: str
    filename: str
    document: str


async def compose(conn: AsyncConnection, vault: Vault, row: Any) -> Delivery | str:
    """The delivery mail of an outbox row, or why there is nothing to send."""
    action_id = int(row.payload["action"])
    found = await action_repo.delivery(conn, action_id)
    if found is None:
        return "no such action"
    if found.delivered_at is not None or found.delivery is None:
        return "delivered already"
    if found.target is None or found.target_confirmed_at is None:
        return "its target address is not confirmed"
    content = json.loads(vault.open(found.delivery, ACTION_DELIVERY))
    text = actions.summary(content)
    closing = (
        "\n\nThis mail was sent by the Dynamo bot for the members who pledged; the names are "
        "the ones each of them chose to be named by."
    )
    body = "".join(f"<p>{html.escape(p)}</p>" for p in (text + closing).split("\n") if p.strip())
    return Delivery(
        action_id=action_id,
        to=vault.open(found.target, ACTION_TARGET),
        subject=f"{content['count']} workers ask you: {content['text']}"[:150],
        text=text + closing,
        html=body,
        filename=f"letters-action-{action_id}.md",
        document=actions.letters_text(content),
    )
