"""``check`` compares its sources streamed into temporary tables (ops/tally.py): every
kind of problem the comparison finds, found at once and in the order the report has
always had, and mended by a repair that reads back what the check saw."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import newsarchive
from newsarchive.ops.tally import Tally
from newsarchive.store.journal import Position, read_journal
from newsarchive.store.midx import MultiPackIndex, build, same_records, write
from newsarchive.store.records import Record
from tests.conftest import EXAMPLES, CliRun


ECB = "ecb-holds-rates-steady-signals-june-cut-2024-04-11"


@pytest.fixture
def filled(cli: CliRun, store: Path) -> Path:
    assert cli("add", str(EXAMPLES)).exit_code == 0
    return store


def revision(cli: CliRun, ref: str) -> dict[str, str]:
    got: dict[str, str] = json.loads(cli("show", ref, "--json").stdout)
    return got


def loose(store: Path, oid: str) -> Path:
    return store / "objects" / oid[:2] / oid[2:]


def test_every_problem_of_the_comparison_at_once_in_order(cli: CliRun, filled: Path) -> None:
    """A catalog row that differs from its record, a catalog row no commit names, a
    committed record gone, a committed text gone, a corrupt text, a record no commit
    names: each reported once, with its articles, in the report's order."""
    with newsarchive.open(filled) as archive:
        head = archive.get("putin-reaffirms-war-aims@3")
        gone_record = archive.get(ECB).record
        gone_text = archive.get("putin-reaffirms-war-aims@1").hash
        corrupt = archive.get("putin-reaffirms-war-aims@2").hash
        leftover = archive.store.objects.put("record", Record(
            article=head.id, text=head.hash, original=None, original_type=None,
            title="never committed", url=None, date="2024-01-01", source="example.com",
            author=None, captured_at="2024-01-01T00:00:00Z",
            recorded_at="2024-01-01T00:00:00Z").to_bytes())
    ecb = revision(cli, ECB)["id"]
    putin = revision(cli, "putin-reaffirms-war-aims")["id"]
    conn = sqlite3.connect(filled / "catalog.sqlite")
    with conn:
        conn.execute("UPDATE captures SET title = 'edited' WHERE record = ?", (head.record,))
        (seq,) = conn.execute("SELECT MAX(seq) FROM captures").fetchone()
        conn.execute("UPDATE captures SET record = ? WHERE seq = ?", ("f" * 64, seq))
        (last,) = conn.execute("SELECT article FROM captures WHERE seq = ?", (seq,)).fetchone()
    conn.close()
    loose(filled, gone_record).unlink()
    loose(filled, gone_text).unlink()
    loose(filled, corrupt).write_bytes(b"garbage")
    commit = next(c.seq for c in read_journal(filled / "journal") if gone_record in c.records)

    r = cli("check", "--json")
    assert r.exit_code == 1
    found = [(p["kind"], p["object"], p["detail"], p["articles"])
             for p in json.loads(r.stdout)["problems"]]
    assert found == [
        ("corrupt", corrupt, "content does not match its hash (undecodable)", [putin]),
        ("missing", gone_record, f"the record of commit {commit} is missing", []),
        ("missing", gone_text, f"the text of a revision of {putin} is missing", [putin]),
        ("mismatch", head.record, f"the catalog row of a capture of {putin} differs from "
         "its record", [putin]),
        ("catalog", "f" * 64, "the catalog lists a record no commit of the journal names",
         [last]),
        ("leftover", leftover, "a record of an interrupted add, never committed (gc "
         "removes it)", [putin]),
        ("index", "revisions", "1 revisions differ from the capture they were derived "
         "from (article, text or title)", []),  # the capture edited, not its revision
    ]
    text = cli("check", "-q").stdout.splitlines()
    assert text[0] == (f"damage: corrupt {corrupt}: content does not match its hash "
                       f"(undecodable) [{putin}]")
    assert len(text) == 6  # the leftover is a note

    r = cli("check", "--repair", "--json")
    assert r.exit_code == 0, r.stdout
    after = json.loads(cli("check", "--json").stdout)
    assert after["ok"] and {p["kind"] for p in after["problems"]} <= {"damaged", "leftover"}
    assert revision(cli, ECB)["id"] == ecb  # its record written again
    assert revision(cli, "putin-reaffirms-war-aims@3")["title"] != "edited"


