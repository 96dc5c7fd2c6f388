"""How long `dynamo run` takes to join its channel and to give its first answer, measured
from the moment the process is started, against a real ngircd on this machine.

    .venv/bin/python -m bench.startup [ROUNDS [MODULE ...]]

Each round starts a fresh `python -m bot.cli --config X run` (the database already
migrated by a first, unmeasured round), waits until a watcher in the channel sees it JOIN,
sends it `ideas` privately, waits for the answer and stops it with SIGTERM. Prints the
median and the spread of both times. Given several command-line modules (`bot.cli` and a
copy of an earlier one), their rounds alternate, so a busy machine slows them alike.
"""

from __future__ import annotations

import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from storage.secret import KEY_ENV, new_secret
from tests.irc.client import IrcTestClient
from tests.irc.ngircd import NgircdServer, ngircd_binary

ROOT = Path(__file__).resolve().parent.parent


async def one_round(
    config: Path, watcher: IrcTestClient, env: dict[str, str], module: str
) -> tuple[float, float]:
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        "--config",
        str(config),
        "run",
        cwd=config.parent,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await watcher.wait_for(
            lambda line: line.command == "JOIN" and line.nick == "dynamo", timeout=30
        )
        joined = time.perf_counter() - started
        await watcher.privmsg("dynamo", "ideas")
        await watcher.wait_for(
            lambda line: line.command == "PRIVMSG" and line.nick == "dynamo", timeout=30
        )
        answered = time.perf_counter() - started
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await process.wait()
        await watcher.wait_for(
            lambda line: line.command == "QUIT" and line.nick == "dynamo", timeout=15
        )
    return joined, answered


async def main(rounds: int, modules: list[str]) -> None:
    if ngircd_binary() is None:
        raise SystemExit("ngircd is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        server = NgircdServer(directory / "ngircd", penalties=False)
        server.directory.mkdir()
        await server.start()
        config = directory / "config.toml"
        config.write_text(
            f'[web]\nlisten = ""\n\n[database]\nurl = "sqlite:///{directory / "run.db"}"\n\n'
            f'[[irc]]\nname = "local"\nhost = "127.0.0.1"\nport = {server.port}\n'
            'nick = "dynamo"\nchannels = ["#dynamo"]\nidentity = "nick"\n'
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT), KEY_ENV: new_secret()}
        env.pop("DYNAMO_DATABASE_URL", None)
        watcher = await IrcTestClient.connect(server.host, server.port, "watcher")
        await watcher.join("#dynamo")
        try:
            await one_round(config, watcher, env, modules[0])  # migrates the database
            times: dict[str, list[tuple[float, float]]] = {m: [] for m in modules}
            for _ in range(rounds):
                for module in modules:
                    times[module].append(await one_round(config, watcher, env, module))
        finally:
            await watcher.quit()
            await server.stop()
    for module, measured in times.items():
        for label, index in (("JOIN", 0), ("answer", 1)):
            ms = sorted(t[index] * 1000 for t in measured)
            print(
                f"{module}: start to {label:6}: median {statistics.median(ms):6.0f} ms, "
                f"min {ms[0]:6.0f} ms, max {ms[-1]:6.0f} ms ({len(ms)} rounds)"
            )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10, sys.argv[2:] or ["bot.cli"]))
