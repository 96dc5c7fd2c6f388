"""The stand-in, proved with the real discord.py client: every flow the Discord transport
will use (login, sync, slash commands, buttons, modals, threads, forums, webhooks, DMs,
restart, resume, rate limits) runs end to end on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from typing import Any, Literal

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.discord_standin import (
    GuildSpec,
    Pings,
    RoleSpec,
    StandIn,
    StandInError,
    patched_discord,
    running_client,
)
from tests.discord_standin.records import compute_pings

GUILD = GuildSpec(
    "Dynamo Workers",
    text_channels=("general", "announcements"),
    forum_channels=("campaigns",),
    roles=("moderator", RoleSpec("organizer", permissions=1 << 13)),
)
VOTE_ID = re.compile(r"dynamo:vote:(?P<direction>up|down):(?P<idea>\d+)")


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=VOTE_ID.pattern,
):
    """A vote button whose custom_id carries everything, so it survives restarts."""

    def __init__(self, direction: str, idea: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=f"Vote {direction}",
                style=discord.ButtonStyle.primary,
                custom_id=f"dynamo:vote:{direction}:{idea}",
            )
        )
        self.direction = direction
        self.idea = idea

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> VoteButton:
        return cls(match["direction"], int(match["idea"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        assert isinstance(client, DynamoTestBot)
        client.votes.append((interaction.user.id, self.direction, self.idea))
        await interaction.response.send_message(
            f"vote {self.direction} on idea {self.idea} recorded", ephemeral=True
        )


class TallyButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"dynamo:tally:(\d+)"):
    """Updates the message it sits on (an UPDATE_MESSAGE callback, type 7)."""

    def __init__(self, idea: int) -> None:
        super().__init__(discord.ui.Button(label="Tally", custom_id=f"dynamo:tally:{idea}"))
        self.idea = idea

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> TallyButton:
        return cls(int(match[1]))

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        assert isinstance(client, DynamoTestBot)
        ups = sum(1 for _, direction, idea in client.votes if (direction, idea) == ("up", 42))
        await interaction.response.edit_message(content=f"Idea #{self.idea}: {ups} up")


class CloseButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"dynamo:close:(\d+)"):
    """Defers (DEFERRED_UPDATE_MESSAGE, type 6), then edits the message it sits on."""

    def __init__(self, idea: int) -> None:
        super().__init__(discord.ui.Button(label="Close", custom_id=f"dynamo:close:{idea}"))
        self.idea = idea

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> CloseButton:
        return cls(int(match[1]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content=f"Idea #{self.idea} closed", view=None)


class PitchModal(discord.ui.Modal, title="Pitch an idea"):
    text: discord.ui.TextInput[PitchModal] = discord.ui.TextInput(
        label="Your idea", custom_id="pitch_text", max_length=140
    )

    def __init__(self) -> None:
        super().__init__(custom_id="dynamo:pitch")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"pitched: {self.text.value}", ephemeral=True)


class DynamoTestBot(commands.Bot):
    """A bot shaped like the future transport: slash commands, persistent buttons, a modal."""

    def __init__(self, intents: discord.Intents | None = None) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents or discord.Intents.default(),
            guild_ready_timeout=0.05,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        self.votes: list[tuple[int, str, int]] = []
        self.received: list[discord.Message] = []
        self.errors: list[Exception] = []
        self.resumed = asyncio.Event()

    async def setup_hook(self) -> None:
        self.add_dynamic_items(VoteButton, TallyButton, CloseButton)
        add_commands(self.tree, self)

    async def on_message(self, message: discord.Message) -> None:
        if message.author != self.user:
            self.received.append(message)

    async def on_resumed(self) -> None:
        self.resumed.set()


def add_commands(tree: app_commands.CommandTree[DynamoTestBot], bot: DynamoTestBot) -> None:
    @tree.command(description="Say hello privately")
    async def hello(interaction: discord.Interaction, friend: discord.Member | None = None) -> None:
        also = f" and {friend.name}" if friend is not None else ""
        await interaction.response.send_message(
            f"hello {interaction.user.name}{also}", ephemeral=True
        )

    idea = app_commands.Group(name="idea", description="Ideas")
    vote = app_commands.Group(name="vote", description="Voting", parent=idea)

    @vote.command(name="cast", description="Vote on an idea")
    async def cast(
        interaction: discord.Interaction, idea_id: int, direction: Literal["up", "down"]
    ) -> None:
        await interaction.response.send_message(
            f"cast {direction} on idea {idea_id} by {interaction.user.name}", ephemeral=True
        )

    tree.add_command(idea)

    @tree.command(description="Pitch an idea in a form")
    async def pitch(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(PitchModal())

    @tree.command(description="Redeem a registration code")
    @app_commands.dm_only()
    async def register(interaction: discord.Interaction, code: str) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(f"welcome aboard ({len(code)}-character code)")

    @tree.command(description="Count the votes")
    async def tally(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content="Tally: 3 up, 1 down")
        await interaction.followup.send("only you see the details", ephemeral=True)

    @tree.command(description="Answers too late")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.2)
        try:
            await interaction.response.send_message("too late")
        except discord.NotFound as error:
            bot.errors.append(error)


@pytest.fixture
async def standin() -> AsyncIterator[StandIn]:
    async with StandIn(guilds=[GUILD]) as running, patched_discord(running):
        yield running


@pytest.fixture
async def bot(standin: StandIn) -> AsyncIterator[DynamoTestBot]:
    async with running_client(DynamoTestBot(), standin) as client:
        await client.tree.sync()
        yield client


def channel_id(standin: StandIn, name: str) -> int:
    return standin.guild().channel_id(name)


async def test_login_sees_guilds_channels_and_roles(standin: StandIn) -> None:
    async with running_client(DynamoTestBot(), standin) as client:
        guild = client.get_guild(standin.guild().id)
        assert guild is not None and guild.name == "Dynamo Workers"
        assert [c.name for c in guild.text_channels] == ["general", "announcements"]
        forum = guild.get_channel(channel_id(standin, "campaigns"))
        assert isinstance(forum, discord.ForumChannel)
        assert {"@everyone", "moderator", "organizer", "Dynamo"} <= {r.name for r in guild.roles}
        assert guild.me.guild_permissions.administrator
        assert client.user is not None and client.user.id == standin.application_id
        assert client.application_id == standin.application_id
    assert standin.intents == discord.Intents.default().value
    assert standin.identifies[0]["token"] == standin.token
    assert [r.status for r in standin.requests_to("GET", "/users/@me")] == [200]
    assert [r.status for r in standin.requests_to("GET", "/oauth2/applications/@me")] == [200]
    assert standin.unhandled == []


async def test_sync_is_a_bulk_overwrite_and_bad_commands_are_refused(
    standin: StandIn, bot: DynamoTestBot
) -> None:
    (put,) = standin.requests_to("PUT", "/applications/{application_id}/commands")
    assert {c["name"] for c in put.json} == {
        "hello",
        "idea",
        "pitch",
        "register",
        "slow",
        "tally",
    }
    ids = {c["name"]: c["id"] for c in standin.commands()}

    guild = discord.Object(standin.guild().id)
    bot.tree.copy_global_to(guild=guild)
    synced = await bot.tree.sync(guild=guild)
    assert {c.name for c in synced} == set(ids)
    assert all(c.guild_id == guild.id for c in synced)
    assert {c["name"] for c in standin.commands(guild.id)} == set(ids)

    await bot.tree.sync()  # a re-sync keeps the ids, as on Discord
    assert {c["name"]: c["id"] for c in standin.commands()} == ids

    bad = [{"name": "Bad Name", "description": "x", "type": 1}]
    with pytest.raises(discord.HTTPException) as refused:
        await bot.http.bulk_upsert_global_commands(standin.application_id, bad)
    assert (refused.value.status, refused.value.code) == (400, 50035)
    too_long = [{"name": "ok", "description": "x" * 101, "type": 1}]
    with pytest.raises(discord.HTTPException):
        await bot.http.bulk_upsert_global_commands(standin.application_id, too_long)


async def test_slash_subcommand_reaches_handler_and_answers_ephemerally(
    standin: StandIn, bot: DynamoTestBot
) -> None:
    alice = standin.make_user("alice")
    handle = await standin.slash_command(
        alice, standin.guild().id, "idea vote cast", {"idea_id": 42, "direction": "up"}
    )
    response = await handle.response()
    assert response["type"] == 4
    assert response["data"]["flags"] == 64
    reply = await handle.reply()
    assert reply.content == "cast up on idea 42 by alice"
    assert reply.ephemeral and handle.ephemeral
    assert standin.messages_in(channel_id(standin, "general")) == []  # nobody else sees it

    bob = standin.make_user("bob")
    greeting = await standin.slash_command(alice, standin.guild().id, "hello", {"friend": bob})
    assert (await greeting.reply()).content == "hello alice and bob"
    assert greeting.payload["data"]["resolved"]["users"][bob["id"]] == bob

    with pytest.raises(StandInError, match="not registered"):
        await standin.slash_command(alice, standin.guild().id, "nonsense")
    with pytest.raises(StandInError, match="not one of the choices"):
        await standin.slash_command(
            alice, standin.guild().id, "idea vote cast", {"idea_id": 1, "direction": "sideways"}
        )
    with pytest.raises(StandInError, match="requires"):
        await standin.slash_command(alice, standin.guild().id, "idea vote cast", {"idea_id": 1})


async def test_dm_only_command_defers_and_its_follow_up_fills_the_placeholder(
    standin: StandIn, bot: DynamoTestBot
) -> None:
    alice = standin.make_user("alice")
    with pytest.raises(StandInError, match="not available in a server"):
        await standin.slash_command(alice, standin.guild().id, "register", {"code": "K7QF"})

    handle = await standin.slash_command(alice, None, "register", {"code": "K7QF-2M"})
    assert (await handle.response())["type"] == 5
    reply = await handle.reply()
    assert reply.content == "welcome aboard (7-character code)"
    assert reply.ephemeral and not reply.loading
    assert handle.original is reply  # the first follow-up replaced "thinking..."
    assert standin.dms_to(alice) == [reply]
    assert handle.payload["context"] == 1 and "user" in handle.payload


async def test_dynamic_buttons_answer_and_update_their_message(
    standin: StandIn, bot: DynamoTestBot
) -> None:
    general = bot.get_channel(channel_id(standin, "general"))
    assert isinstance(general, discord.TextChannel)
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton("up", 42))
    view.add_item(TallyButton(42))
    sent = await general.send("Idea #42", view=view)
    stored = standin.message(sent.id)
    assert stored.custom_ids == ["dynamo:vote:up:42", "dynamo:tally:42"]

    bob = standin.make_user("bob")
    vote = await standin.click_button(bob, sent.id, "dynamo:vote:up:42")
    assert (await vote.reply()).content == "vote up on idea 42 recorded"
    assert bot.votes == [(int(bob["id"]), "up", 42)]

    tally = await standin.click_button(bob, sent.id, "dynamo:tally:42")
    assert (await tally.response())["type"] == 7
    assert standin.message(sent.id).content == "Idea #42: 1 up"
    assert standin.message(sent.id).custom_ids == stored.custom_ids

    with pytest.raises(StandInError, match="not on message"):
        await standin.click_button(bob, sent.id, "dynamo:vote:down:42")


async def test_modal_from_a_slash_command_reaches_on_submit(
    standin: StandIn, bot: DynamoTestBot
) -> None:
    alice = standin.make_user("alice")
    opened = await standin.slash_command(alice, standin.guild().id, "pitch")
    assert (await opened.response())["type"] == 9
    assert opened.modal is not None and opened.modal["title"] == "Pitch an idea"

    with pytest.raises(StandInError, match=r"0\.\.140"):
        await standin.submit_modal(alice, "dynamo:pitch", {"pitch_text": "x" * 141})
    submitted = await standin.submit_modal(alice, "dynamo:pitch", {"pitch_text": "Fair pay"})
    reply = await submitted.reply()
    assert reply.content == "pitched: Fair pay" and reply.ephemeral
    with pytest.raises(StandInError, match="no open modal"):
        await standin.submit_modal(alice, "dynamo:pitch", {"pitch_text": "again"})


async def test_threads_forum_posts_and_message_threads(
    standin: StandIn, bot: DynamoTestBot
) -> None:
    general = bot.get_channel(channel_id(standin, "general"))
    forum = bot.get_channel(channel_id(standin, "campaigns"))
    assert isinstance(general, discord.TextChannel) and isinstance(forum, discord.ForumChannel)

    thread = await general.create_thread(
        name="Fair pay: discussion", type=discord.ChannelType.public_thread
    )
    await thread.send("Discuss the campaign here")
    assert [t["name"] for t in standin.threads_in(general.id)] == ["Fair pay: discussion"]
    assert standin.last_message(thread.id).content == "Discuss the campaign here"
    # THREAD_CREATE reached the client's cache, as on Discord.
    await standin.wait_for(lambda: bot.get_channel(thread.id) is not None)

    post = await forum.create_thread(name="Fair pay", content="The campaign has launched")
    assert post.thread.id == post.message.id  # a forum post's first message shares its id
    assert [t["name"] for t in standin.threads_in(forum.id)] == ["Fair pay"]
    assert [m.content for m in standin.messages_in(post.thread.id)] == ["The campaign has launched"]

    idea = await general.send("Idea #7")
    idea_thread = await idea.create_thread(name="Idea #7")
    assert idea_thread.id == idea.id
    assert len(standin.threads_in(general.id)) == 2


async def test_a_forum_that_requires_tags_refuses_an_untagged_post(
    standin: StandIn, bot: DynamoTestBot
) -> None:
    forum_id = channel_id(standin, "campaigns")
    forum = bot.get_channel(forum_id)
    assert isinstance(forum, discord.ForumChannel) and not forum.flags.require_tag
    await standin.edit_forum(forum_id, tags=["Campaign", "Question"], require_tag=True)
    # CHANNEL_UPDATE reached the client's cache, as on Discord.
    await standin.wait_for(lambda: forum.flags.require_tag)
    assert [t.name for t in forum.available_tags] == ["Campaign", "Question"]

    with pytest.raises(discord.HTTPException) as refused:
        await forum.create_thread(name="Fair pay", content="The campaign has launched")
    assert (refused.value.status, refused.value.code) == (400, 40067)
    assert refused.value.text == "A tag is required to create a forum post in this channel"
    assert standin.threads_in(forum_id) == []

    question = forum.get_tag(standin.forum_tag_id(forum_id, "Question"))
    assert question is not None
    post = await forum.create_thread(name="Fair pay", content="Launched", applied_tags=[question])
    assert [t.name for t in post.thread.applied_tags] == ["Question"]
    (thread,) = standin.threads_in(forum_id)
    assert thread["applied_tags"] == [str(question.id)]

    # A tag the forum no longer has counts for nothing; a kept tag keeps its id.
    await standin.edit_forum(forum_id, tags=["Campaign"])
    await standin.wait_for(lambda: len(forum.available_tags) == 1)
    with pytest.raises(discord.HTTPException) as stale:
        await forum.create_thread(name="Again", content="x", applied_tags=[question])
    assert stale.value.code == 40067
    assert forum.available_tags[0].id == standin.forum_tag_id(forum_id, "Campaign")
    # Without the flag, an untagged post is fine.
    await standin.edit_forum(forum_id, require_tag=False)
    await standin.wait_for(lambda: not forum.flags.require_tag)
    await forum.create_thread(name="Untagged", content="x")
    assert len(standin.threads_in(forum_id)) == 2


async def test_channel_permissions_refuse_the_bot_as_discord_does(
    standin: StandIn, bot: DynamoTestBot
) -> None:
    guild = standin.guild()
    general = bot.get_channel(channel_id(standin, "general"))
    forum = bot.get_channel(channel_id(standin, "campaigns"))
    assert isinstance(general, discord.TextChannel) and isinstance(forum, discord.ForumChannel)
    thread = await general.create_thread(name="Talk", type=discord.ChannelType.public_thread)

    # Administrator overrides every channel overwrite: take it off the bot's role first.
    await standin.set_channel_permissions(general.id, guild.bot_role_id, deny=1 << 11)
    await general.send("still allowed: the bot is an Administrator")
    await standin.set_role_permissions(guild.id, guild.bot_role_id, 0)
    await standin.wait_for(lambda: not general.permissions_for(general.guild.me).send_messages)

    with pytest.raises(discord.Forbidden) as no_send:
        await general.send("hello")
    assert (no_send.value.status, no_send.value.code) == (403, 50013)
    await thread.send("threads need Send Messages in Threads, which is still allowed")
    await standin.set_channel_permissions(general.id, guild.bot_role_id, deny=1 << 35)
    with pytest.raises(discord.Forbidden) as no_thread:
        await general.create_thread(name="Another", type=discord.ChannelType.public_thread)
    assert no_thread.value.code == 50013
    await standin.set_channel_permissions(forum.id, guild.id, deny=1 << 10)  # @everyone
    with pytest.raises(discord.Forbidden) as hidden:
        await forum.create_thread(name="Fair pay", content="x")
    assert hidden.value.code == 50001  # Missing Access: the forum is hidden from the bot

    # Overwrites removed: allowed again, and the client heard of each change.
    await standin.set_channel_permissions(general.id, guild.bot_role_id)
    await standin.set_channel_permissions(forum.id, guild.id)
    await standin.wait_for(lambda: general.permissions_for(general.guild.me).send_messages)
    await general.send("hello again")
    await forum.create_thread(name="Fair pay", content="x")


async def test_webhook_posts_keep_username_avatar_and_never_ping(
    standin: StandIn, bot: DynamoTestBot
) -> None:
    general = bot.get_channel(channel_id(standin, "general"))
    assert isinstance(general, discord.TextChannel)
    webhook = await general.create_webhook(name="Dynamo relay")
    sent = await webhook.send(
        "@everyone light_dragonfly proposes fair pay",
        username="light_dragonfly",
        avatar_url="https://example.invalid/avatar.png",
        allowed_mentions=discord.AllowedMentions.none(),
        wait=True,
    )
    (post,) = standin.webhook_posts(general.id)
    assert post.id == sent.id
    assert post.author_name == "light_dragonfly"
    assert post.avatar_url == "https://example.invalid/avatar.png"
    assert post.allowed_mentions == {"parse": []}
    assert not post.pings

    with pytest.raises(discord.HTTPException) as refused:
        await webhook.send("hi", username="discord_fan", wait=True)
    assert refused.value.status == 400


@pytest.mark.parametrize(
    ("username", "why"),
    [
        ("light_dragonfly (K#1)", 'Username cannot contain "#"'),
        ("light_dragonfly (a@b)", 'Username cannot contain "@"'),
        ("light_dragonfly (Shift: nights)", 'Username cannot contain ":"'),
        ("light_dragonfly (```)", 'Username cannot contain "```"'),
        ("DISCORD fan", 'Username cannot contain "discord"'),
        ("Clyde Barrow", 'Username cannot contain "clyde"'),
        ("Everyone", 'Username cannot be "everyone"'),
        ("  here ", 'Username cannot be "here"'),
        ("   ", "Must be between 1 and 80 in length."),
        ("x" * 81, "Must be between 1 and 80 in length."),
    ],
)
async def test_webhook_post_names_follow_discords_username_rules(
    standin: StandIn, bot: DynamoTestBot, username: str, why: str
) -> None:
    general = bot.get_channel(channel_id(standin, "general"))
    assert isinstance(general, discord.TextChannel)
    webhook = await general.create_webhook(name="Dynamo relay")
    with pytest.raises(discord.HTTPException) as refused:
        await webhook.send("hi", username=username, wait=True)
    assert (refused.value.status, refused.value.code) == (400, 50035)
    assert refused.value.text == f"Invalid Form Body\nIn username: {why}"
    assert standin.webhook_posts(general.id) == []


async def test_webhook_post_names_are_trimmed_as_discord_does(
    standin: StandIn, bot: DynamoTestBot
) -> None:
    general = bot.get_channel(channel_id(standin, "general"))
    assert isinstance(general, discord.TextChannel)
    with pytest.raises(discord.HTTPException):
        await general.create_webhook(name="my clyde hook")
    webhook = await general.create_webhook(name="  Dynamo   relay ")
    assert webhook.name == "Dynamo relay"
    # "here" and "everyone" are refused only as the whole name; the rest of the rules hold.
    await webhook.send("hi", username="  calm_heron   (there) ", wait=True)
    (post,) = standin.webhook_posts(general.id)
    assert post.author_name == "calm_heron (there)"


async def test_dms_to_users_and_messages_from_users(standin: StandIn, bot: DynamoTestBot) -> None:
    alice, bob = standin.make_user("alice"), standin.make_user("bob")
    user = await bot.fetch_user(int(alice["id"]))
    await user.send("Your pseudonym is light_dragonfly")
    assert [m.content for m in standin.dms_to(alice)] == ["Your pseudonym is light_dragonfly"]

    standin.close_dms(bob)
    with pytest.raises(discord.Forbidden) as refused:
        await (await bot.fetch_user(int(bob["id"]))).send("hello")
    assert refused.value.code == 50007

    await standin.send_dm(alice, "register K7QF")
    general = channel_id(standin, "general")
    await standin.send_message(general, bob, "a public line")
    await standin.send_message(general, bob, f"<@{standin.application_id}> help")
    await standin.wait_for(lambda: len(bot.received) == 3, what="three messages")
    dm, public, mention = bot.received
    assert isinstance(dm.channel, discord.DMChannel) and dm.content == "register K7QF"
    # Without the message_content intent Discord blanks guild messages not addressed to the bot.
    assert public.content == ""
    assert mention.content.endswith("help") and public.guild is not None


async def test_restart_keeps_persistent_buttons_working(standin: StandIn) -> None:
    async with running_client(DynamoTestBot(), standin) as first:
        general = first.get_channel(channel_id(standin, "general"))
        assert isinstance(general, discord.TextChannel)
        view = discord.ui.View(timeout=None)
        view.add_item(VoteButton("down", 9))
        sent = await general.send("Idea #9", view=view)

    async with running_client(DynamoTestBot(), standin) as second:
        carol = standin.make_user("carol")
        handle = await standin.click_button(carol, sent.id, "dynamo:vote:down:9")
        assert (await handle.reply()).content == "vote down on idea 9 recorded"
        assert second.votes == [(int(carol["id"]), "down", 9)]
    assert len(standin.identifies) == 2


async def test_dropped_connection_resumes_without_losing_an_interaction(
    standin: StandIn, bot: DynamoTestBot
) -> None:
    await standin.drop_connections()
    # Dispatched while the bot is away: buffered, then replayed on RESUME.
    handle = await standin.slash_command(standin.make_user("dave"), standin.guild().id, "hello")
    assert (await handle.reply()).content == "hello dave"
    await asyncio.wait_for(bot.resumed.wait(), 5)
    assert len(standin.hub.resumes) == 1

    bot.resumed.clear()
    await standin.request_reconnect()  # op 7: Discord moving the session
    await asyncio.wait_for(bot.resumed.wait(), 5)
    await bot.change_presence(activity=discord.Game("organizing"))
    await standin.wait_for(lambda: standin.presence_updates, what="a presence update")
    assert len(standin.hub.resumes) == 2 and len(standin.identifies) == 1


async def test_rate_limited_request_is_retried_once(standin: StandIn, bot: DynamoTestBot) -> None:
    general = bot.get_channel(channel_id(standin, "general"))
    assert isinstance(general, discord.TextChannel)
    standin.inject_rate_limit("POST", "/channels/{channel_id}/messages", retry_after=0.05)
    await general.send("after a 429")
    attempts = standin.requests_to("POST", f"/channels/{general.id}/messages")
    assert [r.status for r in attempts] == [429, 200]
    assert [m.content for m in standin.messages_in(general.id)] == ["after a 429"]


async def test_unknown_routes_and_late_answers_fail_like_discord() -> None:
    async with StandIn(guilds=[GUILD], interaction_deadline=0.05) as strict:
        async with patched_discord(strict), running_client(DynamoTestBot(), strict) as client:
            await client.tree.sync()
            guild = client.get_guild(strict.guild().id)
            assert guild is not None
            with pytest.raises(discord.NotFound):
                await guild.fetch_emojis()
            assert [r.path for r in strict.unhandled] == [f"/guilds/{guild.id}/emojis"]

            await strict.slash_command(strict.make_user("erin"), guild.id, "slow")
            await strict.wait_for(lambda: client.errors, what="the late answer to fail")
            assert isinstance(client.errors[0], discord.NotFound)
            assert client.errors[0].code == 10062  # Unknown interaction


async def test_deferred_answers_edit_the_right_message(
    standin: StandIn, bot: DynamoTestBot
) -> None:
    general = channel_id(standin, "general")
    alice = standin.make_user("alice")
    handle = await standin.slash_command(alice, standin.guild().id, "tally")
    (details,) = await handle.wait_followups(1)
    assert handle.original is not None
    assert handle.original.content == "Tally: 3 up, 1 down" and not handle.original.loading
    assert [m.content for m in standin.messages_in(general)] == ["Tally: 3 up, 1 down"]
    assert details.ephemeral and details.content == "only you see the details"
    assert standin.interaction_responses(handle) == [handle.original, details]

    channel = bot.get_channel(general)
    assert isinstance(channel, discord.TextChannel)
    view = discord.ui.View(timeout=None)
    view.add_item(CloseButton(5))
    sent = await channel.send("Idea #5", view=view)
    closing = await standin.click_button(alice, sent.id, "dynamo:close:5", general)
    assert (await closing.response())["type"] == 6
    await standin.wait_for(lambda: standin.message(sent.id).content == "Idea #5 closed")
    assert standin.message(sent.id).components == []


async def test_edits_deletes_uploads_and_selects(standin: StandIn, bot: DynamoTestBot) -> None:
    channel = bot.get_channel(channel_id(standin, "announcements"))
    assert isinstance(channel, discord.TextChannel)
    export = discord.File(io.BytesIO(b"pseudonym,votes\nlight_dragonfly,3\n"), "export.csv")
    sent = await channel.send("Export attached", file=export)
    stored = standin.message(sent.id)
    assert [f.filename for f in stored.files] == ["export.csv"]
    assert await sent.attachments[0].read() == b"pseudonym,votes\nlight_dragonfly,3\n"
    assert stored.allowed_mentions == {"parse": []}  # the client-wide default reached the body

    await sent.edit(content="Export (corrected)")
    assert standin.message(sent.id).content == "Export (corrected)"
    await sent.delete()
    assert standin.messages_in(channel.id) == []

    picked: list[str] = []

    class Priority(discord.ui.Select[discord.ui.View]):
        async def callback(self, interaction: discord.Interaction) -> None:
            picked.extend(self.values)
            await interaction.response.send_message("noted", ephemeral=True)

    view = discord.ui.View(timeout=None)
    view.add_item(
        Priority(
            custom_id="dynamo:priority",
            options=[discord.SelectOption(label=v, value=v) for v in ("pay", "hours")],
        )
    )
    poll = await channel.send("What matters most?", view=view)
    handle = await standin.choose(standin.make_user("bob"), poll.id, "dynamo:priority", ["pay"])
    assert (await handle.reply()).content == "noted"
    assert picked == ["pay"]
    with pytest.raises(StandInError, match="pick"):
        await standin.choose(standin.make_user("bob"), poll.id, "dynamo:priority", ["cake"])
    # Without allowed_mentions, Discord would ping everyone a message names.
    assert compute_pings("@everyone <@1>", None) == Pings(frozenset({1}), frozenset(), True)
