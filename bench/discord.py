"""Discord benchmark: interactions handled end to end, through the real discord.py client.

The bot runs in its own process exactly as ``dynamo run`` builds it (``bot.runtime``), with
its ``[discord]`` api_base/gateway_url pointed at the local Discord stand-in, which runs in
this process and plays 10,000 members. With 10,000 members, 1,000 ideas and 100,000 votes
stored (SQLite), it measures:

- announcements: the 1,000 ideas' announcement posts delivered from the outbox;
- ▲ clicks on those posts (a new vote each: a write, and coalesced in-place edits) and
  ``/ideas`` (a read), one at a time for p50/p99 latency (interaction in -> callback out) and
  32 at a time for interactions per second;
- peak RSS of the bot's process (and of this one, stand-in included).

Then the raw reference, in the same run on the same stand-in: the bot's process is stopped
and another one answers the same interactions with plain aiohttp (bench/gateway_raw.py: the
gateway in, one POST of the body the bot sent for that kind of interaction out). The same
clicks and ``/ideas`` are timed again, and the bot's figures over the raw ones are printed.

    .venv/bin/python bench/discord.py [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named discord.py: run as a script, its folder would come first on sys.path
# and shadow the discord.py library. Put the project root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Awaitable, Callable  # noqa: E402
from typing import Any  # noqa: E402

import sqlalchemy as sa  # noqa: E402

from bench.gateway_raw import RawResponder  # noqa: E402
from bench.seeding import IDEAS, MEMBERS, VOTES_EACH, bench_vault, seed_movement  # noqa: E402
from bot.config import from_dict  # noqa: E402
from bot.runtime import build_app  # noqa: E402
from bot.transports.discord.sync import sync_commands  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Outbox  # noqa: E402
from storage.types import utcnow  # noqa: E402
from tests.discord_standin import GuildSpec, InteractionHandle, StandIn  # noqa: E402

CONCURRENCY = 32
GUILD = GuildSpec("Bench Workers", text_channels=("general", "announcements"))
TOKEN_ENV = "DYNAMO_DISCORD_TOKEN"


def config_dict(db_url: str, standin: StandIn) -> dict[str, Any]:
    guild = standin.guild()
    return {
        "database": {"url": db_url},
        # Launch is a one-time event; a high threshold keeps the seeded ideas open.
        "rules": {"launch_upvotes": 1_000_000},
        # Votes carried out at once, as bench/core.py times them (it also times the delayed
        # path, the default): a click's reply then says the vote was counted.
        "privacy": {"max_public_delay": "0s"},
        "logging": {"level": "WARNING"},
        "discord": {
            "token_env": TOKEN_ENV,
            "api_base": standin.api_base,
            "gateway_url": standin.gateway_url,
            "guilds": [
                {
                    "id": guild.id,
                    "announce_channel_id": guild.channel_id("announcements"),
                    "campaign_parent_channel_id": guild.channel_id("campaigns"),
                }
            ],
        },
    }


# -- seeding ------------------------------------------------------------------------------
async def seed(db: Database, users: list[dict[str, Any]], space: str) -> None:
    """Members (with their Discord identities), ideas, votes, and the outbox rows that
    announce every idea, in bulk."""
    now = utcnow()
    async with db.write() as conn:
        up, down = await seed_movement(
            conn,
            db.vault,
            now=now,
            identity_key=lambda m: f"discord:{users[m]['id']}",
            platform="discord",
            idea_text=lambda i: f"Benchmark idea number {i + 1}",
        )
        await conn.execute(
            sa.insert(Outbox.__table__),
            [
                {
                    "kind": "announce",
                    "space": space,
                    "event": "idea_pitched",
                    "payload": {
                        "text": f"New idea #{i + 1}",
                        "idea_id": i + 1,
                        "author": f"bench_{i % MEMBERS}",
                        "idea_text": f"Benchmark idea number {i + 1}",
                        "up": up[i],
                        "down": down[i],
                        "needed": 0,
                    },
                    "created_at": now,
                    "available_at": now,
                    "attempts": 0,
                }
                for i in range(IDEAS)
            ],
        )


# -- measuring ----------------------------------------------------------------------------
def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (
        statistics.median(ordered) * 1000,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    )


async def poll(check: Callable[[], bool], *, within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


# The bot's answer to each kind of interaction (callback type 4, sent at once), replayed by
# the raw reference.
ANSWERS: dict[int, dict[str, Any]] = {}


async def answered(start: Callable[[], Awaitable[InteractionHandle]]) -> float:
    """Seconds from the interaction going out to the bot's callback coming in."""
    t0 = time.perf_counter()
    handle = await start()
    first = await handle.response(within=30)
    elapsed = time.perf_counter() - t0
    reply = await handle.reply(within=30)
    if "You upvoted" not in reply.content and "ideas" not in reply.content.lower():
        raise RuntimeError(f"unexpected answer: {reply.content[:200]}")
    if first["type"] == 4:
        ANSWERS.setdefault(handle.type, first)
    return elapsed


