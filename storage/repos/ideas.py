"""Ideas (pitches) and their launch."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import Idea, Member

ideas_t = Idea.__table__
members_t = Member.__table__

# An idea with its author's pseudonym and shown name (storage.repos.votes reads the same).
with_author = sa.select(
    ideas_t, members_t.c.pseudonym, members_t.c.revealed_name.label("author_revealed")
).join(members_t, members_t.c.id == ideas_t.c.author_id)


async def create(conn: AsyncConnection, author_id: int, text: str, now: datetime) -> int:
    result = await conn.execute(
        sa.insert(ideas_t)
        .values(
            author_id=author_id,
            text=text,
            created_at=now,
            up=0,
            down=0,
            status="open",
            hidden=False,
        )
        .returning(ideas_t.c.id)
    )
    return int(result.scalar_one())


GET = with_author.where(ideas_t.c.id == sa.bindparam("idea_id"))
ADD_TO_COUNTS = (
    sa.update(ideas_t)
    .where(ideas_t.c.id == sa.bindparam("b_idea"))
    .values(up=ideas_t.c.up + sa.bindparam("d_up"), down=ideas_t.c.down + sa.bindparam("d_down"))
    .returning(ideas_t.c.up, ideas_t.c.down)
)


async def get(conn: AsyncConnection, idea_id: int) -> sa.Row | None:
    result = await conn.execute(GET, {"idea_id": idea_id})
    return result.first()


async def open_with_text(conn: AsyncConnection, text: str) -> int | None:
    """The open, shown idea whose text is ``text`` (letter case and spacing aside), if any."""
    squeezed = " ".join(text.split()).lower()
    result = await conn.execute(
        sa.select(ideas_t.c.id)
        .where(
            ideas_t.c.status == "open",
            ideas_t.c.hidden.is_(False),
            sa.func.lower(ideas_t.c.text) == squeezed,
        )
        .order_by(ideas_t.c.id)
        .limit(1)
    )
    return result.scalar_one_or_none()


async def count_by_author_since(conn: AsyncConnection, author_id: int, since: datetime) -> int:
    result = await conn.execute(
        sa.select(sa.func.count())
        .select_from(ideas_t)
        .where(ideas_t.c.author_id == author_id, ideas_t.c.created_at >= since)
    )
    return int(result.scalar_one())


# Listings are the most frequent read (channels ask for them too): built once. The total is
# a separate count on the index; a window count would make the database join and sort every
# open idea instead of keeping only the top of the list.
_OPEN = ideas_t.c.status == "open", ideas_t.c.hidden.is_(False)


# What a listing line shows (commands.framework.formatting.idea_line): no timestamps to convert.
_LISTED = (ideas_t.c.id, ideas_t.c.text, ideas_t.c.up, ideas_t.c.down, ideas_t.c.status)


def _listing(*order: sa.ColumnElement) -> sa.Select:
    """The page of ideas first, then their authors: only the page's rows are joined."""
    page = (
        sa.select(*_LISTED, ideas_t.c.author_id)
        .where(*_OPEN)
        .order_by(*order)
        .limit(sa.bindparam("lim"))
        .offset(sa.bindparam("off"))
        .subquery("page")
    )
    return sa.select(
        *(page.c[column.name] for column in _LISTED),
        members_t.c.pseudonym,
        members_t.c.revealed_name.label("author_revealed"),
    ).join(members_t, members_t.c.id == page.c.author_id)


_TOP_PAGE = _listing((ideas_t.c.up - ideas_t.c.down).desc(), ideas_t.c.id.desc())
_TOP = _TOP_PAGE.order_by(
    sa.desc(_TOP_PAGE.selected_columns.up - _TOP_PAGE.selected_columns.down),
    _TOP_PAGE.selected_columns.id.desc(),
)
_NEW_PAGE = _listing(ideas_t.c.id.desc())
_NEW = _NEW_PAGE.order_by(_NEW_PAGE.selected_columns.id.desc())

# SQLite plans the plain join well (the page read off ix_idea_open_top, then one lookup per
# row) and the page subquery costs it more; PostgreSQL needs the subquery to avoid hashing
# every member. Each database gets the form that is fastest there.
_FLAT = (
    sa.select(*_LISTED, members_t.c.pseudonym, members_t.c.revealed_name.label("author_revealed"))
    .join(members_t, members_t.c.id == ideas_t.c.author_id)
    .where(*_OPEN)
)
_TOP_FLAT = (
    _FLAT.order_by((ideas_t.c.up - ideas_t.c.down).desc(), ideas_t.c.id.desc())
    .limit(sa.bindparam("lim"))
    .offset(sa.bindparam("off"))
)
_NEW_FLAT = (
    _FLAT.order_by(ideas_t.c.id.desc()).limit(sa.bindparam("lim")).offset(sa.bindparam("off"))
)
_COUNT_OPEN = sa.select(sa.func.count()).select_from(ideas_t).where(*_OPEN)


async def list_open(
    conn: AsyncConnection, *, newest: bool, limit: int, offset: int = 0
) -> list[sa.Row]:
    """Open, visible ideas, best or newest first."""
    if conn.dialect.name == "postgresql":
        query = _NEW if newest else _TOP
    else:
        query = _NEW_FLAT if newest else _TOP_FLAT
    result = await conn.execute(query, {"lim": limit, "off": offset})
    return list(result)


async def count_open(conn: AsyncConnection) -> int:
    result = await conn.execute(_COUNT_OPEN)
    return int(result.scalar_one())


async def add_to_counts(
    conn: AsyncConnection, idea_id: int, d_up: int, d_down: int
) -> tuple[int, int]:
    """Move the counters and read them back in one statement (the row lock orders voters)."""
    result = await conn.execute(ADD_TO_COUNTS, {"b_idea": idea_id, "d_up": d_up, "d_down": d_down})
    up, down = result.one()
    return int(up), int(down)


async def mark_launched(conn: AsyncConnection, idea_id: int, now: datetime) -> bool:
    """True for exactly one caller: the one whose vote launched the idea."""
    result = await conn.execute(
        sa.update(ideas_t)
        .where(
            ideas_t.c.id == idea_id,
            ideas_t.c.launched_at.is_(None),
            ideas_t.c.status == "open",
        )
        .values(launched_at=now, status="campaign")
        .returning(ideas_t.c.id)
    )
    return result.first() is not None


async def mark_milestone(conn: AsyncConnection, idea_id: int, now: datetime) -> bool:
    result = await conn.execute(
        sa.update(ideas_t)
        .where(ideas_t.c.id == idea_id, ideas_t.c.milestone_at.is_(None))
        .values(milestone_at=now)
        .returning(ideas_t.c.id)
    )
    return result.first() is not None


async def set_hidden(conn: AsyncConnection, idea_id: int, hidden: bool) -> None:
    await conn.execute(sa.update(ideas_t).where(ideas_t.c.id == idea_id).values(hidden=hidden))


async def close(conn: AsyncConnection, idea_id: int, now: datetime) -> bool:
    result = await conn.execute(
        sa.update(ideas_t)
        .where(ideas_t.c.id == idea_id, ideas_t.c.status != "closed")
        .values(status="closed", closed_at=now)
        .returning(ideas_t.c.id)
    )
    return result.first() is not None
