"""The public moderation log: anyone reads, in a channel or privately, what moderators did,
to what, by which moderator's pseudonym and why; a ban names no one unless the moderator
chose to."""

from __future__ import annotations

import pytest

from commands.framework.rules import Rules
from commands.moderation import PAGE
from tests.harness import ConsoleChat


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=5)


async def test_the_public_log_names_moderators_by_pseudonym_and_bans_by_no_one(
    chat: ConsoleChat,
) -> None:
    await chat.join("admin")
    mia = await chat.join("mia")
    grumpy = await chat.join("grumpy")
    loud = await chat.join("loud")
    await chat.dm("admin", f"mod promote {mia} moderator")
    await chat.dm("grumpy", "pitch Buy followers here")
    assert "public log says only" in await chat.dm("mia", f"mod ban {grumpy} spam links")
    assert "public log names them" in await chat.dm("mia", f"mod ban {loud} named threats")
    assert "hidden" in await chat.dm("mia", "mod hide 1 advertising")
    assert "closed" in await chat.dm("mia", "mod close 1")  # the old syntax still works

    log = await chat.channel("bob", "!modlog")
    assert log is not None
    lines = log.splitlines()
    assert lines[0] == "Moderation log, newest first:"
    assert lines[1].endswith(f"{mia}: closed #1.")
    assert lines[2].endswith(f"{mia}: hid idea #1. Reason: advertising")
    assert lines[3].endswith(f"{mia}: banned {loud}. Reason: threats")
    assert lines[4].endswith(f"{mia}: a member was banned. Reason: spam links")
    assert grumpy not in log
    assert "console:" not in log  # accounts never, pseudonyms only
    # Moderators' own log still says whom.
    assert grumpy in await chat.dm("mia", "mod log")


async def test_the_public_log_pages(chat: ConsoleChat) -> None:
    await chat.join("admin")
    await chat.dm("admin", "pitch One idea")
    for n in range(PAGE // 2 + 1):
        await chat.dm("admin", f"mod hide 1 round {n}")
        await chat.dm("admin", f"mod unhide 1 round {n}")
    first = await chat.dm("admin", "modlog")
    assert "More: `modlog 2`" in first and first.count("Reason: round") == PAGE
    second = await chat.dm("admin", "modlog 2")
    assert second.startswith("Moderation log, page 2:") and "More" not in second
    assert "no page 3" in await chat.dm("admin", "modlog 3")


async def test_an_empty_log_says_so(chat: ConsoleChat) -> None:
    assert "empty" in await chat.dm("bob", "modlog")
