"""The report of ``changes --format html`` and the Atom feed: each change at a glance,
small, and readable in a real browser (headless Chromium, when installed)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import feedparser
import pytest

from tests.conftest import CliRun, load_script

SCRIPT = load_script("screenshot_report")
N = len(SCRIPT.EDITS)


@pytest.fixture(scope="module")
def fourteen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with 14 single-sentence edits of real-looking articles."""
    store = tmp_path_factory.mktemp("report") / "store"
    assert SCRIPT.build(store) == N == 14
    return store


class Page(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, Any]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def report(cli: CliRun, store: Path, *args: str) -> str:
    r = cli("changes", "--format", "html", *args, store_path=store)
    assert r.exit_code == 0, r.stderr
    return r.stdout


def test_fourteen_single_sentence_edits_are_under_60_kb(cli: CliRun, fourteen: Path) -> None:
    page = report(cli, fourteen)
    empty = report(cli, fourteen, "--since", "2030-01-01")
    size, overhead = len(page.encode()), len(empty.encode())
    assert size < 25_000   # docs/changes.md says so (the target: 60 KB)
    assert (size - overhead) / N < 3_000   # per change, the page's CSS set aside
    assert overhead < 3_000


def test_each_change_shows_what_it_is_and_only_the_changed_passages(
        cli: CliRun, fourteen: Path) -> None:
    page = report(cli, fourteen)
    parsed = Page(page)
    articles = [a for t, a in parsed.tags if t == "article"]
    assert [a["id"] for a in articles] == [f"c{n}" for n in range(1, N + 1)]
    # the table of contents links every entry, with its headline
    toc = page[page.index("<nav"):page.index("</nav>")]
    assert re.findall(r'href="#(c\d+)"', toc) == [f"c{n}" for n in range(1, N + 1)]
    assert "Floods force thousands from their homes along the Sava" in toc
    first = page[page.index('<article class="change" id="c1">'):page.index("</article>")]
    # headline, source, both capture times, kinds, the summary line
    assert "<h2>Floods force thousands from their homes along the Sava</h2>" in first
    assert "<b>wirenews</b>" in first and "2024-09-16 16:05 \u2192 18:05 UTC" in first
    assert '<span class="kind">substantive</span>' in first
    assert "+1 -1 words; sentences: 1 edited; 0.3% of the words changed" in first
    # the edit with one sentence of context before it (it is the last sentence)...
    assert "until at least <del>Wednesday</del><ins>Friday</ins>." in first
    assert "Road and rail links between Zagreb and Belgrade" in first
    # ...and nothing else of the article
    assert "Slavonski Brod, where the river broke through" not in first
    assert first.count("<p>") <= 3
    # a headline rewritten: old -> new
    headline = next(a for a in page.split("<article")[1:] if '"kind">headline<' in a)
    assert ('<del class="was">Putin vows to press on with war as US talks collapse</del> '
            "\u2192 Putin vows to press on with war after US talks collapse") in headline
    # without a directory of diff pages, the command that shows the full diff
    assert "newsarchive diff wirenews/2024-09-16/floods-sava-2024-09-16@5 --format html" in first


def test_the_page_is_safe_self_contained_and_uses_one_font_family(
        cli: CliRun, fourteen: Path) -> None:
    page = report(cli, fourteen)
    assert ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'\">") in page
    assert "<script" not in page.lower() and "url(" not in page and "@import" not in page
    for tag, attrs in Page(page).tags:
        assert not {"src", "srcset", "style", "action"} & set(attrs), tag
        assert not any(k.startswith("on") for k in attrs), tag
        href = attrs.get("href")
        assert href is None or href.startswith(("#", "https://")), href
    css = page[page.index("<style>"):page.index("</style>")]
    families = re.findall(r"font(?:-family)?\s*:\s*([^;}]+)", css)
    assert len(families) == 1 and "system-ui" in families[0]
    assert "font-family" not in css.replace(families[0], "")


