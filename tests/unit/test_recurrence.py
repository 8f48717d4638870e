"""Repeat rules: phrases and RRULEs, and where the next occurrence of a series falls (DST, late, early,
COUNT)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tinycrm.domain.errors import InvalidInput
from tinycrm.services.work.recurrence import describe_rule, next_occurrence, parse_repeat

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("phrase", "rule"),
    [
        ("daily", "FREQ=DAILY"),
        ("every day", "FREQ=DAILY"),
        ("weekly", "FREQ=WEEKLY"),
        ("monthly", "FREQ=MONTHLY"),
        ("yearly", "FREQ=YEARLY"),
        ("Annually", "FREQ=YEARLY"),
        ("every 2 weeks", "FREQ=WEEKLY;INTERVAL=2"),
        ("every other week", "FREQ=WEEKLY;INTERVAL=2"),
        ("every three months", "FREQ=MONTHLY;INTERVAL=3"),
        ("every weekday", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("every monday", "FREQ=WEEKLY;BYDAY=MO"),
        ("every Thursday and mon", "FREQ=WEEKLY;BYDAY=MO,TH"),
        ("every 2 weeks on friday", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "FREQ=MONTHLY;BYMONTHDAY=15"),
        ("RRULE:freq=weekly;byday=mo,we", "FREQ=WEEKLY;BYDAY=MO,WE"),
        ("FREQ=DAILY;COUNT=3", "FREQ=DAILY;COUNT=3"),
    ],
)
def test_phrases_and_rules(phrase, rule):
    assert parse_repeat(phrase) == rule


@pytest.mark.parametrize("empty", [None, "", "  ", "never", "none"])
def test_no_repeat(empty):
    assert parse_repeat(empty) is None


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("every blue moon", "'every blue moon'"),
        ("FREQ=FORTNIGHTLY", "'FREQ=FORTNIGHTLY'"),
        ("FREQ=WEEKLY;BYDAY=XX", "'FREQ=WEEKLY;BYDAY=XX'"),
        ("every 2 months on monday", "'every 2 months on monday'"),
        ("FREQ=HOURLY", "more often than daily"),
        ("DTSTART:20260101T000000\nRRULE:FREQ=DAILY", "without DTSTART"),
    ],
)
def test_unparseable_rules_are_named(text, named):
    with pytest.raises(InvalidInput) as err:
        parse_repeat(text)
    assert named in err.value.message
    assert "\n" not in err.value.message
    assert err.value.message.startswith("repeat:")


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ("FREQ=DAILY", "daily"),
        ("FREQ=WEEKLY;INTERVAL=2", "every 2 weeks"),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
        ("FREQ=WEEKLY;BYDAY=MO,TH", "every monday and thursday"),
        ("FREQ=MONTHLY;COUNT=3", "monthly, 3 times"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "FREQ=MONTHLY;BYMONTHDAY=15"),
    ],
)
def test_describe(rule, text):
    assert describe_rule(rule) == text


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_daily_0900_keeps_local_time_across_spring_forward():
    # the last Sunday of March 2026 is the 29th: 02:00 CET becomes 03:00 CEST
    due = datetime(2026, 3, 28, 9, 0, tzinfo=BERLIN)
    after = _at("2026-03-28T09:30:00+01:00")
    nxt, rule = next_occurrence("FREQ=DAILY", due.astimezone(UTC), False, after=after, zone=BERLIN)
    assert nxt.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 29, 9, 0)
    assert nxt == _at("2026-03-29T07:00:00Z")  # 09:00 CEST, one hour earlier in UTC than the day before
    assert rule == "FREQ=DAILY"


def test_daily_0900_keeps_local_time_across_fall_back():
    due = datetime(2026, 10, 24, 9, 0, tzinfo=BERLIN)
    nxt, _ = next_occurrence(
        "FREQ=DAILY", due.astimezone(UTC), False, after=_at("2026-10-24T10:00:00+02:00"), zone=BERLIN
    )
    assert nxt == _at("2026-10-25T08:00:00Z")  # 09:00 CET


def test_weekly_all_day_completed_late_keeps_its_weekday_and_skips_the_past():
    monday = datetime(2026, 3, 2, tzinfo=BERLIN)  # all-day: local midnight
    nxt, _ = next_occurrence(
        "FREQ=WEEKLY;BYDAY=MO",
        monday.astimezone(UTC),
        True,
        after=_at("2026-03-11T15:00:00+01:00"),
        zone=BERLIN,
    )
    assert nxt == datetime(2026, 3, 16, tzinfo=BERLIN).astimezone(UTC)


def test_all_day_completed_late_may_be_due_today_again():
    day = datetime(2026, 3, 9, tzinfo=BERLIN)
    nxt, _ = next_occurrence(
        "FREQ=DAILY", day.astimezone(UTC), True, after=_at("2026-03-11T15:00:00+01:00"), zone=BERLIN
    )
    assert nxt.astimezone(BERLIN).date().isoformat() == "2026-03-11"


def test_timed_completed_late_goes_to_the_first_future_occurrence():
    due = datetime(2026, 3, 9, 9, 0, tzinfo=BERLIN)
    before_nine = _at("2026-03-11T08:00:00+01:00")
    nxt, _ = next_occurrence("FREQ=DAILY", due.astimezone(UTC), False, after=before_nine, zone=BERLIN)
    assert nxt == datetime(2026, 3, 11, 9, 0, tzinfo=BERLIN).astimezone(UTC)
    after_nine = _at("2026-03-11T10:00:00+01:00")
    nxt, _ = next_occurrence("FREQ=DAILY", due.astimezone(UTC), False, after=after_nine, zone=BERLIN)
    assert nxt == datetime(2026, 3, 12, 9, 0, tzinfo=BERLIN).astimezone(UTC)


def test_completed_early_moves_on_by_one_occurrence():
    due = datetime(2026, 4, 1, tzinfo=BERLIN)
    after = _at("2026-03-20T12:00:00+01:00")
    nxt, _ = next_occurrence("FREQ=MONTHLY", due.astimezone(UTC), True, after=after, zone=BERLIN)
    assert nxt == datetime(2026, 5, 1, tzinfo=BERLIN).astimezone(UTC)


def test_count_counts_down_and_ends():
    zone = BERLIN
    due = datetime(2026, 3, 1, tzinfo=zone).astimezone(UTC)
    after = _at("2026-02-28T12:00:00+01:00")
    nxt, rule = next_occurrence("FREQ=DAILY;COUNT=3", due, True, after=after, zone=zone)
    assert rule == "FREQ=DAILY;COUNT=2"
    nxt, rule = next_occurrence(rule, nxt, True, after=after, zone=zone)
    assert rule == "FREQ=DAILY;COUNT=1"
    assert nxt == datetime(2026, 3, 3, tzinfo=zone).astimezone(UTC)
    assert next_occurrence(rule, nxt, True, after=after, zone=zone) is None


def test_count_uses_up_skipped_occurrences():
    due = datetime(2026, 3, 1, tzinfo=BERLIN).astimezone(UTC)
    nxt, rule = next_occurrence(
        "FREQ=DAILY;COUNT=10", due, True, after=_at("2026-03-05T12:00:00+01:00"), zone=BERLIN
    )
    assert nxt == datetime(2026, 3, 5, tzinfo=BERLIN).astimezone(UTC)
    assert rule == "FREQ=DAILY;COUNT=6"  # the 5th to the 10th


def test_until_ends_the_series():
    due = datetime(2026, 3, 2, tzinfo=BERLIN).astimezone(UTC)
    assert next_occurrence("FREQ=WEEKLY;UNTIL=20260305", due, True, after=due, zone=BERLIN) is None
