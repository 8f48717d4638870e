"""The merge preview says, field by field, what the merge then does: a preview taken before a merge agrees with
the contact the merge leaves, on both stores."""

from __future__ import annotations

from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.people import contacts, duplicates, merge_preview


def _pair(db):
    keep = contacts.create(
        db,
        ContactInput(
            "Ada Lovelace",
            emails=[Labeled("ada@example.com", "work")],
            job_title="CTO",
            company="Acme",
            tags=["vip"],
            fields={"plan": "gold", "source": "fair"},
            notes="Prefers mornings.",
        ),
    )
    other = contacts.create(
        db,
        ContactInput(
            "Ada Lovelace",
            emails=[Labeled("ada@example.com"), Labeled("ada@home.example")],
            phones=[Labeled("+44 20 7946 0001")],
            job_title="Founder",
            company="Acme",
            birthday="1815-12-10",
            tags=["vip", "speaker"],
            fields={"plan": "silver", "city": "London"},
        ),
    )
    return keep, other


def test_preview_says_who_wins_each_field(db):
    keep, other = _pair(db)
    p = merge_preview.preview(db, keep.id, other.id)
    assert (p.keep_id, p.other_id, p.keep_name, p.other_name) == (
        keep.id,
        other.id,
        "Ada Lovelace",
        "Ada Lovelace",
    )
    rows = {r.label: r for r in p.rows}
    assert rows["name"].winner == "same"
    assert (rows["job title"].keep, rows["job title"].other, rows["job title"].result) == (
        "CTO",
        "Founder",
        "CTO",
    )
    assert rows["job title"].winner == "keep+notes"
    assert (rows["birthday"].winner, rows["birthday"].result) == ("other", "1815-12-10")
    assert rows["emails"].winner == "both"
    assert rows["emails"].result == "ada@example.com, ada@home.example"
    assert (rows["phones"].winner, rows["phones"].result) == ("other", "+44 20 7946 0001")
    assert (rows["tags"].winner, rows["tags"].result) == ("both", "speaker, vip")
    assert rows["field plan"].winner == "keep+notes" and rows["field plan"].result == "gold"
    assert rows["field source"].winner == "keep" and rows["field city"].winner == "other"
    assert rows["notes"].winner == "both"
    assert p.moves == {"interactions": 0, "deals": 0, "tasks": 0}
    assert {r.winner for r in p.rows} <= set(merge_preview.WINNERS)


def test_preview_agrees_with_the_merge(db):
    keep, other = _pair(db)
    p = merge_preview.preview(db, keep.id, other.id)
    merged = duplicates.merge(db, keep.id, other.id)
    rows = {r.label: r for r in p.rows}
    assert merged.job_title == rows["job title"].result
    assert str(merged.birthday) == rows["birthday"].result
    assert ", ".join(e.value for e in merged.emails) == rows["emails"].result
    assert ", ".join(merged.tags) == rows["tags"].result
    assert merged.fields == {"plan": "gold", "source": "fair", "city": "London"}
    assert "job title: Founder" in (merged.notes or "")


def test_preview_refuses_what_merge_refuses(db):
    import pytest

    from tinycrm.domain.errors import InvalidInput, NotFound

    keep, _ = _pair(db)
    with pytest.raises(InvalidInput):
        merge_preview.preview(db, keep.id, keep.id)
    with pytest.raises(NotFound):
        merge_preview.preview(db, keep.id, 999_999)
