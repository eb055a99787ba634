"""``check``: re-hashing every object, and comparing the journal, the catalog and the objects.

The objects and the journal are the truth (docs/storage.md). ``check`` takes one
consistent view of what is committed (:class:`_Snapshot`: the catalog in a read
transaction and the journal up to the catalog's position), then re-hashes every object:
a committed record, text or original that is missing or corrupt is damage, and so is a
catalog missing committed revisions or a journal broken; records no commit names are
leftovers of interrupted writes (notes). A write running meanwhile changes nothing it
reports. None of the sources is held in memory: the catalog's rows, the journal's record
ids and what the scan finds go into a :class:`~newsarchive.ops.tally.Tally` (a temporary
SQLite database) as they are read, and the comparisons are its joins; FTS5's check of
the search index runs meanwhile on a connection of its own.

``check --repair`` sets corrupt objects aside in ``quarantine/``, rewrites lost records
from the catalog, mends the journal and rebuilds the catalog from it, marking revisions
whose text is gone as damaged rather than dropping them.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

from newsarchive.errors import StoreError
from newsarchive.indexing.indexer import Indexer
from newsarchive.model import Problem
from newsarchive.ops import catalog_rows
from newsarchive.ops.gc import live_objects, repack
from newsarchive.ops.history import record_of_row
from newsarchive.ops.reindex import reindex
from newsarchive.ops.scan import tally_objects
from newsarchive.ops.tally import BATCH, Tally
from newsarchive.store import counters, journal
from newsarchive.store.catalog import CAPTURE_COLUMNS, FTS_TABLES, Catalog
from newsarchive.store.catalog import connect as connect_catalog
from newsarchive.store.journal import Commit, JournalError, Position, read_journal
from newsarchive.store.objects import ObjectStore
from newsarchive.store.packs import PackFormatError, PackReader
from newsarchive.store.records import Record
from newsarchive.store.repository import JournalState, Store
from newsarchive.text.dates import now_precise


#: The captures' columns check compares with their records (:meth:`Tally.add_captures`).
CAPTURE_TEXTS = ("record", "article", "text_hash", "original", "title")


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
    with Tally() as tally:
        problems, bad, unreadable, snapshot = _compare(store, tally, on_progress)
        if repair and unreadable:  # not damage a repair can mend: intact objects would
            problems.append(Problem(  # be set aside, their revisions marked as having lost text
                "repair", str(store.root), f"not repaired: {len(unreadable)} object(s) "
                "cannot be read (permissions? a failing disk?); make them readable and "
                "check again"))
        elif repair and any(p.damage for p in problems):
            _repair(store, indexer, bad, snapshot, tally)
            return mended + [Problem("repaired", str(store.root), detail, damage=False)
                             for detail in _summarise(problems)] + [
                        p for p in check(store, indexer) if p.damage or p.kind == "damaged"]
    return mended + problems


def _compare(store: Store, tally: Tally, on_progress: Callable[[int, int], None] | None,
             ) -> tuple[list[Problem], dict[str, str], dict[str, str], _Snapshot]:
    """The problems of the store, its sources streamed into ``tally`` and compared there;
    with the corrupt and the unreadable objects (by id) and the snapshot taken."""
    problems: list[Problem] = []
    snapshot = _Snapshot.take(store, problems, tally)
    fts = None
    if snapshot.catalog_ok and not store.catalog_mode:
        fts = _SearchIndexCheck(store.catalog_path)
        fts.start()
    try:
        bad, unreadable = _found(store, tally, problems, snapshot, fts, on_progress)
    finally:
        if fts is not None:
            fts.join()  # it holds a connection to the catalog: never left running
    return problems, bad, unreadable, snapshot


def _found(store: Store, tally: Tally, problems: list[Problem], snapshot: _Snapshot,
           fts: _SearchIndexCheck | None, on_progress: Callable[[int, int], None] | None,
           ) -> tuple[dict[str, str], dict[str, str]]:
    """Scan the objects into ``tally`` and add to ``problems`` what the comparisons and
    the other checks find; the corrupt and the unreadable objects."""
    bad, unreadable = tally_objects(store.objects, tally, on_progress)
    snapshot.release()
    users = tally.users() if bad or unreadable else {}
    for oid, detail in sorted(bad.items()):
        problems.append(Problem("corrupt", oid, detail, sorted(users.get(oid, ()))))
    for oid, detail in sorted(unreadable.items()):
        problems.append(Problem("unreadable", oid, detail, sorted(users.get(oid, ()))))
    set_aside = {text for _, _, text in snapshot.damaged}
    # What the journal says is committed (up to the catalog's position) must be there.
    for seq, oid, article, text, original in tally.committed_missing(snapshot.upto):
        if article is None:
            problems.append(Problem("missing", oid, f"the record of commit {seq} is "
                                    "missing", []))
            continue
        for blob, what in ((text, "text"), (original, "original")):
            if blob and blob not in set_aside:
                problems.append(Problem("missing", blob, f"the {what} of a revision of "
                                        f"{article} is missing", [article]))
    for record, article, no_commit, mismatch in tally.capture_problems(
            snapshot.upto if snapshot.journal_ok else None):
        if no_commit:
            problems.append(Problem("catalog", record, "the catalog lists a record no "
                                    "commit of the journal names", [article]))
        if mismatch:
            problems.append(Problem("mismatch", record, "the catalog row of a capture "
                                    f"of {article} differs from its record", [article]))
    for article, number, text in snapshot.damaged:
        problems.append(Problem("damaged", text, f"{article}@{number} lost its text (set "
                                "aside by a repair)", [article], damage=False))
    # Records no commit names (the journal read on to its end now: a write may have
    # committed meanwhile) were never committed: an add killed before its journal line.
    for oid, article in tally.uncommitted(snapshot.read_on(store, tally)):
        problems.append(Problem("leftover", oid, "a record of an interrupted add, never "
                                "committed (gc removes it)", [article], damage=False))
    if snapshot.catalog_ok:
        problems.extend(_check_index(store.catalog(verify=False),
                                     readonly=bool(store.catalog_mode),
                                     fts=fts.result() if fts is not None else None))
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
    return bad, unreadable


class _Snapshot:
    """One consistent view of what is committed: the catalog inside one read transaction
    (WAL: writers go on, this view stays) and the journal up to the catalog's position,
    both copied into the check's :class:`Tally` as they are read (nothing of them is
    held here but the revisions a repair marked damaged). Commits after it are a write
    in progress (or one killed), never damage."""

    def __init__(self) -> None:
        self.damaged: list[tuple[str, int, str]] = []  # (article, number, text)
        self.upto = 0  # the commits the catalog reflects: 1 to upto
        self.last: Position | None = None  # the position of commit upto, once read
        self.catalog_ok = True
        self.journal_ok = True
        self.state: JournalState | None = None
        self._conn: sqlite3.Connection | None = None

    @classmethod
    def take(cls, store: Store, problems: list[Problem], tally: Tally) -> _Snapshot:
        snap = cls()
        try:
            cat = store.catalog(verify=False)
            if not store.catalog_mode:
                cat.conn.execute("BEGIN")  # holds the view until release()
                snap._conn = cat.conn
            snap.state = store.journal_state(cat)
            rows = cat.conn.cursor()
            rows.row_factory = None  # plain tuples, fetched a batch at a time
            rows.execute(  # (a blob where a text belongs is reported, not raised)
                f"SELECT seq, {', '.join(map(catalog_rows.as_text, CAPTURE_TEXTS))} "
                "FROM captures WHERE record IS NOT NULL")
            while batch := rows.fetchmany(BATCH):
                tally.add_captures(batch)
            snap.damaged = [(a, n, t) for a, n, t in cat.conn.execute(
                "SELECT article, number, text_hash FROM revisions WHERE damaged "
                "ORDER BY article, number")]
            problems.extend(Problem("catalog", str(store.catalog_path), note, damage=False)
                            for note in store.catalog_notes)  # how a read-only one was read
        except StoreError as err:
            snap.catalog_ok = False
            problems.append(Problem("catalog", str(store.catalog_path), str(err)))
            return snap
        except sqlite3.DatabaseError as err:
            snap.catalog_ok = False
            problems.append(Problem("catalog", str(store.catalog_path), f"unreadable ({err})"))
            return snap
        state = snap.state
        upto = state.catalog.seq if state.catalog is not None else 0
        try:
            tally.add_journal(snap._note_last(read_journal(store.journal_path, upto=upto)))
            snap.upto = upto
        except JournalError as err:
            tally.drop_journal_after(0)  # as if none was read
            snap.last = None
            snap.journal_ok = False
            problems.append(Problem("journal", str(store.journal_path), str(err)))
            return snap
        if upto and not store.journal_path.exists():
            snap.journal_ok = False
            problems.append(Problem("journal", str(store.journal_path), "the commit journal "
                                    "is missing (the catalog reflects commits)"))
        elif state.status == "behind":
            problems.append(Problem("catalog", str(store.catalog_path),
                                    str(store._behind(state))))
        elif state.status == "ahead":
            snap.journal_ok = False
            problems.append(Problem("journal", str(store.journal_path), "the journal holds "
                                    "fewer commits than the catalog reflects (an older copy?)"))
        elif state.status == "in-flight":
            problems.append(Problem("journal", str(store.journal_path), "one commit is not in "
                                    "the catalog yet: a write in progress, or one killed "
                                    "(the next write applies it)", damage=False))
        return snap

    def _note_last(self, commits: Iterator[Commit]) -> Iterator[tuple[int, tuple[str, ...]]]:
        for commit in commits:
            self.last = Position(commit.seq, commit.id)
            yield commit.seq, commit.records

    def release(self) -> None:
        if self._conn is not None and self._conn.in_transaction:
            self._conn.execute("COMMIT")
        self._conn = None

    def read_on(self, store: Store, tally: Tally) -> int | None:
        """Read the journal on from the snapshot's position to its end into ``tally``:
        None when every commit is in the tally now, else the last commit that is (the
        rest of the journal is damaged)."""
        after = self.last
        try:
            tally.add_journal((c.seq, c.records)
                              for c in read_journal(store.journal_path, after=after))
            return None
        except JournalError:
            tally.drop_journal_after(self.upto)
            return self.upto


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


def _check_index(cat: Catalog, *, readonly: bool = False,
                 fts: list[Problem] | None = None) -> list[Problem]:
    """The catalog's indexes: the search index (``fts``: what :class:`_SearchIndexCheck`
    found, else checked now), its map of revisions, the revisions against the captures
    they were derived from, and the kept counters."""
    problems = []
    if readonly:  # FTS5's integrity-check is a write statement: check the b-trees only
        bad = [r[0] for r in cat.conn.execute("PRAGMA quick_check") if r[0] != "ok"]
        if bad:
            problems.append(Problem("index", "catalog", f"the catalog is damaged ({bad[0]})"))
        problems.append(Problem("index", "para_fts", "search index consistency not checked: "
                                "the store is read-only", damage=False))
    if readonly:
        problems.extend(_row_problems(cat.conn))
    else:
        problems.extend(fts if fts is not None else _derived_problems(cat.conn))
    orphan = cat.conn.execute(
        "SELECT COUNT(*) FROM revisions r LEFT JOIN search_revs s ON s.rid = r.rid "
        "WHERE s.rid IS NULL").fetchone()[0]
    if orphan:
        problems.append(Problem("index", "search_revs",
                                f"{orphan} revisions are missing from the search index"))
    stale = cat.conn.execute(
        "SELECT COUNT(*) FROM search_revs s LEFT JOIN revisions r ON r.rid = s.rid "
        "WHERE r.rid IS NULL").fetchone()[0]
    if stale:
        problems.append(Problem("index", "search_revs",
                                f"{stale} search index entries name no revision"))
    differ = cat.conn.execute(  # a row edited by hand, or written wrong: repair derives it
        "SELECT COUNT(*) FROM revisions r JOIN captures c ON c.seq = r.seq WHERE c.rid IS NOT "
        "r.rid OR c.article IS NOT r.article OR c.text_hash IS NOT r.text_hash "
        "OR c.title IS NOT r.title").fetchone()[0]
    if differ:
        problems.append(Problem("index", "revisions", f"{differ} revisions differ from the "
                                "capture they were derived from (article, text or title)"))
    kept, counted = counters.read(cat.conn), counters.recount(cat.conn)
    if kept != counted:
        wrong = ", ".join(f"{k} {kept[k]:,} (counted {counted[k]:,})"
                          for k in counted if kept[k] != counted[k])
        problems.append(Problem("index", "counters", f"the kept counts are wrong: {wrong}"))
    return problems


def _derived_problems(conn: sqlite3.Connection) -> list[Problem]:
    """What check reads of the derived tables on its own: FTS5's integrity check, and
    values no writer writes."""
    return _fts_problems(conn) + _row_problems(conn)


def _row_problems(conn: sqlite3.Connection) -> list[Problem]:
    """Rows holding values no writer writes, and article rows that do not match their
    revisions (:mod:`newsarchive.ops.catalog_rows`): a catalog edited by hand."""
    problems = [Problem("index", table, f"{n:,} rows hold a value of the wrong type or "
                        "form (a catalog edited by hand?)")
                for table, n in catalog_rows.misshapen_rows(conn).items()]
    wrong, rowless = catalog_rows.unheaded_articles(conn)
    if wrong:
        problems.append(Problem("index", "articles", f"{wrong:,} article rows do not match "
                                "their revisions (a head that is not the last)"))
    if rowless:
        problems.append(Problem("index", "articles", f"{rowless:,} articles of revisions "
                                "have no row"))
    return problems


def _fts_problems(conn: sqlite3.Connection) -> list[Problem]:
    """FTS5's own integrity check of each search index table."""
    problems = []
    for table in FTS_TABLES:
        try:
            conn.execute(f"INSERT INTO {table} ({table}) VALUES ('integrity-check')")
        except sqlite3.DatabaseError as err:
            problems.append(Problem("index", table, f"the search index is damaged ({err})"))
    return problems


