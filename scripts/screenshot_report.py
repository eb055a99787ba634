"""Build the report of 14 single-sentence edits, measure it, and screenshot it in Chromium.

    python scripts/screenshot_report.py [OUT_DIR]

Makes an archive of real-looking articles (the shipped examples and the wire-style test
article) with 14 edits of one sentence each (figures changed, a word swapped, a headline
rewritten, a sentence added, one taken out), writes ``changes --format html --output``
into OUT_DIR (default: a temporary directory), prints the size of the report and of each
change in it, and, when Chromium is installed (Debian: ``apt-get install chromium``),
takes screenshots of the first screen at 1280x800 and 390x844 (a phone) into OUT_DIR,
counting the edits visible on each (bands of rows holding the colours of an edit).

``tests/test_report.py`` runs the same steps (the screenshots only when Chromium is there).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "articles"
FLOODS = ROOT / "tests" / "data" / "articles" / "river-floods.1.txt"

# (article, old text, new text): applied in this order, one revision each; "title" edits
# the headline
EDITS = [
    ("floods", "forced about 16,000 people", "forced about 17,000 people"),
    ("putin", "which now number more than 17,000", "which now number more than 17,500"),
    ("ecb", "as soon as June as inflation", "as soon as its next meeting in June as inflation"),
    ("giessen", "above the three-metre mark", "above the 3.2-metre mark"),
    ("chip", "rose 9% in early trading", "rose 11% in early trading"),
    ("floods", "Two people have died since Saturday", "Three people have died since Saturday"),
    ("putin", "sets the stage for a continued period of tension",
     "sets the stage for a prolonged period of tension"),
    ("ecb", "deposit rate at 4% since September", "deposit rate at a record 4% since September"),
    ("giessen", "at two collection points", "at three collection points"),
    ("chip", "demand for data-centre hardware remained strong.",
     "demand for data-centre hardware was likely to stay strong into next year."),
    ("title", "Putin vows to press on with war as US talks collapse",
     "Putin vows to press on with war after US talks collapse"),
    ("floods", "as water from its tributaries reached the lowlands.",
     "as water from its tributaries reached the lowlands. The Sava peaked at 6.9 metres in "
     "Slavonski Brod late on Monday, the state hydrological service said."),
    ("putin", "Evidence points to the resilience of the Russian economy amidst these sanctions "
              "and the unintended negative consequences on the economies of the imposing "
              "countries. ", ""),
    ("floods", "until at least Wednesday.", "until at least Friday."),
]

SIZES = ((1280, 800), (390, 844))
# the backgrounds of <ins> and <del> in the report
EDIT_COLOURS = frozenset({(0xCC, 0xFF, 0xD8), (0xFF, 0xD7, 0xD5)})


def _articles() -> dict[str, dict[str, Any]]:
    """The first revision of each article: its text and metadata."""
    import json

    from newsarchive.ingest.plaintext import parse_plaintext

    out: dict[str, dict[str, Any]] = {}
    for key, path in (("floods", FLOODS), ("putin", EXAMPLES / "putin-reaffirms-war-aims.3.txt"),
                      ("ecb", EXAMPLES / "ecb-holds-rates.txt"),
                      ("giessen", EXAMPLES / "giessen-flood-warning.txt")):
        d = parse_plaintext(path.read_text("utf-8"), origin=str(path))
        out[key] = {"text": d.text, "title": d.title, "source": d.source, "date": d.date,
                    "url": d.url, "author": d.author}
    (line,) = (EXAMPLES / "wire.jsonl").read_text("utf-8").splitlines()
    rec = json.loads(line)
    out["chip"] = {k: rec.get(k) for k in ("text", "title", "source", "date", "url")}
    out["chip"]["author"] = None
    return out


def build(store: Path) -> int:
    """Add the articles, then the 14 edits, each a new revision an hour apart; the
    number of changes made."""
    import newsarchive

    arts = _articles()
    with newsarchive.open(store) as archive:
        hour = 0

        def add(a: dict[str, Any]) -> None:
            nonlocal hour
            stamp = f"2024-09-{16 + hour // 24:02d}T{hour % 24:02d}:05:00Z"
            hour += 1
            archive.add(a["text"], source=a["source"], date=a["date"], url=a["url"],
                        title=a["title"], author=a["author"], captured_at=stamp)

        for a in arts.values():
            add(a)
        for key, old, new in EDITS:
            a = arts["putin" if key == "title" else key]
            field = "title" if key == "title" else "text"
            assert a[field].count(old) == 1, (key, old)
            a[field] = a[field].replace(old, new)
            add(a)
    return len(EDITS)


def write(store: Path, out: Path) -> Path:
    """The HTML report with its diff pages, written into ``out``; the report's path."""
    import newsarchive

    with newsarchive.open(store) as archive:
        found = archive.changes(limit=50)
        return Path(archive.write_changes_report(found, out, "html").report)


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 800) -> None:
    """A screenshot of the first screen of ``page`` (Chromium, headless, nothing fetched)."""
    browser = chromium()
    if browser is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={profile}", f"--screenshot={png}",
             f"--window-size={width},{height}", page.resolve().as_uri()],
            check=True, capture_output=True, timeout=120)


def png_rows(png: Path) -> list[list[tuple[int, int, int]]]:
    """The pixels of an 8-bit RGB(A) PNG, row by row (enough of PNG for Chromium's)."""
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    channels = 4
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and color in (2, 6), "unexpected PNG"
            channels = 4 if color == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[list[tuple[int, int, int]]] = []
    prev = bytearray(stride)
    for y in range(len(raw) // (stride + 1)):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, channels)])  # type: ignore[misc]
        prev = line
    return rows


def edits_on_screen(png: Path, colours: frozenset[tuple[int, int, int]] = EDIT_COLOURS
                    ) -> int:
    """How many separate bands of rows hold the green of an insertion or the red of a
    removal (one an edit, more or less: an edit spans a line or two, and edits are
    further apart than 25 pixels)."""
    bands, inside, gap = 0, False, 0
    for row in png_rows(png):
        hit = sum(1 for px in row if px in colours) >= 3
        if hit and not inside:
            bands += 1
        if hit:
            inside, gap = True, 0
        else:
            gap += 1
            inside = inside and gap < 25
    return bands


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(tempfile.mkdtemp(prefix="na-report-"))
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        n = build(store)
        report = write(store, out)
        empty = out / "empty.html"
        import newsarchive

        with newsarchive.open(store) as archive:
            empty.write_text(archive.changes_report([], "html"), "utf-8")
            size = len(archive.changes_report(archive.changes(limit=50), "html").encode())
    overhead = len(empty.read_bytes())
    print(f"{report}: {report.stat().st_size:,} bytes with links to the diff pages; "
          f"to stdout {size:,} bytes for {n} changes "
          f"({(size - overhead) / n:,.0f} bytes a change, {overhead:,} for the page)")
    if chromium() is None:
        print("chromium is not installed: no screenshots (apt-get install chromium)")
        return 0
    for width, height in SIZES:
        png = out / f"report-{width}x{height}.png"
        screenshot(report, png, width, height)
        print(f"{png}: {edits_on_screen(png)} edits on the first screen")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main(sys.argv))
