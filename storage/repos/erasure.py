"""Erasing a member who leaves (`leave`, `mod erase`): what is theirs alone goes, what they
gave to others (ideas, votes, signatures, document edits) stays under "former member".

Every table is covered by name here or by the scrub: ``scrub`` reads every text and JSON
column of every table for the member's pseudonym, shown names, email and account keys and
puts "former member" in their place, so a name said in an announcement, a bulletin, the
moderation log or someone's text goes too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import (
    Action,
    Identity,
    Letter,
    LinkCode,
    Member,
    MemberEmail,
    MemberPrefs,
    Organizer,
    Outbox,
    RegistrationFailure,
    RetiredPseudonym,
    Signature,
    Subscription,
    WebLogin,
    WebSession,
    metadata,
)

FORMER = "former member"

members_t = Member.__table__
signatures_t = Signature.__table__
outbox_t = Outbox.__table__
actions_t = Action.__table__
letters_t = Letter.__table__
retired_t = RetiredPseudonym.__table__

# Rows that are the member's own and nobody else's: they all go.
_OWN = (
    Identity.__table__,
    LinkCode.__table__,
    MemberEmail.__table__,
    MemberPrefs.__table__,
    Subscription.__table__,
    Organizer.__table__,
    WebLogin.__table__,
    WebSession.__table__,
    outbox_t,
)


def former_label(member_id: int) -> str:
    """What a former member's row holds instead of a pseudonym: never a pseudonym anyone
    could be offered (it has spaces), and unique as the column must be."""
    return f"{FORMER} {member_id}"


async def signatures_of(conn: AsyncConnection, member_id: int) -> list[sa.Row]:
    result = await conn.execute(
        sa.select(signatures_t.c.campaign_id, signatures_t.c.display_name).where(
            signatures_t.c.member_id == member_id
        )
    )
    return list(result)


async def unname_signatures(conn: AsyncConnection, member_id: int) -> None:
    """Signatures kept: counted, under no name."""
    await conn.execute(
        sa.update(signatures_t)
        .where(signatures_t.c.member_id == member_id)
        .values(display_name=None)
    )


async def open_action_ids(conn: AsyncConnection) -> list[int]:
    """Actions that may still hold a pledge (pledges go when an action triggers or lapses)."""
    result = await conn.execute(sa.select(actions_t.c.id).where(actions_t.c.status == "open"))
    return [int(i) for i in result.scalars()]


async def drop_letter(conn: AsyncConnection, action_id: int, finder: str) -> None:
    await conn.execute(
        sa.delete(letters_t).where(letters_t.c.action_id == action_id, letters_t.c.finder == finder)
    )


async def queued_sealed(conn: AsyncConnection, kind: str) -> list[sa.Row]:
    """Unsent rows of ``kind`` that name no member (a sealed command waits in one)."""
    result = await conn.execute(
        sa.select(outbox_t).where(
            outbox_t.c.kind == kind,
            outbox_t.c.sent_at.is_(None),
            outbox_t.c.member_id.is_(None),
        )
    )
    return list(result)


async def drop_outbox(conn: AsyncConnection, ids: Sequence[int]) -> None:
    if ids:
        await conn.execute(sa.delete(outbox_t).where(outbox_t.c.id.in_(ids)))


async def delete_own(conn: AsyncConnection, member_id: int, key_hashes: Sequence[str]) -> None:
    """Every row that is the member's alone: accounts, link codes, email, preferences and
    time zone, follows, organizer seats, web logins and sessions, every notice to them
    (sent or not), and the wrong-code records of their accounts."""
    for table in _OWN:
        await conn.execute(sa.delete(table).where(table.c.member_id == member_id))
    if key_hashes:
        failures = RegistrationFailure.__table__
        await conn.execute(sa.delete(failures).where(failures.c.key_hash.in_(key_hashes)))


async def retire(conn: AsyncConnection, member_id: int, digest: str) -> None:
    """The member's row keeps their ideas, votes and edits counted but says "former
    member"; the pseudonym's digest is kept so it is never offered again."""
    await conn.execute(
        sa.update(members_t)
        .where(members_t.c.id == member_id)
        .values(pseudonym=former_label(member_id), revealed_name=None, role="member")
    )
    exists = await conn.execute(sa.select(retired_t.c.digest).where(retired_t.c.digest == digest))
    if exists.first() is None:
        await conn.execute(sa.insert(retired_t).values(digest=digest))


async def retired(conn: AsyncConnection, digests: Sequence[str]) -> set[str]:
    if not digests:
        return set()
    result = await conn.execute(
        sa.select(retired_t.c.digest).where(retired_t.c.digest.in_(digests))
    )
    return set(result.scalars())


def _pattern(needles: Sequence[str]) -> re.Pattern[str]:
    # Whole words only: erasing ``red_fox`` must not touch ``tired_fox``.
    longest_first = sorted(set(needles), key=len, reverse=True)
    alternatives = "|".join(re.escape(n) for n in longest_first)
    return re.compile(rf"(?<![\w@.-])(?:{alternatives})(?![\w@-])", re.IGNORECASE)


def _replaced(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(FORMER, value)
    if isinstance(value, list):
        return [_replaced(v, pattern) for v in value]
    if isinstance(value, dict):
        return {k: _replaced(v, pattern) for k, v in value.items()}
    return value


def erased_tables() -> list[str]:
    """The tables an erasure may change, to compact afterwards (Database.compact)."""
    return sorted({table.name for table, _ in text_columns()} | {t.name for t in _OWN})


def text_columns() -> list[tuple[sa.Table, sa.Column[Any]]]:
    """Every text and JSON column of every table that is not part of its key."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if column.primary_key:
                continue
            if isinstance(column.type, sa.String | sa.Text | sa.JSON):
                found.append((table, column))
    return found


async def scrub(conn: AsyncConnection, needles: Sequence[str]) -> int:
    """Put "former member" for each of ``needles`` wherever it occurs as a whole word in a
    text or JSON column; the number of values changed."""
    needles = [n for n in needles if n and len(n.strip()) >= 2]
    if not needles:
        return 0
    pattern = _pattern(needles)
    changed = 0
    for table, column in text_columns():
        if table is members_t and column.name == "pseudonym":
            continue
        keys = list(table.primary_key.columns)
        as_text = sa.func.lower(sa.cast(column, sa.Text))
        found = sa.or_(*(as_text.contains(n.lower(), autoescape=True) for n in needles))
        rows = await conn.execute(sa.select(*keys, column).where(found))
        for row in rows.all():
            value = row[-1]
            is_json = isinstance(column.type, sa.JSON)
            if is_json and isinstance(value, str):
                value = json.loads(value)
            new = _replaced(value, pattern)
            if new == value:
                continue
            where = [k == row[i] for i, k in enumerate(keys)]
            await conn.execute(sa.update(table).where(*where).values({column.name: new}))
            changed += 1
    return changed
