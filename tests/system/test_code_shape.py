"""The shape rules of docs/architecture.md that no linter checks: no module over 600 lines and no function over
80 lines (migrations aside), so every part of the code stays something a reader can hold."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "tinycrm"
MODULES = sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.relative_to(SRC).parts)


def _name(path: Path) -> str:
    return str(path.relative_to(SRC.parent))


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_modules_stay_under_600_lines(path: Path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 600, f"{_name(path)} has {lines} lines: split it by responsibility"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_functions_stay_under_80_lines(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines, line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 80
    ]
    assert not long, f"{_name(path)}: split into smaller functions: {', '.join(long)}"
