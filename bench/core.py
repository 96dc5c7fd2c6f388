"""Core benchmark: command-layer latency and throughput on SQLite and PostgreSQL.

With 10,000 members, 1,000 ideas and 100,000 votes already stored, it measures through the
invoker (parsing, roles, one transaction, outbox) the p50/p99 latency of `upvote`, `pitch`
and `ideas`, the sustained upvotes per second from one process next to a raw-driver
transaction running the same statements (bench/raw.py) and their ratio, and peak RSS.

    .venv/bin/python bench/core.py [--only sqlite|postgresql] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from raw import RawSqlite, Schedule, raw_postgresql_rate
from seeding import IDEAS, MEMBERS, VOTES_EACH, bench_vault, seed_movement

from commands.catalog import build_registry
from commands.framework.invoker import Invoker
from commands.framework.privacy import NO_DELAY, Privacy
from commands.framework.reply import IdentityRef
from commands.framework.rules import Rules
from storage import migrate
from storage.db import Database
from storage.repos import outbox
from storage.types import utcnow

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def ident(m: int) -> IdentityRef:
    return IdentityRef(key=f"bench:{m}", platform="bench")


async def seed(db: Database) -> None:
    async with db.write() as conn:
        await seed_movement(
            conn,
            db.vault,
            now=utcnow(),
            identity_key=lambda m: ident(m).key,
            platform="bench",
            idea_text=lambda i: f"Benchmark idea number {i}",
        )


def percentiles(samples: list[float]) -> tuple[float, float]:
    samples = sorted(samples)
    p50 = statistics.median(samples)
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return p50 * 1000, p99 * 1000


async def timed(n: int, call: Callable[[int], Awaitable[object]]) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        reply = await call(i)
        out.append(time.perf_counter() - t0)
        if not getattr(reply, "ok", True):
            raise RuntimeError(f"command refused: {reply.text}")  # type: ignore[attr-defined]
    return out


ROUNDS = 3


async def bot_rate(invoker: Invoker, schedule: Schedule, total: int, workers: int = 16) -> float:
    """Upvotes per second through the invoker, ``workers`` members voting at once."""
    next_vote = iter(range(total))

    async def work() -> None:
        for i in next_vote:
            m, idea = schedule(i)
            reply = await invoker.handle(ident(m), f"upvote {idea}", where="dm")
            if not reply.ok or "You upvoted" not in reply.text:
                raise RuntimeError(f"not a fresh vote: {reply.text}")

    started = time.perf_counter()
    await asyncio.gather(*(work() for _ in range(workers)))
    return total / (time.perf_counter() - started)


async def run_backend(name: str, db: Database, quick: bool) -> dict[str, float]:
    await migrate.upgrade(db)
    t0 = time.perf_counter()
    await seed(db)
    seed_s = time.perf_counter() - t0
    # Launch is a one-time event; a high threshold keeps the seeded ideas open throughout.
    rules = Rules(launch_upvotes=1_000_000, pitches_per_day=1_000)
    invoker = Invoker(
        db=db, registry=build_registry(), rules=rules, spaces=("discord:1", "irc:net")
    )
    n = 300 if quick else 2_000

    # Each measured upvote is a new vote: member m on an idea it did not vote on when seeded.
    def upvote_call(offset: int) -> Callable[[int], Awaitable[object]]:
        def call(i: int) -> Awaitable[object]:
            m = (i * 37 + offset) % MEMBERS
            idea = (7 * m + 500 + offset // MEMBERS) % IDEAS + 1
            return invoker.handle(ident(m), f"upvote {idea}", where="dm")

        return call

    for i in range(50):  # warm up pools and caches
        await invoker.handle(ident(i), "ideas", where="dm")
    up_lat = await timed(n, upvote_call(0))
    pitch_lat = await timed(
        n,
        lambda i: invoker.handle(
            ident(i), f"pitch Bench pitch {i} {uuid.uuid4().hex[:8]}", where="dm"
        ),
    )
    ideas_lat = await timed(n, lambda i: invoker.handle(ident(i), "ideas", where="dm"))

    # With [privacy] max_public_delay set, a vote is checked and queued at once and carried
    # out at its random moment (commands.framework.deferral): both halves are timed.
    invoker.privacy = Privacy(max_public_delay="90s")
    queued_lat = await timed(n, upvote_call(MEMBERS * 3))
    invoker.privacy = NO_DELAY
    async with db.write() as conn:
        queued = await outbox.claim(
            conn,
            outbox.of_kind(outbox.COMMAND),
            now=utcnow() + timedelta(minutes=2),
            lease=timedelta(minutes=10),
            limit=n,
        )
    carry_lat = await timed(len(queued), lambda i: invoker.carry_out(queued[i]))

    # Sustained: 16 concurrent voters cast fresh votes, in rounds that alternate with the
    # raw reference (bench/raw.py: the same statements on the bare driver), so both see the
    # same machine; each round uses ideas no member voted on yet.
    keys = [db.vault.digest(ident(m).key) for m in range(MEMBERS)]
    per_round = (2_000 if quick else 6_000) // ROUNDS
    rates: list[float] = []
    raw_rates: list[float] = []
    for r in range(ROUNDS):

        def fresh(i: int, offset: int = 600 + 20 * r) -> tuple[int, int]:
            m = (i * 37 + 1) % MEMBERS
            return m, (7 * m + offset) % IDEAS + 1

        rates.append(await bot_rate(invoker, fresh, per_round))

        def fresh_raw(i: int, offset: int = 610 + 20 * r) -> tuple[int, int]:
            m = (i * 37 + 1) % MEMBERS
            return m, (7 * m + offset) % IDEAS + 1

        now = utcnow()
        if db.is_sqlite:
            reference = RawSqlite(db.path)
            try:
                raw_rates.append(reference.rate(keys, fresh_raw, per_round, now))
            finally:
                reference.close()
        else:
            assert db.schema is not None
            raw_rates.append(
                await raw_postgresql_rate(PG_URL, db.schema, keys, fresh_raw, per_round, now)
            )
    ratios = sorted(b / w for b, w in zip(rates, raw_rates, strict=True))
    rate = statistics.median(rates)
    result = {
        "seed_s": seed_s,
        "rate": rate,
        "raw_rate": statistics.median(raw_rates),
        "ratio": statistics.median(ratios),
        "ratio_low": ratios[0],
        "ratio_high": ratios[-1],
    }
    for label, lat in (
        ("upvote", up_lat),
        ("pitch", pitch_lat),
        ("ideas", ideas_lat),
        ("queued", queued_lat),
        ("carried", carry_lat),
    ):
        result[f"{label}_p50"], result[f"{label}_p99"] = percentiles(lat)
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    args = parser.parse_args()
    results = {}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{tmp}/bench.db", vault=bench_vault())
            try:
                results["SQLite"] = await run_backend("sqlite", db, args.quick)
            finally:
                await db.dispose()
    if args.only in (None, "postgresql"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = Database(PG_URL)
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        db = Database(PG_URL, schema=schema, pool_size=16, vault=bench_vault())
        try:
            results["PostgreSQL"] = await run_backend("postgresql", db, args.quick)
        finally:
            await db.dispose()
            async with admin.engine.begin() as conn:
                await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            await admin.dispose()
    print(
        f"Dynamo core benchmark: {MEMBERS:,} members, {IDEAS:,} ideas, "
        f"{MEMBERS * VOTES_EACH:,} votes stored; latency through the command layer (ms)"
    )
    print(
        f"{'database':<11} {'upvote p50/p99':>15} {'pitch p50/p99':>15} {'ideas p50/p99':>15} "
        f"{'upvotes/s':>10} {'seed s':>7}"
    )
    for name, r in results.items():
        print(
            f"{name:<11} {r['upvote_p50']:>6.2f}/{r['upvote_p99']:<8.2f} "
            f"{r['pitch_p50']:>6.2f}/{r['pitch_p99']:<8.2f} "
            f"{r['ideas_p50']:>6.2f}/{r['ideas_p99']:<8.2f} "
            f"{r['rate']:>10.0f} {r['seed_s']:>7.1f}"
        )
    print("with a delay, an upvote is queued at once and carried out later (ms, p50/p99):")
    for name, r in results.items():
        print(
            f"{name:<11} queued {r['queued_p50']:.2f}/{r['queued_p99']:.2f}, carried out "
            f"{r['carried_p50']:.2f}/{r['carried_p99']:.2f}; together "
            f"{(r['queued_p50'] + r['carried_p50']) / r['upvote_p50']:.2f}x an immediate upvote"
        )
    print(
        "sustained upvotes/s, 16 voters at once, next to the same statements on the bare driver "
        f"(sqlite3; asyncpg), median of {ROUNDS} alternating rounds:"
    )
    for name, r in results.items():
        print(
            f"{name:<11} bot {r['rate']:.0f}/s, raw driver {r['raw_rate']:.0f}/s: "
            f"ratio {r['ratio']:.2f} (rounds {r['ratio_low']:.2f}-{r['ratio_high']:.2f})"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
