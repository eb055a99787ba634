"""docs/changes.md stays true: its samples are what the CLI prints for the shipped examples."""

from __future__ import annotations

from tests.conftest import ROOT, load_script


def test_changes_page_is_current() -> None:
    expected = load_script("gen_changes_docs").render()
    assert (ROOT / "docs" / "changes.md").read_text("utf-8") == expected, (
        "docs/changes.md is out of date: run python scripts/gen_changes_docs.py"
    )
