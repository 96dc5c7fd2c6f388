"""PostgreSQL transactions said on the asyncpg connection itself, with the repositories'
prebuilt statements run on it directly.

Going through SQLAlchemy's asyncio layer costs, per statement, a greenlet and the Core
execution machinery around the driver's call, and per transaction a pool checkout and
checkin through the same layer: together about three times what asyncpg itself spends on
an upvote. So ``Database.write()`` and ``read()`` on PostgreSQL hand out a
``DirectConnection``: a connection of the engine's pool, in SQLAlchemy's ``AUTOCOMMIT``
mode, and its asyncpg connection (``get_raw_connection()``, public), kept between commands
(``DirectEngine``):

- a write's transaction is asyncpg's own (``BEGIN``/``COMMIT``, and a savepoint for
  ``begin_nested``); a read has none: under READ COMMITTED every statement sees the latest
  commits anyway, so a read's BEGIN and ROLLBACK were two round trips that bought nothing;
- a prebuilt SELECT (or text with declared columns) runs on asyncpg from its second run on
  (storage/plans.py); everything else goes through the same connection's SQLAlchemy
  ``AsyncConnection``, inside the transaction all the same (in ``AUTOCOMMIT`` mode
  SQLAlchemy says no BEGIN of its own).

Errors keep their meaning: a driver's error is raised as the SQLAlchemy exception its
asyncpg dialect raises, whose ``orig`` has the server's message and ``sqlstate``. A
connection found lost is first shown to SQLAlchemy, which does what it does for any lost
connection (drops it and every pooled connection older than the failure), and the error
has ``connection_invalidated`` set, so the command is run again. A connection lost during
COMMIT raises ``CommitInDoubt``: it is never run again. A connection is never kept, nor put
back in the pool, with a transaction of ours still open on it.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Generator, Mapping
from typing import Any, NoReturn, TypeVar

import asyncpg
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    InternalError,
    InvalidRequestError,
    ProgrammingError,
    SQLAlchemyError,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.errors import CommitInDoubt
from storage.plans import SEEN, Plan, Plans

__all__ = ["DirectConnection", "DirectEngine"]

logger = logging.getLogger(__name__)
T = TypeVar("T")


# The SQLAlchemy exception for each kind of asyncpg error, as SQLAlchemy's asyncpg dialect
# raises them (the first that matches; any other PostgreSQL error is a DBAPIError).
_ERRORS: tuple[tuple[type[BaseException], type[DBAPIError]], ...] = (
    (asyncpg.IntegrityConstraintViolationError, IntegrityError),
    (asyncpg.SyntaxOrAccessError, ProgrammingError),
    (asyncpg.InternalServerError, InternalError),
    (asyncpg.InterfaceError, InterfaceError),
)


class DirectConnection:
    """``AsyncConnection``'s face (the part the repositories use) on a pooled connection's
    asyncpg connection; ``read_only`` refuses Core INSERT, UPDATE and DELETE statements
    (there is no transaction to keep them in)."""

    __slots__ = ("dialect", "driver", "generation", "plans", "read_only", "sqlalchemy")

    def __init__(
        self,
        sqlalchemy: AsyncConnection,
        driver: asyncpg.Connection,
        plans: Plans,
        generation: int,
        *,
        read_only: bool,
    ) -> None:
        self.sqlalchemy = sqlalchemy
        self.driver = driver
        self.plans = plans
        self.dialect: Dialect = plans.dialect
        self.generation = generation  # DirectEngine's when it was taken from the pool
        self.read_only = read_only

    async def execute(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: Mapping[str, Any] | None = None,
    ) -> Any:
        """A prebuilt SELECT on the driver (storage/plans.py), else SQLAlchemy."""
        dml = getattr(statement, "is_dml", False)  # never planned
        if dml and self.read_only:
            raise InvalidRequestError(
                "a read connection cannot run INSERT, UPDATE or DELETE: use Database.write()"
            )
        if dml or execution_options or not (parameters is None or isinstance(parameters, Mapping)):
            return await self.sqlalchemy.execute(
                statement, parameters, execution_options=execution_options
            )
        entry = self.plans.lookup(statement)
        if entry.__class__ is Plan:
            args = entry.arguments(parameters)
            try:
                rows = await self.driver.fetch(entry.sql, *args)
            except Exception as exc:
                await self.failed(exc, entry.sql)
            return entry.result(rows)
        result = await self.sqlalchemy.execute(statement, parameters)
        if entry is SEEN:
            return self.plans.learn(statement, result)
        return result

    async def scalar(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        return (await self.execute(statement, parameters, **kwargs)).scalar()

    async def scalars(self, statement: Any, parameters: Any = None, **kwargs: Any) -> Any:
        return (await self.execute(statement, parameters, **kwargs)).scalars()

    async def exec_driver_sql(self, statement: str, parameters: Any = None) -> Any:
        return await self.sqlalchemy.exec_driver_sql(statement, parameters)

    async def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await self.sqlalchemy.run_sync(fn, *args, **kwargs)

    def begin_nested(self) -> Savepoint:
        if self.read_only:
            raise InvalidRequestError("a read connection has no transaction to nest in")
        return Savepoint(self)

    def in_transaction(self) -> bool:
        return self.driver.is_in_transaction()

    async def failed(self, exc: Exception, sql: str | None) -> NoReturn:
        """Raise the driver's ``exc`` as SQLAlchemy would have raised it."""
        lost = self.driver.is_closed()
        if lost:
            # Finding the connection closed (without sending anything), SQLAlchemy drops it
            # and every pooled connection older.
            with contextlib.suppress(SQLAlchemyError):
                await self.sqlalchemy.exec_driver_sql("SELECT 1")
        kind = next((error for driver, error in _ERRORS if isinstance(exc, driver)), None)
        if kind is None and not lost and not isinstance(exc, asyncpg.PostgresError):
            raise exc
        orig = DriverError(exc)
        raise (kind or DBAPIError)(
            sql, None, orig, hide_parameters=True, connection_invalidated=lost
        ) from orig


