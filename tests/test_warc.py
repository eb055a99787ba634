"""WARC and WACZ import, WARC export: real WARC files written by warcio's own tools.

The captures are made with ``warcio.capture_http`` against the loopback test server
(only 127.0.0.1 is ever contacted); revisits and damaged files are written with warcio's
record builder or by cutting real files.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import threading
import tracemalloc
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.capture_http import capture_http
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsarchive.archive import Archive
from newsarchive.errors import InputError
from newsarchive.ingest.warc import REVISION_METADATA_TYPE, WarcCounts, read_warcs
from newsarchive.model import Draft
from newsarchive.text.urls import canonical_url
from tests.conftest import EXAMPLES, CliRun
from tests.httpserver import Route, TestServer

PARAGRAPHS = [
    "The city council voted on Tuesday to expand the harbour, after months of debate "
    "among residents, fishermen and the owners of the shops along the quay.",
    "Officials said the work would begin in the spring and take about two years, at a "
    "cost the council put at forty million euros, most of it borrowed.",
    "Opponents argued that the plan would damage the wetlands north of the port, where "
    "thousands of birds stop every autumn, and called for an independent review.",
    "The mayor said the review had been done and that the wetlands would be protected by "
    "a new sea wall, to be built before any dredging starts.",
]


def page(i: int, edit: str = "", dated: bool = True, title: str | None = None) -> bytes:
    """A realistic article page: metadata, navigation, the article, a footer."""
    meta = (f'<meta property="article:published_time" content="2024-03-{1 + i % 9:02d}'
            'T08:00:00Z">') if dated else ""
    paras = "".join(f"<p>{p} (Story {i}.)</p>" for p in PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{title or f"Harbour story number {i}"} | The Local Gazette</title>
{meta}<link rel="canonical" href="/news/story-{i}">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article><h1>{title or f"Harbour story number {i}"}</h1>
{paras}<p>{edit or "The council will meet again next month."}</p></article>
<footer>The Local Gazette. All rights reserved.</footer>
</body></html>""".encode()


def set_dates(dates: Iterator[str]) -> Callable[..., Any]:
    """A capture_http filter giving each request/response pair the next WARC-Date."""
    def filter_records(request: Any, response: Any, recorder: Any) -> tuple[Any, Any]:
        when = next(dates)
        response.rec_headers.replace_header("WARC-Date", when)
        request.rec_headers.replace_header("WARC-Date", when)
        return request, response

    return filter_records


_CAPTURE_LOCK = threading.Lock()  # capture_http patches http.client for the process


def capture(server: TestServer, path: Path, rounds: list[dict[str, bytes]],
            dates: list[str], *, gzip_records: bool = True,
            types: dict[str, str] | None = None, statuses: dict[str, int] | None = None) -> None:
    """Fetch every path of each round through warcio.capture_http, writing a WARC."""
    when = iter(dates)
    with _CAPTURE_LOCK, open(path, "wb") as f:
        writer = WARCWriter(f, gzip=gzip_records)
        with capture_http(writer, set_dates(when)):
            for pages in rounds:
                for route, body in pages.items():
                    server.routes[route] = Route(
                        body=body, status=(statuses or {}).get(route, 200),
                        content_type=(types or {}).get(route, "text/html; charset=utf-8"))
                    try:
                        urllib.request.urlopen(server.url(route)).read()
                    except urllib.error.HTTPError:
                        pass


def ten_pages_three_times(server: TestServer, path: Path) -> list[list[str]]:
    """The issue's WARC: 3 captures each of 10 pages, page 3 edited after the first.
    Returns the capture dates of each round (one WARC-Date a page)."""
    dates = [[f"2024-03-{10 + r:02d}T09:{i:02d}:00Z" for i in range(10)] for r in range(3)]
    rounds = [{f"/news/story-{i}": page(i, edit="The council put the cost at 52 million "
                                               "euros on Wednesday." if (i == 3 and r > 0)
                                       else "") for i in range(10)} for r in range(3)]
    capture(server, path, rounds, [d for ds in dates for d in ds])
    return dates


