"""The repositories' prebuilt read statements, run on the SQLite driver directly.

Most of what members ask for is a read (``ideas``, ``idea 12``, the member lookup before
every command), and on SQLite such a statement takes a few microseconds in SQLite itself,
while ``Connection.execute`` around it (cache lookup, execution context, cursor result)
costs several times that. The repositories build their hot statements once, at import, so
a read connection (``storage.sqlite_inline.ReadConnection``) does this for a ``SELECT`` it
is given a second time as the same object:

- it compiles it once with SQLAlchemy's public ``compile()``, and takes each bind's and
  each column's processor from its type's public ``bind_processor`` and
  ``result_processor`` for the dialect (time zones, booleans, JSON come back the same);
- per call, ``construct_params`` (public) gives the values, which go positionally to the
  driver; rows come back as light tuples whose columns are attributes (``ReadRow``, named
  as SQLAlchemy's own rows were on the first run), in a ``ReadResult`` with the ``Result``
  methods callers use. Anything rarer is answered by running the statement through
  SQLAlchemy again, in the same snapshot.

Everything else (a statement built per call, text, ``IN`` lists expanded at execution, a
name selected twice) goes through SQLAlchemy's ``Connection.execute`` as usual.
"""

from __future__ import annotations

import sqlite3
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import (
    DBAPIError,
    MultipleResultsFound,
    NoResultFound,
    SQLAlchemyError,
    StatementError,
)

__all__ = ["SEEN", "UNPLANNABLE", "Plan", "ReadPlans", "ReadResult", "ReadRow", "run_plan"]

# Statement objects remembered (seen once, or planned). Repositories hold a few dozen
# prebuilt statements; the rest are built per call and never seen twice.
REMEMBERED = 512

_Processor = Callable[[Any], Any]
SEEN = object()  # seen once: planned if it comes again
UNPLANNABLE = object()  # always through SQLAlchemy


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
    anything else is answered by SQLAlchemy's own ``Result`` of the same statement, run
    again on the same connection. ``scalars()`` gives the same kind of object over the
    first column's values."""

    __slots__ = ("_again", "_fields", "_rows", "_scalar")

    def __init__(
        self,
        rows: list[Any],
        fields: Sequence[str],
        again: Callable[[], Any],
        *,
        scalar: bool = False,
    ) -> None:
        self._rows = rows
        self._fields = fields
        self._again = again
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
        return ReadResult(
            [row[0] for row in self._rows], self._fields[:1], self._again, scalar=True
        )

    def keys(self) -> list[str]:
        return list(self._fields)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        full = self._again()
        return getattr(full.scalars() if self._scalar else full, name)


class Plan:
    """How to run one statement object on the driver, derived once from its compiled form."""

    __slots__ = ("binds", "compiled", "converters", "row_class", "sql", "statement")

    def __init__(
        self,
        statement: Any,
        compiled: Any,
        binds: list[tuple[str, _Processor | None]],
        row_class: type[ReadRow],
        converters: list[tuple[int, _Processor]],
    ) -> None:
        self.statement = statement  # keeps the object (and so its id) alive while cached
        self.compiled = compiled
        self.sql: str = compiled.string
        self.binds = binds
        self.row_class = row_class
        self.converters = converters


def _plan(statement: Any, keys: list[str], dialect: Dialect) -> Plan | None:
    """A plan for ``statement`` whose SQLAlchemy rows had ``keys``, or None when it is one
    that only SQLAlchemy's own execution handles exactly."""
    if not getattr(statement, "is_select", False):
        return None
    if len(set(keys)) != len(keys) or not all(key.isidentifier() for key in keys):
        return None  # a name selected twice is ambiguous: SQLAlchemy's rows say so
    columns = list(statement.selected_columns)
    if len(columns) != len(keys):
        return None
    compiled = statement.compile(dialect=dialect)
    if compiled.post_compile_params or compiled.literal_execute_params:
        return None  # IN (...) with a list: the SQL depends on the values
    if compiled.escaped_bind_names:
        return None
    names = compiled.positiontup or ()
    if any(name not in compiled.binds for name in names):
        return None
    binds = [
        (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
        for name in names
    ]
    converters: list[tuple[int, _Processor]] = []
    for index, column in enumerate(columns):
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if process is not None:
            converters.append((index, process))
    return Plan(statement, compiled, binds, _row_class(keys), converters)


class ReadPlans:
    """The plans of one database's read connections (one dialect)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._entries: OrderedDict[int, tuple[Any, Any]] = OrderedDict()

    def lookup(self, statement: Any) -> Any:
        """The statement's plan; else SEEN the second time (plan it from this run's rows)
        or None (remembered as seen now), or UNPLANNABLE."""
        entry = self._entries.get(id(statement))
        if entry is not None and entry[0] is statement:
            self._entries.move_to_end(id(statement))
            return entry[1]
        self._remember(statement, SEEN)
        return None

    def learn(self, statement: Any, keys: list[str]) -> None:
        plan = _plan(statement, keys, self.dialect)
        self._remember(statement, UNPLANNABLE if plan is None else plan)

    def _remember(self, statement: Any, value: Any) -> None:
        self._entries[id(statement)] = (statement, value)
        self._entries.move_to_end(id(statement))
        if len(self._entries) > REMEMBERED:
            self._entries.popitem(last=False)


def run_plan(
    plan: Plan,
    driver: sqlite3.Connection,
    parameters: Mapping[str, Any] | None,
    again: Callable[[], Any],
    dialect: Dialect,
) -> ReadResult:
    try:
        values = plan.compiled.construct_params(parameters)
    except SQLAlchemyError as exc:  # a required value missing: as Connection.execute says it
        raise StatementError(
            exc.args[0], plan.sql, None, exc, hide_parameters=True, code=exc.code
        ) from exc
    args = [values[name] if proc is None else proc(values[name]) for name, proc in plan.binds]
    try:
        rows = driver.execute(plan.sql, args).fetchall()
    except sqlite3.Error as exc:
        # The same exception classes SQLAlchemy raises, without the values.
        raise DBAPIError.instance(
            plan.sql, args, exc, sqlite3.Error, hide_parameters=True, dialect=dialect
        ) from exc
    row_class = plan.row_class
    make = tuple.__new__
    converters = plan.converters
    if not converters:
        return ReadResult([make(row_class, row) for row in rows], row_class._fields, again)
    made = []
    for row in rows:
        items = list(row)
        for index, convert in converters:
            items[index] = convert(items[index])
        made.append(make(row_class, items))
    return ReadResult(made, row_class._fields, again)
