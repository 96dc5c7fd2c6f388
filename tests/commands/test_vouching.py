"""Issue 15, vouching: members of some standing vouch for people they know with a code;
who vouched for whom is for the moderators alone, in the database as in every output."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
import time_machine

from bot.config import Config
from commands.framework.privacy import NO_DELAY
from commands.framework.reply import Role
from storage.db import Database
from storage.models import metadata
from storage.repos import members, vouches
from storage.vault import VOUCHED, VOUCHER
from tests.harness import ConsoleChat, days

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CODE = re.compile(r"`([2-9A-Z]{4}(?:-[2-9A-Z]{4}){3})`")


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
async def chat(db: Database, clock: time_machine.Traveller) -> AsyncIterator[ConsoleChat]:
    harness = ConsoleChat(db, Config(privacy=NO_DELAY))
    await harness.start()
    yield harness
    await harness.stop()


def code_in(reply: str) -> str:
    match = CODE.search(reply)
    assert match, reply
    return match.group(1)


async def join_with(chat: ConsoleChat, person: str, code: str) -> str:
    offer = await chat.dm(person, f"register {code}")
    assert "could be" in offer, offer
    reply = await chat.dm(person, "choose")
    match = re.search(r"You are \*\*([a-z]+_[a-z]+)\*\*", reply)
    assert match, reply
    return match.group(1)


async def test_a_member_too_new_is_told_when_they_can(
    chat: ConsoleChat, clock: time_machine.Traveller
) -> None:
    await chat.join("alice")
    listed = await chat.dm("alice", "help")
    assert "vouch, codes" in listed
    assert "mod vouches" in await chat.dm("alice", "help mod")
    assert "shown once" in await chat.dm("alice", "help vouch")
    reply = await chat.dm("alice", "vouch")
    assert "been here 30 days" in reply and "2026-12-31 12:00" in reply
    assert "haven't vouched" in await chat.dm("alice", "codes")
    clock.shift(days(30))
    assert code_in(await chat.dm("alice", "vouch"))


async def test_at_most_two_in_any_thirty_days(
    chat: ConsoleChat, clock: time_machine.Traveller
) -> None:
    await chat.join("alice")
    clock.shift(days(31))  # 2027-01-01 12:00
    first = code_in(await chat.dm("alice", "vouch"))
    clock.shift(days(10))
    second = code_in(await chat.dm("alice", "vouch"))
    assert first != second
    refused = await chat.dm("alice", "vouch")
    # The window rolls: the first code leaves it 30 days after it was made.
    assert "2 times in the last 30 days" in refused and "2027-01-31 12:00" in refused
    assert not CODE.search(refused)
    clock.shift(days(20))
    assert code_in(await chat.dm("alice", "vouch"))


async def test_a_newcomer_uses_the_code_and_codes_says_used_not_by_whom(
    chat: ConsoleChat, clock: time_machine.Traveller
) -> None:
    await chat.join("alice")
    clock.shift(days(31))
    reply = await chat.dm("alice", "vouch")
    code = code_in(reply)
    assert "won't show it again" in reply
    unused = await chat.dm("alice", "codes")
    assert "not used yet" in unused and code not in unused
    clock.shift(days(1))
    newcomer = await join_with(chat, "nora", code)
    listing = await chat.dm("alice", "codes")
    assert "1. made 2027-01-01 12:00 UTC: used" in listing
    assert newcomer not in listing
    assert "already been used" in await chat.dm("mallory", f"register {code}")
    # A second code expires unused after [trust] vouch_code_days.
    code_in(await chat.dm("alice", "vouch"))
    clock.shift(days(31))
    assert "2. made 2027-01-02 12:00 UTC: expired unused" in await chat.dm("alice", "codes")


async def test_three_generations_followed_and_revoked(
    chat: ConsoleChat, clock: time_machine.Traveller, db: Database
) -> None:
    await chat.join("admin")  # console:admin: an admin by config
    mod = await chat.join("mia")
    await chat.dm("admin", f"mod promote {mod} moderator")
    ann = await chat.join("ann")
    clock.shift(days(31))
    bea = await join_with(chat, "bea", code_in(await chat.dm("ann", "vouch")))
    clock.shift(days(31))
    cal = await join_with(chat, "cal", code_in(await chat.dm("bea", "vouch")))
    clock.shift(days(31))
    cal_unused = code_in(await chat.dm("cal", "vouch"))
    ann_unused = code_in(await chat.dm("ann", "vouch"))

    around_bea = await chat.dm("mia", f"mod vouches {bea}")
    assert f"Vouched for by: {ann} (nearest first)" in around_bea
    assert f"- {cal}" in around_bea
    around_ann = await chat.dm("mia", f"mod vouches {ann}")
    assert "Vouched for by: nobody" in around_ann
    assert f"  - {bea}\n    - {cal}" in around_ann
    assert "Codes issued: 2 (1 used)" in around_ann
    around_cal = await chat.dm("mia", f"mod vouches {cal}")
    assert f"Vouched for by: {bea} ← {ann}" in around_cal

    # The moderator follows the chain down from its root and suspends each generation.
    for who in (ann, bea, cal):
        assert "Vouching suspended" in await chat.dm("mia", f"mod vouching {who} off")
    assert "1 unused code(s) you issued no longer work" in chat.last_dm("cal")
    assert "suspended your vouching." in chat.last_dm("bea")
    for code in (cal_unused, ann_unused):
        assert "withdrawn" in await chat.dm("newcomer", f"register {code}")
    assert "suspended your vouching" in await chat.dm("cal", "vouch")
    assert "revoked by the moderators" in await chat.dm("cal", "codes")
    assert f"suspended by {mod}" in await chat.dm("mia", f"mod vouches {cal}")
    assert "already suspended" in await chat.dm("mia", f"mod vouching {cal} off")
    assert "may vouch again" in await chat.dm("mia", f"mod vouching {cal} on")
    assert "You may vouch again" in chat.last_dm("cal")
    assert code_in(await chat.dm("cal", "vouch"))

    # Storage answers the chain only to staff.
    async with db.read() as conn:
        cal_row = await members.member_by_pseudonym(conn, cal)
        bea_row = await members.member_by_pseudonym(conn, bea)
        with pytest.raises(vouches.NotStaff):
            await vouches.voucher_of(conn, db.vault, cal_row.id, viewer_role="member")
        with pytest.raises(vouches.NotStaff):
            await vouches.vouched_by(conn, db.vault, bea_row.id, viewer_role=Role.MEMBER.label)
        assert await vouches.voucher_of(conn, db.vault, cal_row.id, viewer_role="moderator") == (
            bea_row.id
        )


async def test_nobody_but_moderators_sees_the_chain(
    chat: ConsoleChat, clock: time_machine.Traveller, db: Database
) -> None:
    await chat.join("admin")
    ann = await chat.join("ann")
    clock.shift(days(31))
    bea = await join_with(chat, "bea", code_in(await chat.dm("ann", "vouch")))
    clock.shift(days(31))
    cal = await join_with(chat, "cal", code_in(await chat.dm("bea", "vouch")))
    await chat.dm("admin", f"mod vouching {bea} off")
    assert f"- {cal}" in await chat.dm("admin", f"mod vouches {bea}")

    # Every command a member may run, as each of the chain, with every example it declares.
    for person in ("ann", "bea", "cal"):
        for command in chat.app.registry:
            if command.min_role > Role.MEMBER:
                continue
            for example in command.examples:
                await chat.dm(person, example)
        assert "Only moderators" in await chat.dm(person, f"mod vouches {bea}")
    await chat.deliver()
    # A pseudonym may show as the author of an idea (the examples pitch some), never
    # anywhere else, and never near a word of vouching.
    names = {"ann": ann, "bea": bea, "cal": cal}
    seen = [("public", None, line) for line in chat.everything_public().splitlines()]
    for person, own in names.items():
        seen.extend(
            (person, own, line) for said in chat.dms_of(person) for line in said.split("\n")
        )
    for reader, own, line in seen:
        named = [name for name in names.values() if name in line and name != own]
        if named:
            assert re.search(r"#\d+", line) and "vouch" not in line.lower(), (reader, line)
            assert len(named) == 1, (reader, line)

    # Reading the database: no row pairs two of the chain, in plain ids or pseudonyms.
    async with db.read() as conn:
        ids = {name: (await members.member_by_pseudonym(conn, name)).id for name in (ann, bea, cal)}
        for table in metadata.sorted_tables:
            member_columns = [
                c.name
                for c in table.columns
                if any(fk.column.table.name == "member" for fk in c.foreign_keys)
            ]
            text = [c.name for c in table.columns if isinstance(c.type, sa.String | sa.Text)]
            for row in (await conn.execute(sa.select(table))).mappings():
                held = {row[c] for c in member_columns}
                assert len(held & set(ids.values())) < 2, (table.name, dict(row))
                words = " ".join(str(row[c]) for c in text if row[c] is not None)
                assert sum(name in words for name in ids) < 2, (table.name, dict(row))
        for row in (await conn.execute(sa.text("SELECT * FROM vouch"))).mappings():
            for column in ("voucher_sealed", "vouched_sealed", "voucher_finder", "vouched_finder"):
                assert row[column] not in {str(i) for i in ids.values()}
        (link,) = [
            r
            for r in (await conn.execute(sa.text("SELECT * FROM vouch"))).mappings()
            if r["vouched_sealed"] and db.vault.open(r["vouched_sealed"], VOUCHED) == str(ids[cal])
        ]
        assert db.vault.open(link["voucher_sealed"], VOUCHER) == str(ids[bea])
        log = (await conn.execute(sa.text("SELECT target FROM mod_action"))).scalars().all()
        assert bea not in log  # suspensions stay out of the moderation log
