"""A progress bar for long commands, on standard error (commands create one only when
standard error is a terminal and the output is not JSON)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click


class Progress:
    """A one-line progress bar on stderr (terminals only), redrawn at most 5 times a second;
    a counter when the total is not known (standard input)."""

    WIDTH = 30

    def __init__(self, total: int | None, unit: str = "inputs") -> None:
        self.total = total
        self.unit = unit
        self.n = 0
        self.shown = False
        self.last = 0.0

    def tick(self) -> None:
        """One more done."""
        self.update(self.n + 1, self.total)

    def update(self, done: int, total: int | None) -> None:
        """``done`` of ``total`` (the shape of library ``on_progress`` callbacks)."""
        self.n, self.total = done, total
        now = time.monotonic()
        if self.n >= 20 and now - self.last > 0.2:
            if self.total:
                done = min(self.n, self.total)
                filled = self.WIDTH * done // self.total
                bar = "#" * filled + "." * (self.WIDTH - filled)
                click.echo(f"\r[{bar}] {done:,}/{self.total:,}", nl=False, err=True)
            else:
                click.echo(f"\r{self.n:,} {self.unit}...", nl=False, err=True)
            self.shown, self.last = True, now

    def clear(self) -> None:
        if self.shown:
            click.echo("\r\033[K", nl=False, err=True)
            self.shown = False


@contextmanager
def bar_for(unit: str, *, wanted: bool = True) -> Iterator[Callable[[int, int], None] | None]:
    """An ``on_progress(done, total)`` for a library call drawing a bar of ``unit`` on a
    terminal (None elsewhere, or when not ``wanted``); the bar is cleared afterwards,
    also when the call fails."""
    bar = Progress(None, unit) if wanted and sys.stderr.isatty() else None
    try:
        yield bar.update if bar else None
    finally:
        if bar:
            bar.clear()
