"""Word, sentence, line and character diffs of article texts.

How a diff is made (``compute_ops``):

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

Bounded time: a diff gets a deadline (``timeout``). Half of what is left goes to the
requested granularity; if diff-match-patch runs out of time there, the attempt is
dropped and the diff made again at the next coarser granularity (char -> word ->
sentence -> line), which has far fewer tokens. The same happens when a stretch has more
distinct tokens than there are codes. Whatever the path, the result is exact: the
equal+delete texts concatenate to A and the equal+insert texts to B (checked before
returning). ``Diff.by`` names the granularity actually used.

The renderers (inline, unified, HTML, stat) live in :mod:`newsarchive.diffformat`.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from typing import Any, Literal

from newsarchive.errors import UsageError

GRANULARITIES = ("word", "sentence", "line", "char")
_COARSER: dict[str, str | None] = {"char": "word", "word": "sentence", "sentence": "line",
                                   "line": None}

# -- tokens -------------------------------------------------------------------------------

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_MARKS = "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0900-\u0963" \
         "\u0966-\u0dff\u0e31-\u0e3a\u0e47-\u0e4e\u200c\u200d"
_WORD = rf"[{_CJK}]|(?:[^\W{_CJK}]|[{_MARKS}])+(?:['\u2019](?:[^\W{_CJK}]|[{_MARKS}])+)*"


@cache
def _word_re(tokens: bool = False) -> re.Pattern[str]:
    """Words; with ``tokens``, also whitespace runs and single other characters. Compiled
    on first use (the Unicode classes take milliseconds, and the CLI imports this module
    for every diff)."""
    return re.compile(rf"{_WORD}|\s+|." if tokens else _WORD, re.DOTALL)


_LINE_RE = re.compile(r"[^\n]*\n|[^\n]+")
_TERMINATORS = (".", "!", "?", "\u2026", "\u3002", "\uff01", "\uff1f")
_CLOSERS = "\"')]\u201d\u2019\u00bb\u300d\u300f\uff09"


# A sentence end (terminator, closing quotes or brackets, then whitespace), a CJK full stop,
# or a line break; each with the whitespace that follows. Every alternative starts with
# one fixed character and cannot backtrack far: linear time on any input.
_BOUNDARY_RE = re.compile(rf"[.!?\u2026][{re.escape(_CLOSERS)}]*(?:\s+|\Z)"
                          rf"|[\u3002\uff01\uff1f][{re.escape(_CLOSERS)}]*\s*|\n\s*")
_SPACES_RE = re.compile(r"\s+")
# A period after these (or after an initial, "George W. Bush") does not end a sentence.
_ABBREVIATIONS = frozenset((
    "mr", "mrs", "ms", "dr", "prof", "gen", "sen", "rep", "gov", "lt", "col", "sgt", "capt",
    "st", "mt", "ft", "jr", "sr", "vs", "u.s", "u.k", "e.g", "i.e"))


def _is_abbreviation(text: str, start: int, end: int) -> bool:
    """Whether the word ending at ``end`` (just before a period) is an abbreviation."""
    word = text[max(start, end - 8):end].rsplit(None, 1)[-1].lstrip("\"'(\u201c\u2018[")
    return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())


def _sentence_tokens(text: str) -> list[str]:
    """Sentences (no leading or trailing whitespace) and the whitespace runs between them.

    A sentence ends after ., !, ?, ... (and closing quotes or brackets) before whitespace,
    unless the word before the period is a known abbreviation or an initial; after a CJK
    full stop; and at every line break.
    """
    out: list[str] = []
    cur = 0
    lead = _SPACES_RE.match(text)
    if lead:
        out.append(lead.group())
        cur = lead.end()
    for m in _BOUNDARY_RE.finditer(text, cur):
        sep = m.group()
        if sep[0] == "\n":
            body_end = m.start()
        else:
            body_end = m.start() + len(sep.rstrip())
            if (sep[0] == "." and body_end == m.start() + 1 and "\n" not in sep
                    and m.start() > cur and body_end < len(text)
                    and _is_abbreviation(text, cur, m.start())):
                continue
        body = text[cur:body_end].rstrip()
        if body:
            out.append(body)
        if cur + len(body) < m.end():
            out.append(text[cur + len(body):m.end()])
        cur = m.end()
    if cur < len(text):
        body = text[cur:].rstrip()
        out += [body, text[cur + len(body):]] if len(body) < len(text) - cur else [body]
    return out


def tokenize(text: str, by: str) -> list[str]:
    """The tokens of ``text`` at a granularity; they concatenate to ``text`` exactly."""
    if by == "word":
        return _word_re(tokens=True).findall(text)
    if by == "sentence":
        return _sentence_tokens(text)
    if by == "line":
        return _LINE_RE.findall(text)
    if by == "char":
        return list(text)
    raise UsageError(f"unknown diff granularity {by!r} (choose from {', '.join(GRANULARITIES)})")


@lru_cache(maxsize=32)
def _spans_cached(text: str) -> tuple[tuple[int, int], ...]:
    spans, pos = [], 0
    for tok in _sentence_tokens(text):
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


class _TooManyTokens(Exception):
    pass


def _code(n: int) -> str:
    for base, size in _PLANES:
        if n < size:
            return chr(base + n)
        n -= size
    raise _TooManyTokens


def _encode(tokens: list[str], table: dict[str, str]) -> str:
    out = []
    for tok in tokens:
        c = table.get(tok)
        if c is None:
            c = table[tok] = _code(len(table))
        out.append(c)
    return "".join(out)


# -- diff-match-patch ---------------------------------------------------------------------

OpName = Literal["equal", "delete", "insert"]
_RawOps = list[tuple[OpName, str]]   # never an empty text
_OPNAME: dict[Any, OpName] = {"=": "equal", "-": "delete", "+": "insert",
                              0: "equal", -1: "delete", 1: "insert"}


def _dmp(a: str, b: str, timeout: float, engine: str | None,
         cleanup: bool = True) -> list[tuple[OpName, int]]:
    """diff-match-patch of two strings, (op name, length) pairs; ``cleanup``: with its
    semantic cleanup. ``timeout`` in seconds, 0 for none."""
    if not a or not b or set(a).isdisjoint(b):   # nothing in common: no search needed
        whole: list[tuple[OpName, int]] = [("delete", len(a)), ("insert", len(b))]
        return [(op, n) for op, n in whole if n]
    if engine != "python":
        try:
            import fast_diff_match_patch as fast

            # A 2-byte wchar build (Windows) refuses characters beyond the BMP.
            if fast.CHAR_WIDTH >= 4 or max(max(a), max(b)) <= "\uffff":
                res = fast.diff(a, b, timelimit=timeout, checklines=False,
                                cleanup="Semantic" if cleanup else "No", counts_only=True)
                return [(_OPNAME[op], n) for op, n in res]
        except ImportError:
            if engine == "fast":
                raise
        except (ValueError, UnicodeError, TypeError, OverflowError):
            pass   # whatever else the extension cannot take, the Python port can
    from diff_match_patch import diff_match_patch

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
    if c2.isspace() and left.rstrip(_CLOSERS).endswith(_TERMINATORS):
        return 3
    if c1.isspace() or c2.isspace():
        return 2
    return 1 if not c1.isalnum() or not c2.isalnum() else 0


_SHIFT_LIMIT = 64
_MIN_MOVE_CHARS = 20   # shorter sentences ("Yes.") are not reported as moved


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


class _OutOfTime(Exception):
    pass


@dataclass
class _Ctx:
    """What one diff attempt shares: its deadline, engine and options, and the facts
    learnt on the way (kept for a retry at a coarser granularity)."""

    deadline: float | None
    engine: str | None
    cleanup: bool
    abort: bool = False   # raise _OutOfTime as soon as a run runs out of time
    late: bool = False    # some diff-match-patch run ran out of time
    memo: dict[str, _Pairs] = field(default_factory=dict)

    def dmp(self, a: str, b: str, cleanup: bool = False) -> list[tuple[OpName, int]]:
        budget = 0.0
        if self.deadline is not None:
            budget = self.deadline - time.monotonic()
            if budget <= 0 and self.abort:
                raise _OutOfTime
            budget = max(budget, 0.001)
        start = time.monotonic()
        res = _dmp(a, b, budget, self.engine, cleanup)
        if budget > 0 and time.monotonic() - start >= budget:
            self.late = True
            if self.abort:
                raise _OutOfTime
        return res


def _run(a: str, b: str, by: str, ctx: _Ctx) -> _RawOps:
    """One diff-match-patch run at one granularity."""
    ops: _RawOps = []
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
    ea, eb = _encode(ta, table), _encode(tb, table)
    tok_ops = _decode(ctx.dmp(ea, eb), ta, tb)
    if ctx.cleanup:
        tok_ops = _cleanup_semantic(tok_ops)
        _align(tok_ops)
    return [(op, "".join(toks)) for op, toks in tok_ops]


_LINE_UNIT_RE = re.compile(r"[^\n]+\n?")   # a non-blank line with its line break


def _line_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _LINE_UNIT_RE.finditer(text)]


def _match_units(a: str, b: str, sa: list[tuple[int, int]], sb: list[tuple[int, int]],
                 ctx: _Ctx) -> _Pairs:
    """The longest common sequence of units (lines or sentences) of ``a`` and ``b``."""
    pairs: _Pairs = []
    if not sa or not sb:
        return pairs
    try:
        table: dict[str, str] = {}
        ea, eb = _encode([a[s:e] for s, e in sa], table), _encode([b[s:e] for s, e in sb], table)
    except _TooManyTokens:
        return pairs
    i = j = 0
    for op, n in ctx.dmp(ea, eb):
        if op == "equal":
            pairs += [(*sa[i + k], *sb[j + k]) for k in range(n)]
        i += n if op != "insert" else 0
        j += n if op != "delete" else 0
    return pairs


def _replace(a: str, b: str) -> _RawOps:
    """``a`` replaced by ``b``, but for the whitespace they begin or end with in common."""
    n, p, q = min(len(a), len(b)), 0, 0
    while p < n and a[p] == b[p] and a[p].isspace():
        p += 1
    while q < n - p and a[-1 - q] == b[-1 - q] and a[-1 - q].isspace():
        q += 1
    ops: _RawOps = [("equal", a[:p]), ("delete", a[p:len(a) - q]), ("insert", b[p:len(b) - q]),
                    ("equal", a[len(a) - q:])]
    return [(op, t) for op, t in ops if t]


def _fill_gaps(a: str, b: str, pairs: _Pairs, by: str, ctx: _Ctx) -> _RawOps:
    """Matched units as equalities, and what lies between them diffed at ``by``."""
    ops: _RawOps = []
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


def _moves_outside(a: str, b: str, pairs: _Pairs) -> tuple[list[tuple[int, int]],
                                                           list[tuple[int, int]]]:
    """Spans in ``a`` and ``b`` of sentences outside the matched ones that are found,
    unchanged, on the other side: the sentences that moved."""
    kept_a = {p[0] for p in pairs}
    kept_b = {p[2] for p in pairs}
    free: dict[str, list[tuple[int, int]]] = {}
    for s, e in sentence_spans(a):
        if s not in kept_a and e - s >= _MIN_MOVE_CHARS:
            free.setdefault(a[s:e], []).append((s, e))
    moved_a, moved_b = [], []
    for s, e in sentence_spans(b):
        there = free.get(b[s:e]) if s not in kept_b else None
        if there:
            moved_a.append(there.pop(0))
            moved_b.append((s, e))
    return sorted(moved_a), moved_b


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


def _splice(ops: _RawOps, dels: list[tuple[int, str]], ins: list[tuple[int, str]]) -> _RawOps:
    """Put deletes back at their places in A and inserts at theirs in B (splitting ops
    where needed): an exact script for the shorter texts becomes one for the full ones."""
    out: _RawOps = []
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


def _attempt(a: str, b: str, level: str, ctx: _Ctx) -> _RawOps:
    """The diff at one granularity.

    Unchanged units are matched first (non-blank lines at line granularity, sentences
    below it) and only what lies between them is diffed at ``level``: a change is never
    matched with a like word in another sentence, and each diff-match-patch run stays
    small. Below line granularity, sentences that moved are then taken out of both texts
    and put back as whole deletes and inserts, so that a moved sentence is never matched
    piecemeal with the words around its old or new place.
    """
    if level == "line" or not ctx.cleanup:
        lines = _match_units(a, b, _line_spans(a), _line_spans(b), ctx)
        return _fill_gaps(a, b, lines, level, ctx)
    pairs = ctx.memo.get("sentences")
    if pairs is None:
        was_late, ctx.late = ctx.late, False
        pairs = _match_units(a, b, sentence_spans(a), sentence_spans(b), ctx)
        if not ctx.late:   # a complete match serves a retry at a coarser level too
            ctx.memo["sentences"] = pairs
        ctx.late = ctx.late or was_late
    moved_a, moved_b = _moves_outside(a, b, pairs)
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


def _is_exact(ops: _RawOps, a: str, b: str) -> bool:
    return ("".join(t for op, t in ops if op != "insert") == a
            and "".join(t for op, t in ops if op != "delete") == b)


def compute_ops(a: str, b: str, by: str = "word", timeout: float = 0.5,
                engine: str | None = None, cleanup: bool = True) -> tuple[_RawOps, str]:
    """An exact edit script, (op, text) pairs, from ``a`` to ``b``; the granularity used.

    ``timeout`` <= 0: no deadline. ``engine``: None (fast if importable), "fast" or
    "python". ``cleanup=False`` leaves the minimal diff (for ``diff -u`` like output).
    """
    if by not in _COARSER:
        tokenize("", by)   # raises the UsageError
    if a == b:
        return ([("equal", a)] if a else []), by
    deadline = time.monotonic() + timeout if timeout > 0 else None
    memo: dict[str, _Pairs] = {}
    level = by
    while True:
        coarser = _COARSER[level]
        ctx = _Ctx(deadline, engine, cleanup, abort=coarser is not None, memo=memo)
        if deadline is not None and coarser:   # keep half the time for a coarser retry
            ctx.deadline = time.monotonic() + (deadline - time.monotonic()) / 2
        try:
            ops = _attempt(a, b, level, ctx)
            if _is_exact(ops, a, b):   # never expected otherwise; keeps the contract
                return ops, level
        except (_TooManyTokens, _OutOfTime):
            pass
        if coarser is None:
            trivial = _trivial(tokenize(a, level), tokenize(b, level))
            return [(op, "".join(t)) for op, t in trivial], level
        level = coarser


# -- model --------------------------------------------------------------------------------


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
class Diff:
    """The diff of text A (labelled ``a``) against text B (``b``), at granularity ``by``.

    ``ops`` is an exact edit script (equal+delete texts give A, equal+insert texts B);
    the ``to_*`` methods render it (see :mod:`newsarchive.diffformat`).
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
        ops, _ = compute_ops(self.title_a or "", self.title_b or "", "word", 0.1)
        return [Op(op, t) for op, t in ops]

    def to_text(self, color: bool = False) -> str:
        """Inline: ``[-removed-]{+added+}``, moves ``[<...<]`` / ``{>...>}``; with ``color``
        ANSI colours instead of markers. A changed title first: ``title: ...``."""
        from newsarchive.diffformat import render_text

        return render_text(self, color=color)

    def to_unified(self, context: int = 3) -> str:
        """Like ``diff -u``, a paragraph a line; a changed title first, as header lines."""
        from newsarchive.diffformat import render_unified

        return render_unified(self, context=context)

    def to_html(self, standalone: bool = True) -> str:
        """A self-contained, script-free page (or only its ``<section>``)."""
        from newsarchive.diffformat import render_html

        return render_html(self, standalone=standalone)

    def to_stat(self) -> str:
        """The ``--stat`` summary: title, words, sentences, share of the text changed."""
        from newsarchive.diffformat import render_stat

        return render_stat(self)

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "title": {"a": self.title_a, "b": self.title_b},
                "by": self.by, "ops": [op.to_dict() for op in self.ops],
                "moves": [asdict(m) for m in self.moves], "stats": self.stats.to_dict()}

    def to_json(self, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


# -- moves and stats ----------------------------------------------------------------------


class _Marks:
    """Changed intervals of one text (merged, sorted) and the points where the other side
    inserted (or deleted) text."""

    def __init__(self, intervals: list[tuple[int, int]], points: list[int]) -> None:
        merged: list[list[int]] = []
        for s, e in intervals:
            if merged and merged[-1][1] >= s:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]
        self.points = points
        self.total = sum(e - s for s, e in merged)

    def covered(self, s: int, e: int) -> bool:
        i = bisect.bisect_right(self.starts, s) - 1
        return i >= 0 and self.ends[i] >= e

    def touched(self, s: int, e: int) -> bool:
        i = bisect.bisect_right(self.starts, s) - 1
        if i >= 0 and self.ends[i] > s:
            return True
        if i + 1 < len(self.starts) and self.starts[i + 1] < e:
            return True
        k = bisect.bisect_right(self.points, s)
        return k < len(self.points) and self.points[k] < e


