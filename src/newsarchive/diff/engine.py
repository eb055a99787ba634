"""The diff engine: exact edit scripts of two texts at a granularity (``compute_ops``).

How a diff is made:

1. Unchanged units are matched first: sentences (non-blank lines at line granularity),
   as the longest common sequence of the two lists. Only the stretches between matched
   units are compared further, so an edit is never matched with a like word in another
   sentence, and each comparison stays small.
2. A sentence outside that sequence that is found unchanged on the other side has moved:
   it is taken out of both texts before the comparison and put back afterwards as a
   whole delete and a whole insert (``Diff.moves`` lists it, and its ops carry the
   move's index; the ops stay an exact edit script).
3. Each stretch is cut into tokens at the granularity (they concatenate back to it
   exactly), each distinct token is mapped to one private-use character (the BMP area,
   then planes 15 and 16: 137,468 codes), and diff-match-patch diffs the encoded strings
   (``fast_diff_match_patch`` when importable, else the pure-Python port; same output).
   Decoded, the result gets diff-match-patch's semantic cleanup, but in whole tokens
   weighed in characters, and each lone change slides to the best boundary of the real
   text (paragraph, line, sentence, word), as diff-match-patch's lossless cleanup would.

Bounded work, the same result every time: a diff gets a budget of :data:`CELL_BUDGET`
"cells" (for each diff-match-patch run, the product of its two lengths in tokens, which
bounds the run's work). When the requested granularity would exceed it, the attempt is
dropped and the diff made again at the next coarser granularity (char -> word ->
sentence -> line), which has far fewer tokens; at the coarsest, a run over the budget is
a plain replacement. The budget counts work, not seconds, so that the figures stored
with a revision are a function of its texts alone, whatever the machine's speed or
load (a ``timeout`` in seconds can still be asked for, for display). The same happens
when a stretch has more distinct tokens than there are codes. Whatever the path, the
result is exact: the equal+delete texts concatenate to A and the equal+insert texts to B
(checked before returning). ``Diff.by`` names the granularity actually used.

The model (``Diff``, ``Op``, moves and stats) lives in :mod:`newsarchive.diff.model`, the
renderers (inline, unified, HTML, stat) in :mod:`newsarchive.diff.render`.
"""

from __future__ import annotations

import bisect
import itertools
import re
import time
from collections import deque
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any, Literal

from newsarchive.errors import UsageError
from newsarchive.text.sentences import CLOSERS, TERMINATORS, sentence_tokens
from newsarchive.text.words import POSSESSIVE, WORD_PATTERN

GRANULARITIES = ("word", "sentence", "line", "char")
_COARSER: dict[str, str | None] = {"char": "word", "word": "sentence", "sentence": "line",
                                   "line": None}

# -- tokens -------------------------------------------------------------------------------

# An emoji with what joins or modifies it (ZWJ sequences, skin tones, variation selectors,
# flags): one token, so a diff never marks a lone joiner or a tone ("👍[-🏽-]{+🏻+}")
_PICTO = "\u2600-\u27bf\U0001f000-\U0001faff"
_EMOJI = rf"[{_PICTO}](?:[\u200d\ufe0f\U0001f3fb-\U0001f3ff]|(?<=\u200d)[{_PICTO}]" \
         rf"|(?<=[\U0001f1e6-\U0001f1ff])[\U0001f1e6-\U0001f1ff])*{POSSESSIVE}"


@cache
def token_re() -> re.Pattern[str]:
    """The diff's word-level tokens: words (:mod:`newsarchive.text.words`), emoji
    sequences, whitespace runs and single other characters. Compiled on first use."""
    return re.compile(rf"{WORD_PATTERN}|{_EMOJI}|\s+|.", re.DOTALL)


_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+")


def tokenize(text: str, by: str) -> list[str]:
    """The tokens of ``text`` at a granularity; they concatenate to ``text`` exactly."""
    if by == "word":
        return token_re().findall(text)
    if by == "sentence":
        return sentence_tokens(text)
    if by == "line":
        return _LINE_RE.findall(text)
    if by == "char":
        return list(text)
    raise UsageError(f"unknown diff granularity {by!r} (choose from {', '.join(GRANULARITIES)})")


