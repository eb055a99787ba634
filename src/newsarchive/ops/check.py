"""``check``: re-hashing every object and comparing the catalog with the objects.

The objects are the truth. ``reindex`` rebuilds every catalog table from the revision
records alone, in one transaction; ``check`` re-hashes every object and compares the
catalog with them; ``check --repair`` sets corrupt objects aside in ``quarantine/``,
rewrites lost records from the catalog and reindexes, marking revisions whose text is
gone as damaged rather than dropping them; ``gc`` removes what nothing refers to.
"""

from __future__ import annotations

import os
import sqlite3
from collections import defaultdict
from collections.abc import Callable

from newsarchive.errors import StoreError
from newsarchive.indexing.indexer import Indexer
from newsarchive.model import Problem
from newsarchive.ops.gc import repack
from newsarchive.ops.reindex import reindex
from newsarchive.ops.scan import scan_objects
from newsarchive.store.catalog import Catalog
from newsarchive.store.objects import ObjectStore
from newsarchive.store.records import Record
from newsarchive.store.repository import Store


def check(store: Store, indexer: Indexer, *, repair: bool = False,
          on_progress: Callable[[int, int], None] | None = None) -> list[Problem]:
    """Every problem found; with ``repair``, fix what can be fixed (see module docstring).
    ``on_progress(done, total)`` is called as each object is read."""
    if store.exists() or not (store.root / "objects").is_dir():
        store.require()
    elif not repair:  # not "no archive": the objects are here
        return [Problem("format", str(store.root / "format"), "the format file is "
                        "missing beside the objects; check --repair writes it again")]
    mended: list[Problem] = []  # what a repair fixed before looking
    if repair:  # taking the lock writes a lost format file again; lost, damaged or
        with store.locked():  # swapped pack indexes are rebuilt from the packs first
            store.objects.index_packs()
            mended = _mend_layout(store)
    records, blobs, bad, unreadable = scan_objects(store.objects, on_progress)
    problems: list[Problem] = []
    rows: list[sqlite3.Row] = []
    catalog_ok = True
    try:
        cat = store.catalog()
        rows = list(cat.all_revisions())
        problems.extend(Problem("catalog", str(store.catalog_path), note, damage=False)
                        for note in store.catalog_notes)  # how a read-only one was read
    except StoreError as err:
        catalog_ok = False
        problems.append(Problem("catalog", str(store.catalog_path), str(err)))
    except sqlite3.DatabaseError as err:
        catalog_ok = False
        problems.append(Problem("catalog", str(store.catalog_path), f"unreadable ({err})"))

    users: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for oid in (row["record"], row["text_hash"], row["original"]):
            if oid:
                users[oid].add(row["article"])
    for rec_oid, rec in records.items():
        users[rec_oid].add(rec.article)
        users[rec.text].add(rec.article)
    for oid, detail in sorted(bad.items()):
        problems.append(Problem("corrupt", oid, detail, sorted(users.get(oid, ()))))
    for oid, detail in sorted(unreadable.items()):
        problems.append(Problem("unreadable", oid, detail, sorted(users.get(oid, ()))))

    known = set(records) | blobs | set(bad) | set(unreadable)
    committed = set()
    for row in rows:
        ref = f"{row['article']}@{row['number']}"
        committed.add(row["record"])
        for oid, what in ((row["record"], "record"), (row["text_hash"], "text"),
                          (row["original"], "original")):
            if oid and oid not in known and not (row["damaged"] and what == "text"):
                problems.append(Problem("missing", oid, f"the {what} of {ref} is missing",
                                        [row["article"]]))
        stored = records.get(row["record"])
        if stored is not None and (stored.article, stored.number, stored.text, stored.title) != (
            row["article"], row["number"], row["text_hash"], row["title"]
        ):
            problems.append(Problem("mismatch", row["record"],
                                    f"the catalog row of {ref} differs from its record",
                                    [row["article"]]))
        if row["damaged"]:
            problems.append(Problem("damaged", row["text_hash"],
                                    f"{ref} lost its text (set aside by a repair)",
                                    [row["article"]], damage=False))
    if catalog_ok:
        # Records the catalog does not list were never committed (an add killed before
        # its commit, a batch rolled back): nothing reported is missing, so not damage.
        for oid in sorted(set(records) - committed):
            problems.append(Problem("leftover", oid,
                                    "a record of an interrupted add, never committed "
                                    "(gc removes it)",
                                    [records[oid].article], damage=False))
        problems.extend(_check_index(store.catalog(), readonly=bool(store.catalog_mode)))
    problems.extend(_check_packs(store.objects))
    problems.extend(Problem(kind, where, detail, damage=damage)  # type: ignore[arg-type]
                    for kind, where, detail, damage in store.objects.pack_problems())
    for tmp in store.objects.temp_files():
        problems.append(Problem("temp", str(tmp), "a temp file left by an interrupted write",
                                damage=False))
    for pack in store.objects.unindexed_packs():
        problems.append(Problem("unindexed", str(pack), "a pack without its index (a write "
                                "interrupted, or the index lost): gc or check --repair "
                                "indexes it again, or sets it aside in quarantine/ when "
                                "it is not a pack at all", damage=False))
    for link in store.objects.fanout_links():
        problems.append(Problem("link", str(link), f"a fan-out directory is a symbolic link "
                                f"(to {os.readlink(link)}): nothing is written through it, "
                                "and its objects are not checked; check --repair replaces "
                                "it with a directory of verified copies"))
    if repair and unreadable:  # not damage a repair can mend: intact objects would be
        problems.append(Problem(  # set aside, their revisions marked as having lost text
            "repair", str(store.root), f"not repaired: {len(unreadable)} object(s) cannot be "
            "read (permissions? a failing disk?); make them readable and check again"))
    elif repair and any(p.damage for p in problems):
        _repair(store, indexer, bad, rows, records)
        return mended + [Problem("repaired", str(store.root), detail, damage=False)
                         for detail in _summarise(problems)] + [
                    p for p in check(store, indexer) if p.damage or p.kind == "damaged"]
    return mended + problems


