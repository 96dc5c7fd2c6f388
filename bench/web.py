"""Web benchmark: requests per second and p50/p99 latency of the public pages under 100
concurrent clients, next to a static file served by the same aiohttp app in the same run.

With 10,000 members, 1,000 ideas and 100,000 votes stored (bench/seeding.py), idea 1 is a
launched campaign with a petition, 2,000 signatures (some with a shown name), three
organizers and a 200,000-character Markdown document with 648 headings. An App serves the
web on a free loopback port in this process, as `dynamo run` does; the load comes from
another process (bench/web_client.py, aiohttp, 100 connections), in rounds that alternate
between /static/site.css (the reference: aiohttp's own static file handler, no database),
the front page, /campaigns/1 and /campaigns/1/document, so all see the same machine; each
round ends with /campaigns/1 again while members downvote ideas through the command layer,
10 votes a second (each a commit: the page is rendered anew after each). Each page's rate
is printed with its ratio to the static file's rate (median of the rounds).

    .venv/bin/python bench/web.py [--only sqlite|postgresql] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from seeding import IDEAS, MEMBERS, VOTES_EACH, bench_vault, seed_movement

from bot.app import App
from bot.config import Config
from bot.web.assemble import web_server
from bot.web.settings import WebSettings
from commands.framework.privacy import NO_DELAY
from commands.framework.reply import IdentityRef
from commands.framework.rules import Rules
from storage import migrate
from storage.db import Database
from storage.models import Campaign, Signature
from storage.repos import campaigns, documents, ideas, petitions
from storage.types import utcnow

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
CLIENT = Path(__file__).with_name("web_client.py")
CLIENTS = 100
CAMPAIGN = 1
SIGNATURES = 2_000
DOCUMENT_CHARS = 200_000
PATHS = ("/static/site.css", "/", f"/campaigns/{CAMPAIGN}", f"/campaigns/{CAMPAIGN}/document")
# The campaign page again while members vote, WRITES_PER_S a second: each vote is a commit
# that moves the data version, so the next request renders the page anew.
WRITING = "writing"
WRITES_PER_S = 10
NAMES = {
    "/static/site.css": "static file",
    "/": "front page",
    f"/campaigns/{CAMPAIGN}": "campaign page",
    f"/campaigns/{CAMPAIGN}/document": "document page",
    WRITING: "campaign+votes",
}


def document() -> str:
    """A long campaign document: sections with subsections, paragraphs, lists, a table,
    links and code, cut at a heading to DOCUMENT_CHARS characters at most."""
    parts: list[str] = []
    size = 0
    n = 0
    while True:
        n += 1
        section = (
            f"## Section {n}: what we ask of requesters, part {n}\n\n"
            f"Workers on the platform report that rejected work is often kept and used. "
            f"This section sets out **demand {n}** with the evidence gathered in week "
            f"{n % 52 + 1}, and what an [outside reviewer](https://example.org/review/{n}) "
            f"would check.\n\n"
            f"### Evidence for demand {n}\n\n"
            f"- {n * 3} reports of rejected work later seen in a data set\n"
            f"- a median pay of ${n % 9 + 2}.{n % 10}0 an hour across the reports\n"
            f"- *quotes* from workers, kept without names\n\n"
            f"| week | reports | rejected |\n|---|---|---|\n"
            f"| {n} | {n * 7} | {n * 2} |\n| {n + 1} | {n * 5} | {n} |\n\n"
            f"> We do the work; we ask to be paid for the work we do (`demand-{n}`).\n\n"
        )
        if size + len(section) > DOCUMENT_CHARS:
            return "".join(parts)
        parts.append(section)
        size += len(section)


async def seed(db: Database) -> None:
    """The movement of bench/seeding.py, then idea 1 launched as a campaign with its
    petition, signatures, organizers and document (through the repositories, with the
    signatures as one plain insert)."""
    now = utcnow()
    async with db.write() as conn:
        await seed_movement(
            conn,
            db.vault,
            now=now,
            identity_key=lambda m: f"bench:{m}",
            platform="bench",
            idea_text=lambda i: f"Benchmark idea number {i}",
        )
        assert await ideas.mark_launched(conn, CAMPAIGN, now)
        await campaigns.create(conn, CAMPAIGN, now)
        for member in (1, 2, 3):
            await campaigns.add_organizer(conn, CAMPAIGN, member, now)
        await petitions.set_statement(
            conn, CAMPAIGN, 1, "Pay for rejected work that is kept and used.", now
        )
        await conn.execute(
            sa.insert(Signature.__table__),
            [
                {
                    "campaign_id": CAMPAIGN,
                    "member_id": m + 1,
                    "version": 1,
                    "category": ("worker", "researcher", "ally")[m % 3],
                    "display_name": f"Signer {m}" if m % 10 == 0 else None,
                    "created_at": now,
                }
                for m in range(SIGNATURES)
            ],
        )
        await documents.add(
            conn,
            campaign_id=CAMPAIGN,
            rev=1,
            member_id=1,
            action="edit",
            text=document(),
            now=now,
        )
        campaign_t = Campaign.__table__
        await conn.execute(
            sa.update(campaign_t)
            .where(campaign_t.c.id == CAMPAIGN)
            .values(signature_count=SIGNATURES, doc_rev=1)
        )


async def load(url: str, seconds: float, limit: int) -> dict[str, float]:
    """One round of CLIENTS connections on ``url``, from another process."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(CLIENT),
        url,
        str(CLIENTS),
        str(seconds),
        str(limit),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the load client failed on {url}")
    result: dict[str, float] = json.loads(out)
    if not result["requests"]:
        raise RuntimeError(f"{url}: no answer within the round; make the rounds longer")
    if result["errors"]:
        raise RuntimeError(f"{url}: {result['errors']} answers were not 200")
    return result


