"""Whether the database can be used, and if not, why, in one line an organizer can act on.

Every command that opens the database (``dynamo run``, ``console``, ``db upgrade``, ``codes
mint``) stops with that line instead of a traceback when the database is missing,
unwritable or unreachable. The line names the file, or the URL with its password hidden,
and says what to check.

Standard library only (asyncpg is imported when a PostgreSQL server is asked):
``dynamo run`` checks the database before it connects to IRC and before it loads the
database layer, so a bot whose database is wrong never joins its channels only to leave
them again, in front of everyone, at every restart.
"""

from __future__ import annotations

import errno
import os
import pwd
import socket
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from storage.errors import DatabaseUnavailable

# Where an organizer changes the URL (bot/config.py: the environment wins over the file).
SETTING = "[database] url (or DYNAMO_DATABASE_URL)"
# How long the check waits for another process's write, like storage/db.py's writers.
LOCK_PATIENCE = 30.0
# SQLite's answers about the file itself (its name, its folder, permissions, the disk).
_FILE_TROUBLE = ("SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM", "SQLITE_IOERR")


def backend(url: str) -> str:
    """``sqlite`` or ``postgresql`` (whatever driver the URL names), else the scheme."""
    scheme = url.partition(":")[0].partition("+")[0].lower()
    return "postgresql" if scheme == "postgres" else scheme


def sqlite_path(url: str) -> str | None:
    """The file a ``sqlite:///`` URL names, as SQLAlchemy reads it; None in memory."""
    parts = urlsplit(url)
    if parts.netloc:
        return None
    path = unquote(parts.path[1:])
    return None if path in ("", ":memory:") else path


def shown(url: str) -> str:
    """The URL to print: its password (in the user part or the query) is ``***``."""
    parts = urlsplit(url)
    netloc = parts.netloc
    userinfo, at, hostport = netloc.rpartition("@")
    if at and ":" in userinfo:
        netloc = f"{userinfo.partition(':')[0]}:***@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        hidden = [(k, "***" if k.lower() == "password" else v) for k, v in pairs]
        query = urlencode(hidden, safe="*")
    scheme = parts.scheme.partition("+")[0]
    return f"{scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


async def check(url: str) -> None:
    """Raise DatabaseUnavailable, saying why, if the database at ``url`` cannot be used.

    SQLite: see ``check_sqlite``, run on the loop's thread (a millisecond; only a lock held
    by another process makes it wait): made at start-up, before anything else runs on the
    loop. PostgreSQL: a connection, made as the bot makes it; a URL with query options (which
    change how the driver connects) is left to the bot's first connection, whose errors
    ``explain`` reads just the same.
    """
    kind = backend(url)
    if kind == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            check_sqlite(path)
    elif kind == "postgresql":
        await _check_postgresql(url)


