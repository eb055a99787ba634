"""Notifications (newsarchive.web.notify): one message per run through a real Apprise to a
JSON webhook on 127.0.0.1 served by the test; a webhook that is down or slow costs a warning
and at most the timeout, never the run."""

from __future__ import annotations

import importlib.util
import json
import socket
import sys
import time

import pytest

from newsarchive.errors import MissingExtra
from newsarchive.model import Revision
from newsarchive.web.notify import (
    DEFAULT_KINDS,
    check_available,
    format_message,
    select_changes,
    send_changes,
)
from tests.httpserver import Route, TestServer

# Apprise is in the test extra; without it, only the tests that need no Apprise run
needs_apprise = pytest.mark.skipif(importlib.util.find_spec("apprise") is None,
                                   reason="apprise is not installed")


def revision(n: int, kind: tuple[str, ...], title: str = "Storm Elin: at least 14 dead",
             added: int = 2, removed: int = 2) -> Revision:
    return Revision(
        id=f"news.example.org/2024-03-04/story-{n}", number=2, hash="ab" * 32, title=title,
        source="news.example.org", date="2024-03-04", slug=f"story-{n}",
        url=f"https://news.example.org/world/story-{n}", captured_at="2024-03-04T10:00:00Z",
        author=None, record="cd" * 32, original=None, original_type=None, words=300,
        words_added=added, words_removed=removed, kind=kind)


RUN = [
    revision(1, ("headline", "substantive")),
    revision(2, ("minor",), title="Typo fixed"),
    revision(3, ("correction",), title="Minister resigns", added=14, removed=0),
    revision(4, (), title="A first capture"),
    revision(5, ("extraction-suspect",), title="Paywalled"),
    revision(6, ("headline-test",), title="A/B"),
]


def test_which_changes_are_sent() -> None:
    assert [r.slug for r in select_changes(RUN)] == ["story-1", "story-3"]
    assert [r.slug for r in select_changes(RUN, ["minor"])] == ["story-2"]
    assert [r.slug for r in select_changes(RUN, [])] == []
    assert "minor" not in DEFAULT_KINDS and "removed" in DEFAULT_KINDS


def test_the_message_lists_title_kinds_url_and_words() -> None:
    message = format_message(select_changes(RUN))
    assert message.title == "newsarchive: 2 changes"
    assert message.body == (
        "Storm Elin: at least 14 dead\n"
        "  headline, substantive: +2 -2 words\n"
        "  https://news.example.org/world/story-1\n"
        "  news.example.org/2024-03-04/story-1@2\n\n"
        "Minister resigns\n"
        "  correction: +14 -0 words\n"
        "  https://news.example.org/world/story-3\n"
        "  news.example.org/2024-03-04/story-3@2"
    )
    many = format_message([revision(i, ("substantive",)) for i in range(60)], max_listed=50)
    assert many.title == "newsarchive: 60 changes"
    assert many.body.endswith("... and 10 more (newsarchive changes)")
    assert format_message([RUN[0]]).title == "newsarchive: 1 change"


@needs_apprise
def test_one_json_message_per_run_to_a_webhook(http_server: TestServer) -> None:
    http_server.routes["/hook"] = Route(body=b"ok", content_type="text/plain")
    url = f"json://127.0.0.1:{http_server.port}/hook"
    assert send_changes([url], RUN, timeout=5) == []
    [(path, body)] = http_server.posts
    payload = json.loads(body)
    assert path == "/hook"
    assert payload["title"] == "newsarchive: 2 changes"
    assert payload["type"] == "info" and payload["version"] == "1.0"
    assert "headline, substantive: +2 -2 words" in payload["message"]
    assert "https://news.example.org/world/story-3" in payload["message"]
    assert "Typo fixed" not in payload["message"]  # minor: not sent by default


def test_nothing_to_send_sends_nothing(http_server: TestServer) -> None:
    url = f"json://127.0.0.1:{http_server.port}/hook"
    assert send_changes([url], [RUN[1], RUN[3]]) == []
    assert send_changes([], RUN) == []
    assert http_server.posts == []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@needs_apprise
def test_a_webhook_that_is_down_is_a_warning() -> None:
    start = time.monotonic()
    warnings = send_changes([f"json://127.0.0.1:{_closed_port()}/hook"], RUN, timeout=5)
    assert time.monotonic() - start < 5
    [warning] = warnings
    assert warning.startswith("notification to json://127.0.0.1:")
    assert "failed" in warning and "\n" not in warning


@needs_apprise
def test_a_webhook_that_answers_with_an_error_is_a_warning(http_server: TestServer) -> None:
    http_server.routes["/hook"] = Route(status=500, body=b"boom")
    [warning] = send_changes([f"json://127.0.0.1:{http_server.port}/hook"], RUN, timeout=5)
    assert "failed" in warning and "500" in warning


@needs_apprise
def test_a_slow_webhook_costs_at_most_the_timeout(http_server: TestServer) -> None:
    http_server.routes["/hook"] = Route(body=b"ok", delay=3.0)
    start = time.monotonic()
    [warning] = send_changes([f"json://127.0.0.1:{http_server.port}/hook"], RUN, timeout=0.5)
    assert time.monotonic() - start < 1.5
    assert "notification to json://127.0.0.1:" in warning


@needs_apprise
def test_a_bad_url_is_skipped_and_the_good_one_still_used(http_server: TestServer) -> None:
    http_server.routes["/hook"] = Route(body=b"ok")
    warnings = send_changes(["nosuchservice://secret-token@x",
                             f"json://127.0.0.1:{http_server.port}/hook"], RUN, timeout=5)
    assert warnings == ["notify URL 1 (nosuchservice://...) is not one Apprise can use; "
                        "skipped"]
    assert "secret-token" not in warnings[0]
    assert len(http_server.posts) == 1


def test_without_apprise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # as if it were not installed
    with pytest.raises(MissingExtra) as info:
        check_available()
    assert str(info.value) == ("sending notifications needs the optional package apprise, "
                               "which is not installed: pip install 'newsarchive[notify]'")
    assert info.value.exit_code == 1
    assert send_changes(["json://127.0.0.1:9/x"], RUN) == [
        "notifications not sent: they need the optional package apprise "
        "(pip install 'newsarchive[notify]')"]


@needs_apprise
def test_nothing_is_printed(http_server: TestServer, capsys: pytest.CaptureFixture[str]) -> None:
    send_changes([f"json://127.0.0.1:{_closed_port()}/hook", "bogus://x"], RUN, timeout=2)
    assert capsys.readouterr() == ("", "")
