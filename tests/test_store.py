"""The store's promises: verified objects, rebuildable catalog, repair, gc, locking, symlinks."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

import newsarchive
from newsarchive.errors import IntegrityError, StoreError
from newsarchive.store.objects import ObjectStore, object_id
from newsarchive.text.canonical import canonicalize, content_hash
from tests.conftest import EXAMPLES, CliRun


@pytest.fixture
def filled(cli: CliRun, store: Path) -> Path:
    assert cli("add", str(EXAMPLES)).exit_code == 0
    return store


def object_files(store: Path) -> list[Path]:
    return sorted(p for p in (store / "objects").rglob("*") if p.is_file())


def test_objects_round_trip_and_verify(tmp_path: Path) -> None:
    objs = ObjectStore(tmp_path / "objects")
    oid = objs.put("blob", b"hello\n")
    assert oid == content_hash(b"hello\n")
    assert objs.get(oid) == ("blob", b"hello\n")
    rid = objs.put("record", b"hello\n")
    assert rid != oid and rid == object_id("record", b"hello\n")
    path = objs.path(oid)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError):
        objs.get(oid)
    with pytest.raises(ValueError):
        objs.path("../../etc/passwd")


def test_reindex_from_objects_alone(cli: CliRun, filled: Path) -> None:
    export, listing = cli("export").stdout_bytes, cli("list", "--json").stdout
    log = cli("log", "putin-reaffirms-war-aims", "--json").stdout
    for p in filled.iterdir():
        if p.name != "objects":
            p.unlink() if p.is_file() else None
    r = cli("list")
    assert r.exit_code == 1 and "reindex" in r.stderr
    assert cli("reindex").exit_code == 0
    assert cli("export").stdout_bytes == export
    assert cli("list", "--json").stdout == listing
    assert cli("log", "putin-reaffirms-war-aims", "--json").stdout == log
    assert cli("check").exit_code == 0


def test_flipped_byte_in_every_object(cli: CliRun, filled: Path) -> None:
    for p in object_files(filled):
        data = bytearray(p.read_bytes())
        data[-3] ^= 0xFF
        p.write_bytes(bytes(data))
    r = cli("check")
    assert r.exit_code == 1 and "damage: corrupt" in r.stdout
    r = cli("show", "putin-reaffirms-war-aims")
    assert r.exit_code == 1 and r.stdout == "" and "error: " in r.stderr
    assert "objects/" in r.stderr  # names the object


def test_truncated_object(cli: CliRun, filled: Path) -> None:
    rev = json.loads(cli("show", "flood-warning-issued-for-giessen-as-the-lahn-rises", "--json").stdout)
    path = filled / "objects" / rev["hash"][:2] / rev["hash"][2:]
    path.write_bytes(path.read_bytes()[:10])
    assert cli("show", "ecb-holds-rates").exit_code == 1
    r = cli("check", "--json")
    report = json.loads(r.stdout)
    assert r.exit_code == 1 and not report["ok"]
    (bad,) = [p for p in report["problems"] if p["kind"] == "corrupt"]
    assert bad["object"] == rev["hash"] and bad["articles"] == [rev["id"]]


def test_repair_quarantines_and_marks_damaged(cli: CliRun, filled: Path) -> None:
    rev = json.loads(cli("show", "putin-reaffirms-war-aims@2", "--json").stdout)
    path = filled / "objects" / rev["hash"][:2] / rev["hash"][2:]
    path.write_bytes(b"garbage")
    assert cli("check").exit_code == 1
    r = cli("check", "--repair")
    assert r.exit_code == 0, r.stdout
    assert (filled / "quarantine" / rev["hash"]).exists()
    assert "DAMAGED" in cli("log", "putin-reaffirms-war-aims").stdout
    revs = [json.loads(x) for x in cli("log", "putin-reaffirms-war-aims", "--json").stdout.splitlines()]
    assert [r["revision"] for r in revs] == [3, 2, 1]
    assert [r.get("damaged", False) for r in revs] == [False, True, False]
    assert cli("show", "putin-reaffirms-war-aims@3").exit_code == 0
    lost = cli("show", "putin-reaffirms-war-aims@2")
    assert lost.exit_code == 1 and lost.stderr.count("\n") == 1
    assert "an earlier 'check --repair' set it aside in quarantine/" in lost.stderr
    assert "run 'newsarchive check --repair'" not in lost.stderr  # it ran: nothing to gain
    assert cli("check").exit_code == 0  # what is left is a note: no repair can do more


def test_repair_survives_a_corrupt_record(cli: CliRun, filled: Path) -> None:
    rev = json.loads(cli("show", "putin-reaffirms-war-aims@2", "--json").stdout)
    a = newsarchive.open(filled)
    record = a.get("putin-reaffirms-war-aims@2").record
    a.close()
    (filled / "objects" / record[:2] / record[2:]).write_bytes(b"x")
    assert cli("check", "--repair").exit_code == 0
    revs = [json.loads(x) for x in cli("log", "putin-reaffirms-war-aims", "--json").stdout.splitlines()]
    assert [r["revision"] for r in revs] == [3, 2, 1]
    assert revs[1]["hash"] == rev["hash"]


def test_gc_removes_unreferenced(cli: CliRun, filled: Path) -> None:
    export = cli("export").stdout_bytes
    objs = ObjectStore(filled / "objects")
    stray = objs.put("blob", b"left behind by a killed add\n")
    tmp = objs.path(stray).parent / ".tmp-deadbeef.123"
    tmp.write_bytes(b"partial")
    r = cli("check")
    assert r.exit_code == 0 and "note: temp" in r.stdout
    assert json.loads(cli("gc", "--json").stdout)["objects_removed"] == 0  # within the grace
    out = json.loads(cli("gc", "--grace", "0", "--json").stdout)
    assert out["objects_removed"] == 1 and out["temp_files_removed"] == 1
    assert out["bytes_freed"] > 0
    assert not objs.contains(stray) and not tmp.exists()
    assert cli("export").stdout_bytes == export
    assert cli("check").stdout == ""


def test_gc_refuses_without_catalog_rows(cli: CliRun, filled: Path) -> None:
    (filled / "catalog.sqlite").unlink()
    r = cli("gc", "--grace", "0")
    assert r.exit_code == 1 and "reindex" in r.stderr
    assert len(object_files(filled)) > 0


@pytest.mark.slow
def test_lock_timeout_exit_3(filled: Path) -> None:
    from filelock import FileLock

    with FileLock(str(filled / "lock")):
        r = subprocess.run(
            [sys.executable, "-m", "newsarchive", "--store", str(filled), "--wait", "0.5", "add",
             "-", "--source", "x"], input=b"Some text.", capture_output=True, timeout=60,
        )
    assert r.returncode == 3
    assert r.stderr.decode().startswith("error: ") and r.stderr.count(b"\n") == 1
    assert b"locked" in r.stderr


def test_killed_lock_holder_does_not_block(filled: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys,time; from filelock import FileLock; l=FileLock(sys.argv[1]); l.acquire(); "
         "print('held', flush=True); time.sleep(60)", str(filled / "lock")],
        stdout=subprocess.PIPE,
    )
    assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
    holder.kill()
    holder.wait()
    r = subprocess.run(
        [sys.executable, "-m", "newsarchive", "--store", str(filled), "--wait", "5", "add", "-",
         "--source", "x"], input=b"After the kill.", capture_output=True, timeout=60,
    )
    assert r.returncode == 0, r.stderr


def test_symlinked_fanout_dir_is_refused(tmp_path: Path) -> None:
    archive = newsarchive.open(tmp_path / "store")
    archive.add("First.", source="x")
    outside = tmp_path / "outside"
    outside.mkdir()
    text = canonicalize("A planted link must not be followed.")
    fan = tmp_path / "store" / "objects" / content_hash(text)[:2]
    if fan.exists():
        pytest.skip("fan-out directory already exists")
    fan.symlink_to(outside, target_is_directory=True)
    with pytest.raises(StoreError):
        archive.add(text, source="x")
    assert list(outside.iterdir()) == []
    archive.close()


def test_newer_format_refused(filled: Path, cli: CliRun) -> None:
    (filled / "format").write_text(json.dumps({"format": "newsarchive", "version": 99}))
    r = cli("list")
    assert r.exit_code == 1 and "upgrade" in r.stderr


def test_missing_original_is_a_one_line_integrity_error(cli: CliRun, tmp_path: Path) -> None:
    rec = {"text": "Body.", "source": "x", "slug": "s", "date": "2024-01-01",
           "original": "<p>Body.</p>", "original_type": "text/html"}
    cli("add", "-", "--format", "jsonl", input=json.dumps(rec) + "\n")
    a = newsarchive.open(tmp_path / "store")
    oid = a.get("x/2024-01-01/s").original
    a.close()
    assert oid is not None
    ObjectStore(tmp_path / "store" / "objects").remove(oid)
    for args, start in ((("show", "s", "--original"), "error: object "),
                        (("export",), "error: x/2024-01-01/s@1: object ")):
        r = cli(*args)
        assert r.exit_code == 1 and r.stderr.startswith(start)
        assert "missing" in r.stderr and r.stderr.count("\n") == 1


def test_export_goes_on_past_a_damaged_revision(cli: CliRun, filled: Path) -> None:
    """SPEC 7: of several outputs, one failing does not stop the others (export stopped at
    the first revision whose text was set aside, dropping every intact one after it)."""
    before = [json.loads(x) for x in cli("export").stdout.splitlines()]
    damaged = next(r for r in before if r["id"].endswith("putin-reaffirms-war-aims")
                   and r["revision"] == 2)
    (filled / "objects" / damaged["hash"][:2] / damaged["hash"][2:]).write_bytes(b"garbage")
    assert cli("check", "--repair").exit_code == 0
    r = cli("export")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1
    assert r.stderr.startswith(f"error: {damaged['id']}@2: object {damaged['hash']}")
    assert [json.loads(x) for x in r.stdout.splitlines()] == [x for x in before if x != damaged]
    assert cli("gc").exit_code == 0  # a text a repair set aside does not stop a repack


def test_a_search_index_damaged_past_dropping_is_rebuilt(cli: CliRun, filled: Path) -> None:
    """An FTS5 structure record garbled: search says so in one line (it was a traceback)
    and check --repair rebuilds the catalog (it failed dropping the broken table)."""
    conn = sqlite3.connect(filled / "catalog.sqlite")
    conn.execute("UPDATE para_fts_data SET block = x'ffffffffffffffffffff' WHERE id > 1")
    conn.commit()
    conn.close()
    r = cli("search", "putin")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1
    assert "the search index is damaged" in r.stderr and "check --repair" in r.stderr
    assert cli("check").exit_code == 1
    assert cli("check", "--repair").exit_code == 0
    assert cli("check").exit_code == 0
    assert "putin-reaffirms-war-aims@3" in cli("search", "putin").stdout


def test_an_unreadable_object_is_not_repaired_as_corrupt(cli: CliRun, filled: Path) -> None:
    """An object that cannot be read (permissions, a failing disk; here a directory in its
    place, since root reads any file) is damage, but not corruption: the repair used to
    set intact objects aside and mark their revisions as having lost their text."""
    rev = json.loads(cli("show", "putin-reaffirms-war-aims@2", "--json").stdout)
    path = filled / "objects" / rev["hash"][:2] / rev["hash"][2:]
    saved = path.read_bytes()
    path.unlink()
    path.mkdir()
    r = cli("check", "--json")
    assert r.exit_code == 1
    assert [p["kind"] for p in json.loads(r.stdout)["problems"] if p["damage"]] == ["unreadable"]
    r = cli("check", "--repair")
    assert r.exit_code == 1 and "not repaired: 1 object(s) cannot be read" in r.stdout
    assert cli("reindex").exit_code == 1
    path.rmdir()
    path.write_bytes(saved)
    assert cli("check").exit_code == 0
    assert not (filled / "quarantine").exists()
    assert "DAMAGED" not in cli("log", "putin-reaffirms-war-aims").stdout


def test_a_lost_format_file_is_damage_check_repair_mends(cli: CliRun, filled: Path) -> None:
    """check said "no archive" although the objects were there (and reindex worked)."""
    (filled / "format").unlink()
    r = cli("check")
    assert r.exit_code == 1 and "the format file is missing" in r.stdout
    assert cli("check", "--repair").exit_code == 0
    assert cli("check").exit_code == 0 and (filled / "format").exists()
