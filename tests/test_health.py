"""Extraction health (newsarchive.ingest.health): paywall stubs, consent walls, empty and
collapsed texts are suspect; real articles, and their real edits, are not."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsarchive.changes.kinds import classify
from newsarchive.config import regex_problem
from newsarchive.ingest.health import (
    CONSENT_PHRASES,
    PAYWALL_PHRASES,
    extraction_health,
    suspect_sources,
)
from newsarchive.ingest.html import html_to_draft

PAGES = Path(__file__).parent / "data" / "pages"
URL = "https://news.example.org/world/2024/03/04/storm-elin-floods"


def page(name: str) -> tuple[str, str | None]:
    draft = html_to_draft((PAGES / f"{name}.html").read_bytes(), origin=name, url=URL)
    return draft.text, draft.title


@pytest.fixture(scope="module")
def article() -> str:
    return page("article")[0]


@pytest.mark.parametrize("name", ["article", "article-updated", "article-revised"])
def test_real_pages_are_healthy(name: str, article: str) -> None:
    text, title = page(name)
    assert not extraction_health(text, article, title=title).suspect
    assert not extraction_health(text, None, title=title).suspect


def test_the_article_turned_into_a_paywall_stub_is_suspect(article: str) -> None:
    text, title = page("article-paywall")
    health = extraction_health(text, article, title=title)
    # the box around the stub's "Subscribe to continue reading" reaches the text once the
    # share bars are dropped before extraction (the built-in noise rules)
    assert health.suspect and health.reason == "paywall"
    assert health.detail == "a paywall: 'Subscribe to continue reading'"
    stub_alone = "\n\n".join(p for p in text.split("\n\n") if "ubscri" not in p)
    collapsed = extraction_health(stub_alone, article, title=title)
    assert collapsed.suspect and collapsed.reason == "collapsed"
    # what decides it: the stub kept the first paragraph only
    assert "At least 12 people were killed" in text and "Rail services" not in text


def test_a_consent_wall_is_suspect_even_as_a_first_capture(article: str) -> None:
    text, title = page("consent-wall")
    for previous in (article, None):
        health = extraction_health(text, previous, title=title)
        assert health.suspect and health.reason == "consent"
        assert "'We use cookies'" in health.detail


def test_an_empty_text_is_suspect() -> None:
    assert extraction_health("  \n\n ", "Some text.").reason == "empty"
    assert extraction_health("\u2014", None).reason == "empty"


STUB = "The minister resigned on Monday after weeks of pressure.\n\n{wall}\n\n{more}"


@pytest.mark.parametrize("wall", [
    "Subscribe to continue reading", "This article is for subscribers only.",
    "You have reached your limit of free articles.", "Sign in to keep reading",
    "Jetzt abonnieren", "Dieser Artikel ist nur für Abonnenten verfügbar.",
    "Sie sind bereits Abonnent? Hier anmelden", "Abonnez-vous",
    "Cet article est réservé aux abonnés.", "Il vous reste 78% de cet article à lire.",
    "Suscríbete para seguir leyendo", "Este contenido es exclusivo para suscriptores.",
    "¿Ya eres suscriptor? Inicia sesión",
])
def test_paywall_phrases_in_four_languages(wall: str) -> None:
    text = STUB.format(wall=wall, more="")
    health = extraction_health(text, None)
    assert health.suspect and health.reason == "paywall", health
    assert extraction_health(text, "word " * 100).reason == "paywall"


@pytest.mark.parametrize("lines", [
    ("We use cookies to improve your experience.", "Accept all", "Manage preferences"),
    ("Wir verwenden Cookies.", "Alle akzeptieren", "Cookie-Einstellungen"),
    ("Nous utilisons des cookies.", "Tout accepter", "Continuer sans accepter"),
    ("Utilizamos cookies propias y de terceros.", "Aceptar todas", "Configurar cookies"),
])
def test_consent_walls_in_four_languages(lines: tuple[str, ...]) -> None:
    health = extraction_health("\n\n".join(lines), None)
    assert health.suspect and health.reason == "consent"


def test_a_wall_phrase_in_a_real_article_is_not_a_wall() -> None:
    long_article = "\n\n".join(["The talks went on late into the night, officials said."] * 40
                               + ["Subscribe to continue reading our coverage of the talks."])
    assert not extraction_health(long_article, None).suspect  # over 300 words
    brief = ("A court fined the publisher on Monday. Its banner said: we use cookies to show "
             "you advertising, and readers could not refuse them. " * 3).strip()
    assert not extraction_health(brief, None).suspect  # one consent phrase, 60+ words
    grown = STUB.format(wall="Jetzt abonnieren", more="More text. " * 30)
    assert not extraction_health(grown, "The minister resigned on Monday.").suspect


@pytest.mark.parametrize(("words", "before", "suspect"), [
    (39, 100, True), (40, 100, False), (10, 49, False), (19, 50, True), (0, 0, True),
])
def test_collapse_is_under_40_percent_of_a_real_text(words: int, before: int,
                                                     suspect: bool) -> None:
    health = extraction_health("word " * words, "word " * before)
    assert health.suspect == suspect


def test_the_fraction_is_a_parameter() -> None:
    assert extraction_health("word " * 60, "word " * 100, min_ratio=0.7).reason == "collapsed"


@pytest.mark.parametrize("phrase", PAYWALL_PHRASES + CONSENT_PHRASES)
def test_every_phrase_is_a_safe_pattern(phrase: str) -> None:
    assert regex_problem(phrase) is None


def test_a_suspect_capture_is_not_a_substantive_edit(article: str) -> None:
    stub, _ = page("article-paywall")
    title = "Storm Elin: at least 12 dead as floods sweep through river towns"
    assert classify(article, stub, title, title) == ("substantive",)
    assert classify(article, stub, title, title, suspect=True) == ("extraction-suspect",)
    # the page comes back whole: judged against the revision before the stub, it is no edit
    assert classify(article, article, title, title) == ()


def test_warnings_for_sources_whose_captures_were_all_suspect() -> None:
    warnings = suspect_sources({"a.example": (12, 12), "b.example": (5, 1),
                                "c.example": (1, 1), "d.example": (0, 0)})
    assert warnings == [
        "warning: a.example: all 12 captures in the last day looked like a failed extraction "
        "(empty, a paywall or consent page, or a collapsed text); check the site or its noise "
        "rules",
        "warning: c.example: its only capture in the last day looked like a failed extraction "
        "(empty, a paywall or consent page, or a collapsed text); check the site or its noise "
        "rules",
    ]
