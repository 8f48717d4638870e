"""Every screen at every size, from 20x10 up: nothing may raise, also when the terminal is resized."""

from __future__ import annotations

import pytest
from tui_support import press, settle

SIZES = [(20, 10), (40, 15), (80, 24), (200, 60)]


def screen_name(app) -> str:
    return type(app.screen).__name__


async def visit_everything(pilot) -> list[str]:
    """Open each area, a contact, an interaction, a company, a deal and every form; give the screens seen."""
    seen: list[str] = []

    async def look(*keys: str) -> None:
        await press(pilot, *keys)
        seen.append(screen_name(pilot.app))

    await look("1")
    await look("n")
    await look("escape")
    await look("enter")  # a contact
    await look("l")
    await look("escape")
    await look("e")
    await look("escape")
    await look("f")
    await look("escape")
    await look("escape")
    await look("2")
    await look("n")
    await look("escape")
    await look("enter")  # a company
    await look("escape")
    await look("3")
    await look("n")
    await look("escape")
    await look("enter")  # a deal
    await look("escape")
    await look("x")
    await look("escape")
    await look("4")
    await look("t")
    await look("escape")
    await look("5")
    await look("question_mark")
    await look("escape")
    return seen


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_every_screen_opens_at_every_size(make, size):
    app = make()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        seen = await visit_everything(pilot)
    assert app.return_code in (None, 0)
    assert {"ContactScreen", "CompanyScreen", "DealScreen", "ContactForm", "TaskForm"} <= set(seen), seen


async def test_resizing_every_screen_down_to_20x10(make):
    app = make()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for area in "12345":
            await press(pilot, area)
            for size in [(20, 10), (25, 12), (33, 11), (80, 24), (160, 48), (21, 10)]:
                await pilot.resize_terminal(*size)
                await settle(pilot)


async def test_names_that_look_like_markup_are_shown_as_text(make, db, ids):
    """Every contact, company, deal and task named with square brackets (``[/b]`` closes nothing, ``[b]``
    opens bold): every screen still opens and shows the names as written."""
    from tinycrm.services.people import companies, contacts
    from tinycrm.services.sales import deals
    from tinycrm.services.work import tasks

    for key, record_id in ids.items():
        if key.startswith("deal_"):
            deals.update(db, record_id, {"title": f"[/b] {deals.get(db, record_id).title} [b]"})
        elif key.startswith("task_"):
            tasks.update(db, record_id, {"title": f"[/b] {tasks.get(db, record_id).title} [b]"})
        else:
            name = contacts.get(db, record_id).display_name
            contacts.update(db, record_id, {"display_name": f"[/b] {name} [b]"})
    for company in companies.list_companies(db, limit=50).items:  # type: ignore[union-attr]
        companies.update(db, company.id, {"name": f"[/b] {company.name} [b]"})
    app = make()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        seen = await visit_everything(pilot)
        for area in ("6", "7", "M", "D"):
            await press(pilot, area)
            await press(pilot, "enter")
            seen.append(screen_name(app))
            await press(pilot, "escape")
        await press(pilot, "1")
        text = " ".join(str(cell) for cell in app.screen.query_one("DataTable").get_row_at(0))
    assert app.return_code in (None, 0)
    assert {"ContactScreen", "CompanyScreen", "DealScreen"} <= set(seen), seen
    assert "[/b]" in text, text
