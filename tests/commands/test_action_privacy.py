"""Who pledged is sealed (issue 14). Before an action triggers, nothing names a pledger: not
the database read directly (not even the rows that hold a pledge until its random moment),
not any answer to a moderator or a member, not the campaign's page, not an announcement, not
a log line; their letters and the target's address are sealed too. After it, each pledger is
named only as they chose, the sealed rows go, and once the notices are delivered no outbox
row points at a pledger."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
import sqlalchemy as sa

from bot.config import Config
from bot.web.assemble import web_server
from bot.web.settings import WebSettings
from commands.framework.rules import Rules
from storage.db import Database
from storage.models import Letter, Outbox, Pledge, metadata
from storage.repos import actions
from storage.vault import PLEDGE
from tests.delays import Scripted
from tests.harness import ConsoleChat

# Columns through which a row can point at a member.
MEMBER_COLUMNS = ("member_id", "author_id", "created_by", "set_by", "by_member")
CHOSEN = "Frank F., Turker since 2014"
TARGET = "team@requester.example"
LETTERS = {
    "erin": "I lost a week of pay to rejections without a reason.",
    "frank": "Frank here: surveys pay my rent.",
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def at(chat: ConsoleChat, clock: Clock, seconds: float) -> None:
    clock.now += timedelta(seconds=seconds)
    await chat.deliver()


async def dump(db: Database) -> str:
    """Every value of every table but the members' own (which hold pseudonyms by design)."""
    values = []
    async with db.read() as conn:
        for table in metadata.sorted_tables:
            if table.name == "member":
                continue
            for row in await conn.execute(sa.select(table)):
                values.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(values)


async def pointing_at(db: Database, ids: set[int]) -> dict[str, int]:
    """How many rows of each table point at one of these members."""
    found: dict[str, int] = {}
    async with db.read() as conn:
        for table in metadata.sorted_tables:
            columns = [table.c[c] for c in MEMBER_COLUMNS if c in table.c]
            if table.name == "member":
                columns = [table.c.id]
            if not columns:
                continue
            n = await conn.scalar(
                sa.select(sa.func.count())
                .select_from(table)
                .where(sa.or_(*(c.in_(sorted(ids)) for c in columns)))
            )
            found[table.name] = int(n or 0)
    return found


