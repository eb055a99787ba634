"""Telling someone: a run's changes, sent through Apprise.

`Apprise <https://github.com/caronc/apprise>`_ speaks to e-mail, Mastodon, Slack, Matrix,
ntfy, generic JSON webhooks and a hundred other services through one URL syntax
(``mailto://...``, ``ntfys://topic``, ``json://host:port/path``...). It is an optional
extra (``pip install 'newsarchive[notify]'``) and is imported only when a message is sent.

:func:`send_changes` sends **one message per run** to each URL: the revisions of the run
whose kinds are wanted (``notify_kinds``, default :data:`DEFAULT_KINDS`: no ``minor``,
``extraction-suspect`` or ``headline-test``), each with its title, kinds, ``+A -D words``,
URL and reference. For a ``json://`` URL, Apprise POSTs
``{"version": "1.0", "title": ..., "message": ..., "attachments": [], "type": "info"}``.

A notification must never fail or hold up the archive run:

- nothing is raised for a failed delivery, a URL Apprise does not know, or a missing
  Apprise: each is a one-line warning in the returned list (the library never prints; the
  caller logs them). :func:`check_available` is for callers that want to refuse a
  ``--notify`` up front instead;
- each service's connect and read timeouts (Apprise's ``cto``/``rto``, 4 s by default)
  are lowered to ``timeout``, and the sending runs in a daemon thread that is waited for
  ``timeout`` seconds at most: a server that accepts the connection and trickles its answer
  cannot hold the run, it only costs a warning. (Apprise's own ``notify(timeout=)`` exists
  only in recent versions; the thread works with all.)
- Apprise's log messages (its reasons for a failure) are collected into the warnings while
  the message is sent, never written anywhere.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from newsarchive.errors import MissingExtra
from newsarchive.model import Revision

__all__ = ["DEFAULT_KINDS", "Message", "check_available", "format_message",
           "select_changes", "send_changes"]

#: The kinds sent when the config names none (``removed`` and ``restored`` are the kinds of
#: a page taken down and put back).
DEFAULT_KINDS: tuple[str, ...] = ("headline", "correction", "substantive", "revert",
                                  "removed", "restored")
MAX_LISTED = 50  # changes listed in one message; the rest are counted
_INSTALL = "pip install 'newsarchive[notify]'"


@dataclass(frozen=True)
class Message:
    title: str
    body: str


def check_available() -> None:
    """Raise :class:`~newsarchive.errors.MissingExtra` unless Apprise can be imported."""
    try:
        import apprise  # noqa: F401  (only to know it is there)
    except ImportError:
        raise MissingExtra("sending notifications", "apprise", "notify") from None


def select_changes(revisions: Iterable[Revision],
                   kinds: Collection[str] | None = None) -> list[Revision]:
    """The revisions that have one of ``kinds`` (None: :data:`DEFAULT_KINDS`)."""
    wanted = set(DEFAULT_KINDS if kinds is None else kinds)
    return [r for r in revisions if wanted.intersection(r.kind)]


def format_message(revisions: Sequence[Revision], *, max_listed: int = MAX_LISTED) -> Message:
    """One message listing the changes: title, kinds and words, then URL and reference."""
    n = len(revisions)
    title = f"newsarchive: {n} change{'s' if n != 1 else ''}"
    blocks = []
    for r in revisions[:max_listed]:
        lines = [r.title or r.ref,
                 f"  {', '.join(r.kind)}: +{r.words_added} -{r.words_removed} words"]
        if r.url:
            lines.append(f"  {r.url}")
        lines.append(f"  {r.ref}")
        blocks.append("\n".join(lines))
    if n > max_listed:
        blocks.append(f"... and {n - max_listed} more (newsarchive changes)")
    return Message(title, "\n\n".join(blocks))


def send_changes(urls: Sequence[str], revisions: Iterable[Revision], *,
                 kinds: Collection[str] | None = None, timeout: float = 10.0) -> list[str]:
    """Send the run's changes of the wanted ``kinds`` to every Apprise URL, as one message;
    returns warnings (empty when everything was delivered, or there was nothing to send).
    Never raises for a delivery problem, and returns within about ``timeout`` seconds."""
    chosen = select_changes(revisions, kinds)
    if not chosen or not urls:
        return []
    try:
        import apprise  # the optional extra, only when there is something to send
    except ImportError:
        return [f"notifications not sent: they need the optional package apprise "
                f"({_INSTALL})"]
    message = format_message(chosen)
    capture = _Capture()
    log = logging.getLogger("apprise")
    log.addHandler(capture)
    done = threading.Event()
    result: dict[str, Any] = {}
    warnings: list[str] = []
    started = False
    try:
        box = apprise.Apprise()
        for i, url in enumerate(urls, 1):
            if not box.add(url):
                warnings.append(f"notify URL {i} ({_scheme(url)}) is not one Apprise can use; "
                                "skipped")
        for service in box:
            for name in ("socket_connect_timeout", "socket_read_timeout"):
                current = getattr(service, name, None)
                if isinstance(current, (int, float)):
                    setattr(service, name, min(float(current), timeout))
        if len(box) == 0:
            return warnings

        def deliver() -> None:
            try:
                result["ok"] = bool(box.notify(body=message.body, title=message.title))
            except Exception as err:  # noqa: BLE001 - a notification never breaks a run
                result["error"] = err
            finally:
                log.removeHandler(capture)
                done.set()

        threading.Thread(target=deliver, name="newsarchive-notify", daemon=True).start()
        started = True
        finished = done.wait(timeout)
    except Exception as err:  # noqa: BLE001 - Apprise failing to start is a warning too
        return [*warnings, f"notification failed ({type(err).__name__}: {err})"]
    finally:
        if not started:  # else the thread takes the handler off when it ends
            log.removeHandler(capture)
    targets = ", ".join(_private(s) for s in box)
    if not finished:
        warnings.append(f"notification to {targets} did not finish within {timeout:g} s; "
                        "the run went on without it")
    elif "error" in result:
        failure = result["error"]
        warnings.append(f"notification to {targets} failed ({type(failure).__name__}: "
                        f"{failure})")
    elif not result.get("ok"):
        reasons = "; ".join(dict.fromkeys(capture.messages)) or "no reason given"
        warnings.append(f"notification to {targets} failed: {reasons}")
    return warnings


class _Capture(logging.Handler):
    """Apprise's warnings and errors while a message is sent, as one-line strings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.append(" ".join(record.getMessage().split()))
        except Exception:  # noqa: BLE001 - a malformed log record is not worth a failure
            pass


def _scheme(url: str) -> str:
    """A URL shown without its secrets: only its scheme."""
    scheme, sep, _ = url.partition("://")
    return f"{scheme}://..." if sep and scheme.isalnum() else "not a URL"


def _private(service: Any) -> str:
    try:
        return str(service.url(privacy=True)).split("?", 1)[0]
    except Exception:  # noqa: BLE001 - only for a message
        return type(service).__name__
