"""Email benchmark: the weekly update to 10,000 verified members through a local aiosmtpd.

The SMTP server runs in a process of its own (so it does not share the bot's CPU or
memory); the bot side is the real weekly job (ledger row, 10,000 outbox rows, the space
post) and the real mailer (claim, compose per time zone, MIME, SMTP over reused
connections, mark sent). Prints emails/s, total time and the bot process's peak RSS.

    .venv/bin/python bench/email.py [--members 10000] [--connections 4]
                                    [--database sqlite|postgresql]
"""

from __future__ import annotations

import os
import sys

# This file is called email.py, and Python puts the folder of the script it runs first on
# the import path. So when another script here (bench/core.py) imports the standard
# library's email package, it gets this file: hand it the real package instead. The rest
# of this file then only defines functions (the project is imported inside them).
if __name__ == "email":
    import importlib

    _here = os.path.dirname(os.path.abspath(__file__))
    _path = list(sys.path)
    sys.path[:] = [p for p in _path if os.path.abspath(p or ".") != _here]
    del sys.modules["email"]
    try:
        sys.modules["email"] = importlib.import_module("email")
    finally:
        sys.path[:] = _path
elif sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    # Run as the benchmark: keep this folder off the path before anything imports email.
    sys.path.pop(0)

import argparse
import asyncio
import resource
import subprocess
import tempfile
import time
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Database

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata")


# -- the SMTP server process ----------------------------------------------------------------
def serve(port: int) -> None:
    """Accept and count mail until stdin closes, then print the count."""
    from aiosmtpd.smtp import SMTP

    class Counter:
        count = 0

        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            self.count += 1
            return "250 OK"

    async def main() -> None:
        counter = Counter()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(counter), "127.0.0.1", port)
        print(f"ready {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.to_thread(sys.stdin.read)
        server.close()
        print(f"received {counter.count}", flush=True)

    asyncio.run(main())


# -- the bot side -----------------------------------------------------------------------------
async def seed(db: Database, members: int) -> None:
    import sqlalchemy as sa

    from storage.models import Campaign, CampaignUpdate, Idea, Member, MemberEmail, MemberPrefs
    from storage.types import utcnow
    from storage.vault import EMAIL

    now = utcnow()
    async with db.write() as conn:
        await conn.execute(
            sa.insert(Member.__table__),
            [
                {
                    "pseudonym": f"bench_member{i}",
                    "role": "member",
                    "code_kind": "worker",
                    "created_at": now,
                }
                for i in range(1, members + 1)
            ],
        )
        await conn.execute(
            sa.insert(MemberEmail.__table__),
            [
                {
                    "member_id": i,
                    "address": db.vault.seal(f"member{i}@bench.example", EMAIL),
                    "verified_at": now,
                    "code_attempts": 0,
                    "requests": 0,
                    "unsubscribe_token": f"tok{i:06d}",
                }
                for i in range(1, members + 1)
            ],
        )
        # A quarter set their own time zone: the weekly mail is rendered once per zone.
        await conn.execute(
            sa.insert(MemberPrefs.__table__),
            [
                {"member_id": i, "notify": "dm", "timezone": ZONES[i % len(ZONES)]}
                for i in range(1, members + 1, 4)
            ],
        )
        for n in range(1, 4):
            await conn.execute(
                sa.insert(Idea.__table__).values(
                    id=n,
                    author_id=n,
                    text=f"Campaign number {n} for fair pay",
                    up=30,
                    down=2,
                    status="campaign",
                    hidden=False,
                    created_at=now,
                    launched_at=now,
                )
            )
            await conn.execute(
                sa.insert(Campaign.__table__).values(
                    id=n,
                    launched_at=now,
                    status="active",
                    signature_count=100 * n,
                    doc_rev=0,
                    petition_text="We ask requesters to pay for qualification tests.",
                )
            )
            await conn.execute(
                sa.insert(CampaignUpdate.__table__).values(
                    campaign_id=n,
                    rev=1,
                    member_id=n,
                    created_at=now,
                    text="This week we met the requester's team; they answer by Friday. " * 4,
                )
            )


async def bench(args: argparse.Namespace, port: int) -> dict[str, float]:
    import sqlalchemy as sa

    from bot.app import App
    from bot.config import Config, EmailSettings
    from commands.jobs import JOBS
    from storage import secret
    from storage.db import Database
    from storage.models import Outbox
    from storage.types import utcnow
    from storage.vault import Vault

    schema = None
    if args.database == "postgresql":
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = Database(PG_URL)
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        await admin.dispose()
        url = PG_URL
    else:
        url = f"sqlite:///{tempfile.mkdtemp(prefix='dynamo-bench-')}/bench.db"
    config = Config(
        email=EmailSettings(
            host="127.0.0.1",
            port=port,
            starttls=False,
            sender="dynamo@bench.example",
            connections=args.connections,
        )
    )
    if not secret.given(os.environ):  # a throwaway secret, as the database is thrown away
        os.environ[secret.KEY_ENV] = secret.new_secret()
    db = Database(url, schema=schema, pool_size=10, vault=Vault.from_environ())
    app = App(config, db=db)
    try:
        await app.migrate()
        await seed(db, args.members)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        queued = await JOBS["weekly_update"](app.jobs, utcnow() - timedelta(minutes=1))
        job_done = time.perf_counter()
        assert app.mailer is not None
        await app.mailer.drain(max_rounds=100_000)
        finished = time.perf_counter()
        async with db.read() as conn:
            outbox_t = Outbox.__table__
            sent = await conn.scalar(
                sa.select(sa.func.count()).where(
                    outbox_t.c.kind == "email", outbox_t.c.sent_at.is_not(None)
                )
            )
        return {
            "queued": queued,
            "sent": float(sent or 0),
            "job_s": job_done - started,
            "send_s": finished - job_done,
            "total_s": finished - started,
            "connections": float(app.mailer.connections_opened),
            "rss_before_mb": rss_before,
            "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    finally:
        await app.stop()
        if schema:
            admin = Database(PG_URL)
            async with admin.engine.begin() as conn:
                await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            await admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return 0
    server = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--serve", "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    try:
        ready = server.stdout.readline().split()
        if not ready or ready[0] != "ready":
            print("the SMTP server process did not start", file=sys.stderr)
            return 1
        result = asyncio.run(bench(args, int(ready[1])))
    finally:
        server.stdin.close()
        received = server.stdout.readline().strip()
        server.wait(timeout=30)
    emails = result["sent"]
    print(f"database            {args.database}")
    print(f"members verified    {args.members}")
    print(f"emails sent         {int(emails)} (server: {received})")
    print(f"SMTP connections    {int(result['connections'])} (limit {args.connections})")
    print(f"weekly job          {result['job_s']:.2f} s (ledger, outbox rows, space post)")
    print(
        f"sending             {result['send_s']:.2f} s = {emails / result['send_s']:.0f} emails/s"
    )
    print(
        f"total               {result['total_s']:.2f} s = {emails / result['total_s']:.0f} emails/s"
    )
    print(
        f"peak RSS (bot)      {result['rss_peak_mb']:.0f} MB "
        f"({result['rss_before_mb']:.0f} MB before the run)"
    )
    return 0 if int(emails) == args.members else 1


if __name__ == "__main__":
    raise SystemExit(main())
