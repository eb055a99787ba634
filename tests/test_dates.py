"""Dates in filters: one parser, the same forms for every option, one meaning per option.

Every relative date is read against a fixed clock: no test depends on today's date.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newsarchive.errors import UsageError
from newsarchive.text.dates import FILTER_FORMS, Period, parse_period
from tests.conftest import CliRun

NOW = dt.datetime(2024, 4, 10, 15, 30, 12, tzinfo=dt.timezone.utc)


def clock() -> dt.datetime:
    return NOW


@pytest.mark.parametrize(("value", "first", "last"), [
    ("2024", "2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z"),
    ("2024-04", "2024-04-01T00:00:00Z", "2024-04-30T23:59:59Z"),
    ("2024-02", "2024-02-01T00:00:00Z", "2024-02-29T23:59:59Z"),
    ("2024-12", "2024-12-01T00:00:00Z", "2024-12-31T23:59:59Z"),
    ("2024-04-03", "2024-04-03T00:00:00Z", "2024-04-03T23:59:59Z"),
    ("20240403", "2024-04-03T00:00:00Z", "2024-04-03T23:59:59Z"),
    ("today", "2024-04-10T00:00:00Z", "2024-04-10T23:59:59Z"),
    ("yesterday", "2024-04-09T00:00:00Z", "2024-04-09T23:59:59Z"),
    ("Yesterday ", "2024-04-09T00:00:00Z", "2024-04-09T23:59:59Z"),
    ("now", "2024-04-10T15:30:12Z", "2024-04-10T15:30:12Z"),
    ("7d", "2024-04-03T15:30:12Z", "2024-04-03T15:30:12Z"),
    ("12h", "2024-04-10T03:30:12Z", "2024-04-10T03:30:12Z"),
    ("2w", "2024-03-27T15:30:12Z", "2024-03-27T15:30:12Z"),
    ("2 weeks ago", "2024-03-27T15:30:12Z", "2024-03-27T15:30:12Z"),
    ("3 days", "2024-04-07T15:30:12Z", "2024-04-07T15:30:12Z"),
    ("an hour ago", "2024-04-10T14:30:12Z", "2024-04-10T14:30:12Z"),
    ("1 month ago", "2024-03-10T15:30:12Z", "2024-03-10T15:30:12Z"),
    ("2 years ago", "2022-04-10T15:30:12Z", "2022-04-10T15:30:12Z"),
    ("2024-04-03T10:00Z", "2024-04-03T10:00:00Z", "2024-04-03T10:00:59Z"),
    ("2024-04-03T10:00:05Z", "2024-04-03T10:00:05Z", "2024-04-03T10:00:05Z"),
    ("2024-04-03 10:00:05+02:00", "2024-04-03T08:00:05Z", "2024-04-03T08:00:05Z"),
    ("2024-04-03T00:30:00-0100", "2024-04-03T01:30:00Z", "2024-04-03T01:30:00Z"),
    ("2024-04-03T10:00:05.250Z", "2024-04-03T10:00:05Z", "2024-04-03T10:00:05Z"),
    ("April 3, 2024", "2024-04-03T00:00:00Z", "2024-04-03T23:59:59Z"),
])
def test_every_form(value: str, first: str, last: str) -> None:
    p = parse_period(value, "--since", now=NOW)
    assert (p.first_second, p.last_second) == (first, last)
    assert (p.first_day, p.last_day) == (first[:10], last[:10])


def test_a_month_back_from_the_31st_lands_on_the_last_day() -> None:
    now = dt.datetime(2024, 3, 31, 12, 0)   # naive: UTC
    assert parse_period("1 month ago", "--since", now=now).first_second == "2024-02-29T12:00:00Z"


@pytest.mark.parametrize("value", ["", "foo", "2024-13", "2024-02-30", "7x", "yesterdayx",
                                   "0000", "-3d", "3 fortnights ago", "2024-04-03T25:00Z"])
def test_anything_else_is_a_usage_error_naming_the_option_and_the_forms(value: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_period(value, "--until", now=NOW)
    assert str(err.value).startswith(f"--until: unreadable date {value.strip()!r}")
    assert FILTER_FORMS in str(err.value)


def test_digits_name_the_whole_period_for_the_wayback_machine() -> None:
    assert parse_period("2024-04", "--from", now=NOW).digits() == "202404"
    assert parse_period("2024-04-03", "--to", now=NOW).digits(end=True) == "20240403"
    assert parse_period("7d", "--from", now=NOW).digits() == "20240403153012"


@given(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)))
def test_iso_days_and_months_round_trip(when: dt.datetime) -> None:
    day = parse_period(when.date().isoformat(), "--since", now=NOW)
    assert day == Period(dt.datetime.combine(when.date(), dt.time()),
                         dt.datetime.combine(when.date(), dt.time(23, 59, 59)))
    month = parse_period(when.strftime("%Y-%m"), "--since", now=NOW)
    assert month.start.day == 1 and month.start <= day.start and day.end <= month.end
    assert (month.end + dt.timedelta(seconds=1)).day == 1


# -- through the archive and the CLI ------------------------------------------------------------

EARLY = """title: Storm warning for the coast
source: coastal
date: 2024-01-05
url: https://coastal.example/news/storm-warning
captured_at: 2024-01-05T08:00:00Z

