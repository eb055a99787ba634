"""The on-disk store: immutable content-addressed objects plus a derived SQLite catalog.

See ``docs/storage.md`` for the layout and its guarantees.
"""
