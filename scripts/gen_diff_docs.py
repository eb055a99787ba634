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

from newsarchive.diff.compare import diff_texts, Diff

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "diff"

# The page's Python example, run as written (from the repository's root) to make the diff
# every sample is rendered from: so the snippet on the page is known to work.
SNIPPET = '''\
from pathlib import Path

from newsarchive.diff.compare import diff_texts
from newsarchive.ingest.plaintext import parse_plaintext
from newsarchive.text.canonical import canonicalize


def revision(path):
    """An example file's text as the archive holds it (the body, canonical) and its title."""
    draft = parse_plaintext(Path(path).read_text("utf-8"), origin=path)
    return canonicalize(draft.text), draft.title


rev1, title1 = revision("examples/diff/putin-reaffirms-war-aims.1.txt")
rev2, title2 = revision("examples/diff/putin-reaffirms-war-aims.2.txt")
d = diff_texts(rev1, rev2, title_a=title1, title_b=title2,
               label_a="politico/2024-04-03/putin-reaffirms-war-aims@1",
               label_b="politico/2024-04-03/putin-reaffirms-war-aims@2")
d.to_text(); d.to_text(color=True); d.to_unified(); d.to_stat(); d.to_json(); d.to_html()
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

`newsarchive diff` shows what an edit changed in an article: words, sentences, paragraphs
or characters taken out and put in, sentences that moved, and a changed headline.

```text
newsarchive diff REF                 # that revision against the one before it
newsarchive diff A B                 # any two revisions, also of different articles
    --by word|sentence|line|char     # granularity (word by default)
    --format inline|unified|html|json
    --stat                           # only the summary
    -U N                             # context lines of the unified format (3)
    --exit-code                      # exit 1 when they differ, like git
newsarchive --no-color diff ...      # no colours: --no-color is a global option
```

A bare ID stands for its latest revision, so `newsarchive diff ID` compares the latest
revision with its predecessor. A changed title is always shown first, in every format.

## The example

Every output on this page was made by the library itself (`newsarchive.diff`), from two
revisions of the Politico article of 2024-04-03, shipped as
`examples/diff/putin-reaffirms-war-aims.1.txt` and `examples/diff/putin-reaffirms-war-aims.2.txt`
(the page is written by `scripts/gen_diff_docs.py`; `tests/test_diff_docs.py` fails when it
is out of date). Revision 2:

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
politico/2024-04-03/putin-reaffirms-war-aims@2` prints it: add `--format unified`, `--stat`,
`--json` or `--format html` for the outputs below.)

## Inline (`--format inline`, the default)

Removed text is `[-between these-]`, added text `{+between these+}`; the text is shown whole,
paragraph by paragraph, so the marks sit where the edit was made. A changed title is the first
line, `title: ...`, followed by a blank line.

```text
{{INLINE}}
```

On a terminal (and unless `--no-color` or `NO_COLOR`) there are no markers: removed text is
red, added text green, and each line opens and closes its own colours, so a pager never
carries a colour into the next line. A change to spacing alone is shown in reverse video, so
that it stays visible. The first paragraph above, as the escape sequences come out:

```text
{{COLOR}}
```

Control characters in an article (an escape sequence, a bell) are never sent to the
terminal: they are shown as their visible symbols (`␛`, `␇`).

### Moved sentences

A sentence taken out in one place and put back unchanged in another is a *move*. The edit
script still deletes it and inserts it (the ops stay an exact edit script), but both halves
are marked: `[<old place<]` and `{>new place>}` in plain text, cyan in colour (dim at the old
place), `class="moved"` in HTML, and the JSON lists it under `moves` (sentences shorter than 20
characters are not reported as moves).

```text
{{MOVES_TEXT}}
```

```json
{{MOVES_JSON}}
```

## Granularity (`--by`)

`word` (the default) marks whole words; `sentence` marks whole sentences; `line` whole
paragraphs (a paragraph is one line in an archived text); `char` single characters. The first
paragraph of the example at each granularity:

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
number of context lines (3 by default):

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

- **words**: `+A -D`, the words the edit put in and took out; a word replaced counts in
  both, and a word inside a marked change that the edit took out and put back does not
  (`[-reaffirmed his commitment-]{+renewed his pledge+}` is +2 -2). These are the
  `+A -D words` that `add` and `log` show (`word_change_counts`). Punctuation is not a word.
- **sentences**: added (wholly new), removed (wholly gone), changed (partly edited; the larger
  of the counts on either side), moved.
- **changed**: the share of the two texts' characters that were taken out or put in.
- **title**: whether the title differs.

The word counts are the same whatever the granularity; the sentence counts follow it: at
`--by sentence` a sentence with one word changed is one sentence removed and one added.

## JSON (`--format json`, or `--json`)

One object: `a` and `b` (the revisions), `title` (`a` and `b`), `by` (the granularity
actually used, see below), `ops`, `moves` and `stats`. The texts of the `equal` and `delete`
ops concatenate to revision A exactly, those of `equal` and `insert` to revision B: applying
the ops to A gives B. An op that is half of a move has `moved`, its index in `moves`; a move
has the moved `text` and its offsets (in characters) into A and into B.

Below, the long unchanged stretches are shortened with `[...]` to keep this page readable; the
real output carries them whole.

```json
{{JSON}}
```

## HTML (`--format html`)

One self-contained page: the title change first, the summary, then the diff twice, inline and
side by side (a row a paragraph, the old text on the left, the new on the right, moved text
marked). The page has inline CSS and nothing else: no script, no external resource (image,
font, stylesheet), and a `Content-Security-Policy` of `default-src 'none'; style-src
'unsafe-inline'` that forbids the browser to load or run anything even if something slipped
through. Every character that comes from an article, a title or a label is HTML-escaped: the
`<script>` of revision 2 arrives as `&lt;script&gt;` text. A page that shows many diffs
(a report) can embed the same markup, one `<section class="na-diff">` a diff, with
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
when installed, the pure-Python `diff_match_patch` otherwise.

- Exact at every granularity, whatever the text holds (private-use characters included): the
  equal and delete ops give A, the equal and insert ops give B. The engine checks it before it
  answers.
- Bounded: a diff has a deadline of half a second. If diff-match-patch runs out of time at the
  requested granularity, the diff is made again at the next coarser one (char, word, sentence,
  line), which has far fewer tokens; so does a text with more distinct tokens than there are
  private-use characters. Two unrelated 100 KB texts take about 0.4 s (and come out at
  sentence granularity). `Diff.by` (and `by` in the JSON) names the granularity actually
  used.
- Typical revisions (5-6 KB, a few sentences edited) take about a millisecond; see
  `benchmarks/bench_diff.py`.
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
    """The first paragraph of the inline output (the title line left out)."""
    text = d.to_text(color=color)
    if d.stats.title_changed:
        text = text.split("\n\n", 1)[1]
    return text.split("\n", 1)[0]


def shortened_json(d: Diff) -> str:
    data = d.to_dict()
    for op in data["ops"]:
        if op["op"] == "equal" and len(op["text"]) > 2 * KEEP + len(ELLIPSIS):
            op["text"] = op["text"][:KEEP] + ELLIPSIS + op["text"][-KEEP:]
    return json.dumps(data, ensure_ascii=False, indent=2)


def samples() -> dict[str, str]:
    ns = run_snippet()
    rev1, rev2, d = ns["rev1"], ns["rev2"], ns["d"]
    check_claims(rev1, rev2)
    moves = diff_texts(MOVES_A, MOVES_B)
    assert moves.moves, "the moves example no longer has a move"
    out = {
        "TITLE1": ns["title1"],
        "TITLE2": ns["title2"],
        "ADDED": added_paragraph(rev2),
        "SNIPPET": SNIPPET,
        "INLINE": d.to_text(),
        "COLOR": first_paragraph(d, color=True).replace("\x1b", "\\x1b"),
        "MOVES_TEXT": moves.to_text(),
        "MOVES_JSON": json.dumps(moves.to_dict()["moves"], ensure_ascii=False),
        "UNIFIED": d.to_unified().rstrip("\n"),
        "UNIFIED_U1": d.to_unified(context=1).rstrip("\n"),
        "STAT": d.to_stat().rstrip("\n"),
        "JSON": shortened_json(d),
        "HTML": d.to_html().rstrip("\n"),
    }
    for by in ("word", "sentence", "line", "char"):
        other = diff_texts(rev1, rev2, by=by, title_a=d.title_a, title_b=d.title_b,
                           label_a=d.a, label_b=d.b)
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
