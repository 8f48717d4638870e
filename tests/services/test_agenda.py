"""The agenda on both stores: tasks, stay-in-touch contacts, birthdays (29 February too) and idle deals, by
section; the owner filter; the command."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tinycrm import config
from tinycrm.domain.people import ContactInput
from tinycrm.domain.tasks import TaskInput
from tinycrm.services.people import contacts
from tinycrm.services.work import tasks
from tinycrm.services.work.agenda import agenda, birthday_on

BERLIN = ZoneInfo("Europe/Berlin")


def kinds(items):
    return [(i.kind, i.title) for i in items]


def test_sections(db, clock):
    clock("2026-03-01T10:00:00+01:00")
    stale_now = contacts.create(db, ContactInput(display_name="Stale Stan", cadence_days=20))
    contacts.create(db, ContactInput(display_name="Due Today", cadence_days=26))
    contacts.create(db, ContactInput(display_name="Due Soon", cadence_days=29))
    contacts.create(db, ContactInput(display_name="Far Away", cadence_days=90))
    clock("2026-03-27T08:00:00+01:00")  # Friday
    contacts.create(db, ContactInput(display_name="Ada Lovelace", birthday="1990-03-30"))
    contacts.create(db, ContactInput(display_name="Yearless Yan", birthday="--03-27"))
    contacts.create(db, ContactInput(display_name="Later Lee", birthday="--04-20"))
    gone = contacts.create(db, ContactInput(display_name="Archived Arno", birthday="--03-28"))
    contacts.archive(db, gone.id)
    tasks.create(db, TaskInput("Overdue timed", due="today 7:00"))
    tasks.create(db, TaskInput("Overdue day", due="yesterday"))
    tasks.create(db, TaskInput("Today day", due="today"))
    tasks.create(db, TaskInput("Today later", due="today 15:00", contact_id=stale_now.id))
    tasks.create(db, TaskInput("Next week", due="in 7 days"))
    tasks.create(db, TaskInput("Too far", due="in 8 days"))
    tasks.create(db, TaskInput("No due"))
    done = tasks.create(db, TaskInput("Done", due="yesterday"))
    tasks.complete(db, done.id)
    snoozed = tasks.create(db, TaskInput("Snoozed", due="yesterday"))
    tasks.snooze(db, snoozed.id, "tuesday")

    a = agenda(db)
    assert a.day == date(2026, 3, 27) and a.notes == []
    assert kinds(a.overdue) == [
        ("stale", "Get in touch with Stale Stan"),
        ("task", "Overdue day"),
        ("task", "Overdue timed"),
    ]
    assert kinds(a.today) == [
        ("task", "Today day"),
        ("stale", "Get in touch with Due Today"),
        ("birthday", "Birthday: Yearless Yan"),
        ("task", "Today later"),
    ]
    assert kinds(a.upcoming) == [
        ("stale", "Get in touch with Due Soon"),
        ("birthday", "Birthday: Ada Lovelace"),
        ("task", "Snoozed"),
        ("task", "Next week"),
    ]
    stan = a.overdue[0]
    assert (
        stan.when == date(2026, 3, 21) and "6 days overdue" in stan.detail and stan.contact_id == stale_now.id
    )
    ada = next(i for i in a.upcoming if i.kind == "birthday")
    assert ada.when == date(2026, 3, 30) and ada.detail == "turns 36"
    later = next(i for i in a.today if i.title == "Today later")
    assert later.when == datetime(2026, 3, 27, 15, 0, tzinfo=BERLIN) and "Stale Stan" in later.detail
    snoozed_item = next(i for i in a.upcoming if i.title == "Snoozed")
    assert snoozed_item.when == date(2026, 3, 31) and "snoozed until" in snoozed_item.detail
    assert {i.section for i in a.overdue} == {"overdue"}

    short = agenda(db, days=0)
    assert [i.title for i in short.upcoming] == ["Birthday: Ada Lovelace"]  # birthdays keep their lead days


@pytest.mark.parametrize(
    ("now", "section", "shown_on"),
    [
        ("2027-02-25T09:00:00+01:00", "upcoming", date(2027, 2, 28)),  # 2027 has no 29 February
        ("2027-02-28T09:00:00+01:00", "today", date(2027, 2, 28)),
        ("2028-02-25T09:00:00+01:00", "upcoming", date(2028, 2, 29)),
        ("2028-02-28T09:00:00+01:00", "upcoming", date(2028, 2, 29)),
        ("2028-02-29T09:00:00+01:00", "today", date(2028, 2, 29)),
        ("2027-03-01T09:00:00+01:00", None, None),
    ],
)
def test_birthday_on_29_february(db, clock, now, section, shown_on):
    clock("2026-01-01T09:00:00+01:00")
    leap = contacts.create(db, ContactInput(display_name="Leap Lena", birthday="1996-02-29"))
    contacts.create(db, ContactInput(display_name="Leap Lou", birthday="--02-29"))
    clock(now)
    a = agenda(db)
    found = [i for i in a.items if i.kind == "birthday"]
    if section is None:
        assert found == []
        return
    assert [(i.title, i.section, i.when) for i in found] == [
        ("Birthday: Leap Lena", section, shown_on),
        ("Birthday: Leap Lou", section, shown_on),
    ]
    assert found[0].contact_id == leap.id
    assert found[0].detail == f"turns {shown_on.year - 1996}"


def test_birthday_on():
    assert birthday_on("--02-29", 2027) == date(2027, 2, 28)
    assert birthday_on("2000-02-29", 2028) == date(2028, 2, 29)
    assert birthday_on("1980-12-31", 2026) == date(2026, 12, 31)


def test_birthdays_across_new_year_and_lead_days(db, clock, monkeypatch, _isolated_home):
    clock("2026-12-29T09:00:00+01:00")
    contacts.create(db, ContactInput(display_name="New Year Nia", birthday="--01-02"))
    contacts.create(db, ContactInput(display_name="Ten Days Tom", birthday="--01-08"))
    assert [(i.title, i.when) for i in agenda(db).upcoming] == [("Birthday: New Year Nia", date(2027, 1, 2))]
    (_isolated_home / "config.toml").write_text("birthday_lead_days = 14\n")
    config.reset()
    assert [i.title for i in agenda(db, days=1).upcoming] == [
        "Birthday: New Year Nia",
        "Birthday: Ten Days Tom",
    ]
    monkeypatch.setenv("TINYCRM_BIRTHDAY_LEAD_DAYS", "2")
    config.reset()
    assert agenda(db, days=0).upcoming == []


def test_idle_deals_are_on_the_agenda(db, clock):
    from tinycrm.domain.sales import DealInput
    from tinycrm.services.sales import deals, pipelines

    clock("2026-03-01T09:00:00+01:00")
    assert pipelines.list_pipelines(db)[0].stages[0].idle_days == 14  # Lead: idle after 14 days
    d = deals.create(db, DealInput("Big one", value="1000", currency="EUR"))
    assert [i for i in agenda(db).items if i.kind == "deal"] == []
    clock("2026-03-27T09:00:00+01:00")
    found = [i for i in agenda(db).overdue if i.kind == "deal"]
    assert [(i.title, i.deal_id) for i in found] == [("Idle deal: Big one", d.id)]
    assert "Lead" in found[0].detail
    assert [i.deal_id for i in agenda(db, owner="tester").items if i.kind == "deal"] == [d.id]
    # an idle deal has no time: the overdue tasks, which a user ticks off, come before it
    tasks.create(db, TaskInput("Send the quote", due="yesterday"))
    assert [i.kind for i in agenda(db).overdue] == ["task", "deal"]
    assert [i.kind for i in agenda(db, limit=1).overdue] == ["task"]


def test_owner_filter(db, clock):
    from tinycrm.services.team import users

    clock("2026-03-27T08:00:00+01:00")
    users.add(db, "bob")
    mine = tasks.create(db, TaskInput("Mine", due="today"))
    bobs = tasks.create(db, TaskInput("Bob's", due="today", assignee="bob"))
    contacts.create(db, ContactInput(display_name="Ada", birthday="--03-28"))
    assert {i.task_id for i in agenda(db).today} == {mine.id, bobs.id}
    assert [i.task_id for i in agenda(db, owner="bob").items] == [bobs.id]
    assert {i.title for i in agenda(db, owner="tester").items} == {"Mine", "Birthday: Ada"}
    from tinycrm.domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        agenda(db, owner="carol")
    with pytest.raises(InvalidInput):
        agenda(db, days=1000)


NOW = {"TINYCRM_NOW": "2026-03-27T08:00:00+01:00", "TZ": "Europe/Berlin"}


def test_cli_agenda(cli):
    cli("task", "add", "Overdue", "--due", "yesterday", env=NOW)
    cli("task", "add", "Standup", "--due", "today 9:30", env=NOW)
    cli("add-contact", "Ada Lovelace", "--birthday", "1990-03-30", env=NOW)
    r = cli("agenda", env=NOW)
    assert r.exit_code == 0, r.stderr
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert rows == [
        ["overdue", "task", "Thu 2026-03-26", "Overdue", "", "task 1"],
        ["today", "task", "09:30", "Standup", "", "task 2"],
        ["next 7 days", "birthday", "Mon 2026-03-30", "Birthday: Ada Lovelace", "turns 36", "contact 1"],
    ]
    r = cli("agenda", "--json", "--days", "1", env=NOW)
    assert [i["title"] for i in r.json["overdue"]] == ["Overdue"]
    assert r.json["today"][0]["when"] == "2026-03-27T08:30:00Z"
    assert r.json["day"] == "2026-03-27" and r.json["days"] == 1
    r = cli("agenda", "--mine", "--owner", "x", env=NOW)
    assert r.exit_code == 2
