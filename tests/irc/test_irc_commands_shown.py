"""On IRC the bot shows each command the way it is typed where it is read, and a long text
arrives as even lines that each fit the server's limit.

In a channel the read-only commands take the prefix (`!idea 1`); what has to be sent
privately is shown as it is typed in a private message (`sign 1`, `register YOUR-CODE`),
because that is where the text tells people to send it. A campaign's document, however
long and in whatever script, reaches its reader whole: its paragraphs kept, every line
within 512 bytes on the wire, no line a full one followed by a scrap.
"""

from __future__ import annotations

from commands.framework.reply import IdentityRef
from commands.framework.rules import Rules
from tests.irc.client import IrcTestClient, Line
from tests.irc.conftest import MakeChat
from tests.irc.harness import BOT, CHANNEL, IrcChat
from tests.irc.test_irc_forged_lines import console_member

# ngircd's limit: 512 bytes a line, CR LF included.
WIRE_LIMIT = 512
# Asked after a question, on the other side, to know its answer is complete: answers that
# succeed (a refusal is paced like a stranger's line).
AFTER_PRIVATE, LAST_IN_CHANNEL = "!help help", "Examples: `!help`;"
AFTER_IN_CHANNEL, LAST_PRIVATELY = "whoami", "You are anonymous"
# How a page ends when there is more: "(3 more lines: say more)", "say !more" in a channel.
MORE = " more line"
# 413 characters in one paragraph, as in the report.
DEMANDS = (
    "Our demands to the requesters who post qualification tests: pay for every test at "
    "the same rate as the work it qualifies us for, say in the listing how long it takes, "
    "answer every email from a worker within one week, never reject work for reasons the "
    "instructions did not state, and tell us before a batch is cancelled. We will sign "
    "this petition together and send it to each requester by the end of the month too"
)
assert len(DEMANDS) == 413
# Several paragraphs, some long, in more than one script.
CHARTER = "\n".join(
    paragraph.strip()
    for paragraph in (
        "Grundsätze für faire Bezahlung — " + "Lohnerhöhung für Überstunden und Pausen ✊ " * 9,
        "Short line.",
        "Égalité de traitement pour tous les travailleurs du clic, même à l'étranger. " * 6,
        "日本語の参加者にも同じ条件を。 Всем участникам — равные условия. " * 8,
    )
)


def to(nick: str):
    def match(line: Line) -> bool:
        return (
            line.command == "PRIVMSG"
            and line.nick.lower().startswith(BOT)
            and line.params[0].lower() == nick.lower()
        )

    return match


async def answer(client: IrcTestClient, target: str, line: str) -> list[Line]:
    """Every line the bot sends to `target` (its nick, or the channel) in answer to `line`
    sent there, every page of it.

    An answer is complete once the answer to a question asked after it, on the other side
    (privately for a channel's answer, in the channel for a private one), has come: the bot
    answers one person's lines in order, and asking on the same side would replace the
    page kept for `more`.
    """
    in_channel = target == CHANNEL
    destination = CHANNEL if in_channel else client.nick
    if in_channel:
        other_side, other_target, after, last = client.nick, BOT, AFTER_IN_CHANNEL, LAST_PRIVATELY
    else:
        other_side, other_target, after, last = CHANNEL, CHANNEL, AFTER_PRIVATE, LAST_IN_CHANNEL
    lines: list[Line] = []
    for _page in range(50):
        mark = client.mark()
        await client.privmsg(target, line)
        await client.privmsg(other_target, after)
        await client.wait_for(lambda got: to(other_side)(got) and last in got.text, since=mark)
        lines += client.received(to(destination), since=mark)
        if MORE not in lines[-1].text:
            return lines
        lines.pop()
        line = "!more" if in_channel else "more"
    raise AssertionError(f"the answer to {line!r} never ended")


def said(lines: list[Line]) -> str:
    return "\n".join(line.text for line in lines)


def reassembled(lines: list[Line]) -> str:
    """The text the lines show: a line starting "… " continues the one before it."""
    text = ""
    for line in lines:
        if line.text.startswith("… "):
            text += " " + line.text.removeprefix("… ")
        else:
            text += ("\n" if text else "") + line.text
    return text