def _marks(ops: _RawOps) -> tuple[_Marks, _Marks]:
    dels, ins, del_pts, ins_pts = [], [], [], []
    pa = pb = 0
    for op, text in ops:
        n = len(text)
        if op == "delete":
            dels.append((pa, pa + n))
            del_pts.append(pb)
            pa += n
        elif op == "insert":
            ins.append((pb, pb + n))
            ins_pts.append(pa)
            pb += n
        else:
            pa += n
            pb += n
    return _Marks(dels, ins_pts), _Marks(ins, del_pts)




def _runs(ops: _RawOps) -> tuple[list[int], list[int], list[int], list[int]]:
    """Start in A of each delete and its run of changes; start in B of each insert and
    its run (a run: the changes between two equalities)."""
    da, dr, ib, ir = [], [], [], []
    pa = pb = run = 0
    for op, text in ops:
        if op == "equal":
            run += 1
        elif op == "delete":
            da.append(pa)
            dr.append(run)
        else:
            ib.append(pb)
            ir.append(run)
        pa += len(text) if op != "insert" else 0
        pb += len(text) if op != "delete" else 0
    return da, dr, ib, ir


def _find_moves(a: str, b: str, ops: _RawOps, marks: tuple[_Marks, _Marks], by: str
                ) -> list[Move]:
    """Sentences (lines when ``by`` is line) wholly deleted in one place and wholly
    inserted, unchanged, in another run of changes."""
    marks_a, marks_b = marks
    if not marks_a.total or not marks_b.total:
        return []
    units = _line_spans if by == "line" else sentence_spans
    gone: dict[str, list[int]] = {}
    for s, e in units(a):
        e -= a[s:e].endswith("\n")
        if e - s >= _MIN_MOVE_CHARS and marks_a.covered(s, e):
            gone.setdefault(a[s:e], []).append(s)
    if not gone:
        return []
    da, dr, ib, ir = _runs(ops)
    moves = []
    for s, e in units(b):
        e -= b[s:e].endswith("\n")
        starts = gone.get(b[s:e])
        if not starts or not marks_b.covered(s, e):
            continue
        run_b = ir[bisect.bisect_right(ib, s) - 1]
        for k, start in enumerate(starts):
            if dr[bisect.bisect_right(da, start) - 1] != run_b:
                moves.append(Move(b[s:e], starts.pop(k), s))
                break
    return sorted(moves, key=lambda m: m.a_offset)


