"""Parquet export: the dataset, its rows against `stats`, DuckDB and PySpark over it."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from newsarchive.archive import Archive
from newsarchive.errors import MissingExtra
from tests.conftest import EXAMPLES, ROOT, CliRun

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


@pytest.fixture
def filled(cli: CliRun, store: Path, tmp_path: Path) -> Path:
    """The examples (one article with three revisions) and a second source's article with
    a headline change and a sentence taken out."""
    assert cli("add", str(EXAMPLES)).exit_code == 0
    lines = [
        {"text": "The harbour closed at noon. Ships waited outside. The storm passed by "
                 "evening.", "title": "Storm closes harbour", "source": "gazette",
         "date": "2023-11-02", "slug": "storm", "captured_at": "2023-11-02T12:00:00Z"},
        {"text": "The harbour closed at noon. The storm passed by evening. Two boats were "
                 "damaged.", "title": "Storm damages boats", "source": "gazette",
         "date": "2023-11-02", "slug": "storm", "captured_at": "2023-11-02T18:00:00Z"},
    ]
    path = tmp_path / "gazette.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    assert cli("add", str(path)).exit_code == 0
    return store


def read_rows(directory: Path) -> list[dict[str, Any]]:
    import pyarrow.dataset as ds

    table = ds.dataset(directory, format="parquet", partitioning="hive").to_table()
    return sorted(table.to_pylist(), key=lambda r: (r["id"], r["revision"]))


def test_export_rows_match_stats_and_log(filled: Path, cli: CliRun, tmp_path: Path) -> None:
    out = tmp_path / "dataset"
    r = cli("export", "--format", "parquet", str(out))
    assert r.exit_code == 0, r.stderr
    stats = json.loads(cli("stats", "--json").stdout)
    assert r.stderr == (f"exported {stats['revisions']} revisions to 5 files in 5 partitions "
                        f"under {out}\n")
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.parquet")) == [
        "source=example-wire/year=2024/part-0.parquet",
        "source=gazette/year=2023/part-0.parquet",
        "source=hessenschau/year=2024/part-0.parquet",
        "source=politico.eu/year=2024/part-0.parquet",
        "source=reuters/year=2024/part-0.parquet",
    ]
    rows = read_rows(out)
    assert len(rows) == stats["revisions"]
    storm = [x for x in rows if x["id"] == "gazette/2023-11-02/storm"]
    assert [x["revision"] for x in storm] == [1, 2]
    second = storm[1]
    assert second["source"] == "gazette" and second["year"] == 2023
    assert "headline" in second["kind"]
    assert second["sentences"] == [
        {"action": "removed", "old": "Ships waited outside.", "new": None},
        {"action": "added", "old": None, "new": "Two boats were damaged."}]
    # the passages of search --removed/--added: the text's, then the headline's
    assert second["removed"] == ["Ships waited outside.", "closes harbour"]
    assert second["added"] == ["Two boats were damaged.", "damages boats"]
    assert storm[0]["sentences"] == [] and storm[0]["words_added"] == 0
    assert str(second["captured_at"]) == "2023-11-02 18:00:00+00:00"
    log = {(x["id"], x["revision"]): x for x in
           (json.loads(line) for a in ("putin-reaffirms-war-aims", "gazette/2023-11-02/storm")
            for line in cli("log", a, "--json").stdout.splitlines())}
    for row in rows:
        if (row["id"], row["revision"]) in log:
            want = log[(row["id"], row["revision"])]
            assert (row["words_added"], row["words_removed"], row["kind"], row["hash"]) == (
                want["words_added"], want["words_removed"], want["kind"], want["hash"])
            assert row["text"] == cli("show", f"{row['id']}@{row['revision']}").stdout


def test_duckdb_counts_what_stats_counts(filled: Path, cli: CliRun, tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    out = tmp_path / "dataset"
    assert cli("export", "--format", "parquet", str(out)).exit_code == 0
    stats = json.loads(cli("stats", "--json").stdout)
    con = duckdb.connect()
    glob = f"{out}/**/*.parquet"
    (count,) = con.sql(f"SELECT count(*) FROM read_parquet('{glob}', "
                       "hive_partitioning = true)").fetchall()[0]
    assert count == stats["revisions"]
    edits = con.sql(f"SELECT source, count(*) FROM read_parquet('{glob}', hive_partitioning = "
                    "true) WHERE revision > 1 GROUP BY source ORDER BY source").fetchall()
    assert edits == [("gazette", 1), ("politico.eu", 2)]


def _example(name: str) -> str:
    doc = (ROOT / "docs" / "interop.md").read_text()
    m = re.search(rf"<!-- example: {name} -->\n```python\n(.*?)\n```", doc, re.S)
    assert m, name
    return m.group(1)


def _run_example(name: str, dataset: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = _example(name)
    assert 'DATASET = "dataset"' in code
    code = code.replace('DATASET = "dataset"', f"DATASET = {str(dataset)!r}")
    exec(compile(code, f"docs/interop.md ({name})", "exec"), {})
    return capsys.readouterr().out


def test_documented_duckdb_example(filled: Path, cli: CliRun, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("duckdb")
    out = tmp_path / "dataset"
    assert cli("export", "--format", "parquet", str(out)).exit_code == 0
    printed = _run_example("duckdb", out, capsys)
    assert "('gazette', 2, 1," in printed and "Ships waited outside." in printed


def test_documented_pyspark_example(filled: Path, cli: CliRun, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyspark")
    out = tmp_path / "dataset"
    assert cli("export", "--format", "parquet", str(out)).exit_code == 0
    printed = _run_example("pyspark", out, capsys)
    assert "sentences removed" in printed


def test_row_groups_stream(filled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows are written a row group at a time, never the whole partition at once."""
    import newsarchive.ops.parquet_export as pe

    monkeypatch.setattr(pe, "ROW_GROUP", 2)
    out = tmp_path / "dataset"
    with Archive(filled) as archive:
        report = archive.export_parquet(out, source="politico.eu")
    assert report.to_dict() == {"directory": str(out), "rows": 3, "files": 1, "partitions": 1,
                                "failed": 0, "errors": []}
    meta = pq.ParquetFile(out / "source=politico.eu" / "year=2024" / "part-0.parquet").metadata
    assert meta.num_row_groups == 2 and meta.num_rows == 3


def test_refuses_a_non_empty_directory_and_a_missing_dir(filled: Path, cli: CliRun,
                                                         tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    r = cli("export", "--format", "parquet", str(tmp_path / "full"))
    assert r.exit_code == 2 and "not an empty directory" in r.stderr
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"
    r = cli("export", "--format", "parquet")
    assert r.exit_code == 2 and "give DIR" in r.stderr


def test_without_pyarrow_one_line_names_the_extra(filled: Path, cli: CliRun, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    r = cli("export", "--format", "parquet", str(tmp_path / "d"))
    assert r.exit_code == 1
    assert r.stderr == ("error: Parquet export needs the optional package pyarrow, which is "
                        "not installed: pip install 'newsarchive[parquet]'\n")
    with Archive(filled) as archive, pytest.raises(MissingExtra):
        archive.export_parquet(tmp_path / "e")
