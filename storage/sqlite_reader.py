"""Read-only SQLite connections that run SQLAlchemy Core statements on the driver directly.

Most of what members ask for is a read (``ideas``, ``idea 12``, ``campaigns``, the member
lookup before every command). On the embedded SQLite database such a read takes a few
microseconds in SQLite itself, but the generic path around it (the async engine, its pool,
greenlet hops, the execution context and cursor result) costs ten to twenty times that, and
far more when the process has been idle and its caches are cold: a command that arrives
after a quiet minute, which is most commands on a real deployment. ``SqliteReader`` keeps
SQLAlchemy's compiler (the SQL is written once, in the repositories, for both databases)
and its type processing, and skips the rest:

- each statement is compiled once per shape (SQLAlchemy's own cache key) and once per
  statement object (repositories build their hot statements once, at import);
- parameters are bound positionally with the statement's bind processors, and values come
  back through the statement's result processors (time zones, booleans, JSON), in light
  tuples whose columns are attributes (``ReadRow``), inside a ``ReadResult`` with the
  ``Result`` methods callers use (``first``, ``scalar_one``, ``scalars``, ...); anything
  rarer is answered by SQLAlchemy's own ``Result`` over the same rows;
- the connection is opened with ``query_only``: a write statement given to it fails
  instead of writing outside ``Database.write()``'s transaction and lock.

``execute`` is a coroutine only so that callers cannot tell it from an ``AsyncConnection``;
it never suspends (statements run inline on the loop's thread, as every SQLite statement in
this project does, see ``storage.db``).
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.engine.result import IteratorResult, Result, SimpleResultMetaData
from sqlalchemy.exc import (
    DBAPIError,
    InvalidRequestError,
    MultipleResultsFound,
    NoResultFound,
)
from sqlalchemy.sql.compiler import SQLCompiler

__all__ = ["ReaderCache", "SqliteReader"]

# Distinct statement shapes and statement objects remembered. Repositories hold a few dozen
# prebuilt statements; the rest are built per call and only their shape is worth keeping.
SHAPES = 512
OBJECTS = 256

_Processor = Callable[[Any], Any] | None


class _Plan:
    """What executing one statement shape needs, derived once from its compiled form."""

    __slots__ = (
        "binds",
        "compiled",
        "converters",
        "expanding",
        "metadata",
        "per_call",
        "positional",
        "required",
        "row_class",
        "sql",
    )

    def __init__(self, compiled: SQLCompiler) -> None:
        if compiled.isinsert or compiled.isupdate or compiled.isdelete:
            raise InvalidRequestError(
                "a read connection cannot run INSERT, UPDATE or DELETE: use Database.write()"
            )
        self.compiled = compiled
        self.sql = compiled.string
        processors = compiled._bind_processors
        self.positional: list[tuple[str, _Processor]] = [
            (name, processors.get(name)) for name in compiled.positiontup or ()
        ]
        # (key, compiled name, required) of every bind a caller may set.
        self.binds = [
            (bind.key, name, bool(bind.required)) for bind, name in compiled.bind_names.items()
        ]
        self.required = [key for key, _name, required in self.binds if required]
        # IN (...) with a list, or literal_execute: the SQL depends on the values.
        self.expanding = bool(compiled.literal_execute_params or compiled.post_compile_params)
        # Values computed at execution time, or a compiled form without a cache key, are
        # left to SQLAlchemy's construct_params on every call.
        self.per_call = compiled.cache_key is None or any(
            bind.callable is not None for bind in compiled.bind_names
        )
        columns = compiled._result_columns
        dialect = compiled.dialect
        self.metadata: SimpleResultMetaData | None = None
        self.row_class: type[ReadRow] | None = None
        self.converters: list[tuple[int, Callable[[Any], Any]]] = []
        if not columns:
            return  # textual SQL: names come from the cursor, values as the driver gives them
        keys = [column.keyname for column in columns]
        procs = [column.type._cached_result_processor(dialect, None) for column in columns]
        if len(set(keys)) == len(keys) and all(key.isidentifier() for key in keys):
            self.row_class = _row_class(keys)
            self.converters = [(i, proc) for i, proc in enumerate(procs) if proc is not None]
        else:
            # A name selected twice is ambiguous: reading it by name raises, as
            # SQLAlchemy's own rows do.
            ambiguous = frozenset(key for key in keys if keys.count(key) > 1)
            self.metadata = SimpleResultMetaData(
                keys,
                _processors=procs if any(procs) else None,
                _ambiguous_keys=ambiguous or None,
            )


class ReadRow(tuple[Any, ...]):
    """A row: a tuple whose columns are also attributes, like SQLAlchemy's ``Row``."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    @property
    def _mapping(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))

    def _asdict(self) -> dict[str, Any]:
        return self._mapping

    def __repr__(self) -> str:
        return repr(tuple(self))


