"""Packs: bulk adds write them, reads verify them, gc migrates loose stores into them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import newsarchive
from newsarchive.errors import IntegrityError
from newsarchive.store.packs import MAX_DEPTH
from tests.conftest import EXAMPLES, CliRun


def article(i: int, rev: int) -> dict[str, str]:
    body = "\n\n".join(
        f"Paragraph {p} of story {i}: the council met on Tuesday and voted {p * 3 + rev} to {p}."
        for p in range(12)
    )
    return {"text": body, "source": "wire", "slug": f"story-{i}", "date": "2024-02-01",
            "title": f"Story {i}" + (" (updated)" if rev % 2 else "")}


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture
def bulk(cli: CliRun, store: Path, tmp_path: Path) -> Path:
    rows = [article(i, r) for r in range(3) for i in range(40)]
    r = cli("add", str(write_jsonl(tmp_path / "bulk.jsonl", rows)))
    assert r.exit_code == 0, r.stderr
    return store


def packs(store: Path) -> list[Path]:
    return sorted((store / "objects" / "pack").glob("pack-*.pack"))


def test_bulk_add_writes_a_pack_with_deltas(cli: CliRun, bulk: Path) -> None:
    assert len(packs(bulk)) == 1
    assert not [p for p in (bulk / "objects").iterdir() if p.name != "pack"]
    assert json.loads((bulk / "format").read_text())["version"] == 3
    stats = json.loads(cli("stats", "--json").stdout)
    assert stats["revisions"] == 120 and stats["objects_bytes"] < stats["text_bytes"] * 0.7
    archive = newsarchive.open(bulk)
    (reader,) = archive.store.objects.packs()
    later = bytes.fromhex(archive.get("story-5@3").hash)
    first = bytes.fromhex(archive.get("story-5@1").hash)
    assert reader.find(later)[2] == 2 and reader.find(first)[2] == 0  # type: ignore[index]
    assert reader.find(later)[1] < reader.find(first)[1]  # type: ignore[index]
    archive.close()
    log = [json.loads(x) for x in cli("log", "story-7", "--json").stdout.splitlines()]
    assert [r["revision"] for r in log] == [3, 2, 1]
    text = cli("show", "story-7@2").stdout_bytes
    import hashlib

    assert hashlib.sha256(text).hexdigest() == log[1]["hash"]
    assert cli("check").exit_code == 0


def test_reindex_and_export_from_packs(cli: CliRun, bulk: Path, tmp_path: Path) -> None:
    export = cli("export").stdout_bytes
    (bulk / "catalog.sqlite").unlink()
    assert cli("reindex").exit_code == 0
    assert cli("export").stdout_bytes == export


def test_corrupt_pack_entry_detected(cli: CliRun, bulk: Path) -> None:
    archive = newsarchive.open(bulk)
    (reader,) = archive.store.objects.packs()
    offset, length, _ = reader.find(bytes.fromhex(archive.get("story-9").hash))  # type: ignore[misc]
    archive.close()
    (pack,) = packs(bulk)
    data = bytearray(pack.read_bytes())
    data[offset + length - 2] ^= 0xFF
    pack.write_bytes(bytes(data))
    r = cli("check")
    assert r.exit_code == 1 and "damage: corrupt" in r.stdout
    outputs = [cli("show", f"story-{i}") for i in range(40)]
    bad = [o for o in outputs if o.exit_code != 0]
    assert bad and all(o.stdout == "" and o.stderr.startswith("error: ") for o in bad)


def test_gc_migrates_loose_store_and_repacks(cli: CliRun, store: Path, tmp_path: Path) -> None:
    assert cli("add", str(EXAMPLES)).exit_code == 0  # small batches: loose objects
    assert not packs(store)
    export = cli("export").stdout_bytes
    out = json.loads(cli("gc", "--json").stdout)
    assert out["objects_packed"] > 0 and len(packs(store)) == 1
    assert not [p for p in (store / "objects").iterdir() if p.name != "pack"]
    assert cli("export").stdout_bytes == export
    assert cli("check").stdout == ""
    # a second gc has nothing to do
    assert json.loads(cli("gc", "--json").stdout)["objects_packed"] == 0
    # more bulk adds make more packs; gc folds them into one
    cli("add", str(write_jsonl(tmp_path / "b.jsonl", [article(i, 0) for i in range(20)])))
    cli("add", str(write_jsonl(tmp_path / "c.jsonl", [article(i, 1) for i in range(20)])))
    assert len(packs(store)) == 3
    export = cli("export").stdout_bytes
    cli("gc")
    assert len(packs(store)) == 1 and cli("export").stdout_bytes == export
    assert cli("check").exit_code == 0


def test_delta_chains_are_bounded(tmp_path: Path) -> None:
    archive = newsarchive.open(tmp_path / "s")
    base = article(1, 0)
    for rev in range(MAX_DEPTH * 2 + 3):
        d = dict(base, text=base["text"] + f"\n\nUpdate {rev}.")
        archive.add(d["text"], source="wire", slug="story-1", date="2024-02-01", title=d["title"])
    archive.gc(grace=0)
    objects = archive.store.objects
    (reader,) = objects.packs(refresh=True)
    depths = [reader.find(bytes.fromhex(oid))[2] for oid in reader]  # type: ignore[index]
    assert max(depths) < MAX_DEPTH and max(depths) > 1
    for rev in archive.log("story-1"):
        assert archive.show(rev.ref).endswith(f"Update {rev.number - 1}.\n")
    archive.close()


def test_missing_delta_base_is_an_integrity_error(tmp_path: Path, cli: CliRun, bulk: Path) -> None:
    archive = newsarchive.open(bulk)
    rev = archive.get("story-3@3")
    archive.close()
    (pack,) = packs(bulk)
    pack.with_suffix(".idx").unlink()
    with pytest.raises(KeyError):
        newsarchive.open(bulk).store.objects.get(rev.hash)
    r = cli("show", "story-3@3")
    assert r.exit_code == 1 and "missing" in r.stderr
    assert IntegrityError  # the CLI reports it as an integrity error


def test_a_damaged_index_never_yields_wrong_text(cli: CliRun, bulk: Path) -> None:
    """Readers skip the index checksum (it cost every command a hash of every index);
    each object read is still re-hashed, so damage reads as missing or corrupt, and
    ``check`` verifies the checksum."""
    archive = newsarchive.open(bulk)
    texts = {r.ref: archive.show(r.ref) for a in archive.articles() for r in archive.log(a.id)}
    archive.close()
    (pack,) = packs(bulk)
    idx = pack.with_suffix(".idx")
    data = bytearray(idx.read_bytes())
    count = int.from_bytes(data[8:12], "big")
    for i in range(0, count, 3):  # every third record: shift its offset
        data[12 + i * 48 + 32 + 7] ^= 0x40
    idx.write_bytes(bytes(data))
    wrong = damaged = 0
    for ref, text in texts.items():
        r = cli("show", ref)
        if r.exit_code == 0:
            wrong += r.stdout != text
        else:
            damaged += 1
            assert r.exit_code == 1 and r.stderr.count("\n") == 1
    assert wrong == 0 and damaged > 0
    r = cli("check", "--json")
    assert r.exit_code == 1 and "index checksum mismatch" in r.stdout
    # the pack still holds every object: a repair indexes it again, and nothing is lost
    assert cli("check", "--repair").exit_code == 0
    assert cli("check").exit_code == 0
    for ref, text in texts.items():
        assert cli("show", ref).stdout == text


def all_texts(store: Path) -> dict[str, str]:
    with newsarchive.open(store) as archive:
        return {r.ref: archive.show(r.ref) for a in archive.articles() for r in archive.log(a.id)}


def test_a_pack_that_lost_its_index_is_indexed_again_not_deleted(cli: CliRun,
                                                                   bulk: Path) -> None:
    """gc used to delete a pack without an index as an interrupted write: with its index
    lost, that deleted the only copies of every revision in it."""
    texts = all_texts(bulk)
    (pack,) = packs(bulk)
    pack.with_suffix(".idx").unlink()
    r = cli("check", "--json")
    assert r.exit_code == 1
    assert any(p["kind"] == "unindexed" and not p["damage"]
               for p in json.loads(r.stdout)["problems"])
    assert cli("gc", "--grace", "0").exit_code == 0
    assert cli("check").exit_code == 0
    assert all_texts(bulk) == texts


def test_damage_inside_a_pack_is_repaired_for_good(cli: CliRun, bulk: Path) -> None:
    """Corrupt entries were set aside but stayed in their pack, so check failed after
    every repair; the repair now writes the pack anew without them."""
    texts = all_texts(bulk)
    (pack,) = packs(bulk)
    data = bytearray(pack.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside some entry
    pack.write_bytes(bytes(data))
    assert cli("check").exit_code == 1
    assert cli("check", "--repair").exit_code == 0
    assert cli("check").exit_code == 0
    after = all_texts_or_damaged(cli, texts)
    assert after["same"] >= len(texts) - 3 and after["wrong"] == 0


def all_texts_or_damaged(cli: CliRun, texts: dict[str, str]) -> dict[str, int]:
    counts = {"same": 0, "wrong": 0, "lost": 0}
    for ref, text in texts.items():
        r = cli("show", ref)
        key = "lost" if r.exit_code else ("same" if r.stdout == text else "wrong")
        counts[key] += 1
    return counts


def test_a_damaged_newest_record_is_rewritten_and_kept(cli: CliRun, store: Path) -> None:
    """The repair rewrote a lost record from the catalog, then its own reindex called the
    rewrite a leftover of a failed add, and gc deleted it: the newest revision was lost
    although its text was intact."""
    assert cli("add", str(EXAMPLES)).exit_code == 0
    texts = all_texts(store)
    with newsarchive.open(store) as archive:
        record = archive.get("putin-reaffirms-war-aims@3").record
    (store / "objects" / record[:2] / record[2:]).write_bytes(b"x")
    assert cli("check", "--repair").exit_code == 0
    assert cli("check").exit_code == 0
    assert cli("gc", "--grace", "0").exit_code == 0
    assert all_texts(store) == texts
