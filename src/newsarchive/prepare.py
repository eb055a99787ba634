"""Resolving a ``Draft`` into an article ID, canonical text and validated metadata (SPEC 3-5)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, fields

from newsarchive.errors import InputError
from newsarchive.model import Draft
from newsarchive.text import (
    DATE_RE,
    canonicalize,
    content_hash,
    first_sentence,
    first_words,
    make_id,
    normalize_source,
    slug_from_url,
    slugify,
    source_from_url,
)

OVERRIDES = ("source", "date", "title", "url", "slug", "captured_at", "author")


@dataclass(frozen=True)
class Prepared:
    """A draft ready to store: every field valid, text canonical."""

    id: str
    source: str
    date: str
    slug: str
    text: str
    hash: str
    title: str
    url: str | None
    author: str | None
    captured_at: str
    original: bytes | None
    original_type: str | None
    origin: str
    revision: int | None = None
    captured_given: bool = False  # the input named its capture time (not "now")


def apply_overrides(draft: Draft, **overrides: str | None) -> Draft:
    """Options given by the caller win over what the input says."""
    names = {f.name for f in fields(Draft)}
    for key, value in overrides.items():
        if key not in OVERRIDES or key not in names:
            raise TypeError(f"unknown override {key!r}")
        if value is not None:
            setattr(draft, key, value)
    return draft


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_precise() -> str:
    """UTC now with microseconds: orders the records of successive adds (see reindex)."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_date(value: str, origin: str) -> str:
    """Any common date form -> ``YYYY-MM-DD``."""
    value = value.strip()
    if DATE_RE.match(value):
        try:
            dt.date.fromisoformat(value)
            return value
        except ValueError:
            pass
    parsed = _parse_datetime(value, origin, "date")
    return parsed.date().isoformat()


def parse_timestamp(value: str, origin: str) -> str:
    """Any common date-time form -> UTC ``YYYY-MM-DDTHH:MM:SSZ`` (naive means UTC)."""
    value = value.strip()
    try:  # the common case (ISO 8601, as export writes it) without dateutil
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = _parse_datetime(value, origin, "capture time")
    if parsed.tzinfo is not None:
        try:
            parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
        except OverflowError as err:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise InputError(origin, f"capture time {value!r} is out of range") from err
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_datetime(value: str, origin: str, what: str) -> dt.datetime:
    from dateutil import parser as dateparser

    try:
        # parsed twice with different defaults: a part the value lacks shows as a difference
        # ("1" or "00:00" would otherwise be filed under 2000-01-01)
        parsed: dt.datetime | None = dateparser.parse(value, default=dt.datetime(2000, 1, 1))
        other = dateparser.parse(value, default=dt.datetime(2001, 2, 2))
    except (ValueError, OverflowError, TypeError) as err:
        raise InputError(origin, f"unreadable {what} {value!r} (try YYYY-MM-DD)") from err
    if parsed is None or not 1 <= parsed.year <= 9999:
        raise InputError(origin, f"unreadable {what} {value!r} (try YYYY-MM-DD)")
    if other is None or parsed.date() != other.date():
        raise InputError(origin, f"{what} {value!r} lacks a year, month or day (try YYYY-MM-DD)")
    return parsed


def _require_unicode(draft: Draft, origin: str) -> None:
    """Strings that cannot be UTF-8 (an unpaired surrogate, as JSON's "\\udc80" makes)."""
    for name in ("text", *OVERRIDES):
        value = getattr(draft, name)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as err:
                raise InputError(origin, f"the {name} is not valid Unicode (an unpaired "
                                         f"surrogate at offset {err.start})") from None


def prepare(draft: Draft, *, captured_at: str | None = None) -> Prepared:
    """Validate and resolve ``draft``; raises InputError naming the input."""
    origin = draft.origin or "<input>"
    _require_unicode(draft, origin)
    text = canonicalize(draft.text.removeprefix("\ufeff"))  # as a file read with utf-8-sig
    if not text.strip():
        raise InputError(origin, "has no article text")
    text_hash = content_hash(text)
    if draft.expected_hash and draft.expected_hash != text_hash:
        raise InputError(
            origin, f"text does not match its hash {draft.expected_hash[:12]} (corrupt record?)"
        )
    url = (draft.url or "").strip() or None
    if url and not url.lower().startswith(("http://", "https://")):
        raise InputError(origin, f"url {url!r} is not an http(s) URL")

    source = _resolve_source(draft, url, origin)
    captured = (
        parse_timestamp(draft.captured_at, origin) if draft.captured_at
        else captured_at or now_utc()
    )
    date = parse_date(draft.date, origin) if draft.date else captured[:10]
    # NFC as the text: "Café" typed two ways is one title, not a change of it
    title = " ".join(unicodedata.normalize("NFC", draft.title or "").split()) or (
        first_sentence(text))
    slug = _resolve_slug(draft, url, title, text, origin)
    author = " ".join((draft.author or "").split()) or None
    return Prepared(
        id=make_id(source, date, slug), source=source, date=date, slug=slug, text=text,
        hash=text_hash, title=title, url=url, author=author, captured_at=captured,
        original=draft.original, original_type=draft.original_type, origin=origin,
        revision=draft.revision, captured_given=bool(draft.captured_at),
    )


def _resolve_source(draft: Draft, url: str | None, origin: str) -> str:
    if draft.source is not None and draft.source.strip():
        source = normalize_source(draft.source)
        if not source:
            raise InputError(
                origin, f"source {draft.source!r} cannot be made a valid name "
                "(letters, digits, '.', '_', '-', at most 64)"
            )
        return source
    if url:
        source = source_from_url(url)
        if source:
            return source
    raise InputError(origin, "no source known; give one (--source NAME, source=, a url or a "
                             "source header)")


def _resolve_slug(draft: Draft, url: str | None, title: str, text: str, origin: str) -> str:
    if draft.slug is not None and draft.slug.strip():
        slug = slugify(draft.slug)
        if not slug:
            raise InputError(origin, f"slug {draft.slug!r} has no letters or digits")
        return slug
    candidates = [
        slug_from_url(url) if url else "",
        slugify(draft.name_hint) if draft.name_hint else "",
        slugify(title),
        slugify(first_words(text)),
    ]
    for slug in candidates:
        if slug:
            return slug
    raise InputError(origin, "cannot derive a name (slug) for it; give one (--slug, slug=)")


def prepare_all(items: list[Draft | InputError]) -> list[Prepared | InputError]:
    """:func:`prepare` each draft, an error in its place when it cannot be archived
    (input errors pass through): the unit of work of a worker process."""
    out: list[Prepared | InputError] = []
    for item in items:
        if isinstance(item, InputError):
            out.append(item)
        elif not isinstance(item, Draft):
            out.append(InputError(repr(item)[:40], f"is a {type(item).__name__}, not a Draft"))
        else:
            try:
                out.append(prepare(item))
            except InputError as err:
                out.append(err)
    return out
