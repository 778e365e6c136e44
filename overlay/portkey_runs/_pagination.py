"""Every run of a thread, page by page, forward (``after``) or backward (``before``).

The cursor arithmetic is pure (:class:`_Cursor`) and shared by :class:`RunPager` and
:class:`AsyncRunPager`; only the fetching differs.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import httpx
from attrs import field, fields, frozen

from portkey_runs_api.models import ListRunsResponse, Run
from portkey_runs_api.spec_facts import Order
from portkey_runs_api.types import check_id

from ._drift import DriftLog, SpecDrift, drift_log
from ._generated import list_runs_request
from ._headers import secret_values
from ._http import parse_json
from ._response import ResponseMeta
from .errors import PaginationError, PortkeyError, ResponseValidationError, mask_error, request_of

if TYPE_CHECKING:
    from ._tracing import Scope, Tracing

__all__ = ["MAX_EMPTY_PAGES", "AsyncRunPager", "Order", "RunPage", "RunPager"]

#: How many pages in a row may come back empty while claiming ``has_more`` before we give up.
MAX_EMPTY_PAGES = 3


@frozen
class RunPage:
    """One page of a thread's runs, as the server sent it (in the requested ``order``).

    ``last_id`` (forward) or ``first_id`` (backward, with ``before=``) is the cursor to resume
    from; ``meta`` is what the page's answer headers say. Iterating a page gives its runs.
    ``drift`` lists where the page departed from the spec, read tolerantly (empty when it
    did not, or when read with ``strict_responses=True``, which raises instead), as far as it
    has been read: a run's nested properties are typed when first read, and listed then.
    """

    data: list[Run]
    has_more: bool
    first_id: str | None
    last_id: str | None
    meta: ResponseMeta
    _drift: tuple[SpecDrift, ...] = field(default=(), alias="drift")
    #: The secret values its request carried: masked where a cursor or an id is quoted.
    _secrets: tuple[str, ...] = field(default=(), init=False, repr=False, eq=False)
    #: The log of its tolerant read, which grows as lazily typed properties are read.
    _log: DriftLog | None = field(default=None, init=False, repr=False, eq=False)

    @property
    def drift(self) -> tuple[SpecDrift, ...]:
        """Where the page departed from the spec, as far as it has been read."""
        return self._drift if self._log is None else self._drift + tuple(self._log.records)

    def __repr__(self) -> str:
        # attrs would show the field (``_drift=()``, what was given when made), not the drift.
        shown = (
            f"{a.alias}={self.drift if a.name == '_drift' else getattr(self, a.name)!r}"
            for a in fields(RunPage)
            if a.repr
        )
        return f"RunPage({', '.join(shown)})"

    @classmethod
    def of(cls, response: httpx.Response, strict: bool = True) -> RunPage:
        """The page of ``response``, read strictly or tolerantly."""
        log = drift_log(response, strict)
        page = parse_json(ListRunsResponse, response, log)
        meta = ResponseMeta.of(response)
        made = cls(page.data, page.has_more, page.first_id, page.last_id, meta)
        object.__setattr__(made, "_log", log)
        request = request_of(response)
        if request is not None:
            object.__setattr__(made, "_secrets", secret_values(request.headers.multi_items()))
        return made

    def __iter__(self) -> Iterator[Run]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


@frozen
class ListQuery:
    """The arguments of one listing, checked when it is made."""

    thread_id: str
    limit: int
    order: str
    after: str | None
    before: str | None
    max_items: int | None

    def __attrs_post_init__(self) -> None:
        max_items = self.max_items
        if max_items is not None and (
            isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 0
        ):
            raise ValueError(f"max_items must be None or an integer >= 0, got {max_items!r}")
        list_runs_request(
            self.thread_id,
            limit=self.limit,
            order=self.order,
            after=self.after,
            before=self.before,
        )

    def first_request(self) -> dict[str, Any]:
        """The request for the first page."""
        return _Cursor(self).request()


class _Cursor:
    """Which page to ask for next, from the pages seen so far (one walk over the pages).

    It keeps the cursors it has used and the ids of the last page, not every id seen, so that
    memory stays flat however many runs a thread has. A server whose pages loop is caught: a
    cursor that comes again, a page that repeats runs of the one before, a page whose
    ``last_id`` (``first_id`` backward) is not its edge run. (One that repeats older runs under
    new cursors would need every id kept; that is the trade made here.)
    """

    def __init__(self, query: ListQuery) -> None:
        self.query = query
        self.backward = query.before is not None
        self.cursor = query.before if self.backward else query.after
        self.remaining = query.max_items
        self.empty_pages = 0
        self.used: set[str | None] = set()
        self.previous: frozenset[str] = frozenset()
        self.done = query.max_items == 0
        #: The field of the last page the cursor came from (``None``: the caller's cursor).
        self.cursor_field: str | None = None
        #: The secrets the last page's request carried: a server may echo them as a cursor or
        #: an id, which an error quotes (masked).
        self.secrets: tuple[str, ...] = ()

    def request(self) -> dict[str, Any]:
        """The next page's request; a cursor from the server that no id holds raises
        ``ResponseValidationError`` naming its field, before the request is built."""
        try:
            return self._request()
        except PortkeyError as exc:
            raise mask_error(exc, self.secrets) from None

    def advance(self, page: RunPage) -> list[Run]:
        """Record ``page``; return its runs in the order of travel (capped by max_items)."""
        self.secrets = page._secrets
        try:
            return self._advance(page)
        except PortkeyError as exc:
            raise mask_error(exc, self.secrets) from None

    def _request(self) -> dict[str, Any]:
        query = self.query
        if self.cursor_field is not None:
            try:
                check_id(self.cursor_field, self.cursor)
            except (TypeError, ValueError) as exc:
                raise ResponseValidationError(
                    f"{exc}; the next page cannot be asked for", self.cursor, self.cursor_field
                ) from None
        self.used.add(self.cursor)
        limit = query.limit if self.remaining is None else max(1, min(query.limit, self.remaining))
        return list_runs_request(
            query.thread_id,
            limit=limit,
            order=query.order,
            after=None if self.backward else self.cursor,
            before=self.cursor if self.backward else None,
        )

    def _advance(self, page: RunPage) -> list[Run]:
        thread_id = self.query.thread_id
        runs = list(reversed(page.data)) if self.backward else list(page.data)
        ids: set[str] = set()
        for run in runs:
            if run.id in ids or run.id in self.previous:
                raise PaginationError(
                    f"thread {thread_id}: run {run.id!r} came a second time (the server's pages "
                    "overlap); stopping rather than yielding it twice"
                )
            ids.add(run.id)
        self.previous = frozenset(ids)
        if self.remaining is not None:
            runs = runs[: self.remaining]
            self.remaining -= len(runs)
        if not page.data:
            self.empty_pages += 1
            if page.has_more and self.empty_pages >= MAX_EMPTY_PAGES:
                raise PaginationError(
                    f"thread {thread_id}: {self.empty_pages} empty pages in a row claim "
                    f"has_more=true (cursor {self.cursor!r}); giving up rather than looping"
                )
        else:
            self.empty_pages = 0
        if page.data:
            edge_run = page.data[0].id if self.backward else page.data[-1].id
            claimed = page.first_id if self.backward else page.last_id
            if claimed is not None and claimed != edge_run:
                name = "first_id" if self.backward else "last_id"
                raise PaginationError(
                    f"thread {thread_id}: the page's {name} {claimed!r} is not its "
                    f"{'first' if self.backward else 'last'} run {edge_run!r}; "
                    "the next page cannot be asked for"
                )
            if edge_run in self.used:
                raise PaginationError(
                    f"thread {thread_id}: the page after cursor {self.cursor!r} ends at "
                    f"{edge_run!r}, a cursor used before (the server's pages loop); "
                    "stopping rather than yielding runs twice"
                )
            self.cursor = edge_run
            if claimed is not None:
                self.cursor_field = f"ListRunsResponse.{'first_id' if self.backward else 'last_id'}"
            else:
                edge = 0 if self.backward else len(page.data) - 1
                self.cursor_field = f"ListRunsResponse.data[{edge}].id"
        self.done = not page.has_more or self.remaining == 0
        return runs


def _walk(tracing: Tracing | None, query: ListQuery) -> Scope:
    """The span of one walk over the pages (a no-op one without tracing)."""
    if tracing is None:
        from ._tracing import NO_SCOPE

        return NO_SCOPE
    return tracing.walk(query.thread_id)


def _walked(walk: Scope, runs: list[Run]) -> list[Run]:
    """``runs``, a page's, counted on the walk's span."""
    walk.count("list.pages")
    walk.count("list.runs", len(runs))
    return runs


class RunPager:
    """What ``client.runs.list(...)`` returns: iterate it for every run exactly once
    (forward, or backward from ``before=``), or its :meth:`pages`. Pages are fetched lazily,
    as they are needed; each iteration walks from the first page again.
    """

    def __init__(
        self,
        query: ListQuery,
        fetch: Callable[[dict[str, Any]], RunPage],
        tracing: Tracing | None = None,
    ) -> None:
        self.query = query
        self._fetch = fetch
        self._tracing = tracing

    def pages(self) -> Generator[RunPage, None, None]:
        """Each page as the server sent it."""
        cursor = _Cursor(self.query)
        with _walk(self._tracing, self.query) as walk:
            while not cursor.done:
                page = walk.call(self._fetch, cursor.request())
                _walked(walk, cursor.advance(page))
                yield page

    def __iter__(self) -> Generator[Run, None, None]:
        cursor = _Cursor(self.query)
        with _walk(self._tracing, self.query) as walk:
            while not cursor.done:
                yield from _walked(walk, cursor.advance(walk.call(self._fetch, cursor.request())))

    def __repr__(self) -> str:
        return f"<RunPager {self.query!r}>"


class AsyncRunPager:
    """The async twin of :class:`RunPager`: ``async for`` over it, or over :meth:`pages`."""

    def __init__(
        self,
        query: ListQuery,
        fetch: Callable[[dict[str, Any]], Awaitable[RunPage]],
        tracing: Tracing | None = None,
    ) -> None:
        self.query = query
        self._fetch = fetch
        self._tracing = tracing

    async def pages(self) -> AsyncGenerator[RunPage, None]:
        cursor = _Cursor(self.query)
        with _walk(self._tracing, self.query) as walk:
            while not cursor.done:
                page = await walk.acall(self._fetch, cursor.request())
                _walked(walk, cursor.advance(page))
                yield page

    async def __aiter__(self) -> AsyncGenerator[Run, None]:
        cursor = _Cursor(self.query)
        with _walk(self._tracing, self.query) as walk:
            while not cursor.done:
                page = await walk.acall(self._fetch, cursor.request())
                for run in _walked(walk, cursor.advance(page)):
                    yield run

    def __repr__(self) -> str:
        return f"<AsyncRunPager {self.query!r}>"
