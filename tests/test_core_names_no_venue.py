"""The core names no venue: outside the venue packages, their simulators and the two registries, a venue's
name appears only in documentation (docstrings, comments, help texts), never in code."""

from __future__ import annotations

import ast
from pathlib import Path

from reconciler.sim.registry import SIMULATORS
from reconciler.venues.registry import supported_venues

PACKAGE = Path(__file__).parent.parent / "reconciler"
VENUES = sorted(set(supported_venues()) | set(SIMULATORS))
REGISTRIES = {PACKAGE / "venues" / "registry.py", PACKAGE / "sim" / "registry.py"}
HELP_TEXTS = {PACKAGE / "cli.py"}  # its strings are the commands' help and examples


def core_files() -> list[Path]:
    venue_dirs = [PACKAGE / part / venue for part in ("venues", "sim") for venue in VENUES]
    return [path for path in sorted(PACKAGE.rglob("*.py"))
            if path not in REGISTRIES and not any(directory in path.parents for directory in venue_dirs)]


def docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def venue_words(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    skip = docstrings(tree)
    words = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value if id(node) not in skip and path not in HELP_TEXTS else ""
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            text = node.name
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            text = " ".join([getattr(node, "module", None) or ""] + [alias.name for alias in node.names])
        else:
            continue
        words += [f"{path.relative_to(PACKAGE)}:{node.lineno}: {venue} in {text!r}"
                  for venue in VENUES if venue in text.lower()]
    return words


def test_the_core_names_no_venue_in_its_code():
    files = core_files()
    assert len(files) > 50  # the walk found the package
    assert [word for path in files for word in venue_words(path)] == []
