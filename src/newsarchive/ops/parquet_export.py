"""Revisions to a Parquet dataset (``export --format parquet DIR``) for DuckDB, Spark, pandas.

One row a revision, in a Hive-partitioned dataset::

    DIR/source=politico.eu/year=2024/part-0.parquet

``source`` and ``year`` (of the article's date, the date in its ID, so that every revision
of an article is in one partition) are the partition columns: they are in the directory
names, not in the files (Spark refuses a column that is in both). The columns of
:data:`COLUMNS`: the revision's facts, its canonical text, and what changed against its
predecessor: words added and removed, kinds, the passages an edit took out and put in
(as ``search --removed/--added`` sees them) and the sentence actions of the sentence
alignment (``added``, ``removed``, ``edited``, ``moved``, ``split``, ``merged``, each with
the sentences before and after).

Streaming: the catalog lists revisions by article ID, so each partition's revisions come
together; one file is open at a time and rows are written in row groups of
:data:`ROW_GROUP` revisions (or fewer, at :data:`GROUP_BYTES` of text), so memory holds
one row group and two texts of one article, however large the store. pyarrow is an
optional dependency (``pip install 'newsarchive[parquet]'``); it is imported only here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsarchive.diff.align import align_sentences
from newsarchive.errors import IntegrityError, MissingExtra, UsageError
from newsarchive.model import Revision
from newsarchive.ops.listing import get

if TYPE_CHECKING:
    from newsarchive.store.repository import Store

__all__ = ["COLUMNS", "ParquetExport", "write_parquet"]

ROW_GROUP = 2000
GROUP_BYTES = 16 * 1024 * 1024  # of text in a row group, whichever comes first

#: The columns of each file, in order (``source`` and ``year`` are partition columns).
COLUMNS = ("id", "slug", "date", "revision", "hash", "title", "url", "captured_at", "author",
           "words", "words_added", "words_removed", "kind", "reverts", "flipflop", "damaged",
           "original_type", "text", "removed", "added", "sentences")


@dataclass
class ParquetExport:
    """What ``write_parquet`` wrote."""

    directory: str = ""
    rows: int = 0
    files: int = 0
    partitions: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"directory": self.directory, "rows": self.rows, "files": self.files,
                "partitions": self.partitions, "failed": len(self.errors),
                "errors": list(self.errors)}


def _pyarrow() -> Any:
    try:
        import pyarrow  # the optional extra [parquet]
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise MissingExtra("Parquet export", "pyarrow", "parquet") from None
    return pyarrow


def schema() -> Any:
    """The Arrow schema of the files (without the partition columns)."""
    pa = _pyarrow()
    sentence = pa.struct([("action", pa.string()), ("old", pa.string()), ("new", pa.string())])
    return pa.schema([
        ("id", pa.string()), ("slug", pa.string()), ("date", pa.date32()),
        ("revision", pa.int32()), ("hash", pa.string()), ("title", pa.string()),
        ("url", pa.string()), ("captured_at", pa.timestamp("s", tz="UTC")),
        ("author", pa.string()), ("words", pa.int32()), ("words_added", pa.int32()),
        ("words_removed", pa.int32()), ("kind", pa.list_(pa.string())),
        ("reverts", pa.int32()), ("flipflop", pa.bool_()), ("damaged", pa.bool_()),
        ("original_type", pa.string()), ("text", pa.string()),
        ("removed", pa.list_(pa.string())), ("added", pa.list_(pa.string())),
        ("sentences", pa.list_(sentence)),
    ])


def write_parquet(store: Store, revisions: Iterable[Revision], directory: Path,
                  ) -> ParquetExport:
    """Write the revisions as a dataset under ``directory`` (which must not exist or be
    empty); a revision whose text cannot be read is a row without text, and an error."""
    pa = _pyarrow()
    import pyarrow.parquet as pq  # the optional extra [parquet]

    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UsageError(f"{directory}: not an empty directory (the dataset is written "
                         "into a new or empty one)")
    directory.mkdir(parents=True, exist_ok=True)
    report = ParquetExport(directory=str(directory))
    arrow_schema = schema()
    writer: Any = None
    current: tuple[str, str] | None = None
    parts: dict[tuple[str, str], int] = {}
    rows: list[dict[str, Any]] = []
    size = 0

    def flush() -> None:
        nonlocal rows, size
        if rows:
            writer.write_table(pa.Table.from_pylist(rows, schema=arrow_schema))
            report.rows += len(rows)
        rows, size = [], 0

    try:
        for partition, row in _rows(store, revisions, report):
            if partition != current:
                flush()
                if writer is not None:
                    writer.close()
                n = parts.get(partition, 0)
                parts[partition] = n + 1
                where = directory / f"source={partition[0]}" / f"year={partition[1]}"
                where.mkdir(parents=True, exist_ok=True)
                writer = pq.ParquetWriter(where / f"part-{n}.parquet", arrow_schema,
                                          compression="zstd")
                report.files += 1
                current = partition
            rows.append(row)
            size += len(row["text"] or "")
            if len(rows) >= ROW_GROUP or size >= GROUP_BYTES:
                flush()
        flush()
    finally:
        if writer is not None:
            writer.close()
    report.partitions = len(parts)
    return report


def _rows(store: Store, revisions: Iterable[Revision], report: ParquetExport,
          ) -> Iterator[tuple[tuple[str, str], dict[str, Any]]]:
    """((source, year), row) for each revision, with the diff facts against the text
    before it (kept from the previous row of the same article)."""
    conn = store.catalog().conn
    prev_id, prev_text = "", None
    for rev in revisions:
        source, date = rev.id.split("/")[:2]
        text: str | None
        try:
            text = store.text_of(rev.hash)
        except IntegrityError as err:
            report.errors.append(f"{rev.ref}: {err}")
            text = None
        if rev.number > 1 and prev_id != rev.id:  # the predecessor was filtered out
            try:
                prev_text = store.text_of(get(store, f"{rev.id}@{rev.number - 1}").hash)
            except IntegrityError:
                prev_text = None
        elif rev.number == 1:
            prev_text = None
        removed: list[str] = []
        added: list[str] = []
        for side, passage in conn.execute(
            "SELECT e.side, e.passage FROM edits e JOIN revisions r ON r.rid = e.rid "
            "WHERE r.record = ? ORDER BY e.eid", (rev.record,)
        ):
            (removed if side == "removed" else added).append(passage)
        sentences = None
        if text is not None and prev_text is not None:
            sentences = sentence_actions(prev_text, text)
        elif text is not None and rev.number == 1:
            sentences = []
        yield (source, date[:4]), {
            "id": rev.id, "slug": rev.slug, "date": dt.date.fromisoformat(rev.date),
            "revision": rev.number, "hash": rev.hash, "title": rev.title, "url": rev.url,
            "captured_at": dt.datetime.strptime(rev.captured_at, "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=dt.timezone.utc),
            "author": rev.author, "words": rev.words, "words_added": rev.words_added,
            "words_removed": rev.words_removed, "kind": list(rev.kind), "reverts": rev.reverts,
            "flipflop": rev.flipflop, "damaged": rev.damaged or text is None,
            "original_type": rev.original_type, "text": text, "removed": removed,
            "added": added, "sentences": sentences,
        }
        prev_id, prev_text = rev.id, text


def sentence_actions(before: str, after: str) -> list[dict[str, str | None]]:
    """What an edit did to each sentence it touched (the sentence alignment of
    :mod:`newsarchive.diff.align`: added, removed, edited, moved, split, merged), in the
    order of the new text; ``old``/``new`` are the sentences before and after."""
    if before == after:
        return []
    return [{"action": c.action, "old": c.old, "new": c.new}
            for c in align_sentences(before, after).changes if c.action != "unchanged"]
