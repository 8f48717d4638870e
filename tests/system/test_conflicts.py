"""No silent lost updates: an edit made from a stale read fails with a message naming who changed what
and when; concurrent writers of one record are serialised; logging interactions never conflicts. On both
stores."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from tinycrm.domain.errors import Conflict, InvalidInput
from tinycrm.domain.people import CompanyInput, ContactInput
from tinycrm.services.people import companies, contacts, interactions


def as_user(db, name):
    db.actor = name  # what services.common.actor() caches for this database handle
    return db


def at_once(store_url, actions):
    """Run each ``action(handle)`` in its own thread on its own connection, all released together; give what
    each returned or raised, in the order given."""
    from tinycrm.store.database import open_db

    barrier = threading.Barrier(len(actions))
    outcomes: list = [None] * len(actions)

    def run(i, action):
        handle = open_db(store_url)
        try:
            barrier.wait(10)
            outcomes[i] = action(handle)
        except Exception as exc:  # noqa: BLE001 - the test looks at every outcome
            outcomes[i] = exc
        finally:
            handle.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


def failures(outcomes):
    return [o for o in outcomes if isinstance(o, Exception)]


def test_a_stale_contact_edit_fails_naming_who_changed_what(db, store_url):
    from tinycrm.store.database import open_db

    cid = contacts.create(db, ContactInput("Ada Lovelace")).id
    seen_by_bob = contacts.get(db, cid)  # both open the same contact...
    seen_by_cy = contacts.get(db, cid)
    bob = as_user(open_db(store_url), "bob")
    cy = as_user(open_db(store_url), "cy")
    try:
        contacts.update(bob, cid, {"job_title": "Countess"}, expected_version=seen_by_bob.version)
        with pytest.raises(Conflict) as err:
            contacts.update(cy, cid, {"notes": "met at the fair"}, expected_version=seen_by_cy.version)
    finally:
        bob.close()
        cy.close()
    message = err.value.message
    assert "contact" in message and str(cid) in message
    assert "bob" in message and "job_title" in message and "version 2, yours 1" in message
    assert err.value.exit_code == 1
    after = contacts.get(db, cid)
    assert after.job_title == "Countess" and after.notes is None and after.version == 2


def test_a_stale_company_edit_fails(db):
    co = companies.create(db, CompanyInput("Acme"))
    companies.update(as_user(db, "bob"), co.id, {"domain": "acme.com"}, expected_version=co.version)
    with pytest.raises(Conflict, match=r"company \d+ was changed by bob .*\(domain\)"):
        companies.update(
            as_user(db, "cy"), co.id, {"website": "https://acme.test"}, expected_version=co.version
        )
    assert companies.get(db, co.id).website is None


def _one_of_each(db):
    """A contact, a company, a deal and a task, each at version 1: how to change each, and how to read it."""
    from tinycrm.domain.sales import DealInput
    from tinycrm.domain.tasks import TaskInput
    from tinycrm.services.sales import deals
    from tinycrm.services.work import tasks

    return [
        ("contact", contacts.create(db, ContactInput("Ada")).id, contacts, {"job_title": "Countess"}),
        ("company", companies.create(db, CompanyInput("Acme")).id, companies, {"domain": "acme.com"}),
        (
            "deal",
            deals.create(db, DealInput("Website", value="100", currency="EUR")).id,
            deals,
            {"title": "Web"},
        ),
        ("task", tasks.create(db, TaskInput("Call Ada")).id, tasks, {"title": "Call Ada back"}),
    ]


@pytest.mark.parametrize("expected", [99, 2, 0, -1])
def test_a_version_the_record_never_had_is_a_mistake_not_a_conflict(db, expected):
    """``--expect-version 99`` on a record at version 1 names a version that does not exist: bad input (exit
    2) saying so, not "changed after you read it"; nothing changes. The same for every versioned record."""
    for kind, rid, service, change in _one_of_each(db):
        before = service.get(db, rid)
        with pytest.raises(InvalidInput) as err:
            service.update(db, rid, change, expected_version=expected)
        assert err.value.message == (f"{kind} {rid} is at version 1; version {expected} does not exist"), kind
        assert err.value.exit_code == 2
        assert service.get(db, rid) == before, kind


def test_an_older_version_is_still_a_conflict_for_every_record(db):
    for kind, rid, service, change in _one_of_each(db):
        service.update(as_user(db, "bob"), rid, change, expected_version=1)
        with pytest.raises(Conflict, match=f"{kind} {rid} was changed by bob .*version 2, yours 1"):
            service.update(db, rid, change, expected_version=1)
        assert service.update(db, rid, change, expected_version=2).version == 2, "no change, no new version"


def test_cli_a_version_that_does_not_exist(cli):
    co = cli("company", "add", "Acme Corp", "--domain", "acme.com").stdout.strip()
    r = cli("company", "edit", co, "--note", "x", "--expect-version", "99")
    assert r.exit_code == 2
    assert r.stderr == f"crm: error: company {co} is at version 1; version 99 does not exist\n"
    assert cli("company", "show", co, "--json").json["notes"] is None


def test_without_an_expected_version_edits_apply_in_turn(db):
    cid = contacts.create(db, ContactInput("Grace Hopper")).id
    contacts.update(db, cid, {"job_title": "Admiral"})
    contacts.update(db, cid, {"notes": "COBOL"})
    c = contacts.get(db, cid)
    assert (c.job_title, c.notes, c.version) == ("Admiral", "COBOL", 3)


def test_cli_expect_version(cli):
    cid = cli("add-contact", "Ada Lovelace").stdout.strip()
    assert cli("contact", "edit", cid, "--title", "Countess", "--expect-version", "1").exit_code == 0
    r = cli("contact", "edit", cid, "--note", "late", "--expect-version", "1")
    assert r.exit_code == 1
    assert "was changed by tester" in r.stderr and "job_title" in r.stderr and "reload it" in r.stderr
    assert r.stderr.count("\n") == 1
    co = cli("company", "add", "Acme").stdout.strip()
    assert cli("company", "edit", co, "--domain", "acme.com", "--expect-version", "1").exit_code == 0
    assert cli("company", "edit", co, "--domain", "acme.org", "--expect-version", "1").exit_code == 1


def _editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR that runs ``body`` (Python, with the form's path in ``path``) on the form."""
    script = tmp_path / "editor.py"
    script.write_text("import sys\npath = sys.argv[1]\n" + body, encoding="utf-8")
    return f"{sys.executable} {script}"


