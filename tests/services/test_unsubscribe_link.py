"""The one-click unsubscribe link of campaign mail, through the service, on SQLite and PostgreSQL."""

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.marketing import campaigns, consent, mailbuild, segments, sending, sequences
from tinycrm.services.marketing.unsubscribe import look_up, unsubscribe
from tinycrm.services.people import contacts


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("TINYCRM_NOW", "2026-06-01T09:00:00+00:00")


def recipient_token(db) -> tuple[str, int]:
    ada = contacts.create(db, ContactInput("Ada Lovelace", emails=[Labeled("ada@example.com")])).id
    consent.set_for_contact(db, ada, "opted-in", "web form")
    segments.add(db, "everyone", "has:email")
    campaigns.add(db, "news", segment="everyone", subject="Hi", template="Hello {{ contact.display_name }}")
    sending.freeze(db, "news")
    sequences.add(db, "welcome", [sequences.StepInput(0, "task", "Call")])
    sequences.enroll(db, "welcome", contact_id=ada)
    with db.read() as tx:
        row = tx.one("SELECT r.id, c.uid FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id")
    return mailbuild.token(row["uid"], row["id"]), ada


def state_of(db, address: str) -> str | None:
    with db.read() as tx:
        return tx.scalar("SELECT status FROM consents WHERE address_key = :a", {"a": address})


def test_looking_at_the_link_changes_nothing_and_hides_most_of_the_address(db):
    token, _ = recipient_token(db)
    found = look_up(db, token)
    assert found is not None and found.shown_address == "a***@example.com" and not found.opted_out
    assert state_of(db, "ada@example.com") == "opted-in"


def test_posting_the_link_opts_out_ends_sequences_and_marks_the_recipient(db):
    token, _ = recipient_token(db)
    done = unsubscribe(db, token)
    assert done is not None and done.opted_out
    assert state_of(db, "ada@example.com") == "opted-out"
    with db.read() as tx:
        assert tx.scalar("SELECT state FROM campaign_recipients") == "opted-out"
        assert tx.scalar("SELECT source FROM consents WHERE address_key = 'ada@example.com'") == "link"
        active = tx.scalar("SELECT count(*) FROM sequence_members WHERE state = 'active'")
    assert active == 0
    assert unsubscribe(db, token) is not None  # again: harmless
    assert look_up(db, token).opted_out


@pytest.mark.parametrize("token", ["", "r1.0000000000000000", "r999.abcdefabcdefabcd", "../etc", "r1"])
def test_a_token_this_database_did_not_make_does_nothing(db, token):
    recipient_token(db)
    assert look_up(db, token) is None and unsubscribe(db, token) is None
    assert state_of(db, "ada@example.com") == "opted-in"
