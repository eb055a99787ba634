"""Watching: revisits on the schedule, tombstones, redirects, notifications (issue 15).

A loopback site (tests/httpserver.py) and a fake clock: the archive's runs are stamped
with the clock, so weeks of cron runs take a second and no test sleeps.
"""

from __future__ import annotations

import itertools
import json
import socket
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from newsarchive.archive import Archive
from newsarchive.config import WatchConfig
from newsarchive.errors import InputError
from tests.conftest import CliRun
from tests.httpserver import Route, TestServer

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
PARAS = [
    "Officials in Lyon said on Tuesday that the flood warning would affect about 450 "
    "households, more than first expected, and asked residents to follow the advice "
    "published on the city's website.",
    "The mayor told reporters that emergency teams had worked through the night. We are "
    "doing everything we can, and we will keep people informed, she said at a press "
    "conference in the town hall.",
    "Local businesses said the flood had already cost them customers. Several shop owners "
    "described the week as the hardest since the pandemic, and the chamber of commerce "
    "called for direct help from the regional government.",
]


def page(title: str, paras: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            f"{body}</article></body></html>").encode()


def edited(paras: list[str]) -> list[str]:
    return [paras[0].replace("450", "520"), *paras[1:]]


def rss(links: list[str]) -> bytes:
    items = "".join(f"<item><title>Story</title><link>{u}</link><guid>{u}</guid></item>"
                    for u in links)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Site</title>'
            f"<link>https://site.example/</link>{items}</channel></rss>").encode()


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


def serve_article(server: TestServer, path: str, paras: list[str], version: int = 1,
                  title: str = "Flood in Lyon") -> str:
    server.routes[path] = Route(body=page(title, paras), etag=f'"{path}-{version}"')
    return server.url(path)


WEB = {"allow_private_networks": True, "host_delay": 0.0}


def test_an_article_that_left_its_feed_is_revisited_on_schedule_and_its_edit_caught(
        http_server: TestServer, store: Path) -> None:
    clock = Clock()
    url = serve_article(http_server, "/news/flood", PARAS)
    http_server.routes["/rss.xml"] = Route(body=rss([url]), etag='"f1"',
                                           content_type="application/rss+xml")
    feed = http_server.url("/rss.xml")
    with Archive(store, clock=clock) as archive:
        (rep,) = archive.snapshot(feed, **WEB)
        assert rep.added == 1
        article = rep.results[0].revision.id
        # the article leaves the feed after one run
        http_server.routes["/rss.xml"] = Route(body=rss([]), etag='"f2"',
                                               content_type="application/rss+xml")
        fetched_at: list[datetime] = []
        due_at: list[datetime] = []
        edit_at = None
        for _ in range(12 * 4):  # a cron run every 5 minutes for four hours
            now = clock.advance(minutes=5)
            (entry,) = archive.watch_list()
            if entry.next_due is not None and entry.next_due <= now.strftime(
                    "%Y-%m-%dT%H:%M:%SZ"):
                due_at.append(now)
            before = http_server.hits["/news/flood"]
            archive.snapshot(feed, **WEB)
            archive.watch_run(**WEB)
            if http_server.hits["/news/flood"] > before:
                fetched_at.append(now)
            if edit_at is None and now - T0 >= timedelta(minutes=95) and fetched_at[-1] == now:
                edit_at = now  # edited right after a check: the next one is a while off
                serve_article(http_server, "/news/flood", edited(PARAS), version=2)
        # the page was fetched exactly when the schedule said it was due, never between
        assert fetched_at == due_at
        assert len(fetched_at) < 48 / 2  # 15 minutes and more apart, not every run
        assert edit_at is not None
        revs = archive.log(article)
        assert [r.number for r in revs] == [2, 1]
        caught = datetime.fromisoformat(revs[0].captured_at.replace("Z", "+00:00"))
        assert caught == min(t for t in fetched_at if t > edit_at)  # the next scheduled visit
        assert caught - edit_at >= timedelta(minutes=10)  # ... not the next run
        assert "substantive" in revs[0].kind
        # gaps between checks grow while nothing changes, back to 15 minutes after a change
        gaps = [b - a for a, b in itertools.pairwise(fetched_at)]
        assert gaps[0] == timedelta(minutes=15) and max(gaps) > timedelta(minutes=15)


