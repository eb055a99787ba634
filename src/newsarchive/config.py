"""The config file and the store location (SPEC 2).

With ``cli``, this is the only module that reads the environment.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from newsarchive.model import FeedSpec
from newsarchive.errors import ConfigError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

APP = "newsarchive"
KEYS = ("store", "allow_private_networks", "auto_pack", "wayback_url", "notify",
        "notify_kinds", "notify_timeout", "feeds", "watch", "noise")
FEED_KEYS = ("url", "source", "no_fetch")
WATCH_KEYS = ("intervals", "backoff", "age_fraction", "stop_after_days", "max_fetches",
              "time_budget")
NOISE_KEYS = ("sources", "drop", "ignore", "min_change_words", "defaults")

_H = timedelta(hours=1)
#: The revisit schedule's default: (under this age, check this often), NewsDiffs' anchors.
DEFAULT_INTERVALS: tuple[tuple[timedelta, timedelta], ...] = (
    (3 * _H, timedelta(minutes=15)),
    (24 * _H, _H),
    (7 * 24 * _H, 3 * _H),
    (30 * 24 * _H, 72 * _H),
)
MAX_CONFIG_BYTES = 1024 * 1024  # thousands of feeds; more is not a config file


@dataclass(frozen=True)
class WatchConfig:
    """The revisit schedule and the per-run budget (``[watch]``; see docs/cron.md)."""

    intervals: tuple[tuple[timedelta, timedelta], ...] = DEFAULT_INTERVALS
    """(age, interval) pairs, ages rising: an article younger than ``age`` (and older than
    the pair before) is checked every ``interval``; past the last age, the last interval."""
    backoff: float = 1.2
    """Each unchanged check in a row stretches the interval by this factor (1: never)..."""
    age_fraction: float = 0.2
    """... until it reaches this fraction of the article's age (0: no back-off)."""
    stop_after: timedelta = timedelta(days=30)
    """Watching stops this long after the article last changed (or was first captured)."""
    max_fetches: int = 500
    """At most this many revisits a run."""
    time_budget: timedelta = timedelta(minutes=5)
    """Revisits planned for one run fit in this time (politeness delays included)."""


@dataclass(frozen=True)
class NoiseConfig:
    """One ``[[noise]]`` table: rules for some sources (every source when ``sources`` is
    empty). The patterns are checked (:func:`regex_problem`), the selectors parse."""

    sources: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    min_change_words: int | None = None
    defaults: bool | None = None


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    store: str | None = None
    feeds: list[FeedSpec] = field(default_factory=list)
    allow_private_networks: bool = False
    auto_pack: bool = True
    """Each add packs loose objects and merges small packs (false: left for ``gc``)."""
    wayback_url: str | None = None
    watch: WatchConfig = field(default_factory=WatchConfig)
    noise: tuple[NoiseConfig, ...] = ()
    notify: tuple[str, ...] = ()
    notify_kinds: tuple[str, ...] | None = None
    """None: the notifier's default kinds."""
    notify_timeout: float = 10.0


def config_path(flag: str | None) -> tuple[Path, bool]:
    """The config file to read and whether it was named explicitly."""
    if flag is not None:
        if not flag.strip():
            raise UsageError("--config: the path is empty")
        return Path(flag).expanduser(), True
    env = os.environ.get("NEWSARCHIVE_CONFIG")
    if env:
        return Path(env).expanduser(), True
    from platformdirs import user_config_dir  # only without $NEWSARCHIVE_CONFIG: start-up time

    return Path(user_config_dir(APP)) / "config.toml", False


def load_config(flag: str | None, *, kinds: Collection[str] | None = None) -> Config:
    """Read the config; a missing file is an empty config, a malformed one a ConfigError.

    ``kinds``: the kinds of change ``notify_kinds`` may name (the caller knows them:
    ``newsarchive.model.KINDS``); None: not checked."""
    path, explicit = config_path(flag)
    try:
        with open(path, "rb") as f:  # at most the cap: /dev/zero has no end
            data = f.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        if explicit:  # named by --config or $NEWSARCHIVE_CONFIG: a typo, not "no config"
            raise ConfigError(str(path), "no such file") from None
        return Config(path=None)
    except OSError as err:
        raise ConfigError(str(path), err.strerror or str(err)) from err
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(str(path), f"is over the {MAX_CONFIG_BYTES:,}-byte cap for a "
                                     "config file")
    try:
        text = data.decode("utf-8")
        doc = tomllib.loads(text)
    except UnicodeDecodeError as err:
        raise ConfigError(str(path), "is not UTF-8") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(str(path), str(err)) from err
    try:
        return _parse(path, doc, kinds)
    except ConfigError as err:
        line = _line_of(text, err.key, err.table, err.index, err.value)
        if line:
            raise ConfigError(str(path), f"{err.reason} (at line {line})") from None
        raise


