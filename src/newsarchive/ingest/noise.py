"""Noise rules: what to drop from a page before extraction and to ignore when comparing.

Pages carry text that changes on every fetch without the article changing: "Updated 3
minutes ago", a rotating "Most read" box, share buttons, comment counts. Compared as they
are, two captures of an unedited article differ, and the archive would fill with false
revisions. The rules work at two points:

1. **Before extraction** (:func:`drop_elements`, :func:`clean_html`): elements matching CSS
   selectors are removed from the parsed page (with the built-in rules: boxes headed "Most
   read" and their likes, and short share bars). What is dropped never reaches the text.
2. **When comparing** (:func:`comparison_text`, :func:`only_noise`): the extracted text is
   reduced to the text that counts, line by line (a line is a paragraph): ignored text is
   cut out by regular expressions, lines left empty go, and "Most read"-like headings go
   with the list that follows them. Only the comparison uses this text; the archived text
   and the original page are kept whole, so rules can change and be applied again.

Rules come from the config's ``[[noise]]`` tables (:class:`~newsarchive.config.
NoiseConfig`, resolved for one article by :func:`rules_for`) plus the built-in defaults for
English, German, French and Spanish (:data:`DEFAULT_PATTERNS`, :data:`BOX_HEADINGS`,
:data:`SHARE_WORDS`), each with examples of what it is for and sentences it must leave
alone, which the tests check.

Bounded work. Regular expressions from the config are checked when it is read
(:func:`newsarchive.config.regex_problem` refuses the shapes that backtrack badly), and every
pattern is applied only to lines of at most :data:`MAX_LINE` characters: boilerplate lines
are short, prose paragraphs are long and are left as they are. No pattern sees more than
300 characters at a time, and none of them can backtrack more than about the square of
that, so a run cannot hang on a rule.

:func:`comparison_text` is idempotent (applying it to its own result changes nothing); the
tests check it by property.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newsarchive.config import NoiseConfig

if TYPE_CHECKING:
    from lxml.etree import _Element

__all__ = [
    "BOX_HEADINGS",
    "DEFAULT_PATTERNS",
    "DEFAULT_RULES",
    "MAX_LINE",
    "SHARE_WORDS",
    "NoiseRules",
    "Pattern",
    "clean_html",
    "comparison_text",
    "drop_elements",
    "only_noise",
    "rules_for",
]

#: Lines longer than this (after collapsing spaces) are never matched by a pattern.
MAX_LINE = 300


@dataclass(frozen=True)
class NoiseRules:
    """The rules for one article: selectors, patterns, a threshold, the defaults or not."""

    drop: tuple[str, ...] = ()
    """CSS selectors of elements to remove before extraction."""
    ignore: tuple[str, ...] = ()
    """Regular expressions of text to leave out when comparing (checked by the config)."""
    min_change_words: int = 0
    """A change of fewer words than this (numbers unchanged) is no change."""
    defaults: bool = True
    """Apply the built-in rules too."""


DEFAULT_RULES = NoiseRules()


def rules_for(tables: Iterable[NoiseConfig], *, source: str | None = None,
              url: str | None = None) -> NoiseRules:
    """The rules of every ``[[noise]]`` table that applies to an article: tables without
    ``sources`` apply to all; a source applies when it names the article's source or its
    URL's site (``reuters.com`` covers ``www.reuters.com`` and ``uk.reuters.com``).
    Selectors and patterns add up; the largest ``min_change_words`` counts; the defaults
    are off when any applying table turns them off."""
    host = ""
    if url:
        try:
            host = (urlsplit(url).hostname or "").lower().rstrip(".")
        except ValueError:
            host = ""
    names = {(source or "").casefold()}
    drop: list[str] = []
    ignore: list[str] = []
    words = 0
    defaults = True
    for table in tables:
        if table.sources and not any(_applies(s, names, host) for s in table.sources):
            continue
        drop += [d for d in table.drop if d not in drop]
        ignore += [p for p in table.ignore if p not in ignore]
        words = max(words, table.min_change_words or 0)
        if table.defaults is False:
            defaults = False
    return NoiseRules(tuple(drop), tuple(ignore), words, defaults)


def _applies(wanted: str, names: set[str], host: str) -> bool:
    wanted = wanted.casefold().strip().rstrip(".")
    if wanted in names:
        return True
    if wanted.startswith("www."):
        wanted = wanted[4:]
    return bool(host) and (host == wanted or host.endswith("." + wanted))


# -- the built-in patterns ----------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    """A built-in pattern, with lines it cleans and sentences it must leave alone."""

    name: str
    regex: str
    examples: tuple[str, ...]
    """Lines the pattern changes (each example line has text to cut)."""
    keeps: tuple[str, ...] = ()
    """Sentences from real articles it must not touch."""


# A piece of a byline or meta line: the pattern matches only between the start of the line
# or a separator (| · • – —) and the end of the line or a separator, so that the same words
# inside a sentence are left alone.
_SEP = "|\u00b7\u2022\u2013\u2014"
_OPEN = rf"(?:^|\s*[{_SEP}]\s*)"
_CLOSE = rf"\.?(?=\s*(?:$|[{_SEP}]))"


def _piece(body: str) -> str:
    return f"(?i){_OPEN}(?:{body}){_CLOSE}"


def _months(*names: str) -> str:
    return "(?:" + "|".join(names) + ")"


_MONTHS_EN = _months(
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December", r"Jan\.?", r"Feb\.?", r"Mar\.?", r"Apr\.?", r"Jun\.?",
    r"Jul\.?", r"Aug\.?", r"Sept?\.?", r"Oct\.?", r"Nov\.?", r"Dec\.?")
_MONTHS_DE = _months("Januar", "Jänner", "Februar", "März", "April", "Mai", "Juni", "Juli",
                     "August", "September", "Oktober", "November", "Dezember")
_MONTHS_FR = _months("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                     "septembre", "octobre", "novembre", "décembre")
_MONTHS_ES = _months("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
                     "septiembre", "setiembre", "octubre", "noviembre", "diciembre")
_DAYS_EN = _months("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                   "Sunday", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAYS_DE = _months("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag",
                   "Sonntag", "Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
_DAYS_FR = _months("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_DAYS_ES = _months("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")

_TIME = r"\d{1,2}[:.h]\d{2}(?: ?(?:[ap]\.?m\.?|Uhr|h))?(?: [A-Z]{2,5}| \(?[A-Z]{2,5}\)?)?"
_NUMERIC_DATE = r"(?:\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2})"


def _stamp(keywords: str, day: str, date: str, joins: str) -> str:
    """A "Last updated: <date and/or time>" piece."""
    when = rf"(?:{date}|{_NUMERIC_DATE}|{_TIME})"
    return _piece(rf"(?:{keywords}):? (?:{day},? )?{when}(?:,?(?: (?:{joins}))? {when})?")


DEFAULT_PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "updated-ago-en",
        _piece(r"(?:(?:Last updated|Updated|Published|Posted|Edited):? )?"
               r"(?:\d{1,3}|an?|one|a few) (?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?"
               r"|weeks?) ago|(?:Updated|Posted) just now"),
        ("Updated 3 minutes ago", "By Jane Holloway | Updated 3 minutes ago",
         "Last updated: 2 hours ago", "Posted an hour ago", "Updated just now",
         "Reuters \u00b7 5 mins ago", "Updated 3 minutes ago | Politics"),
        ("The council updated its rules 3 minutes before the vote.",
         "He said the fire started 20 minutes ago and was still burning.",
         "Updated figures released two days ago show 14 dead.",
         "The ceasefire, agreed three days ago, is holding."),
    ),
    Pattern(
        "updated-ago-de",
        _piece(r"(?:(?:Zuletzt aktualisiert|Aktualisiert|Veröffentlicht):? )?vor "
               r"(?:\d{1,3}|einer?|wenigen) (?:Sekunden?|Minuten?|Min\.?|Stunden?|Std\.?"
               r"|Tag(?:en)?|Wochen?)|(?:Aktualisiert|Veröffentlicht) gerade eben"),
        ("Aktualisiert vor 5 Minuten", "Von Anna Berg | Aktualisiert vor 2 Std.",
         "vor einer Stunde", "Veröffentlicht vor 3 Tagen"),
        ("Die Regierung hat die Regeln vor 5 Minuten aktualisiert.",
         "Vor 3 Tagen hatte der Minister noch das Gegenteil behauptet."),
    ),
    Pattern(
        "updated-ago-fr",
        _piece(r"(?:(?:Mis à jour|Publié|Modifié) )?il y a (?:\d{1,3}|une?|quelques) "
               r"(?:secondes?|minutes?|min|heures?|h|jours?|semaines?)"),
        ("Mis à jour il y a 5 minutes", "Par Claire Dubois | Publié il y a une heure",
         "il y a 2 h"),
        ("Le texte a été mis à jour il y a trois jours par le ministère.",
         "Il y a 10 ans, la ville comptait deux fois plus d'habitants."),
    ),
    Pattern(
        "updated-ago-es",
        _piece(r"(?:(?:Actualizado|Publicado|Última actualización):? )?hace "
               r"(?:\d{1,3}|una?|unos|unas|pocos|pocas) "
               r"(?:segundos?|minutos?|min|horas?|h|días?|semanas?)"),
        ("Actualizado hace 5 minutos", "Por Lucía Gómez | hace 2 horas",
         "Publicado hace una hora"),
        ("El Gobierno actualizó hace 5 minutos las cifras de víctimas.",
         "Hace 20 años, el río ya se desbordó de la misma manera."),
    ),
    Pattern(
        "timestamp-en",
        _stamp("Last updated|Updated|Published|Posted|First published|Last modified"
               "|Updated on|Published on",
               _DAYS_EN, rf"(?:\d{{1,2}}(?:st|nd|rd|th)? {_MONTHS_EN},? \d{{4}}"
                         rf"|{_MONTHS_EN} \d{{1,2}}(?:st|nd|rd|th)?,? \d{{4}})", "at"),
        ("Last updated: 4 March 2024, 14:35 GMT", "Updated: 14:35 GMT, 4 March 2024",
         "Published Monday, March 4, 2024 at 2:35 p.m. ET", "Updated 04/03/2024 14:35",
         "By Jane Holloway | Last updated 2024-03-04 14:35"),
        ("Published on 4 March 2024, the report found that 12 people had died.",
         "The rules updated on 4 March 2024 apply from next week."),
    ),
    Pattern(
        "timestamp-de",
        _stamp("Zuletzt aktualisiert(?: am)?|Aktualisiert(?: am)?|Veröffentlicht(?: am)?"
               "|Erstellt(?: am)?|Stand(?: vom)?", _DAYS_DE,
               rf"\d{{1,2}}\. ?{_MONTHS_DE} \d{{4}}", "um"),
        ("Aktualisiert am 04.03.2024, 14:35 Uhr", "Stand: 04.03.2024 14:35 Uhr",
         "Veröffentlicht am Montag, 4. März 2024", "Von Anna Berg | Stand: 14:35 Uhr"),
        ("Die am 04.03.2024 aktualisierte Liste nennt 14 Tote.",),
    ),
    Pattern(
        "timestamp-fr",
        _stamp("Dernière mise à jour(?: le)?|Mis à jour(?: le)?|Publié(?: le)?"
               "|Modifié(?: le)?", _DAYS_FR, rf"\d{{1,2}}(?:er)? {_MONTHS_FR} \d{{4}}", "à"),
        ("Mis à jour le 4 mars 2024 à 14h35", "Publié le lundi 4 mars 2024 à 14:35",
         "Par Claire Dubois | Mis à jour le 04/03/2024 à 14h35"),
        ("Le décret publié le 4 mars 2024 entre en vigueur lundi.",),
    ),
    Pattern(
        "timestamp-es",
        _stamp("Última actualización|Actualizado(?: el)?|Publicado(?: el)?"
               "|Actualización", _DAYS_ES, rf"\d{{1,2}} de {_MONTHS_ES}(?: de \d{{4}})?",
               "a las|-"),
        ("Actualizado: 04/03/2024 14:35", "Publicado el 4 de marzo de 2024 a las 14:35",
         "Por Lucía Gómez | Actualizado el lunes, 4 de marzo de 2024 - 14:35 CET"),
        ("El informe publicado el 4 de marzo de 2024 cifra en 14 los muertos.",),
    ),
    Pattern(
        "reading-time",
        _piece(r"\d{1,3} ?min(?:ute)?s? read|Reading time:? \d{1,3} ?min(?:ute)?s?"
               r"|Lesezeit:? (?:ca\. )?\d{1,3} ?Min(?:\.|uten)?"
               r"|(?:Temps de )?lecture ?:? \d{1,3} ?min(?:utes?)?"
               r"|(?:Tiempo de )?lectura:? \d{1,3} ?min(?:utos?)?"),
        ("4 min read", "By Jane Holloway | 6 minute read", "Lesezeit: 3 Minuten",
         "Temps de lecture : 4 min", "Lectura: 5 minutos"),
        ("The talks took 45 minutes; reading the statement took 4 minutes.",),
    ),
    Pattern(
        "comment-count",
        _piece(r"\d{1,6} (?:comments?|Kommentare?|commentaires?|comentarios?)"
               r"|(?:Comments|Kommentare|Commentaires|Comentarios) ?\(\d{1,6}\)"),
        ("124 comments", "Comments (37)", "Kommentare (12)", "By Jane Holloway | 8 comments",
         "56 commentaires", "19 comentarios"),
        ("The ministry received 124 comments on the draft law.",),
    ),
)

#: Headings of boxes of rotating links ("Most read"...) and of share bars: a line that is
#: one of these (case aside, a colon after it allowed) is left out, with the list after it.
BOX_HEADINGS: frozenset[str] = frozenset({
    # English
    "most read", "most popular", "most viewed", "most shared", "trending", "trending now",
    "popular now", "read more", "related", "related articles", "related stories",
    "more on this story", "more stories", "you may also like", "recommended",
    "share this article", "share this story", "share this page", "share",
    # German
    "meistgelesen", "meistgelesene artikel", "am meisten gelesen", "meistgeklickt",
    "beliebteste artikel", "mehr zum thema", "das könnte sie auch interessieren",
    "auch interessant", "empfehlungen", "artikel teilen", "diesen artikel teilen", "teilen",
    # French
    "les plus lus", "les plus populaires", "les plus partagés", "à lire aussi", "lire aussi",
    "sur le même sujet", "à lire également", "partager cet article", "partager",
    # Spanish
    "lo más leído", "lo más visto", "más leídas", "más leídos", "más vistos",
    "te puede interesar", "lee también", "también te puede interesar",
    "noticias relacionadas", "compartir este artículo", "compartir esta noticia",
    "compartir",
})

#: Words of share bars: a line of only these words, with at least one of
#: :data:`SHARE_VERBS`, is left out ("Share on Facebook", "Link kopieren").
SHARE_WORDS: frozenset[str] = frozenset("""
    share sharing on via this article story page facebook twitter x whatsapp linkedin email
    e mail reddit bluesky threads telegram messenger pinterest mastodon copy copied link
    print tweet the url
    teilen auf per diesen artikel kopieren link drucken
    partager sur par cet article copier le lien imprimer
    compartir en por este artículo esta noticia copiar enlace imprimir el