def test_gone_twice_is_removed_and_back_is_restored(http_server: TestServer,
                                                    store: Path) -> None:
    clock = Clock()
    url = serve_article(http_server, "/news/flood", PARAS)
    with Archive(store, clock=clock) as archive:
        article = archive.watch_add(url, allow_private_networks=True).id
        head = archive.get(article)
        clock.advance(minutes=15)
        assert archive.watch_run(**WEB).unchanged == 1  # its validators are kept
        clock.advance(minutes=15)
        assert archive.watch_run(**WEB).not_modified == 1
        del http_server.routes["/news/flood"]  # 404
        clock.advance(minutes=15)
        first = archive.watch_run(**WEB)
        assert (first.checked, first.missing, first.removed, first.results) == (1, 1, 0, [])
        assert [r.number for r in archive.log(article)] == [1]  # a blip is not a deletion
        clock.advance(minutes=15)
        second = archive.watch_run(**WEB)
        assert second.removed == 1
        tomb = archive.get(f"{article}@2")
        assert tomb.kind == ("removed",) and tomb.event == "removed"
        assert tomb.hash == head.hash and tomb.title == head.title  # the text is kept
        assert archive.show(f"{article}@2") == archive.show(f"{article}@1")
        # a gone page is asked again, but only one tombstone is written
        http_server.routes["/news/flood"] = Route(body=b"gone", status=410)
        clock.advance(hours=1)
        assert archive.watch_run(everything=True, **WEB).removed == 0
        assert len(archive.log(article)) == 2
        # the page comes back, with the same validators as before: asked unconditionally
        serve_article(http_server, "/news/flood", PARAS)
        clock.advance(hours=1)
        back = archive.watch_run(everything=True, **WEB)
        assert back.restored == 1
        assert "if-none-match" not in http_server.headers_of("/news/flood")[-1]
        restored = archive.get(article)
        assert restored.number == 3 and "restored" in restored.kind
        kinds = {c.revision.number: c.revision.kind for c in archive.changes()}
        assert kinds[2] == ("removed",) and "restored" in kinds[3]
        removed = archive.changes(kind="removed")
        assert [c.revision.ref for c in removed] == [f"{article}@2"]


def test_the_tombstone_survives_reindex_and_check(http_server: TestServer, store: Path) -> None:
    clock = Clock()
    url = serve_article(http_server, "/news/flood", PARAS)
    with Archive(store, clock=clock) as archive:
        article = archive.watch_add(url, allow_private_networks=True).id
        http_server.routes["/news/flood"] = Route(status=404, body=b"no")
        for _ in range(2):
            clock.advance(minutes=20)
            archive.watch_run(**WEB)
        before = [r.to_dict() for r in archive.log(article)]
        assert archive.check() == []
        archive.reindex()
        assert [r.to_dict() for r in archive.log(article)] == before
        assert [e.id for e in archive.watch_list()] == [article]  # kept by reindex


def test_a_lost_catalog_rebuilds_the_watch_list_from_the_captures(
        http_server: TestServer, store: Path) -> None:
    clock = Clock()
    url = serve_article(http_server, "/news/flood", PARAS)
    with Archive(store, clock=clock) as archive:
        entry = archive.watch_add(url, allow_private_networks=True)
        archive.add("A text typed in, with no page behind it.", source="notes", title="Note")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{store}/catalog.sqlite{suffix}").unlink(missing_ok=True)
    with Archive(store, clock=clock) as archive:
        archive.reindex()
        (again,) = archive.watch_list()
        assert (again.id, again.first_seen, again.last_changed) == (
            entry.id, entry.first_seen, entry.last_changed)
        assert again.url.endswith("/news/flood") and again.next_due is not None


