"""Operations over a store: adding, listing and exporting, check, reindex, gc, stats, and
the recent changes. Each takes the :class:`~newsarchive.store.repository.Store` (and, where
it writes revision rows, an :class:`~newsarchive.indexing.indexer.Indexer`), never the
``Archive`` facade, which only composes them.
"""
