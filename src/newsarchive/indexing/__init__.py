"""Deriving a revision's catalog rows from its record and texts, and inserting them.

:class:`~newsarchive.indexing.indexer.Indexer` is the one owner of "derive and insert a
revision row": ``add`` calls it for each new revision and ``reindex`` for every revision
of the store, so the catalog is always the same function of the objects.
"""
