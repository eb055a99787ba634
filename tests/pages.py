"""Realistic saved news pages for the identity tests: 20 articles in four page styles
(a WordPress blog, a newspaper with JSON-LD and a canonical link, a German site whose
``<p>`` source lines are wrapped, a wire service with only ``og:url``), each in two
versions, as a browser's "save page" writes them (no capture header)."""

from __future__ import annotations

import html
import random

PLACES = ["Giessen", "Lyon", "Porto", "Gdansk", "Tampere", "Bilbao", "Graz", "Utrecht",
          "Aarhus", "Brno", "Cork", "Bergen", "Turin", "Kassel", "Nantes", "Leuven",
          "Malmo", "Split", "Trier", "Kosice"]
TOPICS = ["flood warning", "council vote", "rail strike", "hospital funding", "bridge repair",
          "school closures", "wildfire", "port expansion", "tram line", "budget cuts",
          "heat wave", "election count", "water shortage", "museum reopening", "bus fares",
          "housing plan", "airport noise", "river cleanup", "court ruling", "power outage"]


def _paragraphs(i: int, version: int) -> list[str]:
    rng = random.Random(i)
    place, topic = PLACES[i], TOPICS[i]
    figure = rng.randrange(120, 900)
    if version == 2:
        figure += rng.randrange(10, 90)
    return [
        f"Officials in {place} said on Tuesday that the {topic} would affect about "
        f"{figure} households, more than first expected, and asked residents to follow "
        "the advice published on the city's website.",
        f"The mayor of {place} told reporters that emergency teams had worked through the "
        "night. \u201cWe are doing everything we can, and we will keep people informed,\u201d "
        "she said at a press conference in the town hall.",
        f"Local businesses said the {topic} had already cost them customers. Several shop "
        "owners described the week as the hardest since the pandemic, and the chamber of "
        "commerce called for direct help from the regional government.",
        "Opposition councillors questioned the timing of the announcement and asked why "
        "warnings had not been issued earlier, when the first reports reached the council "
        "two weeks ago.",
    ] + (["Correction: an earlier version of this article gave the wrong date for the "
          "council meeting."] if version == 2 and i % 3 == 0 else [])


def _slug(i: int) -> str:
    return f"{PLACES[i].lower()}-{TOPICS[i].replace(' ', '-')}"


def page(i: int, version: int, *, host: str = "news.example") -> bytes:
    """Article ``i`` (0..19) in its version 1 or 2, in one of four page styles."""
    title = f"{TOPICS[i].capitalize()} in {PLACES[i]}"
    if version == 2 and i % 4 == 1:
        title += ": residents told to prepare"
    paras = _paragraphs(i, version)
    style = i % 4
    url = f"https://{host}/{['blog', 'news', 'lokales', 'wire'][style]}/{_slug(i)}"
    if style == 0:  # a WordPress blog: rel=canonical, article:published_time
        head = (f'<link rel="canonical" href="{url}/">'
                '<meta property="article:published_time" content="2024-03-0'
                f'{1 + i % 9}T08:00:00+00:00">')
        body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paras)
        main = (f'<article class="post"><h1 class="entry-title">{html.escape(title)}</h1>'
                f'<div class="entry-content">{body}</div></article>'
                '<aside class="widget"><h3>Recent posts</h3><ul><li>Other story</li></ul>'
                "</aside>")
    elif style == 1:  # a newspaper: JSON-LD, canonical link, no visible date
        head = (f'<link rel="canonical" href="{url}">'
                '<script type="application/ld+json">{"@type": "NewsArticle", '
                f'"headline": "{title}", "datePublished": "2024-03-1{i % 9}"}}</script>')
        body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paras)
        main = (f"<main><h1>{html.escape(title)}</h1><div class='story-body'>{body}</div>"
                "<div class='share'>Share this article</div></main>")
    elif style == 2:  # a German site: wrapped <p> source lines, a date in the markup
        head = (f'<link rel="canonical" href="{url}.html">'
                f'<meta name="date" content="2024-02-{10 + i % 9}">')
        body = "".join("<p>" + "\n        ".join(html.escape(p).split(". ")) + "</p>\n"
                       for p in paras)
        main = (f"<div id='content'><h1>{html.escape(title)}</h1>{body}</div>"
                "<footer>Impressum</footer>")
    else:  # a wire service: og:url only, no date at all
        head = f'<meta property="og:url" content="{url}?ref=rss">'
        body = "".join(f"<p>{html.escape(p)}</p>\n" for p in paras)
        main = f"<div class='article'><h1>{html.escape(title)}</h1>{body}</div>"
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f" | Daily</title>{head}</head><body><nav>Home | World | Local</nav>{main}"
            "</body></html>").encode()