def test_journal_read_on_from_a_position(cli: CliRun, store: Path) -> None:
    """``read_journal(after=...)`` gives the commits after a position read before, and
    refuses a journal that changed under it."""
    for name in ("ecb-holds-rates.txt", "giessen-flood-warning.txt", "wire.jsonl"):
        assert cli("add", str(EXAMPLES / name)).exit_code == 0
    filled = store
    commits = list(read_journal(filled / "journal"))
    assert len(commits) == 3
    at = Position(commits[1].seq, commits[1].id)
    assert list(read_journal(filled / "journal", after=at)) == commits[2:]
    with pytest.raises(newsarchive.errors.StoreError, match="not the commit read before"):
        list(read_journal(filled / "journal", after=Position(2, "0" * 64)))
    with pytest.raises(newsarchive.errors.StoreError, match="shorter"):
        list(read_journal(filled / "journal", after=Position(len(commits) + 5, "0" * 64)))


def test_the_first_copy_of_an_object_counts() -> None:
    """An object met twice (packs the multi-pack index does not cover): a bad copy after
    a valid one is not damage; a valid copy after a bad one does not hide the damage."""
    with Tally() as tally:
        tally.add_blob("a" * 64, 1)
        tally.add_bad("a" * 64, 2)  # valid first
        tally.add_bad("b" * 64, 3)
        tally.add_blob("b" * 64, 4)  # bad first
        tally.add_record("c" * 64, "x.com/2024-01-01/c", "a" * 64, None, "t", 5)
        tally.add_record("c" * 64, "x.com/2024-01-01/c", "a" * 64, None, "t", 6)
        assert tally.settle() == {"a" * 64}
        assert tally.users() == {}
        assert list(tally.uncommitted(None)) == [("c" * 64, "x.com/2024-01-01/c")]  # once
        tally.add_journal([(1, ("c" * 64, "b" * 64, "d" * 64))])
        assert list(tally.committed_missing(1)) == [(1, "d" * 64, None, None, None)]


@pytest.mark.usefixtures("keep_packs")
@pytest.mark.slow
def test_a_multi_pack_index_whose_entries_differ_is_stale(cli: CliRun, store: Path,
                                                          tmp_path: Path) -> None:
    """The comparison with a rebuild is streamed (store/midx.py ``same_records``): an
    entry that differs, one too many or one too few each make the index stale."""
    from tests.test_packs import midx_of, several_packs

    several_packs(cli, store, tmp_path, n=3)
    with newsarchive.open(store) as archive:
        objects = archive.store.objects
        sources = objects._sources([p.stem for p in sorted(objects.pack_dir.glob("*.pack"))])
        names, sums, buckets = build(sources)
        records = [rec for bucket in buckets for rec in bucket]
        midx = MultiPackIndex(midx_of(store))
        assert same_records(midx, sources)
        midx.close()
    wrong = [*records]
    wrong[5] = wrong[5][:32] + (12345).to_bytes(8, "big") + wrong[5][40:]
    for variant in (wrong, records[:-1], [*records, b"\xff" * 45 + b"\0\0\0"]):
        write(midx_of(store).parent, names, sums, [variant])
        r = cli("check", "--json")
        notes = json.loads(r.stdout)["problems"]
        assert r.exit_code == 0 and [p["kind"] for p in notes] == ["unindexed"], notes
        assert "its entries differ from the packs' indexes" in notes[0]["detail"]
    write(midx_of(store).parent, names, sums, [records])
    assert cli("check").stdout == ""


@settings(max_examples=60, deadline=None)
@given(base=st.binary(max_size=300_000), edit=st.binary(max_size=2000),
       at=st.integers(min_value=0, max_value=300_000))
def test_a_zstd_delta_decodes_on_one_context_and_refuses_what_follows_its_frame(
        base: bytes, edit: bytes, at: int) -> None:
    """Deltas decode through zstandard's content-dictionary chain (the base as a frame of
    raw blocks in front, store/zstdcodec.py) to what they encode, and bytes after the
    frame, a frame cut short or no frame at all are refused, as they were."""
    from newsarchive.store.zstdcodec import Error, ZstdFormatError, compress_delta, \
        decompress_delta

    payload = base[:at] + edit + base[at:]
    data = compress_delta(payload, base)
    assert decompress_delta(data, base) == payload
    for damaged in (data + b"\0", data + data, data[:-1], b""):
        with pytest.raises((Error, ZstdFormatError)):
            decompress_delta(damaged, base)


