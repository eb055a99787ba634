"""``check``, ``reindex``, ``gc`` and ``stats``: keeping the catalog true to the objects.

The objects are the truth. ``reindex`` rebuilds every catalog table from the revision
records alone, in one transaction; ``check`` re-hashes every object and compares the
catalog with them; ``check --repair`` sets corrupt objects aside in ``quarantine/``,
rewrites lost records from the catalog and reindexes, marking revisions whose text is
gone as damaged rather than dropping them; ``gc`` removes what nothing refers to.
"""

from __future__ import annotations

import errno
import itertools
import os
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsarchive.errors import IntegrityError, StoreError
from newsarchive.model import Problem
from newsarchive.records import Record, record_from_bytes
from newsarchive.store.catalog import Catalog, connect
from newsarchive.store.objects import ObjectStore
from newsarchive.store.repository import refuse_symlink

if TYPE_CHECKING:
    from newsarchive.archive import Archive


def scan_objects(objects: ObjectStore, on_progress: Callable[[int, int], None] | None = None,
                 ) -> tuple[dict[str, Record], set[str], dict[str, str], dict[str, str]]:
    """Read every object: (valid records by id, valid blob ids, corrupt ones by id, ones
    that could not be read at all by id: a permission or I/O error, not their content)."""
    records: dict[str, Record] = {}
    blobs: set[str] = set()
    bad: dict[str, str] = {}
    unreadable: dict[str, str] = {}
    ids = list(dict.fromkeys(objects))
    for done, oid in enumerate(ids, 1):
        if on_progress is not None:
            on_progress(done, len(ids))
        try:
            kind, payload = objects.get(oid)
        except IntegrityError as err:
            bad[oid] = f"content does not match its hash ({err.got})"
            continue
        except KeyError as err:
            bad[oid] = str(err)
            continue
        except StoreError as err:
            unreadable[oid] = str(err)
            continue
        if kind == "blob":
            blobs.add(oid)
            continue
        try:
            records[oid] = record_from_bytes(payload)
        except ValueError as err:
            bad[oid] = f"not a valid revision record ({err})"
    return records, blobs, bad, unreadable


