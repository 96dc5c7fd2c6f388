"""IRC benchmark: Dynamo against Limnoria and the server's own floor, on one real ngircd.

One run, on loopback only, every wait bounded:

1. ngircd with ``MaxPenaltyTime = 0`` (as the reference figures were measured): the
   server's own PING/PONG round trip (the floor, the raw reference: every round trip is also
   printed as a multiple of it), then this bot (``ideas`` by private message, with its flood
   control opened up so the numbers measure the bot, not its pacing) and Limnoria (``echo``,
   run as ``nobody``) with its output throttle off (``supybot.protocols.irc.throttleTime:
   0``), so that both are compared on speed: sequential, idle (a pause before each command)
   and a burst from several clients, and each bot's memory. Limnoria with its defaults sends
   at most one line per second, so its round trips then measure that throttle, not its speed;
   ``--with-throttled`` measures it that way too, labelled so.
   Start-to-JOIN: this bot, Limnoria with its defaults and Limnoria with the throttle off,
   started in turn (one untimed start each first, so no one pays for a cold page cache),
   ``--join-runs`` times each; the median and every run are printed.
2. ngircd with its default flood penalties and this bot with its default pacing
   (burst 4, then 1 line/s): a burst of commands, to check the bot sends at its configured
   rate, drops nothing and is never penalized or disconnected. The bot's writes are timed
   with strace (when available) and compared with what the clients receive.

Both bots run on the same interpreter, each installed as a package: Limnoria into a venv
made with Debian's python3, and this checkout into another venv made with the same python3
(``pip install`` of a copy of the tree: the bot as a deployment runs it, with its bytecode;
the project's own .venv may be another build of Python, and an editable install adds an
import hook to every start). ``--dynamo PATH`` measures that executable instead; its venv's
packages are then byte-compiled first (``python -m compileall``, which writes .pyc files even
under PYTHONDONTWRITEBYTECODE, which this sandbox sets).

Round trips are measured by ../shared/bench/irc_rtt.py. Run it as root (Limnoria refuses
root, so it runs as ``nobody``), from the repository root:

    .venv/bin/python bench/irc.py            # about 5 minutes
    .venv/bin/python bench/irc.py --quick    # a smoke run, about 2 minutes

Needs /usr/sbin/ngircd (apt-get install ngircd), the project's venv with `dynamo`, and
PyPI for the first Limnoria install. Both venvs live in this checkout, in bench/.venvs/
(ignored by git): Limnoria pinned to LIMNORIA_VERSION (a venv holding another version is made
again), the bot reinstalled from the working tree on every run.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import ctypes
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CHANNEL = "#bench"
DYNAMO_NICK = "dynbench"
LIMNORIA_NICK = "limbench"
VENVS = ROOT / "bench" / ".venvs"
LIMNORIA_VENV = VENVS / "limnoria"
DYNAMO_VENV = VENVS / "dynamo"
# The reference bot's exact version: its figures are comparable from run to run only if it
# is the same bot.
LIMNORIA_VERSION = "2026.10.4"
NGIRCD = "/usr/sbin/ngircd"
SYSTEM_PYTHON = "/usr/bin/python3"
IDEAS_EXPECT = r"^Top ideas \(\d+ open\):$"
CAMPAIGNS_EXPECT = r"^No campaigns yet\."
# A line reaching the clients this much later than the bot's pacing explains was held back
# by the server (ngircd's penalties are whole seconds).
HOLD_THRESHOLD_S = 0.25
STOP_TIMEOUT = 10.0
SECRET_ENV = "DYNAMO_SECRET_KEY"
CONSOLE_SECRET = b"dynamo console: not a secret key"  # storage/vault.py's, openly known

SEED_SCRIPT = """\
/as ana
register {code}
choose
pitch Pay for qualification tests
pitch Minimum pay of 15 an hour for every task
pitch Tell us why a task was rejected
pitch No unpaid screening surveys
/as ben
register {code}
choose
upvote 1
upvote 2
downvote 4
/as cai
register {code}
choose
upvote 2
ideas
campaigns
"""


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and where to look."""


