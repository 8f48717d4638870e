"""PostgreSQL as a first-class store: search behaves the same on both stores (the tests run on each), and the
PostgreSQL path of tinycrm.store.database is right about snapshots, locks, errors and lost connections."""

from __future__ import annotations

import threading
import time

import pytest

from tinycrm.domain.errors import Conflict, InvalidInput, StoreUnavailable
from tinycrm.domain.people import ContactInput, Labeled
from tinycrm.services.people import contacts

PEOPLE = {
    "zoe": ContactInput(
        "Zoë Müller",
        emails=[Labeled("zoe@acme.com", "work")],
        company="Acme GmbH",
        tags=["vip"],
        notes="Met at the Köln fair",
    ),
    "ada": ContactInput(
        "Ada Lovelace",
        emails=[Labeled("ada@analytical.org")],
        phones=[Labeled("+44 20 7946 0958")],
        job_title="Countess",
        tags=["math"],
    ),
    "brodsky": ContactInput("Йосиф Бродский", emails=[Labeled("joseph@poets.ru")]),
    "ivan": ContactInput("Иван Иосифов"),
    "eleni": ContactInput("Ελένη Παπαδοπούλου", company="Ακρόπολη ΑΕ"),
    "yamada": ContactInput("山田太郎", notes="東京本社"),
    "kim": ContactInput("김민준"),
    "sakura": ContactInput("さくら カタカナ"),
    "soren": ContactInput(
        "Søren Kierkegaard", phones=[Labeled("(555) 010-2030")], fields={"pet": "Goldfish"}
    ),
    "lukasz": ContactInput("Łukasz Żółć"),
    "nguyen": ContactInput("Nguyễn Văn Đức"),
    "straße": ContactInput("Anna Straße"),
    "archived": ContactInput("Archie Ada", archived=True),
}


@pytest.fixture
def people(db):
    return {key: contacts.create(db, data).id for key, data in PEOPLE.items()}


def found(db, query, **kw):
    return {c.id for c in contacts.search(db, query, limit=None, **kw).items}


CASES = [
    # case and accents (Latin)
    ("muller", {"zoe"}),
    ("MÜLLER", {"zoe"}),
    ("zoe", {"zoe"}),
    ("Zoë", {"zoe"}),
    ("müll", {"zoe"}),
    ("soren", {"soren"}),
    ("SØREN", {"soren"}),
    ("lukasz zolc", {"lukasz"}),
    ("nguyen duc", {"nguyen"}),
    ("strasse", {"straße"}),
    ("straße", {"straße"}),
    ("koln", {"zoe"}),
    # Cyrillic: case folds, й stays distinct from и
    ("бродский", {"brodsky"}),
    ("БРОДСК", {"brodsky"}),
    ("йосиф", {"brodsky"}),
    ("иосиф", {"ivan"}),
    # Greek: accents and case
    ("ελενη", {"eleni"}),
    ("ΕΛΈΝΗ", {"eleni"}),
    ("παπαδ", {"eleni"}),
    ("ακροπολη", {"eleni"}),
    # CJK: any part of a name, in order
    ("山田", {"yamada"}),
    ("田太", {"yamada"}),
    ("太郎", {"yamada"}),
    ("田山", set()),
    ("東京", {"yamada"}),
    ("민준", {"kim"}),
    ("くら", {"sakura"}),
    ("カタ", {"sakura"}),
    # prefixes, AND, phrases
    ("love", {"ada"}),
    ("lovelacex", set()),
    ("ada count", {"ada"}),
    ('"ada lovelace"', {"ada"}),
    ('"ada love"', set()),
    ('"lovelace countess"', set()),
    ('"müller acme"', set()),
    # a phrase does not run on from one field into the next (name "... lovelace", email "ada@...")
    ('"lovelace ada analytical"', set()),
    # fields
    ("email:acme.com", {"zoe"}),
    ("email:@acme.com", {"zoe"}),
    ("company:acme", {"zoe"}),
    ("tag:vip", {"zoe"}),
    ("tag:math ada", {"ada"}),
    ("name:acme", set()),
    ("notes:fair", {"zoe"}),
    ("notes:goldfish", {"soren"}),
    ("title:countess", {"ada"}),
    ("mail:joseph", {"brodsky"}),
    # phone numbers, however written
    ("phone:+442079460958", {"ada"}),
    ("phone:2079460958", {"ada"}),
    ("phone:020 ", set()),
    ("phone:(555) 010", {"soren"}),
    ("5550102030", {"soren"}),
    ("55501", {"soren"}),
    ("0102030", set()),
    ("tel:555-010-2030", {"soren"}),
    ("7946", {"ada"}),
]


