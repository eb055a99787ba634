"""Wayback backfill against a fake CDX + Wayback server on 127.0.0.1 (tests/fakewayback.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsarchive.archive import Archive
from newsarchive.errors import InputError, UsageError
from newsarchive.web.wayback import (
    Capture,
    cdx_query_url,
    parse_cdx,
    parse_timestamp_bound,
    resume_key_name,
    select_captures,
)
from tests.conftest import CliRun
from tests.fakewayback import FakeCapture, FakeWayback
from tests.test_warc import page

URL = "https://news.example/news/story-1"
EDITS = ["", "The cost rose to 45 million euros.", "The cost rose to 52 million euros.",
         "The cost rose to 52 million euros, the council said on Friday."]


def five_captures(url: str = URL, i: int = 1) -> list[FakeCapture]:
    """Five captures of a page, the 2nd and 3rd of the same payload (same digest)."""
    bodies = [page(i, edit=EDITS[0]), page(i, edit=EDITS[1]), page(i, edit=EDITS[1]),
              page(i, edit=EDITS[2]), page(i, edit=EDITS[3])]
    digests = ["AAAA", "BBBB", "BBBB", "CCCC", "DDDD"]
    return [FakeCapture(f"2024030{d + 1}100000", url, body, digest)
            for d, (body, digest) in enumerate(zip(bodies, digests, strict=True))]


@pytest.fixture
def wayback() -> Iterator[FakeWayback]:
    fake = FakeWayback(five_captures()).start()
    try:
        yield fake
    finally:
        fake.stop()


def log_of(cli: CliRun, ref: str = "story-1", **kw: Any) -> list[dict[str, Any]]:
    return [json.loads(x) for x in cli("log", ref, "--json", **kw).stdout.splitlines()]


@pytest.mark.slow
@pytest.mark.parametrize("form", ["json", "text", "ndjson", "cdxj"])
def test_five_captures_become_four_revisions_in_time_order(wayback: FakeWayback, cli: CliRun,
                                                           form: str) -> None:
    wayback.form = form
    r = cli("backfill", "--wayback-url", wayback.base, "--delay", "0", URL)
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [line.split()[0] for line in lines[:4]] == ["added", "revised", "revised", "revised"]
    assert lines[4] == (f"{URL}: 4 captures, 1 added, 3 revised, 0 inserted, 0 unchanged, 0 skipped, "
                        "0 failed")
    log = log_of(cli)
    assert [(x["revision"], x["captured_at"]) for x in log] == [
        (4, "2024-03-05T10:00:00Z"), (3, "2024-03-04T10:00:00Z"), (2, "2024-03-02T10:00:00Z"),
        (1, "2024-03-01T10:00:00Z")]
    assert log[0]["url"] == URL and log[0]["id"] == "news.example/2024-03-02/story-1"
    (cdx,) = wayback.cdx_requests
    assert "collapse=digest" in cdx and "output=json" in cdx and "from=" not in cdx
    assert wayback.capture_requests == [f"/web/2024030{d}100000id_/{URL}" for d in (1, 2, 4, 5)]
    # a second run asks the CDX API for what came after, fetches nothing, adds nothing
    again = cli("backfill", "--wayback-url", wayback.base, "--delay", "0", URL)
    assert again.exit_code == 0
    assert again.stdout == (f"{URL}: 0 captures after 20240305100000, 0 added, 0 revised, "
                            "0 inserted, 0 unchanged, 0 skipped, 0 failed\n")
    assert "from=20240305100000" in wayback.cdx_requests[1]
    assert len(wayback.capture_requests) == 4


def test_resume_key_and_idempotent_adds(wayback: FakeWayback, store: Path) -> None:
    """The key names the last capture dealt with; without it (a new catalog, say), a
    second run fetches again and every capture is unchanged."""
    with Archive(store) as archive:
        reports = archive.backfill([URL], wayback_url=wayback.base, delay=0,
                                   allow_private_networks=True)
        assert [(r.added, r.revised, r.unchanged) for r in reports] == [(1, 3, 0)]
        cat = archive.store.catalog(write=True)
        key = resume_key_name(wayback.base, URL)
        assert cat.get_validators(key) == ("20240305100000 DDDD", None)
        cat.put_validators(key, None, None)
        (again,) = archive.backfill([URL], wayback_url=wayback.base, delay=0)
        assert (again.captures, again.added, again.revised, again.unchanged) == (4, 0, 0, 4)
        assert again.resumed_from is None


def test_from_and_to(wayback: FakeWayback, cli: CliRun) -> None:
    r = cli("backfill", "--wayback-url", wayback.base, "--delay", "0", "--from", "2024-03-02",
            "--to", "20240304", URL)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[-1] == (f"{URL}: 2 captures, 1 added, 1 revised, 0 inserted, 0 unchanged, "
                                         "0 skipped, 0 failed")
    assert [x["captured_at"] for x in log_of(cli)] == ["2024-03-04T10:00:00Z",
                                                      "2024-03-02T10:00:00Z"]
    assert "from=20240302&to=20240304" in wayback.cdx_requests[0]
    # --from neither uses nor moves the resume key: a run without it starts at the start
    r = cli("backfill", "--wayback-url", wayback.base, "--delay", "0", "--to", "2024-03-01",
            URL)
    assert "1 captures," in r.stdout
    r = cli("backfill", "--wayback-url", wayback.base, "--delay", "0", URL)
    assert "captures after 20240301100000" in r.stdout.splitlines()[-1]


def test_all_backfills_every_archived_article(wayback: FakeWayback, cli: CliRun) -> None:
    other = "https://news.example/news/story-2"
    wayback.captures += five_captures(other, i=2)[:2]
    assert cli("backfill", "--wayback-url", wayback.base, "--delay", "0", URL).exit_code == 0
    empty = cli("backfill", "--all", "--wayback-url", wayback.base, "--delay", "0")
    assert empty.exit_code == 0 and "0 captures after" in empty.stdout
    r = cli("backfill", "--all", "--wayback-url", wayback.base, "--delay", "0", other,
            "--json")
    assert r.exit_code == 0, r.stderr
    reports = [json.loads(x) for x in r.stdout.splitlines()]
    assert [(x["url"], x["captures"], x["added"] + x["revised"]) for x in reports] == [
        (other, 2, 2), (URL, 0, 0)]


def test_politeness_delay_between_requests(wayback: FakeWayback, store: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """One request a second by default; the waits are recorded, not slept."""
    import newsarchive.web.fetch as fetch

    clock = [1000.0]
    waits: list[float] = []
    monkeypatch.setattr(fetch.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(fetch.time, "sleep", lambda s: (waits.append(s),
                                                        clock.__setitem__(0, clock[0] + s)))
    with Archive(store) as archive:
        (report,) = archive.backfill([URL], wayback_url=wayback.base,
                                     allow_private_networks=True)
    assert report.added + report.revised == 4
    assert waits == [1.0] * 4  # CDX, then 4 captures: each waits a second after the last


def test_failed_capture_is_retried_by_the_next_run(wayback: FakeWayback, cli: CliRun) -> None:
    wayback.fail["20240304100000"] = 500
    r = cli("backfill", "--wayback-url", wayback.base, "--delay", "0", URL)
    assert r.exit_code == 1
    assert r.stderr == f"error: {URL} at 20240304100000: HTTP 500 Internal Server Error\n"
    assert r.stdout.splitlines()[-1] == (f"{URL}: 4 captures, 1 added, 2 revised, 0 inserted, 0 unchanged, "
                                         "0 skipped, 1 failed")
    del wayback.fail["20240304100000"]
    r = cli("backfill", "--wayback-url", wayback.base, "--delay", "0", URL)
    assert r.exit_code == 0
    # the key stayed before the failure: that capture and the one after are fetched again
    assert r.stdout.splitlines()[-1] == (f"{URL}: 2 captures after 20240302100000, 0 added, "
                                         "0 revised, 1 inserted, 1 unchanged, 0 skipped, 0 failed")
    assert len(log_of(cli)) == 4


def test_too_many_requests_stops_the_run(wayback: FakeWayback, cli: CliRun) -> None:
    wayback.fail["20240302100000"] = 429
    other = "https://news.example/news/story-2"
    r = cli("backfill", "--wayback-url", wayback.base, "--delay", "0", URL, other)
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        f"error: {URL} at 20240302100000: HTTP 429 Too Many Requests",
        f"error: {other}: not tried (the Wayback Machine answered HTTP 429 Too Many Requests)"]
    assert len(wayback.capture_requests) == 2 and len(wayback.cdx_requests) == 1


def test_skipped_and_unreadable_captures(wayback: FakeWayback, cli: CliRun) -> None:
    wayback.captures.append(FakeCapture("20240306100000", URL, b"\x89PNG...", "EEEE",
                                        mimetype="image/png"))
    wayback.captures.append(FakeCapture("20240307100000", URL, b"<html><body></body></html>",
                                        "FFFF"))
    r = cli("backfill", "--wayback-url", wayback.base, "--delay", "0", URL)
    assert r.exit_code == 1
    assert r.stderr == (f"error: {URL} at 20240307100000: no article text found in the HTML\n")
    assert r.stdout.splitlines()[-1] == (f"{URL}: 5 captures, 1 added, 3 revised, 0 inserted, 0 unchanged, "
                                         "1 skipped, 1 failed")
    # a capture with no article is passed for good: the next run starts after it
    r = cli("backfill", "--wayback-url", wayback.base, "--delay", "0", URL)
    assert r.exit_code == 0 and "0 captures after 20240307100000" in r.stdout


def test_paged_cdx_answers(wayback: FakeWayback, cli: CliRun) -> None:
    wayback.page_size = 2
    r = cli("backfill", "--wayback-url", wayback.base, "--delay", "0", URL)
    assert r.exit_code == 0 and "4 captures, 1 added, 3 revised" in r.stdout
    assert len(wayback.cdx_requests) == 2 and "resumeKey=2" in wayback.cdx_requests[1]


@pytest.mark.slow
def test_config_wayback_url_and_a_process(wayback: FakeWayback, tmp_path: Path, proc: Any,
                                          cli: CliRun) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'wayback_url = "{wayback.base}/"\n')
    r = proc("--config", str(cfg), "backfill", "--delay", "0", "-q", URL)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"" and r.stderr == b""
    assert len(log_of(cli)) == 4
    r = proc("backfill", "--wayback-url", "ftp://x", URL)
    assert r.returncode == 2 and b"is not an http(s) URL" in r.stderr
    r = proc("backfill")
    assert r.returncode == 2 and b"give URLs to backfill, or --all" in r.stderr
    r = proc("backfill", "--from", "last tuesday", URL)
    assert r.returncode == 2 and b"--from: unreadable date 'last tuesday'" in r.stderr


def test_unreachable_wayback(cli: CliRun) -> None:
    r = cli("backfill", "--wayback-url", "http://127.0.0.1:9", "--delay", "0", URL)
    assert r.exit_code == 1
    assert r.stderr == f"error: {URL}: CDX: connection refused\n"


# -- the pieces --------------------------------------------------------------------------------

def test_parse_cdx_forms() -> None:
    json_body = json.dumps([
        ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"],
        ["org,example)/a", "20240301100000", "https://example.org/a", "text/html", "200", "A",
         "10"], [], ["KEY"]]).encode()
    text_body = (b"org,example)/a 20240301100000 https://example.org/a text/html 200 A 10\n"
                 b"\nKEY\n")
    ndjson = b'{"timestamp": "20240301100000", "url": "https://example.org/a", ' \
             b'"mime": "text/html", "status": "200", "digest": "A"}\n'
    cdxj = b'org,example)/a 20240301100000 {"url": "https://example.org/a", ' \
           b'"mime": "text/html", "status": "200", "digest": "A"}\n'
    want = Capture("20240301100000", "https://example.org/a", "text/html", "200", "A")
    assert parse_cdx(json_body) == ([want], "KEY")
    assert parse_cdx(text_body) == ([want], "KEY")
    assert parse_cdx(ndjson) == ([want], None)
    assert parse_cdx(cdxj) == ([want], None)
    assert parse_cdx(b"") == ([], None) and parse_cdx(b"[]") == ([], None)
    with pytest.raises(InputError, match="unreadable CDX line"):
        parse_cdx(b"what is this\n")
    with pytest.raises(InputError, match="not valid JSON"):
        parse_cdx(b"[[\"timestamp\"], [")


def test_select_captures_collapses_adjacent_digests_and_filters() -> None:
    rows = [Capture("20240101000000", "u", "text/html", "200", "A"),
            Capture("20240102000000", "u", "text/html", "200", "A"),
            Capture("20240103000000", "u", "text/html", "301", "B"),
            Capture("20240104000000", "u", "image/png", "200", "C"),
            Capture("20240105000000", "u", "text/html", "200", "A"),  # the page as kept
            Capture("20240106000000", "u", "text/html", "200", "B"),
            Capture("20240107000000", "u", "text/html", "200", "A"),  # a revert: kept
            Capture("20250101000000", "u", "text/html", "200", "D")]
    kept, skipped = select_captures(rows, since="2024", until="2024")
    assert [c.timestamp for c in kept] == ["20240101000000", "20240106000000", "20240107000000"]
    assert skipped == 2


def test_timestamp_bounds_and_query() -> None:
    assert parse_timestamp_bound("2024", "--from") == "2024"
    assert parse_timestamp_bound("2024-04-03", "--from") == "20240403"
    assert parse_timestamp_bound("2024-04-03T10:11:12Z", "--to") == "20240403101112"
    assert parse_timestamp_bound("20240403101112", "--to") == "20240403101112"
    with pytest.raises(UsageError):
        parse_timestamp_bound("03/04/2024", "--from")
    q = cdx_query_url("https://web.archive.org", "https://example.org/a?id=1", since="2024")
    assert q.startswith("https://web.archive.org/cdx/search/cdx?url=https%3A%2F%2Fexample.org"
                        "%2Fa%3Fid%3D1&output=json&collapse=digest&filter=statuscode%3A200")
    assert q.endswith("&from=2024")


# -- after issue 13 ----------------------------------------------------------------------------

def test_backfill_older_than_the_newest_revision(wayback: FakeWayback, cli: CliRun,
                                                 tmp_path: Path) -> None:
    """An article archived today, then its Wayback history: @1 is the oldest capture."""
    today = tmp_path / "today.html"
    today.write_bytes(page(1, edit="The cost rose to 60 million euros, the council said."))
    assert cli("add", str(today), "--url", URL, "--captured-at",
               "2025-01-01T00:00:00Z").exit_code == 0
    assert cli("backfill", "--wayback-url", wayback.base, "--delay", "0", URL).exit_code == 0
    log = log_of(cli)
    assert [x["captured_at"] for x in log] == [
        "2025-01-01T00:00:00Z", "2024-03-05T10:00:00Z", "2024-03-04T10:00:00Z",
        "2024-03-02T10:00:00Z", "2024-03-01T10:00:00Z"]
