"""The contact query language of ``crm search``, segments and the app: one parser, no I/O.

A query is words and ``field:value`` terms, all of which must hold::

    ada company:acme email:@acme.com               words and search fields (the full-text index)
    tag:vip  tag:"key account"                     tagged exactly so (case aside)
    tag:vi*                                        tagged with a tag that starts with ``vi``
    -tag:former                                    not tagged ``former`` (a leading ``-`` negates a filter)
    created:>2026-01-01  created:<=2026-03-31      added after / up to a day
    created:>30d                                   added within the last 30 days
    last-contact:<90d                              nothing logged for 90 days (or never)
    deal:won  deal:open  deal:lost                 has a deal in that state
    stage:Proposal                                 has an open deal in that stage
    field:plan=gold  field:plan                    a custom field with that value / with any value
    has:email  has:phone  has:company ...          has one
    consent:opted-in                               an address with that consent (unknown, opted-out, bounced)

Words and the search fields (``name email phone company notes``) go to the full-text index as before
(:mod:`tinycrm.store.search` parses them); the filters here, ``tag:`` among them, become SQL
(:mod:`tinycrm.services.people.query`). A tag is a name, not words: ``tag:vip`` is the tag ``vip`` and not
``vip-gold`` (write ``tag:vip*`` for every tag that starts so), in ``crm search``, segments and the app alike.
An unknown field (``colour:red``) is an error; ``10:30``, ``http://x`` and ``bob:`` stay words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from tinycrm.domain.errors import InvalidInput

#: the fields of the full-text index, as :mod:`tinycrm.store.search` spells them (and their aliases)
SEARCH_FIELDS = frozenset(
    ("name", "email", "mail", "phone", "tel", "company", "org", "title", "notes", "note", "tag", "tags")
)
#: the filters, each with what it accepts (for errors and the docs)
FILTERS = {
    "created": "a comparison with a day or an age: >2026-01-01, <=2026-03-31, >30d",
    "last-contact": "a comparison with a day or an age: <90d, >2026-01-01",
    "deal": "won, open or lost",
    "stage": "the name of a stage, e.g. stage:Proposal",
    "field": "KEY=VALUE or KEY, e.g. field:plan=gold",
    "has": "email, phone, address, company, birthday, notes, deal or tag",
    "consent": "unknown, opted-in, opted-out or bounced",
    "lead": "a lead state (when leads exist)",
}
DEAL_STATES = ("won", "open", "lost")
HAS = ("email", "phone", "address", "company", "birthday", "notes", "deal", "tag")
CONSENT_STATES = ("unknown", "opted-in", "opted-out", "bounced")
#: how long an age unit is, in days
_UNITS = {"d": 1, "w": 7, "m": 30, "y": 365}

_TOKEN = re.compile(r'(-?)([A-Za-z][A-Za-z-]*):("[^"]*"?|\S*)|"[^"]*"?|\S+')


@dataclass(frozen=True)
class Filter:
    """One filter term. ``op`` is ``<``, ``<=``, ``>``, ``>=`` or ``=`` for comparisons, ``*`` for a prefix
    (``tag:vi*``: ``value`` is ``vi``); ``day`` is the day
    compared with, or ``days_ago`` an age in days; ``value`` the rest (a state, a name, ``KEY=VALUE``)."""

    key: str
    value: str
    negated: bool = False
    op: str = "="
    day: date | None = None
    days_ago: int | None = None


@dataclass(frozen=True)
class Query:
    """A parsed query: ``text`` is what the full-text index searches (words and search fields), ``filters``
    the rest."""

    text: str
    filters: tuple[Filter, ...] = ()

    @property
    def blank(self) -> bool:
        return not self.text.strip() and not self.filters


def _unknown(key: str) -> InvalidInput:
    known = "name, email, phone, company, notes, tag, " + ", ".join(k for k in FILTERS if k != "lead")
    return InvalidInput(f"unknown search field {key!r}; use one of: {known}")


def parse(query: str) -> Query:
    """Split ``query`` into full-text search text and filters; :class:`InvalidInput` for an unknown field or a
    filter value it cannot read (a bad date, an unknown state)."""
    words: list[str] = []
    filters: list[Filter] = []
    for match in _TOKEN.finditer(query or ""):
        minus, field, raw = match.group(1), match.group(2), match.group(3)
        if field is None:
            words.append(match.group(0))
            continue
        key = field.casefold()
        value = raw[1:].rstrip('"') if raw.startswith('"') else raw
        if key in FILTERS or key in ("tag", "tags"):
            filters.append(_filter("tag" if key == "tags" else key, value, bool(minus)))
        elif key in SEARCH_FIELDS:
            if minus:
                raise InvalidInput(f"-{field}: only filters can be negated; write -tag:NAME, -has:email, ...")
            words.append(match.group(0))
        elif not raw or raw.startswith("/"):
            words.append(match.group(0))  # "bob:", "http://x": words, as they always were
        else:
            raise _unknown(field)
    return Query(" ".join(words), tuple(filters))


def _filter(key: str, value: str, negated: bool) -> Filter:
    value = value.strip()
    if not value:
        example = {"tag": "tag:vip", "created": "created:>2026-01-01", "last-contact": "last-contact:<90d"}
        hint = example.get(key, f"{key}:{FILTERS.get(key, 'VALUE').split(',')[0].split(' ')[0]}")
        raise InvalidInput(f"{key}: has no value; write the value right after the colon, e.g. {hint}")
    if key in ("created", "last-contact"):
        return _comparison(key, value, negated)
    if key == "deal":
        return Filter(key, _one_of(key, value.casefold(), DEAL_STATES), negated)
    if key == "has":
        return Filter(key, _one_of(key, value.casefold(), HAS), negated)
    if key == "consent":
        return Filter(key, _one_of(key, value.casefold().replace("_", "-"), CONSENT_STATES), negated)
    if key == "tag" and value.endswith("*"):
        stem = value.rstrip("*").strip()
        if not stem or "*" in stem:
            raise InvalidInput(f"tag:{value}: a * goes once, after the start of a tag; write e.g. tag:vi*")
        return Filter(key, stem, negated, "*")
    if key == "field" and value.startswith("="):
        raise InvalidInput(f"field:{value}: the field name is missing; write field:KEY=VALUE")
    return Filter(key, value, negated)


def _one_of(key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InvalidInput(f"{key}:{value} is not known; use {key}: with one of {', '.join(allowed)}")
    return value


_COMPARISON = re.compile(r"(<=|>=|<|>|=)?(.+)")


def _comparison(key: str, value: str, negated: bool) -> Filter:
    match = _COMPARISON.fullmatch(value)
    assert match is not None
    op, operand = match.group(1) or "=", match.group(2).strip()
    age = re.fullmatch(r"(\d{1,5})([dwmy])", operand.casefold())
    if age:
        return Filter(key, value, negated, op, days_ago=int(age.group(1)) * _UNITS[age.group(2)])
    try:
        day = datetime.strptime(operand, "%Y-%m-%d").date()
    except ValueError:
        raise InvalidInput(
            f"{key}:{value}: {operand!r} is not a day (YYYY-MM-DD) or an age (90d, 6w, 1y); "
            f"write e.g. {key}:>2026-01-01 or {key}:<90d"
        ) from None
    return Filter(key, value, negated, op, day=day)