def _cut(ops: _RawOps, moves: list[Move]) -> list[Op]:
    """Ops with each move's text cut out of its delete and insert ops and tagged."""
    spans = {"delete": sorted((m.a_offset, m.a_offset + len(m.text), i) for i, m in enumerate(moves)),
             "insert": sorted((m.b_offset, m.b_offset + len(m.text), i) for i, m in enumerate(moves))}
    nxt = {"delete": 0, "insert": 0}
    out: list[Op] = []
    pos = {"delete": 0, "insert": 0}
    for op, text in ops:
        if op == "equal":
            pos["delete"] += len(text)
            pos["insert"] += len(text)
            out.append(Op("equal", text))
            continue
        side, j, start = spans[op], nxt[op], pos[op]
        cur, end = start, start + len(text)
        while j < len(side) and side[j][0] < end:
            s, e, idx = side[j]
            if e <= cur:
                j += 1
                continue
            if s > cur:
                out.append(Op(op, text[cur - start:s - start]))
                cur = s
            stop = min(e, end)
            out.append(Op(op, text[cur - start:stop - start], idx))
            cur = stop
            if e > end:
                break
            j += 1
        if cur < end:
            out.append(Op(op, text[cur - start:]))
        nxt[op], pos[op] = j, end
    return out


_LCS_LIMIT = 1_000_000   # words x words above which a run's common words are not searched


