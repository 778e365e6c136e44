"""Every run of a thread, page by page, forward (``after``) or backward (``before``).

The cursor arithmetic is pure (:class:`_Cursor`) and shared by the sync and async twins;
only the fetching differs.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Any, Literal

from portkey_runs_api import Client
from portkey_runs_api.models import ListRunsResponse, Run

from ._calls import asend, list_runs_request, parse_response, send
from .errors import PortkeyError

__all__ = [
    "MAX_EMPTY_PAGES",
    "PaginationError",
    "aiter_run_pages",
    "aiter_runs",
    "iter_run_pages",
    "iter_runs",
]

#: How many pages in a row may come back empty while claiming ``has_more`` before we give up.
MAX_EMPTY_PAGES = 3

Order = Literal["asc", "desc"]


class PaginationError(PortkeyError):
    """The server's pages cannot be followed (empty pages with ``has_more``, a stuck cursor)."""


class _Cursor:
    """Which page to ask for next, from the pages seen so far."""

    def __init__(
        self,
        thread_id: str,
        limit: int,
        order: str,
        after: str | None,
        before: str | None,
        max_items: int | None,
    ) -> None:
        if max_items is not None and (isinstance(max_items, bool) or max_items < 0):
            raise ValueError(f"max_items must be None or >= 0, got {max_items!r}")
        self.thread_id = thread_id
        self.limit = limit
        self.order = order
        self.backward = before is not None
        self.cursor = before if self.backward else after
        self.remaining = max_items
        self.empty_pages = 0
        self.seen: set[str] = set()
        self.done = max_items == 0
        list_runs_request(thread_id, limit=limit, order=order, after=after, before=before)

    def request(self) -> dict[str, Any]:
        limit = self.limit if self.remaining is None else max(1, min(self.limit, self.remaining))
        return list_runs_request(
            self.thread_id,
            limit=limit,
            order=self.order,
            after=None if self.backward else self.cursor,
            before=self.cursor if self.backward else None,
        )

    def advance(self, page: ListRunsResponse) -> list[Run]:
        """Record ``page``; return its runs in the order of travel (capped by max_items)."""
        runs = list(reversed(page.data)) if self.backward else list(page.data)
        for run in runs:
            if run.id in self.seen:
                raise PaginationError(
                    f"thread {self.thread_id}: run {run.id!r} came a second time "
                    f"(the server's pages overlap); stopping rather than yielding it twice"
                )
            self.seen.add(run.id)
        if self.remaining is not None:
            runs = runs[: self.remaining]
            self.remaining -= len(runs)
        if not page.data:
            self.empty_pages += 1
            if page.has_more and self.empty_pages >= MAX_EMPTY_PAGES:
                raise PaginationError(
                    f"thread {self.thread_id}: {self.empty_pages} empty pages in a row claim "
                    f"has_more=true (cursor {self.cursor!r}); giving up rather than looping"
                )
        else:
            self.empty_pages = 0
        if self.backward:
            edge = page.first_id or (page.data[0].id if page.data else None)
        else:
            edge = page.last_id or (page.data[-1].id if page.data else None)
        if edge is not None:
            self.cursor = edge
        self.done = not page.has_more or self.remaining == 0
        return runs


def _pages(client: Client, state: _Cursor) -> Generator[ListRunsResponse, None, None]:
    while not state.done:
        page = parse_response(ListRunsResponse, send(client, state.request()))
        state.advance(page)
        yield page


async def _apages(client: Client, state: _Cursor) -> AsyncGenerator[ListRunsResponse, None]:
    while not state.done:
        page = parse_response(ListRunsResponse, await asend(client, state.request()))
        state.advance(page)
        yield page


def _runs(client: Client, state: _Cursor) -> Generator[Run, None, None]:
    while not state.done:
        page = parse_response(ListRunsResponse, send(client, state.request()))
        yield from state.advance(page)


async def _aruns(client: Client, state: _Cursor) -> AsyncGenerator[Run, None]:
    while not state.done:
        page = parse_response(ListRunsResponse, await asend(client, state.request()))
        for run in state.advance(page):
            yield run


# The public functions are plain functions returning iterators, so that bad arguments raise
# at the call, not at the first next().


def iter_run_pages(
    client: Client,
    thread_id: str,
    *,
    limit: int = 100,
    order: Order = "desc",
    after: str | None = None,
    before: str | None = None,
    max_items: int | None = None,
) -> Generator[ListRunsResponse, None, None]:
    """Each page of the thread's runs as the server sent it, fetched lazily.

    A page's ``last_id`` (forward) or ``first_id`` (backward) is the cursor to resume from.
    """
    return _pages(client, _Cursor(thread_id, limit, order, after, before, max_items))


def aiter_run_pages(
    client: Client,
    thread_id: str,
    *,
    limit: int = 100,
    order: Order = "desc",
    after: str | None = None,
    before: str | None = None,
    max_items: int | None = None,
) -> AsyncGenerator[ListRunsResponse, None]:
    """The async twin of :func:`iter_run_pages`."""
    return _apages(client, _Cursor(thread_id, limit, order, after, before, max_items))


def iter_runs(
    client: Client,
    thread_id: str,
    *,
    limit: int = 100,
    order: Order = "desc",
    after: str | None = None,
    before: str | None = None,
    max_items: int | None = None,
) -> Generator[Run, None, None]:
    """Every run of the thread exactly once, fetching pages of ``limit`` lazily.

    Forward from ``after`` (or the start) in ``order``; with ``before`` it walks backward
    from that cursor, yielding the nearest run first. ``max_items`` stops early (and asks for
    no more than it needs).
    """
    return _runs(client, _Cursor(thread_id, limit, order, after, before, max_items))


def aiter_runs(
    client: Client,
    thread_id: str,
    *,
    limit: int = 100,
    order: Order = "desc",
    after: str | None = None,
    before: str | None = None,
    max_items: int | None = None,
) -> AsyncGenerator[Run, None]:
    """The async twin of :func:`iter_runs`."""
    return _aruns(client, _Cursor(thread_id, limit, order, after, before, max_items))