def test_search_is_the_same_on_both_stores(db, people):
    """Every case on each store (one database per store, so the ~60 queries run in a second)."""
    names = {v: k for k, v in people.items()}
    wrong = []
    for query, expected in CASES:
        got = found(db, query)
        if got != {people[k] for k in expected}:
            wrong.append(f"{query!r}: expected {sorted(expected)}, got {sorted(names[i] for i in got)}")
    assert not wrong, "\n".join(wrong)


def test_search_hides_archived_unless_asked(db, people):
    assert found(db, "ada") == {people["ada"]}
    assert found(db, "ada", archived=None) == {people["ada"], people["archived"]}


def test_search_follows_edits_and_deletes(db, people):
    contacts.update(
        db,
        people["ada"],
        {"display_name": "Ada King", "family_name": "King", "emails": [Labeled("ak@x.org")]},
    )
    assert found(db, "lovelace") == found(db, "analytical") == set()
    assert found(db, "king") == found(db, "email:ak@x.org") == {people["ada"]}
    contacts.delete(db, people["zoe"])
    assert found(db, "muller") == set()


def test_search_rejects_unknown_fields(db):
    with pytest.raises(InvalidInput, match="unknown search field"):
        contacts.search(db, 'colour:"red"')


def test_search_pages_and_counts_agree(db):
    for i in range(25):
        contacts.create(db, ContactInput(f"Pat Number{i:02d}"))
    page = contacts.search(db, "pat", limit=10, offset=20)
    assert page.total == 25 and len(page.items) == 5


# --- PostgreSQL only -------------------------------------------------------------------------------------


@pytest.fixture
def pg(pg_url):
    from tinycrm.store.database import open_db

    database = open_db(pg_url)
    yield database
    database.close()


def test_every_python_token_is_one_postgres_lexeme(pg):
    """The index feeds PostgreSQL normalised text; its parser must keep each of our tokens whole."""
    from tinycrm.store.search import normalize

    samples = [p.display_name for p in PEOPLE.values()] + [
        "नमस्ते दुनिया",
        "مرحبا ٣٤٥",
        "שלום",
        "ไทย",
        "123abc abc123 1e5 0x1f 3e-5",
        "v1.2.3",
        "ǅemal Æsir",
        "İstanbul",
        "ﬁne ①② x² Ⅻ 𝒜da",
        "o'neil can't",
        "12345678901234567890123",
    ]
    with pg.read() as tx:
        for text in samples:
            for token in normalize(text).split():
                lexemes = tx.column("SELECT lexeme FROM unnest(to_tsvector('simple', :t))", {"t": token})
                assert lexemes == [token], (text, token, lexemes)


def test_a_read_is_one_snapshot(pg, pg_url):
    """db.read() on PostgreSQL is REPEATABLE READ: a count and the page after it agree, as on SQLite."""
    from tinycrm.store.database import open_db

    contacts.create(pg, ContactInput("First"))
    other = open_db(pg_url)
    try:
        with pg.read() as tx:
            before = tx.scalar("SELECT count(*) FROM contacts")
            contacts.create(other, ContactInput("Second"))  # committed by another connection meanwhile
            assert tx.scalar("SELECT count(*) FROM contacts") == before
        with pg.read() as tx:
            assert tx.scalar("SELECT count(*) FROM contacts") == before + 1
    finally:
        other.close()


def test_a_read_inside_a_write_works(pg):
    with pg.write() as tx:
        tx.execute("INSERT INTO tags (name, name_key) VALUES ('x', 'x')")
        with pg.read() as inner:  # a savepoint of the write: sees its rows
            assert inner.scalar("SELECT count(*) FROM tags WHERE name_key = 'x'") == 1


