"""Write docs/diff.md: every sample on it is rendered here by the library itself, from the
two revisions in examples/diff/ (tests/test_diff_docs.py checks the page is current).

    python scripts/gen_diff_docs.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from newsarchive.diff.compare import Diff, diff_texts
from newsarchive.diff.inline import summary_line

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "diff"
FLOODS = ROOT / "tests" / "data" / "articles"
FLOODS_ID = "wirenews/2024-09-16/floods-sava-2024-09-16"

# The page's Python example, run as written (from the repository's root) to make the diff
# every sample is rendered from: so the snippet on the page is known to work.
SNIPPET = '''\
from pathlib import Path

from newsarchive.diff.compare import diff_texts
from newsarchive.ingest.plaintext import parse_plaintext
from newsarchive.text.canonical import canonicalize


def revision(path):
    """An example file's text as the archive holds it (the body, canonical), its title
    and its capture time."""
    draft = parse_plaintext(Path(path).read_text("utf-8"), origin=path)
    return canonicalize(draft.text), draft.title, draft.captured_at


rev1, title1, time1 = revision("examples/diff/putin-reaffirms-war-aims.1.txt")
rev2, title2, time2 = revision("examples/diff/putin-reaffirms-war-aims.2.txt")
d = diff_texts(rev1, rev2, title_a=title1, title_b=title2, time_a=time1, time_b=time2,
               label_a="politico/2024-04-03/putin-reaffirms-war-aims@1",
               label_b="politico/2024-04-03/putin-reaffirms-war-aims@2")
d.to_text(context=1, header=True)    # what `newsarchive diff` prints: the changed paragraphs
d.to_text(header=True)               # --full: every paragraph
d.to_text(color=True, context=1, header=True)
d.to_unified(); d.to_stat(); d.to_json(); d.to_html()
d.alignment.changes                  # the sentence alignment: what became of each sentence
'''

# The moves example is synthetic (the example article has no moved sentence).
MOVES_A = "Talks ended without progress. Sanctions have had a limited impact on Russia.\n\n" \
          "Ministers meet on Monday.\n"
MOVES_B = "Talks ended without progress.\n\n" \
          "Ministers meet on Monday. Sanctions have had a limited impact on Russia.\n"

# In the JSON sample, unchanged stretches longer than this keep KEEP characters at each end.
KEEP = 50
ELLIPSIS = " [...] "

PAGE = """\
# Diffs: how an article changed

`newsarchive diff` shows what an edit changed in an article: the paragraphs it touched,
with the words, sentences or characters taken out and put in marked, the sentences that
moved (edited on the way or not), and a changed headline, under a header that says which
revisions these are, when they were captured, and what the edit amounts to.

```text
newsarchive diff REF                 # that revision against the one before it
newsarchive diff A B                 # any two revisions, also of different articles
    --by word|sentence|line|char     # granularity (word by default)
    --format inline|unified|html|json
    -U N                             # paragraphs of context around each change (1)
    --full                           # every paragraph, not only the changed ones
    --stat                           # only the summary
    --exit-code                      # exit 1 when they differ, like git
newsarchive --no-color diff ...      # no colours: --no-color is a global option
newsarchive --no-pager diff ...      # never page
```

A bare ID stands for its latest revision, so `newsarchive diff ID` compares the latest
revision with its predecessor. An article's first revision has nothing to compare: `diff ID`
of an article with one revision (or `diff ID@1`) says `ID has one revision; nothing to
compare` on stderr and exits 0, also with `--exit-code` (the library raises
`newsarchive.NothingToCompare`). A changed title is always shown first, in every format.

On a terminal the output goes through a pager, as git does: `$NEWSARCHIVE_PAGER`, else
`$PAGER`, else `less`, with `LESS=FRX` unless `$LESS` is set (so a diff that fits on the
screen is simply printed, colours pass through, and the text stays on the screen after the
pager quits). A pager set to `""` or `cat`, `--no-pager`, or output to a pipe or a file:
no pager.

## The example

