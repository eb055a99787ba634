"""Dates and capture times: parsing every common form, and "now" in UTC."""

from __future__ import annotations

import datetime as dt
import re

from newsarchive.errors import InputError

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
    from dateutil import parser as dateparser

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
