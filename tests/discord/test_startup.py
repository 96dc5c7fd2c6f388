"""Starting the Discord transport: the token, the proxy overrides, the intents, the server
layout check, and the explicit slash-command sync generated from the registry."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from discord.http import Route

from bot.app import App
from bot.config import Config, ConfigError, from_dict
from bot.transports.discord.sync import sync_commands, sync_main, sync_summary
from bot.transports.discord.transport import DiscordTransport
from commands.catalog import build_registry
from storage.db import Database
from storage.vault import Vault
from tests.discord.harness import discord_settings
from tests.discord_standin import StandIn


@pytest.fixture
async def plain_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A database nothing here writes to (these tests never get as far as commands)."""
    db = Database(f"sqlite:///{tmp_path / 'unused.db'}", vault=Vault.from_environ())
    yield db
    await db.dispose()


def app_for(standin: StandIn, db: Database, **overrides: object) -> tuple[App, Config]:
    config = Config(discord=discord_settings(standin, **overrides))
    return App(config, db=db), config


async def test_a_missing_token_says_how_to_set_it(standin: StandIn, plain_db: Database) -> None:
    app, config = app_for(standin, plain_db)
    with pytest.raises(ConfigError) as missing:
        DiscordTransport(app, config.discord, environ={})
    assert "DYNAMO_DISCORD_TOKEN" in str(missing.value)
    assert "Reset Token" in str(missing.value)


async def test_a_wrong_token_stops_start_up(standin: StandIn, plain_db: Database) -> None:
    app, config = app_for(standin, plain_db)
    transport = DiscordTransport(
        app, config.discord, environ={"DYNAMO_DISCORD_TOKEN": "not-the-token"}
    )
    before = Route.BASE
    with pytest.raises(ConfigError) as refused:
        await transport.start()
    message = str(refused.value)
    assert "401" in message and "DYNAMO_DISCORD_TOKEN" in message and "Reset Token" in message
    assert "not-the-token" not in message  # a token never lands in a message or a log
    assert Route.BASE == before
    assert not standin.connected


async def test_overrides_point_at_a_proxy_with_minimal_intents(
    standin: StandIn, plain_db: Database
) -> None:
    app, config = app_for(standin, plain_db)
    transport = DiscordTransport(
        app,
        config.discord,
        environ={"DYNAMO_DISCORD_TOKEN": standin.token},
        guild_ready_timeout=0.05,
    )
    # Without the transport's own override this would go nowhere (nothing listens there).
    Route.BASE = "http://127.0.0.1:9/api/v10"
    await transport.start()
    try:
        assert standin.connected and transport.ready
        assert Route.BASE == standin.api_base
        assert standin.intents == 1  # GUILDS only: no privileged or message intents
    finally:
        await transport.stop()
    assert Route.BASE == "http://127.0.0.1:9/api/v10"  # put back as it was
    assert not standin.connected


async def test_a_channel_of_the_wrong_kind_is_named(standin: StandIn, plain_db: Database) -> None:
    settings = discord_settings(standin)
    forum = standin.guilds[0].channel_id("campaigns")
    wrong = dataclasses.replace(settings.guilds[0], announce_channel_id=forum)
    config = Config(discord=dataclasses.replace(settings, guilds=(wrong, settings.guilds[1])))
    app = App(config, db=plain_db)
    transport = DiscordTransport(
        app,
        config.discord,
        environ={"DYNAMO_DISCORD_TOKEN": standin.token},
        guild_ready_timeout=0.05,
    )
    with pytest.raises(ConfigError, match=rf"#1 announce_channel_id {forum}: not a text channel"):
        await transport.start()
    assert not standin.connected