Every output on this page was made by the library itself (`newsarchive.diff`), from two
revisions of the Politico article of 2024-04-03, shipped as
`examples/diff/putin-reaffirms-war-aims.1.txt` and `examples/diff/putin-reaffirms-war-aims.2.txt`
(the page is written by `scripts/gen_diff_docs.py`; `tests/test_diff_docs.py` fails when it
is out of date, and checks that the CLI prints the same). Revision 2:

- has a new title: *{{TITLE1}}* became
  *{{TITLE2}}*;
- replaces a phrase: "the inefficacy of sanctions imposed on Russia" became "the limited
  effect of Western sanctions on Moscow";
- drops the section heading "Sanctions and Their Dubious Efficacy";
- adds a paragraph, which carries a `<script>` tag (as scraped pages sometimes do):

  ```text
  {{ADDED}}
  ```

```python
{{SNIPPET}}```

(Through the archive, after `newsarchive add examples/diff`,
`newsarchive.open().diff("putin-reaffirms-war-aims@1", "putin-reaffirms-war-aims@2")` returns
the same `Diff`, and `newsarchive diff politico/2024-04-03/putin-reaffirms-war-aims@1
politico/2024-04-03/putin-reaffirms-war-aims@2` prints it: add `--full`, `--format unified`,
`--stat`, `--json` or `--format html` for the outputs below.)

## Inline (`--format inline`, the default)