async def one_by_one(n: int, make: Callable[[int], Callable[[], Awaitable[Any]]]) -> list[float]:
    return [await answered(make(i)) for i in range(n)]


async def at_once(n: int, make: Callable[[int], Callable[[], Awaitable[Any]]]) -> float:
    """Interactions per second with CONCURRENCY in flight."""
    queue = list(range(n))
    queue.reverse()

    async def worker() -> None:
        while queue:
            await answered(make(queue.pop()))

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return n / (time.perf_counter() - t0)


async def run(quick: bool) -> None:
    n_seq = 300 if quick else 1_000
    n_par = 1_000 if quick else 3_000
    n_rush = 500
    async with StandIn(guilds=[GUILD], interaction_deadline=30.0) as standin:
        guild = standin.guild()
        space = f"discord:{guild.id}"
        users = [standin.make_user(f"worker{m}") for m in range(MEMBERS)]
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            db = Database(url, vault=bench_vault())
            await migrate.upgrade(db)
            t0 = time.perf_counter()
            await seed(db, users, space)
            seed_s = time.perf_counter() - t0
            await db.dispose()
            config_path = Path(tmp) / "config.json"
            config_path.write_text(json.dumps(config_dict(url, standin)))
            env = {**os.environ, TOKEN_ENV: standin.token}
            await sync_commands(from_dict(config_dict(url, standin)).discord, environ=env)

            bot = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--serve", str(config_path), env=env
            )
            try:
                results = await measure(standin, users, n_seq, n_par, n_rush)
            finally:
                await stop(bot)
            bot_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

            raw_path = Path(tmp) / "raw.json"
            raw_path.write_text(json.dumps(raw_dict(standin)))
            raw = await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--serve-raw", str(raw_path), env=env
            )
            try:
                results["raw"] = await measure_raw(
                    standin, users, results.pop("post_of"), n_seq, n_par
                )
            finally:
                await stop(raw)
    results["seed_s"] = seed_s
    results["bot_peak"] = bot_peak
    report(results, n_seq, n_par, n_rush)


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await asyncio.wait_for(process.wait(), 30)


def raw_dict(standin: StandIn) -> dict[str, Any]:
    if set(ANSWERS) != {2, 3}:
        raise RuntimeError(f"the bot answered no interaction at once (kinds seen: {set(ANSWERS)})")
    return {
        "api_base": standin.api_base,
        "gateway_url": standin.gateway_url,
        "answers": {str(kind): body for kind, body in ANSWERS.items()},
    }


def clicker(
    standin: StandIn, users: list[dict[str, Any]], post_of: dict[int, int]
) -> Callable[[int], Callable[[int], Callable[[], Awaitable[Any]]]]:
    guild = standin.guild()

    def click(offset: int) -> Callable[[int], Callable[[], Awaitable[Any]]]:
        # Member m upvotes an idea it did not vote on while seeding: a new vote each time.
        def make(i: int) -> Callable[[], Awaitable[Any]]:
            m = (i * 37 + offset) % MEMBERS
            idea = (7 * m + 500 + offset * 100) % IDEAS + 1
            return lambda: standin.click_button(
                users[m], post_of[idea], f"dynamo:vote:up:{idea}", guild_id=guild.id
            )

        return make

    return click


async def measure_raw(
    standin: StandIn, users: list[dict[str, Any]], post_of: dict[int, int], n_seq: int, n_par: int
) -> dict[str, Any]:
    """The same clicks and /ideas (offsets the bot did not use), answered by the raw reference."""
    guild = standin.guild()
    click = clicker(standin, users, post_of)

    def ideas(i: int) -> Callable[[], Awaitable[Any]]:
        return lambda: standin.slash_command(users[(i * 13) % MEMBERS], guild.id, "ideas")

    deadline = time.monotonic() + 60
    while True:  # until the raw responder has identified and answers
        try:
            await answered(ideas(0))
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)
    for i in range(50):  # warm up
        await answered(ideas(i))
    return {
        "click": percentiles(await one_by_one(n_seq, click(2))),
        "ideas": percentiles(await one_by_one(n_seq, ideas)),
        "click_rate": await at_once(n_par, click(3)),
        "ideas_rate": await at_once(n_par, ideas),
    }


