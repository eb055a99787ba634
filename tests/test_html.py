"""Article pages to drafts: main text without boilerplate, metadata, canonical URL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newsarchive.errors import InputError
from newsarchive.web.fetch import Fetcher
from newsarchive.ingest.html import html_fragment_to_text, html_to_draft
from newsarchive.ingest.prepare import prepare
from newsarchive.ingest.signatures import binary_reason, looks_like_html, unreadable_reason
from newsarchive.text.urls import canonical_url
from tests.httpserver import Route, TestServer


PAGES = Path(__file__).parent / "data" / "feeds"
BOILERPLATE = [
    "cookies", "Subscribe", "Related stories", "Sanctions explained", "All rights reserved",
    "Privacy", "Sign up", "Log in", "Impressum", "Markets", "tracking", "dataLayer",
]


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def test_article1_text_and_metadata() -> None:
    data = page("article1.html")
    draft = html_to_draft(data, origin="article1.html",
                          url="http://www.news.example/a?utm_source=x")
    assert draft.title == "Putin reaffirms war aims in annual address"
    assert draft.date == "2024-04-03"
    assert draft.author == "Jane Correspondent"
    # rel=canonical wins over og:url; tracking parameters and the fragment are gone
    assert canonical_url(draft.url) == "https://news.example/world/2024/04/03/putin-reaffirms-war-aims"
    paragraphs = draft.text.split("\n\n")
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("Russian President Vladimir Putin on Wednesday")
    assert paragraphs[-1].endswith("over the past year.")
    assert not draft.text.startswith("Putin reaffirms")  # the headline is the title
    for word in BOILERPLATE:
        assert word not in draft.text
    assert draft.original == data
    assert draft.original_type == "text/html"
    assert draft.origin == "article1.html"


def test_article2_og_url_only() -> None:
    draft = html_to_draft(page("article2.html"), origin="p2")
    assert draft.title == "Central bank holds rates steady as inflation eases"
    assert draft.date == "2024-03-21"
    assert draft.author == "Max Economist"
    assert canonical_url(draft.url) == "https://news.example/business/central-bank-holds-rates?page=2"
    assert len(draft.text.split("\n\n")) == 3
    for word in BOILERPLATE:
        assert word not in draft.text


def test_article3_relative_canonical_and_no_date() -> None:
    draft = html_to_draft(
        page("article3.html"), origin="p3", url="https://zeitung.example/x/y?id=9"
    )
    assert draft.title == "Gießen eröffnet neue Stadtbibliothek"
    assert canonical_url(draft.url) == "https://zeitung.example/kultur/giessen-eroeffnet-neue-stadtbibliothek"
    assert draft.date is None  # the caller falls back to the entry's date
    assert "„Ort der Begegnung für alle Generationen“" in draft.text
    assert "Impressum" not in draft.text


def test_article3_without_a_url_has_no_url() -> None:
    draft = html_to_draft(page("article3.html"), origin="p3")
    assert draft.url is None  # a relative canonical link with nothing to resolve it against


def test_drafts_prepare_into_ids_from_the_canonical_url() -> None:
    d1 = prepare(html_to_draft(page("article1.html"), origin="a1"))
    assert d1.id == "news.example/2024-04-03/putin-reaffirms-war-aims"
    d3 = html_to_draft(page("article3.html"), origin="a3", url="https://zeitung.example/")
    d3.date = "2024-04-06"
    assert prepare(d3).id == "zeitung.example/2024-04-06/giessen-eroeffnet-neue-stadtbibliothek"


def test_page_url_used_when_no_canonical() -> None:
    html = (
        b"<!DOCTYPE html><html><head><title>Plain</title></head><body><article>"
        b"<h1>Plain</h1><p>A page without any canonical link says something useful here.</p>"
        b"</article></body></html>"
    )
    draft = html_to_draft(html, origin="x", url="http://Site.example/news/plain/?fbclid=1#x")
    assert canonical_url(draft.url) == "https://site.example/news/plain"


def test_canonical_to_the_home_page_is_ignored() -> None:
    html = (
        b'<!DOCTYPE html><html><head><title>T</title><link rel="canonical" href="/"></head>'
        b"<body><article><p>An article page whose template says its canonical URL is the "
        b"home page, which would merge every article of the site into one.</p></article>"
        b"</body></html>"
    )
    draft = html_to_draft(html, origin="x", url="https://site.example/2024/a-story")
    assert canonical_url(draft.url) == "https://site.example/2024/a-story"


@pytest.mark.parametrize(
    "html",
    [
        b"<html><head><title>Empty</title></head><body></body></html>",
        b"<!DOCTYPE html><html><body><script>var a = 1;</script></body></html>",
        (
            b"<!DOCTYPE html><html><head><title>Home</title></head><body><nav><ul>"
            b'<li><a href="/">Home</a></li><li><a href="/a">World</a></li></ul></nav>'
            b'<footer><p>(c) 2024 Example. <a href="/p">Privacy</a></p></footer></body></html>'
        ),
        b"",
    ],
)
def test_no_article_text(html: bytes) -> None:
    with pytest.raises(InputError) as excinfo:
        html_to_draft(html, origin="page.html")
    assert str(excinfo.value) == "page.html: no article text found in the HTML"


def _gzip(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data)


ARTICLE_HTML = (b"<html><head><title>A title</title></head><body><article>"
                + b"<p>A paragraph of an article that is long enough to be kept.</p>" * 20
                + b"</article></body></html>")
BINARY_PAGES = {  # what each is called in the error
    "gzip-of-html": (_gzip(ARTICLE_HTML), "gzip-compressed data"),
    "gzip-of-noise": (_gzip(os.urandom(300_000)), "gzip-compressed data"),
    "png": (b"\x89PNG\r\n\x1a\n" + os.urandom(5000), "a PNG image"),
    "pdf": (b"%PDF-1.7\n" + os.urandom(5000), "a PDF document"),
    "zip": (b"PK\x03\x04" + os.urandom(5000), "a zip archive"),
    "mp4": (b"\x00\x00\x00\x18ftypmp42" + os.urandom(5000), "an MP4"),
    "noise": (bytes(range(256)) * 200, "control characters"),
    "control-bytes": (b"\x00\x01\x02\x03", "control characters"),
}


@pytest.mark.parametrize("name", sorted(BINARY_PAGES))
def test_binary_data_is_not_an_article(name: str) -> None:
    """Whatever a server's Content-Type or a file's name says (1 MB of gzip served as
    text/html became an article of replacement characters)."""
    data, kind = BINARY_PAGES[name]
    with pytest.raises(InputError) as excinfo:
        html_to_draft(data, origin="page.html")
    assert str(excinfo.value).startswith("page.html: is not an HTML page but binary data (")
    assert kind in str(excinfo.value)


def test_text_of_replacement_characters_is_refused() -> None:
    """Bytes without a signature or control bytes that decode to little but U+FFFD."""
    body = "<p>" + "\ufffd\ufffd word " * 500 + "</p>"
    page = f"<html><body><article>{body}</article></body></html>".encode()
    with pytest.raises(InputError, match="is not readable text: 33% of its characters"):
        html_to_draft(page, origin="page.html")
    few = page.replace("\ufffd\ufffd word ".encode() * 400, b"plain words here " * 400)
    assert html_to_draft(few, origin="page.html").text  # a few are an article's


def test_sniffing_keeps_real_pages() -> None:
    for path in sorted(PAGES.parent.rglob("*.htm*")):
        data = path.read_bytes()
        assert binary_reason(data) is None, path
        try:
            text = html_to_draft(data, origin=path.name).text
        except InputError as err:
            assert "binary" not in str(err) and "readable" not in str(err), err
            continue
        assert unreadable_reason(text) is None, path


def test_fragment_is_read() -> None:
    draft = html_to_draft(b"<p>Just one paragraph of text in a saved fragment.</p>", origin="f")
    assert draft.text == "Just one paragraph of text in a saved fragment."


def test_latin1_page_with_meta_charset() -> None:
    html = (
        '<html><head><meta charset="iso-8859-1"><title>Caf\u00e9</title></head><body>'
        "<article><p>Le caf\u00e9 du coin a rouvert ses portes apr\u00e8s des travaux.</p>"
        "</article></body></html>"
    ).encode("latin-1")
    draft = html_to_draft(html, origin="x")
    assert "caf\u00e9 du coin" in draft.text
    assert draft.title == "Caf\u00e9"


def test_page_fetched_from_the_local_server(http_server: TestServer) -> None:
    http_server.routes["/articles/putin"] = Route(body=page("article1.html"))
    with Fetcher(user_agent="t", host_delay=0, allow_private_networks=True) as f:
        resp = f.get(http_server.url("/articles/putin?utm_source=rss"))
    draft = html_to_draft(resp.body, origin=resp.url, url=resp.url)
    # its canonical link names another site (news.example): the page is filed where it
    # was fetched from, not as that site's article
    assert canonical_url(draft.url) == f"https://127.0.0.1:{http_server.port}/articles/putin"
    assert draft.original == resp.body


@pytest.mark.parametrize(("fetched", "canonical", "kept"), [
    ("https://www.politico.eu/a/x", "https://www.politico.eu/article/story/", True),
    ("https://politico.eu/a/x", "https://www.politico.eu/article/story/", True),
    ("https://m.politico.eu/a/x", "https://www.politico.eu/article/story/", True),
    ("https://edition.cnn.com/a/x", "https://cnn.com/article/story/", True),
    ("https://evil.example/a/x", "https://www.politico.eu/article/story/", False),
    ("https://politico.eu.evil.example/a", "https://www.politico.eu/article/story/", False),
])
def test_a_canonical_link_counts_on_its_own_site_only(fetched: str, canonical: str,
                                                      kept: bool) -> None:
    """A page on any host could otherwise file its text as any outlet's article."""
    html = (f'<html><head><title>Story</title><link rel="canonical" href="{canonical}">'
            "</head><body><article><p>" + "A paragraph of the story. " * 20
            + "</p></article></body></html>").encode()
    draft = html_to_draft(html, origin="x", url=fetched)
    assert canonical_url(draft.url) == canonical_url(canonical if kept else fetched)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"<!DOCTYPE html><html><body>x</body></html>", True),
        (b"\xef\xbb\xbf<!doctype HTML>\n<html>", True),
        (b"  <html lang='en'><head>", True),
        (b"<?xml version='1.0'?><!-- c --><html xmlns='http://www.w3.org/1999/xhtml'>", True),
        (b"<head><title>t</title></head><body><p>x</p></body>", True),
        (b"<div><p>A fragment</p></div>", True),
        (b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>", False),
        (b"title: A title\n\nSome text with a <b> tag.", False),
        (b"date 2024-04-03 Plain text.", False),
        (b'{"text": "<p>x</p>"}', False),
        (b"", False),
    ],
)
def test_looks_like_html(data: bytes, expected: bool) -> None:
    assert looks_like_html(data) is expected


