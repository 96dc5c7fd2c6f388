"""The layers point one way: nothing under commands/ or storage/ imports discord or irc."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"discord", "irc", "bot"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_core_never_imports_platforms_or_delivery() -> None:
    offenders = {}
    for package in ("commands", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            bad = imported_modules(path) & FORBIDDEN
            if bad:
                offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_storage_never_imports_commands() -> None:
    for path in (ROOT / "storage").rglob("*.py"):
        assert "commands" not in imported_modules(path), path