# a table header: [name] or [[name]] alone on its line (an array's element such as
# ["3h", "15m"] has a comma, so it is not taken for one)
_HEADER = re.compile(r"\s*\[\[?\s*[\w.\"' -]+\]\]?\s*(?:#.*)?$")


def _line_of(text: str, key: str | None, table: str | None, index: int | None,
             value: str | None = None) -> int | None:
    """The line of ``value`` (else of ``key``) in ``table`` (the ``index``-th of that array
    of tables, or the plain table when ``index`` is None; the top level when ``table`` is
    None), else of the table's header: tomllib reports lines for syntax errors only."""
    lines = text.splitlines()
    start = 0
    if table is not None:
        name = re.escape(table)
        header = (rf"\s*\[\[\s*{name}\s*\]\]" if index is not None
                  else rf"\s*\[\s*{name}\s*\]")
        headers = [i for i, x in enumerate(lines) if re.match(header, x)]
        if len(headers) < (index or 1):
            return None
        start = headers[(index or 1) - 1]
    end = next((i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i])),
               len(lines))
    found = None
    for i in range(start, end):
        if i == start and table is not None:
            continue
        if key and found is None and re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", lines[i]):
            found = i + 1
            if not value:
                return found
        if value and found is not None and value in lines[i]:
            return i + 1
    if found is not None:
        return found
    return start + 1 if table is not None else None


def _unknown(table: dict[str, Any], known: tuple[str, ...]) -> str | None:
    return next((k for k in sorted(table) if k not in known), None)


def _parse(path: Path, doc: dict[str, Any], known_kinds: Collection[str] | None = None
           ) -> Config:
    """The config's values, checked: a misspelt or misplaced key is an error, not ignored
    (a cron job would otherwise run quietly without the setting)."""
    where = str(path)
    extra = _unknown(doc, KEYS)
    if extra:
        raise ConfigError(where, f"unknown key '{extra}' (known: {', '.join(KEYS)})", key=extra)
    store = doc.get("store")
    if store is not None and not isinstance(store, str):
        raise ConfigError(where, "'store' must be a string path", key="store")
    allow, auto_pack = (_flag(where, doc, key, default) for key, default in (
        ("allow_private_networks", False), ("auto_pack", True)))
    wayback = doc.get("wayback_url")
    if wayback is not None and (not isinstance(wayback, str) or not wayback.strip().lower()
                                .startswith(("http://", "https://"))):
        raise ConfigError(where, "'wayback_url' must be an http(s) URL string",
                          key="wayback_url")
    feeds_raw = doc.get("feeds", [])
    if not isinstance(feeds_raw, list):
        raise ConfigError(where, "'feeds' must be an array of tables ([[feeds]])", key="feeds")
    feeds = []
    for i, item in enumerate(feeds_raw, 1):
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise ConfigError(where, f"feed {i} needs a 'url' string", key="url", feed=i)
        extra = _unknown(item, FEED_KEYS)
        if extra:
            hint = ("; allow_private_networks goes at the top, before the first [[feeds]]"
                    if extra == "allow_private_networks" else "")
            raise ConfigError(where, f"feed {i}: unknown key '{extra}' (known: "
                              f"{', '.join(FEED_KEYS)}){hint}", key=extra, feed=i)
        source = item.get("source")
        if source is not None and not isinstance(source, str):
            raise ConfigError(where, f"feed {i}: 'source' must be a string", key="source",
                              feed=i)
        no_fetch = item.get("no_fetch", False)
        if not isinstance(no_fetch, bool):
            raise ConfigError(where, f"feed {i}: 'no_fetch' must be true or false",
                              key="no_fetch", feed=i)
        feeds.append(FeedSpec(item["url"], source, no_fetch))
    notify = _strings(where, doc, "notify", None, None)
    kinds = _strings(where, doc, "notify_kinds", None, None) if "notify_kinds" in doc else None
    unknown = [k for k in kinds or () if known_kinds is not None and k not in known_kinds]
    if unknown:
        raise ConfigError(where, f"'notify_kinds': unknown kind {unknown[0]!r} (known: "
                          f"{', '.join(known_kinds or ())})", key="notify_kinds")
    timeout = doc.get("notify_timeout", 10.0)
    timeout_s = _duration(where, timeout, "notify_timeout", None, None).total_seconds()
    if not 0 < timeout_s <= 300:
        raise ConfigError(where, "'notify_timeout' must be more than 0 and at most 300 seconds",
                          key="notify_timeout")
    return Config(path=path, store=store, feeds=feeds, allow_private_networks=allow,
                  auto_pack=auto_pack, wayback_url=wayback,
                  watch=_watch(where, doc.get("watch", {})),
                  noise=tuple(_noise(where, doc.get("noise", []))),
                  notify=notify, notify_kinds=kinds, notify_timeout=timeout_s)