async def measure(
    standin: StandIn, users: list[dict[str, Any]], n_seq: int, n_par: int, n_rush: int
) -> dict[str, Any]:
    guild = standin.guild()
    announce = guild.channel_id("announcements")

    def posts() -> dict[int, int]:
        found = {}
        for message in standin.messages_in(announce):
            for custom_id in message.custom_ids:
                if custom_id.startswith("dynamo:vote:up:"):
                    found[int(custom_id.rsplit(":", 1)[1])] = message.id
        return found

    # Polled, not waited on per change: scanning every post at every request would make this
    # process (and so the measurement) slower than the bot.
    posted = standin.state.channel_messages
    await poll(lambda: len(posted.get(announce, [])) >= 1, within=60, what="a first post")
    t0 = time.perf_counter()
    await poll(lambda: len(posted.get(announce, [])) >= IDEAS, within=300, what="all posts")
    announce_rate = (IDEAS - 1) / (time.perf_counter() - t0)
    post_of = posts()
    edits_before = len(standin.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}"))

    # Members who voted on idea 1 while seeding (it is among the 10 ideas from 7m on).
    voted_on_1 = {m for m in range(MEMBERS) if (-7 * m) % IDEAS < VOTES_EACH}

    def click(offset: int) -> Callable[[int], Callable[[], Awaitable[Any]]]:
        # Member m upvotes an idea it did not vote on while seeding: a new vote each time.
        def make(i: int) -> Callable[[], Awaitable[Any]]:
            m = (i * 37 + offset) % MEMBERS
            idea = (7 * m + 500 + offset * 100) % IDEAS + 1
            if idea == 1:
                voted_on_1.add(m)
            return lambda: standin.click_button(
                users[m], post_of[idea], f"dynamo:vote:up:{idea}", guild_id=guild.id
            )

        return make

    def ideas(i: int) -> Callable[[], Awaitable[Any]]:
        return lambda: standin.slash_command(users[(i * 13) % MEMBERS], guild.id, "ideas")

    for i in range(50):  # warm up
        await answered(ideas(i))
    click_lat = await one_by_one(n_seq, click(0))
    ideas_lat = await one_by_one(n_seq, ideas)
    click_rate = await at_once(n_par, click(1))
    ideas_rate = await at_once(n_par, ideas)
    # A rush on one post: every click is a vote, the post is edited a few times at most.
    rush_post = post_of[1]
    rush_path = f"/channels/{announce}/messages/{rush_post}"
    rush_before = len(standin.requests_to("PATCH", rush_path))

    rushing = [m for m in range(MEMBERS) if m not in voted_on_1][:n_rush]

    def rush(i: int) -> Callable[[], Awaitable[Any]]:
        m = rushing[i]
        return lambda: standin.click_button(
            users[m], rush_post, "dynamo:vote:up:1", guild_id=guild.id
        )

    t0 = time.perf_counter()
    rush_rate = await at_once(n_rush, rush)
    rush_s = time.perf_counter() - t0
    await asyncio.sleep(2)  # let the last coalesced edits go out
    edits = len(standin.requests_to("PATCH", "/channels/{channel_id}/messages/{message_id}"))
    return {
        "rush_rate": rush_rate,
        "rush_s": rush_s,
        "rush_edits": len(standin.requests_to("PATCH", rush_path)) - rush_before,
        "announce_rate": announce_rate,
        "click": percentiles(click_lat),
        "ideas": percentiles(ideas_lat),
        "click_rate": click_rate,
        "ideas_rate": ideas_rate,
        "votes": n_seq + n_par + n_rush,
        "edits": edits - edits_before,
        "post_of": post_of,
    }


