"""`crm agenda` and `crm remind` show a page of what is due and say on stderr when there is more; `crm` (status)
counts it."""

from __future__ import annotations


def _fill(cli) -> None:  # noqa: ANN001
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.work import tasks
    from tinycrm.store.database import open_db

    db = open_db(cli.url)
    for i in range(25):
        tasks.create(db, TaskInput(f"Overdue {i:02d}", due=f"2026-02-{i + 1:02d}"))
    tasks.create(db, TaskInput("Later today", due="today 18:00"))
    db.close()


def test_agenda_pages_each_section(cli, clock):
    clock("2026-03-27T08:00:00+01:00")
    _fill(cli)
    r = cli("agenda")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 21 and lines[0].startswith("overdue\ttask") and lines[-1].startswith("today\ttask")
    assert r.stderr == "1-20 of 25 overdue items; --offset 20 for the next page, --all for everything\n"
    r = cli("agenda", "--offset", "20", "--json")
    assert [i["title"] for i in r.json["overdue"]] == [f"Overdue {i}" for i in range(20, 25)]
    assert r.json["totals"] == {"overdue": 25, "today": 1, "upcoming": 0}
    r = cli("agenda", "--all")
    assert len(r.stdout.splitlines()) == 26 and r.stderr == ""


def test_remind_sends_the_most_urgent_first(cli, clock):
    clock("2026-03-27T08:00:00+01:00")
    _fill(cli)
    r = cli("remind", "--limit", "10")
    assert r.exit_code == 0, r.stderr
    assert "Overdue 00" in r.stdout and "Overdue 10" not in r.stdout
    assert "... and 16 more: crm agenda --all lists everything" in r.stdout
    assert r.stderr == "1-10 of 26 items due; --offset 10 for the next page, --all for everything\n"
    r = cli("remind", "--limit", "10", "--json")
    assert [i["title"] for i in r.json] == [f"Overdue {i}" for i in range(10, 20)], "the next ones"
    r = cli("remind", "--all", "--dry-run")
    assert "Overdue 00" in r.stdout and "Later today" in r.stdout and r.stderr == ""


def test_status_counts(cli, clock):
    clock("2026-03-27T08:00:00+01:00")
    _fill(cli)
    r = cli()
    assert r.exit_code == 0, r.stderr
    assert "  25 tasks overdue" in r.stdout and "  1 tasks due today" in r.stdout
