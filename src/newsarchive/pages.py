"""The HTTP client configuration every command shares, and ``add URL``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from newsarchive import __version__

if TYPE_CHECKING:
    from newsarchive.fetch import Fetcher
    from newsarchive.model import Draft

USER_AGENT = f"newsarchive/{__version__} (+https://pypi.org/project/newsarchive/)"


def make_fetcher(*, allow_private_networks: bool = False, host_delay: float = 1.0) -> Fetcher:
    from newsarchive.fetch import Fetcher

    return Fetcher(user_agent=USER_AGENT, allow_private_networks=allow_private_networks,
                   host_delay=host_delay)


def fetch_article(url: str, *, allow_private_networks: bool = False) -> Draft:
    """Fetch a page the user named (trusted) and extract its article."""
    from newsarchive.snapshot import fetch_article as fetch_page

    with make_fetcher(allow_private_networks=allow_private_networks, host_delay=0) as fetcher:
        return fetch_page(fetcher, url, trusted=True)
