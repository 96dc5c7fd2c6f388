"""accounts and addresses kept only as keyed digests and sealed values

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 09:00:00

A copy of the database used to name every member's Discord id, IRC nick and email address
beside their member id. Now (see storage/vault.py):

- ``identity.key`` goes; ``key_hash`` (the keyed digest of the key, unique: the lookup) and
  ``handle`` (the key sealed for "identity") take its place.
- ``pending_registration`` and ``registration_failure`` are keyed by that digest.
- ``member_email.address`` and ``pending_address`` are sealed for "email" (and become text:
  a sealed value is longer than the address).
- ``key_fingerprint`` remembers which secret did it (filled in by storage.migrate).

Rows are converted with the secret storage.migrate hands in (``config.attributes["vault"]``);
a database with rows to convert and no secret stops here and says how to give one. The
purposes are written out as they were on this day: a migration must not change when the
code around it does. Downgrading opens the sealed values again; digests are one-way, so
pending registrations and the last hour's wrong codes are dropped then.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op

import storage.types
from storage.secret import HOW_TO_SET, SecretKeyError

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_IDENTITY = "identity"
_EMAIL = "email"
REWRITTEN = ("identity", "pending_registration", "registration_failure", "member_email")

_identity = sa.table(
    "identity", sa.column("id"), sa.column("key"), sa.column("key_hash"), sa.column("handle")
)
_pending = sa.table(
    "pending_registration",
    sa.column("identity_key"),
    sa.column("key_hash"),
    sa.column("code_id"),
    sa.column("offered"),
    sa.column("created_at"),
)
_failure = sa.table(
    "registration_failure", sa.column("identity_key"), sa.column("key_hash"), sa.column("at")
)
_email = sa.table(
    "member_email", sa.column("member_id"), sa.column("address"), sa.column("pending_address")
)

_HAS_ADDRESS = sa.or_(_email.c.address.is_not(None), _email.c.pending_address.is_not(None))


def _vault(waiting: int) -> Any:
    vault = context.config.attributes.get("vault")
    if waiting and vault is None:
        raise SecretKeyError(
            f"This database holds {waiting} account name(s) and email address(es) from before "
            f"they were sealed, and converting them needs the project secret. {HOW_TO_SET} "
            f"Then start again (or run `dynamo db upgrade`); from then on only that key "
            f"recognises these members."
        )
    return vault


def _count(table: Any, *where: Any) -> int:
    query = sa.select(sa.func.count()).select_from(table)
    if where:
        query = query.where(*where)
    return int(op.get_bind().execute(query).scalar_one())


def _waiting() -> int:
    return _count(_identity) + _count(_pending) + _count(_failure) + _count(_email, _HAS_ADDRESS)


def _update_each(table: Any, key: str, rows: list[dict[str, Any]], *columns: str) -> None:
    """One executemany: set ``columns`` of the row whose ``key`` matches."""
    if not rows:
        return
    statement = (
        sa.update(table)
        .where(table.c[key] == sa.bindparam("row_key"))
        .values({column: sa.bindparam(f"new_{column}") for column in columns})
    )
    op.get_bind().execute(statement, rows)


def _create_pending(key_column: sa.Column[Any]) -> None:
    op.create_table(
        "pending_registration",
        key_column,
        sa.Column("code_id", sa.Integer(), nullable=False),
        sa.Column("offered", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["code_id"], ["registration_code.id"]),
        sa.PrimaryKeyConstraint(key_column.name),
        sa.UniqueConstraint("offered"),
    )


def _create_failures(key_column: sa.Column[Any]) -> None:
    op.create_table(
        "registration_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        key_column,
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("registration_failure", schema=None) as batch_op:
        batch_op.create_index(
            "ix_registration_failure_key_at", [key_column.name, "at"], unique=False
        )


def upgrade() -> None:
    bind = op.get_bind()
    waiting = _waiting()
    vault = _vault(waiting)
    op.create_table(
        "key_fingerprint",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )

    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("handle", sa.Text(), nullable=True))
    identities = bind.execute(sa.select(_identity.c.id, _identity.c.key)).all()
    _update_each(
        _identity,
        "id",
        [
            {"row_key": i, "new_key_hash": vault.digest(k), "new_handle": vault.seal(k, _IDENTITY)}
            for i, k in identities
        ],
        "key_hash",
        "handle",
    )
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.alter_column("key_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("handle", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("key")
        batch_op.create_unique_constraint("identity_key_hash_key", ["key_hash"])

    # Short-lived rows in tables keyed by the key itself: rebuilt rather than altered.
    pending = bind.execute(
        sa.select(
            _pending.c.identity_key, _pending.c.code_id, _pending.c.offered, _pending.c.created_at
        )
    ).all()
    failures = bind.execute(sa.select(_failure.c.identity_key, _failure.c.at)).all()
    op.drop_table("pending_registration")
    op.drop_table("registration_failure")
    _create_pending(sa.Column("key_hash", sa.String(length=64), nullable=False))
    _create_failures(sa.Column("key_hash", sa.String(length=64), nullable=False))
    if pending:
        bind.execute(
            sa.insert(_pending),
            [
                {
                    "key_hash": vault.digest(row.identity_key),
                    "code_id": row.code_id,
                    "offered": row.offered,
                    "created_at": row.created_at,
                }
                for row in pending
            ],
        )
    if failures:
        bind.execute(
            sa.insert(_failure), [{"key_hash": vault.digest(k), "at": at} for k, at in failures]
        )

    with op.batch_alter_table("member_email", schema=None) as batch_op:
        for column in ("address", "pending_address"):
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=254),
                type_=sa.Text(),
                existing_nullable=True,
            )
    _seal_emails(vault)
    if waiting:
        context.config.attributes["rewritten"] = list(REWRITTEN)


def _seal_emails(vault: Any) -> None:
    rows = op.get_bind().execute(sa.select(_email).where(_HAS_ADDRESS)).all()
    _update_each(
        _email,
        "member_id",
        [
            {
                "row_key": row.member_id,
                "new_address": None if row.address is None else vault.seal(row.address, _EMAIL),
                "new_pending_address": None
                if row.pending_address is None
                else vault.seal(row.pending_address, _EMAIL),
            }
            for row in rows
        ],
        "address",
        "pending_address",
    )


def downgrade() -> None:
    bind = op.get_bind()
    vault = _vault(_count(_identity) + _count(_email, _HAS_ADDRESS))
    rows = bind.execute(sa.select(_email).where(_HAS_ADDRESS)).all()
    _update_each(
        _email,
        "member_id",
        [
            {
                "row_key": row.member_id,
                "new_address": None if row.address is None else vault.open(row.address, _EMAIL),
                "new_pending_address": None
                if row.pending_address is None
                else vault.open(row.pending_address, _EMAIL),
            }
            for row in rows
        ],
        "address",
        "pending_address",
    )
    with op.batch_alter_table("member_email", schema=None) as batch_op:
        for column in ("address", "pending_address"):
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sa.String(length=254),
                existing_nullable=True,
            )

    op.drop_table("pending_registration")
    op.drop_table("registration_failure")
    _create_pending(sa.Column("identity_key", sa.String(length=200), nullable=False))
    _create_failures(sa.Column("identity_key", sa.String(length=200), nullable=False))

    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=200), nullable=True))
    identities = bind.execute(sa.select(_identity.c.id, _identity.c.handle)).all()
    _update_each(
        _identity,
        "id",
        [{"row_key": i, "new_key": vault.open(h, _IDENTITY)} for i, h in identities],
        "key",
    )
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.alter_column("key", existing_type=sa.String(length=200), nullable=False)
        batch_op.drop_constraint("identity_key_hash_key", type_="unique")
        batch_op.drop_column("key_hash")
        batch_op.drop_column("handle")
        batch_op.create_unique_constraint("identity_key_key", ["key"])
    op.drop_table("key_fingerprint")