# -- import ------------------------------------------------------------------------------------

def test_capture_http_warc_imports_as_ten_articles(http_server: TestServer, tmp_path: Path,
                                                   cli: CliRun) -> None:
    warc = tmp_path / "crawl.warc.gz"
    dates = ten_pages_three_times(http_server, warc)
    r = cli("import", str(warc))
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ("imported: 10 added, 1 revised, 0 inserted, 19 unchanged, 0 failed; 30 HTML "
                        "captures, 0 records skipped, 30 other records\n")
    articles = json.loads("[" + ",".join(cli("list", "--json").stdout.split("\n")[:-1]) + "]")
    assert len(articles) == 10
    counts = {a["slug"]: a["revisions"] for a in articles}
    assert counts == {f"story-{i}": 2 if i == 3 else 1 for i in range(10)}
    log = [json.loads(line) for line in cli("log", "story-3", "--json").stdout.splitlines()]
    assert [(x["revision"], x["captured_at"]) for x in log] == [(2, dates[1][3]),
                                                                (1, dates[0][3])]
    assert canonical_url(log[1]["url"]) == f"https://127.0.0.1:{http_server.port}/news/story-3"
    assert "52 million" in cli("show", "story-3").stdout
    assert cli("show", "story-3@1", "--original").stdout.encode() == page(3)
    first = [a for a in articles if a["slug"] == "story-0"][0]
    assert first["captured_at"] == first["first_captured"] == dates[0][0]
    # a second import adds nothing
    again = cli("import", str(warc))
    assert again.exit_code == 0
    assert again.stderr.startswith("imported: 0 added, 0 revised, 0 inserted, 30 unchanged, 0 failed;")
    assert cli("stats", "--json").stdout.count('"revisions": 11')


def test_original_and_type_are_the_payload_as_served(http_server: TestServer,
                                                     tmp_path: Path) -> None:
    """The original is the HTTP payload with its content coding removed; its type is the
    Content-Type as sent."""
    warc = tmp_path / "gz.warc.gz"
    body = page(1)
    http_server.routes["/news/story-1"] = Route(
        body=gzip.compress(body), headers={"Content-Encoding": "gzip"},
        content_type="text/html; charset=ISO-8859-1")
    with _CAPTURE_LOCK, open(warc, "wb") as f:
        with capture_http(WARCWriter(f, gzip=True), set_dates(iter(["2024-05-01T10:00:00Z"]))):
            urllib.request.urlopen(http_server.url("/news/story-1")).read()
    with Archive(tmp_path / "store") as archive:
        (result,) = list(archive.import_warc([warc]))
        assert result.status == "added"
        data, media = archive.original(result.revision.ref)
    assert data == body and media == "text/html; charset=ISO-8859-1"
    assert result.revision.captured_at == "2024-05-01T10:00:00Z"


def test_non_html_records_are_counted_and_skipped(http_server: TestServer, tmp_path: Path,
                                                  cli: CliRun) -> None:
    warc = tmp_path / "mixed.warc.gz"
    capture(http_server, warc, [{
        "/news/story-1": page(1), "/logo.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 500,
        "/style.css": b"body { color: red }", "/gone": page(2), "/feed.json": b"{}",
    }], ["2024-05-01T10:00:00Z"] * 5,
        types={"/logo.png": "image/png", "/style.css": "text/css",
               "/feed.json": "application/json"}, statuses={"/gone": 404})
    r = cli("import", str(warc))
    assert r.exit_code == 0, r.stderr
    assert r.stderr == ("imported: 1 added, 0 revised, 0 inserted, 0 unchanged, 0 failed; 1 HTML captures, "
                        "4 records skipped (3 not HTML, 1 HTTP 404), 5 other records\n")


