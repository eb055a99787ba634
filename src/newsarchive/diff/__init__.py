"""Diffs of article texts.

:mod:`~newsarchive.diff.engine` computes exact edit scripts (word, sentence, line or
character tokens mapped to private-use characters, diff-match-patch, bounded in time);
:mod:`~newsarchive.diff.model` holds what a diff is; :mod:`~newsarchive.diff.facts` finds
moves and counts what changed; :mod:`~newsarchive.diff.render` draws a diff as inline
text, unified diff or HTML; :mod:`~newsarchive.diff.compare` puts them together
(:func:`~newsarchive.diff.compare.diff_texts`).
"""
