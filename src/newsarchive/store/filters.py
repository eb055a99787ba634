"""The WHERE conditions of the filters every listing and search shares (sources, dates,
kinds), as SQL text with ``?`` placeholders and their arguments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def filters(alias: str, *, sources: Sequence[str] = (), since: str | None = None,
            until: str | None = None, column: str = "date",
            kinds: Sequence[str] = ()) -> tuple[list[str], list[Any]]:
    """WHERE conditions and their arguments for the filters every listing shares.

    ``column`` is the one ``since``/``until`` compare with (``date`` or ``captured_at``;
    a bare date as ``until`` of ``captured_at`` covers that whole day). ``kinds``
    needs ``alias`` to be a revisions row.
    """
    where: list[str] = []
    args: list[Any] = []
    if sources:
        where.append(f"{alias}.source IN ({', '.join('?' for _ in sources)})")
        args.extend(sources)
    if since:
        where.append(f"{alias}.{column} >= ?")
        args.append(since)
    if until:
        where.append(f"{alias}.{column} <= ?")
        args.append(until + "T23:59:59Z" if column == "captured_at" and len(until) == 10
                    else until)
    if kinds:
        where.append("(" + " OR ".join(f"(' ' || {alias}.kind || ' ') LIKE ?" for _ in kinds)
                     + ")")
        args.extend(f"% {k} %" for k in kinds)
    return where, args