def test_editor_flow_saves_against_the_version_it_showed(cli, tmp_path):
    """Someone saves while the form is open: saving the form is then a conflict, not an overwrite."""
    cid = cli("add-contact", "Ada Lovelace", "--title", "Analyst").stdout.strip()
    url = cli.url
    editor = _editor(
        tmp_path,
        f"""
import subprocess, os
text = open(path, encoding='utf-8').read()
# meanwhile a colleague changes the title from another process
subprocess.run([{sys.executable!r}, '-m', 'tinycrm', '--db', {url!r}, 'contact', 'edit', {cid!r},
                '--title', 'Countess'], check=True, env={{**os.environ, 'TINYCRM_USER': 'bob'}},
               stdout=subprocess.DEVNULL)
open(path, 'w', encoding='utf-8').write(text.replace('Analyst', 'Mathematician'))
""",
    )
    r = cli("contact", "edit", cid, env={"EDITOR": editor})
    assert r.exit_code == 1, r.stderr
    assert "changed by bob" in r.stderr and "job_title" in r.stderr
    assert cli("contact", "show", cid, "--json").json["job_title"] == "Countess"


def test_editor_flow_checks_expect_version_before_editing(cli, tmp_path):
    cid = cli("add-contact", "Ada Lovelace").stdout.strip()
    cli("contact", "edit", cid, "--title", "Countess")
    marker = tmp_path / "opened"
    r = cli(
        "contact",
        "edit",
        cid,
        "--expect-version",
        "1",
        env={"EDITOR": _editor(tmp_path, f"open({str(marker)!r}, 'w').close()\n")},
    )
    assert r.exit_code == 1 and "version 2, yours 1" in r.stderr
    assert not marker.exists()


def test_racing_writers_of_one_record_lose_nothing(db, store_url):
    """Eight threads, each with its own connection, add a different email to one contact at once: on
    PostgreSQL the row lock serialises them (on SQLite the write lock does); every email is kept."""
    from tinycrm.domain.people import Labeled

    cid = contacts.create(db, ContactInput("Shared Person")).id

    def add(i):
        return lambda h: contacts.update(
            h, cid, {"add_emails": [Labeled(f"p{i}@example.com")], "add_phones": [f"+1 555 0{i}"]}
        )

    errors = failures(at_once(store_url, [add(i) for i in range(8)]))
    assert not errors
    c = contacts.get(db, cid)
    assert sorted(e.value for e in c.emails) == sorted(f"p{i}@example.com" for i in range(8))
    assert len(c.phones) == 8 and c.version == 9


