"""Fetching one article page by URL (``add URL``) into a draft."""

from __future__ import annotations

from newsarchive import __version__
from newsarchive.model import Draft

USER_AGENT = f"newsarchive/{__version__} (+https://pypi.org/project/newsarchive/)"


def make_fetcher(*, allow_private_networks: bool = False, host_delay: float = 1.0):  # type: ignore[no-untyped-def]
    """The one HTTP client configuration every command uses."""
    from newsarchive.fetch import Fetcher

    return Fetcher(user_agent=USER_AGENT, allow_private_networks=allow_private_networks,
                   host_delay=host_delay)


def fetch_article(url: str, *, allow_private_networks: bool = False) -> Draft:
    """Fetch a page the user named (trusted) and extract its article."""
    from newsarchive.ingest.html import html_to_draft

    fetcher = make_fetcher(allow_private_networks=allow_private_networks, host_delay=0)
    try:
        response = fetcher.get(url, trusted=True)
    finally:
        fetcher.close()
    draft = html_to_draft(response.body, origin=url, url=response.url)
    draft.url = draft.url or response.url
    return draft
