"""Fair output: a Sybil flood of strangers never delays a member, and lines queued for a
nick that left never reach whoever takes the nick next.

The attacker connects 30 nicks that each ask the bot for `help` at once. Under ngircd's
default penalties and the bot's default pacing (a burst of 4, then a line a second), that
used to put about 180 lines ahead of everyone else: a member's answer waited half a minute,
and lines kept going out to nicks that had long quit.
"""

from __future__ import annotations

import asyncio

from tests.irc.client import IrcTestClient, Line
from tests.irc.conftest import MakeChat
from tests.irc.harness import BOT, CHANNEL
from tests.waiting import eventually

SYBILS = 30
# The member's answer must come this fast; it is measured at about a second (or less) on a
# loaded 2-core machine, against about 31 s before members went first.
MEMBER_BOUND = 5.0


def to(client: IrcTestClient) -> object:
    def match(line: Line) -> bool:
        return (
            line.command == "PRIVMSG"
            and line.nick.lower().startswith(BOT)
            and line.params[0].lower() == client.nick.lower()
        )

    return match


async def test_a_sybil_flood_never_delays_a_members_reply(make_chat: MakeChat) -> None:
    chat = await make_chat(penalties=True, burst=4, rate=1.0)
    await chat.join("member")
    member = await chat.client("member")
    sybils = list(await asyncio.gather(*(chat.client(f"sybil{i:02d}") for i in range(SYBILS))))
    stats = chat.app.invoker.stats
    answered = stats.get("ok", 0)

    # The flood: every Sybil asks at once.
    await asyncio.gather(*(sybil.privmsg(BOT, "help") for sybil in sybils))
    await eventually(
        lambda: stats.get("ok", 0) >= answered + SYBILS, "the bot answered every Sybil"
    )

    loop = asyncio.get_running_loop()
    mark = member.mark()
    asked = loop.time()
    await member.privmsg(BOT, "ideas")
    reply = await member.wait_for(to(member), timeout=60, since=mark)
    delay = loop.time() - asked
    print(f"member's first reply line after {delay:.3f} s behind a flood of {SYBILS} nicks")
    assert "No open ideas" in reply.text
    assert delay < MEMBER_BOUND

    # A Sybil with lines still queued quits; someone else takes its nick at once. (A
    # `help` is 6 lines: those served some but not all have more waiting.)
    def part_served() -> list[IrcTestClient]:
        return [s for s in sybils if 0 < len(s.received(to(s))) < 6]

    await eventually(lambda: len(part_served()) >= 3, "three Sybils part-way", within=60)
    victim, *others = part_served()
    await victim.quit()
    await eventually(
        lambda: not chat.transports["net1"].conn.is_online(victim.nick), "the bot saw the QUIT"
    )
    heir = await IrcTestClient.connect(
        chat.servers["net1"].host, chat.servers["net1"].port, victim.nick
    )
    chat.people[("heir", "net1")] = heir
    await heir.join(CHANNEL)
    # Every other waiting Sybil gets at least one more line: the queue went past the
    # victim's turn more than once.
    progress = {s.nick: len(s.received(to(s))) for s in others}
    for sybil in others:
        await sybil.wait_for(
            lambda line, s=sybil: to(s)(line) and len(s.received(to(s))) > progress[s.nick],
            timeout=60,
            since=0,
        )
    assert heir.received(to(heir)) == []
    # No Sybil got more than its share: one `help`, 6 lines.
    assert max(len(s.received(to(s))) for s in sybils) <= 6
