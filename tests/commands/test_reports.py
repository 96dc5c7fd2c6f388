"""Reports: members report an idea, a said message or a shown name; at the third distinct
reporter it is hidden until a moderator decides, its author is told why and how to appeal,
and nothing anywhere says who reported."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from commands.framework.rules import Rules
from storage.db import Database
from storage.models import Outbox, Report, ReportItem
from tests.commands.test_action_privacy import dump, pointing_at
from tests.commands.test_later import Clock, at, started, stored
from tests.delays import Scripted
from tests.harness import ConsoleChat

REPORTERS = ("bob", "carol", "dave")


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=1)


async def _members(db: Database, pseudonyms: set[str]) -> set[int]:
    async with db.read() as conn:
        rows = await conn.execute(sa.text("SELECT id, pseudonym FROM member"))
        return {int(i) for i, name in rows if name in pseudonyms}


async def test_the_third_distinct_reporter_hides_an_idea_until_a_moderator_decides(
    chat: ConsoleChat, db: Database
) -> None:
    await chat.join("admin")  # console:admin is an admin by config
    alice = await chat.join("alice")
    reporters = {p: await chat.join(p) for p in (*REPORTERS, "erin")}
    ids = await _members(db, set(reporters.values()))
    before = await pointing_at(db, ids)
    await chat.dm("alice", "pitch Post your worker ID here for a bonus")

    assert "your own idea" in await chat.dm("alice", "report idea 1 Mine.")
    assert "no idea #9" in await chat.dm("bob", "report idea 9 Nothing.")
    reply = await chat.dm("bob", "report idea 1 It asks people to reveal their worker ID.")
    assert "Reported idea #1 to the moderators" in reply and "never who sent it" in reply
    told = chat.last_dm("admin")
    assert "Report 1: idea #1" in told and "1 report of the 3 that hide it" in told
    assert "It asks people to reveal their worker ID." in told
    # The same member reporting again doesn't count.
    assert "counts once" in await chat.dm("bob", "report idea 1 Really, hide it.")
    assert "counts once" in await chat.dm("bob", "report idea 1 Please.")
    await chat.dm("carol", "report idea 1 Dangerous.")
    assert "2 reports of the 3" in chat.last_dm("admin")
    assert "Post your worker ID" in await chat.dm("erin", "idea 1")  # two reporters: shown
    assert "2 reports, shown" in await chat.dm("admin", "mod reports")

    await chat.dm("dave", "report idea 1 Doxxing bait.")
    assert "no idea #1" in await chat.dm("erin", "idea 1")
    assert "Post your worker ID" not in await chat.dm("erin", "ideas")
    notice = chat.last_dm("alice")
    assert "Your idea #1" in notice and "is hidden: 3 members reported it" in notice
    assert "Doxxing bait." in notice and "`appeal 1 WHY`" in notice
    assert "3 reports, hidden by reports" in await chat.dm("admin", "mod reports")
    log = await chat.dm("admin", "mod log")
    assert "members' reports: report hide idea #1 (report 1: 3 reports)" in log

    assert "No report 1 is about something of yours" in await chat.dm("bob", "appeal 1 Hm.")
    assert "reached the moderators" in await chat.dm("alice", "appeal 1 It was a joke.")
    assert f"{alice} appeals report 1" in chat.last_dm("admin")
    assert "kept and shown" in await chat.dm("admin", "mod report 1 keep")
    assert "shown again: a moderator kept it" in chat.last_dm("alice")
    assert "Post your worker ID" in await chat.dm("erin", "idea 1")
    assert "decided already" in await chat.dm("admin", "mod report 1 hide")
    assert "kept it" in await chat.dm("erin", "report idea 1 Still bad.")
    log = await chat.dm("admin", "mod log")
    assert "report keep idea #1 (report 1)" in log

    # Read directly, the database keeps three reasons and three unrelated digests: no
    # member id, no time, nothing that points at a reporter.
    async with db.read() as conn:
        rows = list(await conn.execute(sa.select(Report.__table__)))
        (item,) = list(await conn.execute(sa.select(ReportItem.__table__)))
    assert set(Report.__table__.c.keys()) == {"item_id", "reporter_hash", "reason"}
    assert len({r.reporter_hash for r in rows}) == 3
    assert all(len(r.reporter_hash) == 64 for r in rows)
    assert item.author_id not in ids
    assert await pointing_at(db, ids) == before
    dumped = await dump(db)
    everything_said = "\n".join(chat.dms_of("admin") + chat.dms_of("alice"))
    for name in reporters.values():
        assert name not in dumped
        assert name not in everything_said
        assert name not in chat.everything_public()


async def test_a_said_message_and_a_shown_name_are_hidden_by_reports(chat: ConsoleChat) -> None:
    await chat.join("admin")
    alice = await chat.join("alice")
    for person in REPORTERS:
        await chat.join(person)
    erin = await chat.join("erin")
    await chat.dm("alice", "pitch Fair pay for surveys")
    await chat.dm("bob", "upvote 1")
    said = await chat.dm("alice", "say 1 You are all idiots.")
    assert "It shows as message [say 1]" in said
    assert any(a.endswith("You are all idiots. [say 1]") for a in chat.announcements)

    assert "no message [say 5]" in await chat.dm("bob", "report say 5 Rude.")
    for person in REPORTERS:
        assert "Reported message [say 1]" in await chat.dm(person, "report say 1 Insulting.")
    notice = chat.last_dm("alice")
    assert "Your message [say 1]" in notice and "is hidden" in notice and "appeal 1" in notice
    assert "no message [say 1]" in await chat.dm("erin", "report say 1 Also rude.")
    assert "hidden for good" in await chat.dm("admin", "mod report 1 hide")
    assert "hidden for good by a moderator" in chat.last_dm("alice")
    assert "decided report 1 already" in await chat.dm("alice", "appeal 1 Sorry.")
    assert "report hide message [say 1] (report 1)" in await chat.dm("admin", "mod log")

    assert "From now on" in await chat.dm("alice", "reveal Kristy M.")
    assert "shows no name" in await chat.dm("bob", f"report name {erin} Odd.")
    for person in REPORTERS:
        reply = await chat.dm(person, f"report name {alice} That is a real person's name.")
        assert f"Reported the name shown by {alice}" in reply
    assert "the name shown by" in chat.last_dm("alice") and "is hidden" in chat.last_dm("alice")
    await chat.dm("alice", "pitch Shown name gone")
    assert "Kristy M." not in chat.announcements[-1]
    assert "Reports hid the name you showed" in await chat.dm("alice", "reveal Kristy M.")
    assert "Report 2: the name shown by" in await chat.dm("admin", "mod reports")
    await chat.dm("admin", "mod report 2 keep")
    assert "Kristy M." in await chat.dm("alice", "whoami")


async def test_a_report_reaches_the_moderators_later_and_sealed(db: Database) -> None:
    """The moderators' notice could time the reporter (IRC shows idle times): with a public
    delay the report waits for a random moment in a row that names nobody."""
    clock = Clock()
    privacy = Scripted(max_public_delay="90s")
    chat = await started(db, privacy, clock)
    try:
        await chat.join("admin")
        await chat.join("alice")
        bob = await chat.join("bob")
        privacy.upcoming[:] = [5.0]
        await chat.dm("alice", "pitch Something to report")
        await at(chat, clock, 5)
        privacy.upcoming[:] = [30.0]
        queued = await chat.dm("bob", "report idea 1 Off topic.")
        assert queued.startswith("Your report reaches the moderators within 90 s")
        waiting = [r for r in await stored(db, Outbox.__table__) if r.kind == "command"]
        assert [(r.member_id, sorted(r.payload)) for r in waiting] == [(None, ["sealed"])]
        assert "Off topic." not in await dump(db)
        await at(chat, clock, 30)
        assert "Reason: Off topic." in chat.last_dm("admin")
        assert [r for r in await stored(db, Outbox.__table__) if r.kind == "command"] == []
        assert bob not in await dump(db)
    finally:
        await chat.stop()
