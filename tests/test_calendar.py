"""Business-calendar arithmetic: examples a desk lead can check by hand, and properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.calendar import Calendar, parse_duration

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")

OFFICE = Calendar.from_config(
    "office",
    {
        "timezone": "Asia/Shanghai",
        "hours": {"mon-fri": ["09:00-12:00", "13:00-18:00"]},
        "holidays": ["2026-10-01..2026-10-07"],
        "workdays": ["2026-10-10"],
    },
)
# Berlin changes clocks on 2026-03-29 (02:00 → 03:00) and 2026-10-25 (03:00 → 02:00).
BERLIN_OFFICE = Calendar.from_config(
    "berlin", {"timezone": "Europe/Berlin", "hours": {"mon-fri": ["08:00-17:00"], "sat": "01:00-04:00"}}
)
ALWAYS = Calendar.from_config("always", {"timezone": "Europe/Berlin", "hours": {"mon-sun": ["00:00-24:00"]}})


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def test_durations_parse_and_refuse_garbage() -> None:
    assert parse_duration("15m").seconds == 900
    assert parse_duration("2d").seconds == 2 * 86400
    assert parse_duration("1.5h").seconds == 5400
    for bad in ("", "15", "m15", "3w", "-1h"):
        with pytest.raises(ValueError, match="invalid duration"):
            parse_duration(bad)


def test_a_working_day_is_the_calendars_day_not_24_hours() -> None:
    assert OFFICE.day_seconds == 8 * 3600
    assert OFFICE.business_seconds("1d") == 8 * 3600
    assert ALWAYS.business_seconds("1d") == 24 * 3600


def test_lunch_break_is_skipped() -> None:
    # 11:30 + 1h of work: 30 minutes before lunch, 30 after it.
    assert OFFICE.add(sh(2026, 11, 18, 11, 30), 3600) == sh(2026, 11, 18, 13, 30)


def test_friday_evening_rolls_to_monday() -> None:
    assert OFFICE.add(sh(2026, 11, 20, 17, 0), 2 * 3600) == sh(2026, 11, 23, 10, 0)


def test_weekend_start_counts_from_monday_morning() -> None:
    assert OFFICE.add(sh(2026, 11, 22, 13, 19), 15 * 60) == sh(2026, 11, 23, 9, 15)


def test_holidays_are_skipped_and_adjusted_weekend_workdays_count() -> None:
    # 30 Sep 17:00 + 2h: one hour on the 30th, then the Golden Week holiday, then Thu 8 Oct.
    assert OFFICE.add(sh(2026, 9, 30, 17, 0), 2 * 3600) == sh(2026, 10, 8, 10, 0)
    # Friday 9 Oct 17:00 + 2h: Saturday 10 Oct is an adjusted working day.
    assert OFFICE.add(sh(2026, 10, 9, 17, 0), 2 * 3600) == sh(2026, 10, 10, 10, 0)


def test_slot_boundaries_end_exactly_at_close() -> None:
    assert OFFICE.add(sh(2026, 11, 18, 9, 0), 3 * 3600) == sh(2026, 11, 18, 12, 0)
    assert OFFICE.is_open(sh(2026, 11, 18, 12, 0)) is False
    assert OFFICE.is_open(sh(2026, 11, 18, 13, 0)) is True
    assert OFFICE.next_open(sh(2026, 11, 18, 12, 0)) == sh(2026, 11, 18, 13, 0)


def test_dst_days_count_real_hours() -> None:
    # On the autumn change, a 24-hour slot is 25 real hours; in spring, 23.
    autumn = datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN)
    assert ALWAYS.elapsed(autumn, autumn.astimezone(UTC) + timedelta(hours=25)) == 25 * 3600
    assert ALWAYS.add(autumn, 25 * 3600).astimezone(BERLIN).date().isoformat() == "2026-10-26"
    spring = datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
    assert ALWAYS.add(spring, 23 * 3600).astimezone(BERLIN) == datetime(2026, 3, 30, 0, 0, tzinfo=BERLIN)
    # A slot inside the skipped hour (Saturday 01:00-04:00 on the spring change day) loses it.
    saturday = datetime(2026, 3, 28, 0, 0, tzinfo=BERLIN)
    assert BERLIN_OFFICE.elapsed(saturday, saturday + timedelta(days=1)) == 3 * 3600


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"timezone": "Mars/Olympus", "hours": {"mon": "09:00-10:00"}}, "unknown time zone"),
        ({"hours": {"funday": "09:00-10:00"}}, "unknown day"),
        ({"hours": {"mon": "10:00-09:00"}}, "invalid slot"),
        ({"hours": {"mon": ["09:00-12:00", "11:00-13:00"]}}, "overlap"),
        ({"hours": {"mon": []}}, "no working hours"),
        ({"hours": {"mon": "09:00-10:00"}, "holidays": ["2026-13-01"]}, "invalid date"),
    ],
)
def test_bad_calendars_are_refused_with_a_reason(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Calendar.from_config("bad", spec)


CALENDARS = [OFFICE, BERLIN_OFFICE, ALWAYS]
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
amounts = st.integers(min_value=0, max_value=30 * 8 * 3600)


@settings(max_examples=150, deadline=None)
@given(cal=st.sampled_from(CALENDARS), start=instants, seconds=amounts)
def test_elapsed_inverts_add(cal: Calendar, start: datetime, seconds: int) -> None:
    due = cal.add(start, seconds)
    assert due >= start
    assert cal.elapsed(start, due) == pytest.approx(seconds, abs=1e-6)


@settings(max_examples=150, deadline=None)
@given(cal=st.sampled_from(CALENDARS), start=instants, seconds=st.integers(min_value=1, max_value=10**6))
def test_a_due_time_lies_in_or_at_the_end_of_working_time(
    cal: Calendar, start: datetime, seconds: int
) -> None:
    due = cal.add(start, seconds)
    just_before = due - timedelta(microseconds=1)
    assert cal.is_open(just_before)


@settings(max_examples=100, deadline=None)
@given(cal=st.sampled_from(CALENDARS), start=instants, a=amounts, b=amounts)
def test_add_is_monotonic_and_composes(cal: Calendar, start: datetime, a: int, b: int) -> None:
    small, large = sorted((a, b))
    assert cal.add(start, small) <= cal.add(start, large)
    assert cal.add(cal.add(start, small), large - small) == cal.add(start, large)


@settings(max_examples=100, deadline=None)
@given(cal=st.sampled_from(CALENDARS), a=instants, b=instants, c=instants)
def test_elapsed_is_additive(cal: Calendar, a: datetime, b: datetime, c: datetime) -> None:
    x, y, z = sorted((a, b, c))
    assert cal.elapsed(x, z) == pytest.approx(cal.elapsed(x, y) + cal.elapsed(y, z), abs=1e-6)
