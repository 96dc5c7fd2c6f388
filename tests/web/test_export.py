"""An organizer hands a campaign to its target: `dynamo export campaign N` (run as a real
process) and the downloads on the campaign's page give the same files, with the document,
each petition version, the counts and the names people chose to show, and nothing else
about anyone."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Config
from commands import export
from commands.framework.privacy import NO_DELAY
from commands.framework.rules import Rules
from storage.db import Database
from storage.repos import members
from storage.vault import Vault
from tests.harness import ConsoleChat
from tests.web.conftest import Web

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=3)


async def a_campaign(chat: ConsoleChat) -> None:
    for person in ("alice", "bob", "carol", "dave"):
        await chat.join(person)
    await chat.dm("alice", "pitch Fair pay for surveys")
    for voter in ("bob", "carol", "dave"):
        await chat.dm(voter, "upvote 1")
    await chat.dm("alice", "petition 1 We ask requesters to pay *fairly*.")
    await chat.dm("bob", 'sign 1 as "=Kristy M., Turker since 2011"')
    await chat.dm("alice", "petition 1 We ask requesters to pay the minimum wage.")
    await chat.dm("carol", "sign 1 researcher")
    await chat.dm("dave", "sign 1")
    await chat.dm("alice", "doc 1 edit Plan: write to the requesters first.")
    await chat.deliver()


async def test_the_campaign_page_offers_the_files(web: Web) -> None:
    await a_campaign(web.chat)
    status, md, headers = await web.get("/campaigns/1/export.md")
    assert status == 200
    assert headers["Content-Disposition"] == 'attachment; filename="campaign-1.md"'
    assert headers["Content-Type"].startswith("text/markdown")
    assert "# Campaign #1: Fair pay for surveys" in md
    assert "## Petition, version 2 (current)" in md and "## Petition, version 1" in md
    assert "We ask requesters to pay \\*fairly\\*." in md
    assert "2 signatures (1 worker, 1 researcher, 0 allies)." in md
    assert "=Kristy M., Turker since 2011 (worker)" in md
    assert "Plan: write to the requesters first." in md

    status, table, headers = await web.get("/campaigns/1/export.csv")
    rows = list(csv.reader(io.StringIO(table)))
    assert rows[0] == ["campaign", "what", "version", "category", "value"]
    assert ["1", "count", "2", "researcher", "1"] in rows
    # A spreadsheet would run a name that starts like a formula: it stays text.
    assert ["1", "name", "1", "worker", "'=Kristy M., Turker since 2011"] in rows

    status, page, headers = await web.get("/campaigns/1/export.html")
    assert headers["Content-Disposition"] == 'attachment; filename="campaign-1.html"'
    assert "<blockquote>We ask requesters to pay the minimum wage.</blockquote>" in page
    status, _, _ = await web.get("/campaigns/9/export.md")
    assert status == 404

    shown = md + table + page
    async with web.chat.app.db.read() as conn:
        found = [await members.member_by_id(conn, i) for i in (1, 2, 3, 4)]
    assert all(m is not None and m.pseudonym not in shown for m in found)
    for handle in ("alice", "bob", "carol", "dave"):
        assert handle not in shown


async def test_dynamo_export_writes_the_same_files(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'dynamo.db'}", vault=Vault.from_environ())
    chat = ConsoleChat(db, Config(rules=Rules(launch_upvotes=3), privacy=NO_DELAY))
    await chat.start()
    await a_campaign(chat)
    async with db.read() as conn:
        campaign = await export.gather(conn, 1)
    assert campaign is not None
    expected = export.render(campaign, "csv")
    await chat.stop()
    await db.dispose()

    config = tmp_path / "config.toml"
    config.write_text(
        f'[web]\nlisten = ""\n\n[database]\nurl = "sqlite:///{tmp_path / "dynamo.db"}"\n'
    )
    out = tmp_path / "campaign-1.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DYNAMO_DATABASE_URL", None)

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

    done = dynamo("export", "campaign", "1", "--format", "csv", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().decode("utf-8") == expected
    again = dynamo("export", "campaign", "1", "--format", "csv", "--out", str(out))
    assert again.returncode == 2 and "--force" in again.stderr
    forced = dynamo("export", "campaign", "1", "--format", "md", "--out", str(out), "--force")
    assert forced.returncode == 0 and out.read_text(encoding="utf-8").startswith("# Campaign #1")
    printed = dynamo("export", "campaign", "1", "--format", "html")
    assert (
        printed.returncode == 0 and "<h1>Campaign #1: Fair pay for surveys</h1>" in printed.stdout
    )
    missing = dynamo("export", "campaign", "7")
    assert missing.returncode == 2 and "no campaign #7" in missing.stderr
