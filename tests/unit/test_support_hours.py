"""Business time for SLAs: targets counted in ``[support] hours``, its time zone and holidays; the settings'
checks."""

from datetime import UTC, datetime

import pytest

from tinycrm.config.base import Bad
from tinycrm.config.support import Sla, Support
from tinycrm.services.support import hours

BERLIN = Support(hours="mon-fri 09:00-17:00", timezone="Europe/Berlin", holidays=["2026-12-25"])


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        # Friday 16:00 Berlin + 2h: 1h on Friday, 1h on Monday
        ("2026-12-04T16:00:00+01:00", 120, "2026-12-07T10:00:00+01:00"),
        # Saturday: the clock starts on Monday at 09:00
        ("2026-12-05T03:00:00+01:00", 60, "2026-12-07T10:00:00+01:00"),
        # before opening on a weekday
        ("2026-12-07T07:30:00+01:00", 30, "2026-12-07T09:30:00+01:00"),
        # within one day
        ("2026-12-07T09:15:00+01:00", 8 * 60 - 15, "2026-12-07T17:00:00+01:00"),
        # Christmas Day is a holiday: Thursday 24th 16:00 + 2h ends on Monday 28th (Sat/Sun closed, Fri holiday)
        ("2026-12-24T16:00:00+01:00", 120, "2026-12-28T10:00:00+01:00"),
        # across the change to summer time (29 March 2026): still 09:00 local
        ("2026-03-27T16:30:00+01:00", 60, "2026-03-30T09:30:00+02:00"),
    ],
)
def test_add_counts_only_business_time(start, minutes, due):
    cal = hours.Calendar.of(BERLIN)
    assert hours.add(utc(start), minutes, cal) == utc(due)
    assert hours.between(utc(start), utc(due), cal) == minutes


def test_between_is_zero_outside_hours_and_backwards():
    cal = hours.Calendar.of(BERLIN)
    assert hours.between(utc("2026-12-05T10:00:00+01:00"), utc("2026-12-06T20:00:00+01:00"), cal) == 0
    assert hours.between(utc("2026-12-07T12:00:00+01:00"), utc("2026-12-07T10:00:00+01:00"), cal) == 0


def test_several_spans_a_day():
    cal = hours.Calendar.of(Support(hours="mon-fri 09:00-12:00, mon-fri 13:00-17:00", timezone="UTC"))
    assert hours.add(utc("2026-12-07T11:00:00+00:00"), 120, cal) == utc("2026-12-07T14:00:00+00:00")


def test_sla_defaults_and_durations():
    sla = Sla(urgent={"first_response": "30m", "resolution": "1h30m"})
    assert sla.minutes("urgent", "first_response") == 30
    assert sla.minutes("urgent", "resolution") == 90
    assert sla.minutes("normal", "first_response") == 8 * 60


@pytest.mark.parametrize(
    ("section", "values", "word"),
    [
        (Support, {"hours": "weekdays 9-5"}, "mon-fri"),
        (Support, {"hours": "mon-fri 17:00-09:00"}, "ends before"),
        (Support, {"timezone": "Mars/Olympus"}, "time zone"),
        (Support, {"holidays": ["christmas"]}, "dates"),
        (Support, {"address": ["not an address"]}, "e-mail"),
        (Sla, {"urgent": {"first_response": "soon"}}, "duration"),
        (Sla, {"urgent": {"first_reply": "1h"}}, "first_reply"),
    ],
)
def test_bad_settings_say_what_is_allowed(section, values, word):
    with pytest.raises(Bad) as exc:
        section(**values)
    assert word in exc.value.message