async def campaign_one(chat: IrcChat) -> IdentityRef:
    """Ada pitches and upvotes campaign #1 into being; returns a member who can write in
    paragraphs (on another platform)."""
    await chat.join("ada")
    await chat.dm("ada", "pitch Pay for qualification tests")
    assert "launched" in await chat.dm("ada", "upvote 1")
    writer, _pseudonym = await console_member(chat, "writer")
    return writer


async def test_in_a_channel_commands_carry_the_prefix_unless_they_are_sent_privately(
    make_chat: MakeChat,
) -> None:
    chat = await make_chat(rules=Rules(launch_upvotes=1))
    await campaign_one(chat)
    ada = await chat.client("ada")
    petition = "petition 1 We ask requesters to pay for qualification tests."
    assert "announced" in await chat.dm("ada", petition)
    announced = await chat.announcement("The petition of campaign #1 is open")
    assert "sign it privately with `sign 1`" in announced.text

    # Asked in the channel, help shows the channel's commands as typed there, and how to
    # join as it is sent: privately.
    shown = said(await answer(ada, CHANNEL, "!help"))
    assert "`!help COMMAND` explains one" in shown
    assert "New here? Send me privately `register YOUR-CODE` to join." in shown
    about_idea = said(await answer(ada, CHANNEL, "!help idea"))
    assert about_idea.startswith("`!idea IDEA` — ") and "Example: `!idea 12`" in about_idea
    about_sign = said(await answer(ada, CHANNEL, "!help sign"))
    assert about_sign.startswith("`sign CAMPAIGN [worker|researcher|ally] [as NAME]` — ")
    assert "`!sign" not in about_sign

    # A usage error in the channel shows how to type it there.
    wrong = said(await answer(ada, CHANNEL, "!idea first"))
    assert "Usage: `!idea IDEA` (for example `!idea 12`)." in wrong

    # The campaign, asked about in the channel: how to sign stays private.
    campaign = said(await answer(ada, CHANNEL, "!campaign 1"))
    assert "sign it privately: `sign 1`" in campaign

    # Privately, every command is shown as it is typed there.
    private = said(await answer(ada, chat.bot_nick(), "help"))
    assert "`help COMMAND` explains one" in private and "`!" not in private
    assert "Did you mean `idea`?" in await chat.dm("ada", "ideaa 1")


async def test_a_413_character_document_comes_as_two_even_lines(make_chat: MakeChat) -> None:
    chat = await make_chat(rules=Rules(launch_upvotes=1))
    await campaign_one(chat)
    assert "Saved revision 1" in await chat.dm("ada", f"doc 1 edit {DEMANDS}")
    ada = await chat.client("ada")

    header, *document = await answer(ada, chat.bot_nick(), "doc 1")
    assert header.text.startswith("Document of campaign #1 (revision 1, by ")
    assert all(len(line.raw.encode()) + 2 <= WIRE_LIMIT for line in [header, *document])
    first, second = (len(line.raw.encode()) for line in document)
    # Two lines of about the same length, not a full line and a scrap.
    assert abs(first - second) < 20
    assert reassembled(document) == DEMANDS


async def test_a_long_document_in_paragraphs_and_many_scripts_arrives_whole(
    make_chat: MakeChat,
) -> None:
    chat = await make_chat(rules=Rules(launch_upvotes=1))
    writer = await campaign_one(chat)
    # Written where paragraphs can be typed (a form on Discord, the console).
    doc = chat.app.registry.get("doc")
    assert doc is not None
    saved = await chat.app.invoker.invoke(
        writer, doc, {"campaign": 1, "action": "edit", "text": CHARTER}, where="dm"
    )
    assert saved.ok, saved.text
    ada = await chat.client("ada")

    header, *document = await answer(ada, chat.bot_nick(), "doc 1")
    assert header.text.startswith("Document of campaign #1 (revision 1, by ")
    assert all(len(line.raw.encode()) + 2 <= WIRE_LIMIT for line in [header, *document])
    assert reassembled(document) == CHARTER
    # Every paragraph starts a line of its own; each long one is cut evenly.
    paragraphs: list[list[int]] = []
    for line in document:
        if line.text.startswith("… "):
            paragraphs[-1].append(len(line.raw.encode()))
        else:
            paragraphs.append([len(line.raw.encode())])
    assert len(paragraphs) == 4
    long_ones = [sizes for sizes in paragraphs if len(sizes) > 1]
    assert len(long_ones) == 3
    for sizes in long_ones:
        assert max(sizes) - min(sizes) < 40, sizes
