"""Revision references (SPEC 3): ``ID``, ``ID@N``, ``ID@-K``, hash prefixes, ID suffixes."""

from __future__ import annotations

import re
import sqlite3
from typing import NamedTuple

from newsarchive.errors import AmbiguousRef, RevisionNotFound, UsageError
from newsarchive.model import MAX_REVISION
from newsarchive.store.catalog import Catalog

_AT = re.compile(r"^(?P<base>.+?)@(?P<num>-?\d+)$")
_HEX = re.compile(r"^[0-9a-f]{7,64}$")
_NAME = re.compile(r"^[a-z0-9._/-]+$")


class ParsedRef(NamedTuple):  # not a dataclass: read commands define it at start-up
    base: str
    number: int | None  # N >= 1, or -K for K before latest, or None for latest


def parse_ref(ref: str) -> ParsedRef:
    """Split a reference; UsageError when it cannot be one."""
    ref = ref.strip()
    m = _AT.match(ref)
    base, number = (m.group("base"), int(m.group("num"))) if m else (ref, None)
    if number is not None and abs(number) > MAX_REVISION:
        raise RevisionNotFound(ref)
    if number == 0:
        raise UsageError(
            f"{ref}: revisions are numbered from 1 (use @1, or @-1 for the one before latest)"
        )
    if not base or not _NAME.match(base.lower()) or base.startswith("/") or "//" in base:
        raise RevisionNotFound(ref, "not a valid article ID or revision reference")
    return ParsedRef(base.lower(), number)


def resolve(cat: Catalog, ref: str) -> sqlite3.Row:
    """The revision row a reference names."""
    parsed = parse_ref(ref)
    if parsed.number is None and _HEX.match(parsed.base):
        rows = cat.revisions_with_hash_prefix(parsed.base)
        hashes = {r["text_hash"] for r in rows}
        if len(hashes) > 1:
            raise AmbiguousRef(ref, sorted(f"{h[:12]}" for h in hashes))
        if len({r["article"] for r in rows}) > 1:  # one text in several articles
            raise AmbiguousRef(ref, sorted({f"{r['article']}@{r['number']}" for r in rows}))
        if rows:
            return rows[-1]  # the latest revision with that text
    article_id = resolve_article(cat, parsed.base, ref)
    return revision_of(cat, article_id, parsed.number, ref)


def resolve_article(cat: Catalog, base: str, ref: str) -> str:
    if cat.article(base) is not None:
        return base
    candidates = cat.article_ids_ending(base)
    if not candidates:
        raise RevisionNotFound(ref)
    if len(candidates) > 1:
        raise AmbiguousRef(ref, candidates)
    return candidates[0]


def revision_of(cat: Catalog, article_id: str, number: int | None, ref: str) -> sqlite3.Row:
    head = cat.head(article_id)
    if head is None:
        raise RevisionNotFound(ref)
    if number is None:
        return head
    target = number if number > 0 else head["number"] + number
    row = cat.revision(article_id, target) if target >= 1 else None
    if row is None:
        raise RevisionNotFound(ref, f"{article_id} has revisions @1..@{head['number']}")
    return row
