"""Every bad input of SPEC 7: a one-line error, and the store left byte-identical."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from newsarchive.ingest.inputs import MAX_INPUT_BYTES
from tests.conftest import EXAMPLES, CliRun, tree_digest


@pytest.fixture
def filled(cli: CliRun, store: Path) -> Path:
    assert cli("add", str(EXAMPLES)).exit_code == 0
    return store


def write(tmp_path: Path, name: str, data: bytes) -> str:
    p = tmp_path / name
    p.write_bytes(data)
    return str(p)


BAD = {
    "empty.txt": (b"", "is empty"),
    "blank.txt": (b"  \n\n \t\n", "is empty"),
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary"),
    "latin1.txt": ("source: x\n\nCaf\xe9 au lait".encode("latin-1"), "not UTF-8"),
    "baddate.txt": (b"source: x\ndate: the day after tomorrow-ish\n\nText.", "unreadable date"),
    "nosource.txt": (b"Just a body with no source.", "no source"),
    "badsource.txt": (b"source: ///\n\nText.", "source"),
    "badslug.txt": (b"source: x\nslug: ../../..\n\nText.", "slug"),
    "badurl.txt": (b"source: x\nurl: file:///etc/passwd\n\nText.", "not an http"),
    "bad.jsonl": (b'{"text": "ok", "source": "x"\nnot json\n', "not valid JSON"),
    "notext.jsonl": (b'{"title": "no text", "source": "x"}\n', "no 'text'"),
    "header-only.txt": (b"title: only a header\nsource: x\n\n", "no article text"),
    "binary.html": (b"<html>\x00\x9f\x00garbage" * 50, "binary"),
    "gzip.html": (gzip.compress(b"<html><body><p>An article.</p></body></html>" * 500),
                  "binary file, not text (gzip-compressed data)"),
    "gzip.txt": (gzip.compress(b"source: x\n\nAn article. " * 500),
                 "binary file, not text (gzip-compressed data)"),
    "pdf.html": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n" * 20,
                 "binary file, not text (a PDF document)"),
    "surrogate.jsonl": (b'{"text": "ok\\udc80", "source": "x"}\n', "unpaired surrogate"),
    "deep.jsonl": (b"[" * 100_000 + b"]" * 100_000 + b"\n", "nested too deeply"),
    "bad-id.jsonl": (b'{"text": "t", "id": "../../etc/passwd"}\n', "is not an article ID"),
    "early-capture.txt": (b"source: x\ncaptured_at: 0001-01-01T00:00:00+01:00\n\nText.",
                          "out of range"),
    "no-day.txt": (b"source: x\ndate: 1\n\nText.", "lacks a year, month or day"),
    "time-only.txt": (b"source: x\ndate: 00:00\n\nText.", "lacks a year, month or day"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_changes_nothing(cli: CliRun, filled: Path, tmp_path: Path, name: str) -> None:
    data, message = BAD[name]
    path = write(tmp_path, name, data)
    before = tree_digest(filled)
    r = cli("add", path)
    assert r.exit_code == 1
    err_lines = r.stderr.splitlines()
    assert err_lines and all(x.startswith("error: ") for x in err_lines)
    assert message in r.stderr, r.stderr
    assert name in err_lines[0]
    assert tree_digest(filled) == before


def test_huge_input(cli: CliRun, filled: Path, tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with open(path, "wb") as f:
        f.write(b"source: x\n\n")
        f.write(b"word " * (MAX_INPUT_BYTES // 5 + 10))
    before = tree_digest(filled)
    r = cli("add", str(path))
    assert r.exit_code == 1 and "cap" in r.stderr and r.stderr.count("\n") == 1
    assert tree_digest(filled) == before


def test_missing_file_and_bad_refs(cli: CliRun, filled: Path, tmp_path: Path) -> None:
    before = tree_digest(filled)
    r = cli("add", str(tmp_path / "nope.txt"))
    assert r.exit_code == 1 and "no such file" in r.stderr
    for ref in ("unknown-article", "putin-reaffirms-war-aims@7", "deadbeef00"):
        r = cli("show", ref)
        assert r.exit_code == 1 and r.stderr.count("\n") == 1
    assert tree_digest(filled) == before


def test_batch_with_one_bad_file(cli: CliRun, store: Path, tmp_path: Path) -> None:
    d = tmp_path / "batch"
    d.mkdir()
    (d / "a.txt").write_text("source: x\n\nFirst good article.")
    (d / "b.txt").write_bytes(b"\x00\x01\x02")
    (d / "c.txt").write_text("source: x\n\nSecond good article.")
    r = cli("add", str(d))
    assert r.exit_code == 1
    assert "b.txt" in r.stderr and r.stderr.count("\n") == 1
    assert r.stdout.count("added ") == 2


def test_bad_jsonl_lines_leave_the_good_ones(cli: CliRun, tmp_path: Path) -> None:
    """A surrogate, a nesting bomb or a line over the cap is an error for that line only."""
    lines = [b'{"text": "First good one.", "source": "x"}',
             b'{"text": "bad", "title": "t\\udc80", "source": "x"}',
             b"[" * 100_000 + b"]" * 100_000,
             b'{"text": "' + b"x" * (MAX_INPUT_BYTES + 10) + b'", "source": "x"}',
             b'{"text": "Last good one.", "source": "x"}']
    path = write(tmp_path, "mixed.jsonl", b"\n".join(lines) + b"\n")
    r = cli("add", path)
    assert r.exit_code == 1
    assert [x.split()[0] for x in r.stdout.splitlines()] == ["added", "added"]
    assert [x.split(": ", 2)[1] for x in r.stderr.splitlines()] == [
        f"{path}:2", f"{path}:3", f"{path}:4"]
    assert cli("check").exit_code == 0


def test_names_that_are_not_files(cli: CliRun, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty name is not the current directory; an empty --store not the default one;
    a device is read up to the cap; a FIFO inside a folder is skipped, not waited on."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here.txt").write_text("source: x\n\nNot to be added by an empty name.\n")
    r = cli("add", "")
    assert (r.exit_code, r.stderr) == (1, "error: '': an empty name is not a file\n")
    from click.testing import CliRunner

    from newsarchive.cli.app import cli as group

    r = CliRunner().invoke(group, ["--store", "", "add", "-", "--source", "x"], input="Text.\n")
    assert (r.exit_code, r.stderr) == (2, "error: --store: the path is empty\n")
    if Path("/dev/zero").exists():
        r = cli("add", "--source", "x", "/dev/zero")
        assert r.exit_code == 1 and "over the 16,777,216-byte cap" in r.stderr
    if hasattr(os, "mkfifo"):
        folder = tmp_path / "folder"
        folder.mkdir()
        os.mkfifo(folder / "a.txt")
        (folder / "b.txt").write_text("source: x\n\nThe only file to read.\n")
        r = cli("add", str(folder))
        assert r.exit_code == 0 and r.stdout.startswith("added x/"), r.stderr


@pytest.mark.parametrize("args", [
    ["show", "putin-reaffirms-war-aims@99999999999999999999"],
    ["list", "--limit", "99999999999999999999"],
    ["search", "x", "--limit", "99999999999999999999"],
    ["changes", "--limit", "99999999999999999999"],
    ["--wait", "nan", "list"],
    ["gc", "--grace", "nan"],
])
def test_numbers_out_of_range(cli: CliRun, filled: Path, args: list[str]) -> None:
    r = cli(*args)
    assert r.exit_code in (1, 2) and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1


def test_malformed_config(cli: CliRun, tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('store = "x"\n[[feeds]]\nurl = \n')
    r = cli("--config", str(cfg), "list")
    assert r.exit_code == 1
    assert str(cfg) in r.stderr and "line 3" in r.stderr and r.stderr.count("\n") == 1


@pytest.mark.slow
def test_config_read_only_up_to_a_cap(proc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A config is read up to 1 MiB: ``--config /dev/zero`` read 1.9 GB, then a MemoryError
    traceback."""
    big = tmp_path / "big.toml"
    big.write_bytes(b"# a comment\n" * (1024 * 1024 // 12 + 1))
    for path in [big, *([Path("/dev/zero")] if Path("/dev/zero").exists() else [])]:
        r = proc("--config", str(path), "list", timeout=60)
        err = r.stderr.decode()
        assert r.returncode == 1 and err.count("\n") == 1, err
        assert err == f"error: config {path}: is over the 1,048,576-byte cap for a config file\n"
    ok = tmp_path / "ok.toml"
    ok.write_bytes(b"# a comment\n" * 1000)
    assert proc("--config", str(ok), "init").returncode == 0


@pytest.mark.parametrize("body, message", [
    ('stroe = "x"\n', "unknown key 'stroe' (known: store, allow_private_networks, "
                      "auto_pack, wayback_url, notify, notify_kinds, notify_timeout, feeds, "
                      "watch, noise) (at line 1)"),
    ('wayback_url = "ftp://x"\n', "'wayback_url' must be an http(s) URL string (at line 1)"),
    ('[[feeds]]\nurl = "https://example.org/rss"\nallow_private_networks = true\n',
     "feed 1: unknown key 'allow_private_networks' (known: url, source, no_fetch); "
     "allow_private_networks goes at the top, before the first [[feeds]] (at line 3)"),
    ('# mine\nstore = 5\n', "'store' must be a string path (at line 2)"),
    ('store = "x"\n\n[[feeds]]\nurl = "https://a.example/"\n[[feeds]]\nsource = "b"\n',
     "feed 2 needs a 'url' string (at line 5)"),
    ('[[feeds]]\nurl = "https://a.example/"\nno_fetch = "yes"\n',
     "feed 1: 'no_fetch' must be true or false (at line 3)"),
])
def test_config_unknown_key_is_an_error(cli: CliRun, tmp_path: Path, body: str,
                                        message: str) -> None:
    """A misspelt or misplaced key would otherwise be ignored, and cron run without it."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(body)
    r = cli("--config", str(cfg), "snapshot")
    assert r.exit_code == 1
    assert r.stderr == f"error: config {cfg}: {message}\n"


@pytest.mark.parametrize("args, message", [
    (["search", "--limit", "0", "x"], "error: Invalid value for '--limit': 0 is not in the "
                                      "range 1<=x<=1000000000. (see 'newsarchive search --help')"),
    (["--wait", "-1", "list"], "error: Invalid value for '--wait': -1.0 is not in the range "
                               "x>=0. (see 'newsarchive --help')"),
    (["bogus"], "error: No such command 'bogus'. (see 'newsarchive --help')"),
    (["diff", "x", "--no-color"], "error: No such option '--no-color'. "
                                  "(see 'newsarchive diff --help')"),
    (["show"], "error: Missing argument 'REF'. (see 'newsarchive show --help')"),
    (["add"], "error: give files, directories, URLs or - (stdin) to add "
              "(see 'newsarchive add --help')"),
])
def test_usage_errors_are_one_line(cli: CliRun, args: list[str], message: str) -> None:
    r = cli(*args)
    assert (r.exit_code, r.stderr, r.stdout) == (2, message + "\n", "")


def test_named_config_file_missing(cli: CliRun, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A config named by --config or $NEWSARCHIVE_CONFIG must exist (the default need not)."""
    missing = tmp_path / "nope.toml"
    assert cli("--config", str(missing), "list").stderr == f"error: config {missing}: no such file\n"
    monkeypatch.setenv("NEWSARCHIVE_CONFIG", str(missing))
    r = cli("list")
    assert r.exit_code == 1 and r.stderr == f"error: config {missing}: no such file\n"


def test_store_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from newsarchive.cli.app import cli as group

    cfg = tmp_path / "config.toml"
    cfg.write_text('store = "from-config"\n')
    text = "source: x\n\nHello there.\n"
    runner = CliRunner()
    monkeypatch.setenv("NEWSARCHIVE_CONFIG", str(cfg))
    runner.invoke(group, ["add", "-"], input=text)
    assert (tmp_path / "from-config" / "format").exists()
    monkeypatch.setenv("NEWSARCHIVE_STORE", str(tmp_path / "from-env"))
    runner.invoke(group, ["add", "-"], input=text)
    assert (tmp_path / "from-env" / "format").exists()
    runner.invoke(group, ["--store", str(tmp_path / "from-flag"), "add", "-"], input=text)
    assert (tmp_path / "from-flag" / "format").exists()


def test_non_store_directory_refused(cli: CliRun, tmp_path: Path) -> None:
    d = tmp_path / "docs"
    d.mkdir()
    (d / "thesis.txt").write_text("mine")
    r = cli("add", "-", "--source", "x", input="Text.", store_path=d)
    assert r.exit_code == 1 and "not a newsarchive store" in r.stderr
    assert sorted(p.name for p in d.iterdir()) == ["thesis.txt"]


def test_jsonl_batch_reports_line(cli: CliRun, tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"Article {i}.", "source": "x", "slug": f"a{i}"}) for i in range(3)]
    lines.insert(1, "{broken")
    p = tmp_path / "mixed.jsonl"
    p.write_text("\n".join(lines) + "\n")
    r = cli("add", str(p))
    assert r.exit_code == 1 and "mixed.jsonl:2" in r.stderr
    assert r.stdout.count("added") == 3