def report(r: dict[str, Any], n_seq: int, n_par: int, n_rush: int) -> None:
    bot_peak = r["bot_peak"]
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def row(label: str, n: int, rate: float | None = None, lat: tuple[float, float] | None = None):
        rate_text = f"{rate:.0f}" if rate is not None else ""
        lat_text = f"{lat[0]:>8.2f} {lat[1]:>8.2f}" if lat is not None else ""
        print(f"{label:<34} {n:>6} {rate_text:>11} {lat_text}".rstrip())

    print(
        f"Dynamo Discord benchmark: {MEMBERS:,} members, {IDEAS:,} ideas, "
        f"{MEMBERS * VOTES_EACH:,} votes stored (SQLite, seeded in {r['seed_s']:.1f} s)."
    )
    print("The bot in its own process; the Discord stand-in and the members in this one.")
    print(f"{'':<34} {'n':>6} {'per second':>11} {'p50 ms':>8} {'p99 ms':>8}")
    row("announcements posted", IDEAS, rate=r["announce_rate"])
    row("▲ click, one at a time", n_seq, lat=r["click"])
    row(f"▲ click, {CONCURRENCY} at a time", n_par, rate=r["click_rate"])
    row("/ideas, one at a time", n_seq, lat=r["ideas"])
    row(f"/ideas, {CONCURRENCY} at a time", n_par, rate=r["ideas_rate"])
    row(f"▲ rush on one post, {CONCURRENCY} at a time", n_rush, rate=r["rush_rate"])
    print(
        f"in-place edits of that post: {r['rush_edits']} for {n_rush} votes in "
        f"{r['rush_s']:.1f} s; all posts: {r['edits']} edits for {r['votes']} votes"
    )
    print(f"peak RSS: bot process {bot_peak:.0f} MiB; this process (stand-in) {own_peak:.0f} MiB")
    raw = r["raw"]
    print(
        f"raw reference: the same interactions answered by plain aiohttp {aiohttp_version()} in "
        "a process of its own (gateway in, the bot's callback body out; bench/gateway_raw.py)"
    )
    print(f"{'':<34} {'n':>6} {'per second':>11} {'p50 ms':>8} {'p99 ms':>8} {'bot/raw':>8}")

    def compare(
        label: str, n: int, mine: float, theirs: float, lat: tuple[float, float] | None = None
    ):
        lat_text = f"{lat[0]:>8.2f} {lat[1]:>8.2f}" if lat is not None else f"{'':>8} {'':>8}"
        rate_text = "" if lat is not None else f"{theirs:.0f}"
        print(f"{label:<34} {n:>6} {rate_text:>11} {lat_text} {mine / theirs:>8.2f}")

    compare("raw ▲ click, one at a time", n_seq, r["click"][0], raw["click"][0], raw["click"])
    compare(f"raw ▲ click, {CONCURRENCY} at a time", n_par, r["click_rate"], raw["click_rate"])
    compare("raw /ideas, one at a time", n_seq, r["ideas"][0], raw["ideas"][0], raw["ideas"])
    compare(f"raw /ideas, {CONCURRENCY} at a time", n_par, r["ideas_rate"], raw["ideas_rate"])
    print(
        "bot/raw: p50 latency over the raw p50 (above 1: slower), rate over the raw rate "
        "(below 1: slower)"
    )


def aiohttp_version() -> str:
    from importlib.metadata import version

    return version("aiohttp")


# -- the raw reference's process -----------------------------------------------------------
async def serve_raw(raw_config: dict[str, Any]) -> None:
    """Answer interactions with bench/gateway_raw.py until SIGTERM."""
    answers = {int(kind): body for kind, body in raw_config["answers"].items()}
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    token = os.environ[TOKEN_ENV]
    async with RawResponder(
        raw_config["api_base"], raw_config["gateway_url"], token, answers
    ) as responder:
        await stop.wait()
    if responder.failures:
        print(
            f"raw reference: {len(responder.failures)} callbacks refused, first: "
            f"{responder.failures[0]}",
            file=sys.stderr,
        )


# -- the bot's process --------------------------------------------------------------------
async def serve(raw_config: dict[str, Any]) -> None:
    """Run the bot as `dynamo run` would, until SIGTERM."""
    app = build_app(from_dict(raw_config))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await app.start()
    await stop.wait()
    await app.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    parser.add_argument("--serve", metavar="CONFIG", help=argparse.SUPPRESS)
    parser.add_argument("--serve-raw", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(json.loads(Path(args.serve).read_text())))
    elif args.serve_raw:
        asyncio.run(serve_raw(json.loads(Path(args.serve_raw).read_text())))
    else:
        asyncio.run(run(args.quick))


if __name__ == "__main__":
    main()