""".split())
SHARE_VERBS: frozenset[str] = frozenset(
    {"share", "tweet", "copy", "copied", "teilen", "kopieren", "partager", "copier",
     "compartir", "copiar"})

_LIST_ITEM = re.compile(r"^\s*(?:[-\u2022*\u2013]|\d{1,2}[.)])\s")
_SPACES = re.compile(r"\s+")
_EDGES = f" \t{_SEP},;:/-"
_WORD = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@lru_cache(maxsize=256)
def _patterns(ignore: tuple[str, ...], defaults: bool) -> tuple[re.Pattern[str], ...]:
    own = tuple(re.compile(p) for p in ignore)
    if not defaults:
        return own
    return tuple(re.compile(p.regex) for p in DEFAULT_PATTERNS) + own


def _clean_line(line: str, patterns: Sequence[re.Pattern[str]]) -> str:
    """A line with the ignored text cut out, to a fixed point; '' when nothing is left."""
    while True:
        before = line
        line = _SPACES.sub(" ", line).strip()
        if len(line) > MAX_LINE:
            return line
        cut = line
        for rx in patterns:
            cut = rx.sub(" ", cut)
        if cut != line:
            line = _SPACES.sub(" ", cut).strip(_EDGES)
        if line == before:
            return line


def _is_share_line(line: str) -> bool:
    words = [w.casefold() for w in _WORD.findall(line)]
    return bool(words) and len(words) <= 12 and all(w in SHARE_WORDS for w in words) \
        and any(w in SHARE_VERBS for w in words)


def _is_heading(line: str) -> bool:
    return len(line) <= 60 and line.casefold().rstrip(" :").strip() in BOX_HEADINGS


def comparison_text(text: str, rules: NoiseRules = DEFAULT_RULES) -> str:
    """``text`` reduced to what counts when comparing captures (see the module docstring):
    ignored text cut from lines, emptied lines and share lines dropped, box headings dropped
    with the list lines after them, spaces collapsed, one blank line between paragraphs."""
    patterns = _patterns(rules.ignore, rules.defaults)
    lines = [_clean_line(line, patterns) if line.strip() else "" for line in text.split("\n")]
    out: list[str] = []
    skipping = False  # inside the list that follows a box heading
    for original, line in zip(text.split("\n"), lines, strict=True):
        if not line:
            if original.strip():
                continue  # emptied by a pattern: gone, not a paragraph break
            if out and out[-1]:
                out.append("")
            continue
        if rules.defaults and _is_heading(line):
            skipping = True
            continue
        if skipping and _LIST_ITEM.match(line):
            continue
        skipping = False
        if rules.defaults and _is_share_line(line):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def only_noise(old_text: str, new_text: str, rules: NoiseRules = DEFAULT_RULES) -> bool:
    """True when ``new_text`` differs from ``old_text`` only by noise: their comparison
    texts are equal, or (with ``min_change_words``) fewer words than that changed and no
    number did (a changed figure always counts)."""
    if old_text == new_text:
        return True
    a, b = comparison_text(old_text, rules), comparison_text(new_text, rules)
    if a == b:
        return True
    if rules.min_change_words <= 0 or Counter(_NUMBER.findall(a)) != Counter(_NUMBER.findall(b)):
        return False
    from newsarchive.diff.facts import word_change_counts  # the diff engine, only when needed

    added, removed = word_change_counts(a, b)
    return added + removed < rules.min_change_words


# -- before extraction -----------------------------------------------------------------------

_BOX_CLASS = re.compile(
    r"(?:^|[\s_-])(?:most-?read|most-?popular|most-?viewed|meistgelesen\w*|plus-?lus"
    r"|mas-?leid[oa]s?)(?:$|[\s_-])", re.IGNORECASE)
_SHARE_CLASS = re.compile(
    r"(?:^|[\s_-])(?:share|sharing|sharebar|share-?buttons?|social|social-?links"
    r"|social-?share)(?:$|[\s_-])", re.IGNORECASE)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


@lru_cache(maxsize=256)
def _xpaths(selectors: tuple[str, ...]) -> tuple[str, ...]:
    from cssselect import HTMLTranslator  # only pages with selector rules

    translator = HTMLTranslator()
    return tuple(translator.css_to_xpath(s) for s in selectors)


def drop_elements(tree: _Element, rules: NoiseRules = DEFAULT_RULES) -> int:
    """Remove from a parsed page (lxml) the elements the rules select; returns how many.

    With the defaults: boxes of rotating links (a class such as ``most-read``, or a heading
    of :data:`BOX_HEADINGS` with a list after it) and share bars (a class such as
    ``share-bar`` or ``social-links`` around a few words). An element's tail text is kept.
    """
    doomed: list[_Element] = []
    for xpath in _xpaths(rules.drop):
        doomed += tree.xpath(xpath)
    if rules.defaults:
        doomed += _default_drops(tree)
    removed = 0
    for el in doomed:
        if el.getparent() is None or not _attached(el, tree):
            continue  # the root, or inside something removed already
        _remove(el)
        removed += 1
    return removed


def _default_drops(tree: _Element) -> list[_Element]:
    found: list[_Element] = []
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        marks = f"{el.get('class', '')} {el.get('id', '')}".replace("_", "-")
        if _BOX_CLASS.search(marks) and _words(el) <= 150:
            found.append(el)
        elif _SHARE_CLASS.search(marks) and _words(el) <= 12:
            found.append(el)
        elif el.tag in _HEADINGS and _is_heading(" ".join("".join(el.itertext()).split())):
            box = el.getparent()
            if box is not None and box.tag not in ("body", "article", "main") \
                    and _words(box) - _words(el) <= 80 \
                    and not any(_words(p) > 40 for p in box.iter("p")):
                found.append(box)  # a box of its own: the heading and its links
            else:
                found.append(el)  # a heading inside the article: it and its list
                nxt = el.getnext()
                if nxt is not None and nxt.tag in ("ul", "ol"):
                    found.append(nxt)
    return found


def _words(el: _Element) -> int:
    return len(_WORD.findall("".join(el.itertext())))


def _attached(el: _Element, root: _Element) -> bool:
    node: _Element | None = el
    while node is not None:
        if node is root:
            return True
        node = node.getparent()
    return False


def _remove(el: _Element) -> None:
    """Remove ``el`` keeping its tail text in place."""
    parent = el.getparent()
    assert parent is not None
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def clean_html(data: bytes, rules: NoiseRules = DEFAULT_RULES) -> bytes:
    """A page with :func:`drop_elements` applied, serialised again (for extraction only:
    the original page is what is archived)."""
    from lxml import etree  # the HTML parser, only when a page is cleaned
    from lxml.html import HTMLParser, document_fromstring

    tree = document_fromstring(data, parser=HTMLParser(encoding=_charset(data)))
    if drop_elements(tree, rules) == 0:
        return data
    for meta in tree.iter("meta"):  # the bytes written are UTF-8, whatever the page said
        if meta.get("charset") is not None:
            meta.set("charset", "utf-8")
        elif (meta.get("http-equiv") or "").lower() == "content-type":
            meta.set("content", "text/html; charset=utf-8")
    return bytes(etree.tostring(tree, encoding="utf-8", method="html",
                                doctype="<!DOCTYPE html>"))


def _charset(data: bytes) -> str | None:
    m = re.search(rb"<meta[^>]{0,200}charset=[\"']?([\w-]{1,40})", data[:4096], re.IGNORECASE)
    return m.group(1).decode("ascii") if m else None