async def test_a_campaign_tag_must_be_one_of_the_forums_tags(
    standin: StandIn, plain_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ids = {"id": 1, "announce_channel_id": 2, "campaign_parent_channel_id": 3}
    with pytest.raises(ConfigError, match=r"\[discord.guilds #1\] campaign_tag_id must be a"):
        from_dict({"discord": {"guilds": [{**ids, "campaign_tag_id": 0}]}})
    with pytest.raises(ConfigError, match=r"\[discord.guilds #1\] campaign_tag_id must be a whole"):
        from_dict({"discord": {"guilds": [{**ids, "campaign_tag_id": "Campaign"}]}})

    forum = standin.guilds[0].channel_id("campaigns")
    await standin.edit_forum(forum, tags=["Campaign", "Question"], require_tag=True)
    tag = standin.forum_tag_id(forum, "Campaign")
    settings = discord_settings(standin)

    async def start_with(guild: int, tag_id: int) -> DiscordTransport:
        changed = dataclasses.replace(settings.guilds[guild], campaign_tag_id=tag_id)
        guilds = list(settings.guilds)
        guilds[guild] = changed
        config = Config(discord=dataclasses.replace(settings, guilds=tuple(guilds)))
        transport = DiscordTransport(
            App(config, db=plain_db),
            config.discord,
            environ={"DYNAMO_DISCORD_TOKEN": standin.token},
            guild_ready_timeout=0.05,
        )
        await transport.start()
        return transport

    with pytest.raises(ConfigError) as unknown:
        await start_with(0, 12345)
    assert str(unknown.value) == (
        f"[[discord.guilds]] #1 campaign_tag_id 12345: not a tag of the forum #campaigns "
        f"(its tags: 'Campaign' ({tag}), 'Question' ({standin.forum_tag_id(forum, 'Question')}))"
    )
    with pytest.raises(ConfigError, match=r"#2 campaign_tag_id \d+: the campaign parent channel"):
        await start_with(1, tag)  # Turker Nation's campaigns are a text channel
    assert not standin.connected

    caplog.set_level("INFO", logger="bot.transports.discord.transport")
    transport = await start_with(0, tag)
    await transport.stop()
    assert f"#1: the forum #campaigns has the tags 'Campaign' ({tag}), 'Question'" in caplog.text
    assert "and requires one on every post" in caplog.text


async def test_sync_registers_one_slash_command_per_registry_command(standin: StandIn) -> None:
    settings = discord_settings(standin)
    environ = {"DYNAMO_DISCORD_TOKEN": standin.token}
    names = await sync_commands(settings, environ=environ)
    registry = build_registry()
    expected = {c.name.split()[0] for c in registry}
    assert set(names) == expected
    assert "registered" in sync_summary(names, None) and "/pitch" in sync_summary(names, None)

    synced = {c["name"]: c for c in standin.commands()}
    pitch = synced["pitch"]["options"]
    assert pitch == [
        {
            "type": 3,
            "name": "text",
            "description": "The idea, in one short sentence (leave it out to get a form)",
            "required": False,
        }
    ]
    (idea,) = synced["upvote"]["options"]
    assert idea["type"] == 4 and idea["required"] and idea["min_value"] == 1
    sign = {o["name"]: o for o in synced["sign"]["options"]}
    assert [c["value"] for c in sign["category"]["choices"]] == ["worker", "researcher", "ally"]
    # /mod: hidden from members without Manage Messages, and never in DMs.
    mod = synced["mod"]
    assert int(mod["default_member_permissions"]) == 1 << 13  # Manage Messages
    assert mod["dm_permission"] is False
    subs = {o["name"] for o in mod["options"]}
    assert subs == {c.name.split()[1] for c in registry if c.group == "mod"}
    for command in synced.values():
        assert 1 <= len(command["description"]) <= 100

    guild = standin.guilds[1].id
    in_guild = await sync_commands(settings, environ=environ, guild_id=guild)
    assert {c["name"] for c in standin.commands(guild)} == set(in_guild) == expected
    with pytest.raises(ConfigError, match="401"):
        await sync_commands(settings, environ={"DYNAMO_DISCORD_TOKEN": "wrong"})


async def test_the_sync_command_reports_what_it_did(
    standin: StandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = discord_settings(standin)
    guild = standin.guilds[0].id
    assert await sync_main(settings, guild, environ={"DYNAMO_DISCORD_TOKEN": standin.token}) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"registered {len(standin.commands(guild))} slash commands in server")
    assert await sync_main(settings, None, environ={}) == 2
    assert "set the environment variable DYNAMO_DISCORD_TOKEN" in capsys.readouterr().err
