"""Leaving: `leave` asks to confirm, then erases the member everywhere; what they gave
stays, counted, under "former member"; the pseudonym is never handed out again."""

from __future__ import annotations

import re

import pytest

from commands.framework.rules import Rules
from tests.harness import ConsoleChat


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=1)


def _confirm(reply: str, choice: str) -> str:
    found = re.search(rf"`(leave {choice} [0-9a-f]{{8}})`", reply)
    assert found, reply
    return found.group(1)


async def test_leave_asks_first_then_keeps_contributions_as_former_member(
    chat: ConsoleChat,
) -> None:
    await chat.join("admin")
    alice = await chat.join("alice")
    await chat.join("bob")
    await chat.dm("alice", "pitch Fair pay for every task")
    await chat.dm("bob", "upvote 1")
    asked = await chat.dm("alice", "leave")
    assert "can't be undone" in asked
    assert alice in await chat.dm("alice", "whoami")  # nothing happened yet
    assert "wrong or has expired" in await chat.dm("alice", "leave keep 00000000")
    done = await chat.dm("alice", _confirm(asked, "keep"))
    assert "You have left" in done
    idea = await chat.dm("bob", "idea 1")
    assert "Fair pay" in idea and "former member" in idea and alice not in idea
    assert "register" in (await chat.dm("alice", "whoami")).lower()
