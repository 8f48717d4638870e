"""Tickets on both stores with a fixed clock: SLA due times in business hours, the queue order, pending pauses
the clock, the until-date opens it again, assign, merge, and bad input that changes nothing."""

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from mail_testkit import support_config
from tinycrm.domain.errors import InvalidInput, NotFound
from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.people import contacts, interactions
from tinycrm.services.support import thread, tickets

MON = "2026-12-07T10:00:00+01:00"  # a Monday, 10:00 in Berlin


@pytest.fixture
def desk(db, clock, _isolated_home):
    clock(MON)
    support_config(_isolated_home, None)
    ada = contacts.create(db, ContactInput(display_name="Ada Lovelace", emails=[Labeled("ada@example.com")]))
    return db, ada.id


def iso(value) -> str:
    return value.isoformat()


def test_a_new_ticket_has_its_sla_in_business_hours_and_is_on_the_timeline(desk):
    db, ada = desk
    t = tickets.create(db, subject_="Printer on fire", contact_id=ada, priority_="urgent", body="Help!")
    assert (t.id, t.status, t.priority, t.contact.name) == (1, "new", "urgent", "Ada Lovelace")
    # urgent: first response within 1h, resolution within 8h of business time (Mon 10:00 -> Tue 10:00)
    assert iso(t.first_response_due) == "2026-12-07T10:00:00+00:00"
    assert iso(t.resolution_due) == "2026-12-08T09:00:00+00:00"
    assert t.sla_due == t.first_response_due and not t.breached
    assert [(m.kind, m.author, m.body) for m in t.messages] == [("in", "ada@example.com", "Help!")]
    timeline = interactions.timeline(db, ada).items
    assert [i.summary for i in timeline] == ["Ticket #1: Printer on fire"]


def test_the_list_shows_open_work_first_by_due_time(desk, clock):
    db, ada = desk
    low = tickets.create(db, subject_="Low", contact_id=ada, priority_="low")
    urgent = tickets.create(db, subject_="Urgent", contact_id=ada, priority_="urgent")
    normal = tickets.create(db, subject_="Normal", contact_id=ada)
    waiting = tickets.create(db, subject_="Waiting", contact_id=ada, priority_="urgent")
    tickets.set_status(db, waiting.id, "pending")
    page = tickets.list_page(db)
    assert [t.subject for t in page.items] == ["Urgent", "Normal", "Low", "Waiting"]
    assert page.total == 4
    page = tickets.list_page(db, limit=2, offset=1)
    assert [t.subject for t in page.items] == ["Normal", "Low"] and page.more
    assert [t.subject for t in tickets.list_page(db, statuses=["pending"]).items] == ["Waiting"]
    # two hours later the urgent one is breached; --breaching finds it (and nothing else yet)
    clock("2026-12-07T12:00:00+01:00")
    rows = tickets.list_page(db, breaching=True).items
    assert [(t.id, t.breached) for t in rows] == [(urgent.id, True)]
    assert low.id and normal.id


def test_pending_pauses_the_clock_and_the_until_date_opens_it_again(desk, clock):
    db, ada = desk
    t = tickets.create(db, subject_="Question", contact_id=ada)  # normal: first response 8h -> Tue 10:00
    assert iso(t.first_response_due) == "2026-12-08T09:00:00+00:00"
    clock("2026-12-07T12:00:00+01:00")  # 2 business hours used, 6 left
    tickets.set_status(db, t.id, "pending", until="2026-12-09 09:00")
    paused = tickets.get(db, t.id)
    assert paused.sla_due is None and paused.status == "pending"
    clock("2026-12-08T16:00:00+01:00")  # still pending: the clock stands, nothing is breached
    assert not tickets.get(db, t.id).breached
    clock("2026-12-09T10:00:00+01:00")  # past the until-date: open again, 6h left from now -> Wed 16:00
    woke = tickets.get(db, t.id)
    assert woke.status == "open" and woke.pending_until is None
    assert iso(woke.first_response_due) == "2026-12-09T15:00:00+00:00"
    assert woke.sla_due == woke.first_response_due


