"""The console at a real terminal (a pseudo-terminal): editing keys, history and Tab work
as in any shell, and `help` answers before anyone has said who they are."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UP, BACKSPACE, TAB = "\x1b[A", "\x7f", "\t"


class Terminal:
    def __init__(self, tmp_path: Path) -> None:
        self.master, slave = pty.openpty()
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm"}
        env["DYNAMO_DATABASE_URL"] = f"sqlite:///{tmp_path / 'console.db'}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "console"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=tmp_path,
            env=env,
            close_fds=True,
        )
        os.close(slave)
        self.seen = ""

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        """Everything shown up to and including ``text`` (consumed)."""
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"never showed {text!r}; the screen: {self.seen[-800:]!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    self.seen += os.read(self.master, 65536).decode(errors="replace")
                except OSError:  # the console closed its end
                    break
        before, found, self.seen = self.seen.partition(text)
        assert found, f"never showed {text!r}"
        return before + found

    def close(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)
        os.close(self.master)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(tmp_path)
    try:
        yield term
    finally:
        term.close()


def test_editing_history_and_tab_at_a_terminal(terminal: Terminal) -> None:
    terminal.wait_for("?> ")
    terminal.type("help\r")  # before /as: answered, not "first say who you are"
    shown = terminal.wait_for("?> ")
    assert "Ideas: pitch, ideas" in shown and "First say who you are" not in shown
    terminal.type("/as alice\r")
    terminal.wait_for("alice> ")
    terminal.type(f"ideaz{BACKSPACE}s\r")  # Backspace edits the line
    shown = terminal.wait_for("alice> ")
    assert "No open ideas yet" in shown and "don't know the command" not in shown
    terminal.type(f"{UP}\r")  # Up brings back the last line instead of sending ^[[A
    shown = terminal.wait_for("alice> ")
    assert "No open ideas yet" in shown and "[A" not in shown
    terminal.type(f"subscrip{TAB}\r")  # Tab completes a command name
    shown = terminal.wait_for("alice> ")
    assert "subscriptions" in shown and "register" in shown  # not a member yet: told how
    terminal.type("/quit\r")
