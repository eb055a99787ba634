"""What a diff is: an exact edit script of ops, the sentences that moved, the sentence
alignment, and figures."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from newsarchive.diff.engine import OpName, compute_ops

if TYPE_CHECKING:
    from newsarchive.diff.align import Alignment

WordOps = tuple[tuple[OpName, str], ...]


@dataclass(frozen=True)
class Op:
    op: OpName
    text: str
    moved: int | None = None   # index into Diff.moves when this op is half of a move

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"op": self.op, "text": self.text}
        if self.moved is not None:
            d["moved"] = self.moved
        return d


@dataclass(frozen=True)
class Move:
    """A sentence that moved: its text in B, offsets in characters into A and into B and,
    when it was edited on the way, its text in A and the word diff of the two."""

    text: str
    a_offset: int
    b_offset: int
    old_text: str | None = None   # None: moved unchanged
    word_ops: WordOps = ()

    @property
    def a_text(self) -> str:
        return self.text if self.old_text is None else self.old_text

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"text": self.text, "a_offset": self.a_offset,
                             "b_offset": self.b_offset}
        if self.old_text is not None:
            d["old_text"] = self.old_text
            d["word_ops"] = [{"op": op, "text": t} for op, t in self.word_ops]
        return d


@dataclass(frozen=True)
class DiffStats:
    """The figures of a diff, from the sentence alignment (:mod:`newsarchive.diff.align`):
    words the edit put in and took out (moved words are not changed words), sentences by
    what became of them, and the share of the words that changed."""

    words_added: int
    words_removed: int
    sentences_added: int
    sentences_removed: int
    sentences_edited: int   # rewritten in place, moved with an edit, split or merged
    sentences_moved: int
    changed_share: float    # 0..1: (words removed + added) / (words of A + words of B)
    title_changed: bool
    sentences_split: int = 0
    sentences_merged: int = 0

    @property
    def text_changed(self) -> bool:
        return bool(self.words_added or self.words_removed or self.sentences_added
                    or self.sentences_removed or self.sentences_edited or self.sentences_moved)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["changed_share"] = round(self.changed_share, 4)
        return d


@dataclass
class DiffData:
    """The diff of text A (labelled ``a``) against text B (``b``), at granularity ``by``.

    ``ops`` is an exact edit script (equal+delete texts give A, equal+insert texts B);
    :class:`newsarchive.diff.compare.Diff` adds its renderings.
    """

    a: str
    b: str
    title_a: str | None
    title_b: str | None
    by: str
    ops: list[Op]
    moves: list[Move] = field(default_factory=list)
    stats: DiffStats = field(default_factory=lambda: DiffStats(0, 0, 0, 0, 0, 0, 0.0, False))
    alignment: Alignment | None = field(default=None, compare=False, repr=False)
    time_a: str | None = None   # capture times (``YYYY-MM-DDTHH:MM:SSZ``), when known
    time_b: str | None = None

    @property
    def changed(self) -> bool:
        """Whether the texts or the titles differ."""
        return self.stats.title_changed or any(op.op != "equal" for op in self.ops)

    @property
    def text_a(self) -> str:
        return "".join(op.text for op in self.ops if op.op != "insert")

    @property
    def text_b(self) -> str:
        return "".join(op.text for op in self.ops if op.op != "delete")

    def title_ops(self) -> list[Op]:
        """A word diff of the titles (empty when neither side has one)."""
        ops, _ = compute_ops(self.title_a or "", self.title_b or "", "word")
        return [Op(op, t) for op, t in ops]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "a": self.a, "b": self.b, "title": {"a": self.title_a, "b": self.title_b},
            "captured": {"a": self.time_a, "b": self.time_b},
            "by": self.by, "ops": [op.to_dict() for op in self.ops],
            "moves": [m.to_dict() for m in self.moves]}
        d["sentences"] = ([c.to_dict() for c in self.alignment.changes]
                          if self.alignment is not None else [])
        d["stats"] = self.stats.to_dict()
        return d

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)
