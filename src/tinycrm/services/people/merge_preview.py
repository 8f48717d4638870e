"""What a merge of two contacts would give, field by field, side by side: KEEP's value, OTHER's, the result and
which one wins. Worked out from :func:`tinycrm.services.people.duplicates.plan_merge` (the very plan
:func:`~tinycrm.services.people.duplicates.merge` carries out), so a preview never disagrees with the merge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tinycrm.services.people.duplicates import SCALAR_LABELS, MergePlan, plan_merge
from tinycrm.store.database import Database

#: who wins a row: KEEP's value stays, OTHER's is taken, both are kept (lists), they are the same, or KEEP's
#: stays and OTHER's differing one is written into the notes
WINNERS = ("keep", "other", "both", "same", "keep+notes")


@dataclass(frozen=True)
class MergeRow:
    label: str
    keep: str
    other: str
    result: str
    winner: str


@dataclass(frozen=True)
class MergePreview:
    keep_id: int
    other_id: int
    keep_name: str
    other_name: str
    rows: list[MergeRow]
    #: what moves from OTHER to KEEP: interactions, deals, tasks (counts)
    moves: dict[str, int] = field(default_factory=dict)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _scalars(plan: MergePlan) -> list[MergeRow]:
    rows = []
    for key, label in SCALAR_LABELS.items():
        mine, theirs = _text(getattr(plan.keep, key)), _text(getattr(plan.other, key))
        if not mine and not theirs:
            continue
        if key in plan.fill:
            rows.append(MergeRow(label, mine, theirs, _text(plan.fill[key]), "other"))
        elif key in plan.conflicts:
            rows.append(MergeRow(label, mine, theirs, mine, "keep+notes"))
        else:
            rows.append(MergeRow(label, mine, theirs, mine, "same" if theirs else "keep"))
    return rows


def _list_row(
    label: str, mine: list[str], theirs: list[str], added: list[str], *, by_name: bool = False
) -> MergeRow | None:
    if not mine and not theirs:
        return None
    result = sorted(mine + added, key=str.casefold) if by_name else mine + added
    if added:
        winner = "both" if mine else "other"
    else:
        winner = "same" if theirs else "keep"
    return MergeRow(label, ", ".join(mine), ", ".join(theirs), ", ".join(result), winner)


def _lists(plan: MergePlan) -> list[MergeRow]:
    keep, other = plan.keep, plan.other
    candidates = [
        _list_row(
            "emails",
            [e.value for e in keep.emails],
            [e.value for e in other.emails],
            [e.value for e in plan.emails],
        ),
        _list_row(
            "phones",
            [p.value for p in keep.phones],
            [p.value for p in other.phones],
            [p.value for p in plan.phones],
        ),
        _list_row(
            "addresses",
            [a.one_line() for a in keep.addresses],
            [a.one_line() for a in other.addresses],
            [a.one_line() for a in plan.addresses],
        ),
        _list_row("tags", list(keep.tags), list(other.tags), list(plan.tags), by_name=True),  # kept by name
    ]
    return [r for r in candidates if r is not None]


def _fields(plan: MergePlan) -> list[MergeRow]:
    rows = []
    keys = list(dict.fromkeys([*plan.keep.fields, *plan.other.fields]))
    for key in keys:
        mine, theirs = plan.keep.fields.get(key, ""), plan.other.fields.get(key, "")
        if key in plan.fields:
            rows.append(MergeRow(f"field {key}", mine, theirs, theirs, "other"))
        elif key in plan.field_conflicts:
            rows.append(MergeRow(f"field {key}", mine, theirs, mine, "keep+notes"))
        else:
            rows.append(MergeRow(f"field {key}", mine, theirs, mine, "same" if theirs else "keep"))
    return rows


def _notes(plan: MergePlan) -> MergeRow | None:
    mine, theirs = _text(plan.keep.notes), _text(plan.other.notes)
    noted = bool(plan.conflicts or plan.field_conflicts or plan.notes)
    if not mine and not theirs and not noted:
        return None
    first = (mine.splitlines() or [""])[0]
    theirs_first = (theirs.splitlines() or [""])[0]
    if noted:
        return MergeRow("notes", first, theirs_first, (first + " + " if first else "") + "merge note", "both")
    return MergeRow("notes", first, theirs_first, first, "same" if theirs else "keep")


def preview(db: Database, keep_id: int, other_id: int) -> MergePreview:
    """The merge of OTHER into KEEP, one row per field either has, without doing it."""
    plan = plan_merge(db, keep_id, other_id)
    rows = _scalars(plan) + _lists(plan) + _fields(plan)
    notes = _notes(plan)
    if notes is not None:
        rows.append(notes)
    if plan.photo or plan.keep.photo is not None:
        rows.append(
            MergeRow(
                "photo",
                "yes" if plan.keep.photo is not None else "",
                "yes" if plan.other.photo is not None else "",
                "yes",
                "other" if plan.photo else "keep",
            )
        )
    moves = {"interactions": plan.interactions, "deals": plan.deals, "tasks": plan.tasks}
    return MergePreview(
        keep_id,
        other_id,
        plan.keep.display_name,
        plan.other.display_name,
        rows,
        {k: int(n) for k, n in moves.items()},
    )
