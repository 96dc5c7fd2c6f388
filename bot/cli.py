"""The ``dynamo`` command line.

Only what every subcommand needs is imported up front: ``dynamo run`` connects to IRC first
and loads the database layer and the commands once it has joined (see
bot/transports/irc/early.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import gc
import logging
import os
import re
import signal
import sys
from datetime import timedelta
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Config, ConfigError, load
from bot.web.settings import WebError
from storage import reach, secret
from storage.errors import DatabaseUnavailable, DatabaseUrlError
from storage.secret import SecretKeyError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from bot.app import App
    from bot.transports.irc.early import EarlyConnection
    from storage.db import Database

logger = logging.getLogger("dynamo")

_DURATION = re.compile(r"^(\d+)\s*([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# How long `dynamo run` waits for its IRC connections to join before loading the rest of the
# bot. Loading holds the GIL for milliseconds at a time and would slow the handshake; a slow
# or unreachable server must not hold up start-up for longer than this.
JOIN_WAIT = 1.0


# How long codes may be made to last: a minute at least (a code that expires as it is made
# is a mistake), ten years at most (for ever is leaving out --expires).
SHORTEST, LONGEST = timedelta(minutes=1), timedelta(days=3650)


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip().lower())
    if not match or len(match.group(1)) > 7:
        raise argparse.ArgumentTypeError(
            f"{text[:40]!r} is not a duration; say for example 30d, 12h, 90m or 2w"
        )
    length = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if not SHORTEST <= length <= LONGEST:
        raise argparse.ArgumentTypeError(
            f"{text!r} is out of range: give from 1m to 3650d (ten years); leave out "
            f"--expires for codes that never expire"
        )
    return length


def version() -> str:
    """The installed package's version (pyproject.toml), or a word saying it isn't installed."""
    try:
        return metadata.version("dynamo-bot")
    except metadata.PackageNotFoundError:
        return "(not installed: pip install -e .)"


def build_parser(commands: list[tuple[str, ...]] | None = None) -> argparse.ArgumentParser:
    """The command line. ``commands``, when given, receives every command's words
    (("codes", "mint"), ...), for checks that walk all of them."""
    from commands.codes import KINDS

    # The options every command takes, before or after its name (`dynamo --config x.toml
    # run`, `dynamo run --config x.toml`): shown in every command's --help. No default (the
    # action is shared by every parser here), so that one given after the name is not undone
    # by the subcommand's default: main() reads it with getattr.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        help="TOML config file (default: the embedded defaults)",
    )
    common.add_argument(
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show log lines too (dynamo run always logs, at [logging] level)",
    )

    parser = argparse.ArgumentParser(
        prog="dynamo",
        description="Dynamo: collective action for crowd workers.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(group: Any, name: str, help: str) -> argparse.ArgumentParser:
        made = group.add_parser(name, help=help, description=help, parents=[common])
        if commands is not None:
            commands.append(tuple(made.prog.split()[1:]))
        return made

    command(sub, "run", "run the bot with every configured transport")
    command(sub, "console", "try the bot on this terminal (or replay a script)")

    codes = command(sub, "codes", "registration codes").add_subparsers(
        dest="codes_command", required=True
    )
    mint = command(codes, "mint", "mint single-use registration codes")
    mint.add_argument("count", type=int, help="how many codes")
    mint.add_argument("--kind", choices=KINDS, default="worker")
    mint.add_argument("--expires", type=parse_duration, help="e.g. 30d (default: never)")
    mint.add_argument("--batch", help="a label for this batch (default: a timestamp)")
    mint.add_argument("--out", type=Path, help="write a CSV here instead of printing")
    existing = mint.add_mutually_exclusive_group()
    existing.add_argument(
        "--append", action="store_true", help="add to the --out file if it exists already"
    )
    existing.add_argument(
        "--force", action="store_true", help="replace the --out file if it exists already"
    )

    revoke = command(codes, "revoke", "withdraw the unused codes of a batch")
    revoke.add_argument("--batch", required=True, help="the batch's label (vouch: every vouch)")

    export = command(sub, "export", "files to hand over").add_subparsers(
        dest="export_command", required=True
    )
    campaign = command(
        export,
        "campaign",
        "a campaign's document, petition versions, signature counts and shown names",
    )
    campaign.add_argument("number", type=int, help="the campaign's number")
    campaign.add_argument("--format", choices=("md", "html", "csv"), default="md")
    campaign.add_argument("--out", type=Path, help="write this file instead of printing")
    campaign.add_argument(
        "--force", action="store_true", help="replace the --out file if it exists already"
    )

    db = command(sub, "db", "database maintenance").add_subparsers(dest="db_command", required=True)
    command(db, "upgrade", "apply schema migrations")

    keys = command(sub, "secret", "the project secret").add_subparsers(
        dest="secret_command", required=True
    )
    command(keys, "new", f"print a fresh {secret.KEY_ENV}")

    discord = command(sub, "discord", "Discord administration").add_subparsers(
        dest="discord_command", required=True
    )
    dsync = command(discord, "sync", "register the slash commands with Discord")
    dsync.add_argument("--guild", type=int, help="only in this server (changes show at once)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        config = load(getattr(args, "config", None))
    except ConfigError as exc:
        print(f"dynamo: configuration error: {exc}", file=sys.stderr)
        return 2
    level = config.logging.level.upper()
    if args.command != "run" and not getattr(args, "verbose", False):
        # A command run by hand says what it did in its own words; its log lines (a
        # migration, the database's checks) only with --verbose.
        level = "WARNING"
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if level != "DEBUG":
        # Alembic says at INFO how it sets itself up, at every start; storage/migrate.py
        # logs what the migrations changed, if anything.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return asyncio.run(_dispatch(args, config))
    except DatabaseUrlError as exc:
        print(f"dynamo: configuration error: [database] url: {exc}", file=sys.stderr)
        return 2
    except DatabaseUnavailable as exc:
        print(f"dynamo: {exc}", file=sys.stderr)
        return 2
    except SecretKeyError as exc:
        print(f"dynamo: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, config: Config) -> int:
    if args.command == "secret":
        return _new_secret()
    if args.command == "discord":
        from bot.transports.discord.sync import sync_main

        return await sync_main(config.discord, args.guild)
    if args.command == "run":
        return await _run(config)
    # Every other command opens the database: a wrong one is said in a line, at once,
    # before the database layer is loaded.
    await reach.check(config.database_url)
    if args.command == "console":
        from bot.app import App
        from storage.vault import Vault

        # A try-out on one's own terminal runs on the console's openly known key.
        app = App(config, vault=Vault.console())
        try:
            return await _console(app)
        finally:
            await app.db.dispose()
    db = _maintained_database(config)
    try:
        from storage import migrate

        done = await migrate.upgrade(db)
        if args.command == "db":
            print(done)
            return 0
        if args.command == "export":
            return await _export(db, args)
        if args.codes_command == "revoke":
            return await _revoke(db, args)
        return await _mint(db, args)
    finally:
        await db.dispose()


def _new_secret() -> int:
    key = secret.new_secret()
    print(key)
    print(
        f"Set it where `dynamo run` starts: export {secret.KEY_ENV}={key} (never in a file in "
        f"git), and keep a copy safe: if it is lost, members can no longer be recognised.",
        file=sys.stderr,
    )
    return 0


def _maintained_database(config: Config) -> Database:
    """The database for `db upgrade`, `codes mint` and `export`, which need no project secret; with
    one in the environment it is checked, and it converts what an upgrade must."""
    from storage.db import Database
    from storage.vault import Vault

    vault = Vault.from_environ(os.environ) if secret.given(os.environ) else None
    return Database(config.database_url, vault=vault)


async def _mint(db: Database, args: argparse.Namespace) -> int:
    from commands import admin
    from storage.types import utcnow

    now = utcnow()
    expires_at = now + args.expires if args.expires else None
    batch = args.batch or now.strftime("%Y%m%d-%H%M%S")
    # The file is opened before any code is made: only hashes are stored, so codes that
    # could not be written down would be lost for good.
    out = None
    if args.out:
        try:
            out = _open_codes_file(args.out, append=args.append, force=args.force)
        except OSError as exc:
            print(
                f"dynamo: cannot write {args.out}: {exc.strerror or exc}. {_out_hint(exc)}",
                file=sys.stderr,
            )
            return 2
    try:
        clear = await admin.mint(
            db, args.count, kind=args.kind, batch=batch, now=now, expires_at=expires_at
        )
    except ValueError as exc:
        print(f"dynamo: {exc}", file=sys.stderr)
        if out is not None:
            out.close()
        return 2
    rows = [(c, batch, args.kind, expires_at.isoformat() if expires_at else "") for c in clear]
    if out is not None:
        with out:
            writer = csv.writer(out)
            if out.tell() == 0:
                writer.writerow(["code", "batch", "kind", "expires_at"])
            writer.writerows(rows)
        codes = "code" if len(rows) == 1 else "codes"
        print(f"wrote {len(rows)} {args.kind} {codes} to {args.out} (batch {batch})")
    else:
        writer = csv.writer(sys.stdout)
        writer.writerow(["code", "batch", "kind", "expires_at"])
        writer.writerows(rows)
    return 0


async def _revoke(db: Database, args: argparse.Namespace) -> int:
    from commands import admin
    from storage.types import utcnow

    revoked = await admin.revoke_batch(db, args.batch, now=utcnow())
    if revoked is None:
        print(f"dynamo: there is no batch {args.batch!r}", file=sys.stderr)
        return 2
    codes = "code" if revoked == 1 else "codes"
    print(f"revoked {revoked} unused {codes} of batch {args.batch}")
    return 0


async def _export(db: Database, args: argparse.Namespace) -> int:
    from commands import export

    async with db.read() as conn:
        campaign = await export.gather(conn, args.number)
    if campaign is None:
        print(f"dynamo: there is no campaign #{args.number}", file=sys.stderr)
        return 2
    text = export.render(campaign, args.format)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        with args.out.open("w" if args.force else "x", encoding="utf-8", newline="") as out:
            out.write(text)
    except FileExistsError:
        print(
            f"dynamo: {args.out} exists already: give another file, or --force to replace it.",
            file=sys.stderr,
        )
        return 2
    except OSError as exc:
        print(f"dynamo: cannot write {args.out}: {exc.strerror or exc}.", file=sys.stderr)
        return 2
    print(f"wrote campaign #{args.number} as {args.format} to {args.out}")
    return 0


def _open_codes_file(path: Path, *, append: bool, force: bool) -> Any:
    """The CSV file for new codes: a new file, or with --append the end of an existing one,
    or with --force a replaced one. FileExistsError when it exists and neither was given."""
    if append:
        return path.open("a", newline="")
    return path.open("w" if force else "x", newline="")


def _out_hint(exc: OSError) -> str:
    if isinstance(exc, FileExistsError):
        return (
            "It holds codes already (only their hashes are stored, so replacing it would lose "
            "them): give another file, or --append to add to it, or --force to replace it."
        )
    if isinstance(exc, FileNotFoundError):
        return "Its folder does not exist: create it first or give another path."
    return "Give a path this user may write."


async def _console(app: App) -> int:
    from bot.transports.console import ConsoleTransport
    from commands.framework.privacy import NO_DELAY

    # The console is one person's terminal: nobody watches it, so nothing waits to be shown.
    app.invoker.privacy = NO_DELAY
    console = ConsoleTransport(app)
    app.add_transport(console)
    await app.start(dispatch=False)
    await console.run()
    await app.stop()
    return 0


async def _run(config: Config) -> int:
    if not config.irc and not config.discord.enabled:
        print(
            "dynamo: no chat transport is configured. Add an [[irc]] table or a [discord] "
            "table with its [[discord.guilds]] to your config (see config.example.toml), or "
            "try everything locally with `dynamo console`.",
            file=sys.stderr,
        )
        return 2
    # Before the database is touched: a missing password or token is the operator's to fix.
    for problem in (
        *(network.startup_problem(os.environ) for network in config.irc),
        config.discord.startup_problem(os.environ),
    ):
        if problem:
            print(f"dynamo: configuration error: {problem}", file=sys.stderr)
            return 2
    # Before connecting anywhere: without the secret nobody could be recognised, and a bot
    # that cannot use its database would join its channels only to leave them at once.
    secret.from_environ(os.environ)
    await reach.check(config.database_url)
    # From here on SIGTERM stops the bot cleanly, also while it is still loading (it has
    # joined IRC by then: killed by the signal, it left without a QUIT, status -15).
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    # Start-up allocates what the process keeps for good: collecting meanwhile frees next to
    # nothing and costs about a tenth of the loading time. Collected once, below.
    gc.disable()
    try:
        app = await _load(config)
        if app is None:
            return 2
        try:
            await app.migrate()
            # What start-up loaded lives as long as the process: keep it out of the cyclic
            # collector's full passes, which would otherwise walk all of it (tens of ms,
            # during which nobody gets an answer) every so often for nothing. Done before
            # the transports start answering: this one pass takes about a tenth of a second.
            gc.collect()
            gc.freeze()
            await app.start(migrate=False)
        except ConfigError as exc:
            print(f"dynamo: configuration error: {exc}", file=sys.stderr)
            await app.stop()
            return 2
        except (SecretKeyError, DatabaseUnavailable, WebError) as exc:
            print(f"dynamo: {exc}", file=sys.stderr)
            await app.stop()
            return 2
    finally:
        gc.enable()
    await stop.wait()
    logger.info("shutting down")
    await app.stop()
    return 0


async def _load(config: Config) -> App | None:
    """Join IRC first, then load the rest and build the app; None (said why) on a
    configuration error."""
    early: dict[str, EarlyConnection] = {}
    if config.irc:
        from bot.transports.irc.early import EarlyConnection

        for network in config.irc:
            early[network.name] = EarlyConnection(network, os.environ)
            await early[network.name].start()
        await _until_joined(early.values())
    # What people say meanwhile waits in the early connections' sockets, and is read once
    # the rest is loaded (bench/startup.py: loading it on a thread instead made no
    # difference to the time to join or to the first answer).
    from bot import runtime

    try:
        return runtime.build_app(config, early=early)
    except ConfigError as exc:
        print(f"dynamo: configuration error: {exc}", file=sys.stderr)
        for connection in early.values():
            await connection.conn.stop()
        return None


async def _until_joined(connections: Iterable[EarlyConnection]) -> None:
    """Until every connection has joined its channels, or JOIN_WAIT has passed."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(JOIN_WAIT):
            await asyncio.gather(*(connection.conn.wait_ready() for connection in connections))


if __name__ == "__main__":
    raise SystemExit(main())
