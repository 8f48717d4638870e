"""A query that matches thousands (the first letter typed) comes by name, and the app may ask for an estimate."""

from tinycrm.domain.people import ContactInput
from tinycrm.services.people import contact_search, contacts


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


def test_narrow_matches_are_ranked(db):
    _people(db)
    page = contacts.search(db, "mona")
    assert [c.display_name for c in page.items] == ["Mona Xu"]
    assert page.order == "relevance" and not page.estimate
