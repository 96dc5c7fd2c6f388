"""Actions and sealed pledges (issue 14): an organizer opens an action, members pledge and
withdraw privately, everyone sees only the count, and the pledge that reaches what the
action needs triggers it exactly once: every pledger is told what to do, the announcement
says how many stood together, and each pledger is named only as they chose."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from bot.config import Config
from commands.catalog import build_registry
from commands.framework.invoker import Invoker
from commands.framework.privacy import NO_DELAY
from commands.framework.reply import IdentityRef
from commands.framework.rules import Rules
from commands.jobs.table import sweep
from storage.db import Database
from storage.models import Action, Ledger, Outbox, Pledge
from storage.repos import actions, campaigns, ideas, members
from storage.types import utcnow
from tests.commands.test_campaigns import launched
from tests.harness import ConsoleChat


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2)


async def rows(db: Database, table: sa.Table) -> list[sa.Row]:
    async with db.read() as conn:
        return list(await conn.execute(sa.select(table)))


async def test_pledge_withdraw_and_trigger(chat: ConsoleChat, db: Database) -> None:
    names = await launched(chat)  # campaign #1, organized by alice
    erin = await chat.join("erin")

    refused = await chat.dm("bob", "action 1 needs 3 by 14d Write to the MTurk team")
    assert "Only organizers of campaign #1" in refused
    assert "needs" in await chat.dm("alice", "action 1 by 14d Write to the MTurk team")
    bad = await chat.dm("alice", "action 1 needs 3 by 14d target nobody Write to them")
    assert "not an email address" in bad
    opened = await chat.dm(
        "alice",
        "action 1 needs 3 by 14d target team@example.org Send a letter asking for a minimum "
        "pay rate",
    )
    assert opened.startswith("Action #1 on campaign #1 is open: it needs 3 pledges by ")
    await chat.deliver()
    assert chat.announcements[-1].startswith("Action #1 of campaign #1 happens if 3 members")
    assert "`pledge 1`" in chat.announcements[-1]
    # Its followers hear of it too.
    assert chat.last_dm("bob") == chat.announcements[-1]

    assert "You pledged to action #1; it has 1 of 3" in await chat.dm("bob", "pledge 1")
    assert "already" in await chat.dm("bob", "pledge 1")
    assert "1 of 3 pledges" in await chat.dm("dave", "actions 1")
    assert "withdrawn; it has 0 of 3" in await chat.dm("bob", "unpledge 1")
    assert "no pledge on action #1" in await chat.dm("bob", "unpledge 1")
    assert "0 of 3 pledges" in (await chat.channel("dave", "!actions 1") or "")
    # Pledging in public would tie the account to the pledge: refused, with a private hint.
    assert await chat.channel("bob", "!pledge 1") is None
    assert "private message" in chat.last_dm("bob")

    await chat.dm("bob", "pledge 1")
    named = await chat.dm("carol", 'pledge 1 as "Carol C., Turker since 2012"')
    assert 'named "Carol C., Turker since 2012"' in named
    await chat.deliver()
    assert not any("is on" in a for a in chat.announcements)
    on = await chat.dm("erin", "pledge 1")
    assert "made it 3 pledges: it's on" in on
    await chat.deliver()
    assert chat.announcements[-1] == (
        "Action #1 of campaign #1 is on: 3 members stood together. Send a letter asking for "
        "a minimum pay rate"
    )
    for person in ("bob", "carol", "erin"):
        assert chat.last_dm(person).startswith(
            "It's on: action #1 of campaign #1 has 3 pledges, and yours is one. Here is what "
            "to do: Send a letter"
        )
    assert not any(d.startswith("It's on") for d in chat.dms_of("dave"))
    assert "has triggered already, with 3 pledges" in await chat.dm("dave", "pledge 1")
    assert "has triggered already" in await chat.dm("bob", "unpledge 1")
    assert "triggered" in await chat.dm("dave", "actions 1")

    # Named only as each chose: carol by her name, the others by their pseudonyms; and
    # the sealed pledges are gone.
    async with db.read() as conn:
        shown = await actions.revealed(conn, 1)
    assert shown == sorted([names["bob"], "Carol C., Turker since 2012", erin], key=str.casefold)
    assert names["carol"] not in (shown or [])
    assert await rows(db, Pledge.__table__) == []
    assert [r.period for r in await rows(db, Ledger.__table__) if r.kind == "action_trigger"] == [
        "action-1"
    ]


async def test_a_closed_or_hidden_campaign_takes_no_action(chat: ConsoleChat) -> None:
    await launched(chat)
    assert "There is no action #4" in await chat.dm("bob", "pledge 4")
    assert "has passed" in await chat.dm("alice", "action 1 needs 3 by 2020-01-01 Write")
    assert "at most 100000" in await chat.dm("alice", "action 1 needs 200000 by 14d Write")
    assert "no actions" in await chat.dm("dave", "actions 1")


async def test_a_restart_across_the_trigger_triggers_once(db: Database) -> None:
    config = Config(rules=Rules(launch_upvotes=2), privacy=NO_DELAY)
    chat = ConsoleChat(db, config)
    await chat.start()
    await launched(chat)
    await chat.dm("alice", "action 1 needs 3 by 14d Write to the MTurk team")
    await chat.dm("bob", "pledge 1")
    await chat.dm("carol", "pledge 1")
    await chat.stop()

    # Started again: the pledges kept, sealed, and counted.
    chat = ConsoleChat(db, config)
    await chat.start()
    assert "2 of 3 pledges" in await chat.dm("dave", "actions 1")
    assert "already" in await chat.dm("bob", "pledge 1")
    assert "it's on" in await chat.dm("dave", "pledge 1")
    await chat.stop()

    # Started again after the trigger: nothing happens twice.
    chat = ConsoleChat(db, config)
    await chat.start()
    assert await sweep(chat.app.jobs, utcnow()) == 0
    await chat.deliver()
    await chat.stop()
    triggered = [r for r in await rows(db, Outbox.__table__) if r.event == "action_triggered"]
    assert len([r for r in triggered if r.kind == "announce"]) == 1
    assert len([r for r in triggered if r.kind != "announce"]) == 3
    (action,) = await rows(db, Action.__table__)
    assert (action.status, action.pledge_count) == ("triggered", 3)


PLEDGERS = 200
NEEDS = 100


async def _seed(db: Database) -> tuple[int, list[IdentityRef]]:
    now = utcnow()
    refs = []
    async with db.write() as conn:
        organizer = await members.create_member(
            conn, pseudonym="calm_organizer", code_kind="worker", role="member", now=now
        )
        idea = await ideas.create(conn, organizer, "Fair pay", now)
        await ideas.mark_launched(conn, idea, now)
        await campaigns.create(conn, idea, now)
        await campaigns.add_organizer(conn, idea, organizer, now)
        for i in range(PLEDGERS):
            member_id = await members.create_member(
                conn, pseudonym=f"pledger_{i}", code_kind="worker", role="member", now=now
            )
            key = f"test:pledger{i}"
            await members.add_identity(
                conn, db.vault, key=key, platform="test", member_id=member_id, now=now
            )
            refs.append(IdentityRef(key=key, platform="test"))
        await members.set_role(conn, organizer, "moderator")
        key = "test:organizer"
        await members.add_identity(
            conn, db.vault, key=key, platform="test", member_id=organizer, now=now
        )
    return idea, [IdentityRef(key="test:organizer", platform="test"), *refs]


async def test_200_concurrent_pledges_trigger_exactly_once(db: Database) -> None:
    campaign, (organizer, *refs) = await _seed(db)
    # Two engines on the same database play two processes (with small pools: the
    # PostgreSQL server is shared).
    url = db.url.replace("+aiosqlite", "").replace("+asyncpg", "")
    processes = [Database(url, schema=db.schema, vault=db.vault, pool_size=3) for _ in range(2)]
    registry = build_registry()
    invokers = [
        Invoker(db=d, registry=registry, rules=Rules(), spaces=("space-a", "space-b"))
        for d in processes
    ]
    try:
        opened = await invokers[0].handle(
            organizer, f"action {campaign} needs {NEEDS} by 14d Write to them", where="dm"
        )
        assert opened.ok, opened.text
        replies = await asyncio.gather(
            *(invokers[i % 2].handle(ref, "pledge 1", where="dm") for i, ref in enumerate(refs))
        )
    finally:
        for process in processes:
            await process.dispose()
    texts = [r.text for r in replies]
    assert sum("it's on" in t for t in texts) == 1
    assert sum(r.ok for r in replies) == NEEDS
    assert sum("triggered already" in t for t in texts) == PLEDGERS - NEEDS
    (action,) = await rows(db, Action.__table__)
    assert (action.status, action.pledge_count, len(action.revealed)) == ("triggered", NEEDS, NEEDS)
    assert await rows(db, Pledge.__table__) == []
    triggered = [r for r in await rows(db, Outbox.__table__) if r.event == "action_triggered"]
    assert sorted(r.space for r in triggered if r.kind == "announce") == ["space-a", "space-b"]
    told = [r.member_id for r in triggered if r.kind != "announce"]
    assert len(told) == len(set(told)) == NEEDS
    ledger = [r for r in await rows(db, Ledger.__table__) if r.kind == "action_trigger"]
    assert len(ledger) == 1


async def test_letters_are_private_limited_and_only_for_actions_with_a_target(
    db: Database,
) -> None:
    chat = ConsoleChat(
        db, Config(rules=Rules(launch_upvotes=2, letter_max_chars=40), privacy=NO_DELAY)
    )
    await chat.start()
    try:
        await launched(chat)
        await chat.dm("alice", "action 1 needs 2 by 14d Write to the MTurk team")
        await chat.dm("alice", "action 1 needs 2 by 14d target team@example.org Write to them")
        assert "has no target" in await chat.dm("bob", "letter 1 Dear team")
        assert "You have written no letter" in await chat.dm("bob", "letter 2")
        too_long = await chat.dm("bob", "letter 2 " + "x" * 41)
        assert "41 characters; the limit is 40" in too_long
        assert "is kept, sealed" in await chat.dm("bob", "letter 2 Pay us fairly.")
        # Only its writer sees it; a moderator learns the target, never a letter.
        assert "Pay us fairly." in await chat.dm("bob", "letter 2")
        assert "written no letter" in await chat.dm("carol", "letter 2")
        assert "letter" not in await chat.dm("carol", "actions 1")
        assert "no action #9" in await chat.dm("bob", "letter 9 Hello")
        assert "moderator" in (await chat.dm("alice", "mod target 2")).lower()
        await chat.dm("bob", "pledge 2")
        await chat.dm("carol", "pledge 2")
        assert "has triggered already" in await chat.dm("bob", "letter 2 Too late")
    finally:
        await chat.stop()