@lru_cache(maxsize=32)
def _spans_cached(text: str) -> tuple[tuple[int, int], ...]:
    spans, pos = [], 0
    for tok in sentence_tokens(text):
        if not tok[0].isspace():
            spans.append((pos, pos + len(tok)))
        pos += len(tok)
    return tuple(spans)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence of ``text``, in order."""
    return list(_spans_cached(text))


# Private-use code points that stand for tokens: the BMP area, then planes 15 and 16.
_PLANES = ((0xE000, 0xF8FF + 1 - 0xE000), (0xF0000, 0xFFFFD + 1 - 0xF0000),
           (0x100000, 0x10FFFD + 1 - 0x100000))
MAX_TOKENS = sum(n for _, n in _PLANES)


class TooManyTokens(Exception):
    pass


def _code(n: int) -> str:
    for base, size in _PLANES:
        if n < size:
            return chr(base + n)
        n -= size
    raise TooManyTokens


def encode_tokens(tokens: list[str], table: dict[str, str]) -> str:
    out = []
    for tok in tokens:
        c = table.get(tok)
        if c is None:
            c = table[tok] = _code(len(table))
        out.append(c)
    return "".join(out)


# -- diff-match-patch ---------------------------------------------------------------------

OpName = Literal["equal", "delete", "insert"]
RawOps = list[tuple[OpName, str]]   # never an empty text
_OPNAME: dict[Any, OpName] = {"=": "equal", "-": "delete", "+": "insert",
                              0: "equal", -1: "delete", 1: "insert"}


@cache
def _fast_dmp() -> Any:
    """The ``fast_diff_match_patch`` extension, or None when it is not installed; asked
    once: Python does not remember a failed import, and trying again on every diff
    searched ``sys.path`` each time (0.8 ms a call: half of a ``changes --limit 20``)."""
    try:
        import fast_diff_match_patch as fast  # optional extra [fast]
    except ImportError:
        return None
    return fast


def run_dmp(a: str, b: str, timeout: float, engine: str | None,
         cleanup: bool = True) -> list[tuple[OpName, int]]:
    """diff-match-patch of two strings, (op name, length) pairs; ``cleanup``: with its
    semantic cleanup. ``timeout`` in seconds, 0 for none."""
    if not a or not b or set(a).isdisjoint(b):   # nothing in common: no search needed
        whole: list[tuple[OpName, int]] = [("delete", len(a)), ("insert", len(b))]
        return [(op, n) for op, n in whole if n]
    fast = _fast_dmp() if engine != "python" else None
    if fast is None and engine == "fast":
        raise ImportError("fast_diff_match_patch is not installed (the [fast] extra)")
    # A 2-byte wchar build (Windows) refuses characters beyond the BMP.
    if fast is not None and (fast.CHAR_WIDTH >= 4 or max(max(a), max(b)) <= "\uffff"):
        try:
            res = fast.diff(a, b, timelimit=timeout, checklines=False,
                            cleanup="Semantic" if cleanup else "No", counts_only=True)
            return [(_OPNAME[op], n) for op, n in res]
        except (ValueError, UnicodeError, TypeError, OverflowError):
            pass   # whatever else the extension cannot take, the Python port can
    from diff_match_patch import diff_match_patch  # only for long texts: start-up time

    dmp = diff_match_patch()
    dmp.Diff_Timeout = timeout
    diffs = dmp.diff_main(a, b, False)
    if cleanup:
        dmp.diff_cleanupSemantic(diffs)
    return [(_OPNAME[op], len(text)) for op, text in diffs]


_TokOps = list[tuple[OpName, list[str]]]


def _decode(counts: list[tuple[OpName, int]], ta: list[str], tb: list[str]) -> _TokOps:
    ops: _TokOps = []
    i = j = 0
    for op, n in counts:
        if n <= 0:
            continue
        if op == "insert":
            toks, j = tb[j:j + n], j + n
        else:
            toks, i = ta[i:i + n], i + n
            j += n if op == "equal" else 0
        if ops and ops[-1][0] == op:
            ops[-1][1].extend(toks)
        else:
            ops.append((op, toks))
    return ops


def _trivial(ta: list[str], tb: list[str]) -> _TokOps:
    """Common prefix and suffix of tokens kept, the middle replaced: exact, instant."""
    return _merge_tokens([("delete", list(ta)), ("insert", list(tb))])


def _merge_tokens(ops: _TokOps) -> _TokOps:
    """Adjacent ops of one kind joined, each run of changes as its deletes then its
    inserts, and the tokens such a pair begins or ends with in common made equal."""
    out: _TokOps = []
    gone: list[str] = []
    new: list[str] = []

    def equal(toks: list[str]) -> None:
        if toks and out and out[-1][0] == "equal":
            out[-1][1].extend(toks)
        elif toks:
            out.append(("equal", list(toks)))

    for op, toks in [*ops, ("equal", [])]:
        if op == "delete":
            gone.extend(toks)
        elif op == "insert":
            new.extend(toks)
        else:
            tail: list[str] = []
            if gone and new:
                n, p, q = min(len(gone), len(new)), 0, 0
                while p < n and gone[p] == new[p]:
                    p += 1
                while q < n - p and gone[-1 - q] == new[-1 - q]:
                    q += 1
                equal(gone[:p])
                tail = gone[len(gone) - q:]
                gone, new = gone[p:len(gone) - q], new[p:len(new) - q]
            if gone:
                out.append(("delete", gone))
            if new:
                out.append(("insert", new))
            gone, new = [], []
            equal(tail)
            equal(toks)
    return out


class _Change:
    """A run of deletes and inserts (as deques, so that merges can go small into large)."""

    __slots__ = ("gone", "new", "wg", "wn")

    def __init__(self) -> None:
        self.gone: deque[str] = deque()
        self.new: deque[str] = deque()
        self.wg = self.wn = 0

    def add(self, op: OpName, toks: list[str]) -> None:
        if op == "delete":
            self.gone.extend(toks)
            self.wg += sum(map(len, toks))
        else:
            self.new.extend(toks)
            self.wn += sum(map(len, toks))

    def absorb(self, eq: list[str], weight: int, right: _Change) -> _Change:
        """This change, the equality ``eq``, then ``right``, as one change."""
        for mine, theirs in ((self.gone, right.gone), (self.new, right.new)):
            if len(mine) >= len(theirs):
                mine.extend(eq)
                mine.extend(theirs)
            else:
                theirs.extendleft(reversed(eq))
                theirs.extendleft(reversed(mine))
        out = _Change()
        out.gone = self.gone if len(self.gone) >= len(right.gone) else right.gone
        out.new = self.new if len(self.new) >= len(right.new) else right.new
        out.wg, out.wn = self.wg + weight + right.wg, self.wn + weight + right.wn
        return out


def _cleanup_semantic(ops: _TokOps) -> _TokOps:
    """diff-match-patch's semantic cleanup, in whole tokens but weighed in characters:
    an equality no longer than the changes on both sides of it becomes part of them.
    A stack of equalities and changes, merged as they come: O(n log n)."""
    stack: list[_Change | tuple[list[str], int]] = []
    for op, toks in [*ops, ("equal", [])]:
        if op != "equal":
            if not stack or not isinstance(stack[-1], _Change):
                stack.append(_Change())
            top = stack[-1]
            assert isinstance(top, _Change)
            top.add(op, toks)
            continue
        while len(stack) >= 3:   # the change before this equality is complete
            c1, eq, c2 = stack[-3], stack[-2], stack[-1]
            if not (isinstance(c1, _Change) and isinstance(c2, _Change)
                    and isinstance(eq, tuple)):
                break
            if eq[1] > max(c1.wg, c1.wn) or eq[1] > max(c2.wg, c2.wn):
                break
            stack[-3:] = [c1.absorb(eq[0], eq[1], c2)]
        if toks:
            stack.append((toks, sum(map(len, toks))))
    out: _TokOps = []
    for item in stack:
        if isinstance(item, _Change):
            out += [("delete", list(item.gone)), ("insert", list(item.new))]
        else:
            out.append(("equal", item[0]))
    return _merge_tokens([(op, t) for op, t in out if t])


def _boundary_score(left: str, right: str) -> int:
    """How good a place the boundary between ``left`` and ``right`` is for an edit to
    start or end: 6 text edge, 5 blank line, 4 line break, 3 sentence end, 2 space,
    1 other non-word character, 0 inside a word (diff-match-patch's scale)."""
    if not left or not right:
        return 6
    c1, c2 = left[-1], right[0]
    if c1 == "\n" or c2 == "\n":
        return 5 if left.endswith("\n\n") or right.startswith("\n\n") else 4
    if c2.isspace() and left.rstrip(CLOSERS).endswith(TERMINATORS):
        return 3
    if c1.isspace() or c2.isspace():
        return 2
    return 1 if not c1.isalnum() or not c2.isalnum() else 0


_SHIFT_LIMIT = 64
MIN_MOVE_CHARS = 20   # shorter sentences ("Yes.") are not reported as moved


def _align(ops: _TokOps) -> None:
    """Slide each lone insert or delete between two equalities along them (in tokens) to
    the best boundaries of the real text (diff-match-patch's lossless cleanup cannot see
    them through the encoding). In place; exact by construction."""
    last = len(ops) - 1
    for i in range(1, last):
        (o1, eq1), (op, edit), (o2, eq2) = ops[i - 1], ops[i], ops[i + 1]
        if o1 != "equal" or o2 != "equal" or op == "equal":
            continue
        room = min(len(eq1) - (i - 1 > 0), len(edit), _SHIFT_LIMIT)
        k = 0   # first slide left as far as the common suffix allows
        while k < room and eq1[-1 - k] == edit[-1 - k]:
            k += 1
        if k:
            eq2[:0] = edit[-k:]
            edit[:] = eq1[-k:] + edit[:-k]
            del eq1[-k:]
        n = len(edit)
        seq = edit + eq2[:2 * _SHIFT_LIMIT]   # the edit and what it can slide over
        room = min(len(eq2) - (i + 1 < last), 2 * _SHIFT_LIMIT)
        best, best_score, s = 0, -1, 0
        while True:
            left = "".join((eq1[-4:] + eq2[:s])[-4:])
            score = (_boundary_score(left, "".join(seq[s:s + 4]))
                     + _boundary_score("".join(seq[max(s, s + n - 4):s + n]),
                                       "".join(eq2[s:s + 4])))
            if score >= best_score:
                best, best_score = s, score
            if s >= room or seq[s] != eq2[s]:
                break
            s += 1
        if best:
            eq1.extend(eq2[:best])
            edit[:] = seq[best:best + n]
            del eq2[:best]
    ops[:] = [(op, toks) for op, toks in ops if toks]


_Pairs = list[tuple[int, int, int, int]]   # (start, end) in A and in B of matched units
# (start, end) in A and in B of sentences known to have moved (and been edited)
MovedSpans = Sequence[tuple[int, int, int, int]]


class _OutOfTime(Exception):
    pass


# The work one diff attempt may do, in cells (see the module docstring): about a second of
# the pure-Python diff-match-patch on two wholly different runs of 775 tokens each (it
# does some 0.6 million cells a second there), far less for the edits news texts see.
CELL_BUDGET = 600_000


class _Ctx:
    """What one diff attempt shares: its deadline, engine and options, and the facts
    learnt on the way (kept for a retry at a coarser granularity). A plain class, not a
    dataclass: ``changes`` imports this module, and a dataclass's methods are compiled
    when the class is defined."""

    __slots__ = ("deadline", "engine", "cleanup", "abort", "late", "memo", "cells")

    def __init__(self, deadline: float | None, engine: str | None, cleanup: bool, *,
                 abort: bool = False, memo: dict[str, _Pairs] | None = None,
                 cells: int | None = None) -> None:
        self.deadline = deadline
        self.engine = engine
        self.cleanup = cleanup
        self.abort = abort   # raise _OutOfTime as soon as a run runs out of time
        self.late = False    # some diff-match-patch run ran out of time
        self.memo: dict[str, _Pairs] = {} if memo is None else memo  # shared by the retries
        self.cells = cells  # the work left (see CELL_BUDGET); None: a deadline instead

    def dmp(self, a: str, b: str, cleanup: bool = False) -> list[tuple[OpName, int]]:
        if self.cells is not None:
            cost = len(a) * len(b)
            if cost > self.cells and not set(a).isdisjoint(b):
                self.late = True
                if self.abort:
                    raise _OutOfTime
                whole: list[tuple[OpName, int]] = [("delete", len(a)), ("insert", len(b))]
                return [(op, n) for op, n in whole if n]
            self.cells -= cost
            return run_dmp(a, b, 0, self.engine, cleanup)
        budget = 0.0
        if self.deadline is not None:
            budget = self.deadline - time.monotonic()
            if budget <= 0 and self.abort:
                raise _OutOfTime
            budget = max(budget, 0.001)
        start = time.monotonic()
        res = run_dmp(a, b, budget, self.engine, cleanup)
        if budget > 0 and time.monotonic() - start >= budget:
            self.late = True
            if self.abort:
                raise _OutOfTime
        return res


def _run(a: str, b: str, by: str, ctx: _Ctx) -> RawOps:
    """One diff-match-patch run at one granularity."""
    ops: RawOps = []
    if by == "char":   # diff-match-patch's own cleanup works on the real characters
        i = j = 0
        for op, n in ctx.dmp(a, b, ctx.cleanup):
            if op == "insert":
                ops.append((op, b[j:j + n]))
                j += n
            else:
                ops.append((op, a[i:i + n]))
                i, j = i + n, j + (n if op == "equal" else 0)
        return ops
    ta, tb = tokenize(a, by), tokenize(b, by)
    table: dict[str, str] = {}
    ea, eb = encode_tokens(ta, table), encode_tokens(tb, table)
    tok_ops = _decode(ctx.dmp(ea, eb), ta, tb)
    if ctx.cleanup:
        tok_ops = _cleanup_semantic(tok_ops)
        _align(tok_ops)
    return [(op, "".join(toks)) for op, toks in tok_ops]


_LINE_UNIT_RE = re.compile(r"[^\n]+\n?")   # a non-blank line with its line break


def line_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _LINE_UNIT_RE.finditer(text)]


