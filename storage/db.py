"""The async engine and the one way to open a transaction.

SQLite is the embedded default: WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for every write
transaction so two writers never deadlock on a lock upgrade. Writes inside one process are
also serialised with an asyncio lock, which is cheaper than letting SQLite's busy handler
spin. PostgreSQL gets a plain pool; an optional schema keeps test runs apart. Its writes and
reads run on the pooled connections' asyncpg connections themselves, with the repositories'
prebuilt statements compiled once (storage/postgres_direct.py); a read has no transaction.

PostgreSQL connections are not pinged when taken from the pool: asyncpg's ping is a
transaction of its own, three round trips before every command. A connection the server
dropped (a restart, a failover) fails at its first statement instead, with SQLAlchemy's
``connection_invalidated`` set: nothing was written, so the command is simply run again
(``commands.framework.invoker``), and the pool replaces every connection older than the
failure. The one failure that cannot be retried is a connection lost while the COMMIT was
under way: the server may or may not have committed, so ``write`` raises ``CommitInDoubt``
instead.

SQLite statements run inline on the event loop, on SQLAlchemy's synchronous engine and the
standard library's driver (storage/sqlite_inline.py), rather than on a worker thread: a
statement on a local WAL database takes microseconds, while each hop to a thread and back
costs more than the statement itself (an upvote is dozens of statements). The only statement
that could wait is ``BEGIN IMMEDIATE`` when another process holds the write lock, so the busy
timeout is kept short and that wait is retried asynchronously instead. The one slow thing
SQLite does, a checkpoint (it copies the WAL into the database and syncs it to disk), is
taken off the loop: automatic checkpoints are off and a background thread checkpoints.
Reads run on kept connections of a second, read-only engine: each ``read()`` block is one
snapshot, and nothing is opened or pooled per read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from storage.errors import CommitInDoubt as CommitInDoubt  # what write() raises, named here
from storage.errors import DatabaseUrlError
from storage.plans import Plans
from storage.postgres_direct import DirectEngine
from storage.retry import Backoff, retry
from storage.secret import HOW_TO_SET, KEY_ENV, SecretKeyError
from storage.sqlite_inline import InlineConnection, InlineEngine, ReadConnection

if TYPE_CHECKING:
    from storage.vault import Vault

logger = logging.getLogger(__name__)


def driver_url(url: str) -> str:
    """A ``sqlite:///`` or ``postgresql://`` URL with the driver the bot uses: the standard
    library's ``sqlite3`` (run inline, see storage/sqlite_inline.py) or ``asyncpg``."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse text
        raise DatabaseUrlError(f"not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        parsed = parsed.set(drivername="sqlite")
    elif backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    else:
        raise DatabaseUrlError(
            f"unsupported database {backend!r}: use sqlite:///FILE or postgresql://USER@HOST/DB"
        )
    return parsed.render_as_string(hide_password=False)


class Database:
    """One database, opened with the project secret its digests and sealed values are under
    (``vault``; only minting codes and upgrading a database with nothing to convert can do
    without it)."""

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        pool_size: int = 5,
        vault: Vault | None = None,
    ) -> None:
        self.url = driver_url(url)
        self.schema = schema
        self._vault = vault
        self.is_sqlite = self.url.startswith("sqlite")
        self.path = (make_url(self.url).database or "") if self.is_sqlite else ""
        self._write_lock = asyncio.Lock()
        self._checkpointer: asyncio.Task[None] | None = None
        self._checkpoint_pool: ThreadPoolExecutor | None = None
        # Commits since the last checkpoint started (SQLite).
        self._unchecked_writes = False
        self._readers: list[ReadConnection] = []
        self._read_engine: sa.Engine | None = None
        self._read_plans: Plans | None = None
        # SQLite: the connection that only reads ``PRAGMA data_version`` (see data_version).
        self._version_conn: sqlite3.Connection | None = None
        # AsyncEngine on PostgreSQL; on SQLite its face on a synchronous engine.
        self.engine: AsyncEngine | InlineEngine
        if self.is_sqlite:
            self.engine = InlineEngine(_sqlite_engine(self.url, read_only=False))
            self._write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
            # An in-memory database exists once per connection: readers of their own
            # would each see an empty one.
            if self.path not in ("", ":memory:"):
                self._read_engine = _sqlite_engine(self.url, read_only=True)
        else:
            kwargs: dict[str, Any] = {"pool_size": pool_size, "max_overflow": pool_size * 4}
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
            # Statement parameters are member text, digests and sealed values: never in an
            # error message or a log line, whatever an operator turns SQLAlchemy's logging to.
            self.engine = create_async_engine(self.url, hide_parameters=True, **kwargs)
            # Writes and reads: on the pool's asyncpg connections (storage/postgres_direct.py).
            self._direct = DirectEngine(self.engine, keep=pool_size)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def vault(self) -> Vault:
        if self._vault is None:
            raise SecretKeyError(f"This needs the project secret, {KEY_ENV}. {HOW_TO_SET}")
        return self._vault

    @property
    def has_vault(self) -> bool:
        return self._vault is not None

    def read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection for reading, with the part of ``AsyncConnection``'s API the
        repositories use; it cannot run INSERT, UPDATE or DELETE statements.

        On SQLite this is a kept connection of the read-only engine (``ReadConnection``):
        the block is one snapshot, rolled back at the end. On PostgreSQL it has no
        transaction: each statement sees the latest commits, as under READ COMMITTED it
        did anyway (storage/postgres_direct.py).
        """
        if not self.is_sqlite:
            return cast(AbstractAsyncContextManager[AsyncConnection], self._direct.read())
        if self._read_engine is None:
            return cast(AbstractAsyncContextManager[AsyncConnection], self.engine.connect())
        return cast(AbstractAsyncContextManager[AsyncConnection], _KeptReader(self))

    async def data_version(self) -> str | int | None:
        """A value that changes whenever a transaction that wrote commits, in this process
        or in another one: read it before reading the data, and while it reads the same,
        the data reads the same. None when the database cannot tell (in-memory SQLite, or a
        database busy for a moment).

        SQLite: ``PRAGMA data_version`` on a connection of its own that never writes (it
        changes with every commit of any other connection, and with a checkpoint), run
        inline like every statement (microseconds). PostgreSQL: the current snapshot,
        ``pg_current_snapshot()``, one round trip outside any transaction: two reads under
        the same snapshot see the same committed transactions; it moves with any writing
        transaction in the cluster, ours or not, so it may change when our data did not,
        never the other way round.
        """
        if self.is_sqlite:
            if self.path in ("", ":memory:"):
                return None
            try:
                if self._version_conn is None:
                    self._version_conn = _version_connection(self.path)
                return int(self._version_conn.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.OperationalError:  # busy for a moment: this read cannot tell
                return None
        engine = cast(AsyncEngine, self.engine)
        async with engine.connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            result = await autocommit.exec_driver_sql("SELECT pg_current_snapshot()::text")
            return str(result.scalar_one())

    def _open_reader(self) -> ReadConnection:
        assert self._read_engine is not None
        if self._read_plans is None:
            self._read_plans = Plans(self._read_engine.dialect)
        return ReadConnection(self._read_engine.connect(), self._read_plans)

    def write(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """One transaction: committed if the block finishes, rolled back if it raises.

        On PostgreSQL a connection lost while the COMMIT was under way raises
        ``CommitInDoubt`` (storage/postgres_direct.py); on SQLite this is a connection of
        the inline engine (``InlineConnection``) under the process's write lock.
        """
        if not self.is_sqlite:
            return cast(AbstractAsyncContextManager[AsyncConnection], self._direct.write())
        return self._sqlite_write()

    @asynccontextmanager
    async def _sqlite_write(self) -> AsyncIterator[AsyncConnection]:
        if self._checkpointer is None:
            self._start_checkpointer()
        async with self._write_lock:
            async with self._write_engine.connect() as conn:
                await _begin_when_unlocked(conn)
                try:
                    yield cast(AsyncConnection, conn)
                except BaseException:
                    await conn.rollback()
                    raise
                await conn.commit()
                self._unchecked_writes = True

    async def compact(self, tables: Sequence[str]) -> None:
        """Leave no copy on disk of the old values a migration replaced in ``tables``: SQLite
        keeps them in free pages and in the WAL until both are rewritten (VACUUM, then a
        truncating checkpoint), PostgreSQL in dead row versions (VACUUM FULL). Run outside
        any transaction."""
        if self.is_sqlite:
            if self.path not in ("", ":memory:"):
                await asyncio.to_thread(_vacuum, self.path)
            return
        async with cast(AsyncEngine, self.engine).connect() as conn:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            names = ", ".join(f'"{table}"' for table in tables)
            await autocommit.exec_driver_sql(f"VACUUM FULL {names}")

    def _start_checkpointer(self) -> None:
        self._checkpoint_pool = ThreadPoolExecutor(1, thread_name_prefix="sqlite-checkpoint")
        self._checkpointer = asyncio.get_running_loop().create_task(
            self._checkpoint_loop(), name="sqlite-checkpoint"
        )

    def _give_back(self, reader: ReadConnection) -> None:
        """End the reader's transaction and keep it for the next read."""
        connection = reader.sync_connection
        try:
            reader.end()
        except sqlite3.Error:
            connection.close()
            raise
        if len(self._readers) < KEPT_READERS:
            self._readers.append(reader)
        else:
            connection.close()

    async def _checkpoint_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            if not self._unchecked_writes:
                continue  # nothing new in the WAL: an idle bot stays idle
            self._unchecked_writes = False
            try:
                await loop.run_in_executor(self._checkpoint_pool, _checkpoint, self.path)
            except sqlite3.Error as exc:  # busy or locked: the next round tries again
                self._unchecked_writes = True
                logger.debug("checkpoint skipped: %s", exc)

    async def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checkpointer
            self._checkpointer = None
        if self._checkpoint_pool is not None:
            pool, self._checkpoint_pool = self._checkpoint_pool, None
            await asyncio.get_running_loop().run_in_executor(pool, _close_checkpointer)
            pool.shutdown(wait=True)
        if self._version_conn is not None:
            self._version_conn.close()
            self._version_conn = None
        readers, self._readers = self._readers, []
        for reader in readers:
            reader.sync_connection.close()
        if not self.is_sqlite:
            await self._direct.dispose()
        await self.engine.dispose()
        if self._read_engine is not None:
            self._read_engine.dispose()