def _row_class(keys: Sequence[str]) -> type[ReadRow]:
    # namedtuple's C-level getters make attribute access as cheap as indexing.
    base = namedtuple("Row", keys)  # type: ignore[misc]
    attributes = {key: getattr(base, key) for key in keys}
    return type("Row", (ReadRow,), {"__slots__": (), "_fields": tuple(keys), **attributes})


class ReadResult:
    """The rows of one read, with the part of SQLAlchemy's ``Result`` API callers use;
    anything else is answered by a real ``Result`` over the same rows. ``scalars()`` gives
    the same kind of object over the first column's values."""

    __slots__ = ("_fields", "_rows", "_scalar")

    def __init__(self, rows: list[Any], fields: Sequence[str], *, scalar: bool = False) -> None:
        self._rows = rows
        self._fields = fields
        self._scalar = scalar

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def all(self) -> list[Any]:
        return list(self._rows)

    fetchall = all

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def one_or_none(self) -> Any:
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.first()

    def one(self) -> Any:
        if not self._rows:
            raise NoResultFound("No row was found when one was required")
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self._rows[0]

    def scalar(self) -> Any:
        row = self.first()
        return row if row is None or self._scalar else row[0]

    def scalar_one(self) -> Any:
        row = self.one()
        return row if self._scalar else row[0]

    def scalar_one_or_none(self) -> Any:
        row = self.one_or_none()
        return row if row is None or self._scalar else row[0]

    def scalars(self) -> ReadResult:
        if self._scalar:
            return self
        return ReadResult([row[0] for row in self._rows], self._fields[:1], scalar=True)

    def keys(self) -> list[str]:
        return list(self._fields)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        rows = [(value,) for value in self._rows] if self._scalar else map(tuple, self._rows)
        full: Any = IteratorResult(SimpleResultMetaData(self._fields), iter(rows))
        return getattr(full.scalars() if self._scalar else full, name)


class _Bound:
    """One statement object: its plan and the values baked into it."""

    __slots__ = ("collected", "extracted", "fixed", "plan", "statement")

    def __init__(
        self,
        statement: Any,
        plan: _Plan,
        extracted: Sequence[Any] | None,
        collected: Mapping[str, Any] | None,
    ) -> None:
        self.statement = statement  # keeps the object (and so its id) alive while cached
        self.plan = plan
        self.extracted = extracted
        self.collected = collected
        # The statement's own values, once; a caller's parameters override them by name.
        self.fixed: dict[str, Any] | None = None
        if not plan.per_call and not collected:
            self.fixed = plan.compiled.construct_params(
                escape_names=False, extracted_parameters=extracted, _check=False
            )

    def values(self, parameters: Mapping[str, Any] | None) -> dict[str, Any]:
        """Every bind's value by compiled name, as SQLAlchemy's construct_params gives."""
        plan = self.plan
        if self.fixed is None:
            return plan.compiled.construct_params(
                parameters,
                escape_names=False,
                extracted_parameters=self.extracted,
                _collected_params=self.collected,
            )
        if not parameters:
            if plan.required:
                raise InvalidRequestError(
                    f"A value is required for bind parameter {plan.required[0]!r}"
                )
            return self.fixed
        values = dict(self.fixed)
        for key, name, required in plan.binds:
            if key in parameters:
                values[name] = parameters[key]
            elif name in parameters:
                values[name] = parameters[name]
            elif required:
                raise InvalidRequestError(f"A value is required for bind parameter {key!r}")
        return values


