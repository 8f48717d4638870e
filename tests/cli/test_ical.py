"""``crm export ical`` on both stores, read back with an independent library (icalendar) item by item."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from tinycrm.store.database import open_db

BERLIN = ZoneInfo("Europe/Berlin")
NOW = {"TINYCRM_NOW": "2026-03-27T08:00:00+01:00", "TZ": "Europe/Berlin"}


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def build(cli):
    """Tasks, contacts with birthdays and deals; the ids and uids the feed must hold."""
    ok(cli("add-contact", "Ada Lovelace", "--birthday", "1990-03-30", env=NOW))
    ok(cli("add-contact", "Yan Yearless", "--birthday", "--07-14", env=NOW))
    ok(cli("add-contact", "Lena Leap", "--birthday", "1996-02-29", env=NOW))
    ok(cli("add-contact", "Arno Archived", "--birthday", "--05-05", env=NOW))
    ok(cli("contact", "archive", "Arno", env=NOW))
    ok(cli("add-contact", "No Birthday", env=NOW))
    tasks = {
        "day": ok(cli("task", "add", "Review contract", "--due", "next monday", "--json", env=NOW)).json,
        "timed": ok(
            cli(
                "task",
                "add",
                "Call Ada",
                "--due",
                "tomorrow 15:30",
                "--contact",
                "Ada",
                "--priority",
                "high",
                "--note",
                "about the engine",
                "--json",
                env=NOW,
            )
        ).json,
        "daily": ok(
            cli("task", "add", "Standup", "--due", "today 9am", "--repeat", "daily", "--json", env=NOW)
        ).json,
        "weekly": ok(
            cli("task", "add", "Report", "--due", "monday", "--repeat", "every monday", "--json", env=NOW)
        ).json,
        "nodue": ok(cli("task", "add", "Someday", "--json", env=NOW)).json,
    }
    done = ok(cli("task", "add", "Finished", "--due", "yesterday", "--json", env=NOW)).json
    ok(cli("task", "done", str(done["id"]), env=NOW))

    from tinycrm.domain.sales import DealInput
    from tinycrm.services.sales import deals

    db = open_db(cli.url)
    try:
        deal = deals.create(
            db, DealInput("Engine order", value="5000", currency="GBP", expected_close="2026-04-15")
        )
        deals.create(db, DealInput("No date", value="1", currency="GBP"))
        lost = deals.create(db, DealInput("Lost one", value="1", currency="GBP", expected_close="2026-04-20"))
        deals.lose(db, lost.id, "price")
    finally:
        db.close()
    with_uids = open_db(cli.url)
    try:
        with with_uids.read() as tx:
            contact_uids = {
                r["display_name"]: r["uid"] for r in tx.all("SELECT display_name, uid FROM contacts")
            }
    finally:
        with_uids.close()
    return tasks, done, deal, contact_uids


def parse(text: str | bytes) -> Calendar:
    return Calendar.from_ical(text if isinstance(text, bytes) else text.encode("utf-8"))


def test_export_every_item(cli, tmp_path):
    tasks, done, deal, uids = build(cli)
    path = tmp_path / "crm.ics"
    r = ok(cli("export", "ical", str(path), env=NOW))
    assert r.stdout == "" and "wrote 5 tasks, 3 birthdays and 1 deal dates" in r.stderr
    cal = parse(path.read_bytes())
    assert str(cal["VERSION"]) == "2.0" and "tinycrm" in str(cal["PRODID"])

    todos = {str(c["UID"]): c for c in cal.walk("VTODO")}
    assert set(todos) == {f"task-{t['uid']}@tinycrm" for t in tasks.values()}  # not the done one
    for t in tasks.values():
        todo = todos[f"task-{t['uid']}@tinycrm"]
        assert str(todo["SUMMARY"]) == t["title"]
        assert str(todo["STATUS"]) == "NEEDS-ACTION"
        assert int(todo["SEQUENCE"]) == 0

    day = todos[f"task-{tasks['day']['uid']}@tinycrm"]
    assert day["DUE"].dt == date(2026, 3, 30) and "RRULE" not in day and "DTSTART" not in day

    timed = todos[f"task-{tasks['timed']['uid']}@tinycrm"]
    assert timed["DUE"].dt == datetime(2026, 3, 28, 15, 30, tzinfo=BERLIN)
    assert timed["DUE"].dt.utcoffset().total_seconds() == 0  # a single moment: written in UTC
    assert int(timed["PRIORITY"]) == 1
    assert "Contact: Ada Lovelace" in str(timed["DESCRIPTION"]) and "about the engine" in str(
        timed["DESCRIPTION"]
    )

    daily = todos[f"task-{tasks['daily']['uid']}@tinycrm"]
    assert daily["RRULE"]["FREQ"] == ["DAILY"]
    assert (
        daily["DTSTART"].params["TZID"] == "Europe/Berlin" and daily["DUE"].params["TZID"] == "Europe/Berlin"
    )
    start = daily["DTSTART"].dt
    assert start.replace(tzinfo=None) == datetime(2026, 3, 27, 9, 0)
    # a calendar expanding the series keeps 09:00 local across the change to summer time on 29 March
    series = rrulestr(daily["RRULE"].to_ical().decode(), dtstart=start.replace(tzinfo=None))
    days = [d.replace(tzinfo=BERLIN) for d in series[:4]]
    assert [(d.hour, d.astimezone(UTC).hour) for d in days] == [(9, 8), (9, 8), (9, 7), (9, 7)]
    assert any(c.name == "VTIMEZONE" and str(c["TZID"]) == "Europe/Berlin" for c in cal.walk())

    weekly = todos[f"task-{tasks['weekly']['uid']}@tinycrm"]
    assert weekly["RRULE"]["FREQ"] == ["WEEKLY"] and weekly["RRULE"]["BYDAY"] == ["MO"]
    assert weekly["DTSTART"].dt == weekly["DUE"].dt == date(2026, 3, 30)

    nodue = todos[f"task-{tasks['nodue']['uid']}@tinycrm"]
    assert "DUE" not in nodue

    events = {str(c["UID"]): c for c in cal.walk("VEVENT")}
    assert set(events) == {
        f"birthday-{uids['Ada Lovelace']}@tinycrm",
        f"birthday-{uids['Yan Yearless']}@tinycrm",
        f"birthday-{uids['Lena Leap']}@tinycrm",
        f"deal-{deal.uid}@tinycrm",
    }
    ada = events[f"birthday-{uids['Ada Lovelace']}@tinycrm"]
    assert str(ada["SUMMARY"]) == "Birthday: Ada Lovelace"
    assert ada["DTSTART"].dt == date(1990, 3, 30) and ada["DTEND"].dt == date(1990, 3, 31)
    assert ada["RRULE"]["FREQ"] == ["YEARLY"] and str(ada["TRANSP"]) == "TRANSPARENT"
    yan = events[f"birthday-{uids['Yan Yearless']}@tinycrm"]
    assert (yan["DTSTART"].dt.month, yan["DTSTART"].dt.day) == (7, 14) and yan["RRULE"]["FREQ"] == ["YEARLY"]
    lena = events[f"birthday-{uids['Lena Leap']}@tinycrm"]
    assert lena["DTSTART"].dt == date(1996, 2, 29)
    series = rrulestr(lena["RRULE"].to_ical().decode(), dtstart=datetime(1996, 2, 29))
    shown = [d.date() for d in series.between(datetime(2026, 1, 1), datetime(2029, 1, 1))]
    assert shown == [date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29)]
    close = events[f"deal-{deal.uid}@tinycrm"]
    assert str(close["SUMMARY"]) == "Expected close: Engine order"
    assert close["DTSTART"].dt == date(2026, 4, 15) and close["DTEND"].dt == date(2026, 4, 16)


def test_uids_are_stable_and_done_tasks_on_request(cli, tmp_path):
    tasks, done, _, _ = build(cli)
    first = parse(ok(cli("export", "ical", "-", env=NOW)).stdout)
    ok(cli("task", "edit", str(tasks["timed"]["id"]), "--title", "Call Ada Lovelace", env=NOW))
    second = parse(ok(cli("export", "ical", "-", env=NOW)).stdout)
    uids = sorted(str(c["UID"]) for c in first.walk() if "UID" in c)
    assert uids == sorted(str(c["UID"]) for c in second.walk() if "UID" in c)
    edited = next(c for c in second.walk("VTODO") if str(c["UID"]) == f"task-{tasks['timed']['uid']}@tinycrm")
    assert str(edited["SUMMARY"]) == "Call Ada Lovelace" and int(edited["SEQUENCE"]) == 1

    with_done = parse(ok(cli("export", "ical", "-", "--include-done", env=NOW)).stdout)
    finished = next(c for c in with_done.walk("VTODO") if str(c["UID"]) == f"task-{done['uid']}@tinycrm")
    assert str(finished["STATUS"]) == "COMPLETED"
    assert finished["COMPLETED"].dt == datetime(2026, 3, 27, 7, 0, tzinfo=UTC)


def test_never_overwrites_without_force(cli, tmp_path):
    ok(cli("task", "add", "Something", "--due", "tomorrow", env=NOW))
    path = tmp_path / "mine.ics"
    path.write_text("my own calendar")
    r = cli("export", "ical", str(path), env=NOW)
    assert r.exit_code == 1 and "--force" in r.stderr and r.stdout == ""
    assert path.read_text() == "my own calendar"
    r = ok(cli("export", "ical", str(path), "--force", "--json", env=NOW))
    assert r.json["tasks"] == 1 and r.json["file"] == str(path)
    assert len(list(parse(path.read_bytes()).walk("VTODO"))) == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".crm-")] == []


@pytest.mark.parametrize("owner", ["--mine"])
def test_owner_filter(cli, owner):
    ok(cli("task", "add", "Mine", "--due", "tomorrow", env=NOW))
    cal = parse(ok(cli("export", "ical", "-", owner, env=NOW)).stdout)
    assert [str(c["SUMMARY"]) for c in cal.walk("VTODO")] == ["Mine"]
    r = cli("export", "ical", "-", "--owner", "nobody", env=NOW)
    assert r.exit_code == 2