async def test_before_the_trigger_nothing_names_a_pledger(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = Clock()
    privacy = Scripted(max_public_delay="90s")
    web = WebSettings(listen="127.0.0.1:0", public_url="https://dynamo.example.org")
    config = Config(rules=Rules(launch_upvotes=2), privacy=privacy, web=web)
    chat = ConsoleChat(db, config, clock=clock)
    chat.app.web = web_server(chat.app)
    await chat.start()
    try:
        for person in ("admin", "alice", "bob", "carol"):
            await chat.join(person)
        pledgers = {p: await chat.join(p) for p in ("erin", "frank", "gina")}
        async with db.read() as conn:
            rows = await conn.execute(sa.text("SELECT id, pseudonym FROM member"))
            ids = {int(i) for i, name in rows if name in pledgers.values()}
        await chat.dm("alice", "pitch Fair pay for surveys")
        await chat.dm("bob", "upvote 1")
        await chat.dm("carol", "upvote 1")
        await at(chat, clock, 0)
        await chat.dm("alice", f"action 1 needs 3 by 14d target {TARGET} Write to the MTurk team")
        await at(chat, clock, 0)
        before = await pointing_at(db, ids)

        privacy.upcoming[:] = [30.0, 40.0]
        queued = await chat.dm("erin", "pledge 1")
        assert queued.startswith("Your pledge to action #1 counts within 90 s")
        await chat.dm("frank", f'pledge 1 as "{CHOSEN}"')
        # Even the rows that hold the pledges until their moment name nobody.
        waiting = [r for r in await _all(db, Outbox.__table__) if r.kind == "command"]
        assert [(r.member_id, sorted(r.payload)) for r in waiting] == [(None, ["sealed"])] * 2
        assert CHOSEN not in await dump(db)
        for person, text in LETTERS.items():
            assert "sealed" in await chat.dm(person, f"letter 1 {text}")
        await at(chat, clock, 60)
        assert "2 of 3 pledges" in await chat.dm("admin", "actions 1")
        # Letters are found by the pledge's own digest and say nothing readable.
        letters = await _all(db, Letter.__table__)
        assert {r.finder for r in letters} == {r.finder for r in await _all(db, Pledge.__table__)}

        # Read directly, the database says two pledges were made, and nothing of by whom.
        dumped = await dump(db)
        assert CHOSEN not in dumped and "Frank F." not in dumped
        assert TARGET not in dumped and "requester" not in dumped
        for text in LETTERS.values():
            assert text not in dumped
        for pseudonym in pledgers.values():
            assert pseudonym not in dumped
        assert await pointing_at(db, ids) == before
        sealed = await _all(db, Pledge.__table__)
        assert sorted(r.action_id for r in sealed) == [1, 1]
        # A row is found only with the secret and the member in hand (their own pledge),
        # and its digest is not the one accounts are looked up by.
        mine = {db.vault.digest_for(f"action-1:member-{m}", PLEDGE): m for m in ids}
        assert len({mine[r.finder] for r in sealed}) == 2
        assert not {db.vault.digest(f"action-1:member-{m}") for m in ids} & set(mine)
        # Each member's digest differs from action to action.
        one = db.vault.digest_for("action-1:member-5", PLEDGE)
        assert one != db.vault.digest_for("action-2:member-5", PLEDGE)

        # Every answer, the page, every announcement and every log line so far.
        outputs = [
            await chat.dm("admin", "actions 1"),
            await chat.dm("alice", "actions 1"),
            await chat.channel("bob", "!actions 1") or "",
            await chat.dm("admin", "campaign 1"),
            chat.everything_public(),
            *(d for p in ("admin", "alice", "bob", "carol") for d in chat.dms_of(p)),
            await _page(chat, "/campaigns/1"),
            caplog.text,
        ]
        outputs.append(await chat.dm("admin", "mod target 1"))
        for text in outputs:
            assert CHOSEN not in text
            for letter in LETTERS.values():
                assert letter not in text
            for pseudonym in pledgers.values():
                assert pseudonym not in text, text

        # The trigger: each named only as they chose, and the sealed rows gone.
        privacy.upcoming[:] = [20.0]
        await chat.dm("gina", "pledge 1")
        await at(chat, clock, 30)
        assert "3 members stood together" in chat.announcements[-1]
        async with db.read() as conn:
            shown = await actions.revealed(conn, 1)
        assert shown == sorted([pledgers["erin"], CHOSEN, pledgers["gina"]], key=str.casefold)
        assert await _all(db, Pledge.__table__) == []
        after = [
            chat.everything_public(),
            await _page(chat, "/campaigns/1"),
            await chat.dm("admin", "actions 1"),
            caplog.text,
        ]
        for text in after:
            for pseudonym in pledgers.values():
                assert pseudonym not in text
        assert pledgers["frank"] not in (shown or [])
        for person in pledgers:
            assert any(d.startswith("It's on: action #1") for d in chat.dms_of(person))
        # The target was never confirmed: the letters wait, sealed, on the action alone.
        assert await _all(db, Letter.__table__) == []
        dumped = await dump(db)
        for text in LETTERS.values():
            assert text not in dumped
        assert TARGET not in dumped
        # The notices to the pledgers are delivered: read now, the database ties none of
        # them to the action (their rows keep neither member nor text).
        assert await pointing_at(db, ids) == before
        told = [r for r in await _all(db, Outbox.__table__) if r.event == "action_triggered"]
        assert told and all(
            r.member_id is None and r.payload in ({}, None) for r in told if r.kind != "announce"
        )
        # Confirmed, the delivery is queued for the mailer (naming only the action), and the
        # organizers' copy, once delivered, keeps no letter either.
        assert "its letters go there now" in await chat.dm("admin", "mod target 1 confirm")
        await at(chat, clock, 0)
        (mail,) = [r for r in await _all(db, Outbox.__table__) if r.event == "action_delivery"]
        assert (mail.kind, mail.member_id, mail.payload) == ("email", None, {"action": 1})
        assert LETTERS["frank"] in chat.last_dm("alice")
        dumped = await dump(db)
        for text in LETTERS.values():
            assert text not in dumped
        assert await pointing_at(db, ids) == before
        assert TARGET not in caplog.text
        for text in LETTERS.values():
            assert text not in caplog.text
    finally:
        await chat.stop()


async def _all(db: Database, table: sa.Table) -> list[sa.Row]:
    async with db.read() as conn:
        return list(await conn.execute(sa.select(table)))


async def _page(chat: ConsoleChat, path: str) -> str:
    assert chat.app.web is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{chat.app.web.port}{path}") as response:
            assert response.status == 200
            return await response.text()
