"""Full-text search over every version, and inside the edits (SPEC 6 ``search``).

:mod:`~newsarchive.search.parse` reads the query language, :mod:`~newsarchive.search.fts`
writes it as FTS5 syntax, :mod:`~newsarchive.search.snippet` cuts snippets and
:mod:`~newsarchive.search.hits` runs a search against a store's catalog.
"""
