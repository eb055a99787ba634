"""Resolving a ``Draft`` into an article ID, canonical text and validated metadata (SPEC 3-5)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, fields
from typing import cast

from newsarchive.errors import InputError
from newsarchive.model import Draft
from newsarchive.store.records import EVENTS, Event
from newsarchive.text.canonical import canonicalize, content_hash
from newsarchive.text.dates import now_utc, parse_date, parse_timestamp
from newsarchive.text.names import (
    first_sentence,
    first_words,
    is_valid_id,
    make_id,
    normalize_source,
    short_name,
    slug_from_url,
    slugify,
    source_from_url,
    strip_version,
)
from newsarchive.text.urls import canonical_url, clean_url

OVERRIDES = ("id", "source", "date", "title", "url", "slug", "captured_at", "author")


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
    explicit_id: bool = False  # the input named its article (``--id``, ``id:``, ``id=``)
    canonical_url: str | None = None  # the URL as identity (None: no URL, or no valid one)
    named_from: str = "id"  # what the ID of a new article would come from (see add --help)
    event: Event | None = None  # a watch's event (an imported tombstone, say)
    detail: str | None = None


def apply_overrides(draft: Draft, **overrides: str | None) -> Draft:
    """Options given by the caller win over what the input says."""
    names = {f.name for f in fields(Draft)}
    for key, value in overrides.items():
        if key not in OVERRIDES or key not in names:
            raise TypeError(f"unknown override {key!r}")
        if value is not None:
            setattr(draft, key, value)
    return draft


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

    canonical = None
    if url:
        try:
            canonical = canonical_url(url)
            url = clean_url(url)  # as written, less its fragment and tracking parameters
        except ValueError:
            canonical = None
    captured = (
        parse_timestamp(draft.captured_at, origin) if draft.captured_at
        else captured_at or now_utc()
    )
    date = parse_date(draft.date, origin) if draft.date else captured[:10]
    # NFC as the text: "Café" typed two ways is one title, not a change of it
    given_title = " ".join(unicodedata.normalize("NFC", draft.title or "").split())
    title = given_title or first_sentence(text)
    author = " ".join((draft.author or "").split()) or None
    explicit = (draft.id or "").strip().lower()
    if explicit:
        if not is_valid_id(explicit):
            raise InputError(origin, f"id {draft.id!r} is not an article ID (SOURCE/DATE/SLUG)")
        source, id_date, slug = explicit.split("/")
        named_from = "id"
    else:
        source = _resolve_source(draft, url, origin)
        id_date = date
        slug, named_from = _resolve_slug(draft, canonical, given_title, text, origin)
    if draft.event is not None and draft.event not in EVENTS:
        raise InputError(origin, f"event {draft.event!r} is not one of {', '.join(EVENTS)}")
    return Prepared(
        event=cast("Event | None", draft.event), detail=draft.detail,  # checked above
        id=make_id(source, id_date, slug), source=source, date=date, slug=slug, text=text,
        hash=text_hash, title=title, url=url, author=author, captured_at=captured,
        original=draft.original, original_type=draft.original_type, origin=origin,
        explicit_id=bool(explicit), canonical_url=canonical, named_from=named_from,
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


def _resolve_slug(draft: Draft, canonical: str | None, title: str, text: str,
                  origin: str) -> tuple[str, str]:
    """The slug of a new article and what it was made from, by the first rule that gives
    one (docs/storage.md, "Identity"): the given slug, the URL, the given title, the file
    name (without a version suffix such as ``.v2``), the first sentence, the first words;
    a text with no Latin spelling gets a short stable name from its hash."""
    if draft.slug is not None and draft.slug.strip():
        slug = slugify(draft.slug)
        if not slug:
            raise InputError(origin, f"slug {draft.slug!r} has no letters or digits")
        return slug, "slug"
    candidates = [
        (slug_from_url(canonical) if canonical else "", "url"),
        (slugify(title) if title else "", "title"),
        (slugify(strip_version(draft.name_hint)) if draft.name_hint else "", "file name"),
        (slugify(first_sentence(text)), "first sentence"),
        (slugify(first_words(text)), "first words"),
    ]
    for slug, source in candidates:
        if slug:
            return slug, source
    return short_name(canonical or title or text), "hash"


def prepare_all(items: list[Draft | InputError]) -> list[Prepared | InputError]:
    """:func:`prepare` each draft, an error in its place when it cannot be archived
    (input errors pass through): the unit of work of a worker process, the main
    process's work otherwise."""
    out: list[Prepared | InputError] = []
    for item in items:
        if isinstance(item, InputError):
            out.append(item)
        elif not isinstance(item, Draft):
            out.append(InputError(repr(item)[:40], f"is a {type(item).__name__}, not a Draft"))
        else:
            try:
                prepared = prepare(item)
            except InputError as err:
                out.append(err)
                continue
            out.append(prepared)
    return out
