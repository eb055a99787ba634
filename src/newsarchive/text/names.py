"""Names built from text: slugs, sources, article IDs and derived titles (SPEC 3).

Names are ASCII. Other scripts are transliterated by anyascii (Cyrillic, Greek, Arabic,
Hangul, Latin letters with marks: ``новость`` -> ``novost``), except Han and kana, whose
readings depend on the language (Japanese text would come out as Chinese pinyin): a name
made only of those falls through to the next rule, and in the end to a short stable name
from a hash (:func:`short_name`).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from newsarchive.text.dates import DATE_RE
from newsarchive.text.sentences import sentence_tokens

if TYPE_CHECKING:
    import ipaddress

SOURCE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
SLUG_RE = re.compile(r"^[a-z0-9-]{1,96}$")
SLUG_MAX = 96
TITLE_MAX = 120


# Han (with its extensions and compatibility forms) and kana: no reading without the language
_HAN_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
                       "\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]+")
_APOSTROPHES = re.compile("['\u2019\u02bc]")


def to_ascii(text: str) -> str:
    """Transliterate to ASCII (anyascii); Han and kana are dropped (see the module
    docstring), and so are apostrophes (``Putin's`` -> ``Putins``)."""
    if text.isascii():
        return _APOSTROPHES.sub("", text)
    from anyascii import anyascii  # non-ASCII names only: its tables cost start-up time

    return _APOSTROPHES.sub("", anyascii(_HAN_KANA.sub(" ", text)))


def slugify(text: str, limit: int = SLUG_MAX) -> str:
    """A slug of at most ``limit`` characters from any text; '' when nothing is left."""
    slug = re.sub(r"[^a-z0-9]+", "-", to_ascii(text).lower()).strip("-")
    if len(slug) > limit:
        cut = slug[:limit]
        slug = cut.rsplit("-", 1)[0] if "-" in cut and slug[limit] != "-" else cut
        slug = slug.strip("-")
    return slug


def first_words(text: str, n: int = 8) -> str:
    return " ".join(text.split()[:n])


def first_sentence(text: str, limit: int = TITLE_MAX) -> str:
    """The first sentence of the text, cut at a word boundary to ``limit`` characters."""
    para = text.strip().split("\n", 1)[0].strip()
    sentence = next((t for t in sentence_tokens(para) if not t.isspace()), para)
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit + 1].rsplit(" ", 1)[0] if " " in sentence[:limit] else sentence[:limit]
    return cut[:limit].rstrip(" ,;:")


def _ipv6(value: str) -> ipaddress.IPv6Address | None:
    import ipaddress  # IPv6 hosts only: the module builds its tables at import

    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return address if isinstance(address, ipaddress.IPv6Address) else None


def normalize_source(value: str) -> str:
    """A valid SOURCE from user input or a URL host; '' when none can be made.

    One rule for every source, given or from a URL: lower case, a leading ``www.``
    dropped, other characters than letters, digits, ``.``, ``_`` and ``-`` made ``-``
    (``www.politico.eu`` and ``Politico.EU`` are ``politico.eu``); an IPv6 address is
    ``ipv6-`` and its groups (``[::1]`` is ``ipv6-1``)."""
    value = value.strip().lower().strip("[]")
    address = _ipv6(value) if ":" in value else None
    if address is not None:
        value = "ipv6-" + re.sub("-+", "-", address.compressed.replace(":", "-")).strip("-")
    if value.startswith("www."):
        value = value[4:]
    value = re.sub(r"[^a-z0-9._-]+", "-", to_ascii(value).lower())
    value = value.lstrip("._-")[:64].rstrip("-")
    return value if SOURCE_RE.match(value) else ""


def source_from_url(url: str) -> str:
    """SOURCE from a URL's host (``www.politico.eu`` -> ``politico.eu``); '' if none."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return normalize_source(host)


# Path words that name a kind of page, not an article (skipped when making a slug)
GENERIC_SEGMENTS = frozenset({
    "index", "amp", "story", "stories", "article", "articles", "news", "default", "detail",
    "details", "read", "view", "p", "page", "post", "posts", "item", "content", "show",
})
# Query parameters that identify an article (``detail?id=1``, WordPress's ``?p=123``):
# part of its slug, so that two such articles never share one
ID_PARAMS = ("id", "p", "story", "storyid", "story_id", "article", "articleid",
             "article_id", "aid", "newsid", "news_id", "itemid", "item", "nid", "cid",
             "postid", "post", "page_id", "sid", "docid", "contentid")


def slug_from_url(url: str) -> str:
    """The slug of the last meaningful path segment of a URL; '' if none.

    Generic path words are skipped (:data:`GENERIC_SEGMENTS`), and so are numbers
    (``/2024/04/03/story``), except one that ends the path after a word: the article's
    own ID (``/politics/12345``), kept after that word so that two such articles never
    share a slug (``politics-12345``). A query parameter that identifies the article
    (:data:`ID_PARAMS`) is added the same way (``/news/detail?id=1`` -> ``id-1``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    stems = [re.sub(r"\.(html?|php|aspx?|jsp|cms|shtml)$", "", unquote(s), flags=re.I)
             for s in parts.path.split("/") if s]
    generic = [s for s in stems if s.lower() in GENERIC_SEGMENTS]
    stems = [s for s in stems if s.lower() not in GENERIC_SEGMENTS]

    def is_number(stem: str) -> bool:
        return stem.isascii() and stem.isdigit()

    number = ""
    if stems and is_number(stems[-1]) and (len(stems) == 1 or not is_number(stems[-2])):
        number = stems.pop()[:SLUG_MAX]
    params = dict((k.lower(), v) for k, v in parse_qsl(parts.query) if v)
    key = next((k for k in ID_PARAMS if k in params), None)
    ident = slugify(f"{key} {params[key]}") if key else ""
    base = next((slug for stem in reversed(stems) if not is_number(stem)
                 for slug in [slugify(stem)] if slug), "")
    if number and not base and generic:  # /p/12: "p-12" reads better than "12"
        base = slugify(generic[-1])
    pieces = [p for p in (base, number, ident) if p]
    if base and ident:  # the path word is context, the parameter the identity
        pieces = [base, ident.split("-", 1)[1] if "-" in ident else ident]
    return slugify("-".join(pieces))


_VERSION_SUFFIX = re.compile(r"(?:[._-]v?\d{1,3})+$", re.I)


def strip_version(name: str) -> str:
    """A file name without a version suffix: ``story.v2``, ``story-3``, ``story.1`` ->
    ``story`` (saved versions of one page are one article)."""
    return _VERSION_SUFFIX.sub("", name) or name


def short_name(seed: str) -> str:
    """A short stable slug for a text with no Latin spelling (``a-`` and 10 hex digits of
    its hash): the same seed, the same name."""
    return "a-" + hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()[:10]


def make_id(source: str, date: str, slug: str) -> str:
    return f"{source}/{date}/{slug}"


def is_valid_id(article_id: str) -> bool:
    """True for a well-formed ``SOURCE/DATE/SLUG``: the only names ever turned into paths."""
    parts = article_id.split("/")
    return (
        len(parts) == 3
        and bool(SOURCE_RE.match(parts[0]))
        and bool(DATE_RE.match(parts[1]))
        and bool(SLUG_RE.match(parts[2]))
    )
