"""Facts derived from a revision and its predecessor: word counts, change kinds, edits.

Computed when a revision is added and again by ``reindex``, so they are always a pure
function of the stored texts and titles. The costly part, :func:`text_change`, depends
on the two texts alone; bulk writes compute it ahead in worker processes
(:class:`Prefetch`, :mod:`newsarchive.workers`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from newsarchive.changes.kinds import classify, flip_flops, text_facts
from newsarchive.ingest.noise import NoiseRules, differs_by_noise
from newsarchive.text.words import count_words

if TYPE_CHECKING:
    from concurrent.futures import Future

    from newsarchive.workers import Workers


@dataclass(frozen=True)
class Derived:
    words_added: int = 0
    words_removed: int = 0
    kind: tuple[str, ...] = ()
    flipflop: bool = False
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    first: str | None = None   # the first sentence the edit touched (``changes``)


@dataclass(frozen=True)
class TextChange:
    """What an edit did to the text: word counts, the passages it took out and put in,
    :func:`newsarchive.changes.kinds.text_facts` and the first sentence it touched."""

    words_added: int
    words_removed: int
    removed: tuple[str, ...]
    added: tuple[str, ...]
    facts: tuple[bool, bool, bool]
    first: str | None = None
    words: int | None = None  # the new text's words (the alignment counts them anyway)


NO_CHANGE = TextChange(0, 0, (), (), (False, False, False))


def text_change(prev_text: str, text: str) -> TextChange:
    if prev_text == text:
        return NO_CHANGE
    # the diff engine and the alignment, loaded by the first comparison: a cron add of
    # new articles compares nothing (start-up time)
    from newsarchive.diff.facts import aligned, changed_passages, first_changed_sentence

    stats = aligned(prev_text, text).stats
    gone, new = changed_passages(prev_text, text)
    return TextChange(stats.words_added, stats.words_removed, tuple(gone), tuple(new),
                      text_facts(prev_text, text), first_changed_sentence(prev_text, text),
                      stats.words_new)


def derive_revision(prev_text: str | None, prev_title: str | None, text: str, title: str,
                    reverts: bool, history: list[tuple[str, str]],
                    change: TextChange | None = None, event: str | None = None, *,
                    suspect: bool = False, headline_test: bool = False,
                    noise: bool = False) -> Derived:
    """``history``: (text hash, title) of every revision of the article, this one last;
    ``change``: :func:`text_change` of the two texts when computed ahead; ``event``: what
    watching the URL recorded (``removed``, ``restored``); ``suspect``: the text looks
    like a failed extraction; ``headline_test``: the title went back to a variant of a
    headline test; ``noise``: the texts differ only by noise, so the kinds are those of
    the title alone (the word counts and passages still show the whole edit)."""
    if prev_text is None:
        return Derived(kind=("extraction-suspect",) if suspect else
                       classify(None, text, prev_title, title, reverts=reverts))
    c = change or text_change(prev_text, text)
    kind = classify(prev_text, text, prev_title, title, reverts=reverts,
                    text=NO_CHANGE.facts if noise else c.facts, event=event,
                    suspect=suspect, headline_test=headline_test)
    # a rewritten headline's words are edit passages too (search --removed/--added)
    from newsarchive.diff.facts import title_passages  # the diff engine: start-up time

    gone, new = title_passages(prev_title or "", title or "")
    return Derived(c.words_added, c.words_removed, kind, flip_flops(history)[-1],
                   [*c.removed, *gone], [*c.added, *new], c.first)


@dataclass(frozen=True)
class Ahead:
    """What a bulk write computes ahead for a text and the one it follows: the change,
    and whether they differ only by noise under ``rules``."""

    change: TextChange
    rules: NoiseRules
    noise: bool


def _compare(items: list[tuple[str | None, str, NoiseRules]]) -> list[Ahead]:
    """The comparisons of a worker's task; a text with no previous one (None) is only
    counted (the alignment counts the words of the others)."""
    return [Ahead(text_change(a, b), rules, differs_by_noise(a, b, rules)) if a is not None
            else Ahead(replace(NO_CHANGE, words=count_words(b)), rules, False)
            for a, b, rules in items]


class Prefetch:
    """Comparisons computed ahead by worker processes, looked up by the two texts, and
    the word count of each text compared (or counted) ahead, looked up by the text.

    A miss (a pair nobody predicted, a worker that died) returns None and the caller
    computes it itself, so a wrong prediction costs time, never correctness.
    """

    MIN_PAIRS = 64  # below this, starting workers costs more than it saves
    CHUNK = 25  # pairs per task: amortizes the round trip to a worker

    def __init__(self, workers: Workers) -> None:
        self.workers = workers
        self._ahead: dict[tuple[str | None, str], tuple[Future[list[Ahead]], int]] = {}
        # the pair found last (asked for its noise, then its change): only that one, as a
        # reindex goes through every text of the store. A miss does not replace it: the
        # headline tests look up older pairs between the two questions
        self._last: tuple[tuple[str, str], Ahead | None] | None = None
        self._by_new: dict[str, tuple[Future[list[Ahead]], int]] = {}  # for words()

    def submit(self, items: Iterable[tuple[str | None, str, NoiseRules]]) -> None:
        """Start comparing each (old text, new text, the new one's noise rules); an old
        text of None: only count the new one's words (a first version)."""
        todo = [it for it in dict.fromkeys(items)
                if it[0] != it[1] and it[:2] not in self._ahead]
        if not self.workers.parallel or len(todo) < self.MIN_PAIRS:
            return
        for start in range(0, len(todo), self.CHUNK):
            chunk = todo[start:start + self.CHUNK]
            future = self.workers.submit(_compare, chunk)
            for i, (a, b, _) in enumerate(chunk):
                self._ahead[a, b] = self._by_new[b] = (future, i)

    def _get(self, a: str, b: str) -> Ahead | None:
        if self._last is not None and self._last[0] == (a, b):
            return self._last[1]
        found = self._ahead.pop((a, b), None)
        ahead = None
        if found is not None:
            future, i = found
            try:
                ahead = future.result()[i]
            except Exception:  # a broken pool: the caller computes it, and the rest
                self.workers.lost()
        if ahead is not None:
            self._last = ((a, b), ahead)
        return ahead

    def get(self, prev_text: str, text: str) -> TextChange | None:
        ahead = self._get(prev_text, text)
        return ahead.change if ahead is not None else None

    def noise(self, old: str, new: str, rules: NoiseRules) -> bool | None:
        ahead = self._get(old, new)
        return ahead.noise if ahead is not None and ahead.rules == rules else None

    def words(self, text: str) -> int | None:
        """The words of ``text``, when a task compared or counted it (waiting for it, as
        the comparison itself is asked for next); None when none did."""
        found = self._by_new.get(text)
        if found is None:
            return None
        future, i = found
        try:
            return future.result()[i].change.words
        except Exception:  # a broken pool: the caller counts, and does the rest itself
            self.workers.lost()
            return None

    def clear(self) -> None:
        """Forget what was not asked for (cancelling the work not started yet)."""
        for future, _ in self._ahead.values():
            future.cancel()
        self._ahead.clear()
        self._last = None
        self._by_new.clear()
