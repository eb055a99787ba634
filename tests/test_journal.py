"""The commit journal: the objects decide what is live, whatever the catalog says (issue 18).

The catalog is derived; a truncated, older or foreign catalog must never make ``gc``
delete history, reads must say the catalog is missing revisions rather than answer from
it, and ``check`` must report it as damage that ``--repair`` mends. ``check`` must stay
clean while other processes write.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import newsarchive
from newsarchive.store import journal
from tests.conftest import CliRun
from tests.httpserver import Route, TestServer
from tests.pages import page
from tests.test_cli_views import private_ok
from tests.test_snapshot import rss

CATALOG_FILES = ("catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm")


def fill(cli: CliRun, tmp_path: Path, n: int, start: int = 0) -> None:
    rows = [json.dumps({"text": f"Story {i} says {v} things happened.", "source": "wire",
                        "slug": f"story-{i}", "date": "2024-01-01",
                        "captured_at": f"2024-01-01T1{v}:00:00Z"})
            for i in range(start, start + n) for v in range(2)]
    f = tmp_path / f"batch-{start}.jsonl"
    f.write_text("\n".join(rows) + "\n")
    assert cli("add", "-q", str(f)).exit_code == 0


def export(cli: CliRun) -> str:
    r = cli("export")
    assert r.exit_code == 0, r.stderr
    return r.stdout


def truncate_catalog(store: Path) -> None:
    for name in CATALOG_FILES:
        path = store / name
        if path.exists():
            if name == "catalog.sqlite":
                path.write_bytes(b"")
            else:
                path.unlink()


def test_a_truncated_catalog_deletes_nothing(cli: CliRun, store: Path, tmp_path: Path) -> None:
    fill(cli, tmp_path, 30)
    exported = export(cli)
    truncate_catalog(store)
    r = cli("list")
    assert r.exit_code == 1
    assert "catalog is missing 60 committed revision record(s)" in r.stderr
    assert "run 'newsarchive reindex'" in r.stderr
    r = cli("add", "-", "--source", "x", "--slug", "new", input="A new story.\n")
    assert r.exit_code == 1 and "missing" in r.stderr  # no write on a catalog that lost history
    r = cli("gc", "--grace", "0")
    assert r.exit_code == 1
    r = cli("check", "--json")
    assert r.exit_code == 1
    kinds = {p["kind"] for p in json.loads(r.stdout)["problems"] if p["damage"]}
    assert kinds == {"catalog"}
    assert not [p for p in json.loads(r.stdout)["problems"] if p["kind"] == "leftover"]
    r = cli("check", "--repair")
    assert r.exit_code == 0, r.stdout
    assert export(cli) == exported
    assert cli("gc", "--grace", "0").exit_code == 0
    assert export(cli) == exported


def test_an_older_catalog_deletes_nothing(cli: CliRun, store: Path, tmp_path: Path) -> None:
    fill(cli, tmp_path, 10)
    old = tmp_path / "old-catalog"
    old.mkdir()
    with newsarchive.open(store) as a:  # a consistent copy: folded into one file
        a.store.catalog().conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for name in CATALOG_FILES:
        if (store / name).exists():
            shutil.copy(store / name, old / name)
    fill(cli, tmp_path, 10, start=10)
    fill(cli, tmp_path, 10, start=20)
    exported = export(cli)
    for name in CATALOG_FILES:
        (store / name).unlink(missing_ok=True)
        if (old / name).exists():
            shutil.copy(old / name, store / name)
    r = cli("list")
    assert r.exit_code == 1 and "missing 40 committed" in r.stderr
    assert cli("gc", "--grace", "0").exit_code == 1
    r = cli("check")
    assert r.exit_code == 1 and "missing 40 committed" in r.stdout
    assert cli("reindex").exit_code == 0
    assert export(cli) == exported


def test_a_crash_between_journal_and_catalog_is_applied_next(cli: CliRun, store: Path,
                                                             tmp_path: Path) -> None:
    """The one commit a crash can leave in the journal only: reads answer, check notes it,
    the next write applies it."""
    from newsarchive import faults

    fill(cli, tmp_path, 3)

    class Crash(BaseException):
        pass

    def crash(name: str) -> None:
        if name == "before-commit":
            raise Crash

    faults.install(crash)
    try:
        with newsarchive.open(store) as a, pytest.raises(Crash):
            a.add("Committed in the journal only.", source="wire", slug="late",
                  date="2024-01-02", captured_at="2024-01-02T00:00:00Z")
    finally:
        faults.install(None)
    assert cli("list").exit_code == 0
    r = cli("check", "--json")
    assert r.exit_code == 0
    notes = [p for p in json.loads(r.stdout)["problems"] if p["kind"] == "journal"]
    assert notes and not notes[0]["damage"]
    r = cli("add", "-", "--source", "wire", "--slug", "next", input="Next.\n")
    assert r.exit_code == 0
    assert cli("show", "late").stdout == "Committed in the journal only.\n"
    assert cli("check").exit_code == 0


def test_a_commit_landing_while_a_writer_opens_is_not_a_restored_copy(
        store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer compares the catalog's journal position with the journal's end before it
    takes the lock. Another writer's whole commit (journal, then catalog) landing between
    those two reads made the catalog look ahead of its journal, and the add failed with
    "restored from an older copy?" (seen once in the concurrency suite)."""
    from newsarchive.store import catalog, repository

    base = [sys.executable, "-m", "newsarchive", "--store", str(store)]
    subprocess.run([*base, "add", "-q", "-", "--source", "wire", "--slug", "first"],
                   input=b"First.\n", check=True)
    done: list[str] = []

    def then_commit(real):  # type: ignore[no-untyped-def]
        def read(*args):  # type: ignore[no-untyped-def]
            out = real(*args)
            if not done:  # after the first of the two reads: another process commits
                done.append(real.__name__)
                subprocess.run([*base, "add", "-q", "-", "--source", "wire", "--slug", "other"],
                               input=b"Another story.\n", check=True)
            return out
        return read

    monkeypatch.setattr(repository, "last_positions", then_commit(journal.last_positions))
    monkeypatch.setattr(catalog.Catalog, "position", then_commit(catalog.Catalog.position))
    with newsarchive.open(store) as archive:
        archive.add("Third story.", source="wire", slug="third")
        assert done and sorted(a.slug for a in archive.articles()) == [
            "first", "other", "third"]


