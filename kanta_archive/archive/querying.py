"""Queries past one index page: every matching row, page by page, in constant memory.

The index answers one page at a time (at most :data:`~kanta_archive.index.base.MAX_LIMIT`
rows); :func:`iter_rows` walks the pages in the query's order (ties are broken by document
OID, so pages never overlap) and keeps :class:`RowCounts` up to date as it goes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from kanta_archive.index import Index, IndexRow, Query
from kanta_archive.index.base import MAX_LIMIT


@dataclass
class RowCounts:
    """How many rows match (``total``), were shown, and were hidden from the actor.
    ``total`` is known once the first page is read; ``hidden`` once every page is."""

    total: int = 0
    shown: int = 0
    hidden: int = 0


def iter_pages(index: Index, q: Query) -> Iterator[tuple[IndexRow, int]]:
    """``(row, total)`` for every row matching ``q`` from offset 0, ignoring its limit."""
    offset = 0
    while True:
        page = index.query(dataclasses.replace(q, offset=offset, limit=MAX_LIMIT))
        for row in page.rows:
            yield row, page.total
        offset += len(page.rows)
        if not page.rows or offset >= page.total:
            return


def iter_rows(index: Index, q: Query, limit: int | None, counts: RowCounts) -> Iterator[IndexRow]:
    """The rows of ``q`` from ``q.offset``, at most ``limit`` (``None``: all of them)."""
    offset = q.offset
    while limit is None or counts.shown < limit:
        want = MAX_LIMIT if limit is None else min(MAX_LIMIT, limit - counts.shown)
        page = index.query(dataclasses.replace(q, offset=offset, limit=want))
        counts.total = page.total
        for row in page.rows:
            counts.shown += 1
            yield row
        offset += len(page.rows)
        if len(page.rows) < want or offset >= page.total:
            return