class _SearchIndexCheck(threading.Thread):
    """FTS5's integrity check and the rows' (:func:`_derived_problems`) on a connection of
    its own, run while the objects are read: it is all SQLite's work (1.5 s of 9 at 20,000
    articles, and 3 s for the rows at 100,000), which lets go of the GIL, so it costs no
    time on a second core. :meth:`result` is None when it could not run (the
    check is then made on the catalog's connection, as before)."""

    def __init__(self, path: Path) -> None:
        super().__init__(name="check-search-index", daemon=True)
        self._path = path
        self._found: list[Problem] | None = None
        self._error: BaseException | None = None

    def run(self) -> None:
        if not self._path.is_file():
            return  # gone meanwhile: not created here (checked on the catalog's connection)
        try:
            conn = connect_catalog(self._path)
        except (StoreError, sqlite3.Error):
            return  # checked on the catalog's connection
        try:
            conn.set_progress_handler(None, 0)  # no call into Python every 1000 steps
            self._found = _derived_problems(conn)
        except BaseException as err:  # noqa: BLE001 - raised again in the caller's thread
            self._error = err
        finally:
            conn.close()

    def result(self) -> list[Problem] | None:
        self.join()
        if self._error is not None:
            raise self._error
        return self._found


def _summarise(problems: list[Problem]) -> list[str]:
    kinds: dict[str, int] = defaultdict(int)
    for p in problems:
        if p.damage:
            kinds[p.kind] += 1
    return [f"{n} {kind} problem(s) handled" for kind, n in sorted(kinds.items())]