def _revisit_warc(path: Path, base: str) -> None:
    """A, B, then a revisit of A (by URI and date), a revisit of A by digest only (from
    another URL), and a revisit of a record that is not in the file."""
    a, b = page(5), page(5, edit="The council put the cost at 52 million euros on Wednesday.")
    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=True)
        url = f"{base}/news/story-5"

        def response(body: bytes, when: str) -> Any:
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html"),
                                               ("Content-Length", str(len(body)))],
                                    protocol="HTTP/1.1")
            rec = w.create_warc_record(url, "response", payload=io.BytesIO(body),
                                       length=len(body), http_headers=http,
                                       warc_headers_dict={"WARC-Date": when})
            w.write_record(rec)
            return rec

        first = response(a, "2024-03-01T10:00:00Z")
        response(b, "2024-03-02T10:00:00Z")
        digest = first.rec_headers.get_header("WARC-Payload-Digest")
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        w.write_record(w.create_revisit_record(url, digest, url, "2024-03-01T10:00:00Z",
                                               http_headers=http,
                                               warc_headers_dict={"WARC-Date":
                                                                  "2024-03-03T10:00:00Z"}))
        w.write_record(w.create_revisit_record(f"{base}/news/story-5?copy=1", digest, "", "",
                                               http_headers=http,
                                               warc_headers_dict={"WARC-Date":
                                                                  "2024-03-04T10:00:00Z"}))
        w.write_record(w.create_revisit_record(url, "sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                               url, "2020-01-01T00:00:00Z", http_headers=http,
                                               warc_headers_dict={"WARC-Date":
                                                                  "2024-03-05T10:00:00Z"}))


def test_revisits_resolve_to_their_original(tmp_path: Path, cli: CliRun) -> None:
    warc = tmp_path / "dedup.warc.gz"
    _revisit_warc(warc, "http://news.example")
    r = cli("import", str(warc))
    assert r.exit_code == 1
    errors = r.stderr.splitlines()[:-1]
    assert errors == ["error: http://news.example/news/story-5 (" + str(warc) + ", offset "
                      + re.search(r"offset (\d+)", errors[0]).group(1)  # type: ignore[union-attr]
                      + "): a revisit record whose original (http://news.example/news/story-5 "
                      "at 2020-01-01T00:00:00Z) is not in the files read"]
    assert r.stderr.splitlines()[-1] == (
        "imported: 1 added, 2 revised, 0 inserted, 1 unchanged, 1 failed; 4 HTML captures (2 revisits), "
        "0 records skipped, 0 other records")
    log = [json.loads(x) for x in cli("log", "news.example/2024-03-06/story-5",
                                      "--json").stdout.splitlines()]
    assert [(x["revision"], x["captured_at"], x["reverts"]) for x in log] == [
        (3, "2024-03-03T10:00:00Z", 1), (2, "2024-03-02T10:00:00Z", None),
        (1, "2024-03-01T10:00:00Z", None)]
    # the revisit found by digest alone (another URL whose canonical link names this
    # article) is this article's page again, as it is at its latest: unchanged
    assert len(cli("list").stdout.splitlines()) == 1


def _cut_last_response(data: bytes) -> tuple[bytes, int]:
    """The bytes of a per-record gzip WARC cut in the middle of its last response."""
    offsets = []
    it = ArchiveIterator(io.BytesIO(data))
    for rec in it:
        offsets.append((rec.rec_type, it.get_record_offset(), it.get_record_length()))
    _, start, length = [o for o in offsets if o[0] == "response"][-1]
    return data[:start + length // 2], sum(1 for o in offsets if o[0] == "response") - 1


def test_truncated_warc_gz_imports_the_complete_records(http_server: TestServer,
                                                        tmp_path: Path, cli: CliRun) -> None:
    whole = tmp_path / "whole.warc.gz"
    ten_pages_three_times(http_server, whole)
    cut, complete = _cut_last_response(whole.read_bytes())
    broken = tmp_path / "killed-crawl.warc.gz"
    broken.write_bytes(cut)
    r = cli("import", str(broken))
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"error: {broken}, offset ")
    assert "truncated" in lines[0]
    assert lines[1] == (f"imported: 10 added, 1 revised, 0 inserted, {complete - 11} unchanged, 1 failed; "
                        f"{complete} HTML captures, 0 records skipped, {complete} other records")


