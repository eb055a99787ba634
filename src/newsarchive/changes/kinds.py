"""What kind of edit a revision is: the change-kind classifier and flip-flop detection.

A revision is compared with its predecessor and given one or more *kinds* by the
table :data:`RULES` below (``docs/changes.md`` shows the same table to users). The
rules read a handful of :class:`Facts` about the two revisions; every judgement
about text (what counts as *minor*, what is an editor's note) is made once, in the
functions that compute those facts, so the table itself stays a plain list of
conditions.

Minor edits
    Two texts differ only in a *minor* way when they have the same words in the same
    order after folding case and diacritics (so whitespace, punctuation, quotes of
    either style, capitalisation and accents do not count), except for words that
    were *respelled*: a word replaced by one word of the same meaning-free shape,
    that is (all of):

    * neither word holds a digit or is a number word (``twelve``, ``million``...);
    * the shorter word has at least 4 letters (5 if either is capitalised, which
      keeps names like ``Iran`` / ``Iraq`` apart);
    * the first two letters are unchanged (``increased`` / ``decreased``,
      ``legal`` / ``illegal``, ``lawful`` / ``unlawful`` are not respellings);
    * the edit distance (insertions, deletions, substitutions, transpositions) is at
      most 1, or 2 when the shorter word is 8 letters or longer and neither is
      capitalised (``goverment`` -> ``government``, ``neccesary`` -> ``necessary``);

    or a run of words that joins to the same letters (``e-mail`` -> ``email``,
    ``a lot`` -> ``alot``). Besides, any change in the numbers of a text (digits,
    compared as written: ``12`` -> ``13``, ``1.5`` -> ``15``, ``1,000`` -> ``1000``)
    is never minor.

Editor's notes
    A line of text from one of :data:`CORRECTION_MARKERS` (case-insensitive) to its
    end is an editor's note. A note *appears* when some marker occurs more often in
    the new text than in the old. Notes are set aside before texts are compared for
    a ``substantive`` change, so appending "Correction: ..." alone makes a
    ``correction``, not a ``substantive`` edit.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from newsarchive.model import KINDS  # every kind, in the order a result lists them
from newsarchive.text.strings import common_prefix
from newsarchive.text.words import fold, words

__all__ = [
    "CORRECTION_MARKERS",
    "KINDS",
    "RULES",
    "Facts",
    "Rule",
    "classify",
    "facts",
    "flip_flops",
    "is_minor_change",
]


_APOSTROPHE = "['\u2019]"
_DASH_OR_COLON = "\\s*[:\u2013\u2014]"

#: The phrases that open an editor's note (regular expressions; spaces match any
#: whitespace, ``'`` a straight or curly apostrophe; matched case-insensitively).
CORRECTION_MARKERS: tuple[str, ...] = (
    r"\bthis (?:article|story|report|post) (?:has been|was) (?:corrected|amended)",
    r"\ban earlier version of this (?:article|story|report|post)",
    r"\bthis (?:article|story|report|post) has been updated",
    r"\bcorrections?" + _DASH_OR_COLON,
    r"\bclarifications?" + _DASH_OR_COLON,
    r"\beditor'?s'? note" + _DASH_OR_COLON,
)

_MARKERS = [
    re.compile(m.replace(" ", r"\s+").replace("'", _APOSTROPHE), re.IGNORECASE)
    for m in CORRECTION_MARKERS
]
_ANY_MARKER = re.compile("|".join(f"(?:{m.pattern})" for m in _MARKERS), re.IGNORECASE)
# Every marker's text holds one of these. Their letters match, ignoring case, only their
# ASCII capitals (no i, k or s: those also match a dotless i, a Kelvin sign, a long s), so
# a text whose lower case holds none of them has no note, and is not searched: the search,
# with no literal to look for first, tries every position of the text.
_MARKER_HINTS = ("correct", "amend", "earl", "update", "clar", "note")
# possessive from Python 3.11: a repeated group keeps state per turn in Python's re
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*" + ("+" if sys.version_info >= (3, 11) else ""))
_NON_SPACE_RUN = re.compile(r"\S*")  # \S is exactly "not str.isspace()"
_NUMBER_WORDS = frozenset(
    """zero one two three four five six seven eight nine ten eleven twelve thirteen
    fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty
    seventy eighty ninety hundred hundreds thousand thousands million millions billion
    billions trillion trillions dozen dozens half quarter first second third fourth
    fifth sixth seventh eighth ninth tenth once twice none""".split()  # noqa: SIM905
)


# --------------------------------------------------------------------------------------
# The facts the rules read
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What changed between two revisions."""

    text_changed: bool
    """The texts differ at all (even in whitespace)."""
    text_beyond_minor: bool
    """The texts, editor's notes set aside, differ in more than a minor way."""
    title_changed: bool
    """The titles differ at all (whitespace runs aside)."""
    title_beyond_minor: bool
    """The titles differ in more than a minor way."""
    note_added: bool
    """An editor's note appears in the new text that the old text did not have."""
    reverts: bool
    """The caller found that the new text is that of a revision before the previous."""
    suspect: bool = False
    """The caller found the new text to be a failed extraction (a paywall or consent page,
    empty, collapsed: :func:`newsarchive.ingest.health.extraction_health`)."""
    headline_test: bool = False
    """The caller found the title to be alternating between variants within a day, the text
    unchanged (:func:`newsarchive.changes.headlines.headline_tests`)."""
    event: str | None = None
    """What watching the URL recorded: ``removed`` (it answered 404 or 410 twice in a
    row), or ``restored`` (it answers again after that)."""