def _flag(where: str, doc: dict[str, Any], key: str, default: bool) -> bool:
    value = doc.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(where, f"'{key}' must be true or false", key=key)
    return value


# -- durations, lists -----------------------------------------------------------------------

_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|min|m|h|d|w)\s*")


def parse_duration(value: object) -> timedelta | None:
    """``"90s"``, ``"15m"``, ``"3h"``, ``"1.5d"``, ``"2w"`` or a number of seconds; None when
    the value is none of these or not positive."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.fullmatch(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        return None
    if not 0 < seconds < 10 * 365 * 86400:
        return None
    return timedelta(seconds=seconds)


def _duration(where: str, value: object, key: str, table: str | None,
              index: int | None, label: str = "") -> timedelta:
    found = parse_duration(value)
    if found is None:
        raise ConfigError(where, f"{label}'{key}': {value!r} is not a duration (a number of "
                          "seconds, or a string such as \"90s\", \"15m\", \"3h\", \"1d\", \"2w\")",
                          key=key, table=table, index=index)
    return found


def _strings(where: str, table_doc: dict[str, Any], key: str, table: str | None,
             index: int | None, label: str = "") -> tuple[str, ...]:
    value = table_doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(where, f"{label}'{key}' must be an array of strings", key=key,
                          table=table, index=index)
    return tuple(value)


# -- [watch] ------------------------------------------------------------------------------

def _watch(where: str, doc: object) -> WatchConfig:
    if not isinstance(doc, dict):
        raise ConfigError(where, "'watch' must be a table ([watch])", key="watch")
    extra = _unknown(doc, WATCH_KEYS)
    if extra:
        raise ConfigError(where, f"[watch]: unknown key '{extra}' (known: "
                          f"{', '.join(WATCH_KEYS)})", key=extra, table="watch")
    default = WatchConfig()
    intervals = default.intervals
    if "intervals" in doc:
        intervals = _intervals(where, doc["intervals"])
    backoff = doc.get("backoff", default.backoff)
    if isinstance(backoff, bool) or not isinstance(backoff, (int, float)) \
            or not 1.0 <= backoff <= 10.0:
        raise ConfigError(where, "[watch]: 'backoff' must be a number from 1 (no back-off) to 10",
                          key="backoff", table="watch")
    fraction = doc.get("age_fraction", default.age_fraction)
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) \
            or not 0.0 <= fraction <= 1.0:
        raise ConfigError(where, "[watch]: 'age_fraction' must be a number from 0 to 1",
                          key="age_fraction", table="watch")
    days = doc.get("stop_after_days", default.stop_after.days)
    if isinstance(days, bool) or not isinstance(days, (int, float)) or not 0 < days <= 3650:
        raise ConfigError(where, "[watch]: 'stop_after_days' must be a number of days, more "
                          "than 0 and at most 3650", key="stop_after_days", table="watch")
    fetches = doc.get("max_fetches", default.max_fetches)
    if isinstance(fetches, bool) or not isinstance(fetches, int) or not 1 <= fetches <= 10**6:
        raise ConfigError(where, "[watch]: 'max_fetches' must be a whole number from 1 to "
                          "1000000", key="max_fetches", table="watch")
    budget = default.time_budget
    if "time_budget" in doc:
        budget = _duration(where, doc["time_budget"], "time_budget", "watch", None, "[watch]: ")
    return WatchConfig(intervals=intervals, backoff=float(backoff), age_fraction=float(fraction),
                       stop_after=timedelta(days=days), max_fetches=fetches, time_budget=budget)


def _intervals(where: str, value: object) -> tuple[tuple[timedelta, timedelta], ...]:
    def bad(reason: str) -> ConfigError:
        return ConfigError(where, f"[watch]: 'intervals' {reason}", key="intervals",
                           table="watch")

    shape = ('must be an array of [age, interval] pairs, such as [["3h", "15m"], '
             '["1d", "1h"]]')
    if not isinstance(value, list) or not value:
        raise bad(shape)
    pairs: list[tuple[timedelta, timedelta]] = []
    for item in value:
        if not isinstance(item, list) or len(item) != 2:
            raise bad(shape)
        age = parse_duration(item[0])
        every = parse_duration(item[1])
        if age is None or every is None:
            raise bad(f"{item!r}: an age and an interval must be durations (\"3h\", \"15m\")")
        if pairs and age <= pairs[-1][0]:
            raise bad(f"{item!r}: the ages must rise from one pair to the next")
        if pairs and every < pairs[-1][1]:
            raise bad(f"{item!r}: an older article cannot be checked more often than a "
                      "younger one")
        pairs.append((age, every))
    return tuple(pairs)


# -- [[noise]] ----------------------------------------------------------------------------

def _noise(where: str, doc: object) -> list[NoiseConfig]:
    if not isinstance(doc, list):
        raise ConfigError(where, "'noise' must be an array of tables ([[noise]])", key="noise")
    out = []
    for i, item in enumerate(doc, 1):
        if not isinstance(item, dict):
            raise ConfigError(where, "'noise' must be an array of tables ([[noise]])",
                              key="noise")
        label = f"noise rules {i}: "
        extra = _unknown(item, NOISE_KEYS)
        if extra:
            raise ConfigError(where, f"{label}unknown key '{extra}' (known: "
                              f"{', '.join(NOISE_KEYS)})", key=extra, table="noise", index=i)
        sources = _strings(where, item, "sources", "noise", i, label)
        if any(not s.strip() for s in sources):
            raise ConfigError(where, f"{label}'sources' cannot hold an empty name",
                              key="sources", table="noise", index=i)
        drop = _strings(where, item, "drop", "noise", i, label)
        ignore = _strings(where, item, "ignore", "noise", i, label)
        for selector in drop:
            problem = selector_problem(selector)
            if problem:
                raise ConfigError(where, f"{label}'drop': {selector!r} {problem}", key="drop",
                                  table="noise", index=i, value=selector)
        for pattern in ignore:
            problem = regex_problem(pattern)
            if problem:
                raise ConfigError(where, f"{label}'ignore': {pattern!r} {problem}",
                                  key="ignore", table="noise", index=i, value=pattern)
        words = item.get("min_change_words")
        if words is not None and (isinstance(words, bool) or not isinstance(words, int)
                                  or not 0 <= words <= 10_000):
            raise ConfigError(where, f"{label}'min_change_words' must be a whole number from 0 "
                              "to 10000", key="min_change_words", table="noise", index=i)
        defaults = item.get("defaults")
        if defaults is not None and not isinstance(defaults, bool):
            raise ConfigError(where, f"{label}'defaults' must be true or false",
                              key="defaults", table="noise", index=i)
        out.append(NoiseConfig(sources, drop, ignore, words, defaults))
    return out


def selector_problem(selector: str) -> str | None:
    """Why a CSS selector cannot be used (None when it can): it must parse."""
    from cssselect import GenericTranslator, SelectorError  # only configs with selectors

    if not selector.strip():
        return "is empty"
    try:
        GenericTranslator().css_to_xpath(selector)
    except SelectorError as err:
        return f"is not a CSS selector ({err})"
    return None


def resolve_store(flag: str | None, config: Config) -> Path:
    """``--store`` > ``NEWSARCHIVE_STORE`` > config ``store`` > the user data directory."""
    if flag is not None:
        if not flag.strip():  # an unset shell variable, say: not "the default store"
            raise UsageError("--store: the path is empty")
        return Path(flag).expanduser()
    env = os.environ.get("NEWSARCHIVE_STORE")
    if env:
        return Path(env).expanduser()
    if config.store:
        p = Path(config.store).expanduser()
        if not p.is_absolute() and config.path is not None:
            p = config.path.parent / p
        return p
    from platformdirs import user_data_dir  # only without a store named: start-up time

    return Path(user_data_dir(APP))


# -- patterns that cannot hang a run --------------------------------------------------------
#
# Python's regular expressions backtrack: a pattern such as (a+)+b takes time exponential in
# the length of the text it fails on, and \s*\s*\s*x time to the fourth power (on 400
# spaces: 15 seconds). There is no timeout to put on re. So the noise rules are bounded by
# construction: they are applied to short lines only (see newsarchive.ingest.noise), and a
# pattern is refused when it has a shape that backtracks badly:
#
# - a repeat inside a repeat, or a repeated part that can match empty text ((a+)+, (a?)*);
# - a repeated alternation whose branches are not plain words none of which begins another
#   ((a|ab)+ is refused, (?:Share|Tweet)+ is fine: it can split a text only one way);
# - two long repeats (*, +, {n,}, or {m,n} with n - m > 16) that can take turns over the same
#   characters, with nothing between them that the first cannot match (\s*\s*, .*a.*x;
#   \w+ \d+ is fine: \w cannot match the space, so where the first repeat ends is decided);
#   a long repeat that ends the pattern is exempt (nothing after it can fail);
# - backreferences; a pattern that can match empty text.
#
# A pattern that passes costs at most about (line length)^2 steps per line. The check reads
# the parse tree of the re module (re._parser, sre_parse before Python 3.11); should that
# ever change shape, patterns are accepted unchecked and the line cap still bounds them.

try:
    from re import _parser as _sre  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre

_LONG = 16
_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
               "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w",
               "CATEGORY_NOT_WORD": r"\W"}
# The characters two character sets are compared on: Latin, Greek, Cyrillic, Arabic,
# Devanagari, punctuation and spaces, CJK and full-width forms
_PROBE = "".join(chr(c) for lo, hi in (
    (0x09, 0x09), (0x20, 0x24F), (0x370, 0x4FF), (0x600, 0x6FF), (0x900, 0x97F),
    (0x2000, 0x206F), (0x20A0, 0x20BF), (0x3000, 0x30FF), (0x4E00, 0x4E3F), (0xFF00, 0xFFEF),
) for c in range(lo, hi + 1))
_MASKS: dict[tuple[str, int], int] = {}


class _Unsafe(Exception):
    pass


def regex_problem(pattern: str) -> str | None:
    """Why a noise pattern cannot be used (None when it can): it must compile, match some
    text, and have none of the shapes that backtrack badly (see above)."""
    try:
        re.compile(pattern)
    except (re.error, RecursionError) as err:
        return f"is not a regular expression ({err})"
    try:
        tree = _sre.parse(pattern)
        if tree.getwidth()[0] == 0:
            return "can match empty text"
        _Shape(tree.state.flags).sequence(list(tree), tail=True)
    except _Unsafe as err:
        return str(err)
    except (AttributeError, TypeError, ValueError, IndexError, KeyError):  # pragma: no cover
        return None  # a parse tree of an unknown shape: the line cap alone bounds the cost
    return None


class _Shape:
    """Walks a parse tree, raising _Unsafe at the first shape that backtracks badly."""

    def __init__(self, flags: int) -> None:
        self.flags = flags

    def sequence(self, items: list[tuple[Any, Any]], pending: int = 0,
                 tail: bool = False) -> int:
        """Check ``items`` in order; ``pending``: the characters a long repeat before them may
        still take; ``tail``: nothing follows them. Returns ``pending`` after them."""
        for n, (op, av) in enumerate(items):
            name = op.name
            last = tail and all(o.name == "AT" for o, _ in items[n + 1:])
            if name in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
                if not _mask(_source(name, av), self.flags) & pending:
                    pending = 0  # the repeat cannot take it: where it ends is decided
            elif name == "AT":
                continue
            elif name in ("ASSERT", "ASSERT_NOT"):
                self.sequence(list(av[1]))
            elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
                pending = self.sequence(list(av[3] if name == "SUBPATTERN" else av), pending,
                                        last)
            elif name == "BRANCH":
                out = 0
                for alt in av[1]:
                    out |= self.sequence(list(alt), pending, last)
                pending = out
            elif name.endswith("REPEAT") and av[1] <= 1:  # (...)?: a part that may be skipped
                out = self.sequence(list(av[2]), pending, last)
                pending = out | pending if av[0] == 0 else out
            elif name.endswith("REPEAT"):
                lo, hi, body = av
                self._body(body)
                chars = self._chars(body)
                if hi == _sre.MAXREPEAT or hi - lo > _LONG:
                    if chars & pending and not last:
                        raise _Unsafe("has two repeats in a row that can take the same "
                                      "characters (like \\s*\\s*): it can take time growing "
                                      "with a power of the line's length")
                    pending = pending | chars if lo == 0 else chars
                elif lo > 0 and not chars & pending:
                    pending = 0
            elif name.startswith("GROUPREF"):
                raise _Unsafe("uses a backreference")
            else:
                raise _Unsafe(f"uses a construct that cannot be checked ({name})")
        return pending

    def _body(self, body: Any) -> None:
        """A repeated part: no repeat inside, no empty match, no ambiguous alternation."""
        if _width(body) == 0:
            raise _Unsafe("repeats a part that can match empty text")
        for op, av in _walk(body):
            name = op.name
            if name.endswith("REPEAT"):
                raise _Unsafe("has a repeat inside a repeat (like (a+)+): it can take time "
                              "exponential in the line's length")
            if name.startswith("GROUPREF"):
                raise _Unsafe("uses a backreference")
            if name == "BRANCH":
                words = [_literal(alt) for alt in av[1]]
                if any(w is None for w in words):
                    raise _Unsafe("repeats an alternation of patterns (like (a|ab)+); only "
                                  "plain words can be repeated, as in (?:Share|Tweet)+")
                folded = [w.casefold() if self.flags & re.IGNORECASE else w
                          for w in words if w is not None]
                if any(a != b and b.startswith(a) for a in folded for b in folded) \
                        or len(set(folded)) < len(folded):
                    raise _Unsafe("repeats an alternation in which one word begins another "
                                  "(like (a|ab)+): it can take time exponential in the "
                                  "line's length")

    def _chars(self, sub: Any) -> int:
        """The characters any part of ``sub`` can match, as a mask over the probe."""
        mask = 0
        for op, av in _walk(sub):
            if op.name in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
                mask |= _mask(_source(op.name, av), self.flags)
        return mask


def _walk(sub: Any) -> list[tuple[Any, Any]]:
    """Every item of a subpattern (or a list of alternatives), nested ones included."""
    out: list[tuple[Any, Any]] = []
    stack = [sub]
    while stack:
        items = stack.pop()
        for item in items:
            if isinstance(item, tuple) and len(item) == 2 and hasattr(item[0], "name"):
                op, av = item
                out.append(item)
                name = op.name
                if name == "SUBPATTERN":
                    stack.append(av[3])
                elif name == "ATOMIC_GROUP":
                    stack.append(av)
                elif name in ("ASSERT", "ASSERT_NOT"):
                    stack.append(av[1])
                elif name == "BRANCH":
                    stack.extend(av[1])
                elif name.endswith("REPEAT"):
                    stack.append(av[2])
            else:  # an alternative: a subpattern in a list of them
                stack.append(item)
    return out


def _width(sub: Any) -> int:
    if isinstance(sub, list):  # alternatives
        return min(_width(alt) for alt in sub)
    return int(sub.getwidth()[0])


def _literal(alt: Any) -> str | None:
    """The text an alternative matches when it is a plain word, else None."""
    chars = []
    for op, av in alt:
        if op.name == "LITERAL":
            chars.append(chr(av))
        elif op.name == "SUBPATTERN" and (word := _literal(av[3])) is not None:
            chars.append(word)
        else:
            return None
    return "".join(chars)


def _source(name: str, av: Any) -> str:
    """A pattern matching what one single-character item matches."""
    if name == "LITERAL":
        return re.escape(chr(av))
    if name == "NOT_LITERAL":
        return f"[^{re.escape(chr(av))}]"
    if name == "ANY":
        return "."
    parts: list[str] = []
    for op, value in av:
        kind = op.name
        if kind == "NEGATE":
            parts.insert(0, "^")
        elif kind == "LITERAL":
            parts.append(re.escape(chr(value)))
        elif kind == "RANGE":
            parts.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
        elif kind == "CATEGORY":
            parts.append(_CATEGORIES[value.name])
        else:
            raise KeyError(kind)
    return f"[{''.join(parts)}]"


def _mask(source: str, flags: int) -> int:
    flags &= re.IGNORECASE | re.DOTALL | re.ASCII
    key = (source, flags)
    if key not in _MASKS:
        rx = re.compile(source, flags)
        _MASKS[key] = sum(1 << i for i, ch in enumerate(_PROBE) if rx.fullmatch(ch))
    return _MASKS[key]
