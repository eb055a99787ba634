"""Facts derived from a revision and its predecessor: word counts, change kinds, edits.

Computed when a revision is added and again by ``reindex``, so they are always a pure
function of the stored texts and titles.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Derived:
    words_added: int = 0
    words_removed: int = 0
    kind: tuple[str, ...] = ()
    flipflop: bool = False
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)


def derive_revision(prev_text: str | None, prev_title: str | None, text: str, title: str,
                    reverts: bool, history: list[tuple[str, str]]) -> Derived:
    """``history``: (text hash, title) of every revision of the article, this one last."""
    from newsarchive.changekind import classify, flip_flops

    kind = classify(prev_text, text, prev_title, title, reverts=reverts)
    if prev_text is None:
        return Derived(kind=kind)
    if prev_text == text:
        return Derived(kind=kind, flipflop=flip_flops(history)[-1])
    from newsarchive.diffing import changed_passages, word_change_counts

    added, removed = word_change_counts(prev_text, text)
    gone, new = changed_passages(prev_text, text)
    return Derived(added, removed, kind, flip_flops(history)[-1], gone, new)