class DriverError(Exception):
    """A driver's error as SQLAlchemy's asyncpg dialect gives it (``orig`` of its errors):
    the server's message and SQLSTATE, without the DETAIL that, for a broken constraint,
    quotes the values. The driver's own exception is its ``__cause__``."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error.args[0] if error.args else type(error).__name__)
        self.__cause__ = error
        self.sqlstate = self.pgcode = getattr(error, "sqlstate", None)


class Savepoint:
    """``AsyncTransaction``'s face on an asyncpg savepoint (``begin_nested``)."""

    __slots__ = ("connection", "transaction")

    def __init__(self, connection: DirectConnection) -> None:
        self.connection = connection
        self.transaction = connection.driver.transaction()

    def __await__(self) -> Generator[Any, None, Savepoint]:
        return self._started().__await__()

    async def _started(self) -> Savepoint:
        await self._driver(self.transaction.start)
        return self

    async def commit(self) -> None:
        await self._driver(self.transaction.commit)

    async def rollback(self) -> None:
        await self._driver(self.transaction.rollback)

    async def _driver(self, step: Callable[[], Any]) -> None:
        try:
            await step()
        except Exception as exc:
            await self.connection.failed(exc, None)


class _Writing:
    """``async with DirectEngine.write()``: one transaction, committed at the end of the
    block or rolled back if it raises."""

    __slots__ = ("connection", "engine", "transaction")

    def __init__(self, engine: DirectEngine) -> None:
        self.engine = engine

    async def __aenter__(self) -> DirectConnection:
        self.connection = await self.engine.connect(read_only=False)
        self.transaction = self.connection.driver.transaction()
        try:
            try:
                await self.transaction.start()
            except Exception as exc:
                await self.connection.failed(exc, "BEGIN")
        except BaseException as exc:
            await self._give_back(exc)
            raise
        return self.connection

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, _tb: Any) -> None:
        failure = exc
        try:
            if exc is None:
                try:
                    await self.transaction.commit()
                except Exception as error:
                    failure = error
                    try:
                        await self.connection.failed(error, "COMMIT")
                    except DBAPIError as said:
                        if said.connection_invalidated:
                            raise CommitInDoubt(str(said.orig)) from said
                        raise
                except BaseException as error:  # cancelled: the connection is not kept
                    failure = error
                    raise
            elif self.connection.driver.is_in_transaction():
                try:
                    await self.transaction.rollback()
                except BaseException as error:
                    # What the block raised is what the caller hears; the connection is
                    # not put back with the transaction open (see _give_back).
                    logger.debug("rollback failed: %r", error)
        finally:
            await self._give_back(failure)

    async def _give_back(self, failure: BaseException | None) -> None:
        await self.engine.give_back(self.connection, failure)


