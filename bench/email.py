"""Email benchmark: the weekly update to 10,000 verified members through a local aiosmtpd.

The SMTP server runs in a process of its own (so it does not share the bot's CPU or
memory); the bot side is the real weekly job (ledger row, 10,000 outbox rows, the space
post) and the real mailer (claim, compose per time zone, MIME, SMTP over reused
connections, mark sent). Prints emails/s, total time and the bot process's peak RSS.

The raw reference, in the same run: the server keeps what the bot sent (envelope and bytes),
and a plain aiosmtplib client then sends exactly those messages to the same server over as
many connections, with nothing of ours around it (no database, no composing, no MIME). The
bot's sending rate over that rate is what everything above SMTP costs.

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
import pickle
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
import uuid
from collections import deque
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.db import Database

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata")


# -- the SMTP server process ----------------------------------------------------------------
def serve(port: int) -> None:
    """Accept and count mail, keeping what arrives, until stdin closes. Commands on stdin, one
    a line, each answered on stdout: ``dump PATH`` writes what was kept since the last dump
    (pickled envelopes and bytes), ``count`` says how many arrived; both then forget them."""
    import pickle
    from pathlib import Path

    from aiosmtpd.smtp import SMTP, Envelope

    class Keeper:
        def __init__(self) -> None:
            self.kept: list[tuple[str, list[str], bytes]] = []

        async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
            assert envelope.mail_from is not None and envelope.original_content is not None
            self.kept.append((envelope.mail_from, envelope.rcpt_tos, envelope.original_content))
            return "250 OK"

    async def main() -> None:
        keeper = Keeper()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(keeper), "127.0.0.1", port)
        print(f"ready {server.sockets[0].getsockname()[1]}", flush=True)
        while line := await asyncio.to_thread(sys.stdin.readline):
            command, _, arg = line.strip().partition(" ")
            if command == "dump":
                await asyncio.to_thread(Path(arg).write_bytes, pickle.dumps(keeper.kept))
                print(f"dumped {len(keeper.kept)}", flush=True)
                keeper.kept = []
            elif command == "count":
                print(f"received {len(keeper.kept)}", flush=True)
                keeper.kept = []
        server.close()

    asyncio.run(main())


class Server:
    """The SMTP server process, driven over its stdin (see serve)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--serve", "0"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = self.ask(None).split()
        if len(ready) != 2 or ready[0] != "ready":
            self.close()
            raise RuntimeError("the SMTP server process did not start")
        self.port = int(ready[1])

    def ask(self, command: str | None) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if command is not None:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)


def aiosmtplib_version() -> str:
    from importlib.metadata import version

    return version("aiosmtplib")


# -- the raw reference ------------------------------------------------------------------------
async def raw_rate(
    port: int, messages: list[tuple[str, list[str], bytes]], connections: int
) -> float:
    """Messages per second from a plain aiosmtplib client, ``connections`` at once."""
    import aiosmtplib

    queue = deque(messages)

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=30)
        await client.connect()
        try:
            while queue:
                sender, recipients, content = queue.popleft()
                await client.sendmail(sender, recipients, content)
        finally:
            await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(connections, len(messages)))))
    return len(messages) / (time.perf_counter() - started)


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
    from commands.jobs.table import JOBS
    from storage import secret
    from storage.db import Database
    from storage.models import Outbox
    from storage.types import utcnow
    from storage.vault import Vault

    schema = None
    scratch: str | None = None  # the SQLite database's directory, removed at the end
    if args.database == "postgresql":
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = Database(PG_URL)
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        await admin.dispose()
        url = PG_URL
    else:
        scratch = tempfile.mkdtemp(prefix="dynamo-bench-")
        url = f"sqlite:///{scratch}/bench.db"
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
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
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
    parser.add_argument(
        "--raw-rounds", type=int, default=3, help="rounds of the raw reference (median shown)"
    )
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve)
        return 0
    server = Server()
    try:
        result = asyncio.run(bench(args, server.port))
        with tempfile.TemporaryDirectory(prefix="dynamo-bench-mail-") as tmp:
            dumped = server.ask(f"dump {tmp}/sent.pickle")
            with open(f"{tmp}/sent.pickle", "rb") as fh:
                messages = pickle.load(fh)
        raw_rates = []
        for _ in range(args.raw_rounds):
            raw_rates.append(asyncio.run(raw_rate(server.port, messages, args.connections)))
            received = server.ask("count")
            if received != f"received {len(messages)}":
                print(f"the raw reference lost mail (server: {received})", file=sys.stderr)
                return 1
    finally:
        server.close()
    emails = result["sent"]
    send_rate = emails / result["send_s"]
    raw = statistics.median(raw_rates)
    ratios = sorted(send_rate / r for r in raw_rates)
    size = statistics.median(len(m[2]) for m in messages) if messages else 0
    print(f"database            {args.database}")
    print(f"members verified    {args.members}")
    print(f"emails sent         {int(emails)} (server: {dumped.replace('dumped', 'received')})")
    print(f"SMTP connections    {int(result['connections'])} (limit {args.connections})")
    print(f"weekly job          {result['job_s']:.2f} s (ledger, outbox rows, space post)")
    print(f"sending             {result['send_s']:.2f} s = {send_rate:.0f} emails/s")
    print(
        f"total               {result['total_s']:.2f} s = {emails / result['total_s']:.0f} emails/s"
    )
    print(
        f"raw reference       the same {len(messages)} messages ({size:.0f} bytes each, median) "
        f"from a plain aiosmtplib {aiosmtplib_version()} client to the same aiosmtpd, "
        f"{args.connections} connections: {raw:.0f}/s "
        f"(median of {len(raw_rates)}: {', '.join(f'{r:.0f}' for r in raw_rates)})"
    )
    print(
        f"ratio               bot sending / raw = {send_rate / raw:.2f} "
        f"(against each raw round {ratios[0]:.2f}-{ratios[-1]:.2f})"
    )
    print(
        f"peak RSS (bot)      {result['rss_peak_mb']:.0f} MB "
        f"({result['rss_before_mb']:.0f} MB before the run)"
    )
    return 0 if int(emails) == args.members else 1


if __name__ == "__main__":
    raise SystemExit(main())
