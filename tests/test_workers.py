"""Worker processes: a bulk write with workers stores exactly what one without stores."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import pytest

import newsarchive
from newsarchive.errors import InputError
from newsarchive.model import Draft
from newsarchive.workers import Workers
from tests.conftest import stderr_on_a_terminal


REAL_SUBMIT = Workers.submit


@pytest.fixture(autouse=True)
def guarded_main(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as a guarded program does, whoever runs the tests: a pytest-xdist worker's
    ``__main__`` has no file, so no worker could start (and these tests would test
    nothing). The spawned workers import this stand-in instead, which does nothing."""
    main = sys.modules["__main__"]
    if getattr(main, "__spec__", None) is None and not getattr(main, "__file__", None):
        script = tmp_path_factory.mktemp("main") / "guarded.py"
        script.write_text('if __name__ == "__main__":\n    pass\n')
        monkeypatch.setattr(main, "__file__", str(script), raising=False)


def drafts() -> list[Draft | InputError]:
    """120 articles in 3 rounds of edits (plus an unchanged copy and bad inputs), so
    revisions follow heads in the same batch and in earlier ones; some rounds differ only
    by noise (an "Updated N minutes ago" line: those captures confirm their revision)."""
    out: list[Draft | InputError] = []
    for rnd in range(3):
        for i in range(120):
            paras = [f"Paragraph {p} of story {i}: the council met and voted {p + 3} to {p}."
                     for p in range(8)]
            if rnd >= 1 and i % 2:
                paras[3] = f"Officials said {i * 7} people were hurt, not {i}."
            if rnd == 2 and i % 3 == 0:
                paras.append("Correction: an earlier version misspelled the mayor's name.")
            if rnd >= 1 and i % 4 == 2:
                paras.insert(0, f"Updated {rnd * 5} minutes ago")
            title = f"Story {i}" + (" updated" if rnd == 2 and i % 5 == 0 else "")
            out.append(Draft(text="\n\n".join(paras), origin=f"r{rnd}-{i}", source="wire",
                             slug=f"story-{i}", date="2024-02-01", title=title,
                             captured_at=f"2024-02-0{rnd + 1}T10:00:00Z"))
        out.append(Draft(text="   ", origin=f"r{rnd}-blank", source="wire", slug="blank"))
        out.append(InputError(f"r{rnd}-unreadable", "not UTF-8"))
    return out