def choose_chains(records: dict[str, Record], committed: frozenset[str] = frozenset()
                  ) -> dict[str, list[tuple[str, Record]]]:
    """Per article, the committed history, oldest first.

    The head is the newest record the catalog lists (``committed``) when there is one,
    else the record with the highest (number, recorded_at): adds are serialised by the
    lock, so of two records of one number the later is the one whose add went on to
    commit. The history follows parent links, falling back to the latest record of the
    previous number where a parent is missing (set aside as corrupt). Other records are
    leftovers of killed adds.
    """
    by_article: dict[str, dict[int, list[tuple[str, Record]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for oid, rec in records.items():
        by_article[rec.article][rec.number].append((oid, rec))
    chains: dict[str, list[tuple[str, Record]]] = {}
    for article, by_number in by_article.items():
        for items in by_number.values():
            items.sort(key=lambda it: (it[1].recorded_at, it[0]))
        listed = [(r.number, oid) for oid, r in records.items()
                  if oid in committed and r.article == article] if committed else []
        if listed:
            oid = max(listed)[1]
            rec = records[oid]
        else:
            oid, rec = by_number[max(by_number)][-1]
        chain = [(oid, rec)]
        while rec.number > 1:
            parent = rec.parent
            if parent in records and records[parent].article == article:
                oid, rec = parent, records[parent]
            elif by_number.get(rec.number - 1):
                oid, rec = by_number[rec.number - 1][-1]
            else:
                break
            chain.append((oid, rec))
        chain.reverse()
        chains[article] = chain
    return chains


REINDEX_WINDOW = 500  # articles whose texts are read (and compared by workers) at once


def reindex(archive: Archive, on_progress: Callable[[int, int], None] | None = None, *,
            committed_too: frozenset[str] = frozenset()) -> dict[str, int]:
    """Rebuild the catalog and search index from the objects alone; ``on_progress(done,
    total)`` is called after each revision. ``committed_too``: records to count as
    committed beside those the current catalog lists (a repair's rewritten ones)."""
    store = archive.store
    if not (store.root / "objects").is_dir():
        store.require()
    with store.locked():  # recreates a lost format file beside the objects
        records, blobs, _bad, unreadable = scan_objects(store.objects)
        if unreadable:  # its revisions would be rebuilt as having lost their text
            detail = next(iter(unreadable.values()))
            raise StoreError(f"{store.root}: {len(unreadable)} object(s) cannot be read "
                             f"({detail}); make them readable, then reindex")
        chains = choose_chains(records, _committed_records(archive) | committed_too)
        cat = _open_or_replace_catalog(archive)
        counts = {"articles": 0, "revisions": 0, "damaged": 0, "leftover_records": 0}
        total = sum(len(c) for c in chains.values())
        cat.begin()
        try:
            cat.drop_derived()
            articles = sorted(chains)
            for start in range(0, len(articles), REINDEX_WINDOW):
                # read a window of texts, let workers compare them, insert in order
                window = [[(oid, rec, _text_or_none(archive, rec.text) if rec.text in blobs
                            else None) for oid, rec in chains[article]]
                          for article in articles[start:start + REINDEX_WINDOW]]
                archive._prefetch.submit(
                    (a[2] or "", b[2] or "") for revs in window
                    for a, b in itertools.pairwise(revs))
                for revs in window:
                    prev_text: str | None = None
                    prev_title: str | None = None
                    for oid, rec, text in revs:
                        damaged = text is None
                        archive._catalog_insert(cat, rec, oid, text or "", prev_text,
                                                prev_title, damaged=damaged)
                        counts["revisions"] += 1
                        counts["damaged"] += damaged
                        prev_text, prev_title = text or "", rec.title
                        if on_progress is not None:
                            on_progress(counts["revisions"], total)
                    counts["articles"] += 1
            cat.commit()
        except BaseException:
            cat.rollback()
            raise
        finally:
            archive._prefetch.clear()
            archive._workers.close()
        counts["leftover_records"] = len(records) - total
    return counts


def _committed_records(archive: Archive) -> frozenset[str]:
    """The records the current catalog lists, when it can be read (else none)."""
    try:
        return frozenset(r["record"] for r in archive.store.catalog().all_revisions())
    except (StoreError, sqlite3.DatabaseError):
        return frozenset()


def _text_or_none(archive: Archive, text_hash: str) -> str | None:
    try:
        return archive.text_of(text_hash)
    except (IntegrityError, UnicodeDecodeError):
        return None


def _open_or_replace_catalog(archive: Archive) -> Catalog:
    """The catalog; an unreadable one is moved aside and replaced by an empty one."""
    store = archive.store
    path = store.catalog_path
    refuse_symlink(path)
    try:
        if path.exists():
            conn = connect(path)
            try:
                conn.execute("PRAGMA quick_check").fetchall()
                # a full-text index whose structure record is damaged passes quick_check
                # but cannot even be dropped: query each one that exists
                for table in ("docs_fts", "edits_fts"):
                    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                                    (table,)).fetchone():
                        conn.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH 'x' "
                                     "LIMIT 1").fetchall()
            finally:
                conn.close()
    except sqlite3.DatabaseError:
        aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        os.replace(path, aside)
        for suffix in ("-wal", "-shm"):
            try:
                os.unlink(str(path) + suffix)
            except FileNotFoundError:
                pass
    store.close()
    conn = connect(path)
    cat = Catalog(conn)
    cat.create()
    store._conn, store._catalog = conn, cat
    return cat


def check(archive: Archive, *, repair: bool = False,
          on_progress: Callable[[int, int], None] | None = None) -> list[Problem]:
    """Every problem found; with ``repair``, fix what can be fixed (see module docstring).
    ``on_progress(done, total)`` is called as each object is read."""
    store = archive.store
    if store.exists() or not (store.root / "objects").is_dir():
        store.require()
    elif not repair:  # not "no archive": the objects are here
        return [Problem("format", str(store.root / "format"), "the format file is "
                        "missing beside the objects; check --repair writes it again")]
    if repair:  # taking the lock writes a lost format file again; lost, damaged or
        with store.locked():  # swapped pack indexes are rebuilt from the packs first
            store.objects.index_packs()
    records, blobs, bad, unreadable = scan_objects(store.objects, on_progress)
    problems: list[Problem] = []
    rows: list[sqlite3.Row] = []
    catalog_ok = True
    try:
        cat = store.catalog()
        rows = list(cat.all_revisions())
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
    for tmp in store.objects.temp_files():
        problems.append(Problem("temp", str(tmp), "a temp file left by an interrupted write",
                                damage=False))
    for pack in store.objects.unindexed_packs():
        problems.append(Problem("unindexed", str(pack), "a pack without its index (a write "
                                "interrupted, or the index lost): gc or check --repair "
                                "indexes it again", damage=False))
    if repair and unreadable:  # not damage a repair can mend: intact objects would be
        problems.append(Problem(  # set aside, their revisions marked as having lost text
            "repair", str(store.root), f"not repaired: {len(unreadable)} object(s) cannot be "
            "read (permissions? a failing disk?); make them readable and check again"))
    elif repair and any(p.damage for p in problems):
        _repair(archive, bad, rows, records)
        return [Problem("repaired", str(store.root), detail, damage=False)
                for detail in _summarise(problems)] + [
                    p for p in check(archive) if p.damage or p.kind == "damaged"]
    return problems


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


def _repair(archive: Archive, bad: dict[str, str], rows: list[sqlite3.Row],
            records: dict[str, Record]) -> None:
    store = archive.store
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
    reindex(archive, committed_too=frozenset(rewritten))
    if packed:  # corrupt entries stay in their packs until the packs are written anew
        with store.locked():
            cat = store.catalog(write=True)
            _repack(archive, cat, cat.referenced_objects(), force=True)


def gc(archive: Archive, *, grace: float = 3600.0, pack: bool = True,
       on_progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Remove unreferenced objects and temp files older than ``grace`` seconds; repack
    (``on_progress(done, total)`` as each object is repacked).

    Repacking writes every referenced object into one new pack (texts as deltas against
    the previous revision of their article), makes it durable, and only then deletes the
    old packs and the loose copies. A store of format 1 (loose objects only) becomes
    format 2 here: this is the migration. Packs that lost their index are indexed again.
    """
    store = archive.store
    store.require()
    freed = removed = temps = packed = 0
    with store.locked():
        # a pack without its index is indexed again, never deleted: under the lock no
        # write is between its pack and its index, and its objects may be the only copies
        store.objects.index_packs(store.objects.unindexed_packs())
        cat = store.catalog()
        referenced = cat.referenced_objects()
        if not referenced and any(True for _ in store.objects):
            raise StoreError(
                f"{store.root}: the catalog lists no revisions but objects exist; "
                "run 'newsarchive reindex' before gc"
            )
        cutoff = time.time() - grace
        for oid in list(store.objects):
            if oid in referenced:
                continue
            try:
                if os.lstat(store.objects.path(oid)).st_mtime > cutoff:
                    continue
            except FileNotFoundError:
                continue
            freed += store.objects.remove(oid)
            removed += 1
        for tmp in list(store.objects.temp_files()):
            try:
                st = os.lstat(tmp)
                if st.st_mtime <= cutoff:
                    os.unlink(tmp)
                    freed += st.st_size
                    temps += 1
            except FileNotFoundError:
                pass
        # Repacking and compacting write a new copy before freeing the old one: on a
        # nearly full disk they are skipped (the garbage is gone already), never fatal.
        notes: list[str] = []
        if pack:
            before = store.objects.disk_bytes()
            if _free_bytes(store.root) < before + SPACE_MARGIN:
                notes.append("repacking skipped: it needs free space about the size of the "
                             f"objects ({before:,} bytes)")
            else:
                try:
                    packed = _repack(archive, cat, referenced, on_progress)
                except OSError as err:
                    if err.errno not in (errno.ENOSPC, errno.EDQUOT):
                        raise StoreError(f"{store.root}: gc could not repack "
                                         f"({err.strerror or err})") from err
                    notes.append(f"repacking stopped: {err.strerror}; nothing was lost")
            freed += max(0, before - store.objects.disk_bytes())
        before = _catalog_bytes(store.root)
        if _free_bytes(store.root) < before + SPACE_MARGIN:
            notes.append("compacting the catalog skipped: it needs free space about its size "
                         f"({before:,} bytes)")
        else:
            try:
                cat.compact()
            except sqlite3.OperationalError as err:
                notes.append(f"compacting the catalog stopped: {err}; nothing was lost")
            freed += max(0, before - _catalog_bytes(store.root))
    return {"objects_removed": removed, "temp_files_removed": temps, "bytes_freed": freed,
            "objects_packed": packed, "notes": notes}


SPACE_MARGIN = 1024 * 1024


def _free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def _repack(archive: Archive, cat: Catalog, referenced: set[str],
            on_progress: Callable[[int, int], None] | None = None, *,
            force: bool = False) -> int:
    """Rewrite every referenced object into one pack; returns the objects packed (0: none).
    Without ``force``, a store already in one pack of exactly the referenced objects is
    left as it is."""
    objects = archive.store.objects
    old_packs = objects.packs(refresh=True)
    loose = [oid for oid in objects.loose() if oid in referenced]
    if not force and not loose and (not old_packs or (len(old_packs) == 1
                                                      and old_packs[0].count == len(referenced))):
        return 0  # nothing, or already one pack holding exactly what is referenced
    writer = archive.store.pack_writer(repack=True)
    revisions = cat.all_revisions()
    try:
        # Newest first: the latest text of an article (what list, show and search read
        # most) is stored whole, older ones as deltas against the next newer one.
        for _article, rows in itertools.groupby(revisions, lambda r: r["article"]):
            base_text: str | None = None
            base_original: str | None = None
            base_record: str | None = None
            for row in reversed(list(rows)):
                for oid, base in ((row["text_hash"], base_text),
                                  (row["original"], base_original), (row["record"], base_record)):
                    if oid is None or oid in writer:
                        continue
                    if row["damaged"] and oid == row["text_hash"]:
                        continue  # a text a repair set aside: there is nothing to pack
                    try:
                        kind, payload = objects.get(oid)  # verified: corruption stops it
                    except KeyError:
                        raise StoreError(f"{archive.store.root}: cannot repack, object {oid} "
                                         "is missing; run 'newsarchive check --repair'"
                                         ) from None
                    writer.put(kind, payload, base=base)
                    if on_progress is not None:
                        on_progress(writer.written, len(referenced))
                base_text, base_original = row["text_hash"], row["original"] or base_original
                base_record = row["record"]
        new = writer.finish()
    except BaseException:
        writer.abort()
        raise
    finally:
        revisions.close()  # not left to the garbage collector, after the catalog is closed
    for reader in old_packs:
        if reader.path != new:
            reader.close()
            for path in (reader.idx_path, reader.path):  # index first: a pack without
                path.unlink(missing_ok=True)             # an index is ignored
    for oid in loose:
        objects.remove(oid)
    objects.packs(refresh=True)
    return writer.written


def _catalog_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.glob("catalog.sqlite*") if p.is_file())


def store_stats(archive: Archive) -> dict[str, Any]:
    store = archive.store
    cat = store.catalog()
    counts: dict[str, Any] = dict(cat.counts())
    objects_bytes = store.objects.disk_bytes()
    catalog_bytes = _catalog_bytes(store.root)
    counts.update(
        objects=len(set(store.objects)), packs=len(store.objects.packs(refresh=True)),
        objects_bytes=objects_bytes,
        catalog_bytes=catalog_bytes, disk_bytes=objects_bytes + catalog_bytes,
        store=str(store.root),
    )
    return counts
