"""Headline tests: titles that take turns within a day while the text stays the same.

Sites test headlines: the same article is shown under two or more titles in turn, and the
one read most wins. Every switch is a title change, and a watcher that checks often would
report a stream of ``headline`` edits. :func:`headline_tests` recognises them in an
article's history:

- a revision is labelled ``headline-test`` when its text is the previous revision's and its
  title went back to a variant that the same text showed before, and that was replaced at
  most ``window`` (a day) before this revision. The label depends only on the revisions up
  to it, so the indexer gives the same answer when a revision is added as ``reindex`` does
  over the whole history: the first switch to a new variant is a plain ``headline`` change
  (nothing shows yet that it is a test), the returns are not;
- each test (the switches from the first one a return points back to, to the last return,
  overlapping ones merged) is summarised once: the variants, how often each was seen, when,
  and the title it ended on. A report can show that one line instead of the stream.

Pure: the history comes in oldest first, as ``(captured_at, title, text_hash)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = ["HeadlineTest", "HeadlineTests", "Variant", "headline_tests"]

WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class Variant:
    """One headline of a test."""

    title: str
    seen: int
    """Revisions (or captures, when counts are given) that showed it during the test."""
    first_seen: datetime
    last_seen: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "seen": self.seen,
                "first_seen": _iso(self.first_seen), "last_seen": _iso(self.last_seen)}


@dataclass(frozen=True)
class HeadlineTest:
    """One headline test: the summary record that stands for its switches."""

    revisions: tuple[int, ...]
    """Indexes (into the history) of the title switches the test is made of, the first
    switch included."""
    start: datetime
    """When the first switch was captured."""
    end: datetime
    """When the last return was captured."""
    variants: tuple[Variant, ...]
    """Most seen first."""
    final: str
    """The title at the end of the test."""

    def to_dict(self) -> dict[str, Any]:
        return {"start": _iso(self.start), "end": _iso(self.end),
                "revisions": list(self.revisions), "final": self.final,
                "variants": [v.to_dict() for v in self.variants]}


@dataclass(frozen=True)
class HeadlineTests:
    labels: tuple[bool, ...]
    """One per revision: True for a ``headline-test`` revision."""
    tests: tuple[HeadlineTest, ...]


def headline_tests(history: Sequence[tuple[datetime, str, str]], *,
                   seen: Sequence[int] | None = None,
                   window: timedelta = WINDOW) -> HeadlineTests:
    """The ``headline-test`` labels of an article's revisions and the summaries of its
    tests (see the module docstring). ``history`` is ``(captured_at, title, text_hash)``,
    oldest first; ``seen``, when given, counts the captures each revision stands for
    (unchanged captures folded into it)."""
    n = len(history)
    counts = list(seen) if seen is not None else [1] * n
    if len(counts) != n:
        raise ValueError("seen must have one count per revision")
    titles = [" ".join(title.split()) for _, title, _ in history]
    labels = [False] * n
    spans: list[tuple[int, int]] = []  # (the switch that took a title away, its return)
    gone: dict[str, tuple[datetime, int]] = {}  # title -> (replaced at, by revision)
    for i in range(1, n):
        at, _, text = history[i]
        if text != history[i - 1][2]:
            gone = {}  # another text: a new run, tests do not cross it
            continue
        if titles[i] == titles[i - 1]:
            continue
        gone[titles[i - 1]] = (at, i)
        back = gone.pop(titles[i], None)
        if back is not None and at - back[0] <= window:
            labels[i] = True
            spans.append((back[1], i))
    tests = [_summary(history, titles, counts, a, b) for a, b in _merge(spans)]
    return HeadlineTests(tuple(labels), tuple(tests))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _summary(history: Sequence[tuple[datetime, str, str]], titles: list[str],
             counts: list[int], a: int, b: int) -> HeadlineTest:
    """The test of the switches ``a`` to ``b``: the variants shown from revision ``a - 1``
    (the title before the first switch) to ``b``."""
    found: dict[str, list[Any]] = {}  # title -> [shown as, seen, first, last]
    for k in range(a - 1, b + 1):
        at, raw, _ = history[k]
        entry = found.setdefault(titles[k], [" ".join(raw.split()), 0, at, at])
        entry[1] += counts[k]
        entry[3] = at
    variants = sorted((Variant(shown, count, first, last)
                       for shown, count, first, last in found.values()),
                      key=lambda v: (-v.seen, v.first_seen))
    switches = tuple(k for k in range(a, b + 1) if titles[k] != titles[k - 1])
    return HeadlineTest(switches, history[a][0], history[b][0], tuple(variants),
                        " ".join(history[b][1].split()))


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