def count_submits(calls: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Append the name of every task given to the workers to ``calls``."""
    def counting_submit(self: Workers, fn: Any, *args: Any) -> Any:
        calls.append(fn.__name__)
        return REAL_SUBMIT(self, fn, *args)

    monkeypatch.setattr(Workers, "submit", counting_submit)


def run(path: Path, workers: int, calls: list[str], monkeypatch: pytest.MonkeyPatch,
        ) -> tuple[list[Any], list[Any]]:
    count_submits(calls, monkeypatch)
    with newsarchive.Archive(path, workers=workers) as archive:
        results = [outcome(r) for r in archive.add_stream(drafts(), batch_size=150)]
        return results, stored_facts(archive)


def outcome(r: Any) -> Any:
    if isinstance(r, Exception):
        return str(r)
    return (r.status, r.revision.id, r.revision.number, r.revision.hash)


def stored_facts(archive: newsarchive.Archive) -> list[Any]:
    """Every revision's derived facts, and the passages search finds in the edits."""
    facts = [
        (r.id, r.number, r.hash, r.title, r.words, r.words_added, r.words_removed,
         r.kind, r.flipflop, r.reverts)
        for a in archive.articles() for r in archive.log(a.id)
    ]
    removed = [(h.id, h.revision, h.snippet) for h in
               archive.search("hurt", removed=True, limit=1000)]
    return facts + removed


@pytest.mark.slow
def test_workers_store_what_one_process_stores(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    serial: list[str] = []
    parallel: list[str] = []
    one = run(tmp_path / "one", 1, serial, monkeypatch)
    two = run(tmp_path / "two", 2, parallel, monkeypatch)
    assert serial == []
    assert "_prepare" in parallel and "_compare" in parallel
    assert one == two
    results = one[0]
    assert len(results) == 3 * 122
    assert results[120] == "r0-blank: has no article text"
    assert results[121] == "r0-unreadable: not UTF-8"
    assert [r[0] for r in results[122:242]] == ["unchanged", "revised"] * 60


@pytest.mark.slow
@pytest.mark.parametrize("by_article", [False, True])
def test_a_comparison_made_ahead_is_not_made_again(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  by_article: bool) -> None:
    """A headline seen before within a day (here: never changed) makes the indexer look
    back over the article's recent revisions for headline tests, between the two
    questions it asks of the new pair (noise, then the change). Those lookups of older
    pairs, long answered, used to evict the pair the workers had compared, and the main
    process compared it again: on the benchmark's corpus a quarter of a bulk add's CPU.
    An import that lists each article's revisions together (as a dataset's export does)
    finds the older pairs' noise comparisons remembered too."""
    from newsarchive.indexing import derive, indexer

    def draft(rnd: int, i: int) -> Draft:
        text = "\n\n".join(f"Paragraph {p} of story {i}, round {rnd if p == 2 else 0}."
                            for p in range(6))
        return Draft(text=text, origin=f"r{rnd}-{i}", source="wire", slug=f"story-{i}",
                     date="2024-02-01", title=f"Story {i}",
                     captured_at=f"2024-02-01T1{rnd}:00:00Z")

    if by_article:
        inputs = [draft(rnd, i) for i in range(120) for rnd in range(3)]
    else:  # articles interleaved, as feeds deliver them
        inputs = [draft(rnd, i) for rnd in range(3) for i in range(120)]
    compared: list[tuple[str, str]] = []
    real_change, real_noise = derive.text_change, indexer.differs_by_noise

    def change(a: str, b: str) -> derive.TextChange:
        compared.append((a, b))
        return real_change(a, b)

    def noise(a: str, b: str, rules: Any) -> bool:
        compared.append((a, b))
        return real_noise(a, b, rules)

    monkeypatch.setattr(derive, "text_change", change)  # this process only
    if by_article:
        monkeypatch.setattr(indexer, "differs_by_noise", noise)
    with newsarchive.Archive(tmp_path / "s", workers=2) as archive:
        results = list(archive.add_stream(inputs))
        assert sorted(r.status for r in results) == ["added"] * 120 + ["revised"] * 240
    assert compared == []


@pytest.mark.slow
def test_the_next_batch_is_prepared_while_one_is_written(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Once a batch's comparisons are queued, the workers prepare the whole next batch
    behind them: it is ready when the batch commits. Preparing only a few chunks ahead
    left the writer waiting for the next batch (4 s of 10,000 revisions: time lost where
    the cores are not all busy anyway)."""
    consumed = 0

    def inputs() -> Iterator[Draft]:
        nonlocal consumed
        for rnd in range(3):
            for i in range(300):
                consumed += 1
                yield Draft(text=f"Story {i} says {rnd} people were hurt.",
                            origin=f"r{rnd}-{i}", source="wire", slug=f"story-{i}",
                            date="2024-02-01", title=f"Story {i}",
                            captured_at=f"2024-02-01T1{rnd}:00:00Z")

    calls: list[str] = []
    count_submits(calls, monkeypatch)
    facts = []
    for workers in (2, 1):
        with newsarchive.Archive(tmp_path / str(workers), workers=workers) as archive:
            stream = archive.add_stream(inputs(), batch_size=400)
            first = next(stream)
            at_first = consumed, list(calls)
            results = [first, *stream]
            assert sorted(r.status for r in results) == ["added"] * 300 + ["revised"] * 600
            facts.append(stored_facts(archive))
        if workers == 2:
            seen, submitted = at_first
            assert seen == 800  # the first batch, and the next
            # the next batch's drafts were queued behind the first batch's comparisons
            assert "_prepare" in submitted[submitted.index("_compare"):]
        consumed = 0
        calls.clear()
    assert facts[0] == facts[1]


@pytest.mark.slow
def test_reindex_with_workers_rebuilds_the_same_facts(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    _, before = run(tmp_path / "s", 2, calls, monkeypatch)
    (tmp_path / "s" / "catalog.sqlite").unlink()
    calls.clear()
    with newsarchive.Archive(tmp_path / "s", workers=2) as archive:
        archive.reindex()
        assert stored_facts(archive) == before
    assert "_compare" in calls


@pytest.mark.slow
def test_a_dead_worker_costs_time_not_results(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    expected = run(tmp_path / "one", 1, [], monkeypatch)
    killed: list[int] = []
    with newsarchive.Archive(tmp_path / "two", workers=2) as archive:
        workers = archive.indexer.workers

        def killing_drafts() -> Iterator[Draft | InputError]:
            """The drafts, a worker killed once the first chunk went to the workers and
            before the next is handed out: whatever it was doing fails."""
            for i, d in enumerate(drafts()):
                pool = workers._pool
                if i == 260 and pool is not None and pool._processes:
                    killed.append(next(iter(pool._processes)))
                    os.kill(killed[0], signal.SIGKILL)  # the pool is broken from now on
                yield d

        results = [outcome(r) for r in archive.add_stream(killing_drafts(), batch_size=150)]
        assert (results, stored_facts(archive)) == expected
    assert killed
    assert workers.count == 2  # the next call may start workers again


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux's /proc")
def test_a_killed_command_leaves_no_worker_behind(tmp_path: Path) -> None:
    """Workers let go of the command's output and exit with it: a reader waiting for
    EOF (a shell pipe, a cron wrapper) is not kept waiting by orphans."""
    rows = "".join(
        '{"source": "wire", "slug": "s%d", "date": "2024-02-01", "text": "%s"}\n'
        % (i, " ".join(f"Story {i} v{v} line {n}." for n in range(300)))
        for v in range(3) for i in range(1000))
    (tmp_path / "in.jsonl").write_text(rows)
    cmd = [sys.executable, "-m", "newsarchive", "--store", str(tmp_path / "s"), "add", "-q",
           str(tmp_path / "in.jsonl")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(children(proc.pid)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = children(proc.pid)
    assert len(workers) >= 2, "the add never started its workers"
    os.kill(proc.pid, signal.SIGKILL)
    start = time.monotonic()
    proc.communicate(timeout=60)  # EOF on both pipes: no worker holds them
    assert proc.returncode == -signal.SIGKILL
    assert time.monotonic() - start < 30
    while any(Path(f"/proc/{w}").exists() for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if Path(f"/proc/{w}").exists()]


@pytest.mark.slow
def test_reindex_reports_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(tmp_path / "s", 1, [], monkeypatch)
    seen: list[tuple[int, int]] = []
    with newsarchive.open(tmp_path / "s") as archive:
        counts = archive.reindex(on_progress=lambda done, total: seen.append((done, total)))
    done, total = seen[-1]  # captures: a revision each, and the captures noise folded
    assert counts.revisions > 200 and done == total > counts.revisions
    assert [d for d, _ in seen] == sorted({d for d, _ in seen})  # rising, an article a step


@pytest.mark.slow
def test_check_and_gc_report_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run(tmp_path / "s", 1, [], monkeypatch)
    checked: list[tuple[int, int]] = []
    packed: list[tuple[int, int]] = []
    with newsarchive.open(tmp_path / "s") as archive:
        assert archive.check(on_progress=lambda done, total: checked.append((done, total))) == []
        total = len(list(archive.store.objects))
        archive.gc(grace=0, on_progress=lambda done, total: packed.append((done, total)))
    assert total > 400 and checked == [(n, total) for n in range(1, total + 1)]
    assert packed == [(n, total) for n in range(1, total + 1)]  # everything is referenced


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("command", ["reindex", "check", "gc"])
def test_long_commands_draw_a_progress_bar_on_a_terminal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str) -> None:
    run(tmp_path / "s", 1, [], monkeypatch)
    cmd = [sys.executable, "-m", "newsarchive", "--store", str(tmp_path / "s"), command]
    status, drawn = stderr_on_a_terminal(cmd)
    assert status == 0
    assert re.search(rb"\] [1-9]\d*/\d+", drawn) and b"\r\x1b[K" in drawn  # drawn, cleared
    plain = subprocess.run(cmd, capture_output=True, timeout=120)  # not a terminal: no bar
    assert plain.returncode == 0 and b"\r" not in plain.stderr


@pytest.mark.slow
def test_a_script_without_the_main_guard_adds_once(tmp_path: Path) -> None:
    """Each spawned worker imports the script again; unguarded, each one used to run the
    whole add itself (three revisions of everything). Now the workers refuse, loudly, and
    the caller does the work alone. A script read from stdin never starts workers."""
    body = ("import newsarchive\nfrom newsarchive import Draft\n"
            "a = newsarchive.open('store', workers=2)\n"
            "a.add_drafts([Draft(text=f'Story {i}.', source='ex', date='2024-04-03', "
            "slug=f'story-{i}') for i in range(250)])\n"
            "print(len(a.log('story-0')))\n")
    (tmp_path / "noguard.py").write_text(body)
    r = subprocess.run([sys.executable, "noguard.py"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0 and r.stdout == "1\n", r.stderr
    assert "needs the program's entry point guarded" in r.stderr
    guarded = body.replace("'store'", "'store2'")
    r = subprocess.run([sys.executable, "-"], input=guarded, cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert (r.returncode, r.stdout, r.stderr) == (0, "1\n", "")


def _niceness() -> int:
    return os.nice(0)


@pytest.mark.skipif(not hasattr(os, "nice"), reason="POSIX niceness")
def test_workers_yield_the_cpu_to_the_writer() -> None:
    """The writer sets a bulk write's pace: its workers run at a lower priority."""
    from newsarchive.workers import NICENESS

    workers = Workers(2)
    try:
        got = workers.submit(_niceness).result(timeout=60)
        assert workers._pool is not None  # it ran in a worker, not here
    finally:
        workers.close()
    assert got == min(19, os.nice(0) + NICENESS)


@pytest.mark.slow
def test_with_workers_the_writer_counts_no_words(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Each text's words are counted in a worker: by the alignment that compares it with
    the text it follows, or by a count of its own when it follows none. The writer (this
    process) counts none of them, and stores the counts one process stores."""
    from newsarchive.indexing import indexer

    counted: list[str] = []

    def counting(text: str) -> int:
        counted.append(text)
        return REAL_COUNT(text)

    REAL_COUNT = indexer.count_words
    monkeypatch.setattr(indexer, "count_words", counting)
    facts = []
    for workers in (1, 2):
        counted.clear()
        with newsarchive.Archive(tmp_path / str(workers), workers=workers) as archive:
            list(archive.add_stream(drafts(), batch_size=400))
            facts.append(stored_facts(archive))
        if workers == 1:
            assert len(counted) > 200  # one process counts the text of every revision
        else:
            assert counted == []
    assert facts[0] == facts[1]


def test_a_comparison_made_ahead_counts_the_new_texts_words_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's task counts a text's words once: the alignment of a text with the one it
    follows counts them (no count of its own), a text that follows none is counted alone
    (the writer then asks for them by the text: the test above)."""
    from newsarchive.indexing import derive
    from newsarchive.ingest.noise import DEFAULT_RULES
    from newsarchive.text.words import count_words

    counted: list[str] = []
    monkeypatch.setattr(derive, "count_words", lambda text: counted.append(text) or 99)
    old, new = "The council met. It voted 7 to 2.", "The council met. It voted 8 to 1 today."
    first, after = derive._compare([(None, old, DEFAULT_RULES), (old, new, DEFAULT_RULES)])
    assert counted == [old] and first.change.words == 99
    assert after.change.words == count_words(new) == 9
