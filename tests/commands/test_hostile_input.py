"""Any text into any command gets a reply, never an exception; a refusal changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Config
from commands.catalog import build_registry
from commands.framework.privacy import NO_DELAY
from commands.framework.reply import IdentityRef, Reply
from commands.framework.rules import Rules
from storage.db import Database
from storage.models import metadata
from tests.harness import ConsoleChat

NAMES = [*sorted(c.name for c in build_registry()), "", "nonsense", "MOD", "Pitch"]
PIECES = st.sampled_from(
    [
        "\r",
        "\n",
        "\r\n",
        "\x00",
        '"',
        "'",
        "“",
        "”",
        "`",
        "#1",
        "1",
        "0",
        "-1",
        "2",
        "99999999999",
        "as",
        "edit",
        "append",
        "revert",
        "history",
        "researcher",
        "@everyone",
        "<@123>",
        " ",
        "\t",
        "moderator",
        "calm_otter",
        "K7QF-M2XD-9HPA-3TWC",
        "\u202e",
        "🙂",
        "\ud7ff",
        "new",
        "all",
    ]
)
TEXTS = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=25).map("".join),
    st.builds(lambda s, n: ((s or "x") * n)[:10_240], st.text(max_size=4), st.integers(1, 10_240)),
)
# Rows a refusal may add on purpose: failed code attempts are counted to stop guessing.
COUNTED = {"registration_failure"}


async def snapshot(db: Database) -> dict[str, list[Any]]:
    out = {}
    async with db.read() as conn:
        for table in metadata.sorted_tables:
            if table.name in COUNTED:
                continue
            rows = await conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            out[table.name] = [tuple(r) for r in rows]
    return out


@pytest.fixture
async def world(db: Database) -> AsyncIterator[ConsoleChat]:
    chat = ConsoleChat(db, Config(rules=Rules(launch_upvotes=1), privacy=NO_DELAY))
    await chat.start()
    await chat.join("admin")
    await chat.join("member")
    await chat.dm("member", "pitch An idea to vote on")
    await chat.dm("admin", "upvote 1")
    await chat.dm("admin", "petition 1 A statement")
    await chat.dm("member", "pitch A second idea")
    yield chat
    await chat.stop()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(NAMES),
    text=TEXTS,
    who=st.sampled_from(["admin", "member", "stranger"]),
    where=st.sampled_from(["dm", "channel"]),
)
async def test_any_text_into_any_command(
    world: ConsoleChat, name: str, text: str, who: str, where: str
) -> None:
    before = await snapshot(world.db)
    identity = IdentityRef(key=f"console:{who}", platform="console")
    reply = await world.app.invoker.handle(identity, f"{name} {text}", where=where)
    assert isinstance(reply, Reply) and reply.text.strip()
    assert "went wrong" not in reply.text, reply.text
    if not reply.ok:
        assert await snapshot(world.db) == before
