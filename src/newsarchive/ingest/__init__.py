"""Turning inputs (text files, JSON Lines, HTML pages, URLs, stdin) into ``Draft`` objects.

Readers here only read: they produce drafts or raise ``InputError`` naming the input.
:mod:`newsarchive.ingest.prepare` then resolves a draft into an article ID and canonical text.
"""