def test_racing_stale_edits_exactly_one_wins(db, store_url):
    """Eight edits all made from version 1 at once: one is stored, seven are conflicts."""
    cid = contacts.create(db, ContactInput("Contested")).id

    def edit(i):
        return lambda h: contacts.update(
            as_user(h, f"user{i}"), cid, {"job_title": f"title {i}"}, expected_version=1
        )

    outcomes = at_once(store_url, [edit(i) for i in range(8)])
    results = [
        "conflict" if isinstance(o, Conflict) else "ok" if not isinstance(o, Exception) else repr(o)
        for o in outcomes
    ]
    assert sorted(results) == ["conflict"] * 7 + ["ok"]
    assert contacts.get(db, cid).version == 2


def test_logging_interactions_never_conflicts_with_an_edit(db, store_url):
    """Logging a call (from two places at once) does not change the contact's version: an edit made from the
    read before still succeeds."""
    cid = contacts.create(db, ContactInput("Busy Person")).id
    seen = contacts.get(db, cid)

    def log(i):
        return lambda h: interactions.log(h, contact_ids=[cid], kind_="call", summary=f"call {i}")

    errors = failures(at_once(store_url, [log(i) for i in range(2)]))
    assert not errors
    contacts.update(db, cid, {"job_title": "Manager"}, expected_version=seen.version)
    assert interactions.timeline(db, cid).total == 2


def test_tagging_and_archiving_bump_the_version(db):
    cid = contacts.create(db, ContactInput("Tagged")).id
    contacts.tag(db, [cid], ["vip"])
    contacts.archive(db, cid)
    assert contacts.get(db, cid).version == 3
    with pytest.raises(Conflict, match="archived"):
        contacts.update(db, cid, {"notes": "x"}, expected_version=2)


def test_deleted_meanwhile_is_not_found(db, store_url):
    from tinycrm.domain.errors import NotFound
    from tinycrm.store.database import open_db

    cid = contacts.create(db, ContactInput("Gone Soon")).id
    other = open_db(store_url)
    try:
        contacts.delete(other, cid)
    finally:
        other.close()
    with pytest.raises(NotFound):
        contacts.update(db, cid, {"notes": "x"}, expected_version=1)


@pytest.fixture(autouse=True)
def _python_path(monkeypatch):
    # the editor script runs `python -m tinycrm` in a child process: make sure it finds this checkout
    src = str(Path(__file__).resolve().parents[2] / "src")
    monkeypatch.setenv("PYTHONPATH", src + os.pathsep + os.environ.get("PYTHONPATH", ""))


def test_moving_a_deal_and_logging_on_it_from_two_places_both_succeed(db, store_url):
    """Stage moves and interaction logging carry no version from an earlier read: run side by side they
    wait for each other and all apply."""
    from tinycrm.domain.sales import DealInput
    from tinycrm.services.sales import deals

    cid = contacts.create(db, ContactInput("Buyer")).id
    did = deals.create(db, DealInput("Big one", value="1000", currency="EUR", contact_ids=[cid])).id
    actions = [
        lambda h: deals.move(h, did, "Proposal"),
        lambda h: deals.step(h, did, 1),
        lambda h: interactions.log(h, contact_ids=[cid], kind_="call", summary="on the deal", deal_id=did),
        lambda h: interactions.log(h, contact_ids=[cid], kind_="email", summary="offer sent", deal_id=did),
    ]
    errors = failures(at_once(store_url, actions))
    assert not errors, errors
    deal = deals.get(db, did)
    assert deal.version == 3  # created, then two stage changes, each on top of the other
    assert interactions.timeline(db, cid).total == 2


def test_people_adding_one_new_company_at_once_add_it_once(db, store_url):
    """Eight people add a contact at the same new company at once: one company, and exactly one of them is
    told it added it."""
    told = []

    def add(i):
        return lambda h: contacts.create(
            h, ContactInput(f"Person {i}", company="Brand New Co"), on_new_company=told.append
        )

    outcomes = at_once(store_url, [add(i) for i in range(8)])
    assert not failures(outcomes)
    assert {c.company.id for c in outcomes} == {told[0].id} and len(told) == 1
    assert [c.name for c in companies.list_companies(db).items] == ["Brand New Co"]
