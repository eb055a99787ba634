"""Extraction health: is a capture's text the article, or what was left of it?

A page can come back as something else than the article: a paywall stub (the first
paragraph and "Subscribe to continue reading"), a cookie-consent wall, an empty shell that
loads its text by script, or a redesign that the extractor no longer understands. Stored
as a revision, such a capture looks like a massive edit (hundreds of words removed) and
then, when the page is whole again, like a massive restoration. :func:`extraction_health`
spots those captures so that they are stored with the kind ``extraction-suspect`` and not
presented as substantive edits.

A capture is suspect when (first match wins):

1. **empty**: the text has no word;
2. **paywall** or **consent**: a line of at most 40 words holds a phrase of
   :data:`PAYWALL_PHRASES` or :data:`CONSENT_PHRASES` (English, German, French, Spanish;
   a consent wall needs two different phrases unless its text is under 60 words), the
   text is under 300 words, and it is shorter than the previous text (when there is one):
   a full article with a "Subscribe" line at its foot is not a wall, and neither is a
   short report about cookie banners with one such quote;
3. **collapsed**: the text has under ``min_ratio`` (40%) of the words of the previous text,
   when that had 50 words or more.

Phrases are matched case-insensitively on whole words, in the title and the text. All
functions are pure; words are the archive's (:func:`newsarchive.text.words.count_words`:
runs of letters and digits).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from newsarchive.text.words import count_words

__all__ = [
    "CONSENT_PHRASES",
    "PAYWALL_PHRASES",
    "Health",
    "extraction_health",
    "suspect_sources",
]

MIN_RATIO = 0.4
WALL_WORDS = 300  # a wall page is shorter than this
LINE_WORDS = 40  # a wall's phrase is on a line of at most this many words
PREVIOUS_WORDS = 50  # a collapse is judged only against a text of at least this many words

#: Phrases of paywalls (regular expressions, matched case-insensitively as whole words).
PAYWALL_PHRASES: tuple[str, ...] = (
    # English
    r"subscribe (?:now )?to (?:continue|keep) reading", r"subscribe to read",
    r"(?:this (?:article|story|content) is )?(?:only available |exclusive )?(?:to|for) "
    r"subscribers only",
    r"exclusive to subscribers", r"already a subscriber", r"you(?:'ve| have) reached your "
    r"(?:limit of free articles|free article limit|monthly limit)",
    r"(?:sign|log) in to (?:continue|keep) reading",
    r"to continue reading,? (?:please )?(?:sign|log) in",
    r"create a free account to (?:continue|keep) reading",
    # German
    r"jetzt abonnieren", r"weiterlesen mit", r"nur für abonnenten", r"exklusiv für abonnenten",
    r"um diesen artikel (?:vollständig )?(?:zu )?lesen", r"bereits abonnent",
    r"lesen sie (?:jetzt )?weiter mit", r"sie haben bereits ein abo",
    # French
    r"abonnez-vous", r"réservé aux abonnés", r"réservée aux abonnés", r"déjà abonné",
    r"il vous reste \d{1,3}\s?% de cet article à lire", r"pour lire la suite",
    # Spanish
    r"suscríbete", r"suscríbase", r"exclusivo para suscriptores", r"para seguir leyendo",
    r"hazte suscriptor", r"ya eres suscriptor", r"contenido exclusivo para (?:socios|abonados)",
)

#: Phrases of cookie and consent walls.
CONSENT_PHRASES: tuple[str, ...] = (
    # English
    r"we use cookies", r"we and our (?:\d+ )?partners", r"accept all(?: cookies)?",
    r"reject all", r"manage (?:your )?(?:cookie|privacy|consent) (?:settings|preferences|choices)",
    r"cookie (?:settings|preferences|policy)", r"privacy settings", r"before you continue",
    r"consent to (?:the use of )?cookies",
    # German
    r"wir (?:verwenden|nutzen) cookies", r"alle akzeptieren", r"alle ablehnen",
    r"zustimmen und weiter", r"cookie-einstellungen", r"datenschutzeinstellungen",
    r"mit werbung weiterlesen", r"einwilligung (?:widerrufen|erteilen)",
    # French
    r"nous utilisons des cookies", r"tout accepter", r"tout refuser", r"accepter et continuer",
    r"paramétrer les cookies", r"gérer (?:mes|les) (?:choix|cookies)",
    r"continuer sans accepter",
    # Spanish
    r"(?:utilizamos|usamos) cookies", r"aceptar (?:todas|todo)", r"rechazar (?:todas|todo)",
    r"aceptar y continuar", r"configurar cookies", r"configuración de cookies",
)


@cache
def _compiled(phrases: tuple[str, ...]) -> list[tuple[str, re.Pattern[str]]]:
    """The phrases as patterns, compiled when a short text first asks for them (8 ms that
    an add of longer texts, the most, need not pay)."""
    space = r"\s+"
    return [(p, re.compile(r"(?<!\w)" + p.replace(" ", space) + r"(?!\w)", re.IGNORECASE))
            for p in phrases]


@dataclass(frozen=True)
class Health:
    """The verdict on one capture's extracted text."""

    suspect: bool
    reason: str | None = None
    """``empty``, ``paywall``, ``consent`` or ``collapsed``; None when healthy."""
    detail: str = ""
    """One line for people: what was found."""
    words: int = 0
    previous_words: int | None = None


