"""The repositories' prebuilt statements, compiled once and run on the driver directly.

Every command runs a few statements that the repositories build once, at import (the member
lookup before every command, ``ideas``, ``idea 12``, the vote), and such a statement takes
a few microseconds in SQLite, or one round trip to PostgreSQL, while ``Connection.execute``
around it (cache lookup, execution context, cursor result; on PostgreSQL the asyncio
layer's greenlet besides) costs several times that. So a connection that has a driver at
hand (storage/sqlite_inline.py's ``ReadConnection``; storage/postgres_direct.py's
``DirectConnection``) does this for a ``SELECT`` (or a textual statement with its columns
declared) it is given a second time as the same object:

- it compiles it once with SQLAlchemy's public ``compile()`` for the dialect, and takes
  each bind's and each column's processor from its type's public ``bind_processor`` and
  ``result_processor`` (time zones, booleans, JSON come back the same);
- per call, ``construct_params`` (public) gives the values, which go positionally to the
  driver; rows come back as light tuples whose columns are attributes (``ReadRow``, named
  as SQLAlchemy's own rows were on the first run), in a ``ReadResult`` with the ``Result``
  methods callers use. Anything rarer is answered by a SQLAlchemy ``Result`` over the same
  rows (from ``Result.freeze()`` of the first run), so nothing is run twice.

Everything else (a statement built per call, text without declared columns, ``IN`` lists
expanded at execution, a name selected twice, INSERT, UPDATE and DELETE) goes through
SQLAlchemy's ``Connection.execute`` as usual.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Dialect, FrozenResult, Result
from sqlalchemy.exc import (
    MultipleResultsFound,
    NoResultFound,
    SQLAlchemyError,
    StatementError,
)

__all__ = ["SEEN", "UNPLANNABLE", "Plan", "Plans", "ReadResult", "ReadRow"]

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
    """The rows of one run of a plan, with the part of SQLAlchemy's ``Result`` API callers
    use; anything else is answered by SQLAlchemy's own ``Result`` over the same rows.
    ``scalars()`` gives the same kind of object over the first column's values."""

    __slots__ = ("_full", "_plan", "_rows", "_scalar")

    def __init__(self, rows: list[Any], plan: Plan, *, scalar: bool = False) -> None:
        self._rows = rows
        self._plan = plan
        self._scalar = scalar
        self._full: Result[Any] | None = None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.all() if self._scalar else self._rows)

    def all(self) -> list[Any]:
        if self._scalar:
            return [row[0] for row in self._rows]
        return list(self._rows)

    fetchall = all

    def first(self) -> Any:
        if not self._rows:
            return None
        return self._rows[0][0] if self._scalar else self._rows[0]

    def one_or_none(self) -> Any:
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when one or none was required")
        return self.first()

    def one(self) -> Any:
        if not self._rows:
            raise NoResultFound("No row was found when one was required")
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self.first()

    def scalar(self) -> Any:
        row = self._rows[0] if self._rows else None
        return None if row is None else row[0]

    def scalar_one(self) -> Any:
        self.one()
        return self._rows[0][0]

    def scalar_one_or_none(self) -> Any:
        self.one_or_none()
        return self.scalar()

    def scalars(self) -> ReadResult:
        if self._scalar:
            return self
        return ReadResult(self._rows, self._plan, scalar=True)

    def keys(self) -> list[str]:
        fields = self._plan.row_class._fields
        return list(fields[:1] if self._scalar else fields)

    @property
    def rowcount(self) -> int:
        return len(self._rows)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        if self._full is None:
            full = self._plan.frozen.with_new_rows(self._rows)()
            self._full = full.scalars() if self._scalar else full
        return getattr(self._full, name)


class Plan:
    """How to run one statement object on the driver, derived once from its compiled form."""

    __slots__ = ("binds", "compiled", "converters", "frozen", "row_class", "sql", "statement")

    def __init__(
        self,
        statement: Any,
        compiled: Any,
        binds: list[tuple[str, _Processor | None]],
        row_class: type[ReadRow],
        converters: list[tuple[int, _Processor]],
        frozen: FrozenResult[Any],
    ) -> None:
        self.statement = statement  # keeps the object (and so its id) alive while cached
        self.compiled = compiled
        self.sql: str = compiled.string
        self.binds = binds
        self.row_class = row_class
        self.converters = converters
        self.frozen = frozen  # a SQLAlchemy Result of this statement, without its rows

    def arguments(self, parameters: Mapping[str, Any] | None) -> list[Any]:
        """The driver's positional arguments; a value missing is refused as
        ``Connection.execute`` refuses it."""
        try:
            values = self.compiled.construct_params(parameters)
        except SQLAlchemyError as exc:
            raise StatementError(
                exc.args[0], self.sql, None, exc, hide_parameters=True, code=exc.code
            ) from exc
        return [values[name] if proc is None else proc(values[name]) for name, proc in self.binds]

    def result(self, rows: Iterable[Iterable[Any]]) -> ReadResult:
        """The driver's rows (tuples, or records that iterate as their values), as
        SQLAlchemy's would have come."""
        row_class = self.row_class
        make = tuple.__new__
        converters = self.converters
        if not converters:
            return ReadResult([make(row_class, row) for row in rows], self)
        made = []
        for row in rows:
            items = list(row)
            for index, convert in converters:
                items[index] = convert(items[index])
            made.append(make(row_class, items))
        return ReadResult(made, self)


def _plan(statement: Any, result: Result[Any], dialect: Dialect) -> Plan | None:
    """A plan for ``statement``, whose first run through SQLAlchemy gave ``result``, or
    None when it is one that only SQLAlchemy's own execution handles exactly."""
    if not getattr(statement, "is_select", False) or not result.returns_rows:
        return None
    keys = list(result.keys())
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
    return Plan(statement, compiled, binds, _row_class(keys), converters, result.freeze())


class Plans:
    """The plans of one database's connections (one dialect)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._entries: OrderedDict[int, tuple[Any, Any]] = OrderedDict()

    def lookup(self, statement: Any) -> Any:
        """The statement's plan; else SEEN the second time (plan it from this run's result)
        or None (remembered as seen now), or UNPLANNABLE."""
        entry = self._entries.get(id(statement))
        if entry is not None and entry[0] is statement:
            self._entries.move_to_end(id(statement))
            return entry[1]
        self._remember(statement, SEEN)
        return None

    def learn(self, statement: Any, result: Result[Any]) -> Any:
        """Plan ``statement`` from its run through SQLAlchemy; the result to hand on (the
        same rows: planning reads them)."""
        plan = _plan(statement, result, self.dialect)
        self._remember(statement, UNPLANNABLE if plan is None else plan)
        if plan is None:
            return result
        first_run = plan.frozen
        plan.frozen = first_run.with_new_rows([])  # the plan keeps its columns, not its rows
        return first_run()

    def _remember(self, statement: Any, value: Any) -> None:
        self._entries[id(statement)] = (statement, value)
        self._entries.move_to_end(id(statement))
        if len(self._entries) > REMEMBERED:
            self._entries.popitem(last=False)