@dataclass(frozen=True)
class Rule:
    kind: str
    when: str
    """The condition in words, as ``docs/changes.md`` shows it."""
    applies: Callable[[Facts], bool]
    fallback: bool = False
    """Applies only when no other rule did."""


#: The classifier: a revision has every kind whose rule applies.
RULES: tuple[Rule, ...] = (
    Rule(
        "revert",
        "the text changed back to the text of an earlier revision",
        lambda f: f.reverts and f.text_changed,
    ),
    Rule(
        "headline",
        "the title changed beyond a minor edit (whatever the text did; not in a headline "
        "test)",
        lambda f: f.title_beyond_minor and not f.headline_test,
    ),
    Rule(
        "correction",
        "an editor's note appears that the old text did not have (not on a revert or a "
        "suspect extraction)",
        lambda f: f.note_added and not f.reverts and not f.suspect,
    ),
    Rule(
        "substantive",
        "the text, editor's notes set aside, changed beyond a minor edit (not on a revert or "
        "a suspect extraction)",
        lambda f: f.text_beyond_minor and not f.reverts and not f.suspect,
    ),
    Rule(
        "extraction-suspect",
        "the new text looks like a failed extraction: empty, a paywall or consent page, or "
        "under 40% of the previous text",
        lambda f: f.suspect and f.text_changed,
    ),
    Rule(
        "headline-test",
        "the title went back to a variant shown within the last day, the text unchanged",
        lambda f: f.headline_test and f.title_changed,
    ),
    Rule(
        "removed",
        "the URL answered 404 or 410 twice in a row: a tombstone, the text kept as it was",
        lambda f: f.event == "removed",
    ),
    Rule(
        "restored",
        "the URL answers again after it was removed",
        lambda f: f.event == "restored",
    ),
    Rule(
        "minor",
        "the text or title changed, and no other rule applies",
        lambda f: f.text_changed or f.title_changed,
        fallback=True,
    ),
)


def _may_hold_note(text: str) -> bool:
    low = text.lower()
    return any(hint in low for hint in _MARKER_HINTS)


def _strip_notes(text: str) -> str:
    """The text with each line cut where an editor's note begins."""
    if not _may_hold_note(text) or not _ANY_MARKER.search(text):
        return text
    lines = []
    for line in text.split("\n"):
        m = _ANY_MARKER.search(line)
        lines.append(line[: m.start()] if m else line)
    return "\n".join(lines)


def _note_added(old: str, new: str) -> bool:
    if not _may_hold_note(new) or not _ANY_MARKER.search(new):
        return False
    return any(len(m.findall(new)) > len(m.findall(old)) for m in _MARKERS)


MAX_RESPELT = 64  # letters that differ between a word and its respelling, at most


def _within_distance(a: str, b: str, limit: int) -> bool:
    """Whether the optimal string alignment distance (Damerau-Levenshtein without reuse)
    of ``a`` and ``b`` is at most ``limit``. Common ends are cut first and only cells
    within ``limit`` of the diagonal are computed (one 8,000-letter token took a minute).
    What differs between two words over :data:`MAX_RESPELT` letters is no respelling."""
    if a == b:
        return True
    pre = common_prefix(a, b)
    a, b = a[pre:], b[pre:]
    suf = common_prefix(a[::-1], b[::-1])
    a, b = a[:len(a) - suf], b[:len(b) - suf]
    if abs(len(a) - len(b)) > limit:
        return False
    if len(a) > MAX_RESPELT:  # not a word (the rows below would cost its length each)
        return False
    far = limit + 1  # any distance past the limit
    prev2: list[int] = []
    prev = [j if j <= limit else far for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        cur = [i if i <= limit else far] + [far] * len(b)
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost, far)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return False
        prev2, prev = prev, cur
    return prev[-1] <= limit


_Word = tuple[str, bool]  # (folded word, written with a capital)


