"""Stores written by older versions open and are upgraded with nothing lost: one of the
last release (format 2: version-1 records, catalog schema 1, no journal; issue 13,
Deliver 8), and one written just before zstd packs (format 3: the journal, zlib pack
entries, no multi-pack index; issue 19)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import newsarchive
from tests.conftest import CliRun
from tests.test_disk import _make_readonly

FORMAT2 = Path(__file__).parent / "data" / "format2"
FORMAT3 = Path(__file__).parent / "data" / "format3"

# What the upgrade may change in an export: the words (one tokenizer now counts them),
# and, for that store's articles whose revisions were numbered in add order, nothing else.
KEYS = ("id", "source", "slug", "revision", "hash", "title", "captured_at", "author",
        "text", "original", "original_type")


def copied(tmp_path: Path) -> Path:
    store = tmp_path / "store"
    shutil.copytree(FORMAT2 / "store", store)
    return store


def version(store: Path) -> int:
    return int(json.loads((store / "format").read_text())["version"])


def exported(records: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return sorted(tuple(r.get(k) for k in KEYS) for r in records)


def before() -> list[dict[str, object]]:
    return [json.loads(line) for line in (FORMAT2 / "export.jsonl").read_text().splitlines()]


def test_a_read_upgrades_the_store(tmp_path: Path) -> None:
    store = copied(tmp_path)
    with newsarchive.open(store) as archive:
        assert exported(list(archive.export())) == exported(before())
    # format 3: what a reindex made of it; format 4 comes with the first zstd pack
    assert version(store) == 3
    assert (store / "journal").read_text().count("\n") == 1  # one commit of everything held


def test_reindex_upgrades_and_check_is_clean(cli: CliRun, tmp_path: Path) -> None:
    store = copied(tmp_path)
    r = cli("reindex", "--json", store_path=store)
    assert r.exit_code == 0, r.stderr
    done = json.loads(r.stdout)
    assert done["revisions"] == 57 and done["adopted"] == 57
    r = cli("check", store_path=store)
    assert r.exit_code == 0 and "damage" not in r.stdout, r.stdout
    assert exported([json.loads(x) for x in cli("export", store_path=store).stdout.splitlines()]
                    ) == exported(before())


def test_the_upgraded_store_goes_on(cli: CliRun, tmp_path: Path) -> None:
    """After the upgrade, the same URL is the same article and gc keeps everything."""
    store = copied(tmp_path)
    r = cli("add", "-", "--url", "https://www.politico.eu/article/putin-reaffirms-war-aims/",
            "--captured-at", "2024-04-05T10:00:00Z", input="A fourth version of the story.\n",
            store_path=store)
    assert r.stdout.startswith("revised politico.eu/2024-04-03/putin-reaffirms-war-aims@4 ")
    assert cli("gc", "--grace", "0", store_path=store).exit_code == 0
    assert len(cli("export", store_path=store).stdout.splitlines()) == 58


def test_a_read_only_old_store_says_how_to_upgrade(tmp_path: Path) -> None:
    store = copied(tmp_path)
    with newsarchive.open(store) as archive:
        archive.store.upgrade = None  # as a store this process may not write
        with pytest.raises(newsarchive.StoreError) as info:
            archive.articles()
    assert info.value.remedy == "reindex" and "older newsarchive" in str(info.value)


# -- format 3: the journal, zlib packs -------------------------------------------------
def copied3(tmp_path: Path) -> Path:
    store = tmp_path / "store3"
    shutil.copytree(FORMAT3 / "store", store)
    return store


def export3() -> list[str]:
    return (FORMAT3 / "export.jsonl").read_text().splitlines()


def encodings(store: Path) -> set[int]:
    with newsarchive.open(store) as archive:
        return {enc for reader in archive.store.objects.packs(refresh=True)
                for _offset, _kind, enc, *_ in reader.heads()}


def test_a_format3_store_reads_as_it_is(cli: CliRun, tmp_path: Path) -> None:
    """Nothing to rewrite: its zlib entries read as they are, its two packs without a
    multi-pack index through their own indexes; reads write nothing, so the release that
    wrote it can still open it."""
    store = copied3(tmp_path)
    journal = (store / "journal").read_bytes()
    assert encodings(store) == {0, 1}
    assert cli("export", store_path=store).stdout.splitlines() == export3()
    r = cli("check", store_path=store)
    assert r.exit_code == 0 and "damage" not in r.stdout, r.stdout
    assert "no multi-pack index" in r.stdout  # a note: lookups search each pack's index
    assert version(store) == 3 and (store / "journal").read_bytes() == journal
    assert not (store / "objects" / "pack" / "multi-pack-index").exists()
    # a single capture is a loose object (zlib), readable by format 3: still format 3
    r = cli("add", "-", "--url", "https://news.example.org/local/report-2",
            "--captured-at", "2024-05-08T10:00:00Z", input="The council adjourned.\n",
            store_path=store)
    assert r.stdout.startswith("revised news.example.org/2024-05-02/report-2@"), r.stdout
    assert version(store) == 3


@pytest.mark.usefixtures("keep_packs")
def test_a_format3_store_becomes_format4_with_its_first_pack(cli: CliRun,
                                                             tmp_path: Path) -> None:
    """A bulk add marks the store format 4 before its pack's first (zstd) entry, writes
    the multi-pack index over the old packs and the new one, and appends one commit to
    the journal, leaving the old lines as they were; gc then keeps what the journal
    names and rewrites the zlib entries; the history reads the same throughout."""
    store = copied3(tmp_path)
    journal = (store / "journal").read_text()
    rows = [{"text": f"Report {i} in its closing form: the council approved the budget.",
             "url": f"https://news.example.org/local/report-{i}", "title": f"Report {i}",
             "captured_at": "2024-05-09T12:00:00Z"} for i in range(16)]
    (tmp_path / "more.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = cli("add", str(tmp_path / "more.jsonl"), store_path=store)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.count("revised news.example.org/2024-05-02/report-") == 16
    assert version(store) == 4
    assert (store / "objects" / "pack" / "multi-pack-index").exists()
    assert encodings(store) == {0, 1, 3}  # the old entries as they were, zstd deltas
    now = (store / "journal").read_text()
    assert now.startswith(journal) and now.count("\n") == journal.count("\n") + 1
    exported_now = cli("export", store_path=store).stdout.splitlines()
    assert len(exported_now) == len(export3()) + 16
    old = {json.loads(line)["hash"] for line in export3()}
    assert old <= {json.loads(line)["hash"] for line in exported_now}
    assert cli("check", store_path=store).stdout == ""
    assert cli("gc", "--grace", "0", store_path=store).exit_code == 0
    assert 1 not in encodings(store) and 3 in encodings(store)
    assert len(list((store / "objects" / "pack").glob("pack-*.pack"))) == 1
    assert cli("export", store_path=store).stdout.splitlines() == exported_now
    assert cli("check", store_path=store).stdout == ""
    assert (store / "journal").read_text() == now  # gc commits nothing


def test_reindex_of_a_format3_store_follows_its_journal(cli: CliRun, tmp_path: Path) -> None:
    """Format 3 has a journal: a reindex rebuilds from it (adopting nothing) and leaves
    the format alone."""
    store = copied3(tmp_path)
    r = cli("reindex", "--json", store_path=store)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["adopted"] == 0
    assert version(store) == 3
    assert cli("export", store_path=store).stdout.splitlines() == export3()


def test_a_store_newer_than_this_version_is_refused(cli: CliRun, tmp_path: Path) -> None:
    store = copied3(tmp_path)
    (store / "format").write_text('{"format": "newsarchive", "version": 5}\n')
    r = cli("list", store_path=store)
    assert r.exit_code != 0
    assert "uses store format 5; this newsarchive reads up to 4" in r.stderr


# -- catalog schema 3: no stored first changed sentence ----------------------------------
SCHEMA3 = Path(__file__).parent / "data" / "schema3"


def test_a_schema3_catalog_gains_its_column_in_place(cli: CliRun, tmp_path: Path) -> None:
    """The first command that may write adds ``revisions.first_change`` (NULL) without a
    reindex; ``changes`` derives what the column does not hold yet, the same sentence a
    reindex then stores."""
    store = tmp_path / "store"
    shutil.copytree(SCHEMA3 / "store", store)
    conn = sqlite3.connect(store / "catalog.sqlite")
    conn.execute("INSERT INTO edits (rid, side, passage) VALUES (-1, 'added', 'marker')")
    conn.commit()
    conn.close()
    old = [json.loads(line) for line in (SCHEMA3 / "changes.jsonl").read_text().splitlines()]
    r = cli("changes", "--limit", "100", "--json", store_path=store)
    assert r.exit_code == 0, r.stderr
    migrated = [json.loads(line) for line in r.stdout.splitlines()]
    conn = sqlite3.connect(store / "catalog.sqlite")
    assert conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("4",)
    assert conn.execute("SELECT COUNT(*) FROM revisions WHERE first_change IS NULL"
                        ).fetchone()[0] == 46
    assert conn.execute("SELECT passage FROM edits WHERE rid = -1").fetchone() == ("marker",)
    conn.close()   # the marker survived: the catalog was not rebuilt
    # what that version showed, its first changed sentences too (found there by a word
    # diff, here by the sentence alignment)
    assert migrated == old and all(c["first_changed"] for c in migrated)
    assert cli("export", store_path=store).stdout == (SCHEMA3 / "export.jsonl").read_text()

    assert cli("reindex", store_path=store).exit_code == 0
    conn = sqlite3.connect(store / "catalog.sqlite")
    assert conn.execute("SELECT COUNT(*) FROM revisions WHERE first_change IS NULL"
                        ).fetchone()[0] == 0
    conn.close()
    r = cli("changes", "--limit", "100", "--json", store_path=store)
    assert [json.loads(line) for line in r.stdout.splitlines()] == migrated


@pytest.mark.parametrize("mode", ["remount", "chmod"])
def test_a_read_only_schema3_store_says_how_to_upgrade(tmp_path: Path, mode: str) -> None:
    """Where nothing can be written, the column cannot be added: the error of every older
    catalog (the remedy: reindex where it can be written)."""
    store = tmp_path / "store"
    shutil.copytree(SCHEMA3 / "store", store)
    for ro_store in _make_readonly(store, tmp_path, mode):
        with pytest.raises(newsarchive.StoreError) as info:
            with newsarchive.open(ro_store) as archive:
                archive.articles()
        assert info.value.remedy == "reindex" and "catalog schema 3" in str(info.value)
