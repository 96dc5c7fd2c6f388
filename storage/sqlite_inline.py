"""SQLite through a synchronous SQLAlchemy engine whose statements run inline on the event loop.

A statement on a local WAL database takes microseconds; a hop to a worker thread and back
costs more than the statement itself, and the async engine's greenlet machinery around each
statement more again. So SQLite uses SQLAlchemy's ordinary synchronous engine on the
standard library's ``sqlite3`` driver, called directly from the loop's thread, behind the
small async face below: the part of ``AsyncEngine``/``AsyncConnection``/``AsyncTransaction``
this project uses, with the same names and the same results (SQLAlchemy's own ``Result``,
rows and exceptions). Every method here runs to the end without suspending; the ``async``
is only so that callers cannot tell these from the PostgreSQL engine's objects.

The one statement that could wait, ``BEGIN IMMEDIATE`` while another process holds the
write lock, is bounded by a short busy timeout and retried asynchronously by
``storage.db``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Dialect, Result
from sqlalchemy.exc import DBAPIError, InvalidRequestError

from storage.plans import SEEN, Plan, Plans

__all__ = ["InlineConnection", "InlineEngine", "InlineTransaction", "ReadConnection"]

T = TypeVar("T")


class InlineTransaction:
    """``AsyncTransaction``'s face on a synchronous transaction (already begun)."""

    __slots__ = ("sync_transaction",)

    def __init__(self, sync_transaction: sa.RootTransaction | sa.NestedTransaction) -> None:
        self.sync_transaction = sync_transaction

    def __await__(self) -> Generator[Any, None, InlineTransaction]:
        return self._started().__await__()

    async def _started(self) -> InlineTransaction:
        return self

    @property
    def is_active(self) -> bool:
        return self.sync_transaction.is_active

    async def commit(self) -> None:
        self.sync_transaction.commit()

    async def rollback(self) -> None:
        self.sync_transaction.rollback()

    async def close(self) -> None:
        self.sync_transaction.close()

    async def __aenter__(self) -> InlineTransaction:
        return self

    async def __aexit__(self, exc_type: Any, *_rest: object) -> None:
        if not self.sync_transaction.is_active:
            return
        if exc_type is None:
            self.sync_transaction.commit()
        else:
            self.sync_transaction.rollback()


