"""A ``crm`` command that fixes an error goes into the error's ``hint``, not its message: the API, the web app
and the full-screen app show the message, where "crm search NAME" means nothing. This scans the raise
statements of the services, the store and the domain for a message that hands over to a ``crm`` command."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tinycrm"
#: what reads as a hand-over to a command ("find one with: crm search NAME", "upgrade it: crm db upgrade")
HANDOVERS = (": crm ", "with: crm")
#: messages whose command sits inside the sentence (splitting it off would read worse); only the CLI gets them
INSIDE = {
    ("services/leads/records.py", "a lead becomes converted by converting it: crm lead convert"),
    ("services/team/roles.py", "Record who is who with: crm user add"),
    ("store/database.py", "database: crm demo)"),
}


def _text(node: ast.expr) -> str:
    """The literal text of a message expression, ``{}`` for each placeholder."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_text(v) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left) + _text(node.right)
    return "{}"


def _handovers(root: Path = SRC) -> list[str]:
    found = []
    for area in ("services", "store", "domain"):
        for path in sorted((root / area).rglob("*.py")):
            where = path.relative_to(root).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args):
                    continue
                message = _text(node.exc.args[0])
                if any(h in message for h in HANDOVERS) and not any(
                    where == p and part in message for p, part in INSIDE
                ):
                    found.append(f"src/tinycrm/{where}:{node.lineno}: {message}")
    return found


def test_no_raise_hands_over_to_a_crm_command_in_its_message():
    found = _handovers()
    assert not found, "move the crm command into hint= (CrmError(message, hint=...)):\n" + "\n".join(found)


def test_the_scan_sees_a_handover(tmp_path: Path):
    """The scan is not blind: a service raising the old way is named with its file and line."""
    service = tmp_path / "services" / "people" / "x.py"
    service.parent.mkdir(parents=True)
    service.write_text(
        'def f(i):\n    raise NotFound(f"no contact with id {i}; find one with: crm search NAME")\n'
    )
    assert _handovers(tmp_path) == [
        "src/tinycrm/services/people/x.py:2: no contact with id {}; find one with: crm search NAME"
    ]
