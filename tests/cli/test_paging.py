"""Every paged list says on stderr when what it printed is not the whole list, wherever stdout goes: to a pipe,
with --json and on a terminal; stdout holds exactly the page; nothing is said when the page is the whole list."""

from __future__ import annotations

import json

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module

# (command, what the notice calls the rows); each has more than 2 rows in ``seeded``
PAGED = [
    (("contact", "list"), "contacts"),
    (("search", "person"), "matches"),
    (("contact", "search", "person"), "matches"),
    (("timeline", "person 0"), "interactions"),
    (("company", "list"), "companies"),
    (("deal", "list"), "deals"),
    (("deal", "idle"), "idle deals"),
    (("deal", "timeline", "deal 0"), "events"),
    (("task", "list"), "tasks"),
    (("stale",), "contacts to get in touch with"),
    (("history", "contact", "1"), "entries"),
    (("audit",), "entries"),
    (("duplicates",), "possible duplicates"),
    (("token", "list"), "tokens"),
    (("ticket", "list"), "tickets"),
    (("kb", "list"), "articles"),
    (("kb", "search", "guide"), "articles"),
]
IDS = [" ".join(args) for args, _ in PAGED]


@pytest.fixture(autouse=True)
def _clock(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("TINYCRM_NOW", "2026-03-10T12:00:00+00:00")


@pytest.fixture
def seeded(cli):
    """5 people at 3 companies (pairs sharing an email: duplicates), with a stay-in-touch cadence and no contact
    since January (stale), 3 calls with Person 0; 3 deals with an overdue next step (idle), one moved twice; 3 tasks;
    Person 00 edited twice (history)."""
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.domain.sales import DealInput
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.people import contacts, interactions
    from tinycrm.services.sales import deals
    from tinycrm.services.work import tasks
    from tinycrm.store.database import open_db

    db = open_db(cli.url)
    try:
        with db.write() as tx:
            ids = [
                contacts.insert(
                    tx,
                    ContactInput(
                        f"Person {i}",
                        emails=[Labeled(f"shared{i // 2}@example.com")],
                        company=f"Company {i % 3}",
                        cadence_days=7,
                    ),
                )
                for i in range(5)
            ]
        for k in range(3):
            interactions.log(
                db, contact_ids=ids[:1], kind_="call", summary=f"Call {k}", when=f"2026-01-0{k + 1}"
            )
        for cid in ids[1:]:
            interactions.log(db, contact_ids=[cid], kind_="email", summary="Hello", when="2026-01-05")
        contacts.update(db, ids[0], {"job_title": "Engineer"})
        contacts.update(db, ids[0], {"job_title": "Manager"})
        for k in range(3):
            deals.create(
                db,
                DealInput(
                    f"Deal {k}", value="100", currency="EUR", next_step="Call", next_step_due="2026-03-01"
                ),
            )
        deals.move(db, 1, "Qualified")
        deals.move(db, 1, "Proposal")
        for k in range(3):
            tasks.create(db, TaskInput(f"Task {k}", due=f"2026-03-1{k + 1}"))
        from tinycrm.services.common import actor
        from tinycrm.services.team import accounts

        for k in range(3):
            accounts.create_token(db, actor(db), f"Token {k}")
        from tinycrm.services.support import kb, tickets

        for k in range(3):
            tickets.create(db, subject_=f"Ticket {k}", contact_id=ids[0])
            kb.add(db, title=f"Guide {k}", body="A guide.")
    finally:
        db.close()
    return cli


def whole(cli, args) -> list:
    r = cli(*args, "--all", "--json")
    assert r.exit_code == 0 and r.stderr == "", (args, r.stderr)
    assert len(r.json) > 2, (args, "the fixture must give more rows than a page of 2")
    return r.json


@pytest.mark.parametrize(("args", "what"), PAGED, ids=IDS)
def test_a_cut_page_says_so_on_stderr(seeded, args, what):
    cli = seeded
    everything = whole(cli, args)
    notice = f"1-2 of {len(everything)} {what}; --offset 2 for the next page, --all for everything\n"

    r = cli(*args, "--limit", "2", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json == everything[:2], "stdout holds exactly the page, as JSON"
    assert r.stderr == notice

    r = cli(*args, "--limit", "2")
    assert r.exit_code == 0, r.stderr
    assert len(r.stdout.splitlines()) == 2, "to a pipe: one line a row, nothing else"
    assert r.stderr == notice

    r = cli(*args, "--limit", "2", env={"TINYCRM_FORCE_TTY": "1", "NO_COLOR": "1"})
    assert r.exit_code == 0, r.stderr
    assert r.stderr == notice, "on a terminal too"

    r = cli(*args, "--limit", "2", "--offset", "2", "--json")
    assert r.json == everything[2:4]
    last = min(4, len(everything))
    more = "; --offset 4 for the next page, --all for everything" if len(everything) > 4 else ""
    assert r.stderr == f"3-{last} of {len(everything)} {what}{more}\n"


@pytest.mark.parametrize(("args", "what"), PAGED, ids=IDS)
def test_a_whole_list_says_nothing(seeded, args, what):
    cli = seeded
    everything = whole(cli, args)
    for extra in (("--all",), ("--limit", str(len(everything))), ("--limit", "1000"), ("--all", "--json")):
        r = cli(*args, *extra)
        assert r.exit_code == 0, r.stderr
        assert r.stderr == "", (extra, r.stderr)
        shown = json.loads(r.stdout) if "--json" in extra else r.stdout.splitlines()
        assert len(shown) == len(everything)


def test_past_the_end(seeded):
    r = seeded("contact", "list", "--offset", "50", "--json")
    assert r.exit_code == 0 and r.json == []
    assert r.stderr == "nothing from 51 on: there are 5 contacts\n"


def test_the_readme_pipe(cli):
    """`crm contact list --tag vip --json | jq` gave 20 of 48 without a word."""
    from tinycrm.domain.people import ContactInput
    from tinycrm.services.people import contacts
    from tinycrm.store.database import open_db

    db = open_db(cli.url)
    with db.write() as tx:
        for i in range(48):
            contacts.insert(tx, ContactInput(f"Vip {i:02d}", tags=["vip"]))
        contacts.insert(tx, ContactInput("Not a vip"))
    db.close()
    r = cli("contact", "list", "--tag", "vip", "--json")
    assert len(r.json) == 20
    assert r.stderr == "1-20 of 48 contacts; --offset 20 for the next page, --all for everything\n"
    r = cli("contact", "list", "--tag", "vip", "--json", "--all")
    assert len(r.json) == 48 and r.stderr == ""


def test_every_paged_command_has_all_and_offset():
    """Every command that takes --limit also takes --offset and --all."""
    from tinycrm.cli import app as cli_app

    def walk(command, path):
        subs = getattr(command, "commands", None)
        if subs:
            if getattr(command, "invoke_without_command", False):  # a group that is a list itself
                yield path, {opt for p in command.params for opt in getattr(p, "opts", [])}
            for name, sub in subs.items():
                yield from walk(sub, [*path, name])
        else:
            yield path, {opt for p in command.params for opt in getattr(p, "opts", [])}

    paged = []
    for name in cli_app.COMMANDS:
        for path, opts in walk(cli_app.load_command(name), [name]):
            # the board: --limit is deals per stage; campaign send: recipients this run
            if "--limit" in opts and path not in (["pipeline", "show"], ["campaign", "send"]):
                paged.append(" ".join(path))
                assert {"--offset", "--all"} <= opts, path
    assert sorted(paged) == sorted(
        [
            "contact list",
            "search",
            "contact search",
            "timeline",
            "company list",
            "deal list",
            "deal idle",
            "deal timeline",
            "lead list",
            "task list",
            "stale",
            "agenda",
            "remind",
            "history",
            "audit",
            "duplicates",
            "merge",
            "token list",
            "segment show",
            "consent log",
            "campaign recipients",
            "sequence show",
            "ticket list",
            "kb list",
            "kb search",
        ]
    ), "PAGED covers them all"
