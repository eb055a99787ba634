"""``gc``: removing what nothing refers to, and repacking."""

from __future__ import annotations

import errno
import itertools
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from newsarchive.errors import IntegrityError, StoreError
from newsarchive.indexing.indexer import Indexer
from newsarchive.model import GcResult
from newsarchive.ops.history import read_record, roll_forward
from newsarchive.ops.live import LiveSet
from newsarchive.store.catalog import Catalog
from newsarchive.store.journal import read_journal
from newsarchive.store.objects import ObjectStore
from newsarchive.store.packs import PackReader
from newsarchive.store.repository import Store

MIN_SAMPLES = 100  # texts a dictionary needs (store/zstdcodec.py, not imported here:
                   # zstandard's import would cost every command that imports gc)


def live_objects(store: Store) -> LiveSet:
    """What the journal says is committed: every record it names, with the text and the
    original each one names, as 32-byte ids in a set held on disk
    (:class:`~newsarchive.ops.live.LiveSet`: 480,000 ids at 100,000 articles, growing
    with the store). The catalog has no say (docs/storage.md, "What is live").
    StoreError when a named record cannot be read: what it names would be unknown. The
    caller closes it."""
    live = LiveSet()
    try:
        for commit in read_journal(store.journal_path):  # JournalError on a broken chain
            for oid in commit.records:
                rec = read_record(store, oid)
                if rec is None:
                    raise StoreError(f"{store.root}: the committed record {oid} cannot be "
                                     "read; gc will not guess what it refers to",
                                     remedy="repair")
                live.add(bytes.fromhex(oid))
                live.add(bytes.fromhex(rec.text))
                if rec.original:
                    live.add(bytes.fromhex(rec.original))
        return live.settle()
    except BaseException:
        live.close()
        raise


def gc(store: Store, indexer: Indexer, *, grace: float = 3600.0, pack: bool = True,
       on_progress: Callable[[int, int], None] | None = None) -> GcResult:
    """Remove what no commit refers to (objects and temp files older than ``grace``
    seconds: a write in progress may own them), and repack (``on_progress(done, total)``
    as each object is repacked).

    What is live comes from the journal alone (:func:`live_objects`), and gc refuses to
    run while the catalog disagrees with it (missing commits, or listing records no
    commit names): a catalog can never make gc delete history. Repacking writes every
    live object into one new pack (texts as deltas against the revision after them),
    makes it durable, and only then deletes the old packs and the loose copies. Packs
    that lost their index are indexed again.
    """
    store.require()
    freed = removed = temps = packed = 0
    with store.locked():
        # a pack without its index is indexed again, never deleted: under the lock no
        # write is between its pack and its index, and its objects may be the only copies
        store.objects.index_packs(store.objects.unindexed_packs())
        aside = store.objects.set_aside_unindexable(store.quarantine_dir)  # not packs at all
        cat = store.catalog(write=True)  # refuses a catalog missing commits
        roll_forward(store, indexer, cat)
        notes: list[str] = [f"{dest.name} cannot be indexed ({why}): set aside in quarantine/"
                            for dest, why in aside]
        with live_objects(store) as referenced:  # on disk: it grows with the store
            unnamed = sum(1 for r in cat.all_captures()
                          if bytes.fromhex(r["record"]) not in referenced)
            if unnamed:
                raise StoreError(f"{store.root}: the catalog lists {unnamed:,} record(s) "
                                 "no commit of the journal names (an older journal?); gc "
                                 "would remove them", remedy="repair")
            cutoff = time.time() - grace
            for oid in list(store.objects.loose()):  # packed objects go by repacking
                if bytes.fromhex(oid) in referenced:
                    continue
                written = store.objects.mtime(oid)
                if written is None or written > cutoff:
                    continue  # packed (repacking drops it), or young: a write may own it
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
            if pack:
                before = store.objects.disk_bytes()
                if _free_bytes(store.root) < before + SPACE_MARGIN:
                    notes.append("repacking skipped: it needs free space about the size of "
                                 f"the objects ({before:,} bytes)")
                else:
                    try:
                        packed = repack(store, cat, referenced, on_progress)
                    except OSError as err:
                        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
                            raise StoreError(f"{store.root}: gc could not repack "
                                             f"({err.strerror or err})") from err
                        notes.append(f"repacking stopped: {err.strerror}; nothing was lost")
                freed += max(0, before - store.objects.disk_bytes())
        before = store.catalog_bytes()
        if _free_bytes(store.root) < before + SPACE_MARGIN:
            notes.append("compacting the catalog skipped: it needs free space about its size "
                         f"({before:,} bytes)")
        else:
            try:
                cat.compact()
            except sqlite3.OperationalError as err:
                notes.append(f"compacting the catalog stopped: {err}; nothing was lost")
            freed += max(0, before - store.catalog_bytes())
    return GcResult(removed, temps, freed, packed, tuple(notes))


