"""benchmarks/run.py --compare: two results files side by side with the growth factor.

Only the arithmetic and the table are tested here; nothing is timed (the benchmark is run
by hand, never in CI)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


def results(articles: int, scale: float) -> dict[str, object]:
    return {
        "started": "2026-12-03 12:00:00",
        "machine": {"nproc": 2, "commit": "abc1234"},
        "skipped": ["rg"],
        "corpus": {"articles": articles, "revisions": 3 * articles, "raw_bytes": 2_000_000},
        "git": {"fast_import": {"seconds": 1.0, "rss_kb": 2048, "packs": 1}},
        "ingest": {"seconds": 4.0 * scale, "revs_per_s": 300.0 / scale, "rss_kb": 51200},
        "reads": {"runs": 10, "stats": 0.05 * scale, "agree": "49/50", "flag": True},
        "maintenance": {"reindex": {"seconds": 8.0 * scale * scale, "rc": 0}},
        "search": {"queries": [{"q": "word", "lib": 0.001}]},
    }


def compare(tmp_path: Path, a: dict[str, object], b: dict[str, object]) -> dict[str, list[str]]:
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(json.dumps(a))
    pb.write_text(json.dumps(b))
    done = subprocess.run([sys.executable, str(RUN), "--compare", str(pa), str(pb)],
                          capture_output=True, text=True, check=True)
    rows = {}
    for line in done.stdout.splitlines():
        if line.startswith("| ") and not line.startswith("| figure"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    assert rows, done.stdout
    return rows


def test_every_figure_side_by_side_with_growth(tmp_path: Path) -> None:
    rows = compare(tmp_path, results(20_000, 1.0), results(100_000, 5.0))
    assert rows["corpus.articles"] == ["20,000", "100,000", "5.00x"]
    assert rows["ingest.seconds"] == ["4.0 s", "20.0 s", "5.00x"]
    assert rows["ingest.revs_per_s"] == ["300/s", "60/s", "0.20x"]
    assert rows["ingest.rss_kb"] == ["50.0 MB", "50.0 MB", "1.00x"]
    assert rows["reads.stats"] == ["50.0 ms", "250.0 ms", "5.00x"]
    # quadratic growth shows as the square of the corpus growth
    assert rows["maintenance.reindex.seconds"][2] == "25.00x"
    # the same-run ratios the targets are judged on are derived for both files
    assert rows["ratios.ingest_vs_fast_import"] == ["4.00x", "20.00x", "5.00x"]
    assert "ratios.store_vs_raw" not in rows  # no bytes part in these files
    # not figures: strings, flags, exit codes, per-query rows, the machine, repetitions
    assert not [k for k in rows if k.endswith((".agree", ".flag", ".rc", ".runs"))
                or k.startswith(("search.queries", "machine.", "skipped"))]


def test_a_figure_in_one_file_only(tmp_path: Path) -> None:
    a = results(2_000, 1.0)
    b = results(2_000, 1.0)
    del a["maintenance"]
    a["ingest"] = {**a["ingest"], "seconds": 0.0}  # type: ignore[dict-item]
    rows = compare(tmp_path, a, b)
    assert rows["maintenance.reindex.seconds"] == ["-", "8.0 s", "-"]
    assert rows["ingest.seconds"] == ["0.0 ms", "4.0 s", "-"]  # no growth from zero
    assert rows["ingest.rss_kb"][2] == "1.00x"


def test_same_corpus_size_is_told_apart_as_a_and_b(tmp_path: Path) -> None:
    pa, pb = tmp_path / "a.json", tmp_path / "b.json"
    pa.write_text(json.dumps(results(2_000, 1.0)))
    pb.write_text(json.dumps(results(2_000, 2.0)))
    out = subprocess.run([sys.executable, str(RUN), "--compare", str(pa), str(pb)],
                         capture_output=True, text=True, check=True).stdout
    assert "| figure | A: 2,000 articles | B: 2,000 articles | B/A |" in out
    assert f"A: {pa} (2,000 articles, 6,000 revisions, 2.0 MB raw;" in out
    assert "parts skipped: rg)" in out