async def votes(app: App, stop: asyncio.Event) -> float:
    """Members downvote ideas they had not voted on, WRITES_PER_S a second through the
    command layer, until ``stop``; returns how many a second it cast."""
    cast = 0
    started = time.perf_counter()
    while not stop.is_set() and cast < 10_000:
        m = 2_000 + cast  # members who did not sign
        idea = (7 * m + 500) % IDEAS + 1
        who = IdentityRef(key=f"bench:{m}", platform="bench")
        reply = await app.invoker.handle(who, f"downvote {idea}", where="dm")
        if not reply.ok:
            raise RuntimeError(f"vote refused: {reply.text}")
        cast += 1
        due = started + cast / WRITES_PER_S - time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, due))
    return cast / (time.perf_counter() - started)


async def run_backend(db: Database, rounds: int, seconds: float) -> dict[str, dict[str, float]]:
    await migrate.upgrade(db)
    await seed(db)
    config = Config(
        rules=Rules(),
        privacy=NO_DELAY,
        web=WebSettings(listen="127.0.0.1:0", public_url="https://dynamo.example.org"),
    )
    app = App(config, db=db)
    app.web = web_server(app)
    await app.start(dispatch=False, migrate=False)
    try:
        assert app.web.port is not None
        base = f"http://127.0.0.1:{app.web.port}"
        samples: dict[str, list[dict[str, float]]] = {path: [] for path in (*PATHS, WRITING)}
        for _ in range(rounds):
            for path in PATHS:
                samples[path].append(await load(base + path, seconds, 200_000))
            stop = asyncio.Event()
            voting = asyncio.create_task(votes(app, stop))
            samples[WRITING].append(await load(base + PATHS[2], seconds, 200_000))
            stop.set()
            samples[WRITING][-1]["writes"] = await voting
    finally:
        await app.stop()
    static = [s["requests"] / s["seconds"] for s in samples[PATHS[0]]]
    results = {}
    for path in (*PATHS, WRITING):
        rates = [s["requests"] / s["seconds"] for s in samples[path]]
        ratios = sorted(r / ref for r, ref in zip(rates, static, strict=True))
        results[path] = {
            "rate": statistics.median(rates),
            "p50": statistics.median(s["p50"] for s in samples[path]),
            "p99": statistics.median(s["p99"] for s in samples[path]),
            "kib": samples[path][0]["bytes"] / samples[path][0]["requests"] / 1024,
            "ratio": statistics.median(ratios),
            "ratio_low": ratios[0],
            "ratio_high": ratios[-1],
            "writes": statistics.median(s.get("writes", 0.0) for s in samples[path]),
        }
    return results


def report(name: str, by_path: dict[str, dict[str, float]]) -> None:
    for path, r in by_path.items():
        print(
            f"{name:<11} {NAMES[path]:<14} {r['kib']:>8.1f} {r['rate']:>7.0f} "
            f"{r['p50']:>7.1f}/{r['p99']:<7.1f} {r['ratio']:>8.2f} "
            f"({r['ratio_low']:.2f}-{r['ratio_high']:.2f})"
            + (f", {r['writes']:.1f} votes/s done" if path == WRITING else ""),
            flush=True,
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--quick", action="store_true", help="shorter rounds (a smoke run)")
    args = parser.parse_args()
    rounds, seconds = (1, 1.0) if args.quick else (3, 4.0)
    print(
        f"Dynamo web benchmark: {MEMBERS:,} members, {IDEAS:,} ideas, "
        f"{MEMBERS * VOTES_EACH:,} votes, campaign #{CAMPAIGN} with {SIGNATURES:,} signatures "
        f"and a {len(document()):,}-character document; {CLIENTS} concurrent clients in "
        f"another process, {rounds} alternating rounds of {seconds:g} s (median); "
        f"load {os.getloadavg()[0]:.1f} at the start"
    )
    print(
        f"{'database':<11} {'page':<14} {'size KiB':>8} {'req/s':>7} {'p50/p99 ms':>15} "
        f"{'/ static':>8} {'(rounds)':>11}",
        flush=True,
    )
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{tmp}/bench.db", vault=bench_vault())
            try:
                report("SQLite", await run_backend(db, rounds, seconds))
            finally:
                await db.dispose()
    if args.only in (None, "postgresql"):
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = Database(PG_URL)
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        # The pool `dynamo run` has (5 connections, 20 more at a peak).
        db = Database(PG_URL, schema=schema, vault=bench_vault())
        try:
            report("PostgreSQL", await run_backend(db, rounds, seconds))
        finally:
            await db.dispose()
            async with admin.engine.begin() as conn:
                await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            await admin.dispose()
    print(f"load {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    asyncio.run(main())
