#!/usr/bin/env python3
"""What compiling the add's pure-Python hot paths with mypyc would save (run by hand).

    python benchmarks/bench_compiled.py                 # 2,000 articles, ~2 min
    python benchmarks/bench_compiled.py --n 5000 --rounds 5

A bulk add keeps both cores of a 2-core machine busy, so its wall time is its CPU time
over the cores (``bench_writer.py --one-core``), and a design that reaches 3x git has to
cut the CPU a revision. The largest part of it is pure Python: the comparison of a text
with the one it follows (the sentence alignment, word counts, passages, kinds and the
noise comparison) and the word count of every text. This script copies ``src/`` twice,
compiles the modules those run in with mypyc (shipped with mypy, a dev dependency; a C
compiler is needed) in one copy (:data:`MODULES`), and times the same work in both,
alternating, each in a fresh interpreter:

- **comparisons**: ``text_change`` and ``differs_by_noise`` of every pair of consecutive
  versions of the corpus (what the add's workers compute ahead);
- **word counts**: ``count_words`` of every version (what preparing an input counts).

The results must be the same (checked). The corpus is the project's deterministic
generator's, under ``--out``, with the two copies of ``src/``: set ``PYTHONPATH`` to
either to run the add itself with it (``newsarchive add`` of ``bench_writer.py``'s JSON
Lines, say).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as common  # noqa: E402  (benchmarks/run.py: the corpus helpers)

SRC = Path(__file__).resolve().parent.parent / "src"
#: The modules the comparisons and word counts run in, less the two whose frozen
#: dataclasses travel between the add's processes (``NoiseRules``, ``Ahead``): mypyc's
#: cannot be unpickled, which breaks the add's worker pool (the add then runs on one core).
MODULES = ("diff/align.py", "diff/engine.py", "diff/facts.py", "text/sentences.py",
           "text/words.py", "text/strings.py", "text/canonical.py", "changes/kinds.py")

WORK = r"""
import hashlib, json, sys, time
from newsarchive.indexing.derive import _compare
from newsarchive.ingest.noise import DEFAULT_RULES
from newsarchive.text.words import count_words
import newsarchive.diff.align as align
versions = json.load(open(sys.argv[1]))
pairs = [(a, b, DEFAULT_RULES) for texts in versions for a, b in zip(texts, texts[1:])]
flat = [t for texts in versions for t in texts]
_compare(pairs[:20])
t = time.process_time()
ahead = _compare(pairs)
compare = time.process_time() - t
t = time.process_time()
counts = [count_words(x) for x in flat]
words = time.process_time() - t
digest = [(a.change.words_added, a.change.words_removed, a.change.facts, a.noise)
          for a in ahead]
print(json.dumps({"compiled": align.__file__.endswith(".so"), "pairs": len(pairs),
                  "texts": len(flat), "compare": compare, "words": words,
                  "digest": hashlib.sha256(repr((digest, counts)).encode()).hexdigest()}))
"""


def versions_of(corpus: Path) -> list[list[str]]:
    """Every article's texts, oldest first."""
    out = []
    for source, date, slug, count in common.read_manifest(corpus):
        out.append([common.split_file((corpus / source / date / f"{slug}.v{v}.txt")
                                      .read_text("utf-8"))[2] for v in range(1, count + 1)])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="articles (default 2000)")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each (default 3)")
    ap.add_argument("--out", type=Path,
                    default=Path(tempfile.gettempdir()) / "newsarchive-bench-compiled")
    args = ap.parse_args()
    if shutil.which("mypyc") is None:
        sys.exit("mypyc not found: pip install -e '.[dev]' (it comes with mypy)")
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    corpus = out / f"corpus-{args.n}"
    common.generate(args.n, corpus, common.find_generator(None), False)
    texts = out / f"versions-{args.n}.json"
    texts.write_text(json.dumps(versions_of(corpus)))

    copies = {}
    for name in ("pure", "compiled"):
        root = out / name
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(SRC, root, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        (root / "mypy.ini").write_text("[mypy]\nignore_missing_imports = True\n")  # as ours
        copies[name] = root
    common.log(f"compiling {len(MODULES)} modules with mypyc")
    subprocess.run(["mypyc", *(f"newsarchive/{m}" for m in MODULES)], cwd=copies["compiled"],
                   check=True, stdout=subprocess.DEVNULL)

    runs: dict[str, list[dict[str, float]]] = {name: [] for name in copies}
    for n in range(args.rounds):
        for name, root in copies.items():
            common.log(f"round {n + 1}/{args.rounds}: {name}")
            env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
            done = subprocess.run([sys.executable, "-c", WORK, str(texts)], env=env,
                                  check=True, capture_output=True, text=True)
            result = json.loads(done.stdout)
            assert result["compiled"] == (name == "compiled"), "the copy was not imported"
            runs[name].append(result)
    digests = {r["digest"] for rs in runs.values() for r in rs}
    if len(digests) != 1:
        sys.exit("the compiled modules gave other results than the pure ones")

    first = runs["pure"][0]
    print(f"\n{args.n:,} articles: {first['pairs']:,} comparisons, {first['texts']:,} texts; "
          f"CPU seconds, median of {args.rounds} (the same results both ways)")
    print(f"{'':12s} {'pure Python':>20s} {'mypyc':>20s} {'saved':>6s}")
    for key, label in (("compare", "comparisons"), ("words", "word counts")):
        pure = statistics.median(r[key] for r in runs["pure"])
        compiled = statistics.median(r[key] for r in runs["compiled"])
        count = first["pairs"] if key == "compare" else first["texts"]
        cells = [f"{t:.2f} s = {t * 1000 / count:.2f} ms each" for t in (pure, compiled)]
        print(f"{label:12s} {cells[0]:>20s} {cells[1]:>20s} {1 - compiled / pure:6.0%}")


if __name__ == "__main__":
    main()
