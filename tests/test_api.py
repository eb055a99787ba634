"""The Python API of SPEC 9, as a library user calls it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import newsarchive
from newsarchive import Draft


def test_spec9_walkthrough(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = newsarchive.open(tmp_path / "store")
    result = archive.add("Putin reaffirms war aims. Sanctions have failed.", source="politico",
                         date="2024-04-03", title="Putin reaffirms war aims")
    assert result.status == "added"
    assert (result.revision.id, result.revision.number) == (
        "politico/2024-04-03/putin-reaffirms-war-aims", 1)
    assert len(result.revision.hash) == 64
    again = archive.add("Putin reaffirms war aims. Sanctions have worked.", source="politico",
                        date="2024-04-03", title="Putin reaffirms war aims")
    assert again.status == "revised" and again.revision.number == 2
    assert (again.revision.words_added, again.revision.words_removed) == (1, 1)

    articles = list(archive.articles(source="politico", since="2024-04-01"))
    assert [(a.id, a.revisions) for a in articles] == [(result.revision.id, 2)]
    d = archive.diff(f"{result.revision.id}@1", f"{result.revision.id}@2", by="word")
    assert d.changed and d.stats.words_added == 1
    assert "<del>failed</del>" in d.to_html() and "[-failed-]{+worked+}" in d.to_text()
    hits = archive.search("sanctions", source="politico")
    assert [h.ref for h in hits] == [f"{result.revision.id}@2"]
    assert "[Sanctions]" in hits[0].snippet
    assert archive.check() == []
    assert archive.show("putin-reaffirms-war-aims@1").endswith("failed.\n")
    assert [r.number for r in archive.log("putin-reaffirms-war-aims")] == [2, 1]
    archive.close()
    assert capsys.readouterr() == ("", "")  # the library never prints


def test_errors_are_newsarchive_errors(tmp_path: Path) -> None:
    archive = newsarchive.open(tmp_path / "store")
    with pytest.raises(newsarchive.StoreNotFound):
        archive.get("anything")
    with pytest.raises(newsarchive.InputError):
        archive.add("   ", source="x")
    archive.add("Text.", source="x", slug="a")
    with pytest.raises(newsarchive.RevisionNotFound):
        archive.get("nope")
    with pytest.raises(newsarchive.QueryError):
        archive.search('"unclosed')
    for exc in (newsarchive.StoreNotFound, newsarchive.InputError, newsarchive.QueryError,
                newsarchive.StoreLocked, newsarchive.IntegrityError, newsarchive.AmbiguousRef):
        assert issubclass(exc, newsarchive.NewsArchiveError)


def test_add_drafts_batch_and_export_import(tmp_path: Path) -> None:
    a = newsarchive.open(tmp_path / "a")
    drafts = [Draft(text=f"Story number {i}.", source="wire", slug=f"s{i}") for i in range(20)]
    results = a.add_drafts(drafts)
    assert [r.status for r in results] == ["added"] * 20  # type: ignore[union-attr]
    records = list(a.export())
    b = newsarchive.open(tmp_path / "b")
    from newsarchive.ingest.jsonl import record_to_draft

    list(b.import_(record_to_draft(r, origin="x") for r in records))
    assert list(b.export()) == records


def test_library_does_not_import_click_or_read_the_environment(tmp_path: Path) -> None:
    code = ("import sys, newsarchive, newsarchive.archive, newsarchive.search, "
            "newsarchive.diffing, newsarchive.snapshot, newsarchive.maintenance\n"
            "a = newsarchive.open(sys.argv[1])\n"
            "print(a.add('Hello there.', source='x').status)\n"
            "print('click' in sys.modules)\n")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "store")],
                       capture_output=True, text=True, check=True)
    assert r.stdout.split() == ["added", "False"]
    package = Path(newsarchive.__file__).parent
    for path in package.rglob("*.py"):
        if path.parent.name == "cli" or path.name == "config.py":
            continue  # the only readers of the environment, by design
        src = path.read_text()
        assert "os.environ" not in src and "getenv" not in src, path


def test_snapshot_from_the_api(tmp_path: Path, http_server) -> None:  # type: ignore[no-untyped-def]
    from tests.test_snapshot import serve_three

    url = serve_three(http_server)
    archive = newsarchive.open(tmp_path / "store")
    (report,) = archive.snapshot([url], allow_private_networks=True)
    assert (report.entries, report.added, report.failed) == (3, 3, 0)
    (again,) = archive.snapshot([url], allow_private_networks=True)
    assert again.not_modified and again.unchanged == 3
    (refused,) = archive.snapshot([url], force=True)  # 127.0.0.1 links are not trusted
    assert refused.failed == 3
    archive.close()
