"""Items 5-7: campaigns, the shared document and the petition."""

from __future__ import annotations

import pytest

from commands.framework.rules import Rules
from tests.harness import ConsoleChat


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2, doc_max_chars=200)


async def launched(chat: ConsoleChat) -> dict[str, str]:
    """alice pitches #1, bob and carol upvote it: campaign #1 with alice organizing."""
    names = {p: await chat.join(p) for p in ("alice", "bob", "carol", "dave")}
    await chat.dm("alice", "pitch Fair pay for surveys")
    await chat.dm("bob", "upvote 1")
    await chat.dm("carol", "upvote 1")
    return names


async def test_campaign_overview(chat: ConsoleChat) -> None:
    names = await launched(chat)
    listing = await chat.dm("dave", "campaigns")
    assert "#1" in listing and "Fair pay for surveys" in listing
    info = await chat.dm("dave", "campaign 1")
    assert "active" in info and f"Organizers: {names['alice']}" in info
    assert "Document: empty" in info and "Petition: none yet" in info
    await chat.dm("alice", "pitch Not launched")
    assert "still an idea" in await chat.dm("dave", "campaign 2")
    assert "no campaign #7" in await chat.dm("dave", "campaign 7")


async def test_document_edit_append_history_revert(chat: ConsoleChat) -> None:
    names = await launched(chat)
    assert "empty" in await chat.dm("dave", "doc 1")
    assert "revision 1" in await chat.dm("dave", "doc 1 edit Our demands:")
    assert "revision 2" in await chat.dm("bob", "doc 1 append 1. Pay for tests.")
    doc = await chat.dm("carol", "doc 1")
    assert "Our demands:\n1. Pay for tests." in doc and names["bob"] in doc
    history = await chat.dm("carol", "doc 1 history")
    assert history.index("r2 append") < history.index("r1 edit")
    assert names["dave"] in history and names["bob"] in history
    assert "Only organizers" in await chat.dm("dave", "doc 1 revert 1")
    assert "revision 3" in await chat.dm("alice", "doc 1 revert 1")
    assert "1. Pay" not in await chat.dm("carol", "doc 1")
    assert "no revision 9" in await chat.dm("alice", "doc 1 revert 9")
    assert "which revision" in await chat.dm("alice", "doc 1 revert x")


async def test_document_is_long_form_but_capped(chat: ConsoleChat) -> None:
    await launched(chat)
    assert "revision 1" in await chat.dm("bob", "doc 1 edit " + "a" * 190)
    refused = await chat.dm("bob", "doc 1 append " + "b" * 20)
    assert "would be 211 characters" in refused and "limit is 200" in refused
    assert "limit is 200" in await chat.dm("bob", "doc 1 edit " + "c" * 201)
    history = await chat.dm("bob", "doc 1 history")
    assert "r1 edit" in history and "r2" not in history


async def test_petition_sign_unsign_signers(chat: ConsoleChat) -> None:
    names = await launched(chat)
    assert "no petition yet" in await chat.dm("bob", "sign 1")
    assert "Only organizers" in await chat.dm("dave", "petition 1 We ask for more.")
    assert "is open" in await chat.dm("alice", "petition 1 We ask requesters to pay fairly.")
    assert any("We ask requesters to pay fairly." in a for a in chat.announcements)
    assert "1 signature" in await chat.dm("bob", "sign 1")
    assert "2 signatures" in await chat.dm("carol", 'sign 1 researcher as "Dr. Carol, UCSD"')
    assert "3 signatures" in await chat.dm("dave", "sign 1 ally")
    assert "updated" in await chat.dm("dave", "sign 1 ally")
    signers = await chat.dm("alice", "signers 1")
    assert "3 signatures" in signers
    assert "1 worker" in signers and "1 researcher" in signers and "1 ally" in signers
    assert "Dr. Carol, UCSD (researcher)" in signers
    for pseudonym in names.values():
        assert pseudonym not in signers
    assert "removed" in await chat.dm("dave", "unsign 1")
    assert "2 signatures" in await chat.dm("alice", "campaign 1")
    assert "had not signed" in await chat.dm("dave", "unsign 1")
    public = await chat.channel("dave", "!signers 1")
    assert public is not None and "2 signatures" in public
    assert "#1" in await chat.dm("dave", "subscriptions")


async def test_signing_follows_the_campaign(chat: ConsoleChat) -> None:
    await launched(chat)
    await chat.dm("alice", "petition 1 Statement")
    assert "follow nothing" in await chat.dm("dave", "subscriptions")
    await chat.dm("dave", "sign 1")
    assert "#1 (campaign)" in await chat.dm("dave", "subscriptions")


async def test_say_posts_under_pseudonym_everywhere(chat: ConsoleChat) -> None:
    names = await launched(chat)
    assert "Said in campaign #1" in await chat.dm("dave", "say 1 I can draft the letter.")
    said = f"[campaign 1] <{names['dave']}> I can draft the letter. [say 1]"
    assert said in chat.announcements
    assert "dave" not in chat.everything_public()
    assert "no campaign #2" in await chat.dm("dave", "say 2 hello")
    assert await chat.channel("dave", "!say 1 hi") is None
    assert "limit is 400" in await chat.dm("dave", "say 1 " + "x" * 401)
