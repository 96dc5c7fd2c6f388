"""Vouching on Discord: /vouch, /codes and /mod vouches come from the registry, and answer
privately."""

from __future__ import annotations

from tests.discord.harness import DiscordChat


async def test_vouch_codes_and_the_chain_answer_ephemerally(discord_chat: DiscordChat) -> None:
    chat = discord_chat
    await chat.join("ada")
    alice = await chat.join("alice")
    await chat.set_dynamo_role("ada", "moderator")
    await chat.give_moderator_role("ada")

    refused = await chat.ask("alice", "vouch")
    assert refused.ephemeral and "been here 30 days" in refused.content
    listed = await chat.ask("alice", "codes")
    assert listed.ephemeral and "haven't vouched" in listed.content
    chain = await chat.ask("ada", "mod vouches", pseudonym=alice)
    assert chain.ephemeral and f"Vouching around {alice}" in chain.content
    # Nothing of it was posted in public.
    assert all(m.ephemeral for m in chat.bot_messages())
