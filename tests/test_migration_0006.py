"""Migration 0006 on a running deployment's data: account keys and addresses stored in plain
text before it are sealed with the project secret, and everyone is still recognised after.

The database is built at revision 0005 and filled as the bot of that time filled it; then
the bot of today starts on it, with its key.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from commands.framework.reply import IdentityRef
from storage import migrate
from storage.db import Database
from storage.models import metadata
from storage.secret import SecretKeyError
from storage.types import utcnow
from storage.vault import Vault
from tests.databases import PG_URL, postgres_available
from tests.harness import ConsoleChat
from tests.momentum.conftest import SmtpServer, free_port, momentum_config

ALICE_IRC = IdentityRef("irc:net1:alice", "irc")
ALICE_DISCORD = IdentityRef("discord:123456789012345678", "discord")
CAROL = IdentityRef("console:carol", "console")
DRIFTER = IdentityRef("irc:net1:drifter", "irc")
MALLORY = IdentityRef("irc:net1:mallory", "irc")
ALICE_MAIL = "firstname.lastname@example.org"
CAROL_MAIL = "carol.pending@example.net"
PLAIN = ("alice", "drifter", "mallory", "123456789012345678", "firstname", "carol.pending")


@dataclass
class OldDatabase:
    url: str
    schema: str | None

    def open(self, vault: Vault | None) -> Database:
        return Database(self.url, schema=self.schema, vault=vault)


@pytest.fixture(params=["sqlite", "postgresql"])
async def old(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OldDatabase]:
    """An empty database at revision 0005."""
    if request.param == "sqlite":
        found = OldDatabase(f"sqlite:///{tmp_path / 'old.db'}", None)
    else:
        reason = postgres_available()
        if reason:
            pytest.skip(reason)
        found = OldDatabase(PG_URL, f"t_{uuid.uuid4().hex[:12]}")
        admin = Database(PG_URL)
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA "{found.schema}"')
    db = found.open(None)
    try:
        await migrate.upgrade(db, "0005")
    finally:
        await db.dispose()
    yield found
    if found.schema is not None:
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA "{found.schema}" CASCADE')
        await admin.dispose()


async def fill_as_of_0005(db: Database) -> None:
    """What the bot of revision 0005 wrote: keys and addresses as they were typed."""
    now = utcnow()
    t = {name: sa.table(name, *(_column(c) for c in cols)) for name, cols in _COLUMNS.items()}
    async with db.write() as conn:
        for pseudonym in ("brave_otter", "calm_heron"):  # members 1 and 2
            await conn.execute(
                sa.insert(t["member"]).values(
                    pseudonym=pseudonym, role="member", code_kind="worker", created_at=now
                )
            )
        await conn.execute(
            sa.insert(t["identity"]),
            [
                {"key": ref.key, "platform": ref.platform, "member_id": m, "created_at": now}
                for ref, m in ((ALICE_IRC, 1), (ALICE_DISCORD, 1), (CAROL, 2))
            ],
        )
        await conn.execute(
            sa.insert(t["registration_code"]).values(  # code 1
                code_hash="0" * 64, batch="old", kind="worker", created_at=now
            )
        )
        await conn.execute(
            sa.insert(t["pending_registration"]).values(
                identity_key=DRIFTER.key, code_id=1, offered="quiet_fox", created_at=now
            )
        )
        await conn.execute(
            sa.insert(t["registration_failure"]),
            [{"identity_key": MALLORY.key, "at": now - timedelta(minutes=n)} for n in range(5)],
        )
        await conn.execute(
            sa.insert(t["member_email"]),
            [
                {
                    "member_id": 1,
                    "address": ALICE_MAIL,
                    "pending_address": None,
                    "verified_at": now,
                    "unsubscribe_token": "tok1",
                    "code_attempts": 0,
                    "requests": 0,
                },
                {
                    "member_id": 2,
                    "address": None,
                    "pending_address": CAROL_MAIL,
                    "verified_at": None,
                    "unsubscribe_token": None,
                    "code_attempts": 0,
                    "requests": 1,
                },
            ],
        )
        # Mail queued before the upgrade: a notice to alice, the code carol waits for.
        await conn.execute(
            sa.insert(t["outbox"]),
            [
                {
                    "kind": "email",
                    "member_id": m,
                    "event": event,
                    "payload": payload,
                    "created_at": now,
                    "available_at": now,
                    "attempts": 0,
                }
                for m, event, payload in (
                    (1, "idea_update", {"text": "Campaign #3 has news"}),
                    (2, "verify_email", {}),
                )
            ],
        )


def _column(name: str) -> sa.ColumnClause[object]:
    return sa.column(name, sa.JSON) if name == "payload" else sa.column(name)


_COLUMNS = {
    "member": ("pseudonym", "role", "code_kind", "created_at"),
    "identity": ("key", "platform", "member_id", "created_at"),
    "registration_code": ("code_hash", "batch", "kind", "created_at"),
    "pending_registration": ("identity_key", "code_id", "offered", "created_at"),
    "registration_failure": ("identity_key", "at"),
    "member_email": (
        "member_id",
        "address",
        "pending_address",
        "verified_at",
        "unsubscribe_token",
        "code_attempts",
        "requests",
    ),
    "outbox": (
        "kind",
        "member_id",
        "event",
        "payload",
        "created_at",
        "available_at",
        "attempts",
    ),
}


async def say(chat: ConsoleChat, who: IdentityRef, line: str) -> str:
    return (await chat.app.invoker.handle(who, line, where="dm")).text


async def test_members_are_recognised_and_mail_finds_them_after_the_upgrade(
    old: OldDatabase,
) -> None:
    plain = old.open(None)
    await fill_as_of_0005(plain)
    await plain.dispose()

    smtp = SmtpServer(free_port())
    await smtp.start()
    db = old.open(Vault.from_environ())
    chat = ConsoleChat(db, momentum_config(smtp.port))
    await chat.start()  # the bot of today migrates at start
    try:
        assert "brave_otter" in await say(chat, ALICE_IRC, "whoami")
        assert "brave_otter" in await say(chat, ALICE_DISCORD, "whoami")
        assert "calm_heron" in await say(chat, CAROL, "whoami")
        assert "f…@e….org is verified" in await say(chat, ALICE_IRC, "email")
        assert "You are **quiet_fox**" in await say(chat, DRIFTER, "choose")
        assert "Too many wrong codes" in await say(chat, MALLORY, "register ABCD-EFGH-JKMN-PQRS")
        mailer = chat.app.mailer
        assert mailer is not None
        await mailer.drain()
        assert sorted(r.to for r in smtp.inbox.received) == sorted([ALICE_MAIL, CAROL_MAIL])
        code = smtp.inbox.code_for(CAROL_MAIL)
        assert "is verified" in await say(chat, CAROL, f"verify {code}")

        # And what it replaced is gone from the disk (SQLite), or from every table.
        if db.is_sqlite:
            path = Path(db.path)
            raw = b"".join(
                f.read_bytes() for f in (path, path.with_name(path.name + "-wal")) if f.exists()
            )
            assert [s for s in PLAIN if s.encode() in raw] == []
        else:
            async with db.read() as conn:
                dump = repr(
                    [list(await conn.execute(sa.select(table))) for table in metadata.sorted_tables]
                )
            assert [s for s in PLAIN if s in dump] == []
    finally:
        await chat.stop()
        await smtp.stop()


async def test_without_the_key_the_upgrade_stops_and_changes_nothing(old: OldDatabase) -> None:
    db = old.open(None)
    try:
        await fill_as_of_0005(db)
        with pytest.raises(SecretKeyError) as missing:
            await migrate.upgrade(db)
        text = str(missing.value)
        assert re.search(r"holds 11 account name\(s\) and email address\(es\)", text)
        assert "dynamo secret new" in text and "DYNAMO_SECRET_KEY=" in text
        assert await migrate.current_revision(db) == "0005"
        async with db.read() as conn:
            keys = set((await conn.execute(sa.text("SELECT key FROM identity"))).scalars())
        assert ALICE_IRC.key in keys
    finally:
        await db.dispose()


async def test_downgrade_opens_what_upgrade_sealed(old: OldDatabase) -> None:
    vault = Vault.from_environ()
    db = old.open(vault)
    try:
        await fill_as_of_0005(db)
        await migrate.upgrade(db)

        def downgrade(connection: sa.Connection) -> None:
            command.downgrade(migrate.alembic_config(connection, vault), "0005")

        async with db.engine.begin() as conn:
            await conn.run_sync(downgrade)
        async with db.read() as conn:
            keys = set((await conn.execute(sa.text("SELECT key FROM identity"))).scalars())
            mail = (await conn.execute(sa.text("SELECT address FROM member_email"))).scalars()
            assert keys == {ALICE_IRC.key, ALICE_DISCORD.key, CAROL.key}
            assert ALICE_MAIL in set(mail)
    finally:
        await db.dispose()
