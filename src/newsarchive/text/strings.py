"""Comparisons of whole strings at C speed (no loop over characters in Python)."""

from __future__ import annotations


def common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, by bisection on slices (C-speed comparisons)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def differ_beyond_spacing(a: str, b: str) -> bool:
    """``a.split() != b.split()``: whether the texts differ in more than their white space.

    Where the texts first differ, a character that is not white space on both sides is in
    a word that starts at the same place in both (their beginnings are the same), so the
    two lists differ there; only a difference at white space needs the split.
    """
    p = common_prefix(a, b)
    if p < len(a) and p < len(b) and not a[p].isspace() and not b[p].isspace():
        return True
    return a.split() != b.split()
