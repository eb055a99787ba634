"""The config file and the store location (SPEC 2).

With ``cli``, this is the only module that reads the environment.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsarchive.errors import ConfigError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

APP = "newsarchive"
KEYS = ("store", "allow_private_networks", "feeds")
FEED_KEYS = ("url", "source", "no_fetch")
MAX_CONFIG_BYTES = 1024 * 1024  # thousands of feeds; more is not a config file


@dataclass(frozen=True)
class FeedConfig:
    url: str
    source: str | None = None
    no_fetch: bool = False


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    store: str | None = None
    feeds: list[FeedConfig] = field(default_factory=list)
    allow_private_networks: bool = False


def config_path(flag: str | None) -> tuple[Path, bool]:
    """The config file to read and whether it was named explicitly."""
    if flag is not None:
        if not flag.strip():
            raise UsageError("--config: the path is empty")
        return Path(flag).expanduser(), True
    env = os.environ.get("NEWSARCHIVE_CONFIG")
    if env:
        return Path(env).expanduser(), True
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP)) / "config.toml", False


def load_config(flag: str | None) -> Config:
    """Read the config; a missing file is an empty config, a malformed one a ConfigError."""
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
        return _parse(path, doc)
    except ConfigError as err:
        line = _line_of(text, err.key, err.feed)
        if line:
            raise ConfigError(str(path), f"{err.reason} (at line {line})") from None
        raise


def _line_of(text: str, key: str | None, feed: int | None) -> int | None:
    """The line of ``key`` (in the ``feed``-th [[feeds]] table), or of that table's header:
    tomllib reports lines for syntax errors only."""
    lines = text.splitlines()
    start = 0
    if feed is not None:
        headers = [i for i, x in enumerate(lines) if re.match(r"\s*\[\[\s*feeds\s*\]\]", x)]
        if len(headers) < feed:
            return None
        start = headers[feed - 1]
    for i in range(start, len(lines)):
        if i > start and lines[i].lstrip().startswith("["):
            break  # the next table
        if key and re.match(rf"\s*[\"']?{re.escape(key)}[\"']?\s*=", lines[i]):
            return i + 1
    return start + 1 if feed is not None else None


def _unknown(table: dict[str, Any], known: tuple[str, ...]) -> str | None:
    return next((k for k in sorted(table) if k not in known), None)


def _parse(path: Path, doc: dict[str, Any]) -> Config:
    """The config's values, checked: a misspelt or misplaced key is an error, not ignored
    (a cron job would otherwise run quietly without the setting)."""
    where = str(path)
    extra = _unknown(doc, KEYS)
    if extra:
        raise ConfigError(where, f"unknown key '{extra}' (known: {', '.join(KEYS)})", key=extra)
    store = doc.get("store")
    if store is not None and not isinstance(store, str):
        raise ConfigError(where, "'store' must be a string path", key="store")
    allow = doc.get("allow_private_networks", False)
    if not isinstance(allow, bool):
        raise ConfigError(where, "'allow_private_networks' must be true or false",
                          key="allow_private_networks")
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
        feeds.append(FeedConfig(item["url"], source, no_fetch))
    return Config(path=path, store=store, feeds=feeds, allow_private_networks=allow)


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
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP))
