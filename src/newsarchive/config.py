"""The config file and the store location (SPEC 2).

With ``cli``, this is the only module that reads the environment.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsarchive.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

APP = "newsarchive"


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
    if flag:
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
        data = path.read_bytes()
    except FileNotFoundError:
        if explicit and flag:
            raise ConfigError(str(path), "no such file") from None
        return Config(path=None)
    except OSError as err:
        raise ConfigError(str(path), err.strerror or str(err)) from err
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(str(path), "is not UTF-8") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(str(path), str(err)) from err
    return _parse(path, doc)


def _parse(path: Path, doc: dict[str, Any]) -> Config:
    where = str(path)
    store = doc.get("store")
    if store is not None and not isinstance(store, str):
        raise ConfigError(where, "'store' must be a string path")
    allow = doc.get("allow_private_networks", False)
    if not isinstance(allow, bool):
        raise ConfigError(where, "'allow_private_networks' must be true or false")
    feeds_raw = doc.get("feeds", [])
    if not isinstance(feeds_raw, list):
        raise ConfigError(where, "'feeds' must be an array of tables ([[feeds]])")
    feeds = []
    for i, item in enumerate(feeds_raw, 1):
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise ConfigError(where, f"feed {i} needs a 'url' string")
        source = item.get("source")
        if source is not None and not isinstance(source, str):
            raise ConfigError(where, f"feed {i}: 'source' must be a string")
        no_fetch = item.get("no_fetch", False)
        if not isinstance(no_fetch, bool):
            raise ConfigError(where, f"feed {i}: 'no_fetch' must be true or false")
        feeds.append(FeedConfig(item["url"], source, no_fetch))
    return Config(path=path, store=store, feeds=feeds, allow_private_networks=allow)


def resolve_store(flag: str | None, config: Config) -> Path:
    """``--store`` > ``NEWSARCHIVE_STORE`` > config ``store`` > the user data directory."""
    if flag:
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
