"""``diff`` through the CLI: the focused default, the first revision, colour and the pager
on a real pseudo-terminal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import DATA, CliRun, on_a_terminal

ARTICLES = DATA / "articles"
ID = "wirenews/2024-09-16/floods-sava-2024-09-16"


@pytest.fixture
def floods(cli: CliRun, store: Path) -> Path:
    r = cli("add", *(str(ARTICLES / f"river-floods.{n}.txt") for n in (1, 2, 3)))
    assert r.exit_code == 0, r.output
    return store


def test_one_changed_number_prints_at_most_eight_lines(cli: CliRun, floods: Path) -> None:
    r = cli("diff", f"{ID}@2")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert len(lines) == 8, r.stdout
    assert lines[0].startswith(f"{ID} @1 \u2192 @2 \u00b7 2024-09-16 07:40 \u2192 10:05 UTC")
    assert lines[1] == "+1 -1 words; sentences: 1 edited; 0.3% of the words changed"
    assert "[-9,500-]{+10,500+}" in lines[5]
    assert cli("diff", f"{ID}@2", "-U", "0").stdout.count("\n") == 6
    full = cli("diff", f"{ID}@2", "--full").stdout
    assert full.count("\n") == 3 + 12 and "unchanged \u2026" not in full
    assert cli("diff", f"{ID}@2", "-U", "40").stdout == full


def test_stat_of_a_moved_paragraph_with_one_changed_number(cli: CliRun, floods: Path) -> None:
    r = cli("diff", ID, "--stat")
    assert r.stdout == ("title: unchanged\nwords: +1 -1\nsentences: +0 -0, 1 edited, 1 moved\n"
                        "changed: 0.3% of the words\n")
    stats = json.loads(cli("diff", ID, "--stat", "--json").stdout)["stats"]
    assert (stats["sentences_moved"], stats["sentences_edited"]) == (1, 1)
    assert stats["changed_share"] < 0.05
    data = json.loads(cli("diff", ID, "--json").stdout)
    assert [s["action"] for s in data["sentences"]].count("moved") == 1
    assert all(set(s) >= {"action", "old", "new", "old_index", "new_index", "word_ops"}
               for s in data["sentences"])
    (move,) = data["moves"]
    assert move["old_text"].startswith("The army sent 400") and move["text"].startswith(
        "The army sent 600")


def test_by_sentence_marks_whole_sentences_from_the_alignment(cli: CliRun, floods: Path) -> None:
    out = cli("diff", f"{ID}@2", "--by", "sentence", "-U", "0").stdout
    assert "[-Croatia's interior ministry said 9,500 people had been evacuated on its side of " \
        "the river, most of them in the Brod-Posavina county.-]{+Croatia's interior ministry " \
        "said 10,500 people" in out
    assert "Authorities in Bosnia's Posavina canton put their figure at about 6,500." in out
    moved = cli("diff", ID, "--by", "sentence", "-U", "0").stdout
    assert "{>The army sent [-400-]{+600+} soldiers" in moved


@pytest.mark.parametrize("ref", ["flood-warning-issued-for-giessen-as-the-lahn-rises",
                                 "flood-warning-issued-for-giessen-as-the-lahn-rises@1"])
def test_a_first_revision_has_nothing_to_compare(cli: CliRun, ref: str) -> None:
    assert cli("add", str(DATA.parent.parent / "examples" / "articles")).exit_code == 0
    for extra in ((), ("--exit-code",), ("--stat",), ("--json",)):
        r = cli("diff", ref, *extra)
        assert (r.exit_code, r.stdout) == (0, ""), extra
        assert r.stderr == "hessenschau/2024-01-05/flood-warning-issued-for-giessen-as-the-lahn-rises " \
                           "has one revision; nothing to compare\n"
    r = cli("diff", "putin-reaffirms-war-aims@1", "--exit-code")
    assert (r.exit_code, r.stdout) == (0, "")
    assert r.stderr == ("politico.eu/2024-04-03/putin-reaffirms-war-aims@1 is the first of its "
                        "3 revisions; nothing to compare\n")


def test_a_first_revision_from_python() -> None:
    import newsarchive

    assert issubclass(newsarchive.NothingToCompare, newsarchive.NewsArchiveError)


# -- on a terminal -----------------------------------------------------------------------------


def test_colour_on_a_terminal_needs_no_markers(floods: Path) -> None:
    code, out, _ = on_a_terminal(floods, "diff", f"{ID}@2")
    assert code == 0
    assert b"[-" not in out and b"{+" not in out
    # struck through and red, a dim arrow, green: 9,500->10,500, never "9,50010,500"
    assert "\x1b[9;31m9,500\x1b[0m\x1b[2m\u2192\x1b[0m\x1b[32m10,500\x1b[0m".encode() in out
    code, out, _ = on_a_terminal(floods, "diff", ID)
    assert "\x1b[36mThe army sent \x1b[0m\x1b[9;31m400\x1b[0m".encode() in out


@pytest.mark.parametrize(("args", "env"), [(("--no-color",), {}), ((), {"NO_COLOR": "1"})],
                         ids=["--no-color", "NO_COLOR"])
def test_without_colour_the_markers_stay(floods: Path, args: tuple[str, ...],
                                         env: dict[str, str]) -> None:
    code, out, _ = on_a_terminal(floods, *args, "diff", f"{ID}@2", env=env)
    assert code == 0 and b"\x1b[" not in out
    assert b"[-9,500-]{+10,500+}" in out


@pytest.mark.slow
def test_a_terminal_pages_like_git(floods: Path) -> None:
    pager = 'printf "paged LESS=%s\\n" "$LESS"; cat'
    code, out, _ = on_a_terminal(floods, "diff", f"{ID}@2", env={"NEWSARCHIVE_PAGER": pager})
    assert code == 0 and out.startswith(b"paged LESS=FRX\n") and b"10,500" in out
    # a LESS of the user's is kept; PAGER when NEWSARCHIVE_PAGER is not set
    code, out, _ = on_a_terminal(floods, "diff", f"{ID}@2", env={"PAGER": pager, "LESS": "R"})
    assert out.startswith(b"paged LESS=R\n")
    for args, env in ((("--no-pager", "diff"), {"NEWSARCHIVE_PAGER": pager}),
                      (("diff",), {"NEWSARCHIVE_PAGER": "cat", "PAGER": pager}),
                      (("diff",), {"NEWSARCHIVE_PAGER": "", "PAGER": pager})):
        code, out, _ = on_a_terminal(floods, *args, f"{ID}@2", env=env)
        assert code == 0 and b"paged" not in out and b"10,500" in out, (args, env)


def test_piped_output_is_never_paged(floods: Path, proc) -> None:  # type: ignore[no-untyped-def]
    r = proc("diff", f"{ID}@2", env={"NEWSARCHIVE_PAGER": "echo paged"})
    assert r.returncode == 0 and b"paged" not in r.stdout and b"[-9,500-]" in r.stdout


def test_quitting_the_pager_early_is_not_an_error(floods: Path) -> None:
    code, out, err = on_a_terminal(floods, "diff", ID, "--full",
                                   env={"NEWSARCHIVE_PAGER": "head -c 10"})
    assert code == 0 and err == b"" and len(out) <= 10
