"""Dates as people write them: ISO and natural language, read in local time, stored in UTC, shown local.

The clock is fixed with TINYCRM_NOW and the zone with TZ, so every expectation is exact.
"""

from datetime import UTC, date, datetime

import pytest

from tinycrm.domain import clock
from tinycrm.domain.dates import parse_birthday, parse_date, parse_when, parse_when_detailed, show, to_iso
from tinycrm.domain.errors import InvalidInput

# Wednesday 25 March 2026, 10:30 in Paris (UTC+1; summer time starts on Sunday 29 March)
NOW = "2026-03-25T10:30:00+01:00"


@pytest.fixture(autouse=True)
def paris(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Paris")
    monkeypatch.setenv("TINYCRM_NOW", NOW)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_clock_is_fixed_and_utc():
    assert clock.now() == utc(2026, 3, 25, 9, 30)
    assert clock.now().utcoffset().total_seconds() == 0
    assert clock.local_now().isoformat() == "2026-03-25T10:30:00+01:00"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("yesterday 15:00", utc(2026, 3, 24, 14, 0)),
        ("yesterday at 3pm", utc(2026, 3, 24, 14, 0)),
        ("tomorrow 9am", utc(2026, 3, 26, 8, 0)),
        ("tomorrow at 9:30", utc(2026, 3, 26, 8, 30)),
        ("today", utc(2026, 3, 24, 23, 0)),
        ("now", utc(2026, 3, 25, 9, 30)),
        ("3 days ago", utc(2026, 3, 21, 23, 0)),
        ("2 hours ago", utc(2026, 3, 25, 7, 30)),
        ("in 3 hours", utc(2026, 3, 25, 12, 30)),
        # Friday 27 March; after the change to summer time (UTC+2) local midnight is 22:00 UTC
        ("next friday", utc(2026, 3, 26, 23, 0)),
        ("next friday 3pm", utc(2026, 3, 27, 14, 0)),
        ("last monday 10:00", utc(2026, 3, 23, 9, 0)),
        ("in 2 weeks", utc(2026, 4, 7, 22, 0)),
        ("next week", utc(2026, 3, 31, 22, 0)),
        ("in a month", utc(2026, 4, 24, 22, 0)),
        ("2026-03-01", utc(2026, 2, 28, 23, 0)),
        ("2026-03-01 14:00", utc(2026, 3, 1, 13, 0)),
        ("2026-07-01 14:00", utc(2026, 7, 1, 12, 0)),
        ("2026-03-01T14:00:00Z", utc(2026, 3, 1, 14, 0)),
        ("2026-03-01T14:00:00-05:00", utc(2026, 3, 1, 19, 0)),
        ("March 3", utc(2026, 3, 2, 23, 0)),
        ("3 March 2025 5pm", utc(2025, 3, 3, 16, 0)),
        ("  Tomorrow   9AM ", utc(2026, 3, 26, 8, 0)),
    ],
)
def test_parse_when(text, expected):
    got = parse_when(text)
    assert got == expected
    assert got.utcoffset().total_seconds() == 0, "stored times are UTC"


@pytest.mark.parametrize(
    "text",
    [
        "in 99999999999 days",
        "99999999999 days ago",
        "in 9999 years",
        "0001-01-01",
        "9999-12-31 23:59",
        "1799-12-31",
    ],
)
def test_dates_out_of_range_are_invalid_input(text):
    with pytest.raises(InvalidInput) as info:
        parse_when(text, what="when")
    assert "out of range" in info.value.message
    with pytest.raises(InvalidInput):
        parse_date(text)


def test_whole_days_and_times_of_day():
    assert parse_when_detailed("tomorrow") == (utc(2026, 3, 25, 23, 0), False)
    assert parse_when_detailed("tomorrow 9am") == (utc(2026, 3, 26, 8, 0), True)
    assert parse_when_detailed("in 2 hours")[1] is True


def test_empty_is_now_and_datetimes_pass_through_as_utc():
    assert parse_when(None) == parse_when("") == utc(2026, 3, 25, 9, 30)
    assert parse_when(datetime(2026, 1, 1, 12, 0)) == utc(2026, 1, 1, 11, 0)


@pytest.mark.parametrize(
    "text",
    ["blah", "yesterday 25:00", "tomorrow at lunch", "2026-02-30", "next blursday", "32", "99", "2026"],
)
def test_unparseable_dates_are_invalid_input(text):
    with pytest.raises(InvalidInput) as info:
        parse_when(text, what="when")
    assert info.value.field == "when"
    assert info.value.message.startswith("when: ")
    assert "\n" not in info.value.message


def test_shown_in_local_time():
    summer = utc(2026, 7, 1, 12, 0)
    winter = utc(2026, 1, 1, 12, 0)
    assert show(summer) == "2026-07-01 14:00"
    assert show(winter) == "2026-01-01 13:00"
    assert show(winter, with_time=False) == "2026-01-01"
    assert show(None) == ""
    assert to_iso(parse_when("yesterday 15:00")) == "2026-03-24T14:00:00Z"


def test_another_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    assert parse_when("tomorrow 9am") == utc(2026, 3, 26, 13, 0)
    assert show(utc(2026, 3, 26, 13, 0)) == "2026-03-26 09:00"


def test_parse_date():
    assert parse_date("2026-12-01") == date(2026, 12, 1)
    assert parse_date("next friday") == date(2026, 3, 27)
    assert parse_date("tomorrow") == date(2026, 3, 26)
    assert parse_date("") is None and parse_date(None) is None
    with pytest.raises(InvalidInput):
        parse_date("the day after")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1980-02-03", "1980-02-03"),
        ("02-29", "--02-29"),
        ("--04-15", "--04-15"),
        ("15 April", "--04-15"),
        ("April 15 1990", "1990-04-15"),
        ("", None),
        (None, None),
    ],
)
def test_birthdays(text, expected):
    assert parse_birthday(text) == expected


@pytest.mark.parametrize(
    "text",
    ["garbage", "13-01", "02-30", "2030-01-01", "1990", "April 1990", "0229", "0229-02-01", "1700-05-05"],
)
def test_bad_birthdays(text):
    with pytest.raises(InvalidInput) as info:
        parse_birthday(text)
    assert info.value.field == "birthday"


def test_cli_stores_utc_and_shows_local(sqlite_cli, monkeypatch):
    assert sqlite_cli("add-contact", "Ada Lovelace").exit_code == 0
    r = sqlite_cli(
        "log", "ada", "--kind", "call", "--summary", "Intro", "--when", "yesterday 15:00", "--json"
    )
    assert r.exit_code == 0, r.stderr
    assert r.json["happened_at"] == "2026-03-24T14:00:00Z"
    r = sqlite_cli("timeline", "ada")
    assert r.stdout.split("\t")[1] == "2026-03-24 15:00"
    # the same stored instant, read from elsewhere
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    r = sqlite_cli("timeline", "ada")
    assert r.stdout.split("\t")[1] == "2026-03-24 23:00"