SPACE_MARGIN = 1024 * 1024


def _free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def repack(store: Store, cat: Catalog, referenced: LiveSet,
            on_progress: Callable[[int, int], None] | None = None, *,
            force: bool = False) -> int:
    """Rewrite every referenced object into one pack; returns the objects packed (0: none).
    Without ``force``, a store already in one pack of exactly the referenced objects is
    left as it is. A crash leaves the old packs (the new one, if finished, is read
    through its own index until the multi-pack index is written): nothing is lost.
    ``referenced`` is emptied as its objects are written: what is left after the
    captures is what none of them led to (and the pack writer keeps no set of its own)."""
    objects = store.objects
    old_packs = objects.packs(refresh=True)
    loose = [oid for oid in objects.loose() if bytes.fromhex(oid) in referenced]
    if not force and not loose and not old_packs:
        return 0  # nothing at all
    exact, inside = (False, False) if force or loose or len(old_packs) != 1 else \
        _holds_exactly(objects, old_packs[0], referenced)
    if exact and (inside or len(referenced) < 3 * MIN_SAMPLES):
        return 0  # one pack holding exactly what is referenced (and its dictionary)
    dictionary = _train(store, cat)
    if exact and dictionary is None:
        return 0  # no dictionary to rewrite it with (too few texts)
    writer = store.pack_writer(repack=True)
    dictionary_id = None
    if dictionary is not None:  # the pack holds the dictionary its whole texts need
        dictionary_id = writer.use_dictionary(dictionary, store=True)
    captures = cat.all_captures_by_article()
    total = len(referenced)
    try:
        # Newest first: the latest text of an article (what list, show and search read
        # most) is stored whole, older ones as deltas against the next newer one.
        for _article, rows in itertools.groupby(captures, lambda r: r["article"]):
            base_text: str | None = None
            base_original: str | None = None
            base_record: str | None = None
            for row in reversed(list(rows)):
                for oid, base in ((row["text_hash"], base_text),
                                  (row["original"], base_original), (row["record"], base_record)):
                    if oid is None:
                        continue
                    key = bytes.fromhex(oid)
                    if key not in referenced:
                        continue  # not live, or written already
                    if oid == row["text_hash"] and cat.text_set_aside(oid):
                        continue  # a text a repair set aside: there is nothing to pack
                    try:
                        kind, payload = objects.get(oid)  # verified: corruption stops it
                    except KeyError:
                        raise StoreError(f"{store.root}: cannot repack, object {oid} "
                                         "is missing", remedy="repair") from None
                    writer.put(kind, payload, base=base)
                    referenced.discard(key)
                    if on_progress is not None:
                        on_progress(writer.written, total)
                base_text, base_original = row["text_hash"], row["original"] or base_original
                base_record = row["record"]
        for oid in [key.hex() for key in referenced]:  # live, in no capture listed
            if objects.contains(oid) and not cat.text_set_aside(oid):
                kind, payload = objects.get(oid)
                writer.put(kind, payload)
        new = writer.finish()
    except BaseException:
        writer.abort()
        raise
    finally:
        captures.close()  # not left to the garbage collector, after the catalog is closed
    # the new pack is durable: writers use its dictionary from now on; the multi-pack
    # index is written without the old packs, then they are deleted
    objects.set_dictionary(dictionary_id if new is not None else None)
    objects.retire_packs([r for r in old_packs if r.path != new])
    for oid in loose:
        objects.remove(oid)
    return writer.written


def _holds_exactly(objects: ObjectStore, reader: PackReader, referenced: LiveSet
                   ) -> tuple[bool, bool]:
    """Whether a pack holds exactly the referenced objects (and the dictionary writers
    use, when it is in there), and whether it holds that dictionary."""
    dictionary = objects.dictionary_id()
    inside = dictionary is not None and reader.find(bytes.fromhex(dictionary)) is not None
    return reader.count - inside == len(referenced), inside


def _train(store: Store, cat: Catalog) -> bytes | None:
    """A zstd dictionary trained on a sample of the latest texts (what a repack stores
    whole), or None when there are too few texts for one to pay for itself."""
    from newsarchive.store import zstdcodec  # gc only: zstandard's import costs start-up

    def latest() -> Iterator[str]:   # each article's last readable text, streamed
        rows = cat.texts_by_article()
        try:
            for _article, group in itertools.groupby(rows, lambda r: r[0]):
                last = None
                for _, text_hash, damaged in group:
                    if not damaged:
                        last = text_hash
                if last is not None:
                    yield last
        finally:
            rows.close()

    sample = zstdcodec.reservoir(latest(), zstdcodec.SAMPLES)
    texts = []
    for oid in sample:
        try:
            texts.append(store.objects.get(oid)[1])
        except (KeyError, IntegrityError):
            continue  # repacking reports it
    return zstdcodec.train(texts)
