"""Benchmark of the diff engine (run by hand; not a test).

    python benchmarks/bench_diff.py [--n 300] [--gen PATH/gen_corpus.py] [--no-git]

Generates a corpus of revised articles with the project's deterministic generator, then
prints, per revision pair: the median and p95 time of ``diff_texts`` at every granularity,
of ``word_change_counts`` (what ``add`` pays), and of two baselines measured in the same
run on the same pairs: difflib's SequenceMatcher over the same word tokens, and
``git diff --no-index --word-diff`` (a process per pair, so mostly start-up cost). Then the
same for two unrelated 100 KB texts, the case the engine's deadline exists for.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import itertools
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from newsarchive.diff import engine as diffengine
from newsarchive.diff import facts
from newsarchive.diff.compare import diff_texts
from newsarchive.diff.engine import GRANULARITIES, tokenize
from newsarchive.diff.facts import word_change_counts

HERE = Path(__file__).resolve().parent
DEFAULT_GEN = HERE.parent.parent / "shared" / "bench" / "gen_corpus.py"


def corpus_pairs(gen: Path, n: int, seed: int, out: Path) -> list[tuple[str, str]]:
    subprocess.run([sys.executable, str(gen), "--n", str(n), "--seed", str(seed),
                    "--out", str(out)], check=True, capture_output=True)
    pairs = []
    for first in sorted(out.glob("*/*/*.v1.txt")):
        stem = first.name[: -len(".v1.txt")]
        versions = sorted(first.parent.glob(f"{stem}.v*.txt"),
                          key=lambda p: int(p.name[len(stem) + 2:-4]))
        texts = [p.read_text("utf-8") for p in versions]
        pairs += list(itertools.pairwise(texts))
    return pairs


def timings(fn: Callable[[str, str], object], pairs: list[tuple[str, str]]) -> list[float]:
    out = []
    for a, b in pairs:
        diffengine._spans_cached.cache_clear()   # no help from an earlier call on the same text
        facts._word_ops.cache_clear()
        start = time.perf_counter()
        fn(a, b)
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    return statistics.median(ms), ms[min(len(ms) - 1, int(len(ms) * 0.95))]


def difflib_words(a: str, b: str) -> object:
    """difflib as it is usually called (autojunk on: with it off, two unrelated 100 KB
    texts take minutes)."""
    return difflib.SequenceMatcher(None, tokenize(a, "word"), tokenize(b, "word")).get_opcodes()


def git_word_diff(tmp: Path) -> Callable[[str, str], object]:
    fa, fb = tmp / "a.txt", tmp / "b.txt"

    def run(a: str, b: str) -> object:
        fa.write_text(a, "utf-8")
        fb.write_text(b, "utf-8")
        return subprocess.run(["git", "diff", "--no-index", "--word-diff", "--no-color",
                               str(fa), str(fb)], capture_output=True, check=False)
    return run


def unrelated(pairs: list[tuple[str, str]], seed: int, size: int = 100_000) -> str:
    """Real generated article text, articles picked at random, cut to ``size``."""
    rng = random.Random(seed)
    texts = [a for a, _ in pairs]
    out: list[str] = []
    while sum(map(len, out)) < size:
        out.append(rng.choice(texts))
    return "".join(out)[:size]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=300, help="articles to generate (default 300)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gen", type=Path, default=DEFAULT_GEN, help="path of gen_corpus.py")
    ap.add_argument("--git-pairs", type=int, default=100,
                    help="pairs to run git diff on (a process each; default 100)")
    ap.add_argument("--no-git", action="store_true", help="skip the git baseline")
    args = ap.parse_args()
    if not args.gen.exists():
        sys.exit(f"error: {args.gen} not found (pass --gen PATH)")
    use_git = not args.no_git and shutil.which("git") is not None
    try:
        import fast_diff_match_patch  # noqa: F401
        engine = "fast_diff_match_patch"
    except ImportError:
        engine = "diff_match_patch (pure Python)"

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        pairs = corpus_pairs(args.gen, args.n, args.seed, tmp / "corpus")
        size = statistics.mean(len(a) + len(b) for a, b in pairs) / 2
        print(f"{len(pairs)} revision pairs from {args.n} generated articles "
              f"(mean {size / 1000:.1f} KB a revision); engine: {engine}")
        diff_texts(*pairs[0])   # imports and first-call costs out of the measurements
        rows: list[tuple[str, list[float]]] = []
        for by in GRANULARITIES:
            rows.append((f"diff_texts by={by}", timings(functools.partial(diff_texts, by=by), pairs)))
        rows.append(("word_change_counts", timings(word_change_counts, pairs)))
        rows.append(("difflib SequenceMatcher (words)", timings(difflib_words, pairs)))
        if use_git:
            rows.append((f"git diff --word-diff ({args.git_pairs} pairs)",
                         timings(git_word_diff(tmp), pairs[:args.git_pairs])))
        ours = summary(rows[0][1])[0]
        print(f"\n{'per revision pair':44} {'median ms':>10} {'p95 ms':>9} {'x ours':>8}")
        for name, ms in rows:
            med, p95 = summary(ms)
            print(f"{name:44} {med:10.2f} {p95:9.2f} {med / ours:8.1f}")

        a, b = unrelated(pairs, args.seed), unrelated(pairs, args.seed + 1)
        print(f"\n{'two unrelated 100 KB texts':44} {'median ms':>10} {'max ms':>9} {'x ours':>8}")
        results: list[tuple[str, list[float]]] = []
        used = []
        for by in GRANULARITIES:
            ms = []
            for _ in range(5):
                diffengine._spans_cached.cache_clear()
                start = time.perf_counter()
                d = diff_texts(a, b, by=by)
                ms.append((time.perf_counter() - start) * 1000)
            used.append(d.by)
            results.append((f"diff_texts by={by} (used {d.by})", ms))
        results.append(("difflib SequenceMatcher (words)", timings(difflib_words, [(a, b)])))
        if use_git:
            results.append(("git diff --word-diff", timings(git_word_diff(tmp), [(a, b)] * 3)))
        ours = statistics.median(results[0][1])
        for name, ms in results:
            med = statistics.median(ms)
            print(f"{name:44} {med:10.1f} {max(ms):9.1f} {med / ours:8.1f}")


if __name__ == "__main__":
    main()