def test_budget_most_overdue_first_and_all(http_server: TestServer, store: Path) -> None:
    clock = Clock()
    with Archive(store, clock=clock) as archive:
        ids = []
        for i in range(3):
            url = serve_article(http_server, f"/news/{i}",
                                [p.replace("Lyon", f"Lyon {i}") for p in PARAS],
                                title=f"Story {i}")
            ids.append(archive.watch_add(url, allow_private_networks=True).id)
            clock.advance(minutes=5)  # the first is the most overdue
        clock.advance(minutes=15)
        run = archive.watch_run(max_fetches=1, **WEB)
        assert (run.due, run.checked, run.deferred) == (3, 1, 2)
        assert http_server.hits["/news/0"] == 2 and http_server.hits["/news/1"] == 1
        run = archive.watch_run(**WEB)
        assert (run.checked, run.deferred) == (2, 0)
        assert archive.watch_run(**WEB).checked == 0  # nothing due now
        assert archive.watch_run(everything=True, **WEB).checked == 3  # --all
        # a time budget too small for any fetch defers everything
        small = WatchConfig(time_budget=timedelta(seconds=0.5))
        assert archive.watch_run(everything=True, watch=small, **WEB).checked == 0


def test_stop_and_add_again(http_server: TestServer, store: Path) -> None:
    clock = Clock()
    url = serve_article(http_server, "/news/flood", PARAS)
    with Archive(store, clock=clock) as archive:
        article = archive.watch_add(url, allow_private_networks=True).id
        stopped = archive.watch_stop(article)
        assert stopped.status == "stopped" and stopped.next_due is None
        clock.advance(hours=1)
        assert archive.watch_run(everything=True, **WEB).checked == 0
        again = archive.watch_add(article)
        assert again.status == "watching"
        assert archive.watch_run(everything=True, **WEB).checked == 1
        note = archive.add("Another text, not from the web at all.", source="notes",
                           title="Note").revision.id
        with pytest.raises(InputError, match="is not watched"):
            archive.watch_stop(note)


def test_a_permanent_redirect_to_another_article_is_recorded(http_server: TestServer,
                                                             store: Path) -> None:
    clock = Clock()
    old = serve_article(http_server, "/news/old", PARAS, title="Old")
    new = serve_article(http_server, "/news/new", edited(PARAS), title="New")
    with Archive(store, clock=clock) as archive:
        a = archive.watch_add(old, allow_private_networks=True).id
        b = archive.watch_add(new, allow_private_networks=True).id
        http_server.routes["/news/old"] = Route(status=301, redirect=new)
        clock.advance(hours=1)
        run = archive.watch_run(**WEB)
        assert run.redirected == 1
        moved = archive.get(a)
        assert moved.event == "redirected" and moved.number == 2
        assert moved.hash == archive.get(f"{a}@1").hash
        entries = {e.id: e for e in archive.watch_list()}
        assert entries[a].status == "stopped" and b in entries[a].note
        assert entries[b].status == "watching"
        # a temporary redirect is only a way to the page: fetched as this article
        http_server.routes["/news/new"] = Route(status=302, redirect=http_server.url("/n2"))
        serve_article(http_server, "/n2", edited(PARAS), title="New")
        clock.advance(hours=1)
        run = archive.watch_run(**WEB)
        assert (run.redirected, run.unchanged) == (0, 1)


def test_snapshot_counts_a_feed_304_as_a_check(http_server: TestServer, store: Path) -> None:
    clock = Clock()
    url = serve_article(http_server, "/news/flood", PARAS)
    http_server.routes["/rss.xml"] = Route(body=rss([url]), etag='"f1"',
                                           content_type="application/rss+xml")
    with Archive(store, clock=clock) as archive:
        archive.snapshot(http_server.url("/rss.xml"), **WEB)
        clock.advance(minutes=20)
        archive.snapshot(http_server.url("/rss.xml"), **WEB)  # the page answers 304
        (entry,) = archive.watch_list()
        assert entry.last_checked == "2026-03-02T08:20:00Z" and entry.unchanged == 1
        assert archive.watch_run(**WEB).checked == 0  # just checked: not due


# -- the commands ---------------------------------------------------------------------------
def config(tmp_path: Path, extra: str = "") -> str:
    cfg = tmp_path / "config.toml"
    cfg.write_text("allow_private_networks = true\n" + extra)
    return str(cfg)