def test_a_torn_journal_line_is_not_a_commit(cli: CliRun, store: Path, tmp_path: Path) -> None:
    fill(cli, tmp_path, 2)
    with open(store / "journal", "ab") as f:
        f.write(b'{"parent":"x","records":["')  # a crash in the middle of an append
    assert cli("check").exit_code == 0
    fill(cli, tmp_path, 2, start=2)  # the next write cuts it off
    assert all(line.endswith("}") for line in (store / "journal").read_text().splitlines())
    assert len(list(journal.read_journal(store / "journal"))) == 2


def test_a_lost_or_broken_journal_is_damage_repair_mends(cli: CliRun, store: Path,
                                                          tmp_path: Path) -> None:
    fill(cli, tmp_path, 5)
    fill(cli, tmp_path, 5, start=5)
    exported = export(cli)
    lines = (store / "journal").read_bytes().splitlines(keepends=True)
    (store / "journal").write_bytes(lines[0].replace(b'"seq":1', b'"seq":7') + lines[1])
    r = cli("check")
    assert r.exit_code == 1 and "journal is damaged" in r.stdout
    assert cli("gc", "--grace", "0").exit_code == 1  # never guesses what is live
    assert cli("check", "--repair").exit_code == 0
    assert export(cli) == exported and cli("check").exit_code == 0
    (store / "journal").unlink()
    r = cli("check")
    assert r.exit_code == 1 and "journal is missing" in r.stdout
    assert cli("check", "--repair").exit_code == 0
    assert export(cli) == exported


