"""The command line: minting codes, upgrading the database, the console tour."""

from __future__ import annotations

import asyncio
import csv
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.cli import _until_joined, build_parser, main

ROOT = Path(__file__).resolve().parent.parent


def write_config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[web]\nlisten = ""\n\n[database]\nurl = "sqlite:///{tmp_path / "dynamo.db"}"\n{extra}'
    )
    return config


def test_mint_codes_to_csv(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    out = tmp_path / "codes.csv"
    argv = ["--config", str(config), "codes", "mint", "50", "--kind", "worker"]
    assert main([*argv, "--expires", "30d", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert len(rows) == 50
    assert set(rows[0]) == {"code", "batch", "kind", "expires_at"}
    assert all(re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", r["code"]) for r in rows)
    assert len({r["code"] for r in rows}) == 50
    assert rows[0]["kind"] == "worker" and rows[0]["expires_at"]


def test_mint_prints_without_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    assert main(["--config", str(config), "codes", "mint", "3", "--kind", "invite"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "code,batch,kind,expires_at" and len(lines) == 4
    assert all(",invite," in line for line in lines[1:])


def test_bad_duration_is_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["codes", "mint", "3", "--expires", "soon"])
    assert "say for example 30d" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "config"),
    [
        (["run"], None),
        (["--config", "x.toml", "run"], "x.toml"),
        (["run", "--config", "x.toml"], "x.toml"),
        (["--config", "early.toml", "run", "--config", "late.toml"], "late.toml"),
        (["--config", "x.toml", "codes", "mint", "3"], "x.toml"),
        (["codes", "mint", "3", "--config", "x.toml"], "x.toml"),
        (["db", "upgrade", "--config", "x.toml"], "x.toml"),
    ],
)
def test_config_is_read_before_or_after_the_command(argv: list[str], config: str | None) -> None:
    assert getattr(build_parser().parse_args(argv), "config", None) == config


def test_every_command_lists_config_in_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    commands: list[tuple[str, ...]] = []
    build_parser(commands)
    assert ("codes", "mint") in commands and ("discord", "sync") in commands
    for words in [(), *commands]:
        with pytest.raises(SystemExit) as stopped:
            build_parser().parse_args([*words, "--help"])
        assert stopped.value.code == 0
        assert "--config CONFIG" in capsys.readouterr().out, words


def test_version_is_the_installed_packages(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == f"dynamo {version('dynamo-bot')}"


def test_a_wrong_run_line_is_explained_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--config"])
    assert "expected one argument" in capsys.readouterr().err


async def test_a_server_that_never_lets_the_bot_in_delays_loading_only_so_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Silent:
        async def wait_ready(self) -> None:
            await asyncio.Event().wait()

    monkeypatch.setattr("bot.cli.JOIN_WAIT", 0.05)
    async with asyncio.timeout(5):
        await _until_joined([SimpleNamespace(conn=Silent())])  # type: ignore[list-item]


def test_console_tour_script(tmp_path: Path) -> None:
    """The README's tour runs as a script through the real `dynamo console`."""
    config = write_config(tmp_path, "[rules]\nlaunch_upvotes = 3\n")
    tour = (ROOT / "docs" / "tour.txt").read_text()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DYNAMO_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--config", str(config), "console"],
        input=tour,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    assert "[#dynamo] New idea #1 by" in out
    assert "is now a campaign" in out
    assert "Signed" in out and "Petition #1: 3 signatures" in out
    assert "alice" not in "\n".join(x for x in out.splitlines() if x.startswith("[#dynamo]"))


def test_minting_never_loses_codes_already_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    out = tmp_path / "codes.csv"
    mint = ["--config", str(config), "codes", "mint"]
    assert main([*mint, "3", "--out", str(out)]) == 0
    first = out.read_text()
    capsys.readouterr()
    # The same file again: refused before any code is made, the 3 codes in it kept.
    assert main([*mint, "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "holds codes already" in err and "--append" in err and "--force" in err
    assert out.read_text() == first
    assert main([*mint, "2", "--out", str(out), "--append"]) == 0
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert len(rows) == 5 and out.read_text().startswith(first)  # one header, then 3 + 2
    assert main([*mint, "1", "--out", str(out), "--force"]) == 0
    assert len(list(csv.DictReader(out.read_text().splitlines()))) == 1
    assert "wrote 1 worker code to" in capsys.readouterr().out


def test_a_codes_file_that_cannot_be_written_makes_no_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    mint = ["--config", str(config), "codes", "mint", "1"]
    assert main([*mint, "--out", str(tmp_path / "missing" / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert "Its folder does not exist" in err and "Traceback" not in err
    # Nothing was stored: the next batch printed is the only one.
    assert main([*mint]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2  # the header and one code

    async def stored() -> int:
        from sqlalchemy import func, select

        from storage.db import Database
        from storage.models import RegistrationCode

        db = Database(f"sqlite:///{tmp_path / 'dynamo.db'}")
        try:
            async with db.read() as conn:
                return int(
                    (
                        await conn.execute(
                            select(func.count()).select_from(RegistrationCode.__table__)
                        )
                    ).scalar_one()
                )
        finally:
            await db.dispose()

    assert asyncio.run(stored()) == 1


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("99999999999999999999d", "is not a duration"),
        ("0d", "out of range: give from 1m to 3650d"),
        ("4000d", "out of range"),
    ],
)
def test_expiry_out_of_range_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], expires: str, message: str
) -> None:
    config = write_config(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["--config", str(config), "codes", "mint", "1", "--expires", expires])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_db_upgrade_says_what_it_did_and_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    first = capsys.readouterr()
    assert first.out.startswith("the database schema is migrated from nothing to ")
    assert first.err == ""  # no Alembic or log lines without --verbose
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    assert capsys.readouterr().out.startswith("the database is up to date (schema ")


def test_run_without_a_chat_or_a_token_stops_before_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path)
    assert main(["--config", str(config), "run"]) == 2
    assert "[[irc]] table or a [discord] table" in capsys.readouterr().err
    monkeypatch.delenv("DYNAMO_DISCORD_TOKEN", raising=False)
    config = write_config(
        tmp_path,
        "[[discord.guilds]]\nid = 1\nannounce_channel_id = 2\ncampaign_parent_channel_id = 3\n",
    )
    assert main(["--config", str(config), "run"]) == 2
    assert "[discord] needs a bot token" in capsys.readouterr().err
    assert not (tmp_path / "dynamo.db").exists()  # nothing migrated before that answer


def test_revoking_a_batch_as_a_real_process(tmp_path: Path) -> None:
    """`dynamo codes revoke --batch B`: the batch's unused codes no longer register; another
    batch's still do."""
    config = write_config(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DYNAMO_DATABASE_URL", None)
    # The console tries the codes on its own openly known key, so no real one made the file.
    env.pop("DYNAMO_SECRET_KEY", None)

    def dynamo(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "--config", str(config), *argv],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=tmp_path,
            check=False,
        )

    minted = dynamo("codes", "mint", "2", "--batch", "leaked")
    assert minted.returncode == 0, minted.stderr
    leaked = [row["code"] for row in csv.DictReader(minted.stdout.splitlines())]
    kept = dynamo("codes", "mint", "1", "--batch", "fine")
    (fine,) = [row["code"] for row in csv.DictReader(kept.stdout.splitlines())]

    revoked = dynamo("codes", "revoke", "--batch", "leaked")
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == "revoked 2 unused codes of batch leaked"
    again = dynamo("codes", "revoke", "--batch", "leaked")
    assert again.stdout.strip() == "revoked 0 unused codes of batch leaked"
    missing = dynamo("codes", "revoke", "--batch", "nope")
    assert missing.returncode == 2 and "there is no batch 'nope'" in missing.stderr

    script = f"/as nora\nregister {leaked[0]}\n/as omar\nregister {fine}\n/quit\n"
    console = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--config", str(config), "console"],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert console.returncode == 0, console.stderr
    assert "withdrawn and no longer works" in console.stdout
    assert "could be" in console.stdout
