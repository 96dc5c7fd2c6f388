"""A petition's statement never changes under its signers (issue: keeping its word)."""

from __future__ import annotations

import pytest

from commands.framework.rules import Rules
from tests.commands.test_campaigns import launched
from tests.harness import ConsoleChat


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2)


async def test_a_signed_statement_is_frozen_and_a_change_is_a_new_version(
    chat: ConsoleChat,
) -> None:
    await launched(chat)
    await chat.dm("alice", "petition 1 We ask requesters to pay 15 USD/hour.")
    assert "Signed" in await chat.dm("bob", "sign 1")
    assert "Signed" in await chat.dm("carol", 'sign 1 researcher as "Dr. Carol"')
    await chat.deliver()

    changed = await chat.dm("alice", "petition 1 Changed statement: pay 5 USD/hour.")
    assert "version 2" in changed and "told privately" in changed
    await chat.deliver()
    # Each signer is told, privately, what changed and how to sign the new text.
    for signer in ("bob", "carol"):
        told = chat.last_dm(signer)
        assert "new statement (version 2)" in told and "pay 5 USD/hour" in told
        assert "Your signature stays on the statement you signed" in told and "`sign 1`" in told
    assert "2 signatures stay on the earlier version" in chat.announcements[-1]

    # Nobody stands under the new text until they sign it; the old count stays with the old.
    info = await chat.dm("dave", "campaign 1")
    assert "Petition (version 2)" in info and "0 signatures" in info
    assert "version 1, 2 signatures" in info
    signers = await chat.dm("dave", "signers 1")
    assert "version 2: 0 signatures" in signers and "version 1, 2 signatures" in signers
    assert "Dr. Carol" not in signers  # she showed her name under the old text only

    assert "Signed the new statement (version 2)" in await chat.dm("bob", "sign 1")
    signers = await chat.dm("dave", "signers 1")
    assert "version 2: 1 signature" in signers and "version 1, 1 signature" in signers
    assert "It has 2 signatures" in await chat.dm("dave", "sign 1")


async def test_an_unsigned_statement_can_be_reworded_in_place(chat: ConsoleChat) -> None:
    await launched(chat)
    await chat.dm("alice", "petition 1 We ask for fair pay.")
    reworded = await chat.dm("alice", "petition 1 We ask requesters for fair pay.")
    assert "reworded (nobody had signed it yet)" in reworded
    assert "version" not in await chat.dm("dave", "signers 1")
    assert "already says exactly that" in await chat.dm(
        "alice", "petition 1 We ask requesters for fair pay."
    )


async def test_unsigning_an_old_version_leaves_the_current_count(chat: ConsoleChat) -> None:
    await launched(chat)
    await chat.dm("alice", "petition 1 First text.")
    await chat.dm("bob", "sign 1")
    await chat.dm("alice", "petition 1 Second text.")
    await chat.dm("carol", "sign 1")
    assert "(1 signature now)" in await chat.dm("bob", "unsign 1")
    assert "version 1" not in await chat.dm("dave", "signers 1")


async def test_closing_freezes_the_document_and_the_petition_everywhere(
    chat: ConsoleChat,
) -> None:
    await chat.join("admin")  # the first member is the admin
    await launched(chat)
    assert "revision 1" in await chat.dm("bob", "doc 1 edit Our demands.")
    await chat.dm("alice", "petition 1 We ask for fair pay.")
    await chat.dm("bob", "sign 1")
    assert "closed" in await chat.dm("admin", "mod close 1")

    refused = await chat.dm("bob", "doc 1 edit Rewritten after the close.")
    assert "is closed" in refused and "stays as it was" in refused
    assert "r1 edit" in await chat.dm("bob", "doc 1 history")
    assert "Rewritten" not in await chat.dm("bob", "doc 1")
    assert "frozen since the campaign closed" in await chat.dm("bob", "doc 1")

    info = await chat.dm("dave", "campaign 1")
    assert "closed: it takes no more names" in info and "`sign 1`" not in info
    assert "frozen at revision 1" in info
    assert "no longer takes names" in await chat.dm("dave", "sign 1")

    listing = await chat.dm("dave", "campaigns")
    assert "No active campaigns; 1 campaign closed: `campaigns all` lists them." == listing
    assert "#1 (closed)" in await chat.dm("dave", "campaigns all")