def test_assign_merge_note_and_close(desk):
    db, ada = desk
    contacts_user = tickets.assign(db, tickets.create(db, subject_="One", contact_id=ada).id, "tester")
    assert contacts_user.assignee == "tester"
    assert [t.subject for t in tickets.list_page(db, owner="tester").items] == ["One"]
    with pytest.raises(InvalidInput, match="no user named 'nobody'"):
        tickets.assign(db, 1, "nobody")
    two = tickets.create(db, subject_="Two", contact_id=ada, body="more", tags=["billing", "Billing"])
    assert two.tags == ["billing"]
    thread.note(db, 1, "called her")
    merged = tickets.merge(db, two.id, 1)
    assert [m.body for m in merged.messages] == ["called her", "more"] or [
        m.body for m in merged.messages
    ] == [
        "more",
        "called her",
    ]
    assert merged.tags == ["billing"]
    gone = tickets.get(db, two.id)
    assert (gone.status, gone.merged_into) == ("closed", 1)
    with pytest.raises(InvalidInput, match="merged into #1"):
        tickets.set_status(db, two.id, "open")
    closed = tickets.close(db, 1)
    assert closed.status == "closed" and closed.resolved_at is not None and closed.sla_due is None


def test_bad_input_changes_nothing(desk):
    db, ada = desk
    with pytest.raises(InvalidInput, match="shorten it to at most 500"):
        tickets.create(db, subject_="x" * 10_000, contact_id=ada)
    with pytest.raises(InvalidInput, match="priority 'asap'"):
        tickets.create(db, subject_="Hi", contact_id=ada, priority_="asap")
    with pytest.raises(NotFound, match="no contact with id 99"):
        tickets.create(db, subject_="Hi", contact_id=99)
    with pytest.raises(NotFound, match="no ticket #7"):
        tickets.get(db, 7)
    with pytest.raises(InvalidInput, match="wait until goes with"):
        tickets.set_status(db, 1, "open", until="tomorrow")
    assert tickets.list_page(db, statuses=list(tickets.STATUSES)).total == 0
    # a subject with CR/LF is one line
    t = tickets.create(db, subject_="Hello\r\nBcc: evil@example.com", contact_id=ada)
    assert t.subject == "Hello Bcc: evil@example.com"


def test_a_ticket_follows_its_contact_through_a_merge(desk):
    from tinycrm.services.people import duplicates

    db, ada = desk
    other = contacts.create(db, ContactInput(display_name="A. Lovelace", emails=[Labeled("al@example.com")]))
    t = tickets.create(db, subject_="Help", contact_id=other.id)
    duplicates.merge(db, ada, other.id)
    assert tickets.get(db, t.id).contact.id == ada


def test_a_new_priority_brings_its_targets_and_keeps_the_pauses(desk, clock):
    db, ada = desk
    t = tickets.create(db, subject_="Slow", contact_id=ada, priority_="low")  # 24h: Thu 10:00
    assert iso(t.first_response_due) == "2026-12-10T09:00:00+00:00"
    clock("2026-12-07T11:00:00+01:00")
    tickets.set_status(db, t.id, "pending")
    clock("2026-12-07T14:00:00+01:00")  # 3 business hours pending
    tickets.set_status(db, t.id, "open")
    urgent = tickets.set_priority(db, t.id, "urgent")
    # urgent: 1h from Mon 10:00, moved on by the 3h pause: Mon 14:00
    assert iso(urgent.first_response_due) == "2026-12-07T13:00:00+00:00"
    assert urgent.sla_due == urgent.first_response_due and urgent.priority == "urgent"
    with pytest.raises(InvalidInput, match="priority 'asap'"):
        tickets.set_priority(db, t.id, "asap")
