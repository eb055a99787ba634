"""canonical_url: examples and properties (idempotent, never raises but ValueError)."""

from __future__ import annotations

from urllib.parse import unquote_plus, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsarchive.text.names import slug_from_url, source_from_url
from newsarchive.text.urls import canonical_url, is_tracking_param


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/a/b", "https://news.example/a/b"),
        ("HTTP://News.Example/a/b", "https://news.example/a/b"),
        ("http://news.example/a/b/", "https://news.example/a/b"),
        ("https://news.example/a/b//", "https://news.example/a/b"),
        ("https://news.example", "https://news.example/"),
        ("https://news.example/", "https://news.example/"),
        ("https://news.example/?", "https://news.example/"),
        ("https://news.example/a#comments", "https://news.example/a"),
        ("https://news.example:443/a", "https://news.example/a"),
        ("http://news.example:80/a", "https://news.example/a"),
        ("https://news.example:8443/a", "https://news.example:8443/a"),
        ("https://news.example./a", "https://news.example/a"),
        ("  https://news.example/a  ", "https://news.example/a"),
        ("https://news.example/a/./b/../c", "https://news.example/a/c"),
        ("https://news.example/../../a", "https://news.example/a"),
        ("https://news.example/caf%c3%a9", "https://news.example/caf%C3%A9"),
        ("https://news.example/café", "https://news.example/caf%C3%A9"),
        ("https://news.example/%7Euser", "https://news.example/~user"),
        ("https://news.example/a b", "https://news.example/a%20b"),
        ("https://[2001:DB8::1]:8080/a", "https://[2001:db8::1]:8080/a"),
        (
            "https://news.example/a?utm_source=tw&id=3&utm_medium=social&fbclid=IwAR&p=2",
            "https://news.example/a?id=3&p=2",
        ),
        ("https://news.example/a?b=2&a=1", "https://news.example/a?b=2&a=1"),  # order kept
        ("https://news.example/a?UTM_Source=x", "https://news.example/a"),
        ("https://news.example/a?gclid=1&dclid=2&msclkid=3", "https://news.example/a"),
        ("https://news.example/a?mc_cid=1&mc_eid=2&igshid=3", "https://news.example/a"),
        ("https://news.example/a?ref_src=twsrc&_ga=1.2&x=", "https://news.example/a?x="),
        ("https://news.example/a?q=a+b&&s=%2f", "https://news.example/a?q=a+b&s=%2F"),
        ("https://news.example/search?q=%F0%9F%98%80", "https://news.example/search?q=%F0%9F%98%80"),
    ],
)
def test_examples(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "news.example/a",
        "/a/b",
        "ftp://news.example/a",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "mailto:a@b.c",
        "https://",
        "https:///a",
        "http://[::1/a",
        "https://news.example:99999/",
        "https://news.example:port/",
        "https://exa mple.com/",
        "https://exa<mple.com/",
    ],
)
def test_not_canonicalisable(url: str) -> None:
    with pytest.raises(ValueError):
        canonical_url(url)


def test_variants_are_one_article() -> None:
    variants = [
        "http://www.news.example/world/putin-reaffirms-war-aims",
        "https://www.news.example/world/putin-reaffirms-war-aims/",
        "https://WWW.news.example/world/putin-reaffirms-war-aims?utm_source=rss#top",
        "https://www.news.example:443/world/putin-reaffirms-war-aims/?fbclid=abc",
    ]
    assert len({canonical_url(u) for u in variants}) == 1


def test_slug_and_source_from_the_canonical_url() -> None:
    url = canonical_url("http://www.news.example/world/putin-reaffirms-war-aims/?utm_source=x")
    assert slug_from_url(url) == "putin-reaffirms-war-aims"
    assert source_from_url(url) == "news.example"


def test_is_tracking_param() -> None:
    assert is_tracking_param("utm_anything")
    assert is_tracking_param("FBCLID")
    assert not is_tracking_param("id")
    assert not is_tracking_param("page")


def _canonical_or_none(url: str) -> str | None:
    try:
        return canonical_url(url)
    except ValueError:
        return None


@settings(max_examples=500)
@given(st.text())
@example("http://[")
@example("http://a:-1/")
@example("https://a/%")
@example("https://a/\ud800")
@example("https://a/.%2E/")
@example("https://a/%2e%2E/b")
def test_any_text_is_canonical_or_value_error(url: str) -> None:
    result = _canonical_or_none(url)
    if result is not None:
        assert canonical_url(result) == result


_segment = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), max_size=8
) | st.sampled_from([".", "..", "", "%2e", "%7E", "%41", "a%2fb", "%zz", "caf\u00e9"])
_param = st.one_of(
    st.sampled_from(["utm_source=x", "fbclid=1", "id=3", "a", "=b", "q=a+b", "x=%2f", "", "_ga=1"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="&#"),
            max_size=8),
)


@st.composite
def urls(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HtTpS"]))
    host = draw(st.sampled_from(["news.example", "NEWS.Example.", "127.0.0.1", "[::1]", "xn--bcher-kva.de", "bücher.de"]))
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = "/".join(draw(st.lists(_segment, max_size=5)))
    query = "&".join(draw(st.lists(_param, max_size=4)))
    fragment = draw(st.sampled_from(["", "#", "#top"]))
    slash = draw(st.sampled_from(["/", "", "//"]))
    return f"{scheme}://{host}{port}{slash}{path}" + (f"?{query}" if query else "") + fragment


@pytest.mark.slow
@settings(max_examples=1000)
@given(urls())
def test_urlish_text_is_idempotent_and_clean(url: str) -> None:
    result = _canonical_or_none(url)
    if result is None:
        return
    assert canonical_url(result) == result
    assert result.startswith("https://")
    assert "#" not in result
    parts = urlsplit(result)
    names = [unquote_plus(p.split("=", 1)[0]) for p in parts.query.split("&") if p]
    assert not any(is_tracking_param(n) for n in names)
    assert parts.path == "/" or (parts.path.startswith("/") and not parts.path.endswith("/"))
    assert "//" not in parts.path
    assert " " not in result