def test_watch_commands(cli: CliRun, http_server: TestServer, tmp_path: Path) -> None:
    cfg = config(tmp_path)
    url = serve_article(http_server, "/news/flood", PARAS)
    r = cli("--config", cfg, "add", url)
    assert r.exit_code == 0, r.stderr
    r = cli("--config", cfg, "watch", "list", "--json")
    assert r.exit_code == 0, r.stderr
    (entry,) = [json.loads(line) for line in r.stdout.splitlines()]
    assert entry["url"] == url and entry["status"] == "watching" and entry["next_due"]
    article = entry["id"]
    r = cli("--config", cfg, "watch", "list")
    assert article in r.stdout and url in r.stdout
    r = cli("--config", cfg, "watch", "run", "--json")  # just added: nothing due
    assert r.exit_code == 0 and json.loads(r.stdout)["checked"] == 0
    serve_article(http_server, "/news/flood", edited(PARAS), version=2)
    r = cli("--config", cfg, "watch", "run", "--all")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("watch: 1 checked, 1 revised")
    r = cli("--config", cfg, "watch", "stop", article)
    assert r.exit_code == 0 and r.stdout.strip() == f"stopped watching {article}"
    r = cli("--config", cfg, "watch", "run", "--all", "--json")
    assert json.loads(r.stdout)["checked"] == 0
    r = cli("--config", cfg, "watch", "add", article)
    assert r.exit_code == 0 and r.stdout.startswith(f"watching {article}")
    r = cli("--config", cfg, "watch", "stop", "nosuch/2026-01-01/x")
    assert r.exit_code == 1 and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1
    r = cli("--config", cfg, "watch", "run", "--max-fetches", "0")
    assert r.exit_code == 2


def make_watched_since(store: Path, when: str, url: str | None = None) -> None:
    """Make watch rows (``url``'s, else all) first seen, checked and changed at ``when``, as
    if that long had passed, and have the next command plan their next checks again (as
    it does for rows planned under another schedule)."""
    with sqlite3.connect(store / "catalog.sqlite") as db:
        db.execute("UPDATE watch SET first_seen = ?1, last_checked = ?1, last_changed = ?1 "
                   "WHERE ?2 IS NULL OR url = ?2", (when, url))
        db.execute("DELETE FROM meta WHERE key = 'watch_schedule'")
    db.close()


@pytest.mark.slow
def test_snapshot_revisits_and_reports_them(cli: CliRun, http_server: TestServer,
                                            tmp_path: Path, store: Path) -> None:
    cfg = config(tmp_path)
    url = serve_article(http_server, "/news/flood", PARAS)
    http_server.routes["/rss.xml"] = Route(body=rss([url]), etag='"f1"',
                                           content_type="application/rss+xml")
    feed = http_server.url("/rss.xml")
    r = cli("--config", cfg, "snapshot", feed)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.count("\n") == 1  # nothing was due: no watch line
    http_server.routes["/rss.xml"] = Route(body=rss([]), etag='"f2"',
                                           content_type="application/rss+xml")
    serve_article(http_server, "/news/flood", edited(PARAS), version=2)
    # the command runs on the real clock: its watch row is made an hour old instead
    hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    make_watched_since(store, hour_ago)
    r = cli("--config", cfg, "snapshot")  # no feeds given or configured: only revisits
    assert r.exit_code == 0, r.stderr
    assert r.stdout.startswith("watch: 1 checked, 1 revised")
    del http_server.routes["/news/flood"]
    r = cli("--config", cfg, "snapshot", "--no-watch", feed, "--json")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 1
    r = cli("--config", cfg, "snapshot", "--no-watch")
    assert r.exit_code == 2


