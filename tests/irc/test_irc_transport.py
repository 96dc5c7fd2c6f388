"""The IRC transport against a real ngircd: every member action by private message."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from bot.transports.irc.connection import IncomingMessage
from commands.framework.reply import IdentityRef
from commands.framework.rules import Rules
from storage.models import Outbox
from storage.repos import outbox
from tests.irc.client import IrcTestClient
from tests.irc.conftest import MakeChat
from tests.irc.harness import CHANNEL
from tests.waiting import eventually


async def test_register_by_pm_flip_and_choose(make_chat: MakeChat) -> None:
    chat = await make_chat()
    code = await chat.mint()
    first = await chat.dm("alice", f"register {code}")
    assert "could be" in first
    second = await chat.dm("alice", "another")
    assert "could be" in second and second != first
    chosen = await chat.dm("alice", "choose")
    assert "You are \x02" in chosen
    assert "already registered" in await chat.dm("alice", f"register {code}")


async def test_pitch_announced_with_pseudonym_and_no_nick(make_chat: MakeChat) -> None:
    chat = await make_chat()
    pseudonym = await chat.join("alice")
    assert "idea #1" in await chat.dm("alice", "pitch Pay for qualification tests")
    line = await chat.announcement("New idea #1")
    assert pseudonym in line.text and "Pay for qualification tests" in line.text
    assert all("alice" not in text.lower() for text in chat.channel_lines())


async def test_public_pitch_refused_privately_and_not_acted_on(make_chat: MakeChat) -> None:
    chat = await make_chat()
    await chat.join("alice")
    alice = await chat.client("alice")
    mark = alice.mark()
    await chat.say("alice", "!pitch Leaky idea")
    hint = await alice.wait_for(
        lambda line: line.command == "PRIVMSG" and line.params[0] == "alice", since=mark
    )
    assert "private message" in hint.text and "/msg dynamo" in hint.text
    await chat.say("alice", "!ideas")
    answer = await chat.announcement("No open ideas")
    assert answer.params[0] == CHANNEL


async def test_channel_read_commands_and_paging(make_chat: MakeChat) -> None:
    chat = await make_chat(rules=Rules(pitches_per_day=20))
    await chat.join("alice")
    for i in range(8):
        await chat.dm("alice", f"pitch Idea number {i}")
    await chat.say("bob", "!ideas")
    await chat.announcement(r"4 more lines: say !more")
    await chat.say("bob", "!more")
    await chat.announcement(r"Idea number 0")
    await chat.say("bob", "!frobnicate")  # another bot's command: we stay quiet
    await chat.say("bob", "!idea 3")
    await chat.announcement(r"#3 by .*Idea number 2")
    assert not any("frobnicate" in text for text in chat.channel_lines())


async def test_25_upvotes_launch_once_on_two_networks(make_chat: MakeChat) -> None:
    chat = await make_chat(networks=2)
    await chat.join("author", "net1")
    await chat.dm("author", "pitch Launch me everywhere", "net1")
    for network in ("net1", "net2"):
        await chat.announcement("New idea #1", network)
    voters = [(f"v{i}", "net1" if i % 2 else "net2") for i in range(25)]
    await asyncio.gather(*(chat.join(person, network) for person, network in voters))
    replies = await asyncio.gather(*(chat.dm(p, "upvote 1", n) for p, n in voters))
    assert sum("launched it" in r for r in replies) == 1
    for network in ("net1", "net2"):
        await chat.announcement("is now a campaign", network)
    await asyncio.sleep(0.3)  # nothing more is coming
    for network in ("net1", "net2"):
        lines = chat.channel_lines(network)
        assert sum("is now a campaign" in text for text in lines) == 1
        # The vote storm cost at most 3 lines: the milestone and the launch.
        assert len(lines) - 1 <= 3, lines


async def test_sign_and_say_relay(make_chat: MakeChat) -> None:
    chat = await make_chat(networks=2, rules=Rules(launch_upvotes=1))
    await chat.join("author", "net1")
    await chat.dm("author", "pitch Petition me", "net1")
    await chat.dm("author", "upvote 1", "net1")
    await chat.dm("author", "petition 1 We ask for fair pay.", "net1")
    for network in ("net1", "net2"):
        await chat.announcement("petition of campaign #1 is open", network)
    pseudonym = await chat.join("signer7", "net2")
    assert "1 signature" in await chat.dm("signer7", "sign 1", "net2")
    assert "Said in campaign #1" in await chat.dm("signer7", "say 1 I will draft it", "net2")
    for network in ("net1", "net2"):
        line = await chat.announcement(r"\[campaign 1\] <", network)
        assert line.text.endswith(f"<{pseudonym}> I will draft it [say 1]")
        # The nick (with a digit, which no pseudonym has) never shows beside the pseudonym.
        assert "signer7" not in line.text


async def test_campaign_channels_tell_followers_and_invite_nobody(make_chat: MakeChat) -> None:
    """Inviting every online follower at launch, in member order, showed anyone watching
    the new channel's JOINs who had voted for it. Followers are told instead, privately,
    and join when they like (or never)."""
    chat = await make_chat(rules=Rules(launch_upvotes=1), campaign_channels=True)
    await chat.join("author")
    await chat.join("voter")
    await chat.dm("author", "pitch Own channel")
    await chat.dm("voter", "upvote 1")
    author = await chat.client("author")
    # Told privately; the channel's announcement of the launch (another lane) may come first.
    told = await author.wait_for(
        lambda line: "is now a campaign" in line.text and line.params[0] == "author"
    )
    assert told.text.endswith("The campaign has a channel here, #dynamo-1: join when you like.")
    await chat.announcement("Idea #1 is now a campaign")
    joining = author.mark()
    await author.join("#dynamo-1")
    topic = await author.wait_for(lambda line: line.command == "332", since=joining)
    assert topic.text == "Campaign #1: Own channel"
    mark = author.mark()
    await chat.dm("author", "say 1 Welcome, all")
    said = await author.wait_for(
        lambda line: line.command == "PRIVMSG" and line.params[0] == "#dynamo-1", since=mark
    )
    assert said.text.endswith("> Welcome, all [say 1]") and "author" not in said.text
    voter = await chat.client("voter")
    for person in (author, voter, chat.watchers["net1"]):
        assert not person.received(lambda line: line.command == "INVITE")


async def test_notice_waits_until_member_joins(make_chat: MakeChat) -> None:
    chat = await make_chat()
    await chat.join("boss")
    bob = await chat.join("bob")
    bob_client = await chat.client("bob")
    await bob_client.part(CHANNEL)
    assert "is now moderator" in await chat.dm("boss", f"mod promote {bob} moderator")
    await asyncio.sleep(0.3)
    assert not bob_client.received("you are now a moderator")
    await bob_client.join(CHANNEL)
    notice = await bob_client.wait_for("you are now a moderator")
    assert notice.params[0].lower() == "bob"


async def test_server_restart_loses_no_announcement(make_chat: MakeChat) -> None:
    # Reconnect attempts back off while the server is down; on a busy machine the wait for
    # a failed delivery can take many of them: cap the backoff so the bot is back promptly.
    chat = await make_chat(reconnect_max_delay=1.0)
    await chat.join("alice")
    await chat.dm("alice", "pitch Before the outage")
    await chat.announcement("Before the outage")
    server = chat.servers["net1"]
    transport = chat.transports["net1"]
    for client in [*chat.people.values(), *chat.watchers.values()]:
        await client.close()
    chat.people.clear()
    await server.kill()
    # While the server is down, a member on another platform pitches; delivery fails.
    console = IdentityRef("console:carol", "console")
    await chat.app.invoker.handle(console, f"register {await chat.mint()}", where="dm")
    await chat.app.invoker.handle(console, "choose", where="dm")
    await chat.app.invoker.handle(console, "pitch During the outage", where="dm")

    async def attempted() -> bool:
        async with chat.db.read() as conn:
            row = (await conn.execute(sa.select(Outbox.__table__).order_by(Outbox.id))).all()[-1]
        # Tried, and waiting: a network that is down is not a failure (attempts stay 0).
        tried = row.last_error is not None and "space down" in row.last_error
        return tried and row.attempts == 0 and row.sent_at is None

    await eventually(attempted, "a delivery tried while the server is down")
    # Hold deliveries until someone is in the channel to see them (the test's watcher).
    await chat.app.dispatcher.stop()
    await server.restart()
    await eventually(lambda: transport.conn.ready_count >= 2, "the bot back in its channel")
    watcher = await IrcTestClient.connect(server.host, server.port, "watch9")
    await watcher.join(CHANNEL)
    chat.watchers["net1"] = watcher
    chat.app.dispatcher.start()
    await chat.announcement("During the outage")

    async def none_pending() -> bool:
        async with chat.db.read() as conn:
            return await outbox.pending_count(conn) == 0

    # Marked sent just after the line is written: by then the watcher may already have it.
    await eventually(none_pending, "every announcement marked sent")


async def test_cr_injection_is_inert(make_chat: MakeChat) -> None:
    chat = await make_chat()
    await chat.join("mallory")
    mallory = await chat.client("mallory")
    await mallory.join("#injected")
    # Text from another platform can carry a bare CR; it must never start an IRC line.
    console = IdentityRef("console:mallory", "console")
    await chat.app.invoker.handle(console, f"register {await chat.mint()}", where="dm")
    await chat.app.invoker.handle(console, "choose", where="dm")
    reply = await chat.app.invoker.handle(
        console, "pitch innocent\rJOIN #injected\r\nPRIVMSG #injected :pwned", where="dm"
    )
    assert reply.ok
    await chat.announcement("innocent")
    await asyncio.sleep(0.3)
    assert "dynamo" not in {n.lower().lstrip("@+") for n in await mallory.names("#injected")}
    assert not mallory.received(
        lambda line: line.command == "PRIVMSG" and "#injected" == line.params[0]
    )
    # The injected words arrived as plain text inside the announce channel.
    assert any("JOIN #injected" in text for text in chat.channel_lines())
    # Hostile input by PM gets a clear answer, never a crash.
    answer = await chat.dm("mallory", "pitch " + "\u202e" * 150)
    assert "pitch is empty" in answer
    answer = await chat.dm("mallory", "pitch " + "é" * 141)
    assert "limit is 140" in answer


async def test_burst_of_50_announcements_with_default_penalties(make_chat: MakeChat) -> None:
    chat = await make_chat(penalties=True, burst=4, rate=3.0)
    now = chat.app.clock()
    rows = [
        {
            "kind": "announce",
            "space": "irc:net1",
            "event": "test_burst",
            "payload": {"text": f"Announcement {i:02d}"},
            "created_at": now,
            "available_at": now,
            "attempts": 0,
        }
        for i in range(50)
    ]
    async with chat.db.write() as conn:
        await outbox.add(conn, rows)
    chat.app.dispatcher.wake()
    await chat.announcement("Announcement 49", within=40)
    texts = [t for t in chat.channel_lines() if t.startswith("Announcement")]
    assert texts == [f"Announcement {i:02d}" for i in range(50)]
    assert chat.transports["net1"].conn.ready_count == 1  # never disconnected
    async with chat.db.read() as conn:
        sent = await conn.scalar(
            sa.select(sa.func.count()).select_from(Outbox).where(Outbox.sent_at.is_not(None))
        )
    assert sent == 50


async def test_a_message_names_the_connection_it_came_by(make_chat: MakeChat) -> None:
    """user@host stays when a nick changes: the command layer holds wrong-code limits on it."""
    chat = await make_chat()
    transport = chat.transports["net1"]
    message = IncomingMessage("net1", "Vic", "vic", "dynamo", "help", True, "~Vic@Host.Example")
    identity = transport.identity(message)
    assert identity == IdentityRef("irc:net1:vic", "irc", connection="irc:net1:~vic@host.example")
    anonymous = IncomingMessage("net1", "Vic", None, "dynamo", "help", True, "~vic@h")
    assert transport.identity(anonymous) is None
