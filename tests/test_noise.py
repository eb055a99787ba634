"""Noise rules (newsarchive.ingest.noise): each built-in rule cleans what it is for and
leaves real sentences alone; comparison text is idempotent; selectors drop elements before
extraction; realistic pages whose only changes are noise compare equal."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml.html import document_fromstring, tostring

from newsarchive.config import NoiseConfig, regex_problem
from newsarchive.ingest.html import html_to_draft
from newsarchive.ingest.noise import (
    BOX_HEADINGS,
    DEFAULT_PATTERNS,
    MAX_LINE,
    NoiseRules,
    RuleBook,
    clean_html,
    comparison_text,
    drop_elements,
    only_noise,
    rules_for,
)

PAGES = Path(__file__).parent / "data" / "pages"
URL = "https://news.example.org/world/2024/03/04/storm-elin-floods"

# Sentences of real articles, in the four languages, near the built-in rules' words
ARTICLE_SENTENCES = [
    "The council updated its rules 3 minutes before the vote.",
    "Updated figures released two days ago show 14 dead.",
    "Share prices fell 3% on Monday after the announcement.",
    "Most read books this year were thrillers, the survey found.",
    "Facebook shares fell sharply.",
    "Related: the minister resigned in 2019 over a similar scandal.",
    "The report, published on 4 March 2024, found 12 people had died.",
    "Posted to Kyiv in 2022, she reported on the war for two years.",
    "Die Regierung hat die Regeln vor 5 Minuten aktualisiert.",
    "Teilen Sie Ihre Meinung mit uns, sagte der Bürgermeister.",
    "Stand der Ermittlungen: Die Polizei sucht weiter nach Zeugen.",
    "Le texte a été mis à jour il y a trois jours par le ministère.",
    "Partager les richesses, c'est le programme du candidat.",
    "El Gobierno actualizó hace 5 minutos las cifras de víctimas.",
    "Compartir la información con la policía es obligatorio, dijo el juez.",
    "- 12 people were killed in the first wave of the attack",
    "Updated",
    "Comments from the minister were not available.",
]


def clean(text: str, rules: NoiseRules | None = None) -> str:
    return comparison_text(text, rules or NoiseRules())


# -- the built-in patterns, one by one -------------------------------------------------------


@pytest.mark.parametrize("pattern", DEFAULT_PATTERNS, ids=lambda p: p.name)
def test_every_default_pattern_is_a_safe_pattern(pattern: object) -> None:
    assert regex_problem(pattern.regex) is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "line"), [
    (p.name, line) for p in DEFAULT_PATTERNS for line in p.examples
])
def test_every_default_pattern_cleans_its_examples(name: str, line: str) -> None:
    pattern = next(p for p in DEFAULT_PATTERNS if p.name == name)
    import re

    assert re.search(pattern.regex, line), f"{name} does not match its example {line!r}"
    assert clean(line) != line


@pytest.mark.parametrize(("name", "line"), [
    (p.name, line) for p in DEFAULT_PATTERNS for line in p.keeps
])
def test_no_default_pattern_eats_a_real_sentence(name: str, line: str) -> None:
    assert clean(line) == line


@pytest.mark.parametrize("line", ARTICLE_SENTENCES)
def test_real_sentences_survive_every_default_rule(line: str) -> None:
    assert clean(line) == line


@pytest.mark.parametrize(("line", "left"), [
    ("By Jane Holloway | Updated 3 minutes ago", "By Jane Holloway"),
    ("Updated 3 minutes ago | Politics", "Politics"),
    ("Reuters \u00b7 5 mins ago \u00b7 World", "Reuters \u00b7 World"),
    ("Von Anna Berg | Aktualisiert vor 2 Std.", "Von Anna Berg"),
    ("Par Claire Dubois | Mis à jour le 04/03/2024 à 14h35", "Par Claire Dubois"),
    ("Por Lucía Gómez | Actualizado el lunes, 4 de marzo de 2024 - 14:35 CET", "Por Lucía Gómez"),
    ("Last updated: 4 March 2024, 14:35 GMT", ""),
    ("Aktualisiert vor 5 Minuten", ""),
    ("Mis à jour il y a 5 minutes", ""),
    ("Actualizado hace 5 minutos", ""),
    ("By Jane Holloway | 6 minute read | 8 comments", "By Jane Holloway"),
])
def test_what_is_left_of_a_meta_line(line: str, left: str) -> None:
    assert clean(line) == left


@pytest.mark.parametrize("heading", ["Most read", "Meistgelesen", "Les plus lus",
                                     "Lo más leído", "MOST POPULAR", "Related articles:"])
def test_a_box_heading_goes_with_its_list(heading: str) -> None:
    text = (f"First paragraph of the story.\n\n{heading}\n\n- Government survives vote\n\n"
            "- Underdogs stun champions\n\nSecond paragraph of the story.")
    assert clean(text) == "First paragraph of the story.\n\nSecond paragraph of the story."
    assert heading.casefold().rstrip(":") in BOX_HEADINGS


def test_a_list_not_after_a_box_heading_stays() -> None:
    text = "The demands:\n\n- a ceasefire\n\n- the release of prisoners"
    assert clean(text) == text


@pytest.mark.parametrize("line", ["Share on Facebook", "Share this article", "Copy link",
                                  "Artikel teilen", "Link kopieren", "Partager sur Facebook",
                                  "Copier le lien", "Compartir en WhatsApp", "Copiar enlace",
                                  "Share on X \u00b7 Share via Email"])
def test_share_lines_go(line: str) -> None:
    assert clean(f"{line}\n\nThe story.") == "The story."


def test_long_lines_are_never_matched() -> None:
    """Patterns see lines of at most MAX_LINE characters: prose is left as it is."""
    prose = "word " * 70 + "| Updated 3 minutes ago"
    assert len(prose) > MAX_LINE and clean(prose) == " ".join(prose.split())
    short = "By Jane Holloway | Updated 3 minutes ago"
    assert clean(short) == "By Jane Holloway"


def test_the_defaults_can_be_turned_off_and_rules_added() -> None:
    text = "By Jane | Updated 3 minutes ago\n\nReporting by Tom Lee; editing by Ann Roe"
    assert clean(text, NoiseRules(defaults=False)) == text
    own = NoiseRules(ignore=(r"^Reporting by .*$",), defaults=False)
    assert clean(text, own) == "By Jane | Updated 3 minutes ago"
    both = NoiseRules(ignore=(r"^Reporting by .*$",))
    assert clean(text, both) == "By Jane"


def test_rules_applied_on_hostile_lines_take_no_time() -> None:
    lines = [c * MAX_LINE for c in " a1.|-:"] + [("Updated 3 " * 40)[:MAX_LINE],
                                                 ("vor 5 " * 60)[:MAX_LINE],
                                                 ("il y a " * 50)[:MAX_LINE]]
    start = time.perf_counter()
    clean("\n".join(lines * 5))
    assert time.perf_counter() - start < 2.0


# -- idempotence ---------------------------------------------------------------------------

pieces = st.sampled_from([
    "Updated 3 minutes ago", "By Jane Holloway", "|", " | ", "\u00b7", "Most read", "- item",
    "- 12 people", "Share on Facebook", "Aktualisiert vor 5 Minuten", "Last updated:",
    "4 March 2024", "14:35 GMT", "Mis à jour il y a 2 h", "hace 3 horas", "Comments (4)",
    "The council met.", "   ", "\n", "\n\n", "Updated", "ago", "3", "minutes", ",", "-",
    "Share", "link", "x" * 120, "Related:", "4 min read",
])
texts = st.lists(pieces, max_size=25).map(" ".join) | st.text(max_size=300)


@settings(max_examples=400, deadline=None)
@given(texts, st.booleans())
def test_comparison_text_is_idempotent(text: str, defaults: bool) -> None:
    rules = NoiseRules(ignore=(r"(?i)editing by \w+", r"^x+$"), defaults=defaults)
    once = comparison_text(text, rules)
    assert comparison_text(once, rules) == once


@settings(max_examples=200, deadline=None)
@given(texts)
def test_comparison_text_never_grows_the_words(text: str) -> None:
    import re

    assert len(re.findall(r"\w+", clean(text))) <= len(re.findall(r"\w+", text))


# -- rules for an article -----------------------------------------------------------------------


def test_rules_for_an_article_add_up() -> None:
    tables = [
        NoiseConfig(ignore=("all-sources",)),
        NoiseConfig(sources=("reuters.com",), drop=("div.trending",), ignore=("reuters",),
                    min_change_words=3),
        NoiseConfig(sources=("dpa",), ignore=("dpa",), defaults=False, min_change_words=5),
    ]
    uk = rules_for(tables, source="reuters", url="https://uk.reuters.com/world/x")
    assert uk == NoiseRules(("div.trending",), ("all-sources", "reuters"), 3, True)
    assert rules_for(tables, url="https://www.reuters.com/x").ignore == ("all-sources",
                                                                         "reuters")
    assert rules_for(tables, url="https://notreuters.com/x").ignore == ("all-sources",)
    dpa = rules_for(tables, source="DPA", url="https://dpa.example/x")
    assert (dpa.ignore, dpa.defaults, dpa.min_change_words) == (("all-sources", "dpa"),
                                                                 False, 5)
    assert rules_for([]) == NoiseRules()


def test_min_change_words_but_never_a_number() -> None:
    old = "The storm hit the coast on Monday. At least 12 people died."
    rules = NoiseRules(min_change_words=3)
    assert only_noise(old, old.replace("hit", "struck"), rules)  # 2 words < 3
    assert not only_noise(old, old.replace("hit the coast", "struck the north"), rules)
    assert not only_noise(old, old.replace("12", "14"), rules)  # a figure always counts
    assert not only_noise(old, old.replace("hit", "struck"))  # no threshold by default


# -- before extraction ------------------------------------------------------------------------

PAGE = b"""<html><body><article>
<p>Para one.</p><div class="trending"><p>Trending: something</p></div>tail text
<div class="ad-slot" id="ad1">Advertisement</div>
<section><h3>Most read</h3><ul><li>A</li><li>B</li></ul></section>
<div class="story__share">Share on Facebook</div>
<div class="shareholders"><p>Shareholders met on Monday to vote on the merger proposal.</p></div>
<p>Para two.</p></article></body></html>"""


def test_selectors_and_the_default_boxes_are_dropped() -> None:
    tree = document_fromstring(PAGE)
    n = drop_elements(tree, NoiseRules(drop=("div.trending", "#ad1")))
    html = tostring(tree, encoding="unicode")
    assert n == 4
    for gone in ("Trending", "Advertisement", "Most read", "Share on Facebook"):
        assert gone not in html
    for kept in ("Para one.", "tail text", "Shareholders met", "Para two."):
        assert kept in html


def test_a_box_heading_inside_the_article_takes_only_its_list() -> None:
    page = (b"<html><body><div class='body'><p>" + b"Long paragraph words here. " * 20 +
            b"</p><h3>Most read</h3><ol><li>A</li></ol><p>Last words.</p></div></body></html>")
    tree = document_fromstring(page)
    assert drop_elements(tree) == 2
    html = tostring(tree, encoding="unicode")
    assert "Long paragraph" in html and "Last words." in html and "<ol>" not in html


def test_no_defaults_no_drops() -> None:
    tree = document_fromstring(PAGE)
    assert drop_elements(tree, NoiseRules(defaults=False)) == 0


def test_clean_html_keeps_the_page_readable_in_any_encoding() -> None:
    page = ("<html><head><meta charset='iso-8859-1'><title>Über</title></head><body><article>"
            "<p>Große Überschwemmungen im Süden: Die Lage bleibt ernst, sagte der Minister "
            "am Montag in München.</p><aside class='most-read'><h2>Meistgelesen</h2></aside>"
            "</article></body></html>").encode("iso-8859-1")
    out = clean_html(page)
    assert b"Meistgelesen" not in out
    draft = html_to_draft(out, origin="x", url="https://example.de/a")
    assert "Große Überschwemmungen im Süden" in draft.text
    assert clean_html(b"<html><body><p>Nothing to drop.</p></body></html>") == \
        b"<html><body><p>Nothing to drop.</p></body></html>"


# -- realistic pages ---------------------------------------------------------------------------


def book(rules: NoiseRules) -> RuleBook:
    """A rule book that gives ``rules`` for every article."""
    return RuleBook([NoiseConfig(drop=rules.drop, ignore=rules.ignore,
                                 min_change_words=rules.min_change_words or None,
                                 defaults=rules.defaults)])


def extract(name: str, rules: NoiseRules | None = None) -> tuple[str, str | None]:
    """The text and title of a page, its elements dropped by ``rules`` in extraction."""
    draft = html_to_draft((PAGES / name).read_bytes(), origin=name, url=URL,
                          noise=book(rules or NoiseRules()))
    return draft.text, draft.title


def test_extraction_drops_what_clean_html_drops() -> None:
    data = (PAGES / "article.html").read_bytes()
    for rules in (NoiseRules(), NoiseRules(drop=("span.byline",))):
        cleaned = html_to_draft(clean_html(data, rules), origin="a", url=URL,
                                noise=book(NoiseRules(defaults=False)))
        assert extract("article.html", rules) == (cleaned.text, cleaned.title)


def test_a_page_whose_only_changes_are_a_timestamp_and_the_most_read_box_is_unchanged() -> None:
    raw = RuleBook([NoiseConfig(defaults=False)])  # nothing dropped before extraction
    raw_old = html_to_draft((PAGES / "article.html").read_bytes(), origin="a", url=URL,
                            noise=raw)
    raw_new = html_to_draft((PAGES / "article-updated.html").read_bytes(), origin="b", url=URL,
                            noise=raw)
    assert raw_old.text != raw_new.text  # as extracted, they differ: the noise leaks
    assert "Updated 3 minutes ago" in raw_old.text and "Most read" in raw_old.text
    assert only_noise(raw_old.text, raw_new.text)  # the text rules alone
    old, title_old = extract("article.html")
    new, title_new = extract("article-updated.html")
    assert title_old == title_new
    assert comparison_text(old) == comparison_text(new)  # the element rules, then the text
    assert "Underdogs" not in old and "Leaders meet" not in new


def test_the_same_page_with_a_changed_casualty_figure_is_a_change() -> None:
    old, _ = extract("article.html")
    new, title = extract("article-revised.html")
    assert not only_noise(old, new)
    assert not only_noise(old, new, NoiseRules(min_change_words=10))
    assert title == "Storm Elin: at least 14 dead as floods sweep through river towns"
    assert "At least 14 people were killed" in comparison_text(new)


def test_without_the_defaults_the_noise_is_a_change() -> None:
    off = NoiseRules(defaults=False)
    old, _ = extract("article.html", off)
    new, _ = extract("article-updated.html", off)
    assert not only_noise(old, new, off)