def _is_respelling(old: _Word, new: _Word) -> bool:
    a, cap_a = old
    b, cap_b = new
    if a == b:
        return True
    if any(c.isdigit() for c in set(a) | set(b)) or a in _NUMBER_WORDS or b in _NUMBER_WORDS:
        return False
    capitalised = cap_a or cap_b
    shorter = min(len(a), len(b))
    if shorter < (5 if capitalised else 4) or a[:2] != b[:2]:
        return False
    limit = 2 if shorter >= 8 and not capitalised else 1
    return _within_distance(a, b, limit)


def _minor_hunk(old: Sequence[_Word], new: Sequence[_Word]) -> bool:
    if old and new and "".join(w for w, _ in old) == "".join(w for w, _ in new):
        return True
    return len(old) == len(new) and all(map(_is_respelling, old, new))


def _folded(found: list[str]) -> list[str]:
    """The words folded (:func:`~newsarchive.text.words.fold`); ASCII ones all at once, by
    one ``lower()`` of the words joined (no word holds a space)."""
    joined = " ".join(found)
    if found and joined.isascii():
        return joined.lower().split(" ")
    return [fold(w) for w in found]


def _non_space_run(text: str, pos: int) -> int:
    """How many characters from ``pos`` on are not whitespace."""
    m = _NON_SPACE_RUN.match(text, pos)
    return m.end() - pos if m else 0


def _differing_middles(old: str, new: str) -> tuple[str, str]:
    """The parts of ``old`` and ``new`` between their common beginning and end, widened
    to whitespace so that no word or number is cut."""
    pre = common_prefix(old, new)
    suf = common_prefix(old[pre:][::-1], new[pre:][::-1])
    if pre > 0:  # back to the whitespace before (by regex: an 8 MB word, in C)
        pre -= _non_space_run(old[pre - 1::-1], 0)
    end_old, end_new = len(old) - suf, len(new) - suf
    widen = _non_space_run(old, end_old)
    return old[pre:end_old + widen], new[pre:end_new + widen]


def _could_be_minor(a: list[str], b: list[str]) -> bool:
    """A quick necessary condition: every word only on one side could be part of a
    respelling (same first two letters, length within 2) or of a re-split (one word
    within the other) of a word only on the other side."""
    ca, cb = Counter(a), Counter(b)
    removed, added = list(ca - cb), list(cb - ca)
    if len(removed) * len(added) > 250_000:  # hundreds of words gone and come: no
        return False                         # respelling, and each pair costs time
    for mine, theirs in ((removed, added), (added, removed)):
        for w in mine:
            if not any(
                (w[:2] == t[:2] and abs(len(w) - len(t)) <= 2) or w in t or t in w for t in theirs
            ):
                return False
    return True


def is_minor_change(old: str, new: str) -> bool:
    """True when ``new`` differs from ``old`` at most in a minor way (see the module
    docstring): whitespace, punctuation, capitalisation, accents, respellings."""
    if old == new:
        return True
    old, new = _differing_middles(old, new)
    if Counter(_NUMBER.findall(old)) != Counter(_NUMBER.findall(new)):
        return False
    ra, rb = words(old), words(new)
    wa, wb = _folded(ra), _folded(rb)
    if wa == wb:
        return True
    if "".join(wa) == "".join(wb):
        return True  # the same letters, split differently
    if not _could_be_minor(wa, wb):
        return False
    # words repeat far more than lines do: past a few million pairs, autojunk keeps the
    # time linear (a long text may then be judged beyond minor where it was not)
    matcher = difflib.SequenceMatcher(None, wa, wb, autojunk=len(wa) * len(wb) > 4_000_000)
    a: list[_Word] = [(w, r[0].isupper()) for w, r in zip(wa, ra, strict=True)]
    b: list[_Word] = [(w, r[0].isupper()) for w, r in zip(wb, rb, strict=True)]
    return all(
        tag == "equal" or _minor_hunk(a[i1:i2], b[j1:j2])
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    )


def _changed_lines(old: str, new: str) -> tuple[str, str] | None:
    """Only the lines (paragraphs) an edit touched, on each side, in order; None when
    lines only moved.

    Every rule reads words within a line, and lines both texts share contribute the same
    to both sides, so judging the changed lines alone gives the same answer in a fraction
    of the time.
    """
    # Blank lines hold no words. Left in, they were hundreds of equal elements, and
    # SequenceMatcher's time grew with their square for each match it looked for (a
    # rewrite of an 800-paragraph text took 20 s). A line repeated that often elsewhere
    # is rare; for large texts, autojunk bounds it.
    a = [line for line in old.split("\n") if line.strip()]
    b = [line for line in new.split("\n") if line.strip()]
    gone: list[str] = []
    came: list[str] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=len(a) * len(b) > 250_000)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            gone.extend(a[i1:i2])
            came.extend(b[j1:j2])
    if not gone and not came:
        return "", ""  # only blank lines differ
    if sorted(gone) == sorted(came):
        return None  # lines only moved
    return "\n".join(gone), "\n".join(came)