@pytest.mark.parametrize("compressed", [True, False])
def test_damage_in_the_middle_is_one_line_and_the_rest_is_read(
        http_server: TestServer, tmp_path: Path, cli: CliRun, compressed: bool) -> None:
    warc = tmp_path / "w.warc"
    capture(http_server, warc, [{f"/news/story-{i}": page(i) for i in range(4)}],
            [f"2024-03-10T09:0{i}:00Z" for i in range(4)], gzip_records=compressed)
    data = warc.read_bytes()
    offsets = []
    it = ArchiveIterator(io.BytesIO(data))
    for rec in it:
        offsets.append((rec.rec_type, it.get_record_offset(), it.get_record_length()))
    _, start, length = [o for o in offsets if o[0] == "response"][1]  # story-1's response
    damaged = tmp_path / ("damaged.warc.gz" if compressed else "damaged.warc")
    damaged.write_bytes(data[:start + 10] + b"\0garbage\0" * 3 + data[start + length:])
    r = cli("import", str(damaged))
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"error: {damaged}, offset {start}: ")
    assert lines[1].startswith("imported: 3 added, 0 revised, 0 inserted, 0 unchanged, 1 failed;")
    assert "story-1" not in cli("list").stdout


def test_uncompressed_and_whole_file_gzip(http_server: TestServer, tmp_path: Path,
                                          cli: CliRun) -> None:
    plain = tmp_path / "plain.warc"
    capture(http_server, plain, [{f"/news/story-{i}": page(i) for i in range(3)}],
            [f"2024-03-10T09:0{i}:00Z" for i in range(3)], gzip_records=False)
    single = tmp_path / "single.warc.gz"  # `gzip plain.warc`: one stream, not one a record
    single.write_bytes(gzip.compress(plain.read_bytes()))
    r = cli("import", str(single))
    assert r.exit_code == 0, r.stderr
    assert r.stderr.startswith("imported: 3 added, 0 revised, 0 inserted, 0 unchanged, 0 failed")
    r = cli("import", str(plain))
    assert r.stderr.startswith("imported: 0 added, 0 revised, 0 inserted, 3 unchanged, 0 failed")


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_wacz(http_server: TestServer, tmp_path: Path, cli: CliRun, compression: int) -> None:
    one, two = tmp_path / "a.warc.gz", tmp_path / "b.warc.gz"
    ten_pages_three_times(http_server, one)
    _revisit_warc(two, "http://news.example")
    wacz = tmp_path / "crawl.wacz"
    with zipfile.ZipFile(wacz, "w", compression=compression) as zf:
        zf.writestr("datapackage.json", json.dumps({"profile": "data-package"}))
        zf.writestr("pages/pages.jsonl", '{"format": "json-pages-1.0"}\n')
        zf.write(one, "archive/data-1.warc.gz")
        zf.write(two, "archive/data-2.warc.gz")
    r = cli("import", str(wacz))
    assert r.exit_code == 1  # the revisit of a record in no file
    assert r.stderr.count("error: ") == 1 and f"{wacz}!archive/data-2.warc.gz" in r.stderr
    assert r.stderr.splitlines()[-1].startswith(
        "imported: 11 added, 3 revised, 0 inserted, 20 unchanged, 1 failed; 34 HTML captures (2 revisits)")


def test_not_a_warc(tmp_path: Path, cli: CliRun) -> None:
    bad = tmp_path / "notes.warc"
    bad.write_bytes(b"these are my notes, not a WARC file\n" * 20)
    missing = tmp_path / "missing.warc.gz"
    r = cli("import", str(bad), str(missing))
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert lines[0].startswith(f"error: {bad}, offset 0: truncated or malformed record")
    assert lines[1] == f"error: {missing}: no such file"
    mixed = cli("import", str(bad), "export.jsonl")
    assert mixed.exit_code == 2 and "not both" in mixed.stderr