def test_lock_rows_makes_other_writers_wait(pg, pg_url):
    from tinycrm.store.database import open_db

    cid = contacts.create(pg, ContactInput("Locked Person")).id
    other = open_db(pg_url)
    done = {}

    def edit():
        done["result"] = contacts.update(other, cid, {"job_title": "second"})
        done["at"] = time.monotonic()

    try:
        with pg.write() as tx:
            tx.lock_rows("contacts", [cid])
            worker = threading.Thread(target=edit)
            worker.start()
            time.sleep(0.5)
            assert "result" not in done  # waiting for our lock
            tx.execute(
                "UPDATE contacts SET job_title = 'first', version = version + 1 WHERE id = :i", {"i": cid}
            )
            released = time.monotonic()
        worker.join(10)
        assert done["at"] >= released
        # it read the row after our commit: its change is based on version 2, nothing lost
        assert done["result"].job_title == "second" and done["result"].version == 3
    finally:
        other.close()


def test_unique_violation_from_a_race_is_a_conflict(pg):
    cid = contacts.create(pg, ContactInput("Uid Person", uid="same-uid")).id
    with pytest.raises(Conflict, match="at the same moment"):
        with pg.write() as tx:
            tx.execute(
                "INSERT INTO contacts (uid, display_name, sort_name, archived, created_at, updated_at, version) "
                "SELECT uid, display_name, sort_name, archived, created_at, updated_at, 1 FROM contacts WHERE id = :i",
                {"i": cid},
            )


def test_a_deadlock_is_reported_as_try_again(pg, pg_url):
    """If two transactions ever deadlock, the loser gets exit 75 and a message to run the command again."""
    from tinycrm.store.database import open_db

    a = contacts.create(pg, ContactInput("A")).id
    b = contacts.create(pg, ContactInput("B")).id
    other = open_db(pg_url)
    errors = []
    barrier = threading.Barrier(2)

    def cross(database, first, second):
        try:
            with database.write() as tx:
                tx.execute("UPDATE contacts SET notes = 'x' WHERE id = :i", {"i": first})
                barrier.wait(5)
                tx.execute("UPDATE contacts SET notes = 'y' WHERE id = :i", {"i": second})
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    try:
        threads = [
            threading.Thread(target=cross, args=(pg, a, b)),
            threading.Thread(target=cross, args=(other, b, a)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    finally:
        other.close()
    assert len(errors) == 1
    assert isinstance(errors[0], StoreUnavailable) and errors[0].exit_code == 75
    assert "run the command again" in errors[0].message


def test_a_lost_connection_is_reopened(pg, pg_url):
    import psycopg

    from crm_testkit import pg_admin_url
    from tinycrm.store.database import pg_conninfo

    contacts.create(pg, ContactInput("Before"))
    pid = pg.connection().info.backend_pid
    with psycopg.connect(pg_conninfo(pg_admin_url()), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    # the next transaction finds the connection gone before sending anything, and opens a new one
    assert [c.display_name for c in contacts.list_contacts(pg).items] == ["Before"]
    assert pg.connection().info.backend_pid != pid
    contacts.create(pg, ContactInput("After"))


def test_a_connection_lost_inside_a_transaction_is_exit_75(pg):
    import psycopg

    from crm_testkit import pg_admin_url
    from tinycrm.store.database import pg_conninfo

    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        with pg.write() as tx:
            tx.execute("INSERT INTO tags (name, name_key) VALUES ('t', 't')")
            with psycopg.connect(pg_conninfo(pg_admin_url()), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (pg.connection().info.backend_pid,))
            tx.execute("INSERT INTO tags (name, name_key) VALUES ('u', 'u')")
    with pg.read() as tx:
        assert tx.scalar("SELECT count(*) FROM tags") == 0  # nothing of it was stored


@pytest.mark.parametrize(
    "change, message, code",
    [
        # trying again cannot fix a wrong password or database name: exit 1; a server that is down: 75
        (lambda u: u.replace("postgres:postgres@", "postgres:wrong@"), "password authentication failed", 1),
        (lambda u: u.replace(":5432/", ":1/"), "Connection refused", 75),
        (
            lambda u: u.rsplit("/", 1)[0] + "/tinycrm_no_such_db",
            'database "tinycrm_no_such_db" does not exist',
            1,
        ),
    ],
)
def test_cannot_connect_is_one_clear_line(pg_url, change, message, code):
    from crm_testkit import Cli

    if "postgres:postgres@" not in pg_url:
        pytest.skip("the URL carries no password to spoil")
    r = Cli(change(pg_url))("contact", "list")
    assert r.exit_code == code
    assert r.stderr.startswith("crm: error: cannot connect to the database ") and message in r.stderr
    assert ":postgres@" not in r.stderr and ":wrong@" not in r.stderr  # no password in messages
    assert r.stderr.count("\n") == 1
