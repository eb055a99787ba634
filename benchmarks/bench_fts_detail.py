#!/usr/bin/env python3
"""What the paragraph index would cost without positions: size, and phrase search checked
on the texts instead of the index (the design the size target points at, issue 19).

    python benchmarks/bench_fts_detail.py --store OUT/work-20000/store   # a run.py store

Run by hand, never in CI; the store is only read. The paragraphs of the store's search
index are read back from its texts (the index is contentless) into a scratch database
beside ``--out``, and put into two FTS5 tables with the catalog's tokenizer: ``detail=full``
(as the catalog keeps it: positions, so phrases are answered by the index) and
``detail=none`` (no positions: about 40% of the size). Then ``--phrases`` two- and
three-word phrases drawn from the paragraphs (as ``run.py`` draws its phrase queries) are
answered both ways:

- **full**: ``MATCH '"w1 w2"'``, the paragraphs that hold the phrase;
- **none**: ``MATCH 'w1 w2'`` (every word, anywhere in the paragraph), then each candidate
  checked on its text, read from the store as search would read it: one revision that
  holds the paragraph (``para_docs``), its text from the objects (``text_of``, cached per
  revision), the paragraph cut from it and its index tokens compared.

Both must find the same paragraphs (checked). Printed: sizes, and per phrase the
candidates, the matches, and the time of each way, for all the matches and for the first
20 (a ranked page).
"""

from __future__ import annotations

import argparse
import random
import re
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import newsarchive
from newsarchive.store.search_index import TOKENIZE, paragraphs, unpack_ids
from newsarchive.text.words import fold, tokenize

PAGE = 20


def recover_paragraphs(store: Path, db: sqlite3.Connection) -> int:
    """Every indexed paragraph's text, by id, from the texts of the revisions that hold it."""
    archive = newsarchive.open(store)
    cat = sqlite3.connect(f"file:{store / 'catalog.sqlite'}?mode=ro", uri=True)
    db.execute("CREATE TABLE paras (pid INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    seen: set[int] = set()
    rows = cat.execute("SELECT s.pids, r.text_hash FROM search_revs s "
                       "JOIN revisions r ON r.rid = s.rid")
    for blob, text_hash in rows:
        pids = unpack_ids(blob)
        if all(pid in seen for pid in pids):
            continue
        paras = paragraphs(archive.store.text_of(text_hash))
        if len(paras) != len(pids):
            continue
        new = [(pid, para) for pid, para in zip(pids, paras, strict=True) if pid not in seen]
        seen.update(pid for pid, _ in new)
        db.executemany("INSERT OR IGNORE INTO paras (pid, body) VALUES (?, ?)", new)
    db.commit()
    cat.close()
    archive.close()
    return len(seen)


def table_bytes(db: sqlite3.Connection, prefix: str) -> int:
    return int(db.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE ?",
                          (prefix + "%",)).fetchone()[0])


def pick_phrases(db: sqlite3.Connection, n: int, seed: int) -> list[list[str]]:
    rng = random.Random(f"phrases:{seed}")
    top = db.execute("SELECT max(pid) FROM paras").fetchone()[0]
    out: list[list[str]] = []
    while len(out) < n:
        row = db.execute("SELECT body FROM paras WHERE pid >= ? LIMIT 1",
                         (rng.randrange(top) + 1,)).fetchone()
        toks = row[0].split(" ")
        k = rng.choice((2, 3))
        i = rng.randrange(max(1, len(toks) - k))
        cand = toks[i:i + k]
        if len(cand) == k and all(re.fullmatch(r"[A-Za-z]+", t) for t in cand) \
                and cand not in out:
            out.append(cand)
    return out


