"""What people type never crashes a parser: any text gives a value or the typed error (exit 2), for the date
parser, the search query parser and money amounts (property tests, marked ``fuzz``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinycrm.domain import dates
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.sales import MAX_VALUE, parse_amount
from tinycrm.store.search import Term, parse

pytestmark = pytest.mark.fuzz

#: text as people type dates: words, digits and the signs dates are written with, and anything at all
_date_text = st.text() | st.lists(
    st.sampled_from(
        [
            "next",
            "last",
            "in",
            "2",
            "weeks",
            "days",
            "tomorrow",
            "friday",
            "3pm",
            "12:30",
            "2026-03-27",
            "--04-15",
            "15",
            "April",
            "Tue,",
            "22",
            "Dec",
            "2009",
            "/",
            ".",
            "-",
            "+",
            "T",
            "Z",
            "ago",
            "0",
            "99999",
        ]
    ),
    max_size=6,
).map(" ".join)
_amount_text = st.text() | st.text(st.sampled_from("0123456789.,_ -+\u00a0eE"), max_size=30)
_query_text = st.text() | st.lists(
    st.sampled_from(
        ["ada", "tag:", "vip", "email:", "phone:", "+44", '"', "*", "name:", "OR", "-", "é", "日本"]
    ),
    max_size=6,
).map(" ".join)


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    monkeypatch.setenv("TINYCRM_NOW", "2026-03-27T08:00:00+00:00")


@given(_date_text)
def test_the_date_parser_gives_a_date_or_invalid_input(text):
    for parse_one in (dates.parse_when, dates.parse_when_detailed, dates.parse_date, dates.parse_birthday):
        try:
            parse_one(text)
        except InvalidInput as exc:
            assert exc.message and "\n" not in exc.message


@given(_amount_text)
def test_an_amount_is_exact_and_in_range_or_invalid_input(text):
    try:
        amount = parse_amount(text)
    except InvalidInput as exc:
        assert exc.message and "\n" not in exc.message
        return
    assert 0 <= amount < MAX_VALUE and amount == amount.quantize(amount.__class__("0.0001"))


@given(_query_text)
def test_a_search_query_gives_terms_or_the_typed_error(text):
    try:
        terms = parse(text)
    except InvalidInput as exc:
        assert exc.message and "\n" not in exc.message
        return
    assert all(isinstance(t, Term) for t in terms)


@pytest.mark.parametrize("text", ["_", "__", " _ ", "+", "-_"])
def test_an_amount_of_separators_only_is_invalid_input(text):
    with pytest.raises(InvalidInput, match="is not an amount"):
        parse_amount(text)
