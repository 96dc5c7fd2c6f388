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


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path, known: set[str]) -> set[str]:
    """The project modules a file imports (``from a import b`` counts ``a.b`` when that is
    a module), TYPE_CHECKING imports included: a cycle of type hints is still a cycle."""
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in known}


def test_framework_never_imports_features_or_jobs() -> None:
    """commands/framework/ is the command framework; the features in commands/ build on it,
    and the scheduled jobs in commands/jobs/ on both. Never the other way."""

    def imports(path: Path) -> set[str]:
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        return found

    def outside_framework(name: str) -> bool:
        return name.startswith("commands.") and not name.startswith("commands.framework")

    framework = ROOT / "commands" / "framework"
    offenders = {
        str(path.relative_to(ROOT)): sorted(filter(outside_framework, imports(path)))
        for path in framework.rglob("*.py")
        if any(map(outside_framework, imports(path)))
    }
    features = {
        str(path.relative_to(ROOT)): sorted(
            n for n in imports(path) if n.startswith("commands.jobs")
        )
        for path in (ROOT / "commands").glob("*.py")
        if any(n.startswith("commands.jobs") for n in imports(path))
    }
    assert offenders == {}
    assert features == {}


def test_no_import_cycles() -> None:
    files = [p for pkg in ("bot", "commands", "storage") for p in (ROOT / pkg).rglob("*.py")]
    names = {module_name(p): p for p in files if "migrations" not in p.parts}
    graph = {name: project_imports(path, set(names)) - {name} for name, path in names.items()}
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycles.append([*trail[trail.index(name) :], name])
            return
        if name in done:
            return
        for nxt in sorted(graph[name]):
            visit(nxt, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert cycles == []
