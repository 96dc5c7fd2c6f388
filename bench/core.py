"""Core benchmark: command-layer latency and throughput on SQLite and PostgreSQL.

With 10,000 members, 1,000 ideas and 100,000 votes already stored, it measures through the
invoker (parsing, roles, one transaction, outbox) the p50/p99 latency of `upvote`, `pitch`
and `ideas`, the sustained upvotes per second from one process, and peak RSS.

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

from seeding import IDEAS, MEMBERS, VOTES_EACH, bench_vault, seed_movement

from commands.catalog import build_registry
from commands.context import IdentityRef
from commands.dispatch import Invoker
from commands.privacy import NO_DELAY, Privacy
from commands.rules import Rules
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
    # out at its random moment (commands.deferral): both halves are timed.
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

    # Sustained: 16 concurrent voters for a fixed count of fresh votes.
    total = 2_000 if quick else 10_000
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    call = upvote_call(1)

    async def worker() -> None:
        while not queue.empty():
            i = queue.get_nowait()
            m = (i * 37 + 1) % MEMBERS
            idea = (7 * m + 600 + i // MEMBERS) % IDEAS + 1
            reply = await invoker.handle(ident(m), f"upvote {idea}", where="dm")
            if not reply.ok:
                raise RuntimeError(reply.text)

    del call
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(16)))
    rate = total / (time.perf_counter() - t0)
    result = {"seed_s": seed_s, "rate": rate}
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
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
