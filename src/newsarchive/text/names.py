"""Names built from text: slugs, sources, article IDs and derived titles (SPEC 3)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit

from newsarchive.text.dates import DATE_RE
from newsarchive.text.sentences import sentence_tokens

SOURCE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
SLUG_RE = re.compile(r"^[a-z0-9-]{1,96}$")
SLUG_MAX = 96
TITLE_MAX = 120


# Letters NFKD does not decompose into ASCII, spelled the way slugs usually spell them.
_TRANSLIT = str.maketrans(
    {
        "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
        "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th",
        "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i", "ħ": "h", "Ħ": "H",
        "\u2019": "", "'": "",
    }
)


def to_ascii(text: str) -> str:
    """Transliterate to ASCII where possible; drop what has no ASCII spelling."""
    text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
    return text.encode("ascii", "ignore").decode("ascii")


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


def normalize_source(value: str) -> str:
    """A valid SOURCE from user input or a URL host; '' when none can be made."""
    value = value.strip().lower()
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


_NOT_SLUG_SEGMENTS = {"index", "amp", "story", "article", "articles", "news", "default"}


def slug_from_url(url: str) -> str:
    """The slug of the last meaningful path segment of a URL; '' if none.

    Numbers are skipped (``/2024/04/03/story``), except one that ends the path after a
    word: the article's own ID (``/politics/12345``), kept after that word so that two
    such articles never share a slug (``politics-12345``)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    stems = [re.sub(r"\.(html?|php|aspx?|jsp|cms|shtml)$", "", unquote(s), flags=re.I)
             for s in path.split("/") if s]
    stems = [s for s in stems if s.lower() not in _NOT_SLUG_SEGMENTS]
    def is_number(stem: str) -> bool:
        return stem.isascii() and stem.isdigit()

    number = ""
    if stems and is_number(stems[-1]) and (len(stems) == 1 or not is_number(stems[-2])):
        number = stems.pop()[:SLUG_MAX]
    for stem in reversed(stems):
        if is_number(stem):
            continue
        slug = slugify(stem)
        if slug and number:
            return f"{slug[:SLUG_MAX - len(number) - 1].rstrip('-')}-{number}".lstrip("-")
        if slug:
            return slug
    return number


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
