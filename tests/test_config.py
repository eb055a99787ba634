"""The config keys of issue 15 ([watch], [[noise]], notify...): parsed, checked, and every
mistake reported as one line naming the line of the file it is on."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest

from newsarchive.config import (
    DEFAULT_INTERVALS,
    NoiseConfig,
    WatchConfig,
    load_config,
    parse_duration,
    regex_problem,
)
from newsarchive.errors import ConfigError

FULL = '''\
store = "news"
notify = ["json://127.0.0.1:8080/hook", "mailto://me:pw@example.org"]
notify_kinds = ["substantive", "headline"]
notify_timeout = "20s"

[[feeds]]
url = "https://example.org/rss"

[watch]
intervals = [
  ["2h", "10m"],
  ["1d", 3600],
]
backoff = 1.5
age_fraction = 0.25
stop_after_days = 14
max_fetches = 50
time_budget = "90s"

[[noise]]
sources = ["reuters.com", "dpa"]
drop = ["div.trending", "aside > ul li:nth-child(2)"]
ignore = ['Updated \\d+ min ago', '^Reporting by .*$']
min_change_words = 3

[[noise]]
defaults = false
'''


def load(tmp_path: Path, text: str) -> object:
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, "utf-8")
    return load_config(str(cfg))


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    return str(info.value).split(": ", 1)[1]


def test_every_key_is_read(tmp_path: Path) -> None:
    config = load(tmp_path, FULL)
    assert config.watch == WatchConfig(  # type: ignore[attr-defined]
        intervals=((timedelta(hours=2), timedelta(minutes=10)),
                   (timedelta(days=1), timedelta(hours=1))),
        backoff=1.5, age_fraction=0.25, stop_after=timedelta(days=14), max_fetches=50,
        time_budget=timedelta(seconds=90))
    assert config.noise == (  # type: ignore[attr-defined]
        NoiseConfig(("reuters.com", "dpa"), ("div.trending", "aside > ul li:nth-child(2)"),
                    (r"Updated \d+ min ago", "^Reporting by .*$"), 3, None),
        NoiseConfig(defaults=False),
    )
    assert config.notify == ("json://127.0.0.1:8080/hook",  # type: ignore[attr-defined]
                             "mailto://me:pw@example.org")
    assert config.notify_kinds == ("substantive", "headline")  # type: ignore[attr-defined]
    assert config.notify_timeout == 20.0  # type: ignore[attr-defined]
    assert len(config.feeds) == 1  # type: ignore[attr-defined]


def test_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, 'store = "x"\n')
    assert config.watch == WatchConfig()  # type: ignore[attr-defined]
    assert WatchConfig().intervals == DEFAULT_INTERVALS
    assert DEFAULT_INTERVALS[0] == (timedelta(hours=3), timedelta(minutes=15))
    assert (config.noise, config.notify, config.notify_kinds,  # type: ignore[attr-defined]
            config.notify_timeout) == ((), (), None, 10.0)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("value", "seconds"), [
    ("90s", 90), ("15m", 900), ("15min", 900), ("3h", 10800), ("1.5d", 129600),
    ("2w", 1209600), (30, 30), (2.5, 2.5), (" 4 h ", 14400),
])
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == timedelta(seconds=seconds)


@pytest.mark.parametrize("value", ["15", "3 hours", "-1m", "0s", 0, -5, True, None, [1], "1y"])
def test_not_durations(value: object) -> None:
    assert parse_duration(value) is None


@pytest.mark.parametrize(("body", "message"), [
    ('[watch]\nbakoff = 2\n',
     "[watch]: unknown key 'bakoff' (known: intervals, backoff, age_fraction, stop_after_days, "
     "max_fetches, time_budget) (at line 2)"),
    ('watch = 3\n', "'watch' must be a table ([watch]) (at line 1)"),
    ('[watch]\nbackoff = 0.5\n',
     "[watch]: 'backoff' must be a number from 1 (no back-off) to 10 (at line 2)"),
    ('[watch]\nage_fraction = 2\n',
     "[watch]: 'age_fraction' must be a number from 0 to 1 (at line 2)"),
    ('[watch]\nstop_after_days = 0\n',
     "[watch]: 'stop_after_days' must be a number of days, more than 0 and at most 3650 "
     "(at line 2)"),
    ('[watch]\nmax_fetches = 2.5\n',
     "[watch]: 'max_fetches' must be a whole number from 1 to 1000000 (at line 2)"),
    ('# c\n[watch]\ntime_budget = "soon"\n',
     "[watch]: 'time_budget': 'soon' is not a duration (a number of seconds, or a string such "
     'as "90s", "15m", "3h", "1d", "2w") (at line 3)'),
    ('[watch]\nintervals = []\n',
     "[watch]: 'intervals' must be an array of [age, interval] pairs, such as "
     '[["3h", "15m"], ["1d", "1h"]] (at line 2)'),
    ('[watch]\nintervals = [["1d", "1h"], ["3h", "15m"]]\n',
     "[watch]: 'intervals' ['3h', '15m']: the ages must rise from one pair to the next "
     "(at line 2)"),
    ('[watch]\nintervals = [["3h", "1h"], ["1d", "15m"]]\n',
     "[watch]: 'intervals' ['1d', '15m']: an older article cannot be checked more often than "
     "a younger one (at line 2)"),
    ('[watch]\nintervals = [\n  ["3h", "x"],\n]\n',
     "[watch]: 'intervals' ['3h', 'x']: an age and an interval must be durations "
     '("3h", "15m") (at line 2)'),
    ('notify = "json://x"\n', "'notify' must be an array of strings (at line 1)"),
    ('notify_kinds = [1]\n', "'notify_kinds' must be an array of strings (at line 1)"),
    ('notify_timeout = "1h"\n',
     "'notify_timeout' must be more than 0 and at most 300 seconds (at line 1)"),
    ('[[noise]]\nsource = "x"\n',
     "noise rules 1: unknown key 'source' (known: sources, drop, ignore, min_change_words, "
     "defaults) (at line 2)"),
    ('[[noise]]\nsources = ["a"]\n\n[[noise]]\nsources = ["b"]\nmin_change_words = -1\n',
     "noise rules 2: 'min_change_words' must be a whole number from 0 to 10000 (at line 6)"),
    ('[[noise]]\ndefaults = "no"\n', "noise rules 1: 'defaults' must be true or false (at line 2)"),
    ('[[noise]]\nsources = ["a", " "]\n',
     "noise rules 1: 'sources' cannot hold an empty name (at line 2)"),
    ('[[noise]]\ndrop = ["div..x"]\n',
     "noise rules 1: 'drop': 'div..x' is not a CSS selector (Expected ident, got "
     "<DELIM '.' at 4>) (at line 2)"),
    ('[[noise]]\nignore = [\n  "fine",\n  "(unclosed",\n]\n',
     "noise rules 1: 'ignore': '(unclosed' is not a regular expression (missing ), "
     "unterminated subpattern at position 0) (at line 4)"),
    ("[[noise]]\nignore = [\n  'ok',\n  '(\\s+)+x',\n]\n",
     "noise rules 1: 'ignore': '(\\\\s+)+x' has a repeat inside a repeat (like (a+)+): it can "
     "take time exponential in the line's length (at line 4)"),
    ('noise = {}\n', "'noise' must be an array of tables ([[noise]]) (at line 1)"),
])
def test_mistakes_name_their_line(tmp_path: Path, body: str, message: str) -> None:
    assert error(tmp_path, body) == message


def test_an_array_element_is_not_taken_for_a_table_header(tmp_path: Path) -> None:
    body = '[watch]\nintervals = [\n  ["3h", "15m"]\n]\nbackoff = 0\n'
    assert error(tmp_path, body).endswith("(at line 5)")


# -- patterns that cannot hang a run ----------------------------------------------------------

SAFE = [
    r"Updated \d+ minutes? ago", r"Last updated: \w+ \d+, \d{4}", r"Updated .* ago",
    r"(?:Share|Tweet|Email)+", r"(?:Share|Tweet)+ \w+", r"\w+\s+\w+ ago", r"^Most read$",
    r"(?:\s*\|\s*)?Updated", r"[^|]+\|[^|]+", r"\d{1,2}\.\d{1,2}\.\d{4}", r"(?i)share on \w+",
    r"Aktualisiert vor \d+ (?:Minuten|Stunden)", r"Updated (.*)", r"Mis à jour le .*",
    r"(?:\d+ items)\s*x", r"x(?: \d+)? minutes? ago", r"a{1,3}a{1,3}b", r"\bfoo\b",
]
UNSAFE = {
    r"(a+)+b": "a repeat inside a repeat",
    r"(\w*\s?)*x": "can match empty text",
    r"(\w+\s?)*x": "a repeat inside a repeat",
    r"(?:ab?b?)+x": "a repeat inside a repeat",
    r"(a|ab)+c": "one word begins another",
    r"(?i)(?:share|SHARE)+x": "one word begins another",
    r"(?:foo|\s+bar)+": "only plain words can be repeated",
    r"\s*\s*x": "two repeats in a row",
    r".*.*=": "two repeats in a row",
    r".*a.*x": "two repeats in a row",
    r"(.*)(.*)x": "two repeats in a row",
    r"(?:\s*)?\s*x": "two repeats in a row",
    r"(?:a|b\s*)\s*x": "two repeats in a row",
    r"a{1,100}a{1,100}x": "two repeats in a row",
    r"(\w)\1": "backreference",
    r"x?": "can match empty text",
    r"(?=a)": "can match empty text",
    r"(?:a?)+": "can match empty text",
}


@pytest.mark.parametrize("pattern", SAFE)
def test_safe_patterns_are_accepted(pattern: str) -> None:
    assert regex_problem(pattern) is None


@pytest.mark.parametrize(("pattern", "reason"), UNSAFE.items())
def test_patterns_that_backtrack_badly_are_refused(pattern: str, reason: str) -> None:
    problem = regex_problem(pattern)
    assert problem is not None and reason in problem


@pytest.mark.parametrize("pattern", SAFE)
def test_accepted_patterns_stay_fast_on_hostile_lines(pattern: str) -> None:
    """On 300-character lines built to make backtracking patterns slow (runs of one
    character, of a word and a space, near misses), an accepted pattern takes milliseconds:
    the refused shapes take seconds to hours on the same lines."""
    rx = re.compile(pattern)
    lines = [c * 300 for c in " a1.é|x"] + [("ab " * 100)[:300], ("Updated 3 " * 30)[:300],
                                            ("Share " * 50)[:300], ("1.1." * 75)[:300]]
    start = time.perf_counter()
    for line in lines:
        rx.sub("", line)
    assert time.perf_counter() - start < 0.5


def test_refused_shapes_really_are_slow() -> None:
    """The measure behind the rules: one of the refused shapes on a short line."""
    start = time.perf_counter()
    re.search(r"\s*\s*\s*x", " " * 120)
    assert time.perf_counter() - start > 50 * _linear_time()


def _linear_time() -> float:
    start = time.perf_counter()
    re.search(r"\s*x", " " * 120)
    return max(time.perf_counter() - start, 1e-7)


# -- docs/cron.md --------------------------------------------------------------------------

CRON = Path(__file__).resolve().parent.parent / "docs" / "cron.md"


def test_every_config_example_on_the_cron_page_is_valid(tmp_path: Path) -> None:
    blocks = re.findall(r"^```toml\n(.*?)^```$", CRON.read_text("utf-8"), re.M | re.S)
    assert len(blocks) >= 4
    for block in blocks:
        load(tmp_path, block)
    watch = load(tmp_path, next(b for b in blocks if "[watch]" in b))
    assert watch.watch == WatchConfig()  # type: ignore[attr-defined]  # the defaults shown


def test_every_config_key_is_documented() -> None:
    from newsarchive.config import FEED_KEYS, KEYS, NOISE_KEYS, WATCH_KEYS

    page = CRON.read_text("utf-8")
    for key in KEYS + FEED_KEYS + WATCH_KEYS + NOISE_KEYS:
        assert f"`{key}`" in page or f"{key} =" in page or f"[{key}]" in page, key


def test_notify_kinds_are_checked_against_the_kinds_the_caller_knows(tmp_path: Path) -> None:
    from newsarchive.model import KINDS

    cfg = tmp_path / "config.toml"
    cfg.write_text('store = "x"\nnotify_kinds = ["substantive", "typo"]\n', "utf-8")
    assert load_config(str(cfg)).notify_kinds == ("substantive", "typo")  # not asked to check
    with pytest.raises(ConfigError) as info:
        load_config(str(cfg), kinds=KINDS)
    assert str(info.value) == (f"config {cfg}: 'notify_kinds': unknown kind 'typo' (known: "
                               f"{', '.join(KINDS)}) (at line 2)")