def _match_units(a: str, b: str, sa: list[tuple[int, int]], sb: list[tuple[int, int]],
                 ctx: _Ctx) -> _Pairs:
    """The longest common sequence of units (lines or sentences) of ``a`` and ``b``."""
    pairs: _Pairs = []
    if not sa or not sb:
        return pairs
    try:
        table: dict[str, str] = {}
        ea = encode_tokens([a[s:e] for s, e in sa], table)
        eb = encode_tokens([b[s:e] for s, e in sb], table)
    except TooManyTokens:
        return pairs
    i = j = 0
    for op, n in ctx.dmp(ea, eb):
        if op == "equal":
            pairs += [(*sa[i + k], *sb[j + k]) for k in range(n)]
        i += n if op != "insert" else 0
        j += n if op != "delete" else 0
    return pairs


def _replace(a: str, b: str) -> RawOps:
    """``a`` replaced by ``b``, but for the whitespace they begin or end with in common."""
    n, p, q = min(len(a), len(b)), 0, 0
    while p < n and a[p] == b[p] and a[p].isspace():
        p += 1
    while q < n - p and a[-1 - q] == b[-1 - q] and a[-1 - q].isspace():
        q += 1
    ops: RawOps = [("equal", a[:p]), ("delete", a[p:len(a) - q]), ("insert", b[p:len(b) - q]),
                    ("equal", a[len(a) - q:])]
    return [(op, t) for op, t in ops if t]


