"""Web forms through the service, on SQLite and PostgreSQL: making them, and what a post becomes."""

import pytest

from crm_testkit import _pg_for_module, store_url  # noqa: F401 - one PostgreSQL database per module
from tinycrm.domain.errors import Conflict, InvalidInput, NotFound
from tinycrm.services import forms
from tinycrm.services.leads import records


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setenv("TINYCRM_NOW", "2026-06-01T09:00:00+00:00")


@pytest.fixture
def form(db):
    return forms.add_form(db, "Contact us", ["name", "email", "message"], tags=["website"])


def test_a_form_has_an_unguessable_address_and_is_listed(db, form):
    assert len(form.key) >= 26 and form.path() == f"/f/{form.key}"
    other = forms.add_form(db, "Event", ["email"])
    assert other.key != form.key
    assert [f.name for f in forms.list_forms(db)] == ["Contact us", "Event"]
    assert forms.get_form(db, form.key).name == "Contact us"
    assert forms.remove_form(db, "Event").name == "Event"
    with pytest.raises(NotFound):
        forms.form_by_key(db, other.key)


@pytest.mark.parametrize(
    "fields, redirect",
    [
        (["name", "colour"], None),
        (["message"], None),
        (["email"], "javascript:alert(1)"),
        (["email"], "https://a\nb"),
    ],
)
def test_bad_forms_are_refused(db, fields, redirect):
    with pytest.raises(InvalidInput):
        forms.add_form(db, "Bad", fields, redirect=redirect)
    assert forms.list_forms(db) == []


def test_a_second_form_of_the_same_name_is_refused(db, form):
    with pytest.raises(Conflict):
        forms.add_form(db, "Contact us", ["email"])


def test_a_post_becomes_a_lead_with_the_forms_tags_and_only_its_fields(db, form):
    posted = forms.submit(
        db,
        form.key,
        {
            "name": "Grace Hopper",
            "email": "grace@example.com",
            "message": "Quote please",
            "phone": "+1 555",
            "x": "y",
        },
        "203.0.113.9",
    )
    lead = records.get(db, posted.lead_id)
    assert (lead.name, lead.email, lead.source) == ("Grace Hopper", "grace@example.com", "web")
    assert lead.phone is None  # not a field of this form: dropped
    assert "website" in lead.tags and "Contact us" in (lead.source_detail or "")
    assert lead.notes == "Quote please"


def test_a_bot_filling_the_honeypot_stores_nothing(db, form):
    posted = forms.submit(
        db, form.key, {"email": "bot@example.com", "website_url": "http://spam"}, "198.51.100.1"
    )
    assert posted.lead_id is None
    assert records.list_leads(db, limit=10).items == []


def test_an_address_posting_too_often_is_told_to_wait(db, form):
    for n in range(forms.LIMIT):
        forms.submit(db, form.key, {"email": f"p{n}@example.com"}, "192.0.2.7")
    with pytest.raises(forms.TooManyPosts):
        forms.submit(db, form.key, {"email": "again@example.com"}, "192.0.2.7")
    assert forms.submit(db, form.key, {"email": "other@example.com"}, "192.0.2.8").lead_id is not None
    assert len(records.list_leads(db, limit=50).items) == forms.LIMIT + 1


def test_bad_posts_change_nothing(db, form):
    with pytest.raises(InvalidInput):
        forms.submit(db, form.key, {"message": "no name, no email"}, "192.0.2.1")
    with pytest.raises(InvalidInput):
        forms.submit(db, form.key, {"email": "a@example.com", "name": "x" * 5000}, "192.0.2.1")
    with pytest.raises(NotFound):
        forms.submit(db, "no-such-key", {"email": "a@example.com"}, "192.0.2.1")
    assert records.list_leads(db, limit=10).items == []
