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


def test_every_name_the_package_exports_resolves() -> None:
    """The names of ``__all__`` are imported lazily (start-up time): each one is there."""
    for name in newsarchive.__all__:
        assert getattr(newsarchive, name) is not None, name


def test_the_model_exports_every_class_of_its_modules_lazily() -> None:
    """``newsarchive.model`` makes each class when first named (start-up time, issue 19);
    every public name of its modules is still one import away, listed, and pickles (the
    worker processes pickle drafts and results)."""
    import dataclasses
    import importlib
    import pickle
    import pkgutil

    import newsarchive.model as model

    defined = set()
    for info in pkgutil.iter_modules(model.__path__):
        module = importlib.import_module(f"newsarchive.model.{info.name}")
        defined |= {name for name, value in vars(module).items()
                    if not name.startswith("_") and getattr(value, "__module__", "") ==
                    module.__name__ and dataclasses.is_dataclass(value)}
    assert defined == {"AddResult", "Article", "Change", "Draft", "FeedSpec", "GcResult",
                       "Problem", "ReindexResult", "Revision", "StoreStats"}
    assert defined | {"ProblemKind", "KINDS", "MAX_REVISION", "QUERY_TIMEOUT",
                      "MAX_FILTER_VALUES", "Kind", "Status"} == set(model.__all__)
    assert set(model.__all__) <= set(dir(model))
    namespace: dict[str, object] = {}
    exec("from newsarchive.model import *", namespace)
    assert set(model.__all__) <= set(namespace)
    rev = model.Revision(id="a/2024-01-01/b", number=1, hash="0" * 64, title="T", source="a",
                         date="2024-01-01", slug="b", url=None, captured_at="2024-01-01T00:00:00Z",
                         author=None, record="1" * 64, original=None, original_type=None,
                         words=1, words_added=1, words_removed=0)
    for value in (model.Draft(text="x", origin="y"), model.AddResult("added", rev),
                  model.Change(rev, rev, None), model.Problem("corrupt", "o", "d")):
        assert pickle.loads(pickle.dumps(value)) == value
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        model.Nothing  # noqa: B018


def test_library_does_not_import_click_or_read_the_environment(tmp_path: Path) -> None:
    code = ("import sys, newsarchive, newsarchive.archive, newsarchive.search.hits, "
            "newsarchive.diff.compare, newsarchive.web.snapshot, newsarchive.ops.check\n"
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


@pytest.mark.slow
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


def test_wrong_types_and_empty_paths_fail_at_the_edge(tmp_path: Path) -> None:
    with pytest.raises(newsarchive.UsageError, match="path is empty"):
        newsarchive.open("")
    a = newsarchive.open(tmp_path / "s")
    for call, message in [
        (lambda: a.add(None), "text must be str, not NoneType"),  # type: ignore[arg-type]
        (lambda: a.add(b"bytes"), "text must be str, not bytes"),  # type: ignore[arg-type]
        (lambda: a.add("Text.", source=b"x"), "source must be str"),  # type: ignore[arg-type]
        (lambda: a.add("Text.", source="x", original="str"), "original must be bytes"),  # type: ignore[arg-type]
        (lambda: a.get(None), "ref must be str"),  # type: ignore[arg-type]
        (lambda: a.search(None), "query must be str"),  # type: ignore[arg-type]
        (lambda: a.changes(limit=None), "limit must be int"),  # type: ignore[arg-type]
        (lambda: a.articles(limit=1.5), "limit must be int"),  # type: ignore[arg-type]
    ]:
        with pytest.raises(TypeError, match=message):
            call()
    (result,) = a.add_drafts(["just a string"])  # type: ignore[list-item]
    assert isinstance(result, newsarchive.InputError) and "not a Draft" in str(result)
    assert not (tmp_path / "s" / "objects").exists() or a.check() == []


def test_a_leading_byte_order_mark_is_not_text(tmp_path: Path) -> None:
    """As `newsarchive add FILE` reads files (utf-8-sig), so does add(text)."""
    a = newsarchive.open(tmp_path / "s")
    first = a.add("\ufeffBom text.", source="ex", date="2024-04-03")
    assert first.revision.title == "Bom text."
    assert a.add("Bom text.", source="ex", date="2024-04-03").status == "unchanged"


def test_a_callback_that_writes_fails_at_once(tmp_path: Path) -> None:
    """Waiting for our own lock would time out after `wait` and blame another process."""
    a = newsarchive.open(tmp_path / "s", wait=30)
    with pytest.raises(newsarchive.StoreError, match="being written by this very Archive"):
        list(a.add_stream([Draft(text="Outer.", source="ex")],
                          on_progress=lambda: a.add("Inner.", source="ex")))
    assert a.add("After.", source="ex").status == "added"


def test_snapshot_of_one_feed_given_as_a_string(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_text('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
                    "<item><title>One</title><link>https://news.example/a/one</link>"
                    "<description>The one story.</description></item></channel></rss>")
    reports = newsarchive.open(tmp_path / "s").snapshot(str(feed), no_fetch=True)
    assert [(r.url, r.added) for r in reports] == [(str(feed), 1)]


def test_import_in_any_order_gives_the_same_history(tmp_path: Path) -> None:
    a = newsarchive.open(tmp_path / "a")
    for i, text in enumerate(("One.", "Two.", "Three.")):
        a.add(text, source="ex", date="2024-04-03", slug="story",
              captured_at=f"2024-04-03T0{i}:00:00Z")
    from newsarchive.ingest.jsonl import record_to_draft

    b = newsarchive.open(tmp_path / "b")
    records = list(a.export())
    results = list(b.import_(record_to_draft(r, origin=f"r{r['revision']}")
                             for r in reversed(records)))
    assert [r.status for r in results] == ["added", "inserted", "inserted"]  # type: ignore[union-attr]
    assert [r.revision.number for r in results] == [1, 1, 1]  # type: ignore[union-attr]
    assert list(b.export()) == records
    again = list(b.import_(record_to_draft(r, origin="x") for r in records))
    assert [r.status for r in again] == ["unchanged"] * 3  # type: ignore[union-attr]
