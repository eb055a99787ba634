"""Reading the catalog: revisions by reference, an article's history, articles and
revisions by filter, the diff of two revisions, and the export record of a revision."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from newsarchive.errors import InputError, NothingToCompare
from newsarchive.indexing.rows import row_to_article, row_to_revision
from newsarchive.store import refs
from newsarchive.store.repository import Store

if TYPE_CHECKING:
    from newsarchive.diff.compare import Diff
    from newsarchive.model import Article, Revision


def get(store: Store, ref: str) -> Revision:
    """The revision a reference names (SPEC 3)."""
    return row_to_revision(refs.resolve(store.catalog(), ref))


def log(store: Store, ref: str) -> list[Revision]:
    """Every revision of the article ``ref`` names, newest first."""
    rev = get(store, ref)
    return [row_to_revision(r) for r in reversed(store.catalog().revisions_of(rev.id))]


def original(store: Store, ref: str) -> tuple[bytes, str | None]:
    """The stored original input of a revision and its media type."""
    rev = get(store, ref)
    if rev.original is None:
        raise InputError(rev.ref, "has no stored original (it was added as plain text)")
    return store.blob(rev.original), rev.original_type


def articles(store: Store, *, sources: Sequence[str], since: str | None, until: str | None,
             changed: bool, kinds: Sequence[str], limit: int | None,
             timeout: float | None = None) -> list[Article]:
    """Articles, newest change first, filtered as ``list``; the query runs at most
    ``timeout`` seconds (QueryTimeout)."""
    with store.bounded(timeout, "listing") as cat:
        rows = cat.articles(sources=sources, since=since, until=until, changed=changed,
                            kinds=kinds, limit=limit)
    return [row_to_article(r) for r in rows]


#: Read each chosen article's revisions by the catalog's (article, number) index rather
#: than walk every revision, when the articles number less than the revisions over this
#: (a lookup costs about what passing over 20 rows does): ``export --kind revert`` of 43
#: revisions at 100,000 articles took 1 s of walking.
PER_ARTICLE = 20


def revisions(store: Store, *, sources: Sequence[str], since: str | None, until: str | None,
              changed: bool, kinds: Sequence[str], limit: int | None) -> Iterator[Revision]:
    """Every revision, by article ID then number (the order of ``export``), of the
    articles that :func:`articles` selects with the same filters."""
    chosen = None
    if changed or kinds or limit is not None:
        chosen = {a.id for a in articles(store, sources=sources, since=since, until=until,
                                         changed=changed, kinds=kinds, limit=limit)}
    cat = store.catalog()
    rows: Iterable[Any]
    if chosen is not None and len(chosen) * PER_ARTICLE < cat.counts()["revisions"]:
        rows = (row for article in sorted(chosen) for row in cat.revisions_of(article))
    else:
        rows = cat.all_revisions()
    wanted = set(sources)
    for row in rows:
        if wanted and row["source"] not in wanted:
            continue
        if chosen is not None and row["article"] not in chosen:
            continue
        if (since and row["date"] < since) or (until and row["date"] > until):
            continue
        yield row_to_revision(row)


def diff(store: Store, a: str, b: str | None = None, *, by: str = "word") -> Diff:
    """The diff of revision ``a`` against ``b``; one ref: against its predecessor
    (NothingToCompare for a first revision)."""
    if b is None:
        new = get(store, a)
        if new.number == 1:
            raise NothingToCompare(new.id, len(store.catalog().revisions_of(new.id)))
        old = get(store, f"{new.id}@{new.number - 1}")
    else:
        old, new = get(store, a), get(store, b)
    return diff_revisions(store, old, new, by=by)


def diff_revisions(store: Store, old: Revision, new: Revision, *, by: str = "word") -> Diff:
    from newsarchive.diff.compare import diff_texts  # the diff engine: start-up time of reads

    return diff_texts(store.text_of(old.hash), store.text_of(new.hash), by=by,
                      title_a=old.title, title_b=new.title, label_a=old.ref, label_b=new.ref,
                      time_a=old.captured_at, time_b=new.captured_at)


def export_record(store: Store, rev: Revision) -> dict[str, Any]:
    """The export record of one revision; IntegrityError when its text is unreadable."""
    rec: dict[str, Any] = {
        "id": rev.id, "source": rev.source, "date": rev.date, "slug": rev.slug,
        "revision": rev.number, "hash": rev.hash, "title": rev.title, "url": rev.url,
        "captured_at": rev.captured_at, "author": rev.author,
        "text": store.text_of(rev.hash),
    }
    if rev.original is not None:
        payload = store.blob(rev.original)
        try:
            rec["original"] = payload.decode("utf-8")
        except UnicodeDecodeError:
            import base64  # export only: start-up time of reads

            rec["original_base64"] = base64.b64encode(payload).decode("ascii")
        rec["original_type"] = rev.original_type
    if rev.event is not None:  # a watch's tombstone or redirect: imported as one
        rec["event"] = rev.event
        if rev.detail is not None:
            rec["detail"] = rev.detail
    return rec