def text_facts(old_text: str, new_text: str) -> tuple[bool, bool, bool]:
    """(text_changed, text_beyond_minor, note_added): the costly part of :func:`facts`,
    a function of the two texts alone (so it can be computed ahead, in another process)."""
    if old_text == new_text:
        return False, False, False
    cores = _changed_lines(old_text, new_text)
    if cores is None:  # paragraphs moved: not minor, and no note came
        return True, True, False
    old_core, new_core = cores
    return (True, not is_minor_change(_strip_notes(old_core), _strip_notes(new_core)),
            _note_added(old_core, new_core))


def facts(
    old_text: str,
    new_text: str,
    old_title: str | None,
    new_title: str,
    *,
    reverts: bool = False,
    text: tuple[bool, bool, bool] | None = None,
    suspect: bool = False,
    headline_test: bool = False,
    event: str | None = None,
) -> Facts:
    """The :class:`Facts` the rules read, for a revision and its predecessor.

    ``text``: :func:`text_facts` of the two texts, when already computed."""
    text_changed, text_beyond_minor, note_added = text or text_facts(old_text, new_text)
    if old_title is None:  # unknown: no title change can be claimed
        old_title = new_title
    title_a, title_b = " ".join(old_title.split()), " ".join(new_title.split())
    return Facts(
        text_changed=text_changed,
        text_beyond_minor=text_beyond_minor,
        title_changed=title_a != title_b,
        title_beyond_minor=title_a != title_b and not is_minor_change(title_a, title_b),
        note_added=note_added,
        reverts=reverts,
        suspect=suspect,
        headline_test=headline_test,
        event=event,
    )


def classify(
    old_text: str | None,
    new_text: str,
    old_title: str | None,
    new_title: str,
    *,
    reverts: bool = False,
    text: tuple[bool, bool, bool] | None = None,
    suspect: bool = False,
    headline_test: bool = False,
    event: str | None = None,
) -> tuple[str, ...]:
    """The kinds of the change from the previous revision to this one, in
    :data:`KINDS` order, by the table :data:`RULES`.

    ``old_text`` is None for an article's first revision, which has no kind: ``()``.
    ``reverts`` is the caller's finding that ``new_text`` equals the text of some
    revision before the previous one. A revision that changes nothing (same text,
    same title) also gets ``()``. ``suspect``, ``headline_test`` and ``event`` are the
    caller's findings of :class:`Facts`.
    """
    if old_text is None:
        return ()
    f = facts(old_text, new_text, old_title, new_title, reverts=reverts, text=text,
              suspect=suspect, headline_test=headline_test, event=event)
    kinds = {rule.kind for rule in RULES if not rule.fallback and rule.applies(f)}
    if not kinds:
        kinds = {rule.kind for rule in RULES if rule.fallback and rule.applies(f)}
    return tuple(kind for kind in KINDS if kind in kinds)


def flip_flops(history: list[tuple[str, str]]) -> list[bool]:
    """Flag the revisions that flip back and forth between versions already seen.

    ``history`` is ``[(text_hash, title), ...]`` of one article's revisions, oldest
    first; a *state* is one such pair. The result has one flag per revision: True at
    index ``i`` when revision ``i`` is a flip-flop, that is when all of:

    * its state differs from the previous one (``s[i] != s[i-1]``);
    * its state was seen before the previous revision (``s[i] in s[:i-1]``);
    * the state it leaves was a passing one: either it sat between two copies of this
      state (``s[i] == s[i-2]``: the second ``A`` of ``A B A``), or it had itself been
      seen before (``s[i-1] in s[:i-1]``).

    So ``A B A B`` gives ``[F, F, T, T]`` (an A/B headline test), ``A B C A B C``
    gives ``[F, F, F, F, T, T]`` (the third variant's first return is a plain revert;
    the rotation is recognised from then on), and ``A B C A`` gives four False: going
    back to ``A`` once is a revert, not a flip-flop.
    """
    flags: list[bool] = []
    seen_before: set[tuple[str, str]] = set()  # states of revisions 0 .. i-2
    for i, state in enumerate(history):
        flag = False
        if i >= 2:
            seen_before.add(history[i - 2])
            prev = history[i - 1]
            flag = (
                state != prev
                and state in seen_before
                and (state == history[i - 2] or prev in seen_before)
            )
        flags.append(flag)
    return flags
