"""A campaign send paused between two recipients (the app's pause key) leaves the rest queued, and the next send
reaches each of them once; a test mail goes to one address and records nothing. Through a real SMTP server,
on both stores."""

from __future__ import annotations

import textwrap

import pytest

from mail_testkit import smtp  # noqa: F401 - the SMTP server fixture
from tinycrm import config
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.marketing import campaigns, consent, segments, sending
from tinycrm.services.people import contacts


@pytest.fixture
def shop(db, smtp, _isolated_home):  # noqa: F811
    inbox, port = smtp
    (_isolated_home / "config.toml").write_text(
        textwrap.dedent(
            f"""\
            [smtp]
            host = "127.0.0.1"
            port = {port}
            from = "News <news@acme.example>"
            [marketing]
            unsubscribe_address = "leave@acme.example"
            """
        )
    )
    config.reset()
    for i in range(5):
        address = f"p{i}@example.com"
        c = contacts.create(db, ContactInput(f"Person {i}", emails=[Labeled(address)], tags=["news"]))
        consent.set_for_contact(db, c.id, "opted-in", "web form")
    segments.add(db, "readers", "tag:news")
    campaigns.add(db, "march", segment="readers", subject="Hi {{ contact.display_name }}", template="Hello!")
    return db, inbox


def test_pause_then_resume_sends_each_once(shop):
    db, inbox = shop
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 2  # two recipients, then pause

    report = sending.send(db, "march", stop=stop)
    assert (report.sent, report.left, report.paused, report.stopped) == (2, 3, True, None)
    assert campaigns.get(db, "march").state == "sending"
    report = sending.send(db, "march")
    assert (report.sent, report.left, report.paused) == (3, 0, False)
    rcpts = sorted(r for _, rs, _, _ in inbox.messages for r in rs)
    assert rcpts == [f"p{i}@example.com" for i in range(5)]
    assert campaigns.get(db, "march").state == "done"


def test_send_test_goes_to_one_address_and_records_nothing(shop):
    db, inbox = shop
    assert campaigns.send_test(db, "march", "me@example.com") == "me@example.com"
    ((_, rcpts, message, _),) = inbox.messages
    assert rcpts == ["me@example.com"] and message["Subject"] == "[test] Hi Person 0"
    assert campaigns.get(db, "march").state == "draft" and campaigns.get(db, "march").recipients == 0
    with pytest.raises(InvalidInput):
        campaigns.send_test(db, "march", "not an address")
    assert len(inbox.messages) == 1