class InlineConnection:
    """``AsyncConnection``'s face on a synchronous ``sqlalchemy.Connection``."""

    __slots__ = ("sync_connection",)

    def __init__(self, sync_connection: sa.Connection) -> None:
        self.sync_connection = sync_connection

    @property
    def dialect(self) -> Dialect:
        return self.sync_connection.dialect

    @property
    def closed(self) -> bool:
        return self.sync_connection.closed

    async def execute(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Result[Any]:
        return self.sync_connection.execute(
            statement, parameters, execution_options=execution_options
        )

    async def scalar(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        return self.sync_connection.scalar(
            statement, parameters, execution_options=execution_options
        )

    async def scalars(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        return self.sync_connection.scalars(
            statement, parameters, execution_options=execution_options
        )

    async def exec_driver_sql(
        self,
        statement: str,
        parameters: Any = None,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Result[Any]:
        return self.sync_connection.exec_driver_sql(statement, parameters, execution_options)

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return fn(self.sync_connection, *args, **kwargs)

    async def execution_options(self, **options: Any) -> InlineConnection:
        return type(self)(self.sync_connection.execution_options(**options))

    def begin(self) -> InlineTransaction:
        return InlineTransaction(self.sync_connection.begin())

    def begin_nested(self) -> InlineTransaction:
        return InlineTransaction(self.sync_connection.begin_nested())

    def in_transaction(self) -> bool:
        return self.sync_connection.in_transaction()

    async def commit(self) -> None:
        self.sync_connection.commit()

    async def rollback(self) -> None:
        self.sync_connection.rollback()

    async def invalidate(self, exception: BaseException | None = None) -> None:
        self.sync_connection.invalidate(exception)

    async def close(self) -> None:
        self.sync_connection.close()

    async def __aenter__(self) -> InlineConnection:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        self.sync_connection.close()


class ReadConnection(InlineConnection):
    """A connection of the read-only engine (``PRAGMA query_only``): a write statement
    given to it fails instead of writing outside ``Database.write()``'s transaction and
    lock. A Core INSERT, UPDATE or DELETE is refused before it reaches the driver.

    Its snapshot is a transaction said on the driver connection (``start``, ``end``), not
    through SQLAlchemy: the read-only engine then has no engine events, which SQLAlchemy
    would otherwise dispatch around every statement (most commands are reads), and
    SQLAlchemy's own transaction, which on ``sqlite3`` with the driver's transaction
    handling off emits nothing (``isolation_level = None``), is left open between reads."""

    __slots__ = ("driver", "plans")

    def __init__(self, sync_connection: sa.Connection, plans: Plans) -> None:
        super().__init__(sync_connection)
        self.driver = sync_connection.connection.driver_connection
        self.plans = plans

    def start(self) -> None:
        """Begin the read's snapshot."""
        self.driver.execute("BEGIN")

    def end(self) -> None:
        """End it (nothing to keep: it could not write)."""
        if self.driver.in_transaction:
            self.driver.execute("ROLLBACK")

    async def execute(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        return self.run(statement, parameters, execution_options)

    async def scalar(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        return self.run(statement, parameters, execution_options).scalar()

    async def scalars(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        return self.run(statement, parameters, execution_options).scalars()

    def run(
        self,
        statement: Any,
        parameters: Any = None,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        """A prebuilt SELECT on the driver (storage/plans.py), else SQLAlchemy."""
        if getattr(statement, "is_dml", False):
            raise InvalidRequestError(
                "a read connection cannot run INSERT, UPDATE or DELETE: use Database.write()"
            )
        sync = self.sync_connection
        if execution_options or not (parameters is None or isinstance(parameters, Mapping)):
            return sync.execute(statement, parameters, execution_options=execution_options)
        entry = self.plans.lookup(statement)
        if entry.__class__ is Plan:
            args = entry.arguments(parameters)
            try:
                rows = self.driver.execute(entry.sql, args).fetchall()
            except sqlite3.Error as exc:
                # The same exception classes SQLAlchemy raises, without the values.
                raise DBAPIError.instance(
                    entry.sql, args, exc, sqlite3.Error, hide_parameters=True, dialect=self.dialect
                ) from exc
            return entry.result(rows)
        result = sync.execute(statement, parameters)
        if entry is SEEN:
            return self.plans.learn(statement, result)
        return result


class _Connecting:
    """What ``InlineEngine.connect()`` returns: awaited, a connection; used with
    ``async with``, a connection closed at the end (as ``AsyncEngine.connect()``)."""

    __slots__ = ("connection", "engine")

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.connection: InlineConnection | None = None

    def __await__(self) -> Generator[Any, None, InlineConnection]:
        return self._open().__await__()

    async def _open(self) -> InlineConnection:
        return InlineConnection(self.engine.connect())

    async def __aenter__(self) -> InlineConnection:
        self.connection = InlineConnection(self.engine.connect())
        return self.connection

    async def __aexit__(self, *_exc_info: object) -> None:
        assert self.connection is not None
        self.connection.sync_connection.close()


class _Beginning:
    """``async with engine.begin() as conn``: committed at the end, rolled back on error."""

    __slots__ = ("connection", "engine", "transaction")

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    async def __aenter__(self) -> InlineConnection:
        self.connection = InlineConnection(self.engine.connect())
        try:
            self.transaction = self.connection.sync_connection.begin()
        except BaseException:
            self.connection.sync_connection.close()
            raise
        return self.connection

    async def __aexit__(self, exc_type: Any, *_rest: object) -> None:
        try:
            if self.transaction.is_active:
                if exc_type is None:
                    self.transaction.commit()
                else:
                    self.transaction.rollback()
        finally:
            self.connection.sync_connection.close()


class InlineEngine:
    """``AsyncEngine``'s face on a synchronous engine: ``connect``, ``begin``, ``dialect``,
    ``execution_options`` and ``dispose``."""

    __slots__ = ("sync_engine",)

    def __init__(self, sync_engine: sa.Engine) -> None:
        self.sync_engine = sync_engine

    @property
    def dialect(self) -> Dialect:
        return self.sync_engine.dialect

    @property
    def url(self) -> sa.URL:
        return self.sync_engine.url

    def connect(self) -> _Connecting:
        return _Connecting(self.sync_engine)

    def begin(self) -> _Beginning:
        return _Beginning(self.sync_engine)

    def execution_options(self, **options: Any) -> InlineEngine:
        return InlineEngine(self.sync_engine.execution_options(**options))

    async def dispose(self) -> None:
        self.sync_engine.dispose()