def _common_words(gone: list[str], new: list[str], deadline: float) -> int:
    """How many words the longest common sequence of two word lists has; for runs too
    large (unrelated texts) or out of time, only the words they begin and end with."""
    if not gone or not new:
        return 0
    left = deadline - time.monotonic()
    if len(gone) * len(new) <= _LCS_LIMIT and left > 0:
        try:
            table: dict[str, str] = {}
            ea, eb = _encode(gone, table), _encode(new, table)
            return sum(n for op, n in _dmp(ea, eb, left, None, cleanup=False) if op == "equal")
        except _TooManyTokens:
            pass
    n, p, q = min(len(gone), len(new)), 0, 0
    while p < n and gone[p] == new[p]:
        p += 1
    while q < n - p and gone[-1 - q] == new[-1 - q]:
        q += 1
    return p + q


def _count_words(ops: _RawOps, a: str, b: str, by: str,
                 marks: tuple[_Marks, _Marks] | None = None) -> tuple[int, int]:
    """(words added, words removed).

    Op boundaries fall between words except at char granularity, so the words of each
    run of changes are counted, less those the run takes out and puts back (the semantic
    cleanup makes "[-reaffirmed his commitment-]{+renewed his pledge+}" of a two-word
    edit: +2 -2, not +3 -3). At char granularity: the words the edit touched.
    """
    if by == "char":
        ma, mb = marks or _marks(ops)
        added = sum(1 for m in _word_re().finditer(b) if mb.touched(m.start(), m.end()))
        removed = sum(1 for m in _word_re().finditer(a) if ma.touched(m.start(), m.end()))
        return added, removed
    added = removed = 0
    gone: list[str] = []
    new: list[str] = []
    deadline = time.monotonic() + 0.1
    for op, text in [*ops, ("equal", "")]:
        if op == "delete":
            gone += _word_re().findall(text)
        elif op == "insert":
            new += _word_re().findall(text)
        elif gone or new:
            common = _common_words(gone, new, deadline)
            added, removed = added + len(new) - common, removed + len(gone) - common
            gone, new = [], []
    return added, removed


