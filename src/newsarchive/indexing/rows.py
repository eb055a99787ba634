"""Catalog rows as the library's typed results (no raw SQLite row leaves the library)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Union

# model.X: the class is made when first named, so `list` does not make Revision (start-up)
from newsarchive import model

if TYPE_CHECKING:
    from newsarchive.model import Article, Revision

RowLike = Union[sqlite3.Row, Mapping[str, Any]]  # a catalog row, or the values just inserted


def row_to_revision(row: RowLike) -> Revision:
    source, _, slug = row["article"].split("/")
    return model.Revision(  # its date is this capture's publication date (the ID: the first)
        id=row["article"], number=row["number"], hash=row["text_hash"], title=row["title"],
        source=source, date=row["date"], slug=slug, url=row["url"], captured_at=row["captured_at"],
        author=row["author"], record=row["record"], original=row["original"],
        original_type=row["original_type"], words=row["words"],
        words_added=row["words_added"], words_removed=row["words_removed"],
        reverts=row["reverts"], kind=tuple(row["kind"].split()),
        damaged=bool(row["damaged"]), flipflop=bool(row["flipflop"]),
        event=row["event"], last_seen=row["last_seen"],
        detail=row["detail"] if "detail" in row.keys() else None,
    )


def row_to_article(row: sqlite3.Row) -> Article:
    return model.Article(
        id=row["id"], source=row["source"], date=row["date"], slug=row["slug"],
        title=row["title"], url=row["url"], revisions=row["revisions"],
        first_captured=row["first_captured"], last_captured=row["last_captured"],
        hash=row["hash"], words=row["words"],
    )
