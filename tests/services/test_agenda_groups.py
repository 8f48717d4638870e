"""The app's agenda on both stores: overdue tasks, idle deals, people to get back in touch with, then the dates
to come; each group capped, with how many it holds counted in the indexes; a filter by kind."""

import pytest

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import ContactInput
from tinycrm.domain.sales import DealInput
from tinycrm.domain.tasks import TaskInput
from tinycrm.services.people import contacts
from tinycrm.services.sales import deals
from tinycrm.services.work import tasks
from tinycrm.services.work.agenda import groups


def fill(db, clock) -> None:
    clock("2026-02-01T10:00:00+00:00")
    contacts.create(db, ContactInput(display_name="Stale Stan", cadence_days=20))
    deals.create(
        db,
        DealInput(
            title="Sleepy deal", value="100", currency="EUR", next_step="Call", next_step_due="2026-02-10"
        ),
    )
    clock("2026-03-02T09:00:00+00:00")
    for n in range(7):
        tasks.create(db, TaskInput(f"Late {n}", due="2026-02-20"))
    tasks.create(db, TaskInput("Later today", due="today 15:00"))
    tasks.create(db, TaskInput("Thursday", due="2026-03-05"))
    contacts.create(db, ContactInput(display_name="Bday Bea", birthday="--03-04"))


def test_groups_in_order_capped_with_totals(db, clock):
    fill(db, clock)
    day, found = groups(db, limit=3)
    assert day.isoformat() == "2026-03-02"
    assert [g.key for g in found] == ["overdue_tasks", "idle_deals", "stale", "dates"]
    by = {g.key: g for g in found}
    assert by["overdue_tasks"].total == 7 and [i.title for i in by["overdue_tasks"].items] == [
        "Late 0",
        "Late 1",
        "Late 2",
    ]
    assert by["idle_deals"].total == 1 and by["idle_deals"].items[0].kind == "deal"
    assert by["stale"].total == 1 and by["stale"].items[0].title == "Get in touch with Stale Stan"
    assert by["dates"].total == 3
    assert [i.title for i in by["dates"].items] == ["Later today", "Birthday: Bday Bea", "Thursday"]


def test_a_group_shown_further(db, clock):
    fill(db, clock)
    _, found = groups(db, limit=3, limits={"overdue_tasks": 10})
    by = {g.key: g for g in found}
    assert len(by["overdue_tasks"].items) == 7 and len(by["dates"].items) == 3


def test_filter_by_kind(db, clock):
    fill(db, clock)
    _, found = groups(db, kinds={"birthday"})
    assert [g.key for g in found] == ["dates"]
    assert [i.kind for i in found[0].items] == ["birthday"] and found[0].total == 1
    _, found = groups(db, kinds={"deal"})
    assert [(g.key, g.total) for g in found] == [("idle_deals", 1)]
    with pytest.raises(InvalidInput, match="unknown agenda kind 'meetings'"):
        groups(db, kinds={"meetings"})