def extraction_health(text: str, previous: str | None = None, *, title: str | None = None,
                      min_ratio: float = MIN_RATIO, words: int | None = None,
                      previous_words: int | None = None) -> Health:
    """Whether a capture's ``text`` looks like a failed extraction (see the module
    docstring); ``previous`` is the text of the article's last healthy revision.
    ``words`` and ``previous_words``: the two texts' word counts, when known."""
    if words is None:
        words = _count(text)
    before = None
    if previous is not None:
        before = previous_words if previous_words is not None else _count(previous)
    if words == 0:
        return Health(True, "empty", "no text was extracted", 0, before)
    shorter = before is None or words < before
    if words < WALL_WORDS and shorter:
        lines = [line for line in [title or "", *text.split("\n")]
                 if line.strip() and _count(line) <= LINE_WORDS]
        found = _found(_compiled(PAYWALL_PHRASES), lines)
        if found:
            return Health(True, "paywall", f"a paywall: {found[0]!r}", words, before)
        found = _found(_compiled(CONSENT_PHRASES), lines)
        if len(found) >= 2 or (found and words < 60):
            return Health(True, "consent", "a consent page: " + ", ".join(map(repr, found[:3])),
                          words, before)
    if before is not None and before >= PREVIOUS_WORDS and words < min_ratio * before:
        return Health(True, "collapsed", f"{words} words, {words / before:.0%} of the "
                      f"previous {before}", words, before)
    return Health(False, None, "", words, before)


def _count(text: str) -> int:
    return count_words(text)  # (tokenize, which folds each word, cost a reindex 5 ms a text)


def _found(patterns: list[tuple[str, re.Pattern[str]]], lines: list[str]) -> list[str]:
    """The distinct phrases found, as the text wrote them, in order of the table."""
    out: list[str] = []
    for _, rx in patterns:
        for line in lines:
            m = rx.search(line)
            if m:
                out.append(" ".join(m.group().split()))
                break
    return out


def suspect_sources(counts: Mapping[str, tuple[int, int]], *, period: str = "day"
                    ) -> list[str]:
    """One warning per source whose captures were all suspect: ``counts`` maps a source to
    (captures, suspect captures) over the ``period`` (the run's caller counts them)."""
    out = []
    for source in sorted(counts):
        captures, suspect = counts[source]
        if captures > 0 and suspect >= captures:
            many = f"all {captures} captures" if captures > 1 else "its only capture"
            out.append(f"warning: {source}: {many} in the last {period} looked like a "
                       "failed extraction (empty, a paywall or consent page, or a collapsed "
                       "text); check the site or its noise rules")
    return out
