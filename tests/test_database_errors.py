"""Start-up with a database the bot cannot use: one line on stderr naming the file, or the
URL with its password hidden, and what to check; exit status 2, as for a configuration
error; no traceback. `dynamo run` finds out before it connects to IRC (the config names a
network where nothing listens: trying it would have logged more lines), so a bot whose
database is wrong never joins its channels only to leave them.

Permissions hold for root only when it gives them up: as root these processes run under
`setpriv` without the capabilities that override file permissions.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy.engine import make_url

from storage import reach
from tests.databases import PG_URL, database_without_rights, postgres_available, run_async
from tests.momentum.conftest import free_port
from tests.test_cli import ROOT

DROP_OVERRIDES = "--bounding-set=-dac_override,-dac_read_search"
PASSWORD = "hunter2-in-the-url"
COMMANDS = {
    "run": ["run"],
    "db upgrade": ["db", "upgrade"],
    "codes mint": ["codes", "mint", "1"],
    "console": ["console"],
}


@pytest.fixture(scope="module")
def unprivileged() -> list[str]:
    """The command prefix under which file permissions hold for this process."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): permissions can't be tried")
    probe = subprocess.run(
        [setpriv, DROP_OVERRIDES, "--", "true"], capture_output=True, timeout=10, check=False
    )
    if probe.returncode:
        pytest.skip(f"setpriv cannot give up root's permission overrides: {probe.stderr!r}")
    return [setpriv, DROP_OVERRIDES, "--"]


@pytest.fixture
def chmod() -> Iterator[Callable[[Path, int], None]]:
    """Change a mode for the test; given back after it (so the folder can be removed)."""
    changed: list[tuple[Path, int]] = []

    def change(path: Path, mode: int) -> None:
        changed.append((path, stat.S_IMODE(path.stat().st_mode)))
        path.chmod(mode)

    yield change
    for path, mode in reversed(changed):
        path.chmod(mode)


def dynamo(
    tmp_path: Path, url: str, command: str, prefix: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    etc = tmp_path / "etc"
    etc.mkdir(exist_ok=True)
    config = etc / "config.toml"
    config.write_text(
        f'[web]\nlisten = ""\n\n[database]\nurl = "{url}"\n\n'
        f'[[irc]]\nname = "net1"\nhost = "127.0.0.1"\nport = {free_port()}\n'
        f'channels = ["#dynamo"]\nidentity = "nick"\n'
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DYNAMO_DATABASE_URL", None)
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "bot.cli", "--config", str(config)]
        + COMMANDS[command],
        input="",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=etc,
        check=False,
    )


def the_line(result: subprocess.CompletedProcess[str], *says: str) -> str:
    """The one line the command said, which says all of ``says``."""
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    (line,) = lines
    assert line.startswith("dynamo: "), line
    for words in says:
        assert words in line, line
    assert PASSWORD not in result.stdout + result.stderr
    return line


def files_in(folder: Path) -> list[tuple[str, int, int]]:
    if not folder.exists():
        return []
    return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir())


# -- SQLite -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SqliteCase:
    """How to spoil the database file ``file`` (in a folder of its own), and what is said."""

    spoil: Callable[[Path, Path, Callable[[Path, int], None]], None]
    says: Callable[[Path], list[str]]
    needs_permissions: bool = False


def _nothing(file: Path, template: Path, chmod: Callable[[Path, int], None]) -> None:
    file.parent.rmdir()


def _read_only_folder(file: Path, template: Path, chmod: Callable[[Path, int], None]) -> None:
    chmod(file.parent, 0o555)


def _database_in_read_only_folder(
    file: Path, template: Path, chmod: Callable[[Path, int], None]
) -> None:
    shutil.copyfile(template, file)
    chmod(file.parent, 0o555)


def _not_a_database(file: Path, template: Path, chmod: Callable[[Path, int], None]) -> None:
    file.write_text("name,pseudonym\nthese are not the droids\n")


def _unreadable(file: Path, template: Path, chmod: Callable[[Path, int], None]) -> None:
    shutil.copyfile(template, file)
    chmod(file, 0o000)


def _read_only(file: Path, template: Path, chmod: Callable[[Path, int], None]) -> None:
    shutil.copyfile(template, file)
    chmod(file, 0o444)


def _a_folder(file: Path, template: Path, chmod: Callable[[Path, int], None]) -> None:
    file.mkdir()


def _closed_folder(file: Path, template: Path, chmod: Callable[[Path, int], None]) -> None:
    shutil.copyfile(template, file)
    chmod(file.parent, 0o600)