def test_html_fragment_to_text() -> None:
    fragment = (
        "<p>First &amp; foremost.</p><script>alert('x')</script><style>p{}</style>"
        "<ul><li>one</li><li>two</li></ul>text<br>after   break<br> <br>new\nline<div>last</div>"
    )
    # blocks and runs of <br> are paragraphs; a lone <br> and a source line break are spaces
    assert html_fragment_to_text(fragment) == (
        "First & foremost.\n\none\n\ntwo\n\ntext after break\n\nnew line\n\nlast"
    )
    assert html_fragment_to_text("plain text") == "plain text"
    assert html_fragment_to_text("") == ""


def test_oversized_page_is_refused_quickly() -> None:
    from newsarchive.ingest.html import MAX_HTML_BYTES

    data = page("article1.html").replace(b"</article>", b"<p>x</p>" * (MAX_HTML_BYTES // 8))
    with pytest.raises(InputError, match="over the 10,485,760-byte limit"):
        html_to_draft(data, origin="big.html")


# -- paragraphs follow the page's blocks, not its source lines ----------------------------------

WRAPPED = Path(__file__).parent / "data" / "pages"

GIESSEN_PARAGRAPHS = [
    "Die Behörden in Gießen haben am Freitagmorgen eine Hochwasserwarnung herausgegeben. Nach "
    "Angaben des Hochwassermeldedienstes stieg der Pegel an der Lahn bis sechs Uhr auf 3,12 "
    "Meter, Tendenz steigend. Besonders betroffen sind die Straßen entlang des Ufers in der "
    "Weststadt.",
    "„Wir rechnen damit, dass der Scheitel am Samstagnachmittag erreicht wird“, sagte ein "
    "Sprecher der Stadt. Bis dahin seien alle verfügbaren Kräfte im Einsatz.",
    "Sandsäcke an zwei Sammelstellen",
    "Die Feuerwehr hat an zwei Sammelstellen in der Innenstadt Sandsäcke bereitgestellt: am "
    "Parkplatz der Hessenhallen und an der Feuerwache in der Steinstraße. Anwohner können dort "
    "bis zu zwanzig Säcke je Haushalt abholen.",
    "- Fahrzeuge aus tiefer gelegenen Straßen und Tiefgaragen entfernen",
    "- Wertsachen und Dokumente in obere Stockwerke bringen",
    "- Heizöltanks sichern und Strom in gefährdeten Kellern abschalten",
    "„Das Wasser kam schneller als beim letzten Mal. Wir haben in der Nacht noch die "
    "Waschmaschine nach oben getragen.“",
    "Das sagte eine Anwohnerin aus der Lahnstraße, die seit dreißig Jahren in der Nähe des "
    "Flusses lebt.",   # then <br><br>: a new paragraph
    "Die Stadtwerke teilten mit, die Trinkwasserversorgung sei nicht gefährdet. Einzelne "
    "Stromkästen in der Weststadt würden vorsorglich abgeschaltet.",
    "Wie geht es weiter?",
    "Der Deutsche Wetterdienst erwartet für das Wochenende nachlassenden Regen. Der Pegel soll "
    "nach dem Scheitel nur langsam fallen, weil aus dem Oberlauf weiter Wasser nachkommt.",
]


@pytest.mark.parametrize(("name", "paragraphs"), [
    ("de-wrapped-paragraphs.html", GIESSEN_PARAGRAPHS),
    ("de-wrapped-tabs-crlf.html", [
        "Die Lokführergewerkschaft GDL hat erneut zu einem Streik im Personen- und "
        "Güterverkehr aufgerufen. Der Ausstand soll am Dienstag um zwei Uhr beginnen und 24 "
        "Stunden dauern, teilte die Gewerkschaft am Montagabend mit.",
        "Die Deutsche Bahn kritisierte die kurze Vorankündigung scharf. „Das ist eine Zumutung "
        "für Millionen Fahrgäste“, sagte ein Sprecher. Der Konzern will einen Notfahrplan "
        "anbieten, im Fernverkehr soll jedoch nur etwa jeder fünfte Zug fahren.",
        "Betroffen sind vor allem Pendler in den Ballungsräumen. In Berlin, Hamburg und München "
        "fährt die S-Bahn nur im Stundentakt, in Frankfurt fallen mehrere Linien ganz aus.",
        "Fahrgäste, die ihre Reise verschieben wollen, können ihre Tickets nach Angaben der "
        "Bahn bis zum 20. März flexibel nutzen. Reservierungen lassen sich kostenlos "
        "stornieren.",   # a lone <br /> is not a paragraph
        "Die Tarifverhandlungen zwischen Bahn und GDL stocken seit Januar. Strittig ist vor "
        "allem die Forderung der Gewerkschaft nach einer 35-Stunden-Woche bei vollem "
        "Lohnausgleich.",
    ]),
    ("de-br-paragraphs-latin1.html", [   # an old CMS: paragraphs are <br><br> in a <div>
        "Der Gemeinderat von Oberbach hat am Donnerstagabend mit großer Mehrheit den Neubau des "
        "Freibads beschlossen. Die Kosten werden auf rund 8,4 Millionen Euro geschätzt.",
        "Bürgermeisterin Sabine Roth sprach von einem \"wichtigen Tag für die Gemeinde\". Das "
        "alte Bad aus dem Jahr 1968 war im vergangenen Sommer wegen gravierender Mängel an den "
        "Becken geschlossen worden.",
        "Der Bau soll im Frühjahr beginnen. Eröffnet werden könnte das neue Bad nach Angaben der "
        "Verwaltung frühestens im Sommer 2025. Zuschüsse des Landes in Höhe von 2,1 Millionen "
        "Euro sind bereits zugesagt.",
        "Gegen das Projekt stimmten zwei Mitglieder der Fraktion der Freien Wähler, die eine "
        "Sanierung des alten Bades für günstiger hielten.",
    ]),
])
def test_paragraphs_follow_the_blocks_not_the_source_lines(name: str,
                                                         paragraphs: list[str]) -> None:
    """German sites wrap the source of a <p> (at 80 columns, with tabs, with CRLF); each
    source line used to become a paragraph after a <br> or inside a quote."""
    draft = html_to_draft((WRAPPED / name).read_bytes(), origin=name)
    assert draft.text.split("\n\n") == paragraphs


def test_rewrapping_a_pages_source_changes_nothing() -> None:
    """The same page with its source wrapped differently (a CMS update) is the same text,
    so a snapshot does not see a revision where nothing changed."""
    import re

    data = (WRAPPED / "de-wrapped-paragraphs.html").read_text("utf-8")
    body_start = data.index("<article")
    unwrapped = data[:body_start] + re.sub(r"\s*\n\s*", " ", data[body_start:])
    rewrapped = data[:body_start] + re.sub(r"(?<=[a-zäöüß,]) (?=[a-zäöüß])", "\n    ",
                                           data[body_start:])
    texts = {html_to_draft(page.encode("utf-8"), origin="x").text
             for page in (data, unwrapped, rewrapped)}
    assert len(texts) == 1
    assert texts.pop().split("\n\n") == GIESSEN_PARAGRAPHS


def test_preformatted_text_keeps_its_line_breaks() -> None:
    fragment = "<p>A poem:</p><pre>first line\nsecond line</pre><p>wrapped\nprose</p>"
    assert html_fragment_to_text(fragment) == "A poem:\n\nfirst line\n\nsecond line\n\nwrapped prose"