# --------------------------------------------------------------------------------------
# Processes: every child is tracked and stopped at the end, whatever happens
# --------------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if this benchmark dies (Linux prctl)."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Processes:
    """The children of this run, stopped in reverse order of starting."""

    def __init__(self) -> None:
        self._procs: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(
        self,
        name: str,
        argv: list[str],
        log: Path,
        *,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=env,
                # Own session: a Ctrl-C reaches only this script, which stops them in order.
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self._procs.append((name, proc))
        return proc

    def track(self, name: str, proc: subprocess.Popen[bytes]) -> None:
        self._procs.append((name, proc))

    def stop(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> int | None:
        """Signal one child, wait for it (bounded), kill it if it lingers."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(sig)
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(STOP_TIMEOUT)
        self._procs = [(n, p) for n, p in self._procs if p is not proc]
        return proc.returncode

    def stop_all(self) -> None:
        for _name, proc in reversed(list(self._procs)):
            self.stop(proc)


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def accepts(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((HOST, port)) == 0


def read_line(proc: subprocess.Popen[bytes], timeout: float) -> str | None:
    """The next line of a child's stdout pipe, or None at EOF or after `timeout` seconds."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    data = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            return None
        chunk = os.read(fd, 1)  # byte by byte: nothing past the line is consumed
        if not chunk:
            return None
        data += chunk
    return data.decode(errors="replace").strip()


def memory_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MiB, from /proc."""
    values: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) / 1024
    return values.get("VmRSS", float("nan")), values.get("VmHWM", float("nan"))


def compile_bytecode(python: Path) -> None:
    """Byte-compile the bot's packages with `python`, as installing them would (see the top)."""
    packages = [str(ROOT / name) for name in ("bot", "commands", "storage")]
    done = subprocess.run(
        [str(python), "-m", "compileall", "-q", *packages],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"compileall failed:\n{(done.stdout + done.stderr)[-2000:]}")


def ask_python(python: Path, code: str) -> str:
    """What a venv's python prints for a one-line program ("?" when it prints nothing)."""
    done = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    return done.stdout.strip() or "?"


def python_version(python: Path) -> str:
    """Which Python a venv runs, and where that Python is installed."""
    return ask_python(python, "import sys; print(sys.version.split()[0], sys.base_prefix)")


def find_irc_rtt(explicit: str | None) -> Path:
    candidates = [Path(explicit)] if explicit else []
    candidates += [ROOT.parent / "shared/bench/irc_rtt.py", Path("/work/shared/bench/irc_rtt.py")]
    for path in candidates:
        if path.is_file():
            return path
    raise BenchError("irc_rtt.py not found (looked for ../shared/bench/irc_rtt.py)")


def log_tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None or value != value:  # None or NaN
        return "-"
    return f"{value:.{digits}f}"


# --------------------------------------------------------------------------------------
# ngircd
# --------------------------------------------------------------------------------------


@dataclass
class Ngircd:
    """One ngircd in the foreground on a free loopback port."""

    directory: Path
    penalties: bool
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.directory / "ngircd.log"

    def config(self) -> str:
        limits = "" if self.penalties else "\tMaxPenaltyTime = 0\n"
        return (
            "[Global]\n"
            "\tName = bench.dynamo.test\n"
            "\tInfo = Dynamo IRC benchmark\n"
            "\tAdminInfo1 = bench\n\tAdminInfo2 = bench\n\tAdminEMail = bench@localhost\n"
            f"\tListen = {HOST}\n"
            f"\tPorts = {self.port}\n"
            "\tMotdPhrase = bench\n"
            "\tPidFile = \n"
            "[Limits]\n"
            "\tMaxConnectionsIP = 0\n"
            "\tMaxNickLength = 20\n"
            "\tPingTimeout = 120\n"
            "\tPongTimeout = 20\n"
            f"{limits}"
            "[Options]\n"
            "\tPAM = no\n\tIdent = no\n\tDNS = no\n"
        )

    def start(self, procs: Processes) -> None:
        if not Path(NGIRCD).exists():
            raise BenchError(f"{NGIRCD} is missing: apt-get install ngircd")
        self.directory.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            self.port = free_port()
            conf = self.directory / "ngircd.conf"
            conf.write_text(self.config())
            self.proc = procs.start("ngircd", [NGIRCD, "-n", "-f", str(conf)], self.log)
            deadline = time.monotonic() + 5.0
            while time.monotonic() < deadline and self.proc.poll() is None:
                if accepts(self.port):
                    return
                time.sleep(0.01)
            procs.stop(self.proc)
        raise BenchError(f"ngircd did not start; see {self.log}:\n{log_tail(self.log)}")

    def stop(self, procs: Processes) -> None:
        if self.proc is not None:
            procs.stop(self.proc)
            self.proc = None


# --------------------------------------------------------------------------------------
# The measuring tool
# --------------------------------------------------------------------------------------


# irc_rtt.py names its clients prefix + run id + tag + index, the run id drawn from `random`.
# Run through this launcher, which seeds `random` first, the run id is known beforehand, so
# the clients' nicks can be members of the bot's database: the bot sends a stranger (someone
# who is not a member in good standing) only a dozen lines, then six a minute
# (bot/transports/irc/flood.py), and a benchmark from strangers would time that cap.
RTT_LAUNCHER = (
    "import random, runpy, sys; random.seed(sys.argv[1]); "
    "sys.argv = sys.argv[2:]; runpy.run_path(sys.argv[0], run_name='__main__')"
)
RTT_TAGS = ("s", "b")  # irc_rtt's sequential and burst clients
RTT_PREFIXES = ("rtt", "pace")  # the round-trip and the penalty phase's clients
RTT_RUNS = 24  # at most this many irc_rtt runs in one benchmark (each has members)


def rtt_seed(counter: int) -> str:
    return f"dynamo-bench-{counter}"


def rtt_run_id(counter: int) -> str:
    """The run id irc_rtt draws (the first thing it draws) when `random` is seeded so."""
    rng = random.Random(rtt_seed(counter))
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(3))


def rtt_nicks(clients: int) -> list[str]:
    """Every nick an irc_rtt run of this benchmark may give its clients."""
    return [
        f"{prefix}{rtt_run_id(counter)}{tag}{index:02d}"
        for counter in range(1, RTT_RUNS + 1)
        for prefix in RTT_PREFIXES
        for tag in RTT_TAGS
        for index in range(max(clients, 1))
    ]


@dataclass
class Rtt:
    """Runs irc_rtt.py as a subprocess against one server."""

    script: Path
    python: str
    directory: Path
    counter: int = 0

    def run(self, port: int, mode: str, extra: list[str], label: str, deadline: float) -> dict:
        """One irc_rtt run; returns its JSON results (raises if it produced none)."""
        self.counter += 1
        if self.counter > RTT_RUNS:
            raise BenchError(f"more than {RTT_RUNS} irc_rtt runs: raise RTT_RUNS")
        out = self.directory / f"rtt-{self.counter:02d}-{label}.json"
        argv = [
            self.python,
            "-c",
            RTT_LAUNCHER,
            rtt_seed(self.counter),
            str(self.script),
            mode,
            "--port",
            str(port),
            "--channel",
            CHANNEL,
            "--quickack",
            "--label",
            label,
            "--json",
            str(out),
            "--deadline",
            str(deadline),
            *extra,
        ]
        log = self.directory / f"rtt-{self.counter:02d}-{label}.log"
        with log.open("wb") as fh:
            proc = subprocess.run(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=fh,
                stderr=subprocess.STDOUT,
                timeout=deadline + 30,
                check=False,
            )
        if not out.exists():
            raise BenchError(f"irc_rtt {label} failed (rc {proc.returncode}):\n{log_tail(log)}")
        results = json.loads(out.read_text())
        for res in results.get("runs", []):
            if "error" in res:
                raise BenchError(f"irc_rtt {label}: {res['error']}\n{log_tail(log)}")
        return results

    def joinwait(self, port: int, nick: str) -> subprocess.Popen[bytes]:
        argv = [
            self.python,
            str(self.script),
            "joinwait",
            "--port",
            str(port),
            "--channel",
            CHANNEL,
            "--bot-nick",
            nick,
            "--nick-prefix",
            "jw",
            "--timeout",
            "60",
        ]
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


@dataclass
class Shape:
    """One measured shape of one subject: latency percentiles and throughput."""

    label: str
    n: int
    ok: int
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None
    rps: float | None = None
    unmatched: int = 0
    latencies: list[float] = field(default_factory=list)

    @classmethod
    def from_run(cls, label: str, run: dict) -> Shape:
        return cls(
            label=label,
            n=run["sent"],
            ok=run["ok"],
            p50=run.get("lat_ms_p50"),
            p95=run.get("lat_ms_p95"),
            p99=run.get("lat_ms_p99"),
            max=run.get("lat_ms_max"),
            rps=run.get("throughput_rps"),
            unmatched=run.get("unmatched_bot_lines", 0),
            latencies=list(run.get("latencies_ms", [])),
        )


def shapes_of(results: dict, label: str) -> dict[str, Shape]:
    """{"sequential": Shape, "burst": Shape} from one irc_rtt JSON."""
    return {run["shape"]: Shape.from_run(label, run) for run in results["runs"]}


# --------------------------------------------------------------------------------------
# The two bots
# --------------------------------------------------------------------------------------


@dataclass
class Bot:
    """How to start one bot and what was measured of it."""

    name: str
    slug: str  # in file names
    nick: str
    starter: Callable[[], subprocess.Popen[bytes]]
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    joins: list[float] = field(default_factory=list)
    rss_mib: float = float("nan")
    hwm_mib: float = float("nan")
    shapes: dict[str, Shape] = field(default_factory=dict)

    @property
    def join_s(self) -> float | None:
        return statistics.median(self.joins) if self.joins else None


def timed_start(rtt: Rtt, port: int, bot: Bot, procs: Processes) -> float:
    """Start `bot` while an observer waits in the channel; seconds from spawn to its JOIN."""
    for _attempt in range(5):
        watcher = rtt.joinwait(port, bot.nick)
        procs.track("joinwait", watcher)
        try:
            if read_line(watcher, 20.0) != "READY":
                raise BenchError("irc_rtt joinwait did not get ready")
            # The observer says at once if the nick is still there (the previous run of the
            # bot has not quit yet); then wait and try again.
            with contextlib.suppress(subprocess.TimeoutExpired):
                watcher.wait(0.2)
            if watcher.returncode is not None:
                time.sleep(0.5)
                continue
            started = time.time()
            bot.proc = bot.starter()
            line = ""
            deadline = time.monotonic() + 75.0
            while time.monotonic() < deadline:
                got = read_line(watcher, max(0.1, deadline - time.monotonic()))
                if got is None:
                    break
                line = got
                if line.startswith("{"):
                    break
            result = json.loads(line) if line.startswith("{") else {}
            if "join_epoch" not in result:
                raise BenchError(
                    f"{bot.name} did not join {CHANNEL} (observer said {line!r}); "
                    f"see {bot.log}:\n{log_tail(bot.log)}"
                )
            return float(result["join_epoch"]) - started
        finally:
            procs.stop(watcher)
    raise BenchError(f"{bot.nick} was still on the server after repeated waits")


def install_dynamo(venv: Path, timeout: float) -> Path:
    """This checkout, installed as a package into a venv made with Debian's python (the one
    Limnoria runs on); the venv and the dependencies are kept between runs, the bot itself is
    reinstalled from the working tree every time. Returns its `dynamo` executable."""
    if not Path(SYSTEM_PYTHON).exists():
        raise BenchError(f"{SYSTEM_PYTHON} is missing (Debian's python3); or pass --dynamo")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    pip.append("--disable-pip-version-check")
    steps: list[list[str]] = []
    if not (venv / "bin" / "python").exists():
        print(f"making a venv for Dynamo in {venv} (once) ...", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        venv.parent.mkdir(parents=True, exist_ok=True)
        steps.append([SYSTEM_PYTHON, "-m", "venv", str(venv)])
    # A copy, so that building the package leaves nothing behind in the checkout.
    source = venv.with_name(venv.name + "-source")
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", ".venvs", "build", "*.egg-info", "__pycache__"
        ),
    )
    steps.append([*pip, str(source)])  # dependencies: already there after the first run
    steps.append([*pip, "--no-deps", "--force-reinstall", str(source)])
    try:
        for argv in steps:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
            if done.returncode != 0:
                raise BenchError(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    finally:
        shutil.rmtree(source, ignore_errors=True)
    return venv / "bin" / "dynamo"


def installed_version(python: Path, distribution: str) -> str:
    """A distribution's version in a venv ("?" when it is not installed there)."""
    code = f"import importlib.metadata as m; print(m.version({distribution!r}))"
    return ask_python(python, code) if python.exists() else "?"


def ensure_limnoria(venv: Path, timeout: float) -> tuple[Path, str]:
    """A venv with Limnoria LIMNORIA_VERSION made with Debian's python (reused when it holds
    that version, made again when not)."""
    limnoria = venv / "bin" / "limnoria"
    python = venv / "bin" / "python"
    if not limnoria.exists() or installed_version(python, "limnoria") != LIMNORIA_VERSION:
        if not Path(SYSTEM_PYTHON).exists():
            raise BenchError(f"{SYSTEM_PYTHON} is missing (Debian's python3)")
        print(f"installing Limnoria {LIMNORIA_VERSION} into {venv} ...", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        venv.parent.mkdir(parents=True, exist_ok=True)
        steps = [
            [SYSTEM_PYTHON, "-m", "venv", str(venv)],
            [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"],
        ]
        steps[1].append(f"limnoria=={LIMNORIA_VERSION}")
        for argv in steps:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
            if done.returncode != 0:
                raise BenchError(f"{' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    # `nobody` must be able to reach, read and run it.
    for path in (venv.parent, venv):
        path.chmod(0o755)
    return limnoria, installed_version(python, "limnoria")


def limnoria_bot(
    name: str,
    slug: str,
    throttle: float | None,
    work: Path,
    limnoria_bin: Path,
    server: Ngircd,
    procs: Processes,
) -> Bot:
    """Limnoria in a directory of its own, run as `nobody`."""
    directory = work / slug
    conf = limnoria_config(directory, server.port, throttle)
    log = work / f"{slug}.log"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(directory), "LANG": "C.UTF-8"}
    setpriv = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    return Bot(
        name,
        slug,
        LIMNORIA_NICK,
        lambda: procs.start(
            slug, [*setpriv, str(limnoria_bin), str(conf)], log, cwd=directory, env=env
        ),
        log,
    )


def limnoria_config(directory: Path, port: int, throttle: float | None) -> Path:
    """A non-interactive Limnoria config: one network, Utilities (echo), no flood defence;
    `throttle` seconds between the lines it sends (None: its default, 1 s)."""
    conf_dir = directory / "conf"
    for sub in ("conf", "data", "data/tmp", "data/web", "backup", "logs"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    for name in ("users.conf", "channels.conf", "networks.conf", "ignores.conf"):
        (conf_dir / name).touch()
    plugins = ("Admin", "Channel", "Config", "Misc", "Owner", "User", "Utilities")
    lines = [
        f"supybot.nick: {LIMNORIA_NICK}",
        "supybot.ident: limbench",
        "supybot.user: Limnoria benchmark",
        "supybot.networks: bench",
        f"supybot.networks.bench.servers: {HOST}:{port}",
        f"supybot.networks.bench.channels: {CHANNEL}",
        "supybot.networks.bench.ssl: False",
        f"supybot.directories.conf: {conf_dir}",
        f"supybot.directories.data: {directory / 'data'}",
        f"supybot.directories.data.tmp: {directory / 'data/tmp'}",
        f"supybot.directories.data.web: {directory / 'data/web'}",
        f"supybot.directories.backup: {directory / 'backup'}",
        f"supybot.directories.log: {directory / 'logs'}",
        f"supybot.plugins: {' '.join(plugins)}",
        *(f"supybot.plugins.{name}: True" for name in plugins),
        "supybot.reply.whenAddressedBy.chars: !",
        # Its inbound flood defence ignores anyone sending over 12 commands a minute.
        "supybot.abuse.flood.command: False",
        "supybot.abuse.flood.command.invalid: False",
        *([] if throttle is None else [f"supybot.protocols.irc.throttleTime: {throttle:g}"]),
        "supybot.log.stdout: True",
        "supybot.log.stdout.level: WARNING",
        "supybot.log.level: WARNING",
    ]
    conf = directory / "bench.conf"
    conf.write_text("\n".join(lines) + "\n")
    for path in [directory, *directory.rglob("*")]:
        os.chown(path, _nobody_uid(), _nogroup_gid())
    return conf


def _nobody_uid() -> int:
    import pwd

    return pwd.getpwnam("nobody").pw_uid


def _nogroup_gid() -> int:
    import grp

    for name in ("nogroup", "nobody"):
        with contextlib.suppress(KeyError):
            return grp.getgrnam(name).gr_gid
    raise BenchError("no group nogroup/nobody for Limnoria")


def dynamo_config(path: Path, db: Path, port: int | None, burst: int, rate: float) -> Path:
    text = (
        f'[web]\nlisten = ""\n\n[database]\nurl = "sqlite:///{db}"\n\n[logging]\nlevel = "INFO"\n'
    )
    if port is not None:
        text += (
            "\n[[irc]]\n"
            'name = "bench"\n'
            f'host = "{HOST}"\n'
            f"port = {port}\n"
            f'nick = "{DYNAMO_NICK}"\n'
            f'channels = ["{CHANNEL}"]\n'
            'identity = "nick"\n'
            f"burst = {burst}\n"
            f"rate = {rate}\n"
        )
    path.write_text(text)
    return path


def seed_database(dynamo: Path, work: Path, db: Path) -> tuple[int, int]:
    """Pitch and vote on a few ideas through the console; (ideas, lines of `ideas`)."""
    # No [[irc]] table here: the seed's announcements stay out of the IRC outbox.
    config = dynamo_config(work / "seed.toml", db, None, 4, 1.0)
    done = subprocess.run(
        [str(dynamo), "--config", str(config), "console"],
        input=SEED_SCRIPT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=work,
    )
    (work / "seed.log").write_text(done.stdout + done.stderr)
    out = done.stdout.splitlines()
    try:
        at = next(i for i, line in enumerate(out) if line == "> ideas")
    except StopIteration:
        raise BenchError(
            f"seeding failed (rc {done.returncode}); see {work / 'seed.log'}"
        ) from None
    reply = []
    for line in out[at + 1 :]:
        if line.startswith("> "):
            break
        reply.append(line)
    first = reply[0].removeprefix("[DM cai] ") if reply else ""
    match = re.match(r"Top ideas \((\d+) open\):$", first)
    if not match or not re.search(r"\[DM cai\] No campaigns yet\.", done.stdout):
        raise BenchError(f"unexpected seed output; see {work / 'seed.log'}")
    return int(match.group(1)), len(reply)


MEMBERS_SCRIPT = """\
import json, sys
from datetime import datetime, timezone

import sqlalchemy as sa

from storage.models import Identity, Member
from storage.vault import IDENTITY, Vault

db, network, nicks = sys.argv[1], sys.argv[2], json.load(sys.stdin)
vault = Vault.console()
now = datetime.now(timezone.utc)
engine = sa.create_engine(f"sqlite:///{db}")
with engine.begin() as conn:
    first = conn.scalar(sa.select(sa.func.coalesce(sa.func.max(Member.__table__.c.id), 0))) + 1
    conn.execute(
        sa.insert(Member.__table__),
        [
            {"id": first + i, "pseudonym": f"bench_irc_{i}", "code_kind": "worker",
             "role": "member", "created_at": now}
            for i in range(len(nicks))
        ],
    )
    conn.execute(
        sa.insert(Identity.__table__),
        [
            {"key_hash": vault.digest(f"irc:{network}:{nick}"),
             "handle": vault.seal(f"irc:{network}:{nick}", IDENTITY), "platform": "irc",
             "member_id": first + i, "created_at": now, "last_seen_at": now}
            for i, nick in enumerate(nicks)
        ],
    )
print(len(nicks))
"""


def seed_members(dynamo: Path, db: Path, nicks: list[str]) -> None:
    """Make each of `nicks` a member (identity = "nick" on the network "bench")."""
    done = subprocess.run(
        [str(dynamo.with_name("python")), "-c", MEMBERS_SCRIPT, str(db), "bench"],
        input=json.dumps(nicks),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0 or done.stdout.strip() != str(len(nicks)):
        raise BenchError(f"seeding the measuring clients as members failed:\n{done.stderr[-2000:]}")


# --------------------------------------------------------------------------------------
# strace: when the bot really wrote each line
# --------------------------------------------------------------------------------------

_SEND = re.compile(r'^(?:\d+\s+)?(\d+\.\d+)\s+(?:sendto|write|sendmsg)\(\d+,\s*(?:\{.*?)?"(.*)')


def parse_strace(path: Path, nick_prefix: str) -> list[float]:
    """Epoch times of the bot's PRIVMSG lines to nicks starting with `nick_prefix`."""
    marker = f"PRIVMSG {nick_prefix}"
    times: list[float] = []
    if not path.exists():
        return times
    for line in path.read_text(errors="replace").splitlines():
        match = _SEND.match(line)
        if match and marker in match.group(2):
            times.extend([float(match.group(1))] * match.group(2).count(marker))
    return times


@contextlib.contextmanager
def strace_sends(pid: int, out: Path, enabled: bool) -> Iterator[bool]:
    """Trace the bot's send syscalls while the block runs; yields whether tracing is on."""
    binary = shutil.which("strace") if enabled else None
    if binary is None:
        yield False
        return
    argv = [binary, "-f", "-ttt", "-qq", "-s", "2048", "-e", "trace=sendto,write,sendmsg"]
    proc = subprocess.Popen(
        [*argv, "-o", str(out), "-p", str(pid)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(0.5)  # attached to every thread
    try:
        yield proc.poll() is None
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # detaches, the bot runs on
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(STOP_TIMEOUT)


@dataclass
class Pacing:
    """What the penalty phase found."""

    burst: int
    rate: float
    commands: int
    replies: int = 0
    queue_drops: int = 0
    reconnects: int = 0
    server_errors: list[str] = field(default_factory=list)
    traced: bool = False
    writes: int = 0
    send_rate: float | None = None
    arrival_rate: float | None = None
    max_hold_s: float | None = None
    held_lines: int = 0
    idle: Shape | None = None

    @property
    def dropped(self) -> int:
        return self.commands - self.replies + self.queue_drops

    @property
    def penalized(self) -> bool | None:
        if self.max_hold_s is None:
            return None
        return self.max_hold_s > HOLD_THRESHOLD_S


def idle_pause(gap: float) -> list[str]:
    """irc_rtt options for an idle run: a pause before every measured command, the first too
    (right after connecting, a client's own commands may still be under a server penalty)."""
    return ["--gap", f"{gap:.2f}", "--settle", f"{gap:.2f}"]


def steady_rate(times: list[float], burst: int) -> float | None:
    """Lines per second after the first `burst` (which a full token bucket sends at once)."""
    times = sorted(times)
    if len(times) <= burst:
        return None
    span = times[-1] - times[burst - 1]
    return (len(times) - burst) / span if span > 0 else None


# --------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------


@dataclass
class Report:
    ngircd_version: str = "?"
    limnoria_version: str = "?"
    dynamo_python: str = "?"
    limnoria_python: str = "?"
    ideas: int = 0
    ideas_lines: int = 0
    args: argparse.Namespace | None = None
    floor: dict[str, Shape] = field(default_factory=dict)
    dynamo: Bot | None = None
    limnoria: Bot | None = None  # throttle off
    limnoria_default: Bot | None = None  # its defaults (1 line/s)
    pacing: Pacing | None = None


def measure_bot(
    bot: Bot,
    rtt: Rtt,
    port: int,
    procs: Processes,
    command: str,
    expect: str,
    seq: int,
    burst: int,
    args: argparse.Namespace,
    burst_timeout: float,
) -> None:
    """Sequential, idle and burst round trips (start-to-JOIN is measure_joins's)."""
    timed_start(rtt, port, bot, procs)
    common = ["--bot-nick", bot.nick, "--target", bot.nick, "--command", command]
    common += ["--expect", expect, "--clients", str(args.clients)]
    deadline = seq * 2.0 + burst_timeout + 120
    results = rtt.run(
        port,
        "bot",
        [*common, "--seq", str(seq), "--burst", str(burst), "--burst-timeout", str(burst_timeout)],
        f"{bot.slug}-seq-burst",
        deadline,
    )
    shapes = shapes_of(results, bot.name)
    idle = rtt.run(
        port,
        "bot",
        [*common, "--seq", str(args.idle), *idle_pause(args.idle_gap)],
        f"{bot.slug}-idle",
        args.idle * (args.idle_gap + 12) + 60,
    )
    assert bot.proc is not None
    bot.rss_mib, bot.hwm_mib = memory_mib(bot.proc.pid)
    bot.shapes = {
        "seq": shapes["sequential"],
        "idle": shapes_of(idle, bot.name)["sequential"],
        "burst": shapes["burst"],
    }
    procs.stop(bot.proc)
    bot.proc = None


def measure_joins(bots: list[Bot], rtt: Rtt, port: int, procs: Processes, runs: int) -> None:
    """Start-to-JOIN of each bot, started in turn (a different one first in each round), so
    all see the same machine; one untimed start each before, to warm the page cache."""
    for round_ in range(runs + 1):
        shift = round_ % len(bots)
        for bot in bots[shift:] + bots[:shift]:
            joined = timed_start(rtt, port, bot, procs)
            if round_ > 0:
                bot.joins.append(joined)
            assert bot.proc is not None
            procs.stop(bot.proc)
            bot.proc = None


def measure_floor(rtt: Rtt, port: int, args: argparse.Namespace) -> dict[str, Shape]:
    extra = ["--seq", str(args.seq), "--burst", str(args.burst), "--clients", str(args.clients)]
    shapes = shapes_of(rtt.run(port, "floor", extra, "floor", 300), "floor")
    idle_extra = ["--seq", str(args.idle), *idle_pause(args.idle_gap)]
    idle = rtt.run(port, "floor", idle_extra, "floor-idle", args.idle * (args.idle_gap + 12) + 60)
    return {
        "seq": shapes["sequential"],
        "idle": shapes_of(idle, "floor")["sequential"],
        "burst": shapes["burst"],
    }


def measure_pacing(
    rtt: Rtt, work: Path, dynamo: Path, db: Path, procs: Processes, args: argparse.Namespace
) -> Pacing:
    """Default ngircd penalties, the bot's default pacing: a burst, traced end to end."""
    pacing = Pacing(burst=args.pace_burst, rate=args.pace_rate, commands=args.pace_commands)
    server = Ngircd(work / "ngircd-penalties", penalties=True)
    server.start(procs)
    try:
        config = dynamo_config(work / "pacing.toml", db, server.port, pacing.burst, pacing.rate)
        log = work / "dynamo-pacing.log"
        bot = procs.start("dynamo", [str(dynamo), "--config", str(config), "run"], log, cwd=work)
        prefix = "pace"
        common = ["--bot-nick", DYNAMO_NICK, "--target", DYNAMO_NICK, "--command", "campaigns"]
        common += ["--expect", CAMPAIGNS_EXPECT, "--nick-prefix", prefix]
        # Warm-up (one command per client) empties the bucket; the pause refills it so the
        # burst starts from a full bucket, as an idle bot would.
        settle = pacing.burst / pacing.rate + 2.0
        expected = pacing.commands / pacing.rate
        burst_timeout = expected * 2 + 30
        extra = [*common, "--burst", str(pacing.commands), "--clients", str(args.clients)]
        extra += ["--settle", f"{settle:.1f}", "--burst-timeout", f"{burst_timeout:.0f}"]
        trace = work / "strace-pacing.txt"
        with strace_sends(bot.pid, trace, not args.no_strace) as traced:
            results = rtt.run(
                server.port,
                "bot",
                extra,
                "dynamo-pacing-burst",
                burst_timeout + settle + args.clients / pacing.rate * 2 + 120,
            )
        burst = shapes_of(results, "Dynamo")["burst"]
        pacing.replies = burst.ok
        arrivals = [ms / 1000 for ms in burst.latencies]
        pacing.arrival_rate = steady_rate(arrivals, pacing.burst)
        pacing.traced = traced
        if traced:
            writes = sorted(parse_strace(trace, prefix))[-pacing.commands :]
            pacing.writes = len(writes)
            pacing.send_rate = steady_rate(writes, pacing.burst)
            if writes and len(writes) == len(arrivals):
                arrivals.sort()
                holds = [
                    (a - arrivals[0]) - (w - writes[0])
                    for a, w in zip(arrivals, writes, strict=True)
                ]
                pacing.max_hold_s = max(holds)
                pacing.held_lines = sum(1 for h in holds if h > HOLD_THRESHOLD_S)
        # Idle round trip with default pacing and penalties: one line per reply, a pause
        # long enough for a token between commands.
        gap = max(args.idle_gap, 1.0 / pacing.rate + 0.2)
        idle = rtt.run(
            server.port,
            "bot",
            [*common, "--seq", str(args.idle), *idle_pause(gap)],
            "dynamo-pacing-idle",
            args.idle * (gap + 12) + 60,
        )
        pacing.idle = shapes_of(idle, "Dynamo")["sequential"]
        procs.stop(bot)
        text = log.read_text(errors="replace")
        pacing.queue_drops = len(re.findall(r"send queue full: dropped", text))
        pacing.reconnects = max(0, len(re.findall(r"irc\[bench\]: registered as", text)) - 1)
        pacing.server_errors = re.findall(r"server closed the link: (.*)", text)
    finally:
        server.stop(procs)
    return pacing


def run(args: argparse.Namespace) -> Report:
    report = Report(args=args)
    # The database is seeded through `dynamo console`, which runs on its own openly known
    # key, and the bot refuses a database made with another key than its own: it runs on
    # that key here. Nothing in this throwaway database is anyone's.
    os.environ[SECRET_ENV] = base64.urlsafe_b64encode(CONSOLE_SECRET).decode().rstrip("=")
    procs = Processes()
    irc_rtt = find_irc_rtt(args.irc_rtt)
    if args.dynamo is None:
        print(f"installing this checkout into a venv made with {SYSTEM_PYTHON} ...", flush=True)
        dynamo = install_dynamo(DYNAMO_VENV, 900)
    else:
        dynamo = Path(args.dynamo)
        if not dynamo.exists():
            raise BenchError(f"{dynamo} is missing: create the venv (pip install -e .)")
        python = dynamo.with_name("python")  # the venv's, whose bytecode version it reads
        if not python.exists():
            raise BenchError(f"{python} is missing: --dynamo must be a venv's bin/dynamo")
        compile_bytecode(python)
        print(
            "byte-compiled bot, commands and storage: an installed package has its bytecode, "
            "and this sandbox (PYTHONDONTWRITEBYTECODE) would not write it implicitly",
            flush=True,
        )
    report.dynamo_python = python_version(dynamo.with_name("python"))
    rtt_python = SYSTEM_PYTHON if Path(SYSTEM_PYTHON).exists() else sys.executable
    work = Path(tempfile.mkdtemp(prefix="dynamo-bench-irc-"))
    work.chmod(0o755)  # Limnoria runs as nobody and needs to reach its directory
    rtt = Rtt(irc_rtt, rtt_python, work)
    try:
        version = subprocess.run([NGIRCD, "--version"], capture_output=True, text=True, timeout=10)
        words = version.stdout.split()
        report.ngircd_version = words[1].split("-")[0] if len(words) > 1 else "?"
        limnoria_bin, report.limnoria_version = ensure_limnoria(LIMNORIA_VENV, 600)
        report.limnoria_python = python_version(limnoria_bin.with_name("python"))
        db = work / "bench.db"
        report.ideas, report.ideas_lines = seed_database(dynamo, work, db)
        seed_members(dynamo, db, rtt_nicks(args.clients))
        print(f"work directory: {work}", flush=True)

        server = Ngircd(work / "ngircd-rtt", penalties=False)
        server.start(procs)
        print(f"ngircd (MaxPenaltyTime = 0) on port {server.port}; measuring the floor", flush=True)
        report.floor = measure_floor(rtt, server.port, args)

        config = dynamo_config(
            work / "rtt.toml", db, server.port, args.rtt_burst, float(args.rtt_rate)
        )
        dynamo_log = work / "dynamo-rtt.log"
        report.dynamo = Bot(
            "Dynamo",
            "dynamo",
            DYNAMO_NICK,
            lambda: procs.start(
                "dynamo", [str(dynamo), "--config", str(config), "run"], dynamo_log, cwd=work
            ),
            dynamo_log,
        )
        report.limnoria = limnoria_bot(
            "Limnoria, throttle off", "limnoria-fast", 0.0, work, limnoria_bin, server, procs
        )
        report.limnoria_default = limnoria_bot(
            "Limnoria, its defaults", "limnoria-default", None, work, limnoria_bin, server, procs
        )
        bots = [report.dynamo, report.limnoria_default, report.limnoria]
        print(f"start-to-JOIN, {args.join_runs} rounds of the three, in turn", flush=True)
        measure_joins(bots, rtt, server.port, procs, args.join_runs)

        print("Dynamo: sequential, idle and burst round trips", flush=True)
        measure_bot(
            report.dynamo,
            rtt,
            server.port,
            procs,
            "ideas",
            IDEAS_EXPECT,
            args.seq,
            args.burst,
            args,
            60.0,
        )
        print("Limnoria, throttle off: the same", flush=True)
        measure_bot(
            report.limnoria,
            rtt,
            server.port,
            procs,
            "echo {token}",
            "^{token}$",
            args.seq,
            args.burst,
            args,
            60.0,
        )
        if args.with_throttled:
            print("Limnoria, its defaults: the same (1 line/s: this takes a while)", flush=True)
            measure_bot(
                report.limnoria_default,
                rtt,
                server.port,
                procs,
                "echo {token}",
                "^{token}$",
                args.limnoria_seq,
                args.limnoria_burst,
                args,
                args.limnoria_burst * 1.5 + 30,
            )
        server.stop(procs)

        print("penalty phase: ngircd's default flood control, Dynamo's default pacing", flush=True)
        report.pacing = measure_pacing(rtt, work, dynamo, db, procs, args)
    finally:
        procs.stop_all()
        if args.keep:
            print(f"logs and results kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return report


# --------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------


def print_report(report: Report) -> None:
    args = report.args
    assert args is not None and report.dynamo and report.limnoria and report.pacing
    assert report.limnoria_default is not None
    dyn, lim, floor, pacing = report.dynamo, report.limnoria, report.floor, report.pacing
    lim_default = report.limnoria_default
    cores = os.cpu_count() or 0
    print()
    print(
        f"Dynamo IRC benchmark: ngircd {report.ngircd_version} on {HOST}, {cores} cores; "
        f"Limnoria {report.limnoria_version}. Python: Dynamo {report.dynamo_python}, "
        f"Limnoria {report.limnoria_python}"
    )
    print(
        f"Round trips with MaxPenaltyTime = 0. Dynamo: `ideas` by private message "
        f"({report.ideas} ideas, {report.ideas_lines} lines per reply, the first timed), "
        f"flood control burst {args.rtt_burst} / rate {args.rtt_rate}. Limnoria: `echo` "
        f"by private message, flood defence off; throttle off (throttleTime 0) unless said "
        f"otherwise; with its defaults it sends at most 1 line/s, and its figures then measure "
        f"that throttle, not its speed. Idle: {args.idle_gap:g} s pause before each command. "
        f"Burst: {args.clients} clients. Raw reference: ngircd's own PING/PONG (the floor); "
        f"x floor = p50 / the floor's p50 in the same shape."
    )
    head = (
        f"{'':<40}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}"
        f"{'replies/s':>11}{'p50-floor':>11}{'x floor':>9}"
    )
    print(head)
    print("-" * len(head))
    rows: list[tuple[str, Shape, Shape | None]] = [
        ("ngircd floor PING, sequential", floor["seq"], None),
        ("ngircd floor PING, idle", floor["idle"], None),
        (f"ngircd floor PING, burst {floor['burst'].n}", floor["burst"], None),
    ]
    for bot, what in (
        (dyn, "Dynamo `ideas`"),
        (lim, "Limnoria `echo`, throttle off"),
        (lim_default, "Limnoria `echo`, 1 line/s (default)"),
    ):
        if not bot.shapes:
            continue
        rows += [
            (f"{what}, sequential", bot.shapes["seq"], floor["seq"]),
            (f"{what}, idle", bot.shapes["idle"], floor["idle"]),
            (f"{what}, burst {bot.shapes['burst'].n}", bot.shapes["burst"], floor["burst"]),
        ]
    for label, shape, base in rows:
        if shape.ok < shape.n:
            label += f" ({shape.n - shape.ok} lost)"
        distance = times = "-"
        if base is not None and shape.p50 is not None and base.p50 is not None:
            distance = f"{shape.p50 - base.p50:+.2f}"
            times = f"{shape.p50 / base.p50:.1f}"
        print(
            f"{label:<40}{shape.ok:>5}{fmt(shape.p50):>10}{fmt(shape.p95):>10}"
            f"{fmt(shape.p99):>10}{fmt(shape.max):>10}{fmt(shape.rps, 1):>11}{distance:>11}"
            f"{times:>9}"
        )
    ratios = []
    for key, name in (("seq", "sequential"), ("idle", "idle"), ("burst", "burst")):
        d, ref = dyn.shapes[key].p50, lim.shapes[key].p50
        if d and ref:
            ratios.append(f"{name} {ref / d:,.2f}")
    d_rps, l_rps = dyn.shapes["burst"].rps, lim.shapes["burst"].rps
    if d_rps and l_rps:
        ratios.append(f"burst replies/s Dynamo / Limnoria {d_rps / l_rps:,.2f}")
    print("Limnoria (throttle off) p50 / Dynamo p50: " + ", ".join(ratios))
    print()
    print(
        f"{'process':<24}{'start-to-JOIN s: median (runs, in turn)':<56}"
        f"{'RSS MiB':>9}{'peak MiB':>10}"
    )
    for bot in (dyn, lim_default, lim):
        runs = " ".join(f"{j:.3f}" for j in bot.joins)
        print(
            f"{bot.name:<24}{fmt(bot.join_s, 3) + ' (' + runs + ')':<56}"
            f"{fmt(bot.rss_mib, 1):>9}{fmt(bot.hwm_mib, 1):>10}"
        )
    print()
    print(
        f"Flood control with ngircd's default penalties: Dynamo burst {pacing.burst}, rate "
        f"{pacing.rate:g} line/s; {pacing.commands} `campaigns` (1 line each) at once from "
        f"{args.clients} clients"
    )
    send_pct = pacing.send_rate / pacing.rate * 100 if pacing.send_rate else None
    arr_pct = pacing.arrival_rate / pacing.rate * 100 if pacing.arrival_rate else None
    if pacing.traced:
        print(
            f"  bot's send rate after the first {pacing.burst} (strace, {pacing.writes} "
            f"writes): {fmt(pacing.send_rate)} lines/s = {fmt(send_pct, 1)}% of configured"
        )
    else:
        print("  bot's send rate: not traced (strace missing or --no-strace)")
    print(
        f"  arrival rate at the clients after the first {pacing.burst}: "
        f"{fmt(pacing.arrival_rate)} lines/s = {fmt(arr_pct, 1)}% of configured"
    )
    print(
        f"  replies {pacing.replies}/{pacing.commands}; dropped {pacing.dropped} "
        f"(send-queue drops in the bot's log: {pacing.queue_drops})"
    )
    if pacing.max_hold_s is None:
        hold = "unknown (needs strace)"
    else:
        hold = (
            f"max {pacing.max_hold_s * 1000:.0f} ms beyond the bot's own pacing; "
            f"{pacing.held_lines} line(s) held > {HOLD_THRESHOLD_S * 1000:.0f} ms"
        )
    print(f"  held back by the server: {hold}")
    print(
        f"  disconnects: {pacing.reconnects} reconnect(s); server errors: "
        f"{'; '.join(pacing.server_errors) or 'none'}"
    )
    if pacing.idle is not None:
        idle = pacing.idle
        print(
            f"  idle `campaigns` round trip with this pacing and penalties: p50 "
            f"{fmt(idle.p50)} ms, p95 {fmt(idle.p95)} ms, max {fmt(idle.max)} ms "
            f"({idle.ok}/{idle.n})"
        )
    print()
    print("Targets")
    for key, how in (("seq", "nothing queued, back to back"), ("idle", "after a pause")):
        mine, base = dyn.shapes[key].p50, floor[key].p50
        if mine is not None and base is not None:
            verdict(
                f"command answered within 1 ms of the floor at p50 ({how})",
                mine - base <= 1.0,
                f"{mine:.2f} ms vs floor {base:.2f} ms: {mine - base:+.2f} ms",
            )
    if send_pct is not None or arr_pct is not None:
        pct = send_pct if send_pct is not None else arr_pct
        assert pct is not None
        verdict("burst sent at >= 95% of the configured rate", pct >= 95.0, f"{pct:.1f}%")
    verdict("burst: none dropped", pacing.dropped == 0, f"{pacing.dropped} dropped")
    penalized = pacing.penalized
    no_penalty = (penalized is False) and not pacing.reconnects and not pacing.server_errors
    detail = (
        "not measurable without strace"
        if penalized is None
        else (f"held {pacing.held_lines} line(s), {pacing.reconnects} reconnect(s)")
    )
    verdict("burst: no server penalty or disconnect", no_penalty, detail)
    if dyn.join_s is not None and lim_default.join_s is not None:
        verdict(
            "start-to-JOIN no slower than Limnoria's (its defaults; medians)",
            dyn.join_s <= lim_default.join_s,
            f"{dyn.join_s:.3f} s vs {lim_default.join_s:.3f} s",
        )


def verdict(what: str, met: bool, detail: str) -> None:
    print(f"  [{'met ' if met else 'MISS'}] {what}: {detail}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n", 1)[0],
        epilog="See the module docstring (head bench/irc.py) for what each phase does.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples: a smoke run")
    parser.add_argument("--seq", type=int, default=200, help="sequential commands (Dynamo, floor)")
    parser.add_argument("--burst", type=int, default=100, help="burst size (Dynamo, floor)")
    parser.add_argument("--clients", type=int, default=10, help="clients sharing a burst")
    parser.add_argument(
        "--idle", type=int, default=20, help="commands in the idle runs (a steadier median)"
    )
    parser.add_argument("--idle-gap", type=float, default=2.0, help="pause before each, s")
    parser.add_argument(
        "--with-throttled",
        action="store_true",
        help="also time Limnoria with its defaults (1 line/s: its throttle, not its speed)",
    )
    parser.add_argument(
        "--limnoria-seq", type=int, default=20, help="sequential, Limnoria with its defaults"
    )
    parser.add_argument(
        "--limnoria-burst", type=int, default=100, help="burst size, Limnoria with its defaults"
    )
    parser.add_argument("--join-runs", type=int, default=7, help="start-to-JOIN samples per bot")
    parser.add_argument(
        "--rtt-burst",
        type=int,
        default=100_000,
        # 200 sequential replies of 5 lines would empty a bucket of 1,000 and the burst
        # would then measure the pacing, which the penalty phase measures on its own.
        help="Dynamo `burst` in the round-trip phase (large: pacing is measured apart)",
    )
    parser.add_argument(
        "--rtt-rate",
        type=float,
        default=100_000.0,
        help="Dynamo `rate` in the round-trip phase (lines/s)",
    )
    parser.add_argument("--pace-burst", type=int, default=4, help="Dynamo `burst`, penalty phase")
    parser.add_argument("--pace-rate", type=float, default=1.0, help="Dynamo `rate`, penalty phase")
    parser.add_argument(
        "--pace-commands", type=int, default=30, help="commands in the penalty-phase burst"
    )
    parser.add_argument("--no-strace", action="store_true", help="do not trace the bot's writes")
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    parser.add_argument("--irc-rtt", help="path of irc_rtt.py (default ../shared/bench/)")
    parser.add_argument(
        "--dynamo",
        help="the bot's executable (default: this checkout installed into a venv made with "
        f"{SYSTEM_PYTHON}, the interpreter Limnoria runs on)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.quick:
        args.seq, args.burst, args.idle, args.join_runs = 50, 50, 4, 1
        args.limnoria_seq, args.limnoria_burst, args.pace_commands = 5, 20, 12
    for name in ("seq", "burst", "clients", "idle", "limnoria_seq", "limnoria_burst"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.join_runs < 1 or args.pace_commands <= args.pace_burst:
        parser.error("--join-runs must be >= 1 and --pace-commands > --pace-burst")
    if os.geteuid() != 0:
        parser.error("run as root: Limnoria is started as `nobody` with setpriv")
    signal.signal(signal.SIGTERM, _on_sigterm)
    # Also when started with SIGINT ignored (a background job of a script).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        report = run(args)
    except KeyboardInterrupt:
        print("interrupted; every process this run started was stopped", file=sys.stderr)
        return 130
    except (BenchError, subprocess.TimeoutExpired) as exc:
        print(f"bench/irc.py: {exc}", file=sys.stderr)
        return 1
    print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
