"""Tasks both ways with a folder of .ics files, on SQLite and PostgreSQL: what a phone does to a VTODO reaches
the task, what tinycrm does reaches the file, dates are written and removed, bad files are reported."""

import os

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.people import ContactInput
from tinycrm.domain.tasks import TaskInput
from tinycrm.services.people import contacts
from tinycrm.services.sync.calendar import sync_tasks
from tinycrm.services.work import tasks


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("TINYCRM_NOW", "2026-06-01T09:00:00+00:00")
    monkeypatch.setenv("TZ", "UTC")


def edit(path, old: str, new: str) -> None:
    data = path.read_bytes()
    assert old.encode() in data, data
    path.write_bytes(data.replace(old.encode(), new.encode()))
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 10**9))


def task_file(folder, title: str):
    (found,) = [p for p in folder.glob("*.ics") if f"SUMMARY:{title}".encode() in p.read_bytes()]
    return found


@pytest.fixture
def synced(db, tmp_path):
    call = tasks.create(db, TaskInput(title="Call Ada", due="2026-06-03")).id
    invoice = tasks.create(db, TaskInput(title="Send invoice", due="2026-06-05")).id
    folder = tmp_path / "tasks"
    report = sync_tasks(db, folder)
    assert report.count("write") == 2 and not report.problems
    return folder, call, invoice


def test_a_second_run_changes_nothing(db, synced):
    folder, _, _ = synced
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.glob("*.ics")}
    report = sync_tasks(db, folder)
    assert report.actions == [] and report.unchanged == 2
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.glob("*.ics")} == before


def test_completed_renamed_and_moved_on_the_phone(db, synced):
    folder, call, invoice = synced
    edit(task_file(folder, "Call Ada"), "STATUS:NEEDS-ACTION", "STATUS:COMPLETED")
    edit(task_file(folder, "Send invoice"), "SUMMARY:Send invoice", "SUMMARY:Send the invoice")
    edit(task_file(folder, "Send the invoice"), "DUE;VALUE=DATE:20260605", "DUE;VALUE=DATE:20260610")
    sync_tasks(db, folder)
    assert tasks.get(db, call).done_at is not None
    moved = tasks.get(db, invoice)
    assert moved.title == "Send the invoice" and str(moved.due_date) == "2026-06-10"
    assert b"COMPLETED" in task_file(folder, "Call Ada").read_bytes()
    assert sync_tasks(db, folder).actions == []


def test_new_deleted_and_tinycrm_changes(db, synced):
    folder, call, invoice = synced
    (folder / "phone.ics").write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//phone//EN\r\nBEGIN:VTODO\r\nUID:phone-task-1\r\n"
        b"SUMMARY:Buy stamps\r\nDUE;VALUE=DATE:20260604\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
    )
    task_file(folder, "Send invoice").unlink()
    tasks.update(db, call, {"title": "Call Ada back"})
    report = sync_tasks(db, folder)
    assert sorted(a[1] for a in report.actions) == ["create", "done", "write"]
    titles = {t.title for t in tasks.list_tasks(db, limit=None).items}
    assert titles == {"Call Ada back", "Buy stamps"}
    assert tasks.get(db, invoice).done_at is not None
    assert task_file(folder, "Call Ada back")
    tasks.delete(db, call)
    assert [a[1] for a in sync_tasks(db, folder).actions] == ["remove"]
    assert sync_tasks(db, folder).actions == []
    assert len([t for t in tasks.list_tasks(db, limit=None).items if t.title == "Buy stamps"]) == 1


def test_birthdays_are_written_once_and_removed_when_gone(db, tmp_path):
    ada = contacts.create(db, ContactInput(display_name="Ada Lovelace", birthday="1815-12-10")).id
    folder = tmp_path / "tasks"
    assert [a[1] for a in sync_tasks(db, folder).actions] == ["date"]
    (event,) = folder.glob("tinycrm-date-*.ics")
    assert b"Birthday: Ada Lovelace" in event.read_bytes()
    assert sync_tasks(db, folder).actions == []
    contacts.update(db, ada, {"birthday": None})
    assert [a[1] for a in sync_tasks(db, folder).actions] == ["date-removed"]
    assert not list(folder.glob("tinycrm-date-*.ics"))


def test_bad_files_are_reported_and_the_rest_synced(db, synced):
    folder, _, _ = synced
    (folder / "junk.ics").write_bytes(b"not a calendar")
    (folder / "event.ics").write_bytes(
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:e1\r\nSUMMARY:Party\r\n"
        b"DTSTART;VALUE=DATE:20260601\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    report = sync_tasks(db, folder)
    assert sorted(p.file for p in report.problems) == ["event.ics", "junk.ics"]
    assert all("\n" not in p.message for p in report.problems)
    assert report.unchanged == 2
