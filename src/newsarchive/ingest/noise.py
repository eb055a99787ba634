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
English, German, French and Spanish (:mod:`newsarchive.ingest.boilerplate`), each with
examples of what it is for and sentences it must leave alone, which the tests check.

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
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from newsarchive.config import NoiseConfig
from newsarchive.ingest.boilerplate import (
    BOX_HEADINGS,
    DEFAULT_PATTERNS,
    OPEN,
    SEPARATORS,
    SHARE_VERBS,
    SHARE_WORDS,
    Pattern,
)
from newsarchive.text.strings import differ_beyond_spacing

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
    "RuleBook",
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
    host = _host(url)
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


class RuleBook:
    """The config's ``[[noise]]`` tables, resolved for each article (:func:`rules_for`,
    remembered by source and site: a run meets few of them)."""

    def __init__(self, tables: Iterable[NoiseConfig] = ()) -> None:
        self.tables = tuple(tables)
        self._found: dict[tuple[str | None, str], NoiseRules] = {}

    def rules(self, *, source: str | None = None, url: str | None = None) -> NoiseRules:
        """The rules of an article of ``source`` at ``url``."""
        if not self.tables:
            return DEFAULT_RULES
        key = (source, _host(url))
        found = self._found.get(key)
        if found is None:
            if len(self._found) > 4096:
                self._found.clear()
            found = self._found[key] = rules_for(self.tables, source=source, url=url)
        return found


def _host(url: str | None) -> str:
    if not url:
        return ""
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def _applies(wanted: str, names: set[str], host: str) -> bool:
    wanted = wanted.casefold().strip().rstrip(".")
    if wanted in names:
        return True
    if wanted.startswith("www."):
        wanted = wanted[4:]
    return bool(host) and (host == wanted or host.endswith("." + wanted))


_LIST_ITEM = re.compile(r"^\s*(?:[-\u2022*\u2013]|\d{1,2}[.)])\s")
_SPACES = re.compile(r"\s+")
_EDGES = f" \t{SEPARATORS},;:/-"
_WORD = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


# a pattern and whether it is a built-in "piece" (it can only match at the start of a line
# or at a separator: a line with no separator needs one try at its start, not a scan)
_Rule = tuple[re.Pattern[str], bool]
_PIECE = f"(?i){OPEN}"
_ANY_SEPARATOR = re.compile(f"[{re.escape(SEPARATORS)}]")


@lru_cache(maxsize=256)
def _patterns(ignore: tuple[str, ...], defaults: bool) -> tuple[_Rule, ...]:
    own = tuple((re.compile(p), False) for p in ignore)
    if not defaults:
        return own
    return tuple((re.compile(p.regex), p.regex.startswith(_PIECE))
                 for p in DEFAULT_PATTERNS) + own


@lru_cache(maxsize=8192)
def _clean_line(line: str, ignore: tuple[str, ...], defaults: bool) -> str:
    """A line with the ignored text cut out, to a fixed point; '' when nothing is left.
    Remembered: the captures of an article share most of their lines."""
    patterns = _patterns(ignore, defaults)
    while True:
        before = line
        line = " ".join(line.split())  # _SPACES.sub(" ", line).strip(), 3x as fast
        if len(line) > MAX_LINE:
            return line
        cut = line
        for rx, piece in patterns:
            if piece and not _ANY_SEPARATOR.search(cut):
                if rx.match(cut):  # (a match at the start is the only one possible)
                    cut = rx.sub(" ", cut, count=1)
                continue
            cut = rx.sub(" ", cut)
        if cut != line:
            line = _SPACES.sub(" ", cut).strip(_EDGES)
        if line == before:
            return line


def _is_share_line(line: str) -> bool:
    if len(line) > 200:  # twelve share words at most: a paragraph is not a share bar
        return False
    words = [w.casefold() for w in _WORD.findall(line)]
    return bool(words) and len(words) <= 12 and all(w in SHARE_WORDS for w in words) \
        and any(w in SHARE_VERBS for w in words)


def _is_heading(line: str) -> bool:
    return len(line) <= 60 and line.casefold().rstrip(" :").strip() in BOX_HEADINGS


def comparison_text(text: str, rules: NoiseRules = DEFAULT_RULES) -> str:
    """``text`` reduced to what counts when comparing captures (see the module docstring):
    ignored text cut from lines, emptied lines and share lines dropped, box headings dropped
    with the list lines after them, spaces collapsed, one blank line between paragraphs."""
    ignore, defaults = rules.ignore, rules.defaults
    lines = [_clean_line(line, ignore, defaults) if line.strip() else ""
             for line in text.split("\n")]
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


@lru_cache(maxsize=64)
def _comparison(text: str, rules: NoiseRules) -> str:
    """:func:`comparison_text`, remembered: a revision's text is compared with each capture
    that may confirm it."""
    return comparison_text(text, rules)


def differs_by_noise(old_text: str, new_text: str, rules: NoiseRules = DEFAULT_RULES) -> bool:
    """Whether two texts differ, and only by noise. Texts that differ in their spacing
    alone do not: that is a ``minor`` revision, as it always was, not ignored text."""
    return differ_beyond_spacing(old_text, new_text) and only_noise(old_text, new_text, rules)


def only_noise(old_text: str, new_text: str, rules: NoiseRules = DEFAULT_RULES) -> bool:
    """True when ``new_text`` differs from ``old_text`` only by noise: their comparison
    texts are equal, or (with ``min_change_words``) fewer words than that changed and no
    number did (a changed figure always counts)."""
    if old_text == new_text:
        return True
    a, b = _comparison(old_text, rules), _comparison(new_text, rules)
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
        remove_keeping_tail(el)
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


def remove_keeping_tail(el: _Element, prefix: str = "") -> None:
    """Remove ``el`` keeping its tail text (after ``prefix``) in place."""
    parent = el.getparent()
    assert parent is not None
    tail = prefix + (el.tail or "")
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