SQLITE_CASES = {
    "missing folder": SqliteCase(
        _nothing,
        lambda f: [f"cannot create the database {f}: the folder {f.parent} does not exist"],
    ),
    "read-only folder": SqliteCase(
        _read_only_folder,
        lambda f: [f"cannot create the database {f}: user ", f"write in the folder {f.parent}."],
        needs_permissions=True,
    ),
    "database in a read-only folder": SqliteCase(
        _database_in_read_only_folder,
        lambda f: [
            f"cannot write the database {f}: user ",
            f"may not write in its folder {f.parent}, where SQLite keeps {f.name}-wal",
        ],
        needs_permissions=True,
    ),
    "not a database": SqliteCase(
        _not_a_database, lambda f: [f"{f} is not a SQLite database (file is not a database)"]
    ),
    "no permission": SqliteCase(
        _unreadable,
        lambda f: [f"cannot open the database {f}: user ", "may not read it."],
        needs_permissions=True,
    ),
    "read-only file": SqliteCase(
        _read_only,
        lambda f: [f"cannot write the database {f}: user ", "may read it but not write it."],
        needs_permissions=True,
    ),
    "a folder it may not enter": SqliteCase(
        _closed_folder,
        lambda f: [f"cannot open the database {f}: user ", f"may not enter the folder {f.parent}."],
        needs_permissions=True,
    ),
    "a folder": SqliteCase(
        _a_folder,
        lambda f: [f"cannot open the database {f}: that is a folder", f"{f / 'dynamo.db'}"],
    ),
}


@pytest.mark.parametrize("command", ["run", "db upgrade"])
@pytest.mark.parametrize("case", list(SQLITE_CASES))
def test_a_sqlite_database_the_bot_cannot_use_is_one_line(
    tmp_path: Path,
    sqlite_template: Path,
    chmod: Callable[[Path, int], None],
    request: pytest.FixtureRequest,
    case: str,
    command: str,
) -> None:
    spoilt = SQLITE_CASES[case]
    prefix = request.getfixturevalue("unprivileged") if spoilt.needs_permissions else []
    file = tmp_path / "data" / "dynamo.db"
    file.parent.mkdir()
    spoilt.spoil(file, sqlite_template, chmod)
    before = files_in(file.parent)

    result = dynamo(tmp_path, f"sqlite:///{file}", command, prefix)

    the_line(result, *spoilt.says(file), reach.SETTING if case == "missing folder" else "")
    assert files_in(file.parent) == before  # nothing made, nothing left behind


def test_a_read_only_folder_is_no_obstacle_once_sqlite_has_its_files_there(
    tmp_path: Path,
    sqlite_template: Path,
    chmod: Callable[[Path, int], None],
    unprivileged: list[str],
) -> None:
    """SQLite needs to write in the folder only to make its -wal and -shm files: where they
    are already (the folder was made read-only after the bot ran), nothing is in the way."""
    file = tmp_path / "data" / "dynamo.db"
    file.parent.mkdir()
    shutil.copyfile(sqlite_template, file)
    keeper = sqlite3.connect(file)  # while it is open, the side files stay
    try:
        keeper.execute("PRAGMA journal_mode=WAL")
        keeper.execute("SELECT count(*) FROM sqlite_master").fetchone()
        chmod(file.parent, 0o555)
        result = dynamo(tmp_path, f"sqlite:///{file}", "db upgrade", unprivileged)
    finally:
        keeper.close()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("the database is up to date (schema ")


def test_every_command_says_the_same_about_a_sqlite_file(tmp_path: Path) -> None:
    file = tmp_path / "dynamo.db"
    file.write_bytes(b"\x00" * 4096)
    lines = {
        command: the_line(dynamo(tmp_path, f"sqlite:///{file}", command)) for command in COMMANDS
    }
    assert set(lines.values()) == {
        f"dynamo: {file} is not a SQLite database (file is not a database). Check that "
        f"{reach.SETTING} names the bot's database file; a new file name starts a new, empty "
        f"database."
    }


def test_a_relative_path_is_named_where_it_leads(tmp_path: Path) -> None:
    result = dynamo(tmp_path, "sqlite:///nowhere/dynamo.db", "db upgrade")
    etc = tmp_path / "etc"  # where the command runs
    the_line(result, f"the folder {etc / 'nowhere'} does not exist")


# -- PostgreSQL ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres() -> None:
    unreachable = postgres_available()
    if unreachable:
        pytest.skip(unreachable)


def postgres_url(
    *,
    user: str | None = None,
    password: str | None = None,
    port: int | None = None,
    database: str | None = None,
) -> str:
    parts = urlsplit(PG_URL)
    host = parts.hostname or "127.0.0.1"
    login = user or parts.username or "postgres"
    if password is not None:
        login = f"{login}:{password}"
    netloc = f"{login}@{host}:{port or parts.port or 5432}"
    return urlunsplit(("postgresql", netloc, f"/{database or parts.path[1:]}", "", ""))


