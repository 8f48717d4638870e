"""Leads as a service, on both stores: adding, scores and their explanation, the hot threshold, round-robin
assignment, converting (with and without a matching contact), web-form capture and contact-form mail."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.leads import LeadInput
from tinycrm.domain.mail import InboundMessage


@pytest.fixture(autouse=True)
def _clock(clock):
    clock("2026-03-10T12:00:00+00:00", tz="UTC")


def counts(db) -> dict[str, int]:
    tables = ("contacts", "companies", "deals", "leads", "interactions", "interaction_contacts", "contact_tags",
              "tasks", "lead_tags", "audit_log")  # fmt: skip
    with db.read() as tx:
        return {t: int(tx.scalar(f"SELECT count(*) FROM {t}")) for t in tables}


def test_score_is_explained_and_hot_at_threshold(db):
    from tinycrm.services.leads import records

    lead = records.create(
        db, LeadInput(name="Ann", email="ann@acme.test", company="Acme", title="CEO", source="referral")
    )
    # referral 30 + company 10 + email 5 + CEO 20 = 65 >= 50: hot, and a task for the owner
    assert lead.score == 65
    assert "hot" in lead.tags
    shown = records.get(db, lead.id, explain=True)
    assert [(s.rule, s.points) for s in shown.score_lines] == [
        ("source.referral", 30), ("has.company", 10), ("has.email", 5), ("title.contains.ceo", 20)
    ]  # fmt: skip
    with db.read() as tx:
        assert tx.column("SELECT title FROM tasks") == ["Hot lead 1: Ann (score 65)"]
    cold = records.create(db, LeadInput(name="Bob", source="event"))
    assert cold.score == 0 and cold.tags == []
    records.log(db, cold.id, kind="meeting", summary="coffee")
    records.log(db, cold.id, kind="email", summary="sent deck")
    assert records.get(db, cold.id).score == 20  # meeting 15 + email 5


def test_decay_per_week_without_activity(db, clock):
    from tinycrm.services.leads import records

    lead = records.create(db, LeadInput(name="Cy", company="Co", email="cy@co.test"))  # 10 + 5 = 15
    assert lead.score == 15
    clock("2026-03-24T13:00:00+00:00", tz="UTC")  # two whole weeks later: 2 x 5 points
    assert records.rescore(db) == 1
    assert records.get(db, lead.id).score == 5


def test_convert_reuses_a_contact_with_the_same_email(db):
    from tinycrm.domain.people import ContactInput, Labeled
    from tinycrm.services.leads import convert, records
    from tinycrm.services.people import contacts

    known = contacts.create(db, ContactInput(display_name="Ann Known", emails=[Labeled("Ann@Acme.test")]))
    lead = records.create(
        db, LeadInput(name="Ann", email="ann@acme.test", value="1200.50", currency="EUR", notes="wants a demo",
                      tags=["expo"], company="Acme"),
    )  # fmt: skip
    assert lead.duplicate_of == [f"contact {known.id}"]
    records.log(db, lead.id, kind="call", summary="first call")
    before = counts(db)
    done = convert.convert(db, lead.id)
    after = counts(db)
    assert done.contact_reused and done.contact_id == known.id
    assert after["contacts"] == before["contacts"]  # nothing duplicated
    assert after["deals"] == before["deals"] + 1
    assert (
        after["interaction_contacts"] == before["interaction_contacts"] + 1
    )  # the call is on the contact now
    from tinycrm.services.sales import deals

    deal = deals.get(db, done.deal_id)
    assert (deal.value, deal.currency, [c.id for c in deal.contacts]) == (
        Decimal("1200.50"),
        "EUR",
        [known.id],
    )
    person = contacts.get(db, known.id)
    assert person.notes == "wants a demo" and "expo" in person.tags
    assert records.get(db, lead.id).status == "converted"
    with pytest.raises(InvalidInput, match="converted already"):
        convert.convert(db, lead.id)
    assert counts(db) == after


def test_convert_makes_contact_company_and_deal(db):
    from tinycrm.services.leads import convert, records
    from tinycrm.services.people import contacts

    lead = records.create(db, LeadInput(name="New Person", email="np@new.test", company="NewCo", value="10",
                                        currency="USD", phone="+1 555 0100"))  # fmt: skip
    done = convert.convert(db, lead.id, deal_title="NewCo pilot")
    assert not done.contact_reused and done.company_id is not None
    person = contacts.get(db, done.contact_id)
    assert person.display_name == "New Person" and person.company.name == "NewCo"
    assert [e.value for e in person.emails] == ["np@new.test"]
    converted = records.get(db, lead.id)
    assert (converted.converted_contact_id, converted.converted_deal_id) == (done.contact_id, done.deal_id)


def test_disqualified_lead_is_not_converted(db):
    from tinycrm.services.leads import convert, records

    lead = records.create(db, LeadInput(name="Dee", value="5", currency="EUR"))
    records.set_status(db, lead.id, "disqualified", reason="student")
    before = counts(db)
    with pytest.raises(InvalidInput, match="disqualified"):
        convert.convert(db, lead.id)
    assert counts(db) == before


def test_round_robin_assignment(db, tmp_path, monkeypatch):
    from tinycrm import config
    from tinycrm.services.leads import records
    from tinycrm.services.team import users

    home = tmp_path / "home"
    (home / "config.toml").write_text('[leads]\nassign = "round-robin"\nassign_role = "member"\n')
    config.reset()
    for name in ("amy", "ben"):
        users.add(db, name)
    owners = [records.create(db, LeadInput(name=f"L{i}")).owner for i in range(4)]
    assert owners == ["amy", "ben", "amy", "ben"]


def test_capture_whitelist_limits_and_honeypot(db):
    from tinycrm.services import leads
    from tinycrm.services.leads import records

    before = counts(db)
    assert (
        leads.capture(
            db, {"name": "Bot", "website_url": "http://spam"}, form="contact", remote_addr="1.2.3.4"
        )
        is None
    )
    assert counts(db) == before
    with pytest.raises(InvalidInput, match="too long"):
        leads.capture(db, {"name": "x" * 401}, form="contact", remote_addr=None)
    lid = leads.capture(
        db, {"name": "Ann", "email": "ann@web.test", "is_admin": "1", "message": "call me"}, form="contact",
        remote_addr="1.2.3.4",
    )  # fmt: skip
    lead = records.get(db, lid)
    assert (lead.source, lead.source_detail, lead.notes) == ("web", "form contact", "call me")
    assert lead.fields == {"remote_addr": "1.2.3.4"}


def test_contact_form_mail_becomes_a_lead(db, tmp_path, monkeypatch):
    from tinycrm import config
    from tinycrm.services.leads import inbound, records

    (tmp_path / "home" / "config.toml").write_text('[leads]\nform_senders = ["@forms.example"]\n')
    config.reset()
    text = (
        "New submission\n\nName: Ann Form\nEmail: ann@form.test\nCompany: FormCo\nMessage: a quote please\n"
    )
    msg = InboundMessage(message_id="m1@x", subject="New form entry", from_address="noreply@forms.example",
                         from_name="Forms", text=text)  # fmt: skip
    other = InboundMessage(
        message_id="m2@x", subject="hi", from_address="ann@else.test", from_name="", text=text
    )
    with db.write() as tx:
        handled = inbound.handle(tx, msg, config.load())
        assert inbound.handle(tx, other, config.load()) is None
    assert handled is not None and handled.kind == "lead"
    lead = records.get(db, handled.refs["lead"])
    assert (lead.name, lead.email, lead.company, lead.source, lead.notes) == (
        "Ann Form", "ann@form.test", "FormCo", "mail", "a quote please"
    )  # fmt: skip


def test_unknown_score_rule_is_refused(tmp_path, monkeypatch):
    from tinycrm import config
    from tinycrm.config.leads import Leads

    (tmp_path / "home" / "config.toml").write_text(
        '[leads.score]\n"source.referral" = 30\n"colour.red" = 5\n'
    )
    config.reset()
    with pytest.raises(InvalidInput, match="colour.red"):
        config.get(Leads)
