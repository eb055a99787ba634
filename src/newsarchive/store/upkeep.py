"""Keeping a store's files few as writes accumulate: loose objects packed once there are
many, and small packs merged (git's ``gc --auto`` and ``repack --geometric``).

An add of 16 inputs or more writes a pack, a smaller one loose objects (a file each). So
between two ``gc`` runs the files grew with the archive: a bulk add of 100,000 articles
left 251 packs, a cron job every 5 minutes adds 288 packs or a few thousand loose files a
day, and every command lists the pack directory (``stats`` also sizes every file).
:func:`tidy` runs at the end of each add, under the write lock:

- **Loose objects.** Once there are :data:`LOOSE_LIMIT` or more, they are written into one
  new pack, and their files are removed once that pack is durable and listed. A revision's
  text, original and record go in as deltas against those of its article's revision
  before (the bases the add reads from the catalog), as a bulk add writes them; the rest
  whole, with the store's zstd dictionary, trained on these texts if it has none. Packed
  whole, as they first were, a cron job's objects took 2.5x the bytes of a bulk add's.
- **Packs.** Sorted by size, the smallest are merged so that the packs left form a
  geometric progression: each at least :data:`FACTOR` times the size of the next smaller
  (:func:`geometric_split`, git's rule). A store so holds about log2 of its size in packs,
  and a byte is copied about as many times in its life. A merge copies entries as they
  are (a delta names its base by id, a whole text its dictionary), so it costs a read and
  a write of the packs' bytes and no compression.
- **Two tiers**, as the multi-pack index has two files (store/midx.py): the packs only
  its tail lists (those written since the whole file was) are merged among themselves,
  which rewrites the tail alone; the packs the whole file lists, among themselves, which
  rewrites it. Those change only when the tail is spliced into the whole file (once it
  holds a 64th as many objects), so a merge that rewrites the whole index follows a
  splice, which wrote it anyway. One set for both made a merge of two cron packs, one of
  them listed by the whole file, rewrite the whole index (23 MB at 100,000 articles).

Nothing is removed before its new copy is durable and listed: the new pack is written
(fsync, index, rename), the multi-pack index is written without the old packs, and only
then are they deleted (:meth:`ObjectStore.retire_packs`). A crash in between leaves
objects twice, never nowhere; a later merge of both copies, or ``gc``, keeps one. Before it
retires anything, a merge checks that every object of the old packs' indexes is in the
new pack or in a pack it keeps. A damaged pack (its entries and its index disagree) is
not merged, and is left to ``check`` and ``gc``; the other packs of its tier are merged
without it, so that damage does not let the packs grow in number until it is repaired.
(Each add reads the damaged pack again until then: it is the smallest packs that merge.)
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from newsarchive import faults
from newsarchive.errors import IntegrityError
from newsarchive.store.objects import ObjectStore
from newsarchive.store.packs import ENTRY, PackReader

#: ``bases(ids)``: a delta base for some of the loose objects ``ids`` (by the catalog).
Bases = Callable[[list[str]], dict[str, str]]
FACTOR = 2
#: Loose objects that make an add pack them: about 100 cron runs of a few revisions each.
LOOSE_LIMIT = 1024


@dataclass(frozen=True)
class Tidied:
    """What :func:`tidy` did: loose objects packed, packs merged, objects they held."""

    loose: int = 0
    packs: int = 0
    objects: int = 0


def geometric_split(sizes: Sequence[int], factor: int = FACTOR) -> int:
    """How many of the smallest packs to merge (``sizes`` ascending), so that the merged
    pack and the ones left form a geometric progression, each at least ``factor`` times
    the next smaller; 0 when they form one already. As git's ``repack --geometric``: the
    largest packs that are in progression stay, the rest is merged, and a pack above it
    that is not ``factor`` times larger than the merged whole is merged too."""
    split = 0
    for i in range(len(sizes) - 1, 0, -1):
        if sizes[i] < factor * sizes[i - 1]:
            split = i + 1
            break
    total = sum(sizes[:split])
    while split and split < len(sizes) and sizes[split] <= factor * total:
        total += sizes[split]
        split += 1
    return split


def tidy(objects: ObjectStore, *, bases: Bases | None = None,
         loose_limit: int | None = None, factor: int | None = None) -> Tidied:
    """Pack the loose objects when there are ``loose_limit`` (:data:`LOOSE_LIMIT`) or
    more (deltas against ``bases``: :func:`pack_loose`), then merge the smallest packs
    by ``factor`` (:data:`FACTOR`; see the module docstring). The caller holds the write
    lock."""
    # the packs listed afresh, and the multi-pack index current: what is packed already is
    # not packed again, and merges choose each object's copy by the index
    objects.update_midx()
    loose = list(objects.loose())
    limit = LOOSE_LIMIT if loose_limit is None else loose_limit
    packed = pack_loose(objects, loose, bases) if len(loose) >= limit else 0
    merged = copied = 0
    for whole in (False, True):
        sized = sorted((r.size(), r.path.name, r) for n in objects.pack_tier(whole=whole)
                       if (r := objects.reader(n)) is not None)
        while (split := geometric_split([size for size, _, _ in sized],
                                        factor or FACTOR)) >= 2:
            chosen = sorted(sized[:split], key=lambda s: s[1])  # oldest first
            try:
                done = merge_packs(objects, [r for _, _, r in chosen])
            except DamagedPack as err:  # left to check and gc; the others still merge
                sized = [s for s in sized if s[2] is not err.reader]
                continue
            if done is not None:
                merged, copied = merged + split, copied + done
            break
    return Tidied(packed, merged, copied)


def pack_loose(objects: ObjectStore, loose: list[str], bases: Bases | None = None) -> int:
    """Write the loose objects ``loose`` (as :func:`tidy` just listed them) into one new
    pack, then remove their files; the number removed. ``bases(ids)`` names a delta base
    for some of them (their article's revision before, in the catalog): such an object is
    stored as a delta when its base is packed, or written into this pack before it (an
    article's loose revisions go in history order); any other whole, compressed with the
    store's dictionary, or with one trained on these texts when the store has none yet.
    An object that cannot be read (removed meanwhile, or damaged) is left where it is;
    one a pack holds already (as the packs were last listed: :func:`tidy` lists them
    first) only loses its file."""
    base_of = bases(loose) if bases is not None and loose else {}
    writer = objects.pack_writer(repack=True)  # each loose id once
    done: list[str] = []
    try:
        # the store's dictionary, or one trained on what will be stored whole
        trained = objects.use_store_dictionary(writer, _unbased_texts(objects, loose, base_of))
        for oid in _history_order(loose, base_of):
            if not objects.is_packed(oid):
                try:
                    kind, payload = objects.get(oid)  # the loose copy, verified
                except (KeyError, IntegrityError):
                    continue  # gone, or damaged: check and gc see to it
                base = base_of.get(oid)  # (a base written long before: its depth is lost)
                usable = base is not None and (writer.holds(base) or objects.is_packed(base))
                writer.put(kind, payload, base=base if usable else None)
            done.append(oid)
        if writer.finish() is not None:
            objects.update_midx()
            if trained is not None:  # the pack that holds it is durable and listed
                objects.set_dictionary(trained)
    except BaseException:
        writer.abort()
        raise
    faults.point("tidy-written")
    for oid in done:
        objects.remove(oid)
    return len(done)


def _history_order(loose: list[str], base_of: dict[str, str]) -> Iterator[str]:
    """``loose``, each object right after its base when that is loose too: depth first
    from each object whose base is not (an article's history is a path, so its loose
    revisions come one after the other); then what a revert made a cycle of."""
    children: dict[str, list[str]] = {}
    roots: list[str] = []
    members = set(loose)
    for oid in loose:
        base = base_of.get(oid)
        if base is not None and base in members:
            children.setdefault(base, []).append(oid)
        else:
            roots.append(oid)
    seen: set[str] = set()
    for start in itertools.chain(roots, loose):
        stack = [start]
        while stack:
            oid = stack.pop()
            if oid not in seen:
                seen.add(oid)
                yield oid
                stack.extend(children.get(oid, ()))


def _unbased_texts(objects: ObjectStore, loose: list[str], base_of: dict[str, str]
                   ) -> Iterator[bytes]:
    """The loose texts that have no delta base (what will be stored whole), read as
    iterated: what a dictionary for them is trained on."""
    for oid in loose:
        if oid not in base_of:
            try:
                kind, payload = objects.get(oid)
            except (KeyError, IntegrityError):
                continue
            if kind == "blob":
                yield payload


class DamagedPack(Exception):
    """A pack chosen for a merge whose entries and index disagree: nothing was changed."""

    def __init__(self, reader: PackReader) -> None:
        super().__init__(f"{reader.path}: its entries and its index disagree")
        self.reader = reader


def merge_packs(objects: ObjectStore, readers: list[PackReader]) -> int | None:
    """Copy the objects of the packs of ``readers`` (which a multi-pack index lists)
    into one new pack, as they are, then retire them; the objects copied. None, and
    nothing changed, when the new pack would lack an object the multi-pack index
    misplaced; :class:`DamagedPack`, and nothing changed, when a pack's entries and its
    index disagree."""
    names = {r.path.name[:-5] for r in readers}
    writer = objects.pack_writer(repack=True)
    unlisted: set[bytes] = set()  # ids the multi-pack index lacks (damaged): copied once
    try:
        for reader in readers:
            name = reader.path.name[:-5]
            reader.prepare_lookups()
            listed = 0
            for offset, kind, enc, depth, key, base, data in reader.heads():
                if reader.find(key) != (offset, ENTRY.size + len(data), depth):
                    continue  # an entry the index does not list (a copy listed elsewhere)
                listed += 1
                # each id once: at the copy the multi-pack index gives readers
                where = objects.locate(key)
                if where is None and key not in unlisted:
                    unlisted.add(key)
                    where = (name, offset)
                if where == (name, offset):
                    writer.copy(kind, enc, depth, key, base, data)
            if listed != reader.count:
                raise DamagedPack(reader)
        new = writer.finish()
    except BaseException:
        writer.abort()
        raise
    if new is None:  # nothing listed at all: the packs are empty
        objects.retire_packs(readers)
        return 0
    if not _complete(objects, readers, names, new):
        for suffix in (".idx", ".pack"):  # not listed anywhere yet: nothing reads it
            new.with_suffix(suffix).unlink(missing_ok=True)
        return None
    faults.point("tidy-written")
    objects.retire_packs(readers)
    return writer.written


def _complete(objects: ObjectStore, readers: list[PackReader], names: set[str],
              new: Path) -> bool:
    """Whether every id the old packs' indexes list is in the new pack, or in a pack
    that stays (a stale or damaged multi-pack index could have made the copy skip one)."""
    merged = PackReader(new)
    try:
        merged.prepare_lookups()
        for reader in readers:
            for key in reader.keys():
                if merged.find(key) is not None:
                    continue
                where = objects.locate(key)
                other = objects.reader(where[0]) if where and where[0] not in names else None
                if other is None or other.find(key) is None:
                    return False
        return True
    finally:
        merged.close()