First a header: the article and both revision numbers (`ID @1 → @2`; both references
whole when they name two articles) with their capture times, then the title's change if
any (`title: ...`), then a one-line summary of the edit (see [Summary](#summary---stat)).
Then only the paragraphs that changed, one a line, each with one paragraph of context
before and after it (`-U N` for N), and a line `… N paragraphs unchanged …` for each
stretch left out. Removed text is `[-between these-]`, added text `{+between these+}`.

```text
{{INLINE}}
```

On a real article a changed figure is a few lines: the header, the summary, the changed
paragraph and one on each side (`tests/data/articles/river-floods.1.txt` and `.2.txt`, a
wire story of twelve paragraphs):

```text
{{FIGURE}}
```

`--full` (or a `-U` as large as the article) shows every paragraph:

<details>
<summary>The same diff with <code>--full</code></summary>

```text
{{INLINE_FULL}}
```

</details>

A paragraph split in two shows where the break was put in, `{+¶+}`; two paragraphs joined,
where it was taken out, `[-¶-]`.

### In colour

On a terminal (and unless `--no-color` or `NO_COLOR`) there are no markers, and deletions
and insertions stay apart without them: removed text is red and struck through, added text
green, and a removal right before an insertion is followed by a dim `→`, so that a replaced
figure reads `16,000→17,000` (struck, arrow, green), never `16,00017,000`. Moved text is
cyan (dim and struck through at its old place); a change to spacing alone is in reverse
video, so that it stays visible. Each line opens and closes its own colours, so a pager never
carries a colour into the next line. The first changed line above, as the escape sequences
come out:

```text
{{COLOR}}
```

Control characters in an article (an escape sequence, a bell) are never sent to the
terminal: they are shown as their visible symbols (`␛`, `␇`).

### Moved sentences

A sentence taken out in one place and put back in another is a *move*. The edit script
still deletes it and inserts it (the ops stay an exact edit script), but both halves are
marked: `[<old place<]` and `{>new place>}` in plain text, cyan in colour (dim at the old
place), `class="moved"` in HTML, and the JSON lists it under `moves` (sentences shorter than
20 characters are not marked as moves).

```text
{{MOVES_TEXT}}
```

```json
{{MOVES_JSON}}
```

A sentence that moved *and* was edited on the way is still a move: its new place shows the
edit inside (`{>... [-400-]{+600+} ...>}`), and its entry in `moves` carries `old_text` and
the `word_ops` of the edit. A paragraph moved down with one figure changed reads:

```text
{{MOVED_EDITED_TEXT}}
```

```text
{{MOVED_EDITED_STAT}}
```

## Granularity (`--by`)

`word` (the default) marks whole words; `sentence` marks whole sentences, paired by the
sentence alignment (below): an edited sentence is its old sentence removed next to its new
one added, a moved one a move; `line` whole paragraphs (a paragraph is one line in an
archived text); `char` single characters. The first changed paragraph of the example at
each granularity:

`--by word`:

```text
{{BY_WORD}}
```

`--by sentence`:

```text
{{BY_SENTENCE}}
```

`--by line`:

```text
{{BY_LINE}}
```

`--by char`:

```text
{{BY_CHAR}}
```


Whatever the granularity, unchanged sentences (at `line`: unchanged paragraphs) are matched
first and only what lies between them is compared word by word, so a change is never matched
with a like word in another sentence or paragraph.

## Unified (`--format unified`)

Like `diff -u`, with a paragraph a line (and the blank lines between paragraphs as lines).
A changed title comes first as two header lines, `old title ...` and `new title ...`, in the
place where git puts its extended headers, so `patch` still reads the rest. `-U N` sets the
number of context lines (3 by default in this format):

```diff
{{UNIFIED}}
```

With `-U 1`:

```diff
{{UNIFIED_U1}}
```

The unified format is byte-faithful, so that it can be applied as a patch: unlike the inline
format it does not turn control characters into visible symbols.

## Summary (`--stat`)

```text
{{STAT}}
```

The figures come from the sentence alignment, whatever the granularity:

- **words**: `+A -D`, the words the edit put in and took out. A word replaced counts in
  both; a word inside a marked change that the edit took out and put back does not
  (`[-reaffirmed his commitment-]{+renewed his pledge+}` is +2 -2); the words of a sentence
  that only moved are not changed words. These are the `+A -D words` that `add` and `log`
  show (`word_change_counts`). Punctuation is not a word.
- **sentences**: added (wholly new), removed (wholly gone), edited (rewritten in place, or
  moved with an edit), moved; split and merged when there are any.
- **changed**: the share of the two texts' words that were taken out or put in, moved words
  not counted: a moved paragraph with one figure changed is 0.3%, not half the article.
- **title**: whether the title differs.

The one-line summary of the inline header says the same: `{{SUMMARY}}`.

## The sentence alignment

Which sentence of revision A became which of revision B
(`newsarchive.diff.align.align_sentences`, the approach of NewsEdits: sentences matched by
their words in both directions, so that splits and merges are caught). Each sentence change
is one of `unchanged`, `added`, `removed`, `edited` (with its word diff), `moved` (with its
word diff when it was edited on the way), `split` (one sentence became several) and `merged`
(several became one). The summary, `--by sentence`, the moves with an edit, the JSON's
`sentences`, `search --removed/--added` and the report of `changes` are made from it. The
changes of the example, unchanged sentences left out:

```text
{{ALIGNMENT}}
```

## JSON (`--format json`, or `--json`)

One object: `a` and `b` (the revisions), `title` (`a` and `b`), `captured` (`a` and `b`,
the capture times, null when not known), `by` (the granularity actually used, see below),
`ops`, `moves`, `sentences` and `stats`. The texts of the `equal` and `delete` ops
concatenate to revision A exactly, those of `equal` and `insert` to revision B: applying the
ops to A gives B. An op that is half of a move has `moved`, its index in `moves`; a move has
the moved `text` and its offsets (in characters) into A and into B, and, when it was edited
on the way, `old_text` and `word_ops`. `sentences` is the sentence alignment, in reading
order of B (a removed sentence where it stood): `{action, old, new, old_index, new_index,
old_paragraph, new_paragraph, word_ops}`.

Below, the long unchanged stretches are shortened with `[...]` and the unchanged sentences
left out of `sentences` to keep this page readable; the real output carries them whole.

```json
{{JSON}}
```

## HTML (`--format html`)

One self-contained page: the headline, the revisions with their capture times and the
one-line summary, the title change, the figures, then the diff twice, inline and side by
side (a row a paragraph, the old text on the left, the new on the right, moved text
marked). It is also the full diff page that the report of `changes --format html --output
DIR` links each change to. The page has inline CSS and nothing else: no script, no external
resource (image, font, stylesheet), and a `Content-Security-Policy` of `default-src 'none';
style-src 'unsafe-inline'` that forbids the browser to load or run anything even if
something slipped through. Every character that comes from an article, a title or a label
is HTML-escaped: the `<script>` of revision 2 arrives as `&lt;script&gt;` text. A page that
shows many diffs can embed the same markup, one `<section class="na-diff">` a diff, with
`Diff.to_html(standalone=False)` and the stylesheet `newsarchive.diff.render.CSS`.

<details>
<summary>The page for the example (source)</summary>

```html
{{HTML}}
```

</details>

## Exact, and bounded in time

How a diff is made: both texts are cut into tokens at the granularity (the tokens of a text
concatenate back to it exactly), every distinct token is mapped to one private-use character
(U+E000 upwards, then the supplementary private-use planes, which gives room for 137,468
distinct tokens), [diff-match-patch](https://github.com/google/diff-match-patch) compares the
two encoded strings, the result is decoded and cleaned up so that changes begin and end at
word, sentence and paragraph boundaries. `fast_diff_match_patch` (the `[fast]` extra) is used
when installed, the pure-Python `diff_match_patch` otherwise. At `--by sentence` the script
is built from the sentence alignment instead.

- Exact at every granularity, whatever the text holds (private-use characters included): the
  equal and delete ops give A, the equal and insert ops give B. The engine checks it before it
  answers.
- Bounded: a diff has a deadline of half a second. If diff-match-patch runs out of time at the
  requested granularity, the diff is made again at the next coarser one (char, word, sentence,
  line), which has far fewer tokens; so does a text with more distinct tokens than there are
  private-use characters. Two unrelated 100 KB texts take about 0.4 s (and come out at
  sentence granularity). `Diff.by` (and `by` in the JSON) names the granularity actually
  used.
- Typical revisions (5-6 KB, a few sentences edited) take a few milliseconds, the sentence
  alignment included; see `benchmarks/bench_diff.py` and `benchmarks/bench_align.py`.
"""


def run_snippet() -> dict[str, Any]:
    """Run SNIPPET from the repository's root; its names (rev1, title1, d, ...)."""
    namespace: dict[str, Any] = {"__name__": "gen_diff_docs_snippet"}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(SNIPPET, "<docs/diff.md snippet>", "exec"), namespace)
    finally:
        os.chdir(cwd)
    return namespace


def check_claims(rev1: str, rev2: str) -> None:
    """What the page's prose says about revision 2 is what the example files hold."""
    pairs = [("the inefficacy of sanctions imposed on Russia",
              "the limited effect of Western sanctions on Moscow"),
             ("Sanctions and Their Dubious Efficacy\n\n", "")]
    for old, new in pairs:
        assert old in rev1 and old not in rev2 and (not new or new in rev2), old
        rev1 = rev1.replace(old, new)
    added = added_paragraph(rev2)
    assert rev2.replace(added + "\n\n", "") == rev1, "revision 2 differs otherwise too"


def added_paragraph(rev2: str) -> str:
    (paragraph,) = [p for p in rev2.split("\n") if "<script>" in p]
    return paragraph


def first_paragraph(d: Diff, color: bool = False) -> str:
    """The first changed paragraph of the inline output (the title line left out)."""
    text = d.to_text(color=color, context=0)
    if d.stats.title_changed:
        text = text.split("\n\n", 1)[1]
    return next(line for line in text.split("\n") if "unchanged \u2026" not in line)


def shortened_json(d: Diff) -> str:
    data = d.to_dict()
    for op in data["ops"]:
        if op["op"] == "equal" and len(op["text"]) > 2 * KEEP + len(ELLIPSIS):
            op["text"] = op["text"][:KEEP] + ELLIPSIS + op["text"][-KEEP:]
    data["sentences"] = [c for c in data["sentences"] if c["action"] != "unchanged"]
    return json.dumps(data, ensure_ascii=False, indent=2)


def alignment_lines(d: Diff) -> str:
    """The changed sentences of the alignment, one a line: action, then old -> new."""
    assert d.alignment is not None
    out = []
    for c in d.alignment.changes:
        if c.action == "unchanged":
            continue
        words = "".join(t if op == "equal" else ("[-" + t + "-]" if op == "delete"
                                                 else "{+" + t + "+}")
                        for op, t in c.word_ops)
        shown = words or (c.new or c.old or "")
        out.append(f"{c.action:<8} {shown}")
    return "\n".join(out)


def one_figure() -> Diff:
    """The wire-style test article, revision 1 against 2: one figure changed."""
    from newsarchive.ingest.plaintext import parse_plaintext
    from newsarchive.text.canonical import canonicalize

    (t1, n1, c1), (t2, n2, c2) = (
        (canonicalize(d.text), d.title, d.captured_at)
        for d in (parse_plaintext((FLOODS / f"river-floods.{n}.txt").read_text("utf-8"),
                                  origin=str(n)) for n in (1, 2)))
    return diff_texts(t1, t2, title_a=n1, title_b=n2, time_a=c1, time_b=c2,
                      label_a=f"{FLOODS_ID}@1", label_b=f"{FLOODS_ID}@2")


def moved_and_edited() -> Diff:
    """A paragraph moved down, its figure changed: the wire-style test article, shortened."""
    paras = ["Floodwaters forced about 16,000 people from their homes on Monday, officials said.",
             "The army sent 400 soldiers to reinforce levees with sandbags.",
             "Rescue teams in boats worked through the night in Slavonski Brod.",
             "Meteorologists said the rain was expected to ease by Tuesday evening."]
    a = "\n\n".join(paras) + "\n"
    moved = [paras[0], paras[2], paras[3], paras[1].replace("400", "600")]
    return diff_texts(a, "\n\n".join(moved) + "\n", label_a="wire/2024-09-16/floods@2",
                      label_b="wire/2024-09-16/floods@3")


def samples() -> dict[str, str]:
    ns = run_snippet()
    rev1, rev2, d = ns["rev1"], ns["rev2"], ns["d"]
    check_claims(rev1, rev2)
    moves = diff_texts(MOVES_A, MOVES_B)
    assert moves.moves, "the moves example no longer has a move"
    moved = moved_and_edited()
    assert moved.stats.sentences_moved == moved.stats.sentences_edited == 1
    out = {
        "TITLE1": ns["title1"],
        "TITLE2": ns["title2"],
        "ADDED": added_paragraph(rev2),
        "SNIPPET": SNIPPET,
        "INLINE": d.to_text(context=1, header=True).rstrip("\n"),
        "INLINE_FULL": d.to_text(header=True).rstrip("\n"),
        "FIGURE": one_figure().to_text(context=1, header=True).rstrip("\n"),
        "COLOR": first_paragraph(d, color=True).replace("\x1b", "\\x1b"),
        "MOVES_TEXT": moves.to_text().rstrip("\n"),
        "MOVES_JSON": json.dumps(moves.to_dict()["moves"], ensure_ascii=False),
        "MOVED_EDITED_TEXT": moved.to_text(context=0, header=True).rstrip("\n"),
        "MOVED_EDITED_STAT": moved.to_stat().rstrip("\n"),
        "SUMMARY": summary_line(d.stats),
        "ALIGNMENT": alignment_lines(d),
        "UNIFIED": d.to_unified().rstrip("\n"),
        "UNIFIED_U1": d.to_unified(context=1).rstrip("\n"),
        "STAT": d.to_stat().rstrip("\n"),
        "JSON": shortened_json(d),
        "HTML": d.to_html().rstrip("\n"),
    }
    for by in ("word", "sentence", "line", "char"):
        other = diff_texts(rev1, rev2, by=by, title_a=d.title_a, title_b=d.title_b,
                           label_a=d.a, label_b=d.b, time_a=d.time_a, time_b=d.time_b)
        assert other.by == by, f"--by {by} fell back to {other.by}"
        out[f"BY_{by.upper()}"] = first_paragraph(other)
    return out


def render() -> str:
    page = PAGE
    for name, text in samples().items():
        placeholder = "{{" + name + "}}"
        assert page.count(placeholder) == 1, placeholder
        page = page.replace(placeholder, text)
    assert "{{" not in page, "a sample was left out"
    return page


if __name__ == "__main__":
    target = ROOT / "docs" / "diff.md"
    target.write_text(render())
    sys.stdout.write(f"wrote {target}\n")
