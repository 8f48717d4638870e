"""The audit trail: every create, update, delete (and archive, tag...) of contacts, companies and interactions
records who, when and each changed field; crm history and crm audit show it. Both stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tinycrm.domain.people import CompanyInput, ContactInput, Labeled
from tinycrm.services.people import companies, contacts, interactions
from tinycrm.services.team import audit


def entries(db, kind, rid):
    return list(reversed(audit.history(db, kind, rid).items))  # oldest first


def test_contact_changes_are_all_audited(db):
    db.actor = "ada"
    c = contacts.create(
        db,
        ContactInput(
            "Grace Hopper", emails=[Labeled("grace@navy.mil", "work")], company="Navy", tags=["pioneer"]
        ),
    )
    contacts.update(db, c.id, {"job_title": "Rear Admiral", "add_emails": [Labeled("g@x.org")]})
    contacts.tag(db, [c.id], ["cobol"])
    contacts.untag(db, [c.id], ["pioneer"])
    contacts.archive(db, c.id)
    contacts.archive(db, c.id, archived=False)
    contacts.delete(db, c.id)
    log = entries(db, "contact", c.id)
    assert [e.action for e in log] == [
        "create",
        "update",
        "update",
        "update",
        "archive",
        "unarchive",
        "delete",
    ]
    assert all(e.user == "ada" and e.record_type == "contact" and e.record_id == c.id for e in log)
    assert log[0].changes["display_name"] == [None, "Grace Hopper"]
    assert log[0].changes["company"] == [None, "Navy"]
    assert log[0].changes["emails"] == [None, [{"value": "grace@navy.mil", "label": "work"}]]
    assert log[1].changes["job_title"] == [None, "Rear Admiral"]
    assert [e["value"] for e in log[1].changes["emails"][1]] == ["grace@navy.mil", "g@x.org"]
    assert log[2].changes == {"tags": [["pioneer"], ["pioneer", "cobol"]]}
    assert log[3].changes == {"tags": [["cobol", "pioneer"], ["cobol"]]}  # read back in name order
    assert log[4].changes == {"archived": [False, True]}
    # a deletion keeps what was deleted
    gone = log[6].changes
    assert gone["display_name"] == ["Grace Hopper", None] and gone["job_title"] == ["Rear Admiral", None]
    assert gone["company"] == ["Navy", None] and gone["tags"] == [["cobol"], None]
    assert [e["value"] for e in gone["emails"][0]] == ["grace@navy.mil", "g@x.org"]
    assert all(isinstance(e.at, datetime) and e.at.tzinfo is not None for e in log)


def test_company_changes_are_audited(db):
    db.actor = "bob"
    co = companies.create(db, CompanyInput("Acme", domain="acme.com", tags=["client"]))
    companies.update(db, co.id, {"name": "Acme Ltd", "set_fields": {"vat": "GB1"}})
    companies.delete(db, co.id)
    log = entries(db, "company", co.id)
    assert [e.action for e in log] == ["create", "update", "delete"]
    assert log[0].changes["name"] == [None, "Acme"] and log[0].changes["domain"] == [None, "acme.com"]
    assert log[1].changes["name"] == ["Acme", "Acme Ltd"]
    assert log[1].changes["fields"] == [{}, {"vat": "GB1"}]
    assert log[2].changes == {
        "name": ["Acme Ltd", None],
        "domain": ["acme.com", None],
        "tags": [["client"], None],
        "fields": [{"vat": "GB1"}, None],
    }
    assert {e.user for e in log} == {"bob"}


def test_interactions_are_audited(db):
    cid = contacts.create(db, ContactInput("Ada")).id
    i = interactions.log(db, contact_ids=[cid], kind_="call", summary="Intro call")
    interactions.delete(db, i.id)
    log = entries(db, "interaction", i.id)
    assert [e.action for e in log] == ["create", "delete"]
    assert log[0].changes["summary"] == [None, "Intro call"] and log[0].changes["contacts"] == [None, [cid]]


def test_a_company_created_on_the_fly_is_audited_too(db):
    contacts.create(db, ContactInput("Ada", company="Analytical Engines"))
    page = audit.entries(db, kind="company")
    assert [(e.action, e.changes["name"][1]) for e in page.items] == [("create", "Analytical Engines")]


def test_audit_filters(db):
    db.actor = "ada"
    a = contacts.create(db, ContactInput("First")).id
    db.actor = "bob"
    contacts.update(db, a, {"notes": "hello"})
    companies.create(db, CompanyInput("Acme"))
    assert [e.user for e in audit.entries(db).items] == ["bob", "bob", "ada"]
    assert [e.action for e in audit.entries(db, user="bob").items] == ["create", "update"]
    assert [e.record_type for e in audit.entries(db, kind="companies").items] == ["company"]
    assert [e.action for e in audit.entries(db, action="update").items] == ["update"]
    page = audit.entries(db, limit=1)
    assert page.total == 3 and len(page.items) == 1 and page.more
    assert audit.entries(db, since=datetime(2999, 1, 1, tzinfo=UTC)).total == 0
    assert audit.entries(db, until=datetime(2000, 1, 1, tzinfo=UTC)).total == 0
    assert audit.entries(db, since=datetime(2000, 1, 1, tzinfo=UTC)).total == 3


def test_history_cli_by_id_email_and_name(cli):
    cid = cli("add-contact", "Ada Lovelace", "--email", "ada@x.com").stdout.strip()
    cli("contact", "edit", cid, "--title", "Countess", env={"TINYCRM_USER": "bob"})
    by_id = cli("history", "contact", cid, "--json")
    assert by_id.exit_code == 0, by_id.stderr
    assert [(e["action"], e["user"]) for e in by_id.json] == [("update", "bob"), ("create", "tester")]
    assert by_id.json[0]["changes"] == {"job_title": [None, "Countess"]}
    assert cli("history", "contact", "ada@x.com", "--json").json == by_id.json
    assert cli("history", "contact", "Ada Lovelace", "--json").json == by_id.json
    plain = cli("history", "contact", cid).stdout.splitlines()
    assert len(plain) == 2 and plain[0].split("\t")[2:] == ["bob", "update", "job_title: Countess"]
    co = cli("company", "add", "Acme").stdout.strip()
    cli("company", "edit", "Acme", "--domain", "acme.com")
    assert [e["action"] for e in cli("history", "company", "acme", "--json").json] == ["update", "create"]
    assert cli("history", "company", co, "--json").json[0]["changes"] == {"domain": [None, "acme.com"]}


def test_history_of_a_deleted_record_and_other_types(cli):
    cid = cli("add-contact", "Ada Lovelace").stdout.strip()
    cli("contact", "delete", cid, "--yes")
    assert [e["action"] for e in cli("history", "contact", cid, "--json").json] == ["delete", "create"]
    # deals and tasks by id (nothing recorded for this one yet)
    for kind in ("deal", "task"):
        r = cli("history", kind, "999", "--json")
        assert r.exit_code == 0 and r.json == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["history", "planet", "1"], "unknown record type 'planet'"),
        (["history", "deal", "big one"], "give the deal by its id"),
        (["history", "contact", "nobody@x.com"], "no contact matches"),
        (["audit", "--since", "the day after never"], "--since"),
    ],
)
def test_history_and_audit_errors_exit_2(cli, args, message):
    cli("add-contact", "Someone")
    r = cli(*args)
    assert r.exit_code == 2 and message in r.stderr, r.stderr


def test_audit_cli(cli):
    cli("add-contact", "Ada Lovelace")
    cli("company", "add", "Acme", env={"TINYCRM_USER": "bob"})
    r = cli("audit", "--json")
    assert [(e["user"], e["action"], e["record_type"]) for e in r.json] == [
        ("bob", "create", "company"),
        ("tester", "create", "contact"),
    ]
    assert set(r.json[0]) == {"id", "at", "user", "action", "record_type", "record_id", "changes"}
    assert [e["user"] for e in cli("audit", "--user", "bob", "--json").json] == ["bob"]
    assert len(cli("audit", "--limit", "1", "--json").json) == 1
    assert len(cli("audit", "--since", "yesterday", "--json").json) == 2
    assert cli("audit", "--since", "tomorrow", "--json").json == []
    assert [e["record_type"] for e in cli("audit", "--type", "contact", "--json").json] == ["contact"]
    plain = cli("audit").stdout.splitlines()
    assert plain[0].split("\t")[2:5] == ["bob", "create", "company 1"]