def check_sqlite(path: str) -> None:
    """Open the file as the bot does (WAL), take the write lock and change something, then
    roll it back: this proves it is a database (or a new file) this process may read and
    write, and leaves no trace in it. Waits for another process's write, like a writer.

    What the file system already tells (a missing folder, a file this user may not write)
    is said without opening the file: SQLite would leave ``-wal`` and ``-shm`` files beside
    a read-only one, which would stay in the way once the file itself was put right."""
    problem = _file_problem(_absolute(path))
    if problem is not None:
        raise DatabaseUnavailable(problem)
    try:
        conn = sqlite3.connect(path, timeout=LOCK_PATIENCE, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(_sqlite_problem(exc, path)) from exc
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN IMMEDIATE")
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        conn.execute(f"PRAGMA user_version = {int(version)}")
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise DatabaseUnavailable(_sqlite_problem(exc, path)) from exc
    finally:
        conn.close()


def explain(exc: BaseException, url: str) -> str | None:
    """The one-line reason ``exc`` (raised while opening or migrating the database at
    ``url``, wrapped by SQLAlchemy or not) says the database cannot be used; None when it
    says something else (a bug, which deserves its traceback)."""
    kind = backend(url)
    for error in _chain(exc):
        if kind == "sqlite":
            name = getattr(error, "sqlite_errorname", None)
            path = sqlite_path(url)
            if isinstance(name, str) and path is not None:
                return _sqlite_known(name, str(error), path)
        elif kind == "postgresql":
            state = getattr(error, "sqlstate", None)
            if isinstance(state, str) and state:
                return _postgresql_refusal(state, error, url)
            if isinstance(error, OSError):  # TimeoutError included
                return _postgresql_unreachable(error, url)
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


# -- SQLite ------------------------------------------------------------------------------


def _sqlite_problem(exc: sqlite3.Error, path: str) -> str:
    name = getattr(exc, "sqlite_errorname", "") or ""
    known = _sqlite_known(name, str(exc), path)
    if known is not None:
        return known
    file = _absolute(path)
    return (
        f"cannot use the database {file} ({exc}). Check that user {_user()} may read and "
        f"write it and its folder {file.parent}."
    )


def _sqlite_known(name: str, text: str, path: str) -> str | None:
    file = _absolute(path)
    if name == "SQLITE_NOTADB":
        return (
            f"{file} is not a SQLite database ({text}). Check that {SETTING} names the bot's "
            f"database file; a new file name starts a new, empty database."
        )
    if name == "SQLITE_FULL":
        return f"cannot write the database {file}: the disk is full. Free some space on it."
    if name.startswith("SQLITE_CORRUPT"):
        return f"the database {file} is damaged ({text}). Restore it from a backup."
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return (
            f"the database {file} stayed locked by another process ({text}). SQLite serves "
            f"one dynamo process at a time: stop the other one, then start again."
        )
    if name.startswith(_FILE_TROUBLE):
        return _file_problem(file) or (
            f"cannot use the database {file} ({text}). Check that user {_user()} may read "
            f"and write it and its folder {file.parent}."
        )
    return None


def _file_problem(file: Path) -> str | None:
    """What keeps this process from reading and writing ``file`` (and the ``-wal`` and
    ``-shm`` files SQLite keeps beside it), from the file system's point of view."""
    folder = file.parent
    user = _user()
    if _kind(file) == "folder":
        return (
            f"cannot open the database {file}: that is a folder. Set {SETTING} to a file, "
            f"such as {file / 'dynamo.db'}."
        )
    closed = _closed_folder(folder)
    if closed is not None:
        return (
            f"cannot open the database {file}: user {user} may not enter the folder {closed}. "
            f"Let that user in, or set {SETTING} to a file in a folder it may use."
        )
    kind = _kind(folder)
    if kind == "missing":
        return (
            f"cannot create the database {file}: the folder {folder} does not exist. Create "
            f"it, or set {SETTING} to a file in a folder that exists."
        )
    if kind != "folder":
        return f"cannot create the database {file}: {folder} is not a folder. Check {SETTING}."
    if _read_only_mount(folder):
        return (
            f"cannot write the database {file}: the file system holding {folder} is "
            f"read-only. Set {SETTING} to a file on one the bot may write to."
        )
    writable_folder = os.access(folder, os.W_OK | os.X_OK)
    if _kind(file) == "missing":
        if writable_folder:
            return None
        return (
            f"cannot create the database {file}: user {user} may not write in the folder "
            f"{folder}. Let that user write there, or set {SETTING} to a file in a folder "
            f"it may write in."
        )
    if not os.access(file, os.R_OK):
        return f"cannot open the database {file}: user {user} may not read it. {_grant(user, file)}"
    if not os.access(file, os.W_OK):
        return (
            f"cannot write the database {file}: user {user} may read it but not write it. "
            f"{_grant(user, file)}"
        )
    sides = [file.with_name(file.name + suffix) for suffix in ("-wal", "-shm")]
    for side in sides:
        if _kind(side) == "file" and not os.access(side, os.R_OK | os.W_OK):
            return (
                f"cannot write the database {file}: user {user} may not write {side}, which "
                f"SQLite keeps beside it. {_grant(user, side)}"
            )
    # With both side files there (and writable) SQLite needs to create nothing.
    if not writable_folder and not all(_kind(side) == "file" for side in sides):
        return (
            f"cannot write the database {file}: user {user} may not write in its folder "
            f"{folder}, where SQLite keeps {file.name}-wal and {file.name}-shm beside it. "
            f"Let that user write in the folder, or move the database to a folder it owns."
        )
    return None


def _grant(user: str, path: Path) -> str:
    try:
        owned = os.stat(path).st_uid == os.geteuid()
    except OSError:
        owned = False
    if owned:
        return f"Let its owner read and write it (chmod u+rw {path})."
    return f"Make that user its owner (chown {user} {path})."


def _kind(path: Path) -> str:
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    except OSError:
        return "unknown"
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "other"


def _closed_folder(folder: Path) -> Path | None:
    """The first folder on the way to ``folder`` (itself included) this process may not
    enter, if any."""
    for step in (*reversed(folder.parents), folder):
        if _kind(step) != "folder":
            return None  # missing, or not a folder: said next
        if not os.access(step, os.X_OK):
            return step
    return None


def _read_only_mount(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _absolute(path: str) -> Path:
    return Path(os.path.abspath(path))


def _user() -> str:
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


# -- PostgreSQL ----------------------------------------------------------------------------


async def _check_postgresql(url: str) -> None:
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        return
    try:
        port = parts.port
    except ValueError:
        return  # not a URL the bot can use: opening the database says so
    # Here, not at the top: a bot on SQLite never loads it.
    import asyncpg

    try:
        conn = await asyncpg.connect(
            host=parts.hostname,
            port=port,
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            database=unquote(parts.path[1:]) or None,
        )
    except Exception as exc:
        problem = explain(exc, url)
        if problem is None:
            return  # something this check cannot judge: the bot's own connection will
        raise DatabaseUnavailable(problem) from exc
    await conn.close()


def _server(url: str) -> tuple[str, str | None, str | None]:
    """Where the server is (``host:port``), the user and the database the URL names."""
    parts = urlsplit(url)
    host = parts.hostname
    try:
        port = parts.port or 5432
    except ValueError:
        port = 5432
    where = f"{host}:{port}" if host else f"the local server (port {port})"
    user = unquote(parts.username) if parts.username else None
    database = unquote(parts.path[1:]) or None
    return where, user, database


def _postgresql_refusal(state: str, error: BaseException, url: str) -> str | None:
    where, user, database = _server(url)
    said = str(error).strip().splitlines()[0] if str(error).strip() else state
    if state == "3D000":  # invalid_catalog_name
        create = f"createdb --owner={user} {database}" if user else f"createdb {database}"
        return (
            f'PostgreSQL at {where} has no database "{database}" ({shown(url)}). Create it '
            f"({create}) or correct the database name in {SETTING}."
        )
    if state.startswith("28"):  # invalid authorization: unknown role, wrong password, hba
        return (
            f"PostgreSQL at {where} refused the connection ({shown(url)}): {said}. Check the "
            f"user name and password in {SETTING}, and the server's pg_hba.conf."
        )
    if state == "42501":  # insufficient_privilege: migrations create and change tables
        role = f"user {user}" if user else "this user"
        owner = user or "USER"
        return (
            f"PostgreSQL {role} may not create or change the bot's tables in database "
            f'"{database}" ({shown(url)}): {said}. Make it the database\'s owner (ALTER '
            f"DATABASE {database} OWNER TO {owner};), then start again."
        )
    if state.startswith(("08", "53", "57P0")):  # connection trouble, too many, shutting down
        return (
            f"PostgreSQL at {where} did not let the bot in ({shown(url)}): {said}. Check the "
            f"server (its log says more), then start again."
        )
    return None


def _postgresql_unreachable(error: OSError, url: str) -> str:
    where, _user, _database = _server(url)
    host = urlsplit(url).hostname
    if isinstance(error, socket.gaierror):
        reason, check = f"no host is called {host}", "the host name"
    elif isinstance(error, TimeoutError):
        reason = "no answer"
        check = "the host and port (and that no firewall stands between)"
    elif isinstance(error, ConnectionRefusedError) or f"[Errno {errno.ECONNREFUSED}]" in str(error):
        # A host name with several addresses (localhost: ::1 and 127.0.0.1) fails with one
        # OSError listing every refusal, without an errno of its own.
        reason = "connection refused"
        check = "that PostgreSQL is running and listening there, and the host and port"
    else:
        reason = error.strerror or str(error) or type(error).__name__
        check = "that PostgreSQL is running there, and the host and port"
    return (
        f"cannot reach PostgreSQL at {where} ({shown(url)}): {reason}. Check {check} in {SETTING}."
    )