class _Reading:
    """``async with DirectEngine.read()``: a connection without a transaction."""

    __slots__ = ("connection", "engine")

    def __init__(self, engine: DirectEngine) -> None:
        self.engine = engine

    async def __aenter__(self) -> DirectConnection:
        self.connection = await self.engine.connect(read_only=True)
        return self.connection

    async def __aexit__(self, _exc_type: Any, exc: BaseException | None, _tb: Any) -> None:
        await self.engine.give_back(self.connection, exc)


class DirectEngine:
    """Writes and reads on connections of ``engine``'s pool (an ``AsyncEngine`` on asyncpg).

    Up to ``keep`` idle connections are kept here between commands rather than given back
    to the pool: a pool checkout and checkin through the asyncio layer cost more than the
    rest of a vote's work in the process. A connection found lost makes every connection
    kept since before it suspect, as SQLAlchemy's pool does: they go back to the pool
    (which replaces them) instead of being used again."""

    __slots__ = ("autocommit", "generation", "idle", "keep", "plans")

    def __init__(self, engine: AsyncEngine, *, keep: int) -> None:
        self.autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.plans = Plans(engine.dialect)
        self.keep = keep
        self.idle: list[DirectConnection] = []
        self.generation = 0  # moves on when a connection is found lost

    def write(self) -> _Writing:
        return _Writing(self)

    def read(self) -> _Reading:
        return _Reading(self)

    async def connect(self, *, read_only: bool) -> DirectConnection:
        while self.idle:
            connection = self.idle.pop()
            if connection.generation == self.generation:
                connection.read_only = read_only
                return connection
            # Back to the pool, which replaces it if it saw a connection lost since.
            await _close(connection, invalidate=False)
        pooled = await self.autocommit.connect()
        try:
            driver = (await pooled.get_raw_connection()).driver_connection
        except BaseException:
            await pooled.close()
            raise
        return DirectConnection(pooled, driver, self.plans, self.generation, read_only=read_only)

    async def give_back(self, connection: DirectConnection, failure: BaseException | None) -> None:
        """Keep the connection for the next command, or give it back to the pool; close it
        if it may still be in a transaction of ours (a rollback or commit that failed or
        was cancelled) or is lost."""
        driver = connection.driver
        if driver.is_closed():
            self.generation += 1
            await _close(connection, invalidate=True, failure=failure)
        elif driver.is_in_transaction():
            await _close(connection, invalidate=True, failure=failure)
        elif connection.generation == self.generation and len(self.idle) < self.keep:
            self.idle.append(connection)
        else:
            await _close(connection, invalidate=False)

    async def dispose(self) -> None:
        """Give every kept connection back to the pool (and any in use, when it is given
        back: none taken before now is kept)."""
        self.generation += 1
        idle, self.idle = self.idle, []
        for connection in idle:
            await _close(connection, invalidate=False)


async def _close(
    connection: DirectConnection, *, invalidate: bool, failure: BaseException | None = None
) -> None:
    pooled = connection.sqlalchemy
    try:
        if invalidate:
            await pooled.invalidate(failure if isinstance(failure, Exception) else None)
    finally:
        await pooled.close()
