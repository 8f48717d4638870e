"""The CSV column handlers one kind of target at a time, through :func:`tinycrm.formats.csvio.convert_row`
with explicit targets (no preset, no file, no database); the presets' tables; the export presets; and a
round trip of the structured fields through tinycrm's own layout."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_testkit import CARD_FIELDS
from tinycrm.domain.errors import InvalidInput
from tinycrm.domain.people import Address, Labeled
from tinycrm.formats.csvio import (
    ADDRESS_PARTS,
    COLUMNS,
    EXPORTS,
    RULES,
    SIMPLE,
    CsvReader,
    Layout,
    Target,
    convert_row,
    header,
    map_columns,
    row,
    write_csv,
)
from tinycrm.formats.records import ContactData


def convert(*cells: tuple[str, Target | None, str], from_tinycrm: bool = False):
    """The record of one row whose columns are ``(header, target, value)``."""
    headers = [h for h, _, _ in cells]
    return convert_row(headers, [t for _, t, _ in cells], [v for _, _, v in cells], from_tinycrm=from_tinycrm)


NAME = ("Name", Target("name"), "Ada")


# --- the tables -----------------------------------------------------------------------------------------

KNOWN_HEADERS = [
    "Name",
    "E-mail 1 - Label",
    "E-mail 1 - Value",
    "Phone 2 - Type",
    "Address 1 - Formatted",
    "Address 1 - Street 2",
    "Website 1 - Value",
    "Custom Field 1 - Label",
    "Organization 1 - Department",
    "Home Phone",
    "Business Street 2",
    "Birth Month",
    "TEL;TYPE=CELL",
    "ADR;HOME",
    "N",
    "Field: source",
    "Business postal/zip code",
    "Cadence Days",
    "Archived",
    "Group Membership",
    "File As",
]


@pytest.mark.parametrize("preset", sorted(RULES))
def test_every_target_a_preset_gives_has_a_handler(preset):
    targets = [t for t in map_columns(KNOWN_HEADERS, preset) if t is not None]
    assert len(targets) > 10
    assert {t.field for t in targets} <= set(COLUMNS) | set(SIMPLE)


def test_every_map_field_has_a_handler():
    assert set(ADDRESS_PARTS) | {"email", "phone", "field", "ignore", "tags", "notes"} <= set(COLUMNS)


# --- emails and phones ----------------------------------------------------------------------------------


def test_emails_and_phones_take_their_group_label_or_a_fixed_one():
    r = convert(
        NAME,
        ("E-mail 1 - Label", Target("label", group="email 1"), "* Work"),
        ("E-mail 1 - Value", Target("email", group="email 1"), "a@example.com ::: b@example.com"),
        ("Home Phone", Target("phone", label="home"), "+1 555 0100"),
        ("Phone", Target("phone"), "+1 555 0101"),
    )
    c = r.contact
    assert c.emails == [Labeled("a@example.com", "work"), Labeled("b@example.com", "work")]
    assert c.phones == [Labeled("+1 555 0100", "home"), Labeled("+1 555 0101", None)]


def test_invalid_emails_and_phones_become_custom_fields_with_a_warning():
    r = convert(NAME, ("Email", Target("email"), "not mail"), ("Phone", Target("phone"), "call me"))
    assert r.contact.emails == [] and r.contact.phones == []
    assert r.contact.fields == {"Email": "not mail", "Phone": "call me"}
    assert r.warnings == [
        "Email: 'not mail' is not an email address; kept as a custom field",
        "Phone: 'call me' is not a phone number; kept as a custom field",
    ]


# --- addresses ------------------------------------------------------------------------------------------


def test_address_parts_are_grouped_and_labelled():
    r = convert(
        NAME,
        ("Address 1 - Label", Target("label", group="address 1"), "Home"),
        ("Address 1 - Street", Target("street", group="address 1"), "1 Main St"),
        ("Address 1 - Street 2", Target("street2", group="address 1"), "Apt 2"),
        ("Address 1 - City", Target("locality", group="address 1"), "Town"),
        ("Business City", Target("locality", group="address work", label="work"), "City"),
        ("Business Street 2", Target("street", group="address work", label="work"), "Floor 3"),
        ("Business Street 3", Target("street", group="address work", label="work"), "Room 4"),
    )
    assert r.contact.addresses == [
        Address(label="home", street="1 Main St, Apt 2", locality="Town"),
        Address(label="work", street="Floor 3, Room 4", locality="City"),
    ]


def test_a_formatted_address_is_the_street_only_when_there_are_no_parts():
    r = convert(
        NAME,
        ("A - Formatted", Target("formatted", group="a"), "1 Main St\n  Town"),
        ("B - Formatted", Target("formatted", group="b"), "ignored"),
        ("B - City", Target("locality", group="b"), "Town"),
    )
    assert r.contact.addresses == [Address(street="1 Main St Town"), Address(locality="Town")]


def test_vcard_style_n_and_adr_columns():
    r = convert(
        ("N", Target("vcard_n"), "Lovelace;Ada;Augusta;Lady;"),
        ("ADR;HOME", Target("vcard_adr", label="home"), ";;1 Main St;Town;==;123;Land"),
    )
    c = r.contact
    assert (c.display_name, c.given_name, c.family_name) == ("Lady Ada Augusta Lovelace", "Ada", "Lovelace")
    assert c.addresses == [
        Address(label="home", street="1 Main St", locality="Town", postcode="123", country="Land")
    ]


# --- custom fields --------------------------------------------------------------------------------------


def test_custom_fields_from_columns_pairs_and_leftovers():
    r = convert(
        NAME,
        ("Web Page", Target("field", key="website"), "https://a.example"),
        ("Website 1 - Type", Target("field_label", group="website 1", key="website"), "Profile"),
        ("Website 1 - Value", Target("field_value", group="website 1", key="website"), "https://b.example"),
        ("Custom Field 1 - Label", Target("field_label", group="custom field 1"), "Source"),
        ("Custom Field 1 - Value", Target("field_value", group="custom field 1"), "fair"),
        ("Custom Field 2 - Value", Target("field_value", group="custom field 2"), "alone"),
        ("Shoe=Size", None, "42"),
        ("Shoe-Size", None, "43"),
        ("Department", Target("department"), "R&D"),
        ("Nickname", Target("nickname"), "Addie"),
    )
    assert r.contact.fields == {
        "website": "https://a.example",
        "Shoe-Size": "42",
        "Shoe-Size 2": "43",
        "department": "R&D",
        "nickname": "Addie",
        "website (profile)": "https://b.example",
        "Source": "fair",
        "custom field 2": "alone",
    }


def test_noise_values_and_ignored_columns_are_dropped():
    r = convert(
        NAME,
        ("Birthday", Target("birthday"), "0/0/00"),
        ("Priority", None, "Normal"),
        ("Mystery", None, "1/1/1601"),
        ("Sensitivity", None, "Private"),
        ("Photo", Target("ignore"), "https://x.example/a.jpg"),
    )
    assert r.contact.birthday is None and r.contact.fields == {"Sensitivity": "Private"}


# --- single-valued columns, tags, notes, birthdays ------------------------------------------------------


def test_the_first_single_valued_column_wins_and_the_name_is_composed():
    r = convert(
        ("Title", Target("prefix"), "Dr."),
        ("First", Target("given"), "Ada"),
        ("Given", Target("given"), "Augusta"),
        ("Last", Target("family"), "King"),
        ("Company", Target("company"), "Engines"),
        ("Job", Target("title"), "CTO"),
        ("Role", Target("role"), "buyer"),
        ("UID", Target("uid"), "u-1"),
    )
    c = r.contact
    assert (c.display_name, c.given_name, c.family_name) == ("Dr. Ada King", "Ada", "King")
    assert (c.company, c.job_title, c.company_role, c.uid) == ("Engines", "CTO", "buyer", "u-1")


def test_tags_and_notes_of_several_columns_are_joined():
    r = convert(
        NAME,
        ("Labels", Target("tags"), "Friends ::: * myContacts ::: * starred"),
        ("Categories", Target("tags"), "vip, friends;Work"),
        ("Notes", Target("notes"), "one"),
        ("Comments", Target("notes"), "two"),
    )
    assert r.contact.tags == ["Friends", "vip", "friends", "Work"]
    assert r.contact.notes == "one\n\ntwo"


@pytest.mark.parametrize(
    ("cells", "birthday"),
    [
        ([("Birthday", Target("birthday"), "1815-12-10")], "1815-12-10"),
        ([("Birthday", Target("birthday"), "19800322")], "1980-03-22"),
        ([("Birthday", Target("birthday"), "--12-09")], "--12-09"),
        (
            [
                ("Birth Year", Target("birth_year"), "1980"),
                ("Birth Month", Target("birth_month"), "3"),
                ("Birth Day", Target("birth_day"), "22"),
            ],
            "1980-03-22",
        ),
        ([("Birth Month", Target("birth_month"), "3"), ("Birth Day", Target("birth_day"), "22")], "--03-22"),
    ],
)
def test_birthday_columns(cells, birthday):
    assert convert(NAME, *cells).contact.birthday == birthday


def test_a_bad_birthday_becomes_a_custom_field():
    r = convert(NAME, ("Birthday", Target("birthday"), "someday"))
    assert r.contact.birthday is None and r.contact.fields == {"birthday": "someday"}
    assert "not a date" in r.warnings[0]


def test_cadence_archived_and_the_tinycrm_flag():
    r = convert(
        NAME,
        ("Cadence Days", Target("cadence"), "30"),
        ("Archived", Target("archived"), "x"),
        from_tinycrm=True,
    )
    assert r.contact.cadence_days == 30 and r.contact.archived and r.from_tinycrm
    r = convert(NAME, ("Cadence Days", Target("cadence"), "0"), ("Archived", Target("archived"), "no"))
    assert r.contact.cadence_days is None and not r.contact.archived and not r.from_tinycrm


@pytest.mark.parametrize(
    ("cells", "display"),
    [
        ([("Company", Target("company"), "Engines")], "Engines"),
        ([("Nickname", Target("nickname"), "Addie")], "Addie"),
        ([("Phone", Target("phone"), "+1 555 0100")], "+1 555 0100"),
        ([("Email", Target("email"), "a@example.com")], None),
    ],
)
def test_the_display_name_falls_back_in_order(cells, display):
    assert convert(*cells).contact.display_name == display


def test_a_row_with_nothing_to_name_it_is_refused():
    with pytest.raises(InvalidInput, match="no name"):
        convert(("Notes", Target("notes"), "hello"), ("Extra", None, "x"))


def test_cells_beyond_the_header_are_custom_fields():
    r = convert_row(["Name"], [Target("name")], ["Ada", "=spill"])
    assert r.contact.fields == {"column 2": "=spill"}


# --- the export presets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(EXPORTS))
@pytest.mark.parametrize(
    "layout", [Layout(), Layout(emails=0, phones=0, addresses=0), Layout(3, 2, 2, ("a", "b"), most_fields=3)]
)
def test_the_header_and_every_row_have_as_many_cells(preset, layout):
    full = ContactData(
        uid="u",
        display_name="Ada",
        company_role="buyer",
        emails=[Labeled(f"a{i}@example.com", "work") for i in range(4)],
        phones=[Labeled("+1 555 0100")],
        addresses=[Address(street="1 Main St")] * 3,
        fields={"a": "1", "b": "2", "c": "3", "d": "4"},
    )
    for c in (full, ContactData(uid="v", display_name="Empty")):
        assert len(row(c, preset, layout)) == len(header(preset, layout))


def test_the_google_preset_puts_the_role_first_among_custom_fields():
    c = ContactData(uid="u", display_name="Ada", company_role="buyer", fields={"a": "1"})
    cells = dict(
        zip(header("google", Layout(most_fields=2)), row(c, "google", Layout(most_fields=2)), strict=True)
    )
    assert [cells[f"Custom Field {n} - {part}"] for n in (1, 2) for part in ("Label", "Value")] == [
        "role",
        "buyer",
        "a",
        "1",
    ]


# --- a round trip of the structured fields through tinycrm's own layout ---------------------------------

_PLAIN = st.characters(categories=("L", "N", "P", "S"), exclude_characters="\x7f")
# a cell as people type it: single spaces inside, nothing around; not Google's multi-value separator
_text = st.lists(st.text(_PLAIN, min_size=1, max_size=10), min_size=1, max_size=3).map(" ".join)
# a leading ' before = + - @ is how a neutralised cell is read back (see docs/formats.md): not in a value
_cell = _text.filter(lambda s: not (s[0] == "'" and s[1:2] in ("=", "+", "-", "@")) and ":::" not in s)
_word = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
_label = st.none() | st.lists(_word, min_size=1, max_size=3).map(" ".join)
_tag = (
    st.lists(_word, min_size=1, max_size=2)
    .map(" ".join)
    .filter(lambda t: t not in ("starred", "my contacts"))
)
_address = st.builds(
    Address,
    label=_label,
    street=_cell,
    locality=st.none() | _cell,
    region=st.none() | _cell,
    postcode=st.none() | _cell,
    country=st.none() | _cell,
    po_box=st.none() | _cell,
    extended=st.none() | _cell,
)
_birthday = st.dates(min_value=date(1901, 1, 1), max_value=date(2020, 12, 31)).map(
    date.isoformat
) | st.builds(lambda m, d: f"--{m:02d}-{d:02d}", st.integers(1, 12), st.integers(1, 28))


@st.composite
def contacts(draw) -> ContactData:
    return ContactData(
        uid=draw(_cell),
        display_name=draw(_cell),
        given_name=draw(st.none() | _cell),
        family_name=draw(st.none() | _cell),
        job_title=draw(st.none() | _cell),
        company=draw(st.none() | _cell),
        company_role=draw(st.none() | _cell),
        birthday=draw(st.none() | _birthday),
        notes=draw(st.none() | st.lists(_cell, min_size=1, max_size=3).map("\n".join)),
        cadence_days=draw(st.none() | st.integers(1, 3650)),
        archived=draw(st.booleans()),
        emails=draw(
            st.lists(
                st.builds(lambda a, b, lbl: Labeled(f"{a}@{b}.example", lbl), _word, _word, _label),
                max_size=3,
            )
        ),
        phones=draw(
            st.lists(
                st.builds(lambda n, lbl: Labeled(f"+{n}", lbl), st.integers(100, 10**12), _label), max_size=3
            )
        ),
        addresses=draw(st.lists(_address, max_size=2)),
        tags=draw(st.lists(_tag, max_size=4, unique_by=str.casefold)),
        fields=draw(st.dictionaries(_word, _cell, max_size=3)),
    )


@settings(
    derandomize=True,
    database=None,
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=st.lists(contacts(), min_size=1, max_size=3))
def test_structured_fields_survive_a_round_trip(people):
    layout = Layout(
        emails=max(len(c.emails) for c in people),
        phones=max(len(c.phones) for c in people),
        addresses=max(len(c.addresses) for c in people),
        fields=tuple(dict.fromkeys(k for c in people for k in c.fields)),
    )
    out = io.StringIO()
    assert write_csv(people, out, layout=layout) == len(people)
    assert len({len(cells) for cells in csv.reader(io.StringIO(out.getvalue()))}) == 1
    reader = CsvReader(io.BytesIO(out.getvalue().encode()), "round trip")
    assert reader.preset == "generic" and reader.from_tinycrm
    items = list(reader)
    assert [item.error for item in items] == [None] * len(people)
    for c, item in zip(people, items, strict=True):
        got = item.record.contact
        for key in CARD_FIELDS:
            assert getattr(got, key) == getattr(c, key), key
        assert item.record.warnings == []