# -- oversized queries (issue 18): a clear error and exit 2, before SQLite sees them ------------
OVERSIZED = {
    "1000 ORed words": " OR ".join(["the"] * 1000),
    "10000 ORed words": " OR ".join(["the"] * 10_000),
    "1000 ORed prefixes": " OR ".join(["a*"] * 1000),
    "65 words": " ".join(["war"] * 65),
    "a phrase of 65 words": '"' + " ".join(["war"] * 65) + '"',
    "1001 characters": "x" * 1001,
}


@pytest.mark.parametrize("name", sorted(OVERSIZED))
def test_oversized_search_query(cli: CliRun, filled: Path, name: str) -> None:
    query = OVERSIZED[name]
    for extra in ([], ["--removed"]):
        r = cli("search", query, *extra)
        assert r.exit_code == 2 and r.stderr.count("\n") == 1, r.stderr
        assert r.stderr.startswith("error: bad search query '") and "at most" in r.stderr
        assert len(r.stderr) < 200  # the query is shortened, not echoed whole
    assert cli("search", " OR ".join(["war"] * 64)).exit_code == 0  # the limit itself


def test_too_many_filter_values(cli: CliRun, filled: Path) -> None:
    args = [a for i in range(101) for a in ("--source", f"s{i}")]
    for command in ("list", "search", "changes", "export"):
        r = cli(command, *(["x"] if command == "search" else []), *args)
        assert r.exit_code == 2 and r.stderr.count("\n") == 1, (command, r.stderr)
        assert "--source names 101 values; at most 100" in r.stderr
    assert cli("list", *args[:200]).exit_code == 0


def test_huge_format_file_is_not_read_whole(cli: CliRun, filled: Path) -> None:
    """The store's format file holds one line; a huge one (or a planted /dev/zero-like
    file) is refused after 4 KB."""
    (filled / "format").write_bytes(b" " * (64 * 1024 * 1024))
    r = cli("list")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1, r.stderr
    assert "unreadable format file (over 4,096 bytes)" in r.stderr


def test_a_directory_with_nothing_to_add_says_so(cli: CliRun, tmp_path: Path) -> None:
    """It printed nothing and exited 0."""
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "scan.pdf").write_bytes(b"%PDF-1.4")
    (empty / ".hidden.txt").write_text("source: x\n\nHidden.\n")
    r = cli("add", str(empty))
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr.startswith(f"error: {empty}: holds no file to add (.txt ")
    assert r.stderr.count("\n") == 1
    (empty / "sub" / "a.txt").write_text("source: x\n\nFound in a subdirectory.\n")
    r = cli("add", str(empty))
    assert r.exit_code == 0 and r.stdout.startswith("added x/"), r.stderr