def test_a_webhook_gets_one_message_per_run_with_changes(
        cli: CliRun, http_server: TestServer, tmp_path: Path) -> None:
    pytest.importorskip("apprise")
    hook = f"json://127.0.0.1:{http_server.port}/hook"
    http_server.routes["/hook"] = Route(body=b"ok", content_type="text/plain")
    cfg = config(tmp_path, f'notify = ["{hook}"]\n')
    url = serve_article(http_server, "/news/flood", PARAS)
    assert cli("--config", cfg, "watch", "add", url).exit_code == 0
    r = cli("--config", cfg, "watch", "run", "--all", "--notify", hook)  # also in the config
    assert r.exit_code == 0 and r.stderr == ""
    assert http_server.posts == []  # no change: nothing to tell
    serve_article(http_server, "/news/flood", edited(PARAS), version=2)
    r = cli("--config", cfg, "watch", "run", "--all", "--notify", hook)
    assert r.exit_code == 0, r.stderr
    (path, body), = http_server.posts
    message = json.loads(body)
    assert path == "/hook" and message["title"] == "newsarchive: 1 change"
    assert "substantive" in message["message"] and url in message["message"]
    del http_server.routes["/news/flood"]
    for _ in range(2):
        r = cli("--config", cfg, "watch", "run", "--all")
        assert r.exit_code == 0, r.stderr
    assert len(http_server.posts) == 2  # the run that wrote the tombstone
    assert "removed" in json.loads(http_server.posts[1][1])["message"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_a_webhook_that_is_down_is_one_warning_and_the_run_succeeds(
        proc: object, http_server: TestServer, tmp_path: Path, store: Path) -> None:
    pytest.importorskip("apprise")
    cfg = config(tmp_path, 'notify_timeout = "3s"\n')
    url = serve_article(http_server, "/news/flood", PARAS)
    http_server.routes["/rss.xml"] = Route(body=rss([url]), etag='"f1"',
                                           content_type="application/rss+xml")
    down = f"json://127.0.0.1:{_closed_port()}/hook"
    run = proc  # the real command, as cron runs it
    assert run("--config", cfg, "add", url).returncode == 0  # type: ignore[operator]
    serve_article(http_server, "/news/flood", edited(PARAS), version=2)
    r = run("--config", cfg, "snapshot", http_server.url("/rss.xml"),  # type: ignore[operator]
            "--notify", down)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: notification to json://127.0.0.1")
    assert b"1 revised" in r.stdout
    with sqlite3.connect(store / "catalog.sqlite") as db:  # the revision is archived
        assert db.execute("SELECT COUNT(*) FROM revisions").fetchone()[0] == 2


def test_record_event_through_the_api(store: Path) -> None:
    from newsarchive.errors import NewsArchiveError, UsageError

    clock = Clock()
    with Archive(store, clock=clock) as archive:
        rev = archive.add("A story that will be taken down by its site soon.", source="site",
                          title="Story", url="https://site.example/story",
                          captured_at="2026-03-02T08:00:00Z").revision
        clock.advance(hours=1)
        tomb = archive.record_event(rev.id, "removed", detail="HTTP 410")
        assert tomb.status == "revised" and tomb.revision.kind == ("removed",)
        assert tomb.revision.captured_at == "2026-03-02T09:00:00Z"
        again = archive.record_event(rev.id, "removed")  # once is enough
        assert again.status == "unchanged" and again.revision.number == 2
        with pytest.raises(UsageError):
            archive.record_event(rev.id, "vanished")
        with pytest.raises(NewsArchiveError):
            archive.record_event("site/2026-03-02/nothing-here", "removed")
        assert len(archive.log(rev.id)) == 2 and archive.check() == []


def test_a_month_of_runs_makes_the_requests_the_schedule_says(http_server: TestServer,
                                                              store: Path) -> None:
    """The real runs (fetch, 304, the watch table) against a replay of the schedule alone:
    the same checks at the same times, then none once watching stops."""
    from newsarchive.web.schedule import WatchState, next_check

    clock = Clock()
    paths = [f"/news/{i}" for i in range(3)]
    with Archive(store, clock=clock) as archive:
        for i, path in enumerate(paths):
            serve_article(http_server, path, [p.replace("Lyon", f"Lyon {i}") for p in PARAS],
                          title=f"Story {i}")
            archive.watch_add(http_server.url(path), allow_private_networks=True)
        state = WatchState(first_captured=T0)
        expected: list[datetime] = []
        requests = 0
        for _ in range(31 * 24 * 2):  # a run every 30 minutes for 31 days
            now = clock.advance(minutes=30)
            due = next_check(state, now)
            if due is not None and due <= now:
                expected.append(now)
                state = WatchState(T0, None, now, state.unchanged + 1)
            run = archive.watch_run(**WEB)
            requests += run.checked
            assert run.failed == 0 and run.revised == 0
        assert sum(http_server.hits[p] for p in paths) == 3 + requests  # + watch add's
        assert requests == 3 * len(expected)
        assert 25 <= len(expected) <= 45  # about 38 in 30 days (docs/cron.md)
        assert all(e.status == "done" for e in archive.watch_list())
        assert expected[-1] <= T0 + timedelta(days=30)
        for e in archive.watch_list():
            assert e.last_checked == expected[-1].strftime("%Y-%m-%dT%H:%M:%SZ")
            assert e.unchanged == len(expected)


def test_tombstones_and_redirects_survive_export_and_import(
        cli: CliRun, store: Path, tmp_path: Path) -> None:
    clock = Clock()
    with Archive(store, clock=clock) as archive:
        rev = archive.add("A story that will be taken down by its site soon.", source="site",
                          title="Story", url="https://site.example/story",
                          captured_at="2026-03-02T08:00:00Z").revision
        clock.advance(hours=1)
        archive.record_event(rev.id, "removed", detail="HTTP 410")
        archive.add("A story that will be taken down by its site soon.", source="site",
                    title="Story", url="https://site.example/story",
                    captured_at="2026-03-02T10:00:00Z")
        archive.record_event(rev.id, "redirected", detail="moved to https://site.example/b",
                             captured_at="2026-03-02T11:00:00Z")
        before = [r.to_dict() for r in archive.log(rev.id)]
    assert [(d["kind"], d.get("event")) for d in before] == [
        ([], "redirected"), (["restored"], None), (["removed"], "removed"), ([], None)]
    assert before[2]["detail"] == "HTTP 410"
    exported = cli("export")
    assert exported.exit_code == 0, exported.stderr
    other = tmp_path / "other"
    for _ in range(2):  # importing twice adds nothing the second time
        r = cli("import", input=exported.stdout, store_path=other)
        assert r.exit_code == 0, r.stderr
    with Archive(other) as copy:
        assert [r.to_dict() for r in copy.log(rev.id)] == before
    bad = exported.stdout.splitlines()[0].replace('"text"', '"event": "vanished", "text"')
    r = cli("import", input=bad + "\n", store_path=tmp_path / "third")
    assert r.exit_code == 1 and "event 'vanished' is not one of" in r.stderr


def test_watch_run_on_no_archive_is_one_error_and_creates_nothing(cli: CliRun,
                                                                   store: Path) -> None:
    r = cli("watch", "run")
    assert r.exit_code == 1 and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1
    assert not store.exists()
    assert cli("snapshot").exit_code == 2 and not store.exists()


@pytest.mark.slow
def test_a_run_killed_while_writing_the_tombstone_leaves_one_tombstone(
        cli: CliRun, http_server: TestServer, tmp_path: Path, store: Path) -> None:
    """Killed after the tombstone's journal line and before the catalog commit: the next
    write applies the commit, and the next run does not write a second tombstone."""
    import subprocess
    import sys

    from tests.test_crash import DRIVER

    cfg = config(tmp_path)
    url = serve_article(http_server, "/news/flood", PARAS)
    assert cli("--config", cfg, "watch", "add", url).exit_code == 0
    http_server.routes["/news/flood"] = Route(status=410, body=b"gone")
    r = cli("--config", cfg, "watch", "run", "--all")
    assert r.exit_code == 0 and ", 1 missing," in r.stdout
    killed = subprocess.run(
        [sys.executable, "-c", DRIVER, "before-commit", "1", "--store", str(store),
         "--config", cfg, "watch", "run", "--all"], capture_output=True, timeout=120)
    assert killed.returncode == 137, killed.stderr
    r = cli("--config", cfg, "watch", "run", "--all", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["removed"] == 0  # the killed run's tombstone, applied
    (entry,) = [json.loads(line) for line in cli("watch", "list", "--json").stdout.splitlines()]
    r = cli("log", "--json", entry["id"])
    kinds = [json.loads(line)["kind"] for line in r.stdout.splitlines()]
    assert kinds == [["removed"], []]
    assert cli("check").exit_code == 0


@pytest.mark.slow
def test_snapshot_sends_the_feeds_and_the_revisits_in_one_message(
        cli: CliRun, http_server: TestServer, tmp_path: Path, store: Path) -> None:
    pytest.importorskip("apprise")
    hook = f"json://127.0.0.1:{http_server.port}/hook"
    http_server.routes["/hook"] = Route(body=b"ok", content_type="text/plain")
    cfg = config(tmp_path)
    old = serve_article(http_server, "/news/old", PARAS, title="Old story")
    fresh = serve_article(http_server, "/news/fresh",
                          [p.replace("Lyon", "Porto") for p in PARAS], title="Fresh story")
    http_server.routes["/rss.xml"] = Route(body=rss([old, fresh]), etag='"f1"',
                                           content_type="application/rss+xml")
    feed = http_server.url("/rss.xml")
    r = cli("--config", cfg, "snapshot", feed, "--notify", hook)
    assert r.exit_code == 0, r.stderr
    assert http_server.posts == []  # new articles are not changes
    # the old story leaves the feed and its watch row is made an hour old; both are edited
    http_server.routes["/rss.xml"] = Route(body=rss([fresh]), etag='"f2"',
                                           content_type="application/rss+xml")
    serve_article(http_server, "/news/old", edited(PARAS), version=2, title="Old story")
    serve_article(http_server, "/news/fresh",
                  edited([p.replace("Lyon", "Porto") for p in PARAS]), version=2,
                  title="Fresh story")
    hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    make_watched_since(store, hour_ago, url=old)
    r = cli("--config", cfg, "snapshot", feed, "--notify", hook)
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].endswith("1 entries, 0 added, 1 revised, 0 unchanged, 0 failed")
    assert lines[1].startswith("watch: 1 checked, 1 revised")
    (_, body), = http_server.posts
    message = json.loads(body)
    assert message["title"] == "newsarchive: 2 changes"
    assert "Old story" in message["message"] and "Fresh story" in message["message"]


def test_a_revisit_applies_the_noise_rules(http_server: TestServer, store: Path) -> None:
    """A revisited page that differs only by an "Updated N minutes ago" line and a
    config-dropped box confirms its revision; a changed figure is a revision."""
    from newsarchive.config import NoiseConfig

    def served(minutes: int, paras: list[str], box: str) -> None:
        body = page("Flood in Lyon", [f"Updated {minutes} minutes ago", *paras])
        body = body.replace(b"</article>", f'<div class="promo"><p>{box}</p></div></article>'
                            .encode())
        http_server.routes["/news/flood"] = Route(body=body)

    clock = Clock()
    served(3, PARAS, "Subscribe to our weekend edition and save money this month")
    url = http_server.url("/news/flood")
    rules = [NoiseConfig(drop=(".promo",))]
    with Archive(store, clock=clock, noise=rules) as archive:
        archive.watch_add(url, allow_private_networks=True)
        (article,) = [e.id for e in archive.watch_list()]
        served(8, PARAS, "Read our newsletter every morning for the latest local stories")
        clock.advance(days=1)
        rep = archive.watch_run(everything=True, **WEB)
        assert rep.checked == 1 and rep.revised == 0, rep
        assert len(archive.log(article)) == 1
        served(9, edited(PARAS), "Read our newsletter every morning for the latest stories")
        clock.advance(days=1)
        rep = archive.watch_run(everything=True, **WEB)
        assert rep.revised == 1, rep
        revs = archive.log(article)
        assert len(revs) == 2 and "substantive" in revs[0].kind
        assert "newsletter" not in archive.show(article) and "Subscribe" not in \
            archive.show(f"{article}@1")


def test_watch_list_of_nothing_says_so_on_stderr(cli: CliRun, tmp_path: Path) -> None:
    assert cli("add", "-", "--source", "s", "--slug", "x", input="Text.\n").exit_code == 0
    r = cli("watch", "list")
    assert (r.exit_code, r.stdout) == (0, "") and r.stderr.startswith("no article is watched")
    r = cli("watch", "list", "--json")
    assert (r.exit_code, r.stdout, r.stderr) == (0, "", "")
