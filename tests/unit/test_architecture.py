"""The layout of bot/ (docs/architecture.md): rooms as packages, imports flowing one way, no import circle."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.config import ROOT

ROOMS = {"conversation", "structuring", "storage", "handoff", "notify", "matching", "privacy", "review", "channels", "runtime", "web"}
ENTRY = {"bot.cli"}  # the command line starts everything; nothing imports it


def modules() -> dict[str, Path]:
    found = {}
    for path in [*ROOT.joinpath("bot").rglob("*.py"), *ROOT.joinpath("actions").glob("*.py")]:
        if "migrations" in path.parts:
            continue
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        found[name] = path
    return found


def imports(path: Path, known: set[str], top_level_only: bool) -> set[str]:
    """The project modules `path` imports (at module level only, when asked: a function's import runs later)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in known}


def test_bot_has_rooms_and_at_most_three_modules_at_its_root() -> None:
    root = ROOT / "bot"
    packages = {p.name for p in root.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == ROOMS
    assert len(list(root.glob("*.py"))) <= 3


def test_rooms_never_import_the_web_app_the_actions_or_the_command_line() -> None:
    known = set(modules())
    offenders = []
    for name, path in modules().items():
        if name.startswith(("bot.web", "actions")) or name in ENTRY:
            continue
        for target in imports(path, known, top_level_only=False):
            if target.startswith(("bot.web", "actions")) or target in ENTRY:
                offenders.append(f"{name} -> {target}")
    assert offenders == []


def test_no_import_circle() -> None:
    known = set(modules())
    graph = {name: imports(path, known, top_level_only=True) - {name} for name, path in modules().items()}
    # a package's __init__ is imported before its modules: count an import of a module as one of its package too
    circles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                circles.append([*trail[trail.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert circles == []
