"""Dates and capture times: parsing every common form, and "now" in UTC; and the dates of
filters (:func:`parse_period`), which every date option of every command reads alike."""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from newsarchive.errors import InputError, UsageError

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_precise() -> str:
    """UTC now with microseconds: orders the records of successive adds (see reindex)."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_date(value: str, origin: str) -> str:
    """Any common date form -> ``YYYY-MM-DD``."""
    value = value.strip()
    if DATE_RE.match(value):
        try:
            dt.date.fromisoformat(value)
            return value
        except ValueError:
            pass
    parsed = _parse_datetime(value, origin, "date")
    return parsed.date().isoformat()


def parse_timestamp(value: str, origin: str) -> str:
    """Any common date-time form -> UTC ``YYYY-MM-DDTHH:MM:SSZ`` (naive means UTC)."""
    value = value.strip()
    try:  # the common case (ISO 8601, as export writes it) without dateutil
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = _parse_datetime(value, origin, "capture time")
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
        except OverflowError as err:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise InputError(origin, f"capture time {value!r} is out of range") from err
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_datetime(value: str, origin: str, what: str) -> dt.datetime:
    from dateutil import parser as dateparser  # free-form dates only: start-up time

    try:
        # parsed twice with different defaults: a part the value lacks shows as a difference
        # ("1" or "00:00" would otherwise be filed under 2000-01-01)
        parsed: dt.datetime | None = dateparser.parse(value, default=dt.datetime(2000, 1, 1))
        other = dateparser.parse(value, default=dt.datetime(2001, 2, 2))
    except (ValueError, OverflowError, TypeError) as err:
        raise InputError(origin, f"unreadable {what} {value!r} (try YYYY-MM-DD)") from err
    if parsed is None or not 1 <= parsed.year <= 9999:
        raise InputError(origin, f"unreadable {what} {value!r} (try YYYY-MM-DD)")
    if other is None or parsed.date() != other.date():
        raise InputError(origin, f"{what} {value!r} lacks a year, month or day (try YYYY-MM-DD)")
    return parsed


# -- dates in filters ------------------------------------------------------------------------

#: The forms every date option of a filter takes (``--since``, ``--until``, ``--from``...).
FILTER_FORMS = ("2024-04-03, 2024-04, 2024, today, yesterday, 7d, 12h, 2w, "
                "2 weeks ago, or an ISO time (2024-04-03T10:00Z); UTC")

_UNITS = {"second": dt.timedelta(seconds=1), "minute": dt.timedelta(minutes=1),
          "hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1),
          "week": dt.timedelta(weeks=1)}
_SHORT = {"h": "hour", "d": "day", "w": "week"}
_AGO = re.compile(r"^(\d+|an?|one)\s*(second|minute|hour|day|week|month|year)s?(?:\s+ago)?$")
_SHORT_AGO = re.compile(r"^(\d+)\s*([hdw])$")
_ISO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(:\d{2})?(?:\.\d+)?"
                       r"(Z|[+-]\d{2}:?\d{2})?$")
_DIGITS = {4: "%Y", 6: "%Y%m", 8: "%Y%m%d", 10: "%Y%m%d%H", 12: "%Y%m%d%H%M",
           14: "%Y%m%d%H%M%S"}
_STEP = {4: "year", 6: "month", 8: "day", 10: "hour", 12: "minute", 14: "second"}


class Period(NamedTuple):  # not a dataclass: read commands define it at start-up
    """What a date in a filter stands for: a span of time in UTC, from ``start`` to
    ``end`` (its last second), both naive datetimes in UTC. A day is a day; a month a
    month; "7d" or an ISO time to the second is an instant (``start == end``)."""

    start: dt.datetime
    end: dt.datetime

    @property
    def first_day(self) -> str:
        return self.start.date().isoformat()

    @property
    def last_day(self) -> str:
        return self.end.date().isoformat()

    @property
    def first_second(self) -> str:
        return self.start.strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def last_second(self) -> str:
        return self.end.strftime("%Y-%m-%dT%H:%M:%SZ")

    def digits(self, end: bool = False) -> str:
        """As digits (the Wayback Machine's form): ``2024``, ``202404``, ``20240403``...
        when the period is that whole year, month, day, hour or minute; else the 14
        digits of its start (``end``: of its end)."""
        for n, unit in _STEP.items():
            if n < 14 and _span(self.start, unit) == self:
                return self.start.strftime(_DIGITS[n])
        return (self.end if end else self.start).strftime(_DIGITS[14])


def utc_now() -> dt.datetime:
    """The clock of the filters (callers pass their own ``now`` to parse against)."""
    return dt.datetime.now(dt.timezone.utc)


def _span(start: dt.datetime, unit: str) -> Period:
    """The period of ``unit`` (year, month, day, hour, minute, second) starting at start."""
    if unit == "year" and start.year == 9999:
        return Period(start, start.replace(month=12, day=31, hour=23, minute=59, second=59))
    if unit == "year":
        end = start.replace(year=start.year + 1)
    elif unit == "month":
        if start.month == 12 and start.year == 9999:
            return Period(start, start.replace(day=31, hour=23, minute=59, second=59))
        end = (start.replace(year=start.year + 1, month=1) if start.month == 12
               else start.replace(month=start.month + 1))
    else:
        end = start + (_UNITS[unit] if unit in _UNITS else dt.timedelta(seconds=1))
    return Period(start, max(start, end.replace(microsecond=0) - dt.timedelta(seconds=1)))


def _months_back(when: dt.datetime, months: int) -> dt.datetime:
    index = when.year * 12 + when.month - 1 - months
    year, month = divmod(index, 12)
    if year < 1:
        raise OverflowError
    for day in range(when.day, 27, -1):   # 31 March less one month: 29 February
        try:
            return when.replace(year=year, month=month + 1, day=day)
        except ValueError:
            continue
    return when.replace(year=year, month=month + 1, day=min(when.day, 28))


def _ago(count: int, unit: str, now: dt.datetime) -> dt.datetime:
    if unit == "month":
        return _months_back(now, count)
    if unit == "year":
        return _months_back(now, 12 * count)
    return now - count * _UNITS[unit]


def parse_period(value: str, option: str, *, now: dt.datetime | None = None) -> Period:
    """A date of a filter in any of :data:`FILTER_FORMS`, as the :class:`Period` it
    stands for; ``now`` (aware, or naive in UTC) for the relative forms, else the
    clock. UsageError, naming ``option``, for anything else."""
    text = " ".join(value.strip().lower().split())
    if now is None:
        now = utc_now()
    if now.tzinfo is not None:
        now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
    now = now.replace(microsecond=0)
    try:
        if text in ("today", "yesterday"):
            day = dt.datetime.combine(now.date(), dt.time())
            return _span(day - dt.timedelta(days=text == "yesterday"), "day")
        if text == "now":
            return Period(now, now)
        m = _SHORT_AGO.match(text) or _AGO.match(text)
        if m:
            count = int(m.group(1)) if m.group(1).isdigit() else 1
            when = _ago(count, _SHORT.get(m.group(2), m.group(2)), now)
            return Period(when, when)
        plain = text.replace("-", "")
        if re.fullmatch(r"\d{4}(?:-\d{2}(?:-\d{2})?)?", text) or (
                text.isdigit() and len(text) in _DIGITS):
            start = dt.datetime.strptime(plain, _DIGITS[len(plain)])
            return _span(start, _STEP[len(plain)])
        m = _ISO_TIME.match(value.strip())
        if m:
            date, hm, seconds, zone = m.groups()
            zone = (zone or "Z").replace("Z", "+00:00")
            if ":" not in zone:
                zone = zone[:3] + ":" + zone[3:]
            when = dt.datetime.fromisoformat(f"{date}T{hm}{seconds or ':00'}{zone}")
            when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
            return _span(when, "second" if seconds else "minute")
        if not re.search(r"\d", text):
            raise ValueError(text)
        day = _parse_datetime(value.strip(), option, "date")   # "April 3, 2024", "3.4.2024"
        return _span(dt.datetime.combine(day.date(), dt.time()), "day")
    except (ValueError, OverflowError, InputError):
        raise UsageError(f"{option}: unreadable date {value.strip()!r} (use {FILTER_FORMS})"
                         ) from None
