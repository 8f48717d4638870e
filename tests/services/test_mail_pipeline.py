"""The mail pipeline: one transaction per message, the handlers asked in order, a failing message rolled back
while the rest go on, a Message-ID handled once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tinycrm import config
from tinycrm.domain.mail import Handled
from tinycrm.services.mail import handlers, inbound, timeline

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"


def _raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def ada(db):  # noqa: ANN001, ANN201
    from tinycrm.domain.people import ContactInput
    from tinycrm.services.people import contacts

    return contacts.create(db, ContactInput("Ada Lovelace", emails=["ada@example.com"]))


def _count(db, sql: str) -> int:  # noqa: ANN001
    with db.read() as tx:
        return tx.scalar(sql)


def test_the_first_handler_that_takes_a_message_wins(db, ada):
    asked = []

    def first(tx, message, settings):  # noqa: ANN001, ANN202
        asked.append("first")
        return None

    def second(tx, message, settings):  # noqa: ANN001, ANN202
        asked.append("second")
        return Handled("ticket.new", "ticket #1", {"ticket": 1})

    out = inbound.ingest_one(
        db, _raw("alternative.eml"), "test", settings=config.load(), handlers=[first, second, timeline.handle]
    )
    assert (out.status, out.kind, out.refs) == ("handled", "ticket.new", {"ticket": 1})
    assert asked == ["first", "second"]
    assert _count(db, "SELECT count(*) FROM interactions") == 0  # the timeline was not asked
    assert _count(db, "SELECT count(*) FROM mail_messages WHERE kind = 'ticket.new'") == 1


def test_a_failing_handler_rolls_its_message_back_and_the_rest_go_on(db, ada):
    def breaks_on_quotes(tx, message, settings):  # noqa: ANN001, ANN202
        timeline.handle(tx, message, settings)  # wrote something ...
        if "quote" in message.subject:
            raise RuntimeError("the handler broke")  # ... then failed: none of it may stay
        return None

    messages = [("a", _raw("alternative.eml")), ("b", _raw("attachment.eml"))]
    out = list(inbound.ingest(db, messages, settings=config.load(), handlers=[breaks_on_quotes]))
    assert [(o.status, o.summary) for o in out] == [
        ("failed", "handling failed (RuntimeError: the handler broke)"),
        ("ignored", "ignored: not from or to a known contact"),
    ]
    assert _count(db, "SELECT count(*) FROM mail_messages") == 1  # the failed one can come again
    assert _count(db, "SELECT count(*) FROM interactions") == 1  # only the second message's
    again = inbound.ingest_one(
        db, _raw("alternative.eml"), "a", settings=config.load(), handlers=[timeline.handle]
    )
    assert again.status == "handled"


def test_handlers_of_areas_not_in_this_build_are_left_out():
    loaded = handlers.load()
    assert loaded[-1] is timeline.handle
    assert len(loaded) <= len(handlers.HANDLERS)
    assert handlers.load(("tinycrm.services.nothing_here.inbound:handle",)) == []


def test_a_message_logged_once_even_when_its_record_is_gone(db, ada):
    """The interaction's UID comes from the Message-ID: the timeline does not log it twice."""
    settings = config.load()
    inbound.ingest_one(db, _raw("alternative.eml"), "x", settings=settings, handlers=[timeline.handle])
    with db.write() as tx:
        tx.execute("DELETE FROM mail_messages")
    out = inbound.ingest_one(db, _raw("alternative.eml"), "x", settings=settings, handlers=[timeline.handle])
    assert out.summary.startswith("already on the timeline of Ada Lovelace")
    assert _count(db, "SELECT count(*) FROM interactions") == 1


def test_a_date_in_the_future_is_logged_as_now(db, ada, clock):
    clock("2026-12-01T08:00:00+00:00", tz="UTC")  # before the message's Date
    out = inbound.ingest_one(
        db, _raw("attachment.eml"), "x", settings=config.load(), handlers=[timeline.handle]
    )
    assert out.status == "handled"
    with db.read() as tx:
        when = tx.scalar("SELECT happened_at FROM interactions")
    assert str(when).startswith("2026-12-01")


def test_a_batch_waits_for_the_disk_once_and_leaves_the_connection_as_it_was(db, ada):
    messages = [(name, _raw(name)) for name in ("alternative.eml", "html_only.eml", "latin1.eml")]
    out = list(inbound.ingest(db, messages, settings=config.load()))
    assert [o.status for o in out] == ["handled", "ignored", "ignored"]
    if db.is_sqlite:
        assert db.connection().execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL again
    else:
        assert db.connection().execute("SHOW synchronous_commit").fetchone()[0] == "on"  # again


def test_a_batch_is_looked_up_at_once_and_a_repeated_message_is_handled_once(db, ada, monkeypatch):
    """Message-IDs handled before are found for a chunk in one query and reported as duplicates without a
    transaction each; one that comes twice in the same chunk is handled the first time only; a message that
    cannot be parsed is reported and the rest of its chunk goes on."""
    settings = config.load()
    first = list(inbound.ingest(db, [("a", _raw("alternative.eml"))], settings=settings))
    assert [o.status for o in first] == ["handled"]
    writes = []
    real_write = type(db).write

    def counting(self):  # noqa: ANN001, ANN202
        writes.append(1)
        return real_write(self)

    monkeypatch.setattr(type(db), "write", counting)
    monkeypatch.setattr(inbound, "CHUNK", 3)  # two chunks: 3 + 2
    messages = [
        ("a", _raw("alternative.eml")),  # handled before
        ("b", _raw("html_only.eml")),
        ("c", b"garbage without any header\r\n"),
        ("d", _raw("html_only.eml")),  # b again, in the next chunk: found by the chunk's look-up
        ("e", _raw("latin1.eml")),
        ("f", _raw("latin1.eml")),  # e again in the same chunk: its claim finds e's
    ]
    out = list(inbound.ingest(db, messages, settings=settings))
    assert [(o.source, o.status, o.kind) for o in out] == [
        ("a", "duplicate", "interaction"),
        ("b", "ignored", "ignored"),
        ("c", "failed", "unparsable"),
        ("d", "duplicate", "ignored"),
        ("e", "ignored", "ignored"),
        ("f", "duplicate", "ignored"),
    ]
    # b's, e's and f's transactions, and the one that makes the batch durable at the end (PostgreSQL)
    assert len(writes) == (3 if db.is_sqlite else 4)
    assert _count(db, "SELECT count(*) FROM mail_messages") == 3
    assert _count(db, "SELECT count(*) FROM interactions") == 1