The weather service warned of a storm on the coast on Friday.
"""
LATE = EARLY.replace("captured_at: 2024-01-05T08:00:00Z", "captured_at: 2024-04-09T10:00:00Z") \
    .replace("on Friday.", "on Friday and Saturday.")


@pytest.fixture
def published_in_january_revised_in_april(cli: CliRun, tmp_path: Path) -> None:
    for n, text in enumerate((EARLY, LATE)):
        path = tmp_path / f"storm.{n}.txt"
        path.write_text(text)
        assert cli("add", str(path)).exit_code == 0


def ids(output: str) -> list[str]:
    return [json.loads(line).get("id") or json.loads(line)["article"]
            for line in output.splitlines() if line.strip()]


@pytest.mark.usefixtures("published_in_january_revised_in_april")
def test_since_is_the_publication_date_for_list_search_export_the_capture_for_changes(
        cli: CliRun) -> None:
    art = "coastal/2024-01-05/storm-warning"
    for since, published in (("2024-04", False), ("2024-01", True), ("2024", True),
                             ("2024-01-05T00:00Z", True), ("20240106", False)):
        want = [art] if published else []
        assert ids(cli("list", "--since", since, "--json").stdout) == want, since
        assert ids(cli("search", "storm", "--since", since, "--json").stdout) == want, since
        assert {r["id"] for r in map(json.loads, cli("export", "--since", since)
                                     .stdout.splitlines())} == set(want), since
    # the revision captured in April is a change since April; none was captured in January
    # after the first
    assert [json.loads(x)["revision"] for x in cli("changes", "--since", "2024-04",
                                                   "--json").stdout.splitlines()] == [2]
    assert cli("changes", "--until", "2024-01", "--json").stdout == ""
    assert cli("changes", "--since", "2024-04-09T10:00:01Z", "--json").stdout == ""
    assert cli("changes", "--until", "2024-04-09T10:00Z", "--json").stdout.count("\n") == 1


@pytest.mark.usefixtures("published_in_january_revised_in_april")
def test_relative_dates_count_back_from_the_archives_clock(store: Path) -> None:
    import newsarchive

    with newsarchive.open(store, clock=clock) as archive:   # "now" is 2024-04-10 15:30
        assert [c.revision.number for c in archive.changes(since="yesterday")] == [2]
        assert [c.revision.number for c in archive.changes(since="2 days ago")] == [2]
        assert archive.changes(since="today") == []
        assert archive.changes(until="2 weeks ago") == []
        assert [a.id for a in archive.articles(since="100d")] == [
            "coastal/2024-01-05/storm-warning"]
        assert archive.articles(since="7d") == []   # published in January
        with pytest.raises(UsageError, match="--since: unreadable date 'soon'"):
            archive.articles(since="soon")


@pytest.mark.parametrize(("command", "what"), [
    ("list", "articles published"), ("search", "articles published"),
    ("export", "articles published"), ("changes", "revisions captured")])
def test_each_help_says_what_its_dates_bound(cli: CliRun, command: str, what: str) -> None:
    text = " ".join(cli(command, "--help").stdout.split())
    assert f"--since DATE Only {what} on or after DATE (2024-04-03, 2024-04, yesterday, " \
           f"7d, 2 weeks ago" in text
    assert f"--until DATE Only {what} on or before DATE" in text


def test_backfill_takes_the_same_forms(cli: CliRun) -> None:
    text = " ".join(cli("backfill", "--help").stdout.split())
    assert "--from DATE Only captures on or after DATE (2024-04-03, 2024-04, yesterday" in text
    r = cli("backfill", "--from", "whenever", "https://news.example/a")
    assert r.exit_code == 2 and r.stderr.startswith("error: --from: unreadable date 'whenever'")


@pytest.mark.usefixtures("published_in_january_revised_in_april")
def test_a_bad_date_is_one_line_and_exit_2(cli: CliRun) -> None:
    for command in (["list"], ["search", "x"], ["export"], ["changes"]):
        r = cli(*command, "--since", "last tuesday")
        assert r.exit_code == 2, command
        assert r.stderr.startswith("error: --since: unreadable date 'last tuesday' (use ")
        assert r.stderr.count("\n") == 1