class TextChecker:
    """The none-way's check of a candidate paragraph, on the texts as search reads them."""

    def __init__(self, store: Path) -> None:
        self.archive = newsarchive.open(store)
        self.cat = sqlite3.connect(f"file:{store / 'catalog.sqlite'}?mode=ro", uri=True)
        self.texts: dict[int, tuple[list[int], list[str]]] = {}

    def paragraph(self, pid: int) -> str | None:
        row = self.cat.execute(
            "SELECT d.rid, s.pids, r.text_hash FROM para_docs d JOIN search_revs s "
            "ON s.rid = d.rid JOIN revisions r ON r.rid = d.rid WHERE d.pid = ? "
            "ORDER BY d.rid DESC LIMIT 1", (pid,)).fetchone()
        if row is None:
            return None
        rid, blob, text_hash = row
        if rid not in self.texts:
            self.texts[rid] = (unpack_ids(blob),
                               paragraphs(self.archive.store.text_of(text_hash)))
        pids, paras = self.texts[rid]
        return paras[pids.index(pid)]

    def holds(self, pid: int, phrase: list[str]) -> bool:
        para = self.paragraph(pid)
        if para is None:
            return False
        toks = [t for _, _, t in tokenize(para)]  # folded as the index folds them
        k = len(phrase)
        return any(toks[i:i + k] == phrase for i in range(len(toks) - k + 1))

    def close(self) -> None:
        self.cat.close()
        self.archive.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, required=True, help="a store run.py built")
    ap.add_argument("--out", type=Path,
                    default=Path(tempfile.gettempdir()) / "newsarchive-bench-fts-detail")
    ap.add_argument("--phrases", type=int, default=15)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "paragraphs.sqlite"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    t0 = time.perf_counter()
    count = recover_paragraphs(args.store, db)
    print(f"{count:,} paragraphs read back from the texts in {time.perf_counter() - t0:.1f} s")
    for detail in ("full", "none"):
        t0 = time.perf_counter()
        db.execute(f"CREATE VIRTUAL TABLE p_{detail} USING fts5 (body, content='', "
                   f"detail={detail}, tokenize='{TOKENIZE}')")
        db.execute(f"INSERT INTO p_{detail} (rowid, body) SELECT pid, body FROM paras")
        db.commit()
        print(f"detail={detail}: {table_bytes(db, f'p_{detail}_') / 1e6:.1f} MB, "
              f"filled in {time.perf_counter() - t0:.1f} s")

    checker = TextChecker(args.store)
    print(f"\n{'phrase':32s} {'cand.':>8s} {'found':>7s} {'full ms':>9s} {'none ms':>9s} "
          f"{'page full':>10s} {'page none':>10s}")
    timings: dict[str, list[float]] = {"full": [], "none": [], "page_full": [], "page_none": []}
    for words in pick_phrases(db, args.phrases, args.seed):
        folded = [fold(w) for w in words]
        quoted = " ".join(f'"{w}"' for w in folded)
        checker.texts.clear()  # each phrase from a cold cache of texts
        t0 = time.perf_counter()
        full = [r[0] for r in db.execute(
            "SELECT rowid FROM p_full WHERE p_full MATCH ? ORDER BY rowid DESC",
            (f'"{" ".join(folded)}"',))]
        t_full = time.perf_counter() - t0
        t0 = time.perf_counter()
        page_full = [r[0] for r in db.execute(
            "SELECT rowid FROM p_full WHERE p_full MATCH ? ORDER BY rowid DESC LIMIT ?",
            (f'"{" ".join(folded)}"', PAGE))]
        t_page_full = time.perf_counter() - t0
        t0 = time.perf_counter()
        cands = [r[0] for r in db.execute(
            "SELECT rowid FROM p_none WHERE p_none MATCH ? ORDER BY rowid DESC", (quoted,))]
        found = [pid for pid in cands if checker.holds(pid, folded)]
        t_none = time.perf_counter() - t0
        checker.texts.clear()
        t0 = time.perf_counter()
        page_none: list[int] = []
        for (pid,) in db.execute("SELECT rowid FROM p_none WHERE p_none MATCH ? "
                                 "ORDER BY rowid DESC", (quoted,)):
            if checker.holds(pid, folded):
                page_none.append(pid)
                if len(page_none) == PAGE:
                    break
        t_page_none = time.perf_counter() - t0
        assert found == full, (words, len(found), len(full))
        assert page_none == page_full, words
        for key, value in (("full", t_full), ("none", t_none), ("page_full", t_page_full),
                           ("page_none", t_page_none)):
            timings[key].append(value * 1000)
        print(f"{' '.join(words)[:32]:32s} {len(cands):8,d} {len(full):7,d} "
              f"{t_full * 1000:9.1f} {t_none * 1000:9.1f} {t_page_full * 1000:10.1f} "
              f"{t_page_none * 1000:10.1f}")
    checker.close()
    print("median ms: " + ", ".join(f"{k} {statistics.median(v):.1f}"
                                    for k, v in timings.items()))
    db.close()


if __name__ == "__main__":
    main()
