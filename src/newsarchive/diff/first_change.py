"""The first sentence an edit touched: what ``changes`` shows of each change.

Apart from :mod:`newsarchive.diff.facts` so that ``changes`` loads the word diff alone,
not the sentence alignment (start-up time of a read command).
"""

from __future__ import annotations

import bisect

from newsarchive.diff.engine import compute_ops, sentence_spans


def _sentence_at(text: str, pos: int) -> str | None:
    spans = sentence_spans(text)
    i = max(bisect.bisect_right([s for s, _ in spans], pos) - 1, 0)
    if i < len(spans) and spans[i][1] <= pos:
        i += 1
    if i >= len(spans):
        i = len(spans) - 1
    return text[spans[i][0]:spans[i][1]] if spans else None


def first_changed_sentence(a: str, b: str) -> str | None:
    """The first sentence of ``b`` the edit touched (of ``a`` when it only took text out).

    A change to spacing alone is passed over when there is another change.
    """
    if a == b:
        return None
    raw, _ = compute_ops(a, b, "word")
    changes: list[tuple[int, int, int]] = []   # (op index, position in a, position in b)
    pa = pb = 0
    for k, (op, text) in enumerate(raw):
        if op != "equal":
            changes.append((k, pa, pb))
        pa += len(text) if op != "insert" else 0
        pb += len(text) if op != "delete" else 0
    if not changes:
        return None
    k, pa, pb = next((c for c in changes if raw[c[0]][1].strip()), changes[0])
    inserts = raw[k][0] == "insert" or (k + 1 < len(raw) and raw[k + 1][0] == "insert")
    if not inserts and not any(s < pb < e for s, e in sentence_spans(b)):
        return _sentence_at(a, pa)
    return _sentence_at(b, pb) or _sentence_at(a, pa)
