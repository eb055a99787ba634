"""The everyday commands end to end, through CliRunner and as a subprocess (issue 2)."""

from __future__ import annotations

import hashlib
import os
import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, SEED, CliRun

SEED_ID = "politico/2024-04-03/seed-article"


@pytest.fixture
def seed_file(tmp_path: Path, seed_text: str) -> Path:
    p = tmp_path / "seed-article.txt"
    p.write_text(seed_text if seed_text.lstrip().startswith("date") else
                 " date 2024-04-03 " + seed_text, "utf-8")
    return p


def jsonl(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_seed_article_lifecycle(cli: CliRun, seed_file: Path, tmp_path: Path) -> None:
    r = cli("add", str(seed_file), "--source", "politico")
    assert r.exit_code == 0, r.stdout
    assert r.stdout.startswith(f"added {SEED_ID}@1 ")

    shown = cli("show", SEED_ID)
    assert shown.stdout.startswith("In a significant development")
    (log,) = jsonl(cli("log", SEED_ID, "--json").stdout)
    assert hashlib.sha256(shown.stdout_bytes).hexdigest() == log["hash"]

    assert cli("add", str(seed_file), "--source", "politico").stdout.strip() == f"unchanged {SEED_ID}@1"

    spaced = tmp_path / "spaced" / "seed-article.txt"
    spaced.parent.mkdir()
    text = seed_file.read_text("utf-8")
    spaced.write_text(text.replace(". ", ".  \t").replace("\n\n", "\r\n\r\n\r\n") + "\n\n\n", "utf-8")
    assert cli("add", str(spaced), "--source", "politico").stdout.startswith("unchanged")

    edited = tmp_path / "edited" / "seed-article.txt"
    edited.parent.mkdir()
    edited.write_text(text.replace("reaffirmed his commitment", "renewed his pledge"), "utf-8")
    os.utime(edited, (seed_file.stat().st_mtime + 60,) * 2)  # saved a minute later
    r = cli("add", str(edited), "--source", "politico")
    assert r.stdout.startswith(f"revised {SEED_ID}@2 ") and "(+2 -2 words)" in r.stdout

    # the first file again: its capture (its modification time) is held: unchanged
    assert cli("add", str(seed_file), "--source", "politico").stdout.startswith("unchanged")
    reverted = tmp_path / "reverted" / "seed-article.txt"  # saved again, later
    reverted.parent.mkdir()
    reverted.write_text(text, "utf-8")
    os.utime(reverted, (edited.stat().st_mtime + 60,) * 2)
    r = cli("add", str(reverted), "--source", "politico")
    assert r.stdout.startswith(f"revised {SEED_ID}@3 ") and "reverts @1" in r.stdout
    log_text = cli("log", SEED_ID).stdout
    assert "reverts @1" in log_text.splitlines()[1]
    revs = jsonl(cli("log", SEED_ID, "--json").stdout)
    assert [r["revision"] for r in revs] == [3, 2, 1]
    assert revs[0]["hash"] == revs[2]["hash"] and revs[0]["reverts"] == 1


def test_title_change_is_a_change(cli: CliRun, tmp_path: Path) -> None:
    f = tmp_path / "a.txt"
    f.write_text("Some text here.\n")
    cli("add", str(f), "--source", "x", "--title", "Old", "--slug", "story")
    r = cli("add", str(f), "--source", "x", "--title", "New", "--slug", "story")
    assert r.stdout.startswith("revised x/") and "@2" in r.stdout
    # without a slug or an id, a new title names a new article, and the output says so
    r = cli("add", str(f), "--source", "x", "--title", "Newer")
    assert r.stdout.startswith("added x/") and "named from the title" in r.stdout


def test_refs(cli: CliRun, seed_file: Path, tmp_path: Path) -> None:
    cli("add", str(seed_file), "--source", "politico")
    e = tmp_path / "e" / "seed-article.txt"
    e.parent.mkdir()
    e.write_text(seed_file.read_text().replace("significant", "major"))
    cli("add", str(e), "--source", "politico")
    h1 = jsonl(cli("show", f"{SEED_ID}@1", "--json").stdout)[0]["hash"]
    for ref, number in [(SEED_ID, 2), (f"{SEED_ID}@1", 1), (f"{SEED_ID}@-1", 1),
                        ("seed-article", 2), ("2024-04-03/seed-article@1", 1), (h1[:7], 1),
                        (h1, 1)]:
        out = jsonl(cli("show", ref, "--json").stdout)[0]
        assert out["revision"] == number, ref
    # the same slug under a second source makes the bare slug ambiguous
    cli("add", str(seed_file), "--source", "reuters")
    r = cli("show", "seed-article")
    assert r.exit_code == 1
    assert "ambiguous" in r.stderr and "politico/" in r.stderr and "reuters/" in r.stderr
    # ... and the hash of the text the two articles share (not silently one of them)
    r = cli("log", h1[:7])
    assert r.exit_code == 1 and r.stderr == (
        f"error: {h1[:7]} is ambiguous: it matches politico/2024-04-03/seed-article@1, "
        "reuters/2024-04-03/seed-article@1\n")
    for bad in (f"{SEED_ID}@9", f"{SEED_ID}@-5", "no-such-article", "../../etc/passwd"):
        r = cli("show", bad)
        assert r.exit_code == 1 and r.stderr.startswith("error: ") and r.stderr.count("\n") == 1
    assert cli("show", f"{SEED_ID}@0").exit_code == 2


def test_export_import_round_trip(cli: CliRun, tmp_path: Path) -> None:
    assert cli("add", str(EXAMPLES)).exit_code == 0
    first = cli("export").stdout_bytes
    assert len(first.splitlines()) == 6
    other = tmp_path / "other"
    r = cli("import", "-", input=first, store_path=other)
    assert r.exit_code == 0, r.stdout
    again = cli("export", store_path=other).stdout_bytes
    assert again == first
    # importing again adds nothing
    r = cli("import", "-", input=first, store_path=other)
    assert "0 added, 0 revised, 0 inserted, 6 unchanged" in r.stderr
    assert cli("import", "-q", "-", input=first, store_path=other).stderr == ""


def test_export_takes_the_filters_of_list(cli: CliRun) -> None:
    """The filters choose articles as `list` does; each keeps all its revisions."""
    assert cli("add", str(EXAMPLES)).exit_code == 0

    def exported(*args: str) -> list[tuple[str, int]]:
        return [(r["id"], r["revision"]) for r in jsonl(cli("export", *args).stdout)]

    putin = "politico.eu/2024-04-03/putin-reaffirms-war-aims"
    assert exported("--changed") == [(putin, 1), (putin, 2), (putin, 3)]
    assert exported("--kind", "correction") == exported("--changed")
    newest = jsonl(cli("list", "--limit", "1", "--json").stdout)[0]["id"]
    assert exported("--limit", "1") == [(newest, 1)]
    assert [i for i, _ in exported("--source", "reuters")] == [
        "reuters/2024-04-11/ecb-holds-rates-steady-signals-june-cut-2024-04-11"]


def test_import_rejects_text_not_matching_hash(cli: CliRun, tmp_path: Path) -> None:
    cli("add", str(EXAMPLES))
    recs = jsonl(cli("export").stdout)
    recs[0]["text"] += "tampered\n"
    data = "\n".join(json.dumps(r) for r in recs) + "\n"
    r = cli("import", "-", input=data, store_path=tmp_path / "o")
    assert r.exit_code == 1 and "does not match its hash" in r.stderr


def test_examples_quick_start(cli: CliRun) -> None:
    r = cli("add", str(EXAMPLES))
    assert r.exit_code == 0, r.stdout
    lines = r.stdout.splitlines()
    assert any(x.startswith("revised politico.eu/2024-04-03/putin-reaffirms-war-aims@3") for x in lines)
    assert any(x.startswith("added hessenschau/2024-01-05/flood-warning-issued-for-giessen-as-the-lahn-rises@1") for x in lines)
    listed = cli("list", "--json")
    ids = [a["id"] for a in jsonl(listed.stdout)]
    assert len(ids) == 4
    (changed,) = jsonl(cli("list", "--changed", "--json").stdout)
    assert changed["revisions"] == changed["revision"] == 3
    latest = jsonl(cli("show", changed["id"], "--json").stdout)[0]
    assert (changed["hash"], changed["words"]) == (latest["hash"], latest["words"])
    assert len(jsonl(cli("list", "--source", "reuters", "--json").stdout)) == 1
    assert len(jsonl(cli("list", "--since", "2024-04-01", "--until", "2024-04-30", "--json").stdout)) == 2


def test_adding_the_same_captures_again_adds_nothing(cli: CliRun) -> None:
    """Re-running `add` over a folder of earlier versions is not three reverts; the same
    text captured anew still is one."""
    assert cli("add", str(EXAMPLES)).exit_code == 0
    again = cli("add", str(EXAMPLES))
    assert again.exit_code == 0
    assert sorted(again.stdout.splitlines()) == sorted(
        f"unchanged {r['id']}@{r['revision']}"
        for a in jsonl(cli("list", "--json").stdout)
        for r in jsonl(cli("log", a["id"], "--json").stdout))
    first = (EXAMPLES / "putin-reaffirms-war-aims.1.txt").read_text("utf-8")
    recaptured = first.replace("captured_at: 2024-04-03T08:00:00Z", "captured_at: 2024-04-05T08:00:00Z")
    assert recaptured != first
    r = cli("add", "-", input=recaptured)
    assert r.stdout.startswith("revised politico.eu/2024-04-03/putin-reaffirms-war-aims@4 "), r.stdout
    assert "reverts @1" in r.stdout


def test_read_on_missing_store(cli: CliRun) -> None:
    for cmd in (["list"], ["log", "x"], ["show", "x"], ["diff", "x"], ["export"], ["check"],
                ["stats"], ["search", "x"], ["search", "--json", "x"], ["changes"],
                ["changes", "--format", "atom"], ["reindex"], ["gc"]):
        r = cli(*cmd)
        assert r.exit_code == 1, cmd
        assert r.stderr.startswith("error: no archive at ") and r.stderr.count("\n") == 1


def test_init_and_stats(cli: CliRun, store: Path) -> None:
    r = cli("init")
    assert r.exit_code == 0 and (store / "format").exists()
    cli("add", str(EXAMPLES))
    s = jsonl(cli("stats", "--json").stdout)[0]
    assert (s["articles"], s["revisions"], s["sources"]) == (4, 6, 4)
    assert s["text_bytes"] > 0 and s["disk_bytes"] > 0


def test_show_original_and_json(cli: CliRun, tmp_path: Path) -> None:
    rec = {"text": "Body.", "source": "x", "slug": "s", "date": "2024-01-01",
           "original": "<p>Body.</p>", "original_type": "text/html"}
    cli("add", "-", "--format", "jsonl", input=json.dumps(rec) + "\n")
    assert cli("show", "x/2024-01-01/s", "--original").stdout == "<p>Body.</p>"
    assert cli("show", "x/2024-01-01/s").stdout == "Body.\n"


@pytest.mark.slow
def test_subprocess_add_show_hash(proc, seed_file: Path) -> None:  # type: ignore[no-untyped-def]
    r = proc("add", str(seed_file), "--source", "politico")
    assert r.returncode == 0, r.stderr
    shown = proc("show", SEED_ID)
    log = json.loads(proc("log", SEED_ID, "--json").stdout.splitlines()[0])
    assert hashlib.sha256(shown.stdout).hexdigest() == log["hash"]
    r = proc("show", "nope")
    assert r.returncode == 1 and r.stderr.decode().startswith("error: ") and b"Traceback" not in r.stderr
    r = proc("--debug", "show", "nope")
    assert b"Traceback" in r.stderr


def test_stdin_and_overrides(cli: CliRun) -> None:
    r = cli("add", "-", "--source", "Example Wire", "--date", "April 3, 2024", "--slug", "Hello World",
            "--title", "A title", "--captured-at", "2024-04-03 10:00 +02:00", input="Some body text.\n")
    assert r.stdout.startswith("added example-wire/2024-04-03/hello-world@1"), r.stdout
    (rev,) = jsonl(cli("log", "hello-world", "--json").stdout)
    assert rev["captured_at"] == "2024-04-03T08:00:00Z" and rev["title"] == "A title"


def test_no_inputs_is_usage_error(cli: CliRun) -> None:
    assert cli("add").exit_code == 2


@pytest.mark.skipif(not SEED.exists(), reason="shared seed article not present")
def test_seed_file_as_shipped(cli: CliRun) -> None:
    r = cli("add", str(SEED), "--source", "politico")
    assert r.stdout.startswith(f"added {SEED_ID}@1")
    assert cli("show", SEED_ID).stdout.startswith("In a significant development")


def test_progress_bar_counts_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    from newsarchive.cli.progress import Progress
    from newsarchive.ingest.inputs import count_inputs

    assert count_inputs([str(EXAMPLES)]) == 6  # five text files and one JSON Lines record
    assert count_inputs([str(EXAMPLES), "-"]) is None
    bar = Progress(40)
    for _ in range(20):
        bar.tick()
    bar.clear()
    err = capsys.readouterr().err
    assert "[" + "#" * 15 + "." * 15 + "] 20/40" in err and err.endswith("\r")  # cleared


def test_html_on_stdin_is_sniffed(cli: CliRun) -> None:
    page = ("<!DOCTYPE html><html><head><title>Sniffed</title></head><body><article>"
            "<p>A page piped in without a format is recognised and extracted as a page, "
            "not archived as markup. It has enough words to count as an article.</p>"
            "<p>A second paragraph makes the extraction confident about the text.</p>"
            "</article></body></html>")
    r = cli("add", "-", "--source", "x", "--slug", "page", input=page)
    assert r.exit_code == 0, r.stderr
    text = cli("show", "page").stdout
    assert text.startswith("A page piped in") and "<p>" not in text
    assert cli("show", "page", "--original").stdout == page


def test_commands_load_on_demand_and_list_their_own_summaries() -> None:
    """`--help` lists the commands from app.COMMANDS without importing them; that table
    must name every command of the modules, with each docstring's first paragraph."""
    import importlib

    import click

    from newsarchive.cli.app import COMMANDS, cli, summary_command

    found = {}
    for module_name in {module for module, _ in COMMANDS.values()}:
        module = importlib.import_module(f"newsarchive.cli.{module_name}")
        found.update({c.name: (module_name, c) for c in module.COMMANDS})
    assert sorted(found) == sorted(COMMANDS)
    ctx = click.Context(cli, info_name="newsarchive")
    for name, (module_name, summary) in COMMANDS.items():
        command = cli.get_command(ctx, name)
        assert command is found[name][1] and module_name == found[name][0]
        assert command.help is not None
        assert " ".join(command.help.split("\n\n")[0].split()) == summary
        for limit in (45, 200):
            assert summary_command(name).get_short_help_str(limit) == (
                command.get_short_help_str(limit))
    assert cli.get_command(ctx, "nope") is None


def test_help_imports_no_command_module() -> None:
    import subprocess
    import sys

    code = ("import sys; from click.testing import CliRunner; from newsarchive.cli.app import cli; "
            "r = CliRunner().invoke(cli, ['--help']); assert r.exit_code == 0, r.output; "
            "print(sorted(m for m in sys.modules if m.startswith('newsarchive.cli.cmd_')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _modules_after(cli: CliRun, store: Path, tmp_path: Path, command: list[str]) -> list[str]:
    """The modules loaded by a fresh process that ran ``command`` (``ID``: an article with
    two revisions)."""
    import subprocess
    import sys

    for i, figure in enumerate(("16,000", "17,000")):
        page = tmp_path / f"story.{i}.txt"
        page.write_text(f"Title: Floods\nSource: wire\nDate: 2024-05-01\n\n"
                        f"Officials said {figure} people left their homes.\n", "utf-8")
        assert cli("add", "--id", "wire/2024-05-01/floods", str(page)).exit_code == 0
    argv = [a.replace("ID", "wire/2024-05-01/floods") for a in command]
    code = ("import sys, os, contextlib\nfrom newsarchive.cli import main\n"
            f"sys.argv = ['newsarchive', '--store', {str(store)!r}, *{argv!r}]\n"
            "try:\n    with contextlib.redirect_stdout(open(os.devnull, 'w')):\n"
            "        main()\n"
            "except SystemExit as e:\n    assert not e.code, e.code\n"
            "print(' '.join(sorted(sys.modules)))")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.split()


@pytest.mark.parametrize("command", [["stats"], ["list", "--limit", "20"],
                                     ["changes", "--limit", "20"], ["log", "ID"],
                                     ["show", "ID"]])
def test_read_commands_import_no_write_path(cli: CliRun, store: Path, tmp_path: Path,
                                            command: list[str]) -> None:
    """Start-up time (issue 19): a read command loads neither the indexer nor what is
    behind it (the noise rules, the config's tables, the workers), nor the diff engine and
    the sentence alignment (``changes`` reads its first changed sentences from the
    catalog), nor the name transliteration."""
    out = _modules_after(cli, store, tmp_path, command)
    for module in ("newsarchive.indexing.indexer", "newsarchive.ingest.noise",
                   "newsarchive.config", "newsarchive.workers", "newsarchive.diff.align",
                   "newsarchive.diff.engine", "diff_match_patch", "anyascii"):
        assert module not in out, f"{command[0]} imports {module}"


def test_a_new_text_article_loads_neither_the_html_extractor_nor_the_diff_engine(
        cli: CliRun, store: Path, tmp_path: Path) -> None:
    """A cron job's add of a new article from a text file (issue 19, start-up): telling
    HTML from text needs the HTML extractor only for HTML, and a first version is compared
    with nothing, so the diff engine and the alignment stay unloaded (about 10 ms)."""
    page = tmp_path / "cron.txt"
    page.write_text("Title: Cron\nSource: wire\nDate: 2024-05-02\n\nA new story.\n", "utf-8")
    out = _modules_after(cli, store, tmp_path, ["add", str(page)])
    assert "newsarchive.ingest.inputs" in out and "newsarchive.indexing.derive" in out
    for module in ("newsarchive.ingest.html", "html.parser", "newsarchive.diff.facts",
                   "newsarchive.diff.align", "newsarchive.diff.engine"):
        assert module not in out, module


@pytest.mark.parametrize(("command", "made"), [
    (["stats"], {"stats"}),
    (["list", "--limit", "20"], {"article"}),
    (["changes", "--limit", "20"], {"change", "revision"}),
    (["log", "ID"], {"revision"}),
    (["show", "ID"], {"revision"}),
])
def test_read_commands_make_only_the_model_classes_they_return(
        cli: CliRun, store: Path, tmp_path: Path, command: list[str], made: set[str]) -> None:
    """Start-up time (issue 19): each dataclass costs about a millisecond to make, so a
    read command imports only the modules of newsarchive.model that hold what it returns."""
    out = _modules_after(cli, store, tmp_path, command)
    assert {m.removeprefix("newsarchive.model.") for m in out
            if m.startswith("newsarchive.model.")} == made