def test_memory_stays_bounded_on_a_large_record(tmp_path: Path) -> None:
    """A 64 MB non-HTML record is skipped unread; a 12 MB page is refused after 10 MB."""
    warc = tmp_path / "big.warc"

    class Zeros(io.RawIOBase):
        def __init__(self, n: int) -> None:
            self.left = n

        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            n = min(len(b), self.left)
            b[:n] = b"\0" * n
            self.left -= n
            return n

    big = 64 * 1024 * 1024
    with open(warc, "wb") as f:
        w = WARCWriter(f, gzip=False)
        for url, ctype, size in (("http://news.example/video.mp4", "video/mp4", big),
                                 ("http://news.example/huge", "text/html", 12 * 1024 * 1024)):
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype),
                                               ("Content-Length", str(size))],
                                    protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(
                url, "response", payload=io.BufferedReader(Zeros(size)), length=size,
                http_headers=http, warc_headers_dict={"WARC-Payload-Digest": "sha1:X"}))
        w.write_record(w.create_warc_record(
            "http://news.example/news/story-1", "response", payload=io.BytesIO(page(1)),
            length=len(page(1)),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                          protocol="HTTP/1.1")))
    counts = WarcCounts()
    tracemalloc.start()
    try:
        out = list(read_warcs([warc], counts))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024, peak
    assert [type(x) for x in out] == [InputError, Draft]
    assert "over the 10,485,760-byte limit" in str(out[0])
    assert counts.skipped["not HTML"] == 1


# -- export and the round trip -----------------------------------------------------------------

def _store_with_everything(http_server: TestServer, tmp_path: Path, cli: CliRun) -> Path:
    """Captures with originals (a WARC), texts without (the examples), one revised."""
    warc = tmp_path / "crawl.warc.gz"
    ten_pages_three_times(http_server, warc)
    assert cli("import", str(warc)).exit_code == 0
    assert cli("add", str(EXAMPLES)).exit_code == 0
    return warc


def test_export_warc_round_trip_is_byte_identical(http_server: TestServer, tmp_path: Path,
                                                  cli: CliRun, store: Path) -> None:
    _store_with_everything(http_server, tmp_path, cli)
    source_jsonl = cli("export").stdout_bytes
    out = tmp_path / "export.warc.gz"
    r = cli("export", "--format", "warc", str(out))
    assert r.exit_code == 0, r.stderr
    assert r.stderr == "exported 17 revisions (11 with their original, 6 as text)\n"
    copy = tmp_path / "copy"
    r = cli("import", str(out), store_path=copy)
    assert r.exit_code == 0, r.stderr
    assert r.stderr.startswith("imported: 14 added, 3 revised, 0 inserted, 0 unchanged, 0 failed; "
                               "17 HTML captures")
    assert cli("export", store_path=copy).stdout_bytes == source_jsonl
    again = cli("import", str(out), store_path=copy)
    assert again.stderr.startswith("imported: 0 added, 0 revised, 0 inserted, 17 unchanged")


def test_exported_warc_records(http_server: TestServer, tmp_path: Path, cli: CliRun) -> None:
    """response + metadata per revision with an original, resource + metadata without;
    dates, targets and digests as warcio checks them."""
    _store_with_everything(http_server, tmp_path, cli)
    out = tmp_path / "export.warc"  # .warc: uncompressed
    assert cli("export", "--format", "warc", str(out)).exit_code == 0
    assert not out.read_bytes().startswith(b"\x1f\x8b")
    records = []
    with open(out, "rb") as f:
        for rec in ArchiveIterator(f, check_digests=True):
            h = rec.rec_headers
            body = rec.content_stream().read()
            records.append((rec.rec_type, h.get_header("WARC-Target-URI"),
                            h.get_header("WARC-Date"), h.get_header("Content-Type"),
                            h.get_header("WARC-Payload-Digest"), body,
                            h.get_header("WARC-Record-ID"), h.get_header("WARC-Concurrent-To")))
    assert records[0][0] == "warcinfo"
    kinds = [r[0] for r in records[1:]]
    assert kinds.count("response") == 11 and kinds.count("resource") == 6
    assert kinds.count("metadata") == 17
    for first, meta in zip(records[1::2], records[2::2], strict=True):
        assert meta[0] == "metadata" and meta[3] == REVISION_METADATA_TYPE
        assert meta[7] == first[6] and meta[1] == first[1] and meta[2] == first[2]
        facts = json.loads(meta[5])
        assert first[2] == facts["captured_at"] and first[4].startswith("sha1:")
        assert {"id", "revision", "hash", "title", "url", "date", "source", "author",
                "captured_at"} <= set(facts)
        if first[0] == "resource":
            assert facts["payload"] == "text" and "text" not in facts
            assert first[3] == "text/plain; charset=utf-8"
            assert first[1] == facts["url"] or first[1] == f"urn:newsarchive:{facts['id']}"
        else:
            assert facts["payload"] == "original" and facts["text"]
            assert first[1] == facts["url"]
    # the same store exported twice: the same record IDs
    out2 = tmp_path / "again.warc"
    cli("export", "--format", "warc", str(out2))
    with open(out2, "rb") as f:
        ids = [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(f)][1:]
    assert ids == [r[6] for r in records[1:]]