def _sentence_counts(text: str, marks: _Marks, moved: set[int]) -> tuple[int, int]:
    """(sentences wholly added/removed, sentences partly changed) of one side."""
    whole = part = 0
    for s, e in sentence_spans(text):
        if s in moved or not marks.touched(s, e):
            continue
        if marks.covered(s, e):
            whole += 1
        else:
            part += 1
    return whole, part


def diff_texts(a: str, b: str, *, by: str = "word", title_a: str | None = None,
               title_b: str | None = None, label_a: str = "a", label_b: str = "b",
               timeout: float = 0.5) -> Diff:
    """The diff of text ``a`` against text ``b`` (see the module docstring)."""
    raw, used = compute_ops(a, b, by, timeout)
    ma, mb = _marks(raw)
    moves = _find_moves(a, b, raw, (ma, mb), used)
    ops = _cut(raw, moves) if moves else [Op(op, t) for op, t in raw]
    added, removed = _count_words(raw, a, b, used, (ma, mb))
    s_removed, changed_a = _sentence_counts(a, ma, {m.a_offset for m in moves})
    s_added, changed_b = _sentence_counts(b, mb, {m.b_offset for m in moves})
    size = len(a) + len(b)
    stats = DiffStats(
        words_added=added, words_removed=removed, sentences_added=s_added,
        sentences_removed=s_removed, sentences_changed=max(changed_a, changed_b),
        changed_share=(ma.total + mb.total) / size if size else 0.0,
        title_changed=(title_a or "") != (title_b or ""), sentences_moved=len(moves))
    return Diff(label_a, label_b, title_a, title_b, used, ops, moves, stats)


