"""Fill in docs/changes.md's samples with what the CLI prints for the shipped examples
(tests/test_changes_docs.py checks the page is current).

    python scripts/gen_changes_docs.py

Each sample is the fenced block right after a ``<!-- gen:NAME -->`` line on the page.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from newsarchive.cli.app import cli

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "changes.md"
MARK = re.compile(r"(<!-- gen:([a-z-]+) -->\n```[a-z]*\n)(.*?)(^```$)", re.M | re.S)


def run(store: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--no-color", "--store", str(store), *args],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def samples() -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        run(store, "add", str(ROOT / "examples" / "articles"))
        text = run(store, "changes")
        page = run(store, "changes", "--format", "html")
    entry = page[page.index('<article class="change" id="c1">'):]
    entry = entry[:entry.index("</article>") + len("</article>")]
    return {"changes-text": f"$ newsarchive changes\n{text}",
            "changes-html-entry": entry + "\n"}


def render() -> str:
    found = samples()
    page = PAGE.read_text("utf-8")
    names = [m.group(2) for m in MARK.finditer(page)]
    assert sorted(names) == sorted(found), names
    return MARK.sub(lambda m: m.group(1) + found[m.group(2)] + m.group(4), page)


if __name__ == "__main__":
    PAGE.write_text(render(), "utf-8")
    sys.stdout.write(f"wrote {PAGE}\n")