def _mend_layout(store: Store) -> list[Problem]:
    """Under the lock, before objects are read: fan-out directories planted as links
    become real ones (with verified copies of their objects), and packs that cannot be
    indexed are set aside in quarantine/."""
    mended = []
    for link in store.objects.fanout_links():
        target = os.readlink(link)
        copied = store.objects.replace_fanout_link(link)
        mended.append(Problem("repaired", str(link), f"a symbolic link to {target} replaced "
                              f"by a directory ({copied} verified object(s) copied)",
                              damage=False))
    for dest, why in store.objects.set_aside_unindexable(store.quarantine_dir):
        mended.append(Problem("repaired", str(dest), f"a pack that cannot be indexed ({why}) "
                              "set aside in quarantine/", damage=False))
    return mended


def _check_packs(objects: ObjectStore) -> list[Problem]:
    """Pack files whose index or header cannot be read (their objects show as missing)."""
    from newsarchive.store.packs import PackFormatError, PackReader

    problems = []
    if objects.pack_dir.is_dir():
        for pack in sorted(objects.pack_dir.glob("pack-*.pack")):
            if not pack.with_suffix(".idx").exists():
                continue
            try:
                PackReader(pack, verify=True).close()
            except (OSError, PackFormatError) as err:
                problems.append(Problem("corrupt", str(pack), f"unreadable pack ({err})"))
    return problems


def _check_index(cat: Catalog, *, readonly: bool = False) -> list[Problem]:
    problems = []
    if readonly:  # FTS5's integrity-check is a write statement: check the b-trees only
        bad = [r[0] for r in cat.conn.execute("PRAGMA quick_check") if r[0] != "ok"]
        if bad:
            problems.append(Problem("index", "catalog", f"the catalog is damaged ({bad[0]})"))
        problems.append(Problem("index", "docs_fts", "search index consistency not checked: "
                                "the store is read-only", damage=False))
    for table in () if readonly else ("docs_fts", "edits_fts"):
        try:
            cat.conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as err:
            problems.append(Problem("index", table, f"the search index is damaged ({err})"))
    orphan = cat.conn.execute(
        "SELECT COUNT(*) FROM revisions r LEFT JOIN docs d ON d.doc = r.doc "
        "WHERE d.doc IS NULL OR d.text_hash != r.text_hash OR d.title != r.title"
    ).fetchone()[0]
    if orphan:
        problems.append(Problem("index", "docs", f"{orphan} revisions point at wrong index rows"))
    return problems


def _summarise(problems: list[Problem]) -> list[str]:
    kinds: dict[str, int] = defaultdict(int)
    for p in problems:
        if p.damage:
            kinds[p.kind] += 1
    return [f"{n} {kind} problem(s) handled" for kind, n in sorted(kinds.items())]


def _repair(store: Store, indexer: Indexer, bad: dict[str, str], rows: list[sqlite3.Row],
            records: dict[str, Record]) -> None:
    rewritten = set()
    with store.locked():
        packed = {oid for oid in bad if not store.objects.is_loose(oid)}
        for oid in bad:
            store.objects.quarantine(oid, store.quarantine_dir)
        for row in rows:  # records lost to corruption are rewritten from the catalog
            if row["record"] in records:
                continue
            rec = Record(
                article=row["article"], number=row["number"], parent=None,
                text=row["text_hash"], original=row["original"],
                original_type=row["original_type"], title=row["title"], url=row["url"],
                date=row["date"], source=row["source"], author=row["author"],
                captured_at=row["captured_at"], recorded_at=row["captured_at"],
            )
            rewritten.add(store.objects.put("record", rec.to_bytes()))
    # the rewritten records stand for committed ones: not leftovers of a failed add
    reindex(store, indexer, committed_too=frozenset(rewritten))
    if packed:  # corrupt entries stay in their packs until the packs are written anew
        with store.locked():
            cat = store.catalog(write=True)
            repack(store, cat, cat.referenced_objects(), force=True)


