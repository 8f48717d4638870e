"""The Duplicates view: ``x`` says a pair is two people (it leaves the list, ``u`` brings it back), and ``u``
right after a merge undoes it, giving back every row as it was."""

from __future__ import annotations

from typing import Any

from tui_support import press, settle

SIZE = (80, 24)


def every_row(db) -> dict[str, list[dict[str, Any]]]:
    from tinycrm.store import tables

    with db.read() as tx:
        return {
            t: list(tables.rows(tx, t))
            for t in tables.table_order()
            if t not in ("audit_log", "contact_merges")
        }


def twin_of_ada(db):
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.services.people import contacts

    return contacts.create(
        db,
        ContactInput(
            "Ada King", emails=[Labeled("ada@acme.com"), Labeled("ada@home.example")], job_title="Countess"
        ),
    )


async def test_u_after_a_merge_undoes_it(make, db, ids):
    from tinycrm.services.people import contacts

    twin = twin_of_ada(db)
    before = every_row(db)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "D")
        screen = app.screen
        assert {screen.current_pair().a.id, screen.current_pair().b.id} == {ids["ada"], twin.id}
        await press(pilot, "m")
        assert await pilot.click("#yes")
        await settle(pilot)
        assert all(twin.id not in (p.a.id, p.b.id) for p in screen.pairs)
        assert every_row(db) != before
        await press(pilot, "u")
        await settle(pilot)
        assert app.screen is screen
        assert any({p.a.id, p.b.id} == {ids["ada"], twin.id} for p in screen.pairs)
    assert every_row(db) == before
    assert contacts.get(db, twin.id).display_name == "Ada King"


async def test_x_dismisses_the_pair_and_u_lists_it_again(make, db, ids):
    from tinycrm.services.people import dismissals

    twin = twin_of_ada(db)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await press(pilot, "D")
        screen = app.screen
        footer = {k: b.binding.description for k, b in screen.active_bindings.items() if b.binding.show}
        assert footer.get("x") == "Not same"
        total = screen.pair_total
        pair = screen.current_pair()
        assert {pair.a.id, pair.b.id} == {ids["ada"], twin.id}
        await press(pilot, "x")
        await settle(pilot)
        assert screen.pair_total == total - 1
        assert all({p.a.id, p.b.id} != {ids["ada"], twin.id} for p in screen.pairs)
        listed = dismissals.dismissed(db, limit=10).items
        assert [(d.a.id, d.b.id) for d in listed] == [(ids["ada"], twin.id)]
        await press(pilot, "u")
        await settle(pilot)
        assert screen.pair_total == total
    assert dismissals.dismissed(db, limit=10).items == []
