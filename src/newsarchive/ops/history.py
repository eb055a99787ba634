"""Putting a committed capture into its article's history, in capture order.

Shared by ``add`` (a new capture), the roll-forward of a commit the journal holds and the
catalog does not (a write killed between the two) and ``reindex``: a capture row is
inserted, then either appended to the article's history (it is the newest capture) or the
article's revisions are derived again from all its captures (it goes before the newest: a
backfill), so that numbers, kinds and reverts always follow capture order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Literal

from newsarchive.errors import IntegrityError
from newsarchive.indexing.indexer import Capture, Indexer
from newsarchive.indexing.rows import RowLike
from newsarchive.store.catalog import Catalog
from newsarchive.store.journal import Commit, read_journal
from newsarchive.store.records import Record, record_from_bytes
from newsarchive.store.repository import Store
from newsarchive.text.urls import canonical_url

Placed = Literal["added", "revised", "confirmed", "inserted"]
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


def captures_of(store: Store, cat: Catalog, article_id: str,
                texts: dict[str, str]) -> list[Capture]:
    return [Capture(row["seq"], row["record"], record_of_row(row),
                    text_or_none(store, row["text_hash"], texts))
            for row in cat.captures_of(article_id)]


def place(store: Store, indexer: Indexer, cat: Catalog, seq: int, oid: str, rec: Record,
          texts: dict[str, str]) -> tuple[Placed, RowLike]:
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
        row, new = indexer.append(cat, Capture(seq, oid, rec, text), head, head_text)
        return ("added" if head is None else "revised" if new else "confirmed"), row
    rows = indexer.index_article(cat, rec.article, captures_of(store, cat, rec.article, texts))
    rid = cat.capture_rid(seq)
    return "inserted", next(r for r in rows if r["rid"] == rid)


def read_record(store: Store, oid: str) -> Record | None:
    """A committed record, None when it cannot be read (reported by check)."""
    try:
        kind, payload = store.objects.get(oid)
        return record_from_bytes(payload) if kind == "record" else None
    except (KeyError, IntegrityError, ValueError):
        return None


def apply_commits(store: Store, indexer: Indexer, cat: Catalog,
                  commits: Iterable[Commit]) -> int:
    """Place every record of ``commits`` (journal lines the catalog does not reflect yet)
    and record the catalog's new position; the caller holds the lock and commits."""
    placed = 0
    last = None
    for commit in commits:
        for i, oid in enumerate(commit.records):
            rec = read_record(store, oid)
            if rec is not None:
                place(store, indexer, cat, capture_seq(commit.seq, i), oid, rec, {})
                placed += 1
        last = commit
    if last is not None:
        cat.set_position(last.seq, last.id)
    return placed


def roll_forward(store: Store, indexer: Indexer, cat: Catalog) -> int:
    """Apply the commit a killed write left in the journal and not in the catalog (under
    the lock, in its own transaction); returns the records placed."""
    state = store.journal_state(cat)
    if state.status != "in-flight":
        return 0
    have = state.catalog.seq if state.catalog is not None else 0
    cat.begin()
    try:
        placed = apply_commits(store, indexer, cat,
                               (c for c in read_journal(store.journal_path) if c.seq > have))
        cat.commit()
    except BaseException:
        cat.rollback()
        raise
    return placed