def test_output_directory_links_each_change_to_its_full_diff(cli: CliRun, fourteen: Path,
                                                             tmp_path: Path) -> None:
    out = tmp_path / "site"
    r = cli("changes", "--format", "html", "--output", str(out), store_path=fourteen)
    assert r.exit_code == 0 and r.stdout == f"wrote {out / 'index.html'} and 14 diff pages\n"
    page = (out / "index.html").read_text("utf-8")
    links = re.findall(r'href="(diffs/[^"]+)"', page)
    assert len(links) == N and all((out / link).is_file() for link in links)
    full = (out / links[0]).read_text("utf-8")
    assert "<h2>Side by side</h2>" in full and "Slavonski Brod, where the river broke" in full
    assert (out / links[0]).stat().st_mode & 0o044   # readable by the web server
    # written again into the same directory: the same files, nothing left behind
    before = sorted(p.name for p in out.rglob("*"))
    assert cli("changes", "--format", "html", "-o", str(out), store_path=fourteen).exit_code == 0
    assert sorted(p.name for p in out.rglob("*")) == before
    r = cli("changes", "--output", str(out), store_path=fourteen)
    assert r.exit_code == 2 and "--format html|atom" in r.stderr


def test_the_atom_feed_is_compact_too(cli: CliRun, fourteen: Path, tmp_path: Path) -> None:
    atom = cli("changes", "--format", "atom", store_path=fourteen).stdout
    assert len(atom.encode()) < 60_000
    feed = feedparser.parse(atom.encode())
    assert not feed.bozo and len(feed.entries) == N
    content = feed.entries[0].content[0].value
    assert "until at least <del>Wednesday</del><ins>Friday</ins>." in content
    assert "Slavonski Brod, where the river broke" not in content
    out = tmp_path / "feed"
    assert cli("changes", "--format", "atom", "-o", str(out), store_path=fourteen).exit_code == 0
    feed = feedparser.parse((out / "changes.atom").read_bytes())
    related = [link.href for link in feed.entries[0].links if link.rel == "related"]
    assert len(related) == 1 and (out / related[0]).is_file()


def test_a_text_lost_from_the_store_leaves_the_entry_standing(cli: CliRun, tmp_path: Path
                                                               ) -> None:
    store = tmp_path / "lost"
    SCRIPT.build(store)
    import newsarchive

    with newsarchive.open(store) as archive:
        first = archive.changes(limit=1)[0]
        gone = first.revision.hash
    for path in store.rglob(f"{gone[2:]}*"):
        path.unlink()
    page = report(cli, store)
    assert "diff unavailable" in page and page.count("<article") == N


# -- in a real browser ---------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(SCRIPT.chromium() is None,
                                    reason="chromium is not installed (apt-get install chromium)")


@pytest.mark.slow
@needs_chromium
def test_the_first_screen_shows_at_least_three_edits(fourteen: Path, tmp_path: Path) -> None:
    page = SCRIPT.write(fourteen, tmp_path / "site")
    wide = tmp_path / "wide.png"
    SCRIPT.screenshot(page, wide, 1280, 800)
    assert SCRIPT.edits_on_screen(wide) >= 3
    phone = tmp_path / "phone.png"
    SCRIPT.screenshot(page, phone, 390, 844)
    assert SCRIPT.edits_on_screen(phone) >= 1


def test_the_screenshot_script_counts_bands_of_edit_colour(tmp_path: Path) -> None:
    """The PNG reading and counting of the script, on a PNG made here (no browser)."""
    import struct
    import zlib

    green, white = bytes((0xCC, 0xFF, 0xD8)), b"\xff\xff\xff"
    rows = []
    for y in range(120):
        band = y in range(10, 14) or y in range(60, 63) or y in range(100, 104)
        rows.append(b"\x00" + (green * 10 + white * 10 if band else white * 20))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20, 120, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))
    path = tmp_path / "bands.png"
    path.write_bytes(png)
    assert SCRIPT.edits_on_screen(path) == 3
