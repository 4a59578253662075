"""Business calendars and durations: the arithmetic SLA clocks run on.

A calendar is a time zone, working slots per weekday (several a day; ``24:00`` closes at the next
midnight), holidays (dates or ``start..end`` ranges) and extra working days (China's adjusted
weekends, which use Monday's slots). All arithmetic is done on the real instants of each local
slot, so DST changes and slot boundaries come out right: a slot from 09:00 to 18:00 on a day the
clocks go back is nine real hours, a ``00:00-24:00`` slot on that day is twenty-five.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Calendar", "Duration", "parse_duration"]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")
_SLOT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Far enough for any SLA target, small enough that a calendar that never opens fails fast.
_MAX_DAYS = 3 * 366


@dataclass(frozen=True, slots=True)
class Duration:
    """A configured duration such as ``15m`` or ``2d``.

    In business time, ``d`` means working days of the calendar (its average working-day
    length), so ``1d`` on a 09:00-18:00 calendar with a lunch hour is eight working hours.
    """

    amount: float
    unit: str

    @property
    def seconds(self) -> float:
        """Wall-clock length (``1d`` is 24 hours)."""
        return self.amount * _UNIT_SECONDS[self.unit]

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount}{self.unit}"


def parse_duration(text: str) -> Duration:
    """Parse ``15s``, ``30m``, ``4h`` or ``2d``.

    Raises:
        ValueError: naming the text, for anything else.
    """
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"invalid duration {text!r}; use a number and s, m, h or d, e.g. 30m")
    return Duration(float(match.group(1)), match.group(2))


def _parse_days(key: str) -> list[int]:
    days: list[int] = []
    for part in key.lower().split(","):
        part = part.strip()
        if "-" in part:
            first, _, last = part.partition("-")
            if first not in _DAYS or last not in _DAYS:
                raise ValueError(f"unknown day range {part!r}; use e.g. mon-fri")
            a, b = _DAYS.index(first), _DAYS.index(last)
            days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        elif part in _DAYS:
            days.append(_DAYS.index(part))
        else:
            raise ValueError(f"unknown day {part!r}; use mon, tue, wed, thu, fri, sat or sun")
    return days


def _parse_slot(text: str) -> tuple[int, int]:
    match = _SLOT.match(str(text))
    if not match:
        raise ValueError(f"invalid slot {text!r}; use HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > 24 * 60 or end <= start:
        raise ValueError(f"invalid slot {text!r}; the end must follow the start, at most 24:00")
    return start, end


def _parse_dates(items: Any, what: str) -> frozenset[date]:
    if items is None:
        return frozenset()
    if not isinstance(items, list):
        raise ValueError(f"{what} must be a list of dates")
    out: set[date] = set()
    for item in items:
        text = item.isoformat() if isinstance(item, date) else str(item)
        try:
            if ".." in text:
                first, last = (date.fromisoformat(t.strip()) for t in text.split("..", 1))
                if last < first:
                    raise ValueError
                out.update(first + timedelta(days=i) for i in range((last - first).days + 1))
            else:
                out.add(date.fromisoformat(text.strip()))
        except ValueError:
            raise ValueError(
                f"invalid date {text!r} in {what}; use YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD"
            ) from None
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class Calendar:
    """Working time in one time zone. Build with :meth:`from_config`.

    Invariants: each weekday's slots are sorted and disjoint; the week has some working time.
    """

    name: str
    tz: ZoneInfo
    week: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    @classmethod
    def from_config(cls, name: str, spec: Mapping[str, Any]) -> Calendar:
        """Build from the ``calendars.<name>`` mapping of ``config.yml``.

        Raises:
            ValueError: with a message naming what is wrong.
        """
        if not isinstance(spec, Mapping):
            raise ValueError("a calendar is a mapping with timezone, hours and holidays")
        unknown = set(spec) - {"timezone", "hours", "holidays", "workdays"}
        if unknown:
            raise ValueError(f"unknown key {sorted(unknown)[0]!r}")
        try:
            tz = ZoneInfo(str(spec.get("timezone", "UTC")))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {spec.get('timezone')!r}") from None
        hours = spec.get("hours")
        if not isinstance(hours, Mapping) or not hours:
            raise ValueError("hours must map days (e.g. mon-fri) to slots (e.g. ['09:00-18:00'])")
        week: list[tuple[tuple[int, int], ...]] = [()] * 7
        for key, slots in hours.items():
            if isinstance(slots, str):
                slots = [slots]
            parsed = tuple(sorted(_parse_slot(s) for s in slots or ()))
            for (_, end), (start, _) in itertools.pairwise(parsed):
                if start < end:
                    raise ValueError(f"slots overlap on {key}")
            for day in _parse_days(str(key)):
                week[day] = parsed
        if not any(week):
            raise ValueError("the calendar has no working hours")
        return cls(
            name,
            tz,
            tuple(week),
            _parse_dates(spec.get("holidays"), "holidays"),
            _parse_dates(spec.get("workdays"), "workdays"),
        )

    @property
    def day_seconds(self) -> float:
        """The average working-day length: what ``1d`` of business time means here."""
        days = [sum(e - s for s, e in slots) for slots in self.week if slots]
        return 60.0 * sum(days) / len(days)

    def business_seconds(self, duration: Duration | str) -> float:
        """Convert a configured duration to business seconds on this calendar."""
        d = parse_duration(duration) if isinstance(duration, str) else duration
        return d.amount * self.day_seconds if d.unit == "d" else d.seconds

    def _slots_on(self, day: date) -> tuple[tuple[int, int], ...]:
        if day in self.holidays:
            return ()
        if day in self.workdays and not self.week[day.weekday()]:
            return self.week[0] or next(s for s in self.week if s)
        return self.week[day.weekday()]

    def _instant(self, day: date, minute: int) -> datetime:
        local = datetime.combine(day + timedelta(days=minute // 1440), time(), tzinfo=self.tz)
        local = local.replace(hour=(minute % 1440) // 60, minute=minute % 60)
        return local.astimezone(UTC)

    def intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC, half-open) that end after ``start``, in order, for ``_MAX_DAYS``."""
        _require_aware(start)
        day = start.astimezone(self.tz).date() - timedelta(days=1)
        for _ in range(_MAX_DAYS):
            for s, e in self._slots_on(day):
                a, b = self._instant(day, s), self._instant(day, e)
                if b > start and b > a:  # b <= a only inside a DST gap
                    yield max(a, start), b
            day += timedelta(days=1)

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` falls inside working time."""
        for a, _ in self.intervals(at):
            return a <= at
        return False

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself if open, else the start of the next working interval."""
        for a, _ in self.intervals(at):
            return a
        raise ValueError(f"calendar {self.name!r} has no working time after {at.isoformat()}")

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant when ``seconds`` of working time have passed after ``start``.

        Raises:
            ValueError: if the calendar does not open again within three years.
        """
        remaining = timedelta(seconds=seconds)
        if remaining <= timedelta(0):
            return start
        for a, b in self.intervals(start):
            if remaining <= b - a:
                return a + remaining
            remaining -= b - a
        raise ValueError(f"calendar {self.name!r} has too little working time after {start.isoformat()}")

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Working seconds between two instants (0 if ``end`` is not after ``start``)."""
        _require_aware(end)
        if end <= start:
            return 0.0
        total = timedelta(0)
        for a, b in self.intervals(start):
            if a >= end:
                break
            total += min(b, end) - a
        return total.total_seconds()


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("business-time arithmetic needs aware datetimes")
