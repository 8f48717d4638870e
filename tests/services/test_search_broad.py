"""A query that matches thousands (the first letter typed) comes by name, and the app may ask for an estimate; one
word comes by name too, several words by relevance."""

from tinycrm.domain.people import ContactInput
from tinycrm.services.people import contact_search, contacts
from tinycrm.store import search


def _people(db):
    for name in ["Mia Zed", "Max Young", "Mona Xu", "Milo West", "Ada Moss"]:
        contacts.create(db, ContactInput(display_name=name))
    archived = contacts.create(db, ContactInput(display_name="Mark Archived"))
    contacts.archive(db, archived.id)


def test_broad_matches_come_by_name_with_an_exact_total(db, monkeypatch):
    _people(db)
    monkeypatch.setattr(contact_search, "BROAD_MATCH", 3)
    page = contacts.search(db, "m")
    assert [c.display_name for c in page.items] == [
        "Ada Moss",
        "Max Young",
        "Mia Zed",
        "Milo West",
        "Mona Xu",
    ]
    assert (page.total, page.estimate, page.order) == (5, False, "name")


def test_search_as_you_type_may_estimate_the_total(db, monkeypatch):
    _people(db)
    monkeypatch.setattr(contact_search, "BROAD_MATCH", 3)
    page = contacts.search(db, "m", exact_total=False)
    # counted from the index alone: the archived match is in the estimate, never in the rows
    assert (page.total, page.estimate, page.order) == (6, True, "newest")
    assert [c.display_name for c in page.items] == [
        "Ada Moss",
        "Milo West",
        "Mona Xu",
        "Max Young",
        "Mia Zed",
    ]
    # a filter makes the estimate meaningless, so the count is exact again
    assert contacts.search(db, "m", exact_total=False, tag="none").estimate is False


def test_narrow_matches_of_several_words_are_ranked(db):
    _people(db)
    page = contacts.search(db, "mona xu")
    assert [c.display_name for c in page.items] == ["Mona Xu"]
    assert page.order == "relevance" and not page.estimate


def test_one_word_comes_by_name(db):
    """One word lists its matches as an address book does, whatever their scores: bm25() would put the contact
    with the least text, and the one naming the word twice, first."""
    for name, notes in [("Zed Moss", ""), ("Ada Moss", "met at the spring fair " * 20), ("Moss Moss", "")]:
        contacts.create(db, ContactInput(display_name=name, notes=notes))
    match_sql, params = db.search.match(search.parse("moss"))
    with db.read() as tx:
        ranked = tx.column(
            f"SELECT c.display_name FROM ({match_sql}) m JOIN contacts c ON c.id = m.contact_id ORDER BY m.score",
            params,
        )
    assert ranked[-1] == "Ada Moss", "the test needs an order that relevance would give otherwise"
    for query in ("moss", "Mos", "name:moss", '"moss"'):
        page = contacts.search(db, query)
        assert [c.display_name for c in page.items] == ["Ada Moss", "Moss Moss", "Zed Moss"], query
        assert (page.total, page.order) == (3, "name"), query
    assert contacts.search(db, "moss", exact_total=False).order == "name", "as you type too"
