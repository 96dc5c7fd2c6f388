"""The Discord transport's small pieces on their own: text shaping, webhook names, form ids,
and the edit coalescer's timing."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest

from bot.transports.discord.edits import EditCoalescer
from bot.transports.discord.forms import FormError, form_for, parse_form_id, submitted_values
from bot.transports.discord.refusals import (
    ANNOUNCE,
    CAMPAIGN_PARENT,
    KIND,
    MISSING,
    PERMISSIONS,
    MisconfiguredChannel,
    staff_notice,
)
from bot.transports.discord.settings import DiscordGuildSettings
from bot.transports.discord.text import (
    chunks,
    inert,
    member_line,
    one_line,
    render,
    slash_commands,
)
from bot.transports.discord.webhooks import acceptable, avatar_url, webhook_username
from commands.catalog import build_registry
from commands.framework.formatting import quote
from commands.pseudonyms import words
from tests.discord_standin.errors import RestError as StandInRestError
from tests.discord_standin.webhook_names import check_webhook_username

REGISTRY = build_registry()


def test_quoted_commands_become_slash_commands_with_their_options() -> None:
    text = "Send `another` or `pitch YOUR IDEA`; codes look like `K7QF-M2XD`; `mod hide 3`."
    assert slash_commands(text, REGISTRY) == (
        "Send `/another` or `/pitch text:YOUR IDEA`; codes look like `K7QF-M2XD`; "
        "`/mod hide idea:3`."
    )
    assert slash_commands("`pitching` and `upvotes`", REGISTRY) == "`pitching` and `upvotes`"
    # Usage lines and patterns name the options too, optional ones in brackets.
    assert slash_commands(
        "Usage: `sign CAMPAIGN [worker|researcher|ally] [as NAME]`", REGISTRY
    ) == ("Usage: `/sign campaign:CAMPAIGN [category:worker|researcher|ally] [name:NAME]`")
    assert slash_commands('`sign N as "NAME"`, `doc N revert REV`', REGISTRY) == (
        "`/sign campaign:N name:NAME`, `/doc campaign:N action:revert text:REV`"
    )
    # A quote holding member text is theirs, never read as a command; nor is a lone backtick.
    theirs = f"`sign {quote('1 as `mod ban x`')}` and `mod ban {quote('x')}` `sign 2"
    assert slash_commands(theirs, REGISTRY) == theirs
    assert slash_commands("`sign 1 extra words`", REGISTRY) == "`sign 1 extra words`"


def test_long_replies_split_on_lines_within_discords_limit() -> None:
    lines = [f"#{n} [+{n}/-0] an idea that is long enough to matter {'x' * 150}" for n in range(30)]
    parts = chunks("\n".join(lines))
    assert len(parts) > 1 and all(len(p) <= 2000 for p in parts)
    assert "\n".join(parts) == "\n".join(lines)
    one_long_line = "word " * 1000
    assert all(len(p) <= 2000 for p in chunks(one_long_line))
    assert one_line("a\nb\r\nc\u2028d", 100) == "a b c d"


def test_webhook_names_are_ones_discord_accepts() -> None:
    assert webhook_username("light_dragonfly", "light_dragonfly") == "light_dragonfly"
    assert (
        webhook_username("light_dragonfly (Kristy M.)", "light_dragonfly")
        == "light_dragonfly (Kristy M.)"
    )
    # A shown name Discord would refuse falls back to the bare pseudonym.
    for refused in ("Discord fan", "Clyde B.", "K#1", "a@b", "Shift: nights", "```x```"):
        author = f"light_dragonfly ({refused})"
        assert webhook_username(author, "light_dragonfly") == "light_dragonfly", refused
        with pytest.raises(StandInRestError):
            check_webhook_username(author, ["username"])  # the stand-in agrees
    assert webhook_username("x" * 120, "calm_heron") == "calm_heron"
    # Names go as Discord would show them: one line, spaces trimmed.
    assert webhook_username("calm_heron  (Jo\nB.) ", "calm_heron") == "calm_heron (Jo B.)"
    # No name Discord takes: none at all (the say is then posted by the bot).
    assert webhook_username("here", "here") is None
    assert not acceptable("everyone") and not acceptable("") and acceptable("here and there")
    assert avatar_url("calm_heron") == avatar_url("calm_heron")
    assert avatar_url("calm_heron").startswith("https://cdn.discordapp.com/embed/avatars/")


def test_every_pseudonym_the_bot_hands_out_is_a_name_discord_takes() -> None:
    # Discord's refused parts are single words or punctuation, none with "_" in it: a
    # pseudonym is acceptable when each of its two words is.
    longest = max(map(len, words("adjectives"))) + 1 + max(map(len, words("animals")))
    assert longest <= 80
    for word in (*words("adjectives"), *words("animals")):
        assert acceptable(f"{word}_{word}"), word
        check_webhook_username(f"{word}_{word}", ["username"])


def test_member_text_is_inert_and_the_bots_markup_renders() -> None:
    hostile = "[x](http://evil) ||spoiler|| # Header ```code``` **bold** @everyone <@123>"
    shown = (
        "\\[x](http://evil) \\|\\|spoiler\\|\\| # Header \\`\\`\\`code\\`\\`\\` "
        "\\*\\*bold\\*\\* @\u200beveryone \\<@123>"
    )
    assert inert(hostile) == shown
    # At the start of a line, headings, quotes, lists and subtext are escaped too.
    assert inert("# Header") == "\\# Header"
    assert inert("> quoted\n- item\n1. first\n  ## deep\n-# small") == (
        "\\> quoted\n\\- item\n1\\. first\n  \\## deep\n\\-# small"
    )
    # Every masked link, not only the first; every mention-like token; a typed backslash.
    assert inert("[a](http://x) [b](http://y)") == "\\[a](http://x) \\[b](http://y)"
    assert inert("</pitch:1> <#2> <t:3:R> <:e:4> <a:e:5> <id:home>") == (
        "\\</pitch:1> \\<#2> \\<t:3:R> \\<:e:4> \\<a:e:5> \\<id:home>"
    )
    assert inert("\\[a](http://x)") == "\\\\\\[a](http://x)"
    assert inert("see https://example.com/a_b_c") == "see https://example.com/a_b_c"
    # The bot's own text: markup intact, commands slashed; the member's part inert, and on
    # one line in public (their own line breaks stay in private answers).
    said = quote("**me**\n`pitch` 2")
    text = f"You are **calm_heron**. Send `pitch IDEA`: {said}"
    assert render(text, REGISTRY, public=True) == (
        "You are **calm_heron**. Send `/pitch text:IDEA`: \\*\\*me\\*\\* \\`pitch\\` 2"
    )
    assert render(text, REGISTRY, public=False).endswith("\\*\\*me\\*\\*\n\\`pitch\\` 2")
    assert "\ue000" not in render(text, REGISTRY, public=True)
    assert member_line("a\u2028b\x85c\nd") == "a b c d"


def test_form_ids_carry_the_command_and_refuse_forgeries() -> None:
    registry = build_registry()
    say = registry.get("say")
    assert say is not None
    form = form_for(say, {"campaign": 3})
    assert form is not None and form.custom_id == "dynamo:say:3" and form.field_id == "say_text"
    parsed = parse_form_id("dynamo:say:3", registry)
    assert parsed.command is say and parsed.given == {"campaign": 3}
    assert parsed.arguments({"say_text": "hello"}) == {"campaign": 3, "text": "hello"}
    for forged in ("dynamo:say:x", "dynamo:say:3:4", "dynamo:nothing", "dynamo:say:", "other"):
        with pytest.raises(FormError):
            parse_form_id(forged, registry)
    data = {
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "say_text", "value": "hi"}]},
            {"type": 18, "component": {"type": 4, "custom_id": "other", "value": "x"}},
        ]
    }
    assert submitted_values(data) == {"say_text": "hi", "other": "x"}


async def test_the_first_edit_waits_for_the_reply_and_for_votes_cast_with_it() -> None:
    order: list[str] = []

    async def flush(key: Hashable) -> None:
        order.append(f"edit {key}")

    async def reply() -> None:
        await asyncio.sleep(0)  # the voter's reply, a few turns of the loop away
        await asyncio.sleep(0)
        order.append("reply")

    edits = EditCoalescer(flush, interval=0.05, settle=0.01)
    edits.mark("idea 1")
    answer = asyncio.create_task(reply())
    edits.mark("idea 1")  # another vote in the same moment
    await asyncio.sleep(0.05)
    await answer
    assert order == ["reply", "edit idea 1"]
    await edits.close()


async def test_a_rush_of_marks_becomes_few_flushes_of_the_latest_state() -> None:
    state = {"count": 0}
    shown: list[int] = []

    async def flush(key: Hashable) -> None:
        shown.append(state["count"])

    interval = 0.05
    edits = EditCoalescer(flush, interval=interval, settle=0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(40):
        state["count"] += 1
        edits.mark("idea 1")
        await asyncio.sleep(0.005)
    took = loop.time() - started
    await asyncio.sleep(3 * interval)
    assert shown[0] == 1  # the first change shows at once
    assert shown[-1] == 40  # the last state wins
    assert len(shown) <= took / interval + 2  # at most one flush per interval
    assert len(shown) < 40
    state["count"] = 41
    edits.mark("idea 1")
    await edits.close()  # shutting down still brings it up to date
    assert shown[-1] == 41


def test_a_deleted_or_odd_channel_tells_the_staff_what_to_change() -> None:
    settings = DiscordGuildSettings(id=11, announce_channel_id=22, campaign_parent_channel_id=33)
    gone = MisconfiguredChannel(ANNOUNCE, 22, MISSING, "10003 Unknown Channel")
    key, text = staff_notice(gone, settings, None)
    assert key == "discord:11:22:missing"
    assert text == (
        "In the Discord server 11, the channel 22 set as announce_channel_id no longer exists "
        "(Discord answered 10003 Unknown Channel). Set announce_channel_id in that server's "
        "[[discord.guilds]] table to a channel that exists and restart the bot. What the bot "
        "has to post there waits until then."
    )
    odd = MisconfiguredChannel(CAMPAIGN_PARENT, 33, KIND)
    key, text = staff_notice(odd, settings, None)
    assert key == "discord:11:33:kind" and "is not a text or forum channel" in text
    # One notice per server, channel and problem: fixing one does not silence another.
    assert staff_notice(MisconfiguredChannel(ANNOUNCE, 22, PERMISSIONS), settings, None)[0] == (
        "discord:11:22:permissions"
    )