# -- quick facts for add / log / search ---------------------------------------------------


@lru_cache(maxsize=8)
def _word_ops(a: str, b: str) -> tuple[tuple[tuple[OpName, str], ...], str]:
    ops, used = compute_ops(a, b, "word")
    return tuple(ops), used


def word_change_counts(a: str, b: str) -> tuple[int, int]:
    """(words added, words removed) from ``a`` to ``b``, as in the stats of a word diff."""
    if a == b:
        return 0, 0
    ops, used = _word_ops(a, b)
    return _count_words(list(ops), a, b, used)


def changed_passages(a: str, b: str) -> tuple[list[str], list[str]]:
    """(removed passages, added passages): each run of words an edit took out or put in.

    Moved sentences are neither; runs without a word (punctuation, spacing) are skipped.
    """
    if a == b:
        return [], []
    raw, _ = _word_ops(a, b)
    ma, mb = _marks(list(raw))
    moves = _find_moves(a, b, list(raw), (ma, mb), "word")
    removed: list[str] = []
    added: list[str] = []
    for op in _cut(list(raw), moves):
        if op.op != "equal" and op.moved is None and _word_re().search(op.text):
            (removed if op.op == "delete" else added).append(" ".join(op.text.split()))
    return removed, added


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
    raw, _ = _word_ops(a, b)
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
