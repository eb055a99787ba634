"""Property tests for canonical text, names and references."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsarchive.errors import NewsArchiveError
from newsarchive.ingest.plaintext import parse_plaintext
from newsarchive.store.refs import parse_ref
from newsarchive.text.canonical import canonicalize, content_hash
from newsarchive.text.names import (
    SLUG_RE,
    SOURCE_RE,
    first_sentence,
    is_valid_id,
    make_id,
    normalize_source,
    slug_from_url,
    slugify,
    source_from_url,
    to_ascii,
)
from newsarchive.text.sentences import _BOUNDARY_RE, CLOSERS
from newsarchive.text.strings import common_prefix, differ_beyond_spacing

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@given(texts)
def test_canonical_is_idempotent(text: str) -> None:
    once = canonicalize(text)
    assert canonicalize(once) == once


@given(texts)
def test_canonical_form_rules(text: str) -> None:
    c = canonicalize(text)
    if c:
        assert c.endswith("\n") and not c.endswith("\n\n")
        assert not c.startswith("\n")
        assert "\r" not in c and "\n\n\n" not in c and "\t" not in c and "  " not in c
        assert all(line == line.rstrip(" ") for line in c.split("\n"))


@given(st.lists(st.text(alphabet="abc xyz.", min_size=1, max_size=20), min_size=1, max_size=8),
       st.sampled_from([" ", "\t", "  \t "]), st.sampled_from(["\n", "\r\n", "\r"]))
def test_whitespace_variants_hash_equal(words: list[str], blank: str, eol: str) -> None:
    plain = "\n".join(words)
    variant = eol.join(w.replace(" ", blank) + blank for w in words) + eol * 3
    assert content_hash(canonicalize(plain)) == content_hash(canonicalize(variant))


@pytest.mark.slow
@given(texts)
def test_slugify_always_valid_or_empty(text: str) -> None:
    slug = slugify(text)
    assert slug == "" or SLUG_RE.match(slug)
    assert "/" not in slug and ".." not in slug


@given(texts)
def test_source_always_valid_or_empty(text: str) -> None:
    source = normalize_source(text)
    assert source == "" or SOURCE_RE.match(source)
    assert source not in (".", "..")


@given(texts, texts, texts)
def test_ids_never_escape_the_store(a: str, b: str, c: str) -> None:
    source, slug = normalize_source(a), slugify(c)
    if source and slug:
        article_id = make_id(source, "2024-04-03", slug)
        assert is_valid_id(article_id)
        joined = os.path.normpath(os.path.join("/store", article_id))
        assert joined.startswith("/store/") and joined.count("/") == 4


@given(st.text(max_size=200))
def test_urls_give_valid_names(url: str) -> None:
    for name, rx in ((source_from_url(url), SOURCE_RE), (slug_from_url(url), SLUG_RE)):
        assert name == "" or rx.match(name)


@given(st.text(max_size=100))
def test_parse_ref_never_crashes(ref: str) -> None:
    try:
        parsed = parse_ref(ref)
    except NewsArchiveError:
        return
    assert parsed.number is None or parsed.number != 0


@settings(max_examples=200)
@given(texts)
def test_plaintext_parse_never_loses_body_words(text: str) -> None:
    draft = parse_plaintext(text, origin="x")
    assert set(draft.text.split()) <= set(text.split()) | set()


def test_examples() -> None:
    assert to_ascii("Gießen") == "Giessen"
    assert slugify("Flood warning for Gießen!") == "flood-warning-for-giessen"
    assert source_from_url("https://www.politico.eu/article/x/") == "politico.eu"
    assert slug_from_url("https://www.politico.eu/article/putin-reaffirms-war-aims/") == (
        "putin-reaffirms-war-aims"
    )
    assert slug_from_url("https://example.org/news/2024/04/03/story-title.html?x=1") == "story-title"
    assert canonicalize("  a \t b  \r\n\r\n\r\n\r\nc\n\n") == " a b\n\nc\n"
    assert first_sentence("One two. Three four.") == "One two."
    assert parse_ref("x/2024-04-03/slug@-1").number == -1
    assert parse_ref("slug@3").number == 3


@pytest.mark.parametrize("url, slug", [
    ("https://x.example/p/1", "p-1"),
    ("https://x.example/p/2", "p-2"),
    ("https://x.example/politics/12345", "politics-12345"),
    ("https://x.example/world/12345/index.html", "world-12345"),
    ("https://x.example/story/12345", "story-12345"),
    ("https://x.example/news/detail?id=1", "id-1"),
    ("https://x.example/news/detail?id=2&utm_source=x", "id-2"),
    ("https://x.example/p/view?p=77", "p-77"),
    ("https://x.example/2024/04/03/story-title", "story-title"),
    ("https://x.example/news/2024/04/03/", ""),
])
def test_a_number_ending_the_url_keeps_articles_apart(url: str, slug: str) -> None:
    """A trailing number is the article's own ID: /p/1 and /p/2 were both "p", one article
    with a revision per fetch of either."""
    assert slug_from_url(url) == slug


@pytest.mark.parametrize("body, title", [
    ("Mr. Biden spoke about trade on Monday. Then he left.", "Mr. Biden spoke about trade on Monday."),
    ("U.S. troops left the base. More later.", "U.S. troops left the base."),
    ("The St. Louis Fed held rates. Markets rose.", "The St. Louis Fed held rates."),
    ("On Jan. 5 the river rose. It fell.", "On Jan. 5 the river rose."),
    ("George W. Bush spoke. Then Cheney.", "George W. Bush spoke."),
    ('He said "no." Then he left.', 'He said "no."'),
    ("What happened? Nobody knows.", "What happened?"),
])
def test_derived_title_is_the_whole_first_sentence(body: str, title: str) -> None:
    """An abbreviation does not end the title (which names the article: "Mr." once made
    one article of every text that began with it)."""
    assert first_sentence(body) == title


def test_bare_date_form() -> None:
    d = parse_plaintext(" date 2024-04-03 In a significant development, X.", origin="x")
    assert d.date == "2024-04-03"
    assert d.text.startswith("In a significant development")
    h = parse_plaintext("title: T\nsource: politico\n\nBody text.", origin="x")
    assert (h.title, h.source, h.text) == ("T", "politico", "Body text.")
    not_header = parse_plaintext("Breaking: something happened.\n\nMore.", origin="x")
    assert not_header.title is None and not_header.text.startswith("Breaking:")


_ENDS = ".!?\u2026\u3002\uff01\uff1f" + CLOSERS


@given(st.text(alphabet=_ENDS + " \n\t\u00a0\u2029abX", max_size=40))
def test_sentence_ends_are_found_as_one_class_of_terminators_finds_them(text: str) -> None:
    """The boundary pattern has one alternative per terminator (so that the engine skips
    to the characters a match can start with); it matches what the plain pattern, one
    class of terminators, matches."""
    closers = f"[{re.escape(CLOSERS)}]*"
    plain = re.compile(rf"[.!?\u2026]{closers}(?:\s+|\Z)|[\u3002\uff01\uff1f]{closers}\s*|\n\s*")
    assert [m.span() for m in _BOUNDARY_RE.finditer(text)] == \
        [m.span() for m in plain.finditer(text)]


_SPACED = st.text(alphabet="ab \n\t\u00a0\u2029\x1c", max_size=12)


@given(_SPACED, _SPACED)
def test_texts_differ_beyond_spacing_exactly_when_their_words_differ(a: str, b: str) -> None:
    assert differ_beyond_spacing(a, b) == (a.split() != b.split())
    assert common_prefix(a, b) == len(os.path.commonprefix([a, b]))
