"""A ``say`` always shows in the campaign's threads, as the member was told: under a name
Discord accepts, and when Discord refuses the webhook post anyway (a name it will not take, a
missing permission, a webhook it no longer knows), posted at once by the bot itself as
``**pseudonym**: words``, never retried into oblivion. A passing outage is waited out."""

from __future__ import annotations

import pytest

from commands.framework.rules import Rules
from storage.repos import members
from tests.discord.harness import DiscordChat
from tests.discord_standin import StoredMessage
from tests.discord_standin.payloads import field_errors

EXECUTE = "/webhooks/{webhook_id}/{webhook_token}"
CREATE = "/channels/{channel_id}/webhooks"
WORDS = "I can draft the letter **tonight**"
# The words as Discord shows them, with the number to cite them by.
WORDS_SHOWN = "I can draft the letter \\*\\*tonight\\*\\* \\[say 1]"


@pytest.fixture
def rules() -> Rules:
    return Rules(launch_upvotes=2)


async def launched(chat: DiscordChat) -> dict[str, str]:
    """ada pitches, ada and bea upvote: campaign #1 with a thread in each guild."""
    names = {name: await chat.join(name) for name in ("ada", "bea")}
    await chat.ask("ada", "pitch", text="Pay for qualification tests")
    post = await chat.announcement(1)
    await chat.click_reply("ada", post, "dynamo:vote:up:1")
    await chat.click_reply("bea", post, "dynamo:vote:up:1")
    await chat.standin.wait_for(lambda: all(len(chat.threads(g)) == 1 for g in (0, 1)))
    return names


def said(chat: DiscordChat, guild: int) -> list[StoredMessage]:
    """What was said in the guild's campaign thread (its embeds left out)."""
    (thread,) = chat.threads(guild)
    return [m for m in chat.standin.messages_in(int(thread["id"])) if m.content]


async def said_everywhere(chat: DiscordChat, count: int = 1) -> list[StoredMessage]:
    await chat.standin.wait_for(lambda: all(len(said(chat, g)) == count for g in (0, 1)))
    return [said(chat, g)[-1] for g in (0, 1)]


def webhook_calls(chat: DiscordChat) -> list[int]:
    """The statuses of the bot's webhook posts (not its interaction follow-ups)."""
    app = str(chat.standin.application_id)
    return [
        r.status for r in chat.standin.requests_to("POST", EXECUTE) if r.path.split("/")[2] != app
    ]


def as_bot(message: StoredMessage, chat: DiscordChat) -> bool:
    return message.webhook_id is None and message.author_id == chat.standin.application_id


async def test_a_shown_name_discord_refuses_leaves_the_bare_pseudonym(
    discord_chat: DiscordChat,
) -> None:
    chat = discord_chat
    names = await launched(chat)
    # A name shown before the core refused these characters.
    async with chat.db.write() as conn:
        key_hash = chat.db.vault.digest(f"discord:{chat.person('bea')['id']}")
        member = await members.member_by_identity(conn, key_hash)
        assert member is not None
        await members.set_revealed_name(conn, member.id, "K#1: nights @home ```")
    answer = await chat.ask("bea", "say", campaign=1, text=WORDS)
    assert "Said in campaign #1" in answer.content
    for post in await said_everywhere(chat):
        assert post.webhook_id is not None and post.author_name == names["bea"]
        assert post.content == WORDS_SHOWN
    # And one the core accepts but Discord would not ("clyde").
    assert "appear as" in (await chat.ask("bea", "reveal", name="Clyde Barrow")).content
    await chat.ask("bea", "say", campaign=1, text="Again")
    for post in await said_everywhere(chat, 2):
        assert post.author_name == names["bea"] and post.content == "Again \\[say 2]"
    assert webhook_calls(chat) == [200] * 4  # never a refused post


async def test_a_name_discord_still_refuses_is_said_by_the_bot_at_once(
    discord_chat: DiscordChat,
) -> None:
    chat = discord_chat
    names = await launched(chat)
    # Discord has rules it does not document ("other rules and restrictions not shared
    # here"), answered like its documented ones.
    chat.standin.inject_error(
        "POST",
        EXECUTE,
        status=400,
        code=50035,
        message="Invalid Form Body",
        errors=field_errors(["username"], "USERNAME_INVALID", 'Username cannot be "here"'),
        times=2,
    )
    await chat.ask("bea", "say", campaign=1, text=WORDS)
    for post in await said_everywhere(chat):
        assert as_bot(post, chat)
        assert post.content == f"**{names['bea'].replace('_', chr(92) + '_')}**: {WORDS_SHOWN}"
        assert post.allowed_mentions == {"parse": []}
    assert webhook_calls(chat) == [400, 400]  # one try per guild, no retry


async def test_without_manage_webhooks_the_bot_posts_the_say(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    names = await launched(chat)
    chat.standin.inject_error(
        "POST", CREATE, status=403, code=50013, message="Missing Permissions", times=2
    )
    await chat.ask("bea", "say", campaign=1, text=WORDS)
    for post in await said_everywhere(chat):
        assert as_bot(post, chat) and post.content.endswith(f"**: {WORDS_SHOWN}")
    assert chat.standin.webhooks == [] and webhook_calls(chat) == []
    # Once the permission is given, says go by webhook again.
    await chat.ask("bea", "say", campaign=1, text="Back")
    for post in await said_everywhere(chat, 2):
        assert post.webhook_id is not None and post.author_name == names["bea"]


async def test_a_webhook_post_refused_for_permissions_is_said_by_the_bot(
    discord_chat: DiscordChat,
) -> None:
    chat = discord_chat
    await launched(chat)
    chat.standin.inject_error(
        "POST", EXECUTE, status=403, code=50013, message="Missing Permissions", times=2
    )
    await chat.ask("bea", "say", campaign=1, text=WORDS)
    for post in await said_everywhere(chat):
        assert as_bot(post, chat) and post.content.endswith(f"**: {WORDS_SHOWN}")
    assert webhook_calls(chat) == [403, 403]


async def test_a_webhook_that_stays_unknown_is_replaced_once_then_the_bot_posts(
    discord_chat: DiscordChat,
) -> None:
    chat = discord_chat
    await launched(chat)
    chat.standin.inject_error(
        "POST", EXECUTE, status=404, code=10015, message="Unknown Webhook", times=4
    )
    await chat.ask("bea", "say", campaign=1, text=WORDS)
    for post in await said_everywhere(chat):
        assert as_bot(post, chat) and post.content.endswith(f"**: {WORDS_SHOWN}")
    assert webhook_calls(chat) == [404] * 4
    assert len(chat.standin.webhooks) == 4  # each guild made a fresh one, once


async def test_a_passing_outage_is_waited_out_not_fallen_back_from(
    discord_chat: DiscordChat,
) -> None:
    chat = discord_chat
    names = await launched(chat)
    chat.standin.inject_error(
        "POST", EXECUTE, status=503, code=0, message="Service Unavailable", times=1
    )
    await chat.ask("bea", "say", campaign=1, text=WORDS)
    for post in await said_everywhere(chat):
        assert post.webhook_id is not None and post.author_name == names["bea"]
    assert sorted(webhook_calls(chat)) == [200, 200, 503]