@pytest.mark.parametrize(("column", "value"), [("text_hash", "zz"), ("title", "edited"),
                                                ("text_hash", "0" * 64)])
def test_a_revision_row_edited_by_hand_is_reported_and_derived_again(
        cli: CliRun, filled: Path, column: str, value: str) -> None:
    """A revision row that no longer says what the capture it came from says (edited by
    hand, or written wrong): reading its text is a one-line error, never a traceback;
    ``check`` names it; ``check --repair`` derives it again from its record."""
    ref = "putin-reaffirms-war-aims@2"
    before = revision(cli, ref)
    conn = sqlite3.connect(filled / "catalog.sqlite")
    with conn:
        conn.execute(f"UPDATE revisions SET {column} = ? WHERE article = ? AND number = 2",
                     (value, before["id"]))
    conn.close()
    shown = cli("show", ref)
    if column == "text_hash":
        assert shown.exit_code == 1 and "Traceback" not in shown.stderr
        assert len(shown.stderr.strip().splitlines()) == 1
    r = cli("check", "--json")
    assert r.exit_code == 1
    details = [p["detail"] for p in json.loads(r.stdout)["problems"]
               if p["kind"] == "index" and p["object"] == "revisions"]
    assert details[-1] == ("1 revisions differ from the capture they were derived from "
                           "(article, text or title)")
    # a hash that is no object id is a value no writer writes, too
    assert details[:-1] == (["1 rows hold a value of the wrong type or form (a catalog "
                             "edited by hand?)"] if value == "zz" else [])
    assert cli("check", "--repair").exit_code == 0
    assert cli("check").exit_code == 0
    assert revision(cli, ref) == before


@pytest.mark.parametrize("key", ["schema", "journal_seq"])
def test_a_catalog_whose_numbers_were_edited_into_words_is_built_again(
        cli: CliRun, filled: Path, key: str) -> None:
    """``meta`` values that are no numbers (edited by hand) stopped every command with a
    traceback. An unreadable schema is as old as can be: the catalog is built again when
    the store is opened. An unreadable journal position is none: read commands refuse in
    one line, and ``check --repair`` builds the catalog again."""
    conn = sqlite3.connect(filled / "catalog.sqlite")
    with conn:
        conn.execute("UPDATE meta SET value = 'x' WHERE key = ?", (key,))
    conn.close()
    listed = cli("list")
    if key == "journal_seq":
        assert listed.exit_code != 0 and "reindex" in listed.stderr
        assert len(listed.stderr.strip().splitlines()) == 1
        assert cli("check").exit_code == 1
        assert cli("check", "--repair").exit_code == 0
        listed = cli("list")
    assert listed.exit_code == 0 and ECB in listed.stdout
    assert cli("check").exit_code == 0


def test_a_kept_count_or_first_sentence_edited_into_something_else(cli: CliRun,
                                                                   filled: Path) -> None:
    """A kept count that is no number: ``stats`` counts instead of a traceback, ``check``
    reports it and its repair counts again. A revision's first changed sentence that is
    no text: ``changes`` derives it from the texts, as for one never derived."""
    stats, changes = cli("stats", "--json").stdout, cli("changes", "--json").stdout
    conn = sqlite3.connect(filled / "catalog.sqlite")
    with conn:
        conn.execute("UPDATE counters SET value = 'x' WHERE name = 'texts'")
        conn.execute("UPDATE revisions SET first_change = x'00ff' WHERE number > 1")
    conn.close()
    assert cli("stats", "--json").stdout == stats
    assert cli("changes", "--json").stdout == changes
    r = cli("check", "--json")
    assert r.exit_code == 1 and [p["object"] for p in json.loads(r.stdout)["problems"]
                                 if p["kind"] == "index"] == ["revisions", "counters"]
    assert cli("check", "--repair").exit_code == 0
    assert cli("check").exit_code == 0 and cli("stats", "--json").stdout == stats