SERVER = f"{urlsplit(PG_URL).hostname}:{urlsplit(PG_URL).port or 5432}"


@pytest.mark.parametrize("command", ["run", "db upgrade"])
def test_nothing_listening(postgres: None, tmp_path: Path, command: str) -> None:
    port = free_port()
    url = postgres_url(password=PASSWORD, port=port)
    result = dynamo(tmp_path, url, command)
    host = urlsplit(PG_URL).hostname
    the_line(
        result,
        f"cannot reach PostgreSQL at {host}:{port} ({reach.shown(url)}): connection refused. "
        f"Check that PostgreSQL is running and listening there, and the host and port in "
        f"{reach.SETTING}.",
        ":***@",
    )


@pytest.mark.parametrize("command", ["run", "db upgrade"])
def test_no_such_database(postgres: None, tmp_path: Path, command: str) -> None:
    name = f"dynamo_missing_{uuid.uuid4().hex[:8]}"
    url = postgres_url(database=name)
    result = dynamo(tmp_path, url, command)
    the_line(
        result,
        f'PostgreSQL at {SERVER} has no database "{name}" ({url}). Create it (createdb',
        f"or correct the database name in {reach.SETTING}.",
    )


@pytest.mark.parametrize("command", ["run", "db upgrade"])
def test_authentication_refused(postgres: None, tmp_path: Path, command: str) -> None:
    url = postgres_url(user="dynamo_nobody", password=PASSWORD)
    result = dynamo(tmp_path, url, command)
    the_line(
        result,
        f"PostgreSQL at {SERVER} refused the connection ({reach.shown(url)}): "
        f'role "dynamo_nobody" does not exist. Check the user name and password in '
        f"{reach.SETTING}, and the server's pg_hba.conf.",
        "dynamo_nobody:***@",
    )


def test_every_command_says_the_same_about_postgresql(postgres: None, tmp_path: Path) -> None:
    url = postgres_url(database=f"dynamo_missing_{uuid.uuid4().hex[:8]}", password=PASSWORD)
    lines = {
        command: the_line(dynamo(tmp_path, url, command), "has no database") for command in COMMANDS
    }
    assert len(set(lines.values())) == 1, lines


def test_a_user_who_may_not_create_tables_is_told_how_to_give_it_the_right(
    postgres: None, tmp_path: Path
) -> None:
    with database_without_rights() as url:
        user = urlsplit(url).username
        database = urlsplit(url).path[1:]
        for command in ("db upgrade", "codes mint"):
            the_line(
                dynamo(tmp_path, url, command),
                f"PostgreSQL user {user} may not create or change the bot's tables in "
                f'database "{database}" ({url}): permission denied for schema public. Make '
                f"it the database's owner (ALTER DATABASE {database} OWNER TO {user};), then "
                f"start again.",
            )
        if _server_version() >= 150000:  # where the database's owner owns schema public
            _as_admin(f'ALTER DATABASE "{database}" OWNER TO "{user}"')
            done = dynamo(tmp_path, url, "db upgrade")
            assert (
                done.returncode == 0
                and "the database schema is migrated from nothing to" in done.stdout
            ), done.stderr


def _server_version() -> int:
    async def ask() -> int:
        import asyncpg

        conn = await asyncpg.connect(PG_URL)
        try:
            return int(await conn.fetchval("SHOW server_version_num"))
        finally:
            await conn.close()

    return int(run_async(ask))


def _as_admin(statement: str) -> None:
    async def run() -> None:
        import asyncpg

        conn = await asyncpg.connect(PG_URL)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    run_async(run)


# -- reading the URL as SQLAlchemy does ---------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///dynamo.db",
        "sqlite:////srv/dynamo/dynamo.db",
        "sqlite:///with%20space.db",
        "sqlite:///dynamo.db?timeout=5",
        "sqlite+aiosqlite:///dynamo.db",
        "sqlite://",
        "sqlite:///:memory:",
    ],
)
def test_the_file_checked_is_the_file_the_bot_opens(url: str) -> None:
    assert reach.sqlite_path(url) == (
        make_url(url).database or None if url != "sqlite:///:memory:" else None
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://dynamo:s3cret@db.example:5433/dynamo",
            "postgresql://dynamo:***@db.example:5433/dynamo",
        ),
        ("postgresql+asyncpg://dynamo:p%40ss@db/dynamo", "postgresql://dynamo:***@db/dynamo"),
        (
            "postgresql://dynamo@db/dynamo?password=s3cret&ssl=require",
            "postgresql://dynamo@db/dynamo?password=***&ssl=require",
        ),
        ("postgresql://dynamo@db/dynamo", "postgresql://dynamo@db/dynamo"),
    ],
)
def test_a_password_is_never_shown(url: str, shown: str) -> None:
    assert reach.shown(url) == shown