@pytest.mark.slow
def test_export_warc_to_stdout_and_as_a_process(http_server: TestServer, tmp_path: Path,
                                                cli: CliRun, proc: Any, store: Path) -> None:
    _store_with_everything(http_server, tmp_path, cli)
    r = proc("export", "--format", "warc", "--source", "politico.eu")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"\x1f\x8b")
    assert r.stderr == b"exported 3 revisions (0 with their original, 3 as text)\n"
    (tmp_path / "p.warc.gz").write_bytes(r.stdout)
    r = proc("import", str(tmp_path / "p.warc.gz"))
    assert r.returncode == 0 and r.stderr.startswith(b"imported: 0 added, 0 revised, 0 inserted, 3 unchanged")


def test_library_api(http_server: TestServer, tmp_path: Path) -> None:
    warc = tmp_path / "crawl.warc.gz"
    ten_pages_three_times(http_server, warc)
    counts = WarcCounts()
    with Archive(tmp_path / "store") as archive:
        results = list(archive.import_warc([warc], counts=counts))
        assert [r.status for r in results].count("added") == 10
        assert counts.to_dict() == {"records": 60, "captures": 30, "revisits": 0,
                                    "skipped": {}, "other": 30, "errors": 0}
        buf = io.BytesIO()
        report = archive.export_warc(buf, source="127.0.0.1", changed=True)
        assert report.revisions == 2 and report.to_dict()["failed"] == 0
    assert sum(1 for r in ArchiveIterator(io.BytesIO(buf.getvalue()))
               if r.rec_type == "response") == 2


# -- after issue 13 (capture-order insertion, one article a URL) --------------------------------

def test_an_older_warc_imported_later_goes_before(http_server: TestServer, tmp_path: Path,
                                                  cli: CliRun) -> None:
    new, old = tmp_path / "new.warc.gz", tmp_path / "old.warc.gz"
    capture(http_server, new, [{"/news/story-1": page(1, edit="Now it costs more.")}],
            ["2024-06-01T10:00:00Z"])
    capture(http_server, old, [{"/news/story-1": page(1)}], ["2024-03-01T10:00:00Z"])
    assert cli("import", str(new)).exit_code == 0
    assert cli("import", str(old)).exit_code == 0
    log = [json.loads(x) for x in cli("log", "story-1", "--json").stdout.splitlines()]
    assert [x["captured_at"] for x in log] == ["2024-06-01T10:00:00Z", "2024-03-01T10:00:00Z"]


def test_undated_page_captured_on_three_days_is_one_article(http_server: TestServer,
                                                            tmp_path: Path,
                                                            cli: CliRun) -> None:
    warc = tmp_path / "undated.warc.gz"
    capture(http_server, warc, [{"/news/story-7": page(7, dated=False, edit=e)}
                                for e in ("", "Updated once.", "Updated twice.")],
            ["2024-03-01T10:00:00Z", "2024-03-02T10:00:00Z", "2024-03-03T10:00:00Z"])
    assert cli("import", str(warc)).exit_code == 0
    articles = cli("list").stdout.splitlines()
    assert len(articles) == 1 and "3 rev" in articles[0]
