"""Sending a run's changes (``snapshot``, ``watch run``): the ``--notify`` option and the
config's ``notify`` URLs, failures as warning lines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import click

from newsarchive.cli.context import State
from newsarchive.cli.errors import warning_line
from newsarchive.model import AddResult

F = TypeVar("F", bound=Any)


def notify_option(f: F) -> F:
    return click.option(
        "--notify", "notify_urls", multiple=True, metavar="URL",
        help="Send the run's changes to this Apprise URL (repeatable; besides the config's "
             "`notify`), as one message: needs newsarchive[notify].")(f)


def send_run(state: State, urls: Iterable[str], results: Iterable[AddResult]) -> None:
    """Send the new revisions of a run to ``urls`` and the config's ``notify`` URLs,
    filtered by ``notify_kinds``; every problem is a warning line, never a failure."""
    config = state.config
    targets = list(dict.fromkeys([*urls, *config.notify]))
    if not targets:
        return
    revisions = [r.revision for r in results if r.status != "unchanged"]
    for warning in state.archive.notify(targets, revisions, kinds=config.notify_kinds,
                                        timeout=config.notify_timeout):
        warning_line(warning)
