"""docs/diff.md stays true: its samples are what the library and the CLI make of examples/diff/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT, CliRun, load_script

PAGE = ROOT / "docs" / "diff.md"
REV1 = "politico/2024-04-03/putin-reaffirms-war-aims@1"
REV2 = "politico/2024-04-03/putin-reaffirms-war-aims@2"


def load_generator():  # type: ignore[no-untyped-def]
    return load_script("gen_diff_docs")


def shown(heading: str, lang: str, index: int = 0) -> str:
    """The ``index``-th ```lang block of the page's section ``heading`` (without its fences)."""
    page = PAGE.read_text("utf-8")
    start = page.index(f"\n{heading}\n")
    end = page.find("\n## ", start + 1)
    section = page[start:end if end != -1 else len(page)]
    return re.findall(rf"^```{lang}\n(.*?)^```$", section, re.M | re.S)[index]


def test_diff_page_is_current() -> None:
    expected = load_generator().render()
    assert PAGE.read_text("utf-8") == expected, (
        "docs/diff.md is out of date: run python scripts/gen_diff_docs.py"
    )


@pytest.mark.parametrize(("args", "heading", "lang", "index"), [
    ((), "## Inline (`--format inline`, the default)", "text", 0),
    (("--full",), "## Inline (`--format inline`, the default)", "text", 2),
    (("--format", "unified"), "## Unified (`--format unified`)", "diff", 0),
    (("--format", "unified", "-U", "1"), "## Unified (`--format unified`)", "diff", 1),
    (("--stat",), "## Summary (`--stat`)", "text", 0),
    (("--format", "html"), "## HTML (`--format html`)", "html", 0),
], ids=["inline", "full", "unified", "unified-U1", "stat", "html"])
def test_cli_prints_what_the_page_shows(cli: CliRun, args: tuple[str, ...], heading: str,
                                        lang: str, index: int) -> None:
    added = cli("add", str(ROOT / "examples" / "diff"))
    assert added.exit_code == 0, added.output
    assert f"added {REV1} " in added.output and f"revised {REV2} " in added.output
    result = cli("--no-color", "diff", REV1, REV2, *args)
    assert result.exit_code == 0, result.output
    assert result.output.rstrip("\n") == shown(heading, lang, index).rstrip("\n")


def test_cli_prints_the_one_figure_sample(cli: CliRun) -> None:
    """The page's real-article sample (tests/data/articles) is what `diff ID` prints: 8 lines."""
    floods = ROOT / "tests" / "data" / "articles"
    assert cli("add", str(floods / "river-floods.1.txt"), str(floods / "river-floods.2.txt")
               ).exit_code == 0
    result = cli("--no-color", "diff", "floods-sava-2024-09-16")
    assert result.output.rstrip("\n") == shown("## Inline (`--format inline`, the default)",
                                               "text", 1).rstrip("\n")
    assert len(result.output.splitlines()) == 8


def test_archive_diff_is_the_snippets(store: Path, cli: CliRun) -> None:
    """The page's claim: through the archive, the short refs give the same Diff."""
    import newsarchive

    assert cli("add", str(ROOT / "examples" / "diff")).exit_code == 0
    snippet = load_generator().run_snippet()
    with newsarchive.open(store) as archive:
        d = archive.diff("putin-reaffirms-war-aims@1", "putin-reaffirms-war-aims@2")
    assert d.to_dict() == snippet["d"].to_dict()