def _repair(store: Store, indexer: Indexer, bad: dict[str, str], snapshot: _Snapshot,
            tally: Tally) -> None:
    """Set corrupt objects aside, write lost records again from the catalog (and name the
    new ones in the journal in place of the lost), adopt records only the catalog knows,
    then rebuild the catalog from the journal (:func:`reindex`). What the check saw is
    read back from ``tally``; the catalog rows of lost records, and the journal, again."""
    with store.locked():
        packed = {oid for oid in bad if not store.objects.is_loose(oid)}
        for oid in bad:
            store.objects.quarantine(oid, store.quarantine_dir)
        replaced: dict[str, str] = {}
        for oid in list(tally.lost_records(snapshot.upto)):  # corrupt ones, and committed
            # ones gone (a pack index rebuilt past a damaged entry head)
            row = store.catalog(verify=False).conn.execute(
                f"SELECT {CAPTURE_COLUMNS} FROM captures WHERE record = ?", (oid,)).fetchone()
            if row is None:
                continue
            rec = record_of_row(row)
            rec = Record(**{**vars(rec), "recorded_at": row["captured_at"]})
            replaced[oid] = store.objects.put("record", rec.to_bytes())
        if snapshot.journal_ok:
            commits = list(read_journal(store.journal_path))
            named = {oid for c in commits for oid in c.records}
            only_catalog = [oid for oid in tally.records_listed() if oid not in named]
            lines = [[replaced.get(oid, oid) for oid in c.records] for c in commits]
            times = [c.time for c in commits]
            if only_catalog:  # an older journal: what the catalog lists is kept
                lines.append(only_catalog)
                times.append(now_precise())
            if replaced or only_catalog:
                journal.rewrite(store.journal_path, lines, times)
    reindex(store, indexer)
    if packed:  # corrupt entries stay in their packs until the packs are written anew
        with store.locked():
            cat = store.catalog(write=True)
            with live_objects(store) as live:
                repack(store, cat, live, force=True)
