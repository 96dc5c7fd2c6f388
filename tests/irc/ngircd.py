"""Running Debian's ngircd as a throwaway IRC server for tests.

Each server listens on a free loopback port with a config written to the test's tmp_path,
logs to a file there, and needs no root: without ServerUID ngircd keeps the user it was
started as (as root it switches to "nobody" by itself). PAM, ident and DNS are off so it
is ready in tens of milliseconds.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import signal
import socket
import subprocess
from asyncio.subprocess import Process
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

START_TIMEOUT = 5.0
STOP_TIMEOUT = 5.0
_POLL = 0.01
_names = itertools.count(1)


def ngircd_binary() -> str | None:
    """Path of ngircd, also where /usr/sbin is not on a non-root user's PATH."""
    found = shutil.which("ngircd")
    if found:
        return found
    fallback = Path("/usr/sbin/ngircd")
    return str(fallback) if fallback.exists() else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_self_signed_cert(directory: Path) -> tuple[Path, Path] | None:
    """A certificate for 127.0.0.1/localhost made with the openssl CLI, or None if absent."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    cert, key = directory / "server.crt", directory / "server.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    # ngircd drops root privileges to "nobody" but reads these before it does.
    return cert, key


@dataclass
class NgircdServer:
    """One ngircd process. `penalties=False` sets MaxPenaltyTime = 0 (no throttling)."""

    directory: Path
    penalties: bool = True
    tls_files: tuple[Path, Path] | None = None
    host: str = "127.0.0.1"
    port: int = 0
    tls_port: int | None = None
    name: str = field(default_factory=lambda: f"irc{next(_names)}-{os.getpid()}.test")
    process: Process | None = None

    @property
    def conf_path(self) -> Path:
        return self.directory / "ngircd.conf"

    @property
    def log_path(self) -> Path:
        return self.directory / "ngircd.log"

    def _config(self) -> str:
        limits = "" if self.penalties else "\tMaxPenaltyTime = 0\n"
        ssl = ""
        if self.tls_files is not None and self.tls_port is not None:
            cert, key = self.tls_files
            ssl = f"[SSL]\n\tCertFile = {cert}\n\tKeyFile = {key}\n\tPorts = {self.tls_port}\n"
        return (
            "[Global]\n"
            f"\tName = {self.name}\n"
            "\tInfo = Dynamo bot test server\n"
            "\tAdminInfo1 = tests\n\tAdminInfo2 = tests\n\tAdminEMail = tests@localhost\n"
            f"\tListen = {self.host}\n"
            f"\tPorts = {self.port}\n"
            "\tMotdPhrase = test server\n"
            # Empty: no PID file, so parallel servers do not fight over one.
            "\tPidFile = \n"
            "[Limits]\n"
            "\tMaxConnectionsIP = 0\n"
            "\tMaxNickLength = 20\n"
            "\tPingTimeout = 120\n"
            "\tPongTimeout = 20\n"
            f"{limits}"
            "[Options]\n"
            "\tPAM = no\n\tIdent = no\n\tDNS = no\n"
            f"{ssl}"
        )

    async def start(self) -> None:
        """Start on `port` (picking a free one the first time) and wait until it listens."""
        binary = ngircd_binary()
        if binary is None:
            raise RuntimeError("ngircd is not installed (apt-get install ngircd)")
        fixed = self.port != 0
        for _ in range(1 if fixed else 3):
            if not fixed:
                self.port = free_port()
                if self.tls_files is not None:
                    self.tls_port = free_port()
            self.conf_path.write_text(self._config())
            with self.log_path.open("ab") as log:
                self.process = await asyncio.create_subprocess_exec(
                    binary,
                    "-n",
                    "-f",
                    str(self.conf_path),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            if await self._wait_listening():
                return
            await self.kill()
        raise RuntimeError(f"ngircd did not start; see {self.log_path}:\n{self.log_tail()}")

    async def _wait_listening(self) -> bool:
        ports = [self.port] + ([self.tls_port] if self.tls_port else [])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        while loop.time() < deadline:
            if self.process is None or self.process.returncode is not None:
                return False
            if all(_accepts(self.host, port) for port in ports):
                return True
            await asyncio.sleep(_POLL)
        return False

    async def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL) and reap it."""
        if self._running(self.process):
            self.resume()
            self.process.terminate()
        await self._reap()

    async def kill(self) -> None:
        """Die abruptly, as a crashed or rebooted server does: clients see a reset."""
        if self._running(self.process):
            self.process.kill()
        await self._reap()

    async def restart(self) -> None:
        """Kill the server and start a fresh one on the same port."""
        await self.kill()
        await self.start()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but nothing is answered."""
        if self._running(self.process):
            self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._running(self.process):
            self.process.send_signal(signal.SIGCONT)

    @staticmethod
    def _running(process: Process | None) -> TypeGuard[Process]:
        return process is not None and process.returncode is None

    async def _reap(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        try:
            async with asyncio.timeout(STOP_TIMEOUT):
                await process.wait()
        except TimeoutError:
            process.kill()
            async with asyncio.timeout(STOP_TIMEOUT):
                await process.wait()

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _accepts(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0
