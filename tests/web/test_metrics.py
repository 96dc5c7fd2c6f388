"""An operator's monitor reads /metrics (when `[web] metrics = true`): what was done, how
fast, what waits to be delivered and where, and nothing about anyone."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.web.settings import WebSettings
from storage.repos import outbox
from storage.types import utcnow
from tests.web.conftest import Web


@pytest.fixture
def web_settings() -> WebSettings:
    return WebSettings(listen="127.0.0.1:0", metrics=True)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_a_monitor_reads_commands_backlog_and_spaces(web: Web) -> None:
    chat = web.chat
    alice = await chat.join("alice")
    await chat.dm("alice", "pitch Fair pay for surveys")
    await chat.dm("alice", "upvote 99")
    # A network served by another process that is down: its announcement waits.
    async with chat.db.write() as conn:
        await outbox.add(
            conn,
            [
                {
                    "kind": "announce",
                    "space": "irc:elsewhere",
                    "event": "idea_pitched",
                    "payload": {"text": "waiting"},
                    "stream": None,
                    "member_id": None,
                    "created_at": utcnow(),
                    "available_at": utcnow(),
                }
            ],
        )

    status, text, headers = await web.get("/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    seen = samples(text)
    pitched = (
        "dynamo_commands_total",
        (("command", "pitch"), ("outcome", "ok"), ("platform", "console")),
    )
    assert seen[pitched] == 1
    assert seen[("dynamo_command_seconds_count", (("command", "pitch"),))] == 1
    assert any(
        name == "dynamo_commands_total" and ("outcome", "ok") not in labels
        for (name, labels) in seen
        if ("command", "upvote") in labels
    )
    # What waits is what the outbox holds unsent (the console delivers as it goes).
    backlog = {labels: v for (name, labels), v in seen.items() if name == "dynamo_outbox_backlog"}
    async with chat.db.read() as conn:
        assert sum(backlog.values()) == await outbox.pending_count(conn)
    assert backlog[(("kind", "announce"), ("space", "irc:elsewhere"))] == 1
    assert seen[("dynamo_space_up", (("space", "console"), ("state", "up")))] == 1
    assert seen[("dynamo_emails_sent_total", ())] == 0
    # Names of commands and spaces only: no member, pseudonym or identity.
    assert alice not in text and "alice" not in text


@pytest.mark.parametrize("web_settings", [WebSettings(listen="127.0.0.1:0")])
async def test_without_metrics_there_is_no_such_page(web: Web) -> None:
    status, _, _ = await web.get("/metrics")
    assert status == 404
