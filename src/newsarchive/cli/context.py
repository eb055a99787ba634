"""What every command shares: global options, the opened archive, output helpers."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from newsarchive.archive import Archive
    from newsarchive.config import Config, NoiseConfig

F = TypeVar("F", bound=Callable[..., Any])

# Counts that reach SQLite (which stores 64-bit integers) and waits that reach the lock
COUNT = click.IntRange(min=1, max=10**9)


class Seconds(click.FloatRange):
    """A duration in seconds, at least 0 and finite (NaN passes a range check)."""

    def __init__(self) -> None:
        super().__init__(min=0)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if seconds != seconds or seconds == float("inf"):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds


class State:
    """The global options and what they open (a plain class: ``--help`` loads no
    dataclasses)."""

    def __init__(self) -> None:
        self.store_flag: str | None = None
        self.config_flag: str | None = None
        self.wait = 60.0
        self.debug = False
        self.no_color = False
        self.no_pager = False
        self._config: Config | None = None
        self._archive: Archive | None = None
        self.stdout_tty = sys.stdout.isatty()

    @property
    def config(self) -> Config:
        if self._config is None:
            from newsarchive.config import load_config  # not for --help: start-up time

            self._config = load_config(self.config_flag)
        return self._config

    @property
    def archive(self) -> Archive:
        if self._archive is None:
            from newsarchive.archive import Archive  # not for --help: start-up time

            if (self.store_flag is not None and self.store_flag.strip()
                    and self.config_flag is None and not os.environ.get("NEWSARCHIVE_CONFIG")):
                # --store and no config named: the default config file is not read, nor
                # its module imported, by a command that needs only the store (start-up
                # time); one named by --config or $NEWSARCHIVE_CONFIG is still checked
                from pathlib import Path  # only with --store: start-up time

                path = Path(self.store_flag).expanduser()
            else:
                from newsarchive.config import resolve_store  # not for --help: start-up time

                path = resolve_store(self.store_flag, self.config)
            # the command's entry point is guarded, so bulk writes may start workers
            # the config's noise rules: every write and reindex applies them (read then,
            # not by a read command)
            self._archive = Archive(path, wait=self.wait, workers=min(usable_cpus(), 8),
                                    noise=_ConfigNoise(self),
                                    auto_pack=lambda: self.config.auto_pack)
        return self._archive

    @property
    def color(self) -> bool:
        """Colour only on a terminal, never with NO_COLOR or --no-color."""
        return self.stdout_tty and not self.no_color and not os.environ.get("NO_COLOR")

    @property
    def paging(self) -> bool:
        """Output may go through a pager: on a terminal, unless --no-pager."""
        return self.stdout_tty and not self.no_pager

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()


class _ConfigNoise:
    """The config's ``[[noise]]`` tables, read from the config when first iterated (the
    archive does so when a write needs its rules)."""

    def __init__(self, state: State) -> None:
        self.state = state

    def __iter__(self) -> Iterator[NoiseConfig]:
        return iter(self.state.config.noise)


def usable_cpus() -> int:
    """The CPUs this process may run on (a container or taskset may allow fewer than
    the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


pass_state = click.make_pass_decorator(State, ensure=True)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine output (JSON).")(f)


def timeout_option(f: F) -> F:
    from newsarchive.model import QUERY_TIMEOUT  # dataclasses: not for --help, start-up time

    return click.option("--timeout", type=Seconds(), default=QUERY_TIMEOUT, show_default=True,
                        metavar="SECONDS",
                        help="Stop the query after this long (0: no limit).")(f)


DATE_FORMS = "2024-04-03, 2024-04, yesterday, 7d, 2 weeks ago, 2024-04-03T10:00Z; UTC"


def filter_options(f: F) -> F:
    """``--source`` (repeatable), ``--since``, ``--until`` on the publication date: shared
    by list, export, search."""
    return _filters(f, "articles published")


def capture_filter_options(f: F) -> F:
    """``--source``, ``--since``, ``--until`` on the capture time (``changes``)."""
    return _filters(f, "revisions captured")


def _filters(f: F, what: str) -> F:
    f = click.option("--until", metavar="DATE",
                     help=f"Only {what} on or before DATE (a day or month: to its end).")(f)
    f = click.option("--since", metavar="DATE",
                     help=f"Only {what} on or after DATE ({DATE_FORMS}).")(f)
    f = click.option("--source", "sources", multiple=True, metavar="NAME",
                     help="Only this source (repeatable).")(f)
    return f


def emit_json(obj: Any) -> None:
    import json  # here: --help and most commands never write JSON (start-up time)

    click.echo(json.dumps(obj, ensure_ascii=False))


def emit_lines(lines: Iterable[str], state: State, *, page: bool = False) -> None:
    """Print lines; through a pager only on a terminal and when asked (see
    :mod:`newsarchive.cli.pager`)."""
    if page and state.paging:
        from newsarchive.cli.pager import page as through_pager  # start-up time

        through_pager("".join(line + "\n" for line in lines))
    else:
        for line in lines:
            click.echo(line)


def style(state: State, text: str, **kw: Any) -> str:
    return click.style(text, **kw) if state.color else text


def words_delta(added: int, removed: int) -> str:
    return f"+{added} -{removed} words"
