"""Putting a committed capture into its article's history, in capture order.

Shared by ``add`` (a new capture) and the roll-forward of a commit the journal holds and
the catalog does not (a write killed between the two): a capture row is inserted, then
either appended to the article's history (it is the newest capture) or the article's
revisions are derived again from all its captures (it goes before the newest: a
backfill), so that numbers, kinds and reverts always follow capture order.

A capture showing what the one before it showed writes no record: it is a *sighting*, a
catalog row with its time only (:meth:`~newsarchive.store.catalog.Catalog.insert_sighting`).
Sightings keep the history order-independent: when a capture added later goes between
two sightings of one text (``A`` seen at 10:00 and 12:00, then ``B`` of 11:00 backfilled),
the 12:00 sighting begins a revision of its own (the return to ``A``), and is given a
record then (:data:`Materialize`). Sightings are the one part of the history kept in the
catalog only: after a ``reindex``, a backfill between two sightings places the return at
the last capture with a record (docs/storage.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Literal

from newsarchive.errors import IntegrityError, StoreError
from newsarchive.indexing.indexer import Capture, Indexer, runs_of
from newsarchive.indexing.rows import RowLike
from newsarchive.store.catalog import Catalog
from newsarchive.store import journal
from newsarchive.store.journal import Position, read_journal
from newsarchive.store.records import Record, record_from_bytes
from newsarchive.store.repository import Store
from newsarchive.text.dates import now_precise
from newsarchive.text.urls import canonical_url

Placed = Literal["added", "revised", "confirmed", "inserted"]
# Gives a sighting a record of its own: (its capture row) -> (new seq, record id)
Materialize = Callable[[sqlite3.Row], tuple[int, str]]
SEQ_BITS = 20  # a capture's seq: its commit's number << SEQ_BITS | its place in the commit


def capture_seq(commit_seq: int, index: int) -> int:
    return (commit_seq << SEQ_BITS) | index


def capture_values(seq: int, oid: str, rec: Record) -> dict[str, object]:
    return {"seq": seq, "record": oid, "article": rec.article, "captured_at": rec.captured_at,
            "text_hash": rec.text, "title": rec.title, "original": rec.original,
            "original_type": rec.original_type, "url": rec.url, "date": rec.date,
            "source": rec.source, "author": rec.author, "event": rec.event,
            "detail": rec.detail}


def record_of_row(row: sqlite3.Row) -> Record:
    """A capture row as the record it came from (less its recorded_at)."""
    return Record(article=row["article"], text=row["text_hash"], original=row["original"],
                  original_type=row["original_type"], title=row["title"], url=row["url"],
                  date=row["date"], source=row["source"], author=row["author"],
                  captured_at=row["captured_at"], recorded_at="", event=row["event"],
                  detail=row["detail"])


def text_or_none(store: Store, text_hash: str, texts: dict[str, str]) -> str | None:
    """A text (from ``texts`` when the caller has it), None when it cannot be read."""
    if text_hash in texts:
        return texts[text_hash]
    try:
        return store.text_of(text_hash)
    except (IntegrityError, UnicodeDecodeError):
        return None


def captures_of(store: Store, cat: Catalog, article_id: str, texts: dict[str, str],
                materialize: Materialize | None = None, indexer: Indexer | None = None,
                ) -> list[Capture]:
    """An article's captures, in capture order, sightings included; a sighting that begins
    a revision (grouped as ``indexer`` groups them, noise rules applied) is given a record
    first (by ``materialize``)."""
    rows = cat.captures_of(article_id)
    caps = [Capture(row["seq"], row["record"] or "", record_of_row(row),
                    text_or_none(store, row["text_hash"], texts)) for row in rows]
    firsts = {run.first.seq for run in (indexer.runs(caps) if indexer else runs_of(caps))}
    for row, cap in zip(rows, caps, strict=True):
        if not cap.oid and cap.seq in firsts:
            if materialize is None:
                raise StoreError(f"{store.root}: a sighting of {article_id} begins a revision "
                                 "and cannot be given a record here", remedy="reindex")
            seq, oid = materialize(row)
            cat.replace_capture(cap.seq, seq, oid)
            cap.seq, cap.oid = seq, oid
    return caps


def sight(cat: Catalog, before: sqlite3.Row, rec: Record) -> None:
    """Keep a capture that showed what ``before`` showed, as a sighting."""
    values = capture_values(0, "", rec)
    values["rid"] = before["rid"]
    cat.insert_sighting(values)
    if before["rid"] is not None:
        cat.saw_again(before["rid"], rec.captured_at)


def place(store: Store, indexer: Indexer, cat: Catalog, seq: int, oid: str, rec: Record,
          texts: dict[str, str], materialize: Materialize | None = None,
          ) -> tuple[Placed, RowLike]:
    """Insert a committed capture into the catalog and its article's history; returns how
    it was placed and the revision row it belongs to."""
    last = cat.last_capture(rec.article)
    cat.insert_capture(capture_values(seq, oid, rec))
    if rec.url:
        try:
            cat.map_url(canonical_url(rec.url), rec.article)
        except ValueError:
            pass  # a URL no canonical form can be made of identifies nothing
    if last is None or (last["captured_at"], last["seq"]) <= (rec.captured_at, seq):
        head = cat.head(rec.article)
        head_text = text_or_none(store, head["text_hash"], texts) if head is not None else None
        text = text_or_none(store, rec.text, texts)
        row, new = indexer.append(cat, Capture(seq, oid, rec, text), head, head_text,
                                  lambda h: text_or_none(store, h, texts))
        return ("added" if head is None else "revised" if new else "confirmed"), row
    caps = captures_of(store, cat, rec.article, texts, materialize, indexer)
    rows = indexer.index_article(cat, rec.article, caps)
    rid = cat.capture_rid(seq)
    row = next(r for r in rows if r["rid"] == rid)
    # a backfilled capture that only confirms its revision (its text differs by noise)
    return ("inserted" if row["seq"] == seq else "confirmed"), row


def read_record(store: Store, oid: str) -> Record | None:
    """A committed record, None when it cannot be read (reported by check)."""
    try:
        kind, payload = store.objects.get(oid)
        return record_from_bytes(payload) if kind == "record" else None
    except (KeyError, IntegrityError, ValueError):
        return None


def sighting_record(row: sqlite3.Row) -> Record:
    """The record a sighting is given when it begins a revision."""
    return Record(**{**vars(record_of_row(row)), "recorded_at": now_precise()})


def roll_forward(store: Store, indexer: Indexer, cat: Catalog) -> int:
    """Apply the commit a killed write left in the journal and not in the catalog (under
    the lock, in its own transaction); returns the records placed. Sightings it has to
    give a record are named in a journal line of their own, as ``add`` does."""
    state = store.journal_state(cat)
    if state.status != "in-flight":
        return 0
    have = state.catalog.seq if state.catalog is not None else 0
    (commit,) = [c for c in read_journal(store.journal_path) if c.seq > have]
    extra: list[str] = []

    def materialize(row: sqlite3.Row) -> tuple[int, str]:
        oid = store.objects.put("record", sighting_record(row).to_bytes())
        extra.append(oid)
        return capture_seq(commit.seq + 1, len(extra) - 1), oid

    placed = 0
    cat.begin()
    try:
        for i, oid in enumerate(commit.records):
            rec = read_record(store, oid)
            if rec is not None:
                place(store, indexer, cat, capture_seq(commit.seq, i), oid, rec, {},
                      materialize)
                placed += 1
        pos = Position(commit.seq, commit.id)
        if extra:
            pos = journal.append(store.journal_path, pos, extra, now_precise())
        cat.set_position(pos.seq, pos.id)
        cat.commit()
    except BaseException:
        cat.rollback()
        raise
    return placed