def _fill_gaps(a: str, b: str, pairs: _Pairs, by: str, ctx: _Ctx) -> RawOps:
    """Matched units as equalities, and what lies between them diffed at ``by``."""
    ops: RawOps = []
    pa = pb = 0
    for sa, ea, sb, eb in [*pairs, (len(a), len(a), len(b), len(b))]:
        ga, gb = a[pa:sa], b[pb:sb]
        if ga == gb or not ga or not gb:
            ops += [("equal", ga)] if ga == gb else [("delete", ga), ("insert", gb)]
        elif ctx.cleanup and by in ("line", "sentence"):   # no unchanged unit is left
            ops += _replace(ga, gb)
        else:
            ops += _run(ga, gb, by, ctx)
        ops.append(("equal", a[sa:ea]))
        pa, pb = ea, eb
    merged = _merge_tokens([(op, [t]) for op, t in ops if t])
    return [(op, "".join(t)) for op, t in merged]


def _moves_outside(a: str, b: str, pairs: _Pairs, known: MovedSpans = ()
                   ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Spans in ``a`` and ``b`` of sentences outside the matched ones that are found,
    unchanged, on the other side: the sentences that moved; and the ``known`` moves
    (sentences that moved and were edited, from the sentence alignment) outside them."""
    kept_a = {p[0] for p in pairs}
    kept_b = {p[2] for p in pairs}
    free: dict[str, list[tuple[int, int]]] = {}
    for s, e in sentence_spans(a):
        if s not in kept_a and e - s >= MIN_MOVE_CHARS:
            free.setdefault(a[s:e], []).append((s, e))
    moved_a, moved_b = [], []
    for s, e in sentence_spans(b):
        there = free.get(b[s:e]) if s not in kept_b else None
        if there:
            moved_a.append(there.pop(0))
            moved_b.append((s, e))
    taken_a, taken_b = set(moved_a), set(moved_b)
    for sa, ea, sb, eb in known:
        if (sa not in kept_a and sb not in kept_b and (sa, ea) not in taken_a
                and (sb, eb) not in taken_b):
            moved_a.append((sa, ea))
            moved_b.append((sb, eb))
    return sorted(moved_a), sorted(moved_b)


def _cut_out(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, str]]]:
    """``text`` without the spans, and each span's text at its place in what is left."""
    parts, cuts, prev, gone = [], [], 0, 0
    for s, e in spans:
        parts.append(text[prev:s])
        cuts.append((s - gone, text[s:e]))
        gone += e - s
        prev = e
    parts.append(text[prev:])
    return "".join(parts), cuts


def _splice(ops: RawOps, dels: list[tuple[int, str]], ins: list[tuple[int, str]]) -> RawOps:
    """Put deletes back at their places in A and inserts at theirs in B (splitting ops
    where needed): an exact script for the shorter texts becomes one for the full ones."""
    out: RawOps = []
    pa = pb = di = ii = 0
    for op, text in [*ops, ("equal", "")]:
        while True:
            while di < len(dels) and dels[di][0] == pa:
                out.append(("delete", dels[di][1]))
                di += 1
            while ii < len(ins) and ins[ii][0] == pb:
                out.append(("insert", ins[ii][1]))
                ii += 1
            if not text:
                break
            n = len(text)
            if op != "insert" and di < len(dels):
                n = min(n, dels[di][0] - pa)
            if op != "delete" and ii < len(ins):
                n = min(n, ins[ii][0] - pb)
            out.append((op, text[:n]))
            text = text[n:]
            pa += n if op != "insert" else 0
            pb += n if op != "delete" else 0
    merged = _merge_tokens([(op, [t]) for op, t in out if t])
    return [(op, "".join(t)) for op, t in merged]


def _attempt(a: str, b: str, level: str, ctx: _Ctx, known: MovedSpans = ()) -> RawOps:
    """The diff at one granularity.

    Unchanged units are matched first (non-blank lines at line granularity, sentences
    below it) and only what lies between them is diffed at ``level``: a change is never
    matched with a like word in another sentence, and each diff-match-patch run stays
    small. Below line granularity, sentences that moved are then taken out of both texts
    and put back as whole deletes and inserts, so that a moved sentence is never matched
    piecemeal with the words around its old or new place; so are the ``known`` moves.
    """
    if level == "line" or not ctx.cleanup:
        lines = _match_units(a, b, line_spans(a), line_spans(b), ctx)
        return _fill_gaps(a, b, lines, level, ctx)
    pairs = ctx.memo.get("sentences")
    if pairs is None:
        was_late, ctx.late = ctx.late, False
        pairs = _match_units(a, b, sentence_spans(a), sentence_spans(b), ctx)
        if not ctx.late:   # a complete match serves a retry at a coarser level too
            ctx.memo["sentences"] = pairs
        ctx.late = ctx.late or was_late
    moved_a, moved_b = _moves_outside(a, b, pairs, known)
    if not moved_a:
        return _fill_gaps(a, b, pairs, level, ctx)
    ra, dels = _cut_out(a, moved_a)
    rb, ins = _cut_out(b, moved_b)
    cuts_a, cuts_b = [s for s, _ in moved_a], [s for s, _ in moved_b]
    gone_a = [0, *itertools.accumulate(e - s for s, e in moved_a)]
    gone_b = [0, *itertools.accumulate(e - s for s, e in moved_b)]

    def shift(pos: int, cuts: list[int], gone: list[int]) -> int:
        return pos - gone[bisect.bisect_left(cuts, pos)]

    pairs = [(shift(sa, cuts_a, gone_a), shift(ea, cuts_a, gone_a),
              shift(sb, cuts_b, gone_b), shift(eb, cuts_b, gone_b)) for sa, ea, sb, eb in pairs]
    return _splice(_fill_gaps(ra, rb, pairs, level, ctx), dels, ins)


def _is_exact(ops: RawOps, a: str, b: str) -> bool:
    return ("".join(t for op, t in ops if op != "insert") == a
            and "".join(t for op, t in ops if op != "delete") == b)


def compute_ops(a: str, b: str, by: str = "word", timeout: float | None = None,
                engine: str | None = None, cleanup: bool = True,
                moved: MovedSpans = ()) -> tuple[RawOps, str]:
    """An exact edit script, (op, text) pairs, from ``a`` to ``b``; the granularity used.

    Bounded by :data:`CELL_BUDGET`, or by ``timeout`` seconds when one is given (<= 0: no
    bound at all). ``engine``: None (fast if importable), "fast" or "python".
    ``cleanup=False`` leaves the minimal diff (for ``diff -u`` like output). ``moved``:
    spans of sentences known to have moved (with an edit), each taken out of both texts
    and put back as a whole delete and a whole insert, as unchanged moves are.
    """
    if by not in _COARSER:
        tokenize("", by)   # raises the UsageError
    if a == b:
        return ([("equal", a)] if a else []), by
    timed = timeout is not None
    deadline = time.monotonic() + timeout if timeout is not None and timeout > 0 else None
    memo: dict[str, _Pairs] = {}
    level = by
    while True:
        coarser = _COARSER[level]
        ctx = _Ctx(deadline, engine, cleanup, abort=coarser is not None, memo=memo,
                   cells=None if timed else CELL_BUDGET)
        if deadline is not None and coarser:   # keep half the time for a coarser retry
            ctx.deadline = time.monotonic() + (deadline - time.monotonic()) / 2
        try:
            ops = _attempt(a, b, level, ctx, moved)
            if _is_exact(ops, a, b):   # never expected otherwise; keeps the contract
                return ops, level
        except (TooManyTokens, _OutOfTime):
            pass
        if coarser is None:
            trivial = _trivial(tokenize(a, level), tokenize(b, level))
            return [(op, "".join(t)) for op, t in trivial], level
        level = coarser