class ReaderCache:
    """Plans shared by every reader of one database (one dialect)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._shapes: OrderedDict[Any, _Plan] = OrderedDict()
        self._objects: OrderedDict[int, _Bound] = OrderedDict()

    def bound(self, statement: Any) -> _Bound:
        hit = self._objects.get(id(statement))
        if hit is not None and hit.statement is statement:
            self._objects.move_to_end(id(statement))
            return hit
        if isinstance(statement, str):
            raise TypeError("pass sqlalchemy.text(...) or a Core statement, not a string")
        key = statement._generate_cache_key()
        if key is None:
            # Not cacheable (SQLAlchemy compiles such a statement every time too).
            plan = _Plan(statement.compile(dialect=self.dialect))
            return _Bound(statement, plan, None, None)
        plan = self._shapes.get(key.key)
        if plan is None:
            plan = _Plan(statement.compile(dialect=self.dialect, cache_key=key))
            self._shapes[key.key] = plan
            if len(self._shapes) > SHAPES:
                self._shapes.popitem(last=False)
        else:
            self._shapes.move_to_end(key.key)
        bound = _Bound(statement, plan, key.bindparams, key.params)
        self._objects[id(statement)] = bound
        if len(self._objects) > OBJECTS:
            self._objects.popitem(last=False)
        return bound


class SqliteReader:
    """A read-only connection with the part of ``AsyncConnection``'s API reads use."""

    def __init__(self, raw: sqlite3.Connection, cache: ReaderCache) -> None:
        self.raw = raw
        # One cursor for every statement: a read runs one statement at a time.
        self._cursor = raw.cursor()
        self.dialect = cache.dialect
        self._cache = cache
        self._in_transaction = False

    # -- the AsyncConnection API ------------------------------------------------------
    async def execute(
        self, statement: Any, parameters: Mapping[str, Any] | None = None
    ) -> ReadResult | Result[Any]:
        return self.run(statement, parameters)

    async def scalar(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> Any:
        return self.run(statement, parameters).scalar()

    async def scalars(self, statement: Any, parameters: Mapping[str, Any] | None = None) -> Any:
        return self.run(statement, parameters).scalars()

    # -- the work ---------------------------------------------------------------------
    def run(
        self, statement: Any, parameters: Mapping[str, Any] | None = None
    ) -> ReadResult | Result[Any]:
        if parameters is not None and not isinstance(parameters, Mapping):
            raise InvalidRequestError("a read connection takes one dict of parameters")
        bound = self._cache.bound(statement)
        plan = bound.plan
        values = bound.values(parameters)
        sql, positional = plan.sql, plan.positional
        if plan.expanding:
            # It pops and adds names in what it is given: never the statement's own values.
            expanded = plan.compiled._process_parameters_for_postcompile(dict(values))
            sql = expanded.statement
            procs = {**plan.compiled._bind_processors, **expanded.processors}
            values = expanded.parameters
            positional = [(name, procs.get(name)) for name in expanded.positiontup or ()]
        args = [values[name] if proc is None else proc(values[name]) for name, proc in positional]
        cursor = self._cursor
        if not self._in_transaction:
            cursor.execute("BEGIN")
            self._in_transaction = True
        try:
            cursor.execute(sql, args)
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            # The same exception classes SQLAlchemy raises (callers retry "locked" ones).
            raise DBAPIError.instance(sql, args, exc, sqlite3.Error) from exc
        row_class = plan.row_class
        if row_class is not None:
            if cursor.description is not None and len(cursor.description) != len(row_class._fields):
                raise InvalidRequestError(
                    f"statement returned {len(cursor.description)} columns, expected "
                    f"{len(row_class._fields)}: {sql}"
                )
            make = tuple.__new__
            converters = plan.converters
            if not converters:
                return ReadResult([make(row_class, row) for row in rows], row_class._fields)
            made = []
            for row in rows:
                values = list(row)
                for index, convert in converters:
                    values[index] = convert(values[index])
                made.append(make(row_class, values))
            return ReadResult(made, row_class._fields)
        metadata = plan.metadata
        if metadata is None:
            names = [column[0] for column in cursor.description or ()]
            metadata = SimpleResultMetaData(names)
        return IteratorResult(metadata, iter(rows))

    def end(self) -> None:
        """Finish the read transaction (nothing to keep: it could not write)."""
        if self._in_transaction:
            self._in_transaction = False
            self._cursor.execute("ROLLBACK")

    def close(self) -> None:
        self._in_transaction = False
        self.raw.close()


def open_reader(path: str, cache: ReaderCache, busy_ms: int) -> SqliteReader:
    """A new read-only connection to the database file at `path`."""
    raw = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=busy_ms / 1000
    )
    raw.execute("PRAGMA query_only=ON")
    return SqliteReader(raw, cache)
