"""The query language of crm search and segments: parsing alone (no database)."""

from datetime import date

import pytest

from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.query import Filter, parse


@pytest.mark.parametrize(
    ("query", "text", "filters"),
    [
        ("ada tag:vip", "ada", (Filter("tag", "vip"),)),
        ('tag:"key account" tags:VI*', "", (Filter("tag", "key account"), Filter("tag", "VI", op="*"))),
        ("-tag:vi*", "", (Filter("tag", "vi", True, "*"),)),
        ("-tag:former", "", (Filter("tag", "former", True),)),
        ("created:>2026-01-01", "", (Filter("created", ">2026-01-01", op=">", day=date(2026, 1, 1)),)),
        ("last-contact:<90d", "", (Filter("last-contact", "<90d", op="<", days_ago=90),)),
        ("created:>=2w", "", (Filter("created", ">=2w", op=">=", days_ago=14),)),
        ("deal:WON", "", (Filter("deal", "won"),)),
        ("stage:Proposal", "", (Filter("stage", "Proposal"),)),
        ("field:plan=gold", "", (Filter("field", "plan=gold"),)),
        ('field:"plan=gold plus"', "", (Filter("field", "plan=gold plus"),)),
        ("has:email -has:phone", "", (Filter("has", "email"), Filter("has", "phone", True))),
        ("consent:opted-in", "", (Filter("consent", "opted-in"),)),
        ("10:30 bob: http://x.com -x", "10:30 bob: http://x.com -x", ()),
    ],
)
def test_parse(query, text, filters):
    parsed = parse(query)
    assert (parsed.text, parsed.filters) == (text, filters)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("colour:red", "unknown search field 'colour'"),
        ('colour:"red"', "unknown search field 'colour'"),
        ("created:>yesterdayish", "is not a day (YYYY-MM-DD) or an age"),
        ("created:2026-13-01", "is not a day"),
        ("deal:maybe", "deal:maybe is not known"),
        ("consent:perhaps", "consent:perhaps is not known"),
        ("has:wings", "has:wings is not known"),
        ("created:", "created: has no value"),
        ("-name:ada", "only filters can be negated"),
        ("field:=x", "the field name is missing"),
        ("tag:", "tag: has no value; write the value right after the colon, e.g. tag:vip"),
        ("tag:*", "a * goes once, after the start of a tag"),
        ("tag:v*i*", "a * goes once, after the start of a tag"),
    ],
)
def test_bad_queries_are_one_clear_line(query, words):
    with pytest.raises(InvalidInput) as caught:
        parse(query)
    assert words in caught.value.message and "\n" not in caught.value.message