def lost_connection(exc: BaseException) -> bool:
    """Whether ``exc`` is the database connection failing (the server restarted or went
    away), after which the same work can be tried again on a new connection."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class _KeptReader:
    """``async with db.read()`` on SQLite: a plain class, not an async generator (those are
    tracked by the loop and cost more on every read)."""

    __slots__ = ("db", "reader")

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __aenter__(self) -> ReadConnection:
        db = self.db
        reader = db._readers.pop() if db._readers else db._open_reader()
        try:
            reader.start()
        except BaseException:
            reader.sync_connection.close()
            raise
        self.reader = reader
        return reader

    async def __aexit__(self, *exc_info: object) -> None:
        # A refused command raises through here too: the reader stays usable.
        self.db._give_back(self.reader)


CHECKPOINT_SECONDS = 1.0
_checkpoint_conn = threading.local()


def _checkpoint(path: str) -> None:
    """PASSIVE: copy what no reader still needs; never waits for or blocks a writer."""
    conn = getattr(_checkpoint_conn, "conn", None)
    if conn is None:
        conn = _checkpoint_conn.conn = sqlite3.connect(path, timeout=SQLITE_BUSY_MS / 1000)
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _version_connection(path: str) -> sqlite3.Connection:
    """A connection that only ever reads ``PRAGMA data_version`` (Database.data_version)."""
    conn = sqlite3.connect(
        path, timeout=SQLITE_BUSY_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.execute("PRAGMA query_only=ON")
    return conn


def _vacuum(path: str) -> None:
    conn = sqlite3.connect(path, timeout=SQLITE_LOCK_PATIENCE)
    try:
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _close_checkpointer() -> None:
    conn = getattr(_checkpoint_conn, "conn", None)
    if conn is not None:
        conn.close()
        _checkpoint_conn.conn = None


# How long BEGIN IMMEDIATE may block the loop, and how long we keep retrying it.
SQLITE_BUSY_MS = 20
# Idle read connections kept open (more are opened when reads overlap, then closed).
KEPT_READERS = 4
SQLITE_LOCK_PATIENCE = 30.0


def _sqlite_engine(url: str, *, read_only: bool) -> sa.Engine:
    """The writers' engine (pooled), or the readers' (``query_only``; Database keeps its
    connections open itself, so the pool keeps none)."""
    engine = sa.create_engine(
        url,
        # Statement parameters are member text, digests and sealed values: never in an
        # error message or a log line, whatever an operator turns SQLAlchemy's logging to.
        hide_parameters=True,
        # Connections are used on the loop's thread; a test may open the database in one
        # loop's thread and close it in another.
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000},
        **({"poolclass": NullPool} if read_only else {}),
    )
    _configure_sqlite(engine, read_only=read_only)
    return engine


# Waits for another process's write lock: 5 ms, doubling, at most 0.2 s apart.
SQLITE_LOCK_BACKOFF = Backoff(first=0.005, cap=0.2)


async def _begin_when_unlocked(conn: InlineConnection) -> None:
    """Start the write transaction, waiting (without blocking the loop) for other writers."""

    async def roll_back(_exc: Exception) -> None:
        await conn.rollback()

    await retry(
        conn.begin,  # emits BEGIN IMMEDIATE
        backoff=SQLITE_LOCK_BACKOFF,
        retry_if=lambda exc: isinstance(exc, OperationalError) and "locked" in str(exc.orig),
        within=SQLITE_LOCK_PATIENCE,
        before_retry=roll_back,
    )


def _configure_sqlite(engine: sa.Engine, *, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours to say.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints run on a background thread (Database._checkpoint_loop), not in
            # commits.
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    if read_only:
        return  # ReadConnection says BEGIN itself: no engine events (see its docstring)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")
