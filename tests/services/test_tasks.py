"""Tasks and follow-ups on both stores: natural-language due dates, repeating tasks, snoozing, editing, the
CLI, and the stay-in-touch list."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from tinycrm.domain.errors import Ambiguous, Conflict, InvalidInput, NotFound
from tinycrm.domain.people import ContactInput
from tinycrm.domain.tasks import TaskInput
from tinycrm.services.people import contacts, interactions
from tinycrm.services.work import stay_in_touch, tasks

BERLIN = ZoneInfo("Europe/Berlin")


def count(db, sql, params=None):
    with db.read() as tx:
        return tx.scalar(sql, params or {})


def test_natural_language_due_dates(db, clock):
    clock("2026-03-27T08:00:00+01:00")  # a Friday
    t = tasks.create(db, TaskInput("Call Ada", due="tomorrow 9am"))
    assert not t.all_day
    assert t.due_at == datetime(2026, 3, 28, 9, 0, tzinfo=BERLIN)
    t = tasks.create(db, TaskInput("Review", due="next monday"))
    assert t.all_day and t.due_date == date(2026, 3, 30)
    assert t.due_at == datetime(2026, 3, 30, tzinfo=BERLIN)  # local midnight
    t = tasks.create(db, TaskInput("Invoice", due="in 3 days"))
    assert t.all_day and t.due_date == date(2026, 3, 30)
    t = tasks.create(db, TaskInput("Someday"))
    assert t.due_at is None and t.due_date is None and t.status == "open"
    assert t.owner == "tester"


def test_create_links_priority_notes_and_audit(db, clock):
    clock("2026-03-27T08:00:00+01:00")
    c = contacts.create(db, ContactInput(display_name="Ada Lovelace", company="Engines"))
    data = TaskInput(
        "Send offer",
        due="2026-04-01 10:00",
        contact_id=c.id,
        company_id=c.company.id,
        priority="high",
        notes="bring numbers",
    )
    t = tasks.create(db, data)
    assert (t.contact.name, t.company.name, t.priority, t.notes) == (
        "Ada Lovelace",
        "Engines",
        3,
        "bring numbers",
    )
    assert count(db, "SELECT count(*) FROM audit_log WHERE record_type = 'task' AND action = 'create'") == 1
    with pytest.raises(NotFound):
        tasks.create(db, TaskInput("x", contact_id=9999))
    with pytest.raises(InvalidInput):
        tasks.create(db, TaskInput("x", priority="urgent"))
    with pytest.raises(InvalidInput):
        tasks.create(db, TaskInput("   "))


def test_bad_date_or_rule_changes_nothing(db, clock):
    clock("2026-03-27T08:00:00+01:00")
    with pytest.raises(InvalidInput) as err:
        tasks.create(db, TaskInput("x", due="the day after never"))
    assert "'the day after never'" in err.value.message
    with pytest.raises(InvalidInput) as err:
        tasks.create(db, TaskInput("x", due="tomorrow", repeat="every full moon"))
    assert "'every full moon'" in err.value.message
    assert count(db, "SELECT count(*) FROM tasks") == 0


def test_repeat_without_due_starts_at_the_first_occurrence(db, clock):
    clock("2026-03-27T08:00:00+01:00")  # Friday
    t = tasks.create(db, TaskInput("Weekly report", repeat="every monday"))
    assert t.all_day and t.due_date == date(2026, 3, 30)
    assert t.rrule == "FREQ=WEEKLY;BYDAY=MO" and t.repeat == "every monday"


def test_complete_plain_task(db, clock):
    clock("2026-03-27T08:00:00+01:00")
    t = tasks.create(db, TaskInput("Once", due="today"))
    done, nxt = tasks.complete(db, t.id)
    assert nxt is None
    assert done.status == "done" and done.done_at == datetime(2026, 3, 27, 7, 0, tzinfo=UTC)
    assert done.version == t.version + 1
    with pytest.raises(Conflict):
        tasks.complete(db, t.id)
    reopened = tasks.update(db, t.id, {"done": False})
    assert reopened.status == "open" and reopened.done_at is None


def test_recurring_task_completed_late(db, clock):
    clock("2026-03-02T08:00:00+01:00")  # Monday
    c = contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    data = TaskInput(
        "Weekly call", due="today", repeat="weekly", contact_id=c.id, priority="high", notes="agenda"
    )
    t = tasks.create(db, data)
    clock("2026-03-11T15:00:00+01:00")  # completed nine days late, on a Wednesday
    done, nxt = tasks.complete(db, t.id)
    assert done.status == "done"
    # from the due date, on the same weekday, and not in the past: 9 March is skipped
    assert nxt.due_date == date(2026, 3, 16) and nxt.all_day
    assert (nxt.title, nxt.rrule, nxt.priority, nxt.notes, nxt.contact.id) == (
        "Weekly call",
        "FREQ=WEEKLY",
        3,
        "agenda",
        c.id,
    )
    assert nxt.id != t.id and nxt.uid != t.uid and nxt.status == "open"
    assert count(db, "SELECT count(*) FROM tasks WHERE done_at IS NULL") == 1
    assert count(db, "SELECT count(*) FROM audit_log WHERE record_type = 'task' AND action = 'complete'") == 1


def test_daily_0900_across_the_spring_dst_change(db, clock):
    clock("2026-03-27T08:00:00+01:00")
    t = tasks.create(db, TaskInput("Standup", due="today 9am", repeat="daily"))
    hours = []
    for day in (27, 28, 29, 30):
        offset = "+01:00" if day < 29 else "+02:00"
        clock(f"2026-03-{day}T09:30:00{offset}")
        assert t.due_at.astimezone(BERLIN).day == day
        hours.append((t.due_at.astimezone(BERLIN).hour, t.due_at.astimezone(UTC).hour))
        _, t = tasks.complete(db, t.id)
    assert hours == [(9, 8), (9, 8), (9, 7), (9, 7)]
    assert t.due_at == datetime(2026, 3, 31, 9, 0, tzinfo=BERLIN)


def test_count_ends_the_series(db, clock):
    clock("2026-03-27T08:00:00+01:00")
    t = tasks.create(db, TaskInput("Three times", due="today", repeat="FREQ=DAILY;COUNT=2"))
    _, t2 = tasks.complete(db, t.id)
    assert t2.rrule == "FREQ=DAILY;COUNT=1"
    assert tasks.complete(db, t2.id)[1] is None


def test_snooze(db, clock):
    clock("2026-03-27T08:00:00+01:00")
    timed = tasks.create(db, TaskInput("Call", due="yesterday 14:00"))
    day = tasks.create(db, TaskInput("Read", due="yesterday"))
    assert [t.id for t in tasks.list_tasks(db, overdue=True).items] == [day.id, timed.id]
    s = tasks.snooze(db, timed.id, "monday")  # a day: the task's own time of day on it
    assert s.snoozed_until == datetime(2026, 3, 30, 14, 0, tzinfo=BERLIN)
    assert s.status == "snoozed" and s.due_at == timed.due_at  # the due date stays
    s = tasks.snooze(db, day.id, "in 2 hours")
    assert s.snoozed_until == datetime(2026, 3, 27, 10, 0, tzinfo=BERLIN)
    assert tasks.list_tasks(db, overdue=True).items == []
    with pytest.raises(InvalidInput):
        tasks.snooze(db, day.id, "yesterday")
    with pytest.raises(InvalidInput):
        tasks.snooze(db, day.id, "the 5th of never")
    clock("2026-03-30T15:00:00+02:00")
    assert [t.id for t in tasks.list_tasks(db, overdue=True).items] == [day.id, timed.id]
    woken = tasks.update(db, timed.id, {"snoozed_until": None})
    assert woken.snoozed_until is None


def test_update_and_stale_edits(db, clock):
    clock("2026-03-27T08:00:00+01:00")
    t = tasks.create(db, TaskInput("Draft", due="tomorrow"))
    t2 = tasks.update(
        db,
        t.id,
        {"title": "Draft offer", "due": "monday 10:00", "repeat": "every 2 weeks", "priority": 2},
        expected_version=t.version,
    )
    assert (t2.title, t2.all_day, t2.rrule, t2.priority, t2.version) == (
        "Draft offer",
        False,
        "FREQ=WEEKLY;INTERVAL=2",
        2,
        t.version + 1,
    )
    assert t2.due_at == datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN)
    with pytest.raises(Conflict) as err:
        tasks.update(db, t.id, {"title": "again"}, expected_version=t.version)
    assert "tester" in err.value.message
    with pytest.raises(InvalidInput):
        tasks.update(db, t.id, {"due": None})  # it repeats: it needs a due date
    t3 = tasks.update(db, t.id, {"repeat": None, "due": None})
    assert t3.rrule is None and t3.due_at is None
    with pytest.raises(InvalidInput):
        tasks.update(db, t.id, {"colour": "red"})
    assert tasks.update(db, t.id, {"title": "Draft offer"}).version == t3.version  # nothing changed


def test_delete_resolve(db, clock):
    clock("2026-03-27T08:00:00+01:00")
    a = tasks.create(db, TaskInput("Call Ada about the offer"))
    b = tasks.create(db, TaskInput("Call Bob"))
    assert tasks.resolve(db, str(a.id)) == a.id
    assert tasks.resolve(db, f"#{b.id}") == b.id
    assert tasks.resolve(db, "ada") == a.id
    assert tasks.resolve(db, "call bob") == b.id
    with pytest.raises(Ambiguous) as err:
        tasks.resolve(db, "call")
    assert {c.id for c in err.value.candidates} == {a.id, b.id}
    with pytest.raises(NotFound):
        tasks.resolve(db, "nothing like it")
    tasks.delete(db, a.id)
    with pytest.raises(NotFound):
        tasks.get(db, a.id)
    assert count(db, "SELECT count(*) FROM audit_log WHERE record_type = 'task' AND action = 'delete'") == 1


def test_list_filters_and_pages(db, clock):
    clock("2026-03-27T08:00:00+01:00")
    c = contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    ids = [tasks.create(db, TaskInput(f"t{i}", due=f"2026-04-{i + 1:02d}")).id for i in range(5)]
    linked = tasks.create(db, TaskInput("linked", due="yesterday", contact_id=c.id))
    nodue = tasks.create(db, TaskInput("no due"))
    page = tasks.list_tasks(db, limit=3)
    assert page.total == 7 and [t.id for t in page.items] == [linked.id, ids[0], ids[1]] and page.more
    page = tasks.list_tasks(db, limit=3, offset=6)
    assert [t.id for t in page.items] == [nodue.id] and not page.more
    assert [t.id for t in tasks.list_tasks(db, contact_id=c.id).items] == [linked.id]
    assert [t.id for t in tasks.list_tasks(db, overdue=True).items] == [linked.id]
    tasks.complete(db, ids[2])
    assert [t.id for t in tasks.list_tasks(db, status="done").items] == [ids[2]]
    assert tasks.list_tasks(db).total == 6
    assert tasks.list_tasks(db, owner="tester").total == 6
    with pytest.raises(InvalidInput):
        tasks.list_tasks(db, owner="nobody")
    with pytest.raises(InvalidInput):
        tasks.list_tasks(db, status="later")


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Pacific/Auckland", "Asia/Kolkata"])
def test_due_today_at_2359_is_today_in_any_zone(db, clock, zone):
    # 20:00 local: 23:59 local is in another UTC day for some of these zones
    local = datetime(2026, 6, 10, 20, 0, tzinfo=ZoneInfo(zone))
    clock(local.isoformat(), tz=zone)
    t = tasks.create(db, TaskInput("Late call", due="today 23:59"))
    assert t.due_date == date(2026, 6, 10) and not t.all_day
    assert tasks.list_tasks(db, overdue=True).total == 0
    from tinycrm.services.work.agenda import agenda

    a = agenda(db)
    assert [i.task_id for i in a.today] == [t.id]
    assert a.overdue == [] and a.upcoming == []


def test_follow_up(db, clock):
    clock("2026-03-27T08:00:00+01:00")
    c = contacts.create(db, ContactInput(display_name="Ada Lovelace"))
    t = tasks.follow_up(db, c.id, "next monday")
    assert (
        t.title == "Follow up with Ada Lovelace" and t.contact.id == c.id and t.due_date == date(2026, 3, 30)
    )
    t = tasks.follow_up(db, c.id, "tomorrow 9am", "Send the contract")
    assert t.title == "Send the contract"
    with pytest.raises(InvalidInput):
        tasks.follow_up(db, c.id, "")
    with pytest.raises(NotFound):
        tasks.follow_up(db, 999, "tomorrow")


# --- stay in touch --------------------------------------------------------------------------------------


def test_stale_contacts(db, clock):
    clock("2026-01-01T10:00:00+01:00")
    a = contacts.create(db, ContactInput(display_name="Ada", cadence_days=30))
    b = contacts.create(db, ContactInput(display_name="Bob", cadence_days=10))
    contacts.create(db, ContactInput(display_name="Cy"))  # no cadence: never stale
    arch = contacts.create(db, ContactInput(display_name="Dee", cadence_days=1))
    contacts.archive(db, arch.id)
    clock("2026-01-15T10:00:00+01:00")
    page = stay_in_touch.stale_contacts(db)
    assert [(s.display_name, s.days_overdue) for s in page.items] == [("Bob", 4)]
    assert page.items[0].last_interaction_at is None and page.items[0].due_date == date(2026, 1, 11)
    clock("2026-02-05T10:00:00+01:00")
    page = stay_in_touch.stale_contacts(db)
    assert [(s.display_name, s.days_overdue) for s in page.items] == [("Bob", 25), ("Ada", 5)]
    assert page.total == 2
    assert [s.id for s in stay_in_touch.stale_contacts(db, limit=1, offset=1).items] == [a.id]
    # logging an interaction resets the cadence
    interactions.log(db, contact_ids=[b.id], kind_="call", summary="caught up", when="yesterday 10:00")
    page = stay_in_touch.stale_contacts(db)
    assert [s.id for s in page.items] == [a.id]
    clock("2026-02-14T09:00:00+01:00")  # ten days after the call: due today
    page = stay_in_touch.stale_contacts(db)
    bob = next(s for s in page.items if s.id == b.id)
    assert bob.days_overdue == 0 and bob.last_interaction_at == datetime(2026, 2, 4, 10, 0, tzinfo=BERLIN)
    assert stay_in_touch.stale_contacts(db, owner="tester").total == 2


# --- the command line -----------------------------------------------------------------------------------


NOW = {"TINYCRM_NOW": "2026-03-27T08:00:00+01:00", "TZ": "Europe/Berlin"}


def test_cli_task_lifecycle(cli):
    r = cli("add-contact", "Ada Lovelace", "--email", "ada@example.com", env=NOW)
    assert r.exit_code == 0, r.stderr
    r = cli(
        "task",
        "add",
        "Send offer",
        "--due",
        "tomorrow 9am",
        "--contact",
        "ada@example.com",
        "--priority",
        "high",
        "--note",
        "numbers",
        env=NOW,
    )
    assert r.exit_code == 0, r.stderr
    tid = int(r.stdout)
    r = cli("task", "add", "Weekly review", "--due", "monday", "--repeat", "every monday", "--json", env=NOW)
    assert r.exit_code == 0, r.stderr
    weekly = r.json
    assert (
        weekly["rrule"] == "FREQ=WEEKLY;BYDAY=MO" and weekly["due_date"] == "2026-03-30" and weekly["all_day"]
    )
    r = cli("task", "list", env=NOW)
    assert r.stdout.splitlines()[0].split("\t")[:3] == [str(tid), "2026-03-28 09:00", "Send offer"]
    r = cli("task", "list", "--contact", "Ada", "--json", env=NOW)
    assert [t["id"] for t in r.json] == [tid]
    r = cli("task", "show", "offer", "--json", env=NOW)
    assert r.json["contact"]["name"] == "Ada Lovelace" and r.json["priority"] == 3
    r = cli("task", "done", "review", env={**NOW, "TINYCRM_NOW": "2026-03-30T12:00:00+02:00"})
    assert r.exit_code == 0, r.stderr
    lines = [line.split("\t") for line in r.stdout.splitlines()]
    assert lines[0] == [str(weekly["id"]), "done", "Weekly review"]
    assert lines[1][1:] == ["next", "2026-04-06", "Weekly review"]
    r = cli("task", "list", "--done", "--json", env=NOW)
    assert [t["title"] for t in r.json] == ["Weekly review"]
    r = cli("task", "snooze", str(tid), "next", "wednesday", "--json", env=NOW)
    assert r.exit_code == 0, r.stderr
    assert r.json["snoozed_until"] == "2026-04-01T07:00:00Z"
    r = cli(
        "task", "edit", str(tid), "--title", "Send the offer", "--due", "", "--contact", "", "--json", env=NOW
    )
    assert r.exit_code == 0, r.stderr
    assert (r.json["title"], r.json["due_at"], r.json["contact"]) == ("Send the offer", None, None)
    r = cli("task", "edit", str(tid), "--title", "x", "--expect-version", "1", env=NOW)
    assert r.exit_code == 1 and "version" in r.stderr
    r = cli("task", "delete", str(tid), env=NOW)
    assert r.exit_code == 2 and "--yes" in r.stderr
    r = cli("task", "delete", str(tid), "--yes", env=NOW)
    assert r.exit_code == 0
    r = cli("task", "show", str(tid), env=NOW)
    assert r.exit_code == 2 and "no task with id" in r.stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--due", "flurbsday"), "'flurbsday'"),
        (("--due", "tomorrow", "--repeat", "every blue moon"), "'every blue moon'"),
        (("--repeat", "FREQ=SOMETIMES"), "'FREQ=SOMETIMES'"),
        (("--priority", "asap"), "'asap'"),
    ],
)
def test_cli_unparseable_input_exits_2_and_changes_nothing(cli, args, named):
    r = cli("task", "add", "Something", *args, env=NOW)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and named in r.stderr
    r = cli("task", "list", "--json", env=NOW)
    assert r.json == []


def test_cli_follow_up_and_stale(cli):
    cli("add-contact", "Bob Smith", "--cadence", "7", env={**NOW, "TINYCRM_NOW": "2026-03-01T10:00:00+01:00"})
    r = cli("follow-up", "Bob", "next monday", env=NOW)
    assert r.exit_code == 0, r.stderr
    r = cli("task", "show", r.stdout.strip(), "--json", env=NOW)
    assert r.json["title"] == "Follow up with Bob Smith" and r.json["due_date"] == "2026-03-30"
    r = cli("follow-up", "Bob", "whenever", env=NOW)
    assert r.exit_code == 2 and "'whenever'" in r.stderr
    r = cli("stale", env=NOW)
    assert r.exit_code == 0
    assert r.stdout.split("\t")[:2] == ["1", "Bob Smith"] and "19 days overdue" in r.stdout
    r = cli("stale", "--json", env=NOW)
    assert r.json[0]["days_overdue"] == 19 and r.json[0]["cadence_days"] == 7
    r = cli("log", "Bob", "--kind", "call", "--summary", "hi", env=NOW)
    assert r.exit_code == 0, r.stderr
    r = cli("stale", "--json", env=NOW)
    assert r.json == []


def test_cli_task_links_a_deal_by_title(cli):
    cli("add-contact", "Ada Lovelace", "--email", "ada@example.com", env=NOW)
    deal = cli(
        "deal", "add", "Website redesign", "--value", "5000", "--currency", "EUR", "--json", env=NOW
    ).json
    r = cli("task", "add", "Send the quote", "--due", "tomorrow", "--deal", "redesign", "--json", env=NOW)
    assert r.exit_code == 0, r.stderr
    assert r.json["deal"] == {"id": deal["id"], "name": "Website redesign"}
    r = cli("task", "add", "Nothing", "--deal", "no such deal", env=NOW)
    assert r.exit_code == 2 and "no deal matches 'no such deal'" in r.stderr
    assert len(cli("task", "list", "--json", env=NOW).json) == 1
