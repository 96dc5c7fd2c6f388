"""The project secret at start-up: `dynamo run` refuses to start without it or with the
wrong one (saying what to do), the console needs none, and nothing else that can do without
it asks for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from storage import migrate, secret
from storage.db import Database
from storage.secret import KEY_ENV, SecretKeyError
from storage.vault import Vault
from tests.momentum.conftest import free_port
from tests.test_cli import ROOT, write_config

ANOTHER_KEY = secret.new_secret()


def irc_config(tmp_path: Path) -> Path:
    """A config `dynamo run` accepts, with a network where nothing listens."""
    return write_config(
        tmp_path,
        f'[[irc]]\nname = "net1"\nhost = "127.0.0.1"\nport = {free_port()}\n'
        f'channels = ["#dynamo"]\nidentity = "nick"\n',
    )


def dynamo(
    tmp_path: Path, *argv: str, key: str | None, stdin: str = ""
) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DYNAMO_DATABASE_URL", None)
    env.pop(KEY_ENV)
    if key is not None:
        env[KEY_ENV] = key
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=False,
    )


async def made_with(url: str, vault: Vault) -> None:
    db = Database(url, vault=vault)
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()


def test_secret_new_prints_a_key_and_how_to_keep_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["secret", "new"]) == 0
    out, err = capsys.readouterr()
    key = out.strip()
    assert len(secret.parse(key)) == 32
    assert f"export {KEY_ENV}={key}" in err and "never in a file in git" in err
    assert "members can no longer be recognised" in err


def test_run_without_the_key_says_how_to_set_it(tmp_path: Path) -> None:
    config = irc_config(tmp_path)
    result = dynamo(tmp_path, "--config", str(config), "run", key=None)
    assert result.returncode == 2, result.stderr
    assert f"dynamo: {KEY_ENV} is not set" in result.stderr
    assert "dynamo secret new" in result.stderr and f"export {KEY_ENV}=" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "dynamo.db").exists()  # stopped before touching anything

    mangled = dynamo(tmp_path, "--config", str(config), "run", key="hunter2")
    assert mangled.returncode == 2 and "not a key made by `dynamo secret new`" in mangled.stderr


async def test_run_with_another_key_than_the_database_was_made_with_stops(
    tmp_path: Path,
) -> None:
    config = irc_config(tmp_path)
    await made_with(f"sqlite:///{tmp_path / 'dynamo.db'}", Vault.from_environ())
    result = dynamo(tmp_path, "--config", str(config), "run", key=ANOTHER_KEY)
    assert result.returncode == 2, result.stderr
    assert f"{KEY_ENV} is not the key this database was made with" in result.stderr
    assert "must register again" in result.stderr and "Traceback" not in result.stderr


async def test_a_wrong_key_changes_nothing_and_the_right_one_still_works(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dynamo.db'}"
    await made_with(url, Vault.from_environ())
    with pytest.raises(SecretKeyError, match="not the key this database was made with"):
        await made_with(url, Vault(secret.parse(ANOTHER_KEY)))
    with pytest.raises(SecretKeyError, match="would recognise no member"):
        await made_with(url, Vault.console())
    await made_with(url, Vault.from_environ())


async def test_the_console_runs_without_a_key_and_a_real_bot_refuses_its_database(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    script = "/as alice\nregister {code}\nchoose\nwhoami\n"
    result = dynamo(tmp_path, "--config", str(config), "console", key=None, stdin=script)
    assert result.returncode == 0, result.stderr
    assert "[DM alice] You are **" in result.stdout and "(this account)" in result.stdout
    # Its key is known to everyone: a real one refuses the database it made.
    with pytest.raises(SecretKeyError, match="made by `dynamo console`"):
        await made_with(f"sqlite:///{tmp_path / 'dynamo.db'}", Vault.from_environ())


def test_the_console_refuses_a_database_made_with_a_real_key(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    assert main(["--config", str(config), "db", "upgrade"]) == 0  # the test key, from the env
    result = dynamo(tmp_path, "--config", str(config), "console", key=None, stdin="/quit\n")
    assert result.returncode == 2
    assert "`dynamo console` runs on its own, openly known key" in result.stderr


def test_minting_codes_needs_no_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(KEY_ENV)
    config = write_config(tmp_path)
    assert main(["--config", str(config), "codes", "mint", "2"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
    assert main(["--config", str(config), "db", "upgrade"]) == 0
