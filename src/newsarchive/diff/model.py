"""What a diff is: an exact edit script of ops, the sentences that moved, and figures."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from newsarchive.diff.engine import OpName, compute_ops


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
    """A sentence that moved unchanged: offsets in characters into A and into B."""

    text: str
    a_offset: int
    b_offset: int


@dataclass(frozen=True)
class DiffStats:
    words_added: int
    words_removed: int
    sentences_added: int
    sentences_removed: int
    sentences_changed: int
    changed_share: float   # 0..1: (deleted + inserted characters) / (len(A) + len(B))
    title_changed: bool
    sentences_moved: int = 0

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
    stats: DiffStats = field(default_factory=lambda: DiffStats(0, 0, 0, 0, 0, 0.0, False))

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
        return {"a": self.a, "b": self.b, "title": {"a": self.title_a, "b": self.title_b},
                "by": self.by, "ops": [op.to_dict() for op in self.ops],
                "moves": [asdict(m) for m in self.moves], "stats": self.stats.to_dict()}

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)