def test_gc_collects_only_what_no_commit_names(cli: CliRun, store: Path, tmp_path: Path) -> None:
    from newsarchive import faults

    fill(cli, tmp_path, 3)

    class Crash(BaseException):
        pass

    def crash(name: str) -> None:
        if name == "record-written":
            raise Crash

    faults.install(crash)
    try:
        with newsarchive.open(store) as a, pytest.raises(Crash):
            a.add("Never committed.", source="wire", slug="ghost", date="2024-01-02")
    finally:
        faults.install(None)
    r = json.loads(cli("check", "--json").stdout)
    assert [p["kind"] for p in r["problems"]] == ["leftover"]
    exported = export(cli)
    assert json.loads(cli("gc", "--grace", "0", "--json").stdout)["objects_removed"] == 2
    assert export(cli) == exported
    assert json.loads(cli("check", "--json").stdout)["problems"] == []


@pytest.mark.slow
def test_check_stays_clean_while_others_write(store: Path, tmp_path: Path,
                                             http_server: TestServer) -> None:
    """50 checks against a bulk add, and a stream of small adds and snapshots of a feed
    whose pages change, running meanwhile."""
    corpus = tmp_path / "bulk.jsonl"
    corpus.write_text("".join(
        json.dumps({"text": f"Story {i}, version {v}: " + "words " * 50, "source": "s",
                    "slug": f"st-{i}", "date": "2024-01-01",
                    "captured_at": f"2024-01-01T1{v}:00:00Z"}) + "\n"
        for i in range(300) for v in range(3)))
    base = [sys.executable, "-m", "newsarchive", "--store", str(store)]
    subprocess.run([*base, "add", "-q", "-"], input=b"Seed.\n", check=False)
    subprocess.run([*base, "add", "-q", "-", "--source", "s", "--slug", "seed"],
                   input=b"Seed.\n", check=True)
    stop = threading.Event()
    config = private_ok(tmp_path)
    for i in range(3):
        http_server.routes[f"/news/{i}"] = Route(body=page(i, 1))
    http_server.routes["/rss.xml"] = Route(
        body=rss([(f"Story {i}", http_server.url(f"/news/{i}")) for i in range(3)]),
        content_type="application/rss+xml")

    def small_adds() -> None:
        n = 0
        while not stop.is_set():
            subprocess.run([*base, "add", "-q", "-", "--source", "s", "--slug", f"small-{n % 7}"],
                           input=f"Small story {n}.\n".encode(), check=True)
            for i in range(3):  # the pages change between snapshots
                http_server.routes[f"/news/{i}"] = Route(body=page(i, 1 + (n + i) % 2))
            subprocess.run([*base, "--config", config, "snapshot", "-q", "--force",
                            http_server.url("/rss.xml")], check=True, capture_output=True)
            n += 1

    writer = subprocess.Popen([*base, "add", "-q", str(corpus)])
    adder = threading.Thread(target=small_adds)
    adder.start()
    try:
        failures = []
        for _ in range(50):
            r = subprocess.run([*base, "check", "-q"], capture_output=True, check=False)
            if r.returncode != 0:
                failures.append(r.stdout.decode() + r.stderr.decode())
    finally:
        stop.set()
        adder.join()
        writer.wait(timeout=600)
    assert writer.returncode == 0
    assert failures == []
    assert subprocess.run([*base, "check", "-q"], check=False).returncode == 0
    listed = subprocess.run([*base, "list", "--json"], capture_output=True, check=True).stdout
    fed = [a for a in map(json.loads, listed.splitlines()) if "/news/" in (a.get("url") or "")]
    assert len(fed) == 3 and all(a["revisions"] >= 2 for a in fed), fed  # snapshots wrote
    assert os.path.exists(store / "journal")
