"""``client.runs``: the two operations of the API, and their raw-response views.

:class:`Runs` (sync) and :class:`AsyncRuns` have the same method names and arguments. What
they share — checking the arguments, building each request, parsing each answer — is in the
functions at the top of this module and the modules they call; each method is its I/O.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, Unpack

import httpx

from portkey_runs_api.models import Run
from portkey_runs_api.types import check_id

from ._bounds import Bounds
from ._generated import ToolOutputLike, submit_request
from ._http import asend, asend_stream, parse_json, send, send_stream
from ._options import RequestOptions, call_options
from ._pagination import AsyncRunPager, ListQuery, Order, RunPage, RunPager
from ._response import RawResponse
from ._snapshots import Snapshots
from ._streaming import (
    AsyncRunStream,
    AsyncRunStreamManager,
    RunStream,
    RunStreamManager,
    raw_stream,
)
from ._tools import AsyncToolLoop, OnToolError, ToolLoop, _Loop

if TYPE_CHECKING:
    from ._client import AsyncClient, Client

__all__ = ["AsyncRuns", "AsyncRunsWithRawResponse", "Runs", "RunsWithRawResponse"]

S = TypeVar("S")

Request = dict[str, Any]
#: The bounds of a call by default (the client's own are given to its resources).
DEFAULT_BOUNDS = Bounds()


def _submission(
    thread_id: str,
    run_id: str,
    tool_outputs: Iterable[ToolOutputLike],
    options: RequestOptions,
    bounds: Bounds,
    *,
    stream: bool,
) -> tuple[Request, Bounds]:
    """The request of a submission, with the call's options, and the call's bounds; bad
    arguments raise here."""
    checked = call_options(options)
    request = checked.apply(submit_request(thread_id, run_id, tool_outputs, stream=stream))
    return request, bounds.override(checked.bounds)


def _first_page(
    query: ListQuery, options: RequestOptions, bounds: Bounds
) -> tuple[Request, Bounds]:
    checked = call_options(options)
    return checked.apply(query.first_request()), bounds.override(checked.bounds)


def _run(response: httpx.Response) -> Run:
    return parse_json(Run, response)


def _same(stream: S) -> S:
    return stream


def _check_run(thread_id: str, run: Run | str) -> None:
    """A tool loop's run: a Run of the thread, or a run id."""
    check_id("thread_id", thread_id)
    if isinstance(run, Run):
        if run.thread_id != thread_id:
            raise ValueError(f"run {run.id} belongs to thread {run.thread_id}, not {thread_id}")
    elif isinstance(run, str):
        check_id("run", run)
    else:
        kind = type(run).__name__
        raise TypeError(f"run must be a Run (as client.runs.list gives it) or a run id, not {kind}")


class Runs:
    """The runs of a thread: ``client.runs``."""

    def __init__(self, client: Client) -> None:
        self._http: Callable[[], httpx.Client] = client.api.get_httpx_client
        self._bounds = client._bounds

    @functools.cached_property
    def with_raw_response(self) -> RunsWithRawResponse:
        """The same methods, answering a :class:`RawResponse` (status, headers, ``parse()``)."""
        return RunsWithRawResponse(self._http, self._bounds)

    def list(
        self,
        thread_id: str,
        *,
        limit: int = 100,
        order: Order = "desc",
        after: str | None = None,
        before: str | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> RunPager:
        """Every run of the thread exactly once, fetching pages of ``limit`` lazily.

        Forward from ``after`` (or the start) in ``order``; with ``before`` it walks backward
        from that cursor, yielding the nearest run first. ``max_items`` stops early (and asks
        for no more than it needs). ``.pages()`` gives the pages instead. The arguments are
        checked here, before any request.
        """
        query = ListQuery(thread_id, limit, order, after, before, max_items)
        checked = call_options(options)
        apply, bounds = checked.apply, self._bounds.override(checked.bounds)
        return RunPager(
            query, lambda request: RunPage.of(send(self._http(), apply(request), bounds))
        )

    def submit_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> Run:
        """Hand tool outputs to a run in ``requires_action``; the Run the server answers."""
        request, bounds = _submission(
            thread_id, run_id, tool_outputs, options, self._bounds, stream=False
        )
        return _run(send(self._http(), request, bounds))

    def stream_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> RunStreamManager[RunStream]:
        """Submit with ``stream: true``; a context manager giving the :class:`RunStream`.

        The arguments are checked here; the request is sent on entering the ``with`` block,
        and the events are read as the server sends them.
        """
        return self._stream(thread_id, run_id, tool_outputs, options)

    def run_tools(
        self,
        thread_id: str,
        run: Run | str,
        *,
        tools: Mapping[str, Callable[..., Any]],
        on_tool_error: OnToolError = "report",
        max_rounds: int = 10,
        parallel: bool = True,
        tool_timeout: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> ToolLoop:
        """Call ``tools`` whenever the run asks, submit their outputs, stream its answer; a
        context manager and an iterator of the events of every round.

        ``run`` is a Run waiting in ``requires_action`` (as ``list`` gives it) or its id
        (found by listing the thread). Each round calls every tool call's function with its
        JSON arguments as keywords — at once, in threads, unless ``parallel=False``; each
        bounded by ``tool_timeout`` seconds — and submits all outputs in one streamed
        submission: a ``str`` as is, anything else as compact JSON. A function that raises,
        times out or is unknown, or arguments that are not a JSON object, become that call's
        output ``{"error": "..."}`` (``on_tool_error="raise"``: ``ToolError``, before the
        round is submitted). A run that still asks after ``max_rounds`` rounds raises
        ``ToolLoopError``. A submission is never repeated: a failed one raises and ends the
        loop.
        """
        loop = _Loop(
            thread_id,
            tools,
            on_tool_error=on_tool_error,
            max_rounds=max_rounds,
            parallel=parallel,
            tool_timeout=tool_timeout,
            allow_async=False,
        )
        _check_run(thread_id, run)
        call_options(options)  # checked here, at the call
        return ToolLoop(self, run, loop, options)

    def _stream(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        options: RequestOptions,
        snapshots: Snapshots | None = None,
    ) -> RunStreamManager[RunStream]:
        request, bounds = _submission(
            thread_id, run_id, tool_outputs, options, self._bounds, stream=True
        )
        return RunStreamManager(
            lambda: send_stream(self._http(), request, bounds), _same, snapshots
        )


class RunsWithRawResponse:
    """``client.runs.with_raw_response``: each method answers a :class:`RawResponse`."""

    def __init__(self, http: Callable[[], httpx.Client], bounds: Bounds = DEFAULT_BOUNDS) -> None:
        self._http = http
        self._bounds = bounds

    def list(
        self,
        thread_id: str,
        *,
        limit: int = 100,
        order: Order = "desc",
        after: str | None = None,
        before: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[RunPage]:
        """The answer for the first page; ``parse()`` is that :class:`RunPage`."""
        query = ListQuery(thread_id, limit, order, after, before, None)
        response = send(self._http(), *_first_page(query, options, self._bounds))
        return RawResponse(response, lambda: RunPage.of(response))

    def submit_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> RawResponse[Run]:
        """The answer to the submission; ``parse()`` is the Run."""
        request, bounds = _submission(
            thread_id, run_id, tool_outputs, options, self._bounds, stream=False
        )
        response = send(self._http(), request, bounds)
        return RawResponse(response, lambda: _run(response))

    def stream_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> RunStreamManager[RawResponse[RunStream]]:
        """A context manager giving the stream's answer; ``parse()`` is the :class:`RunStream`."""
        request, bounds = _submission(
            thread_id, run_id, tool_outputs, options, self._bounds, stream=True
        )
        return RunStreamManager(lambda: send_stream(self._http(), request, bounds), raw_stream)


class AsyncRuns:
    """The async twin of :class:`Runs`: ``async_client.runs``."""

    def __init__(self, client: AsyncClient) -> None:
        self._http: Callable[[], httpx.AsyncClient] = client.api.get_async_httpx_client
        self._bounds = client._bounds

    @functools.cached_property
    def with_raw_response(self) -> AsyncRunsWithRawResponse:
        return AsyncRunsWithRawResponse(self._http, self._bounds)

    def list(
        self,
        thread_id: str,
        *,
        limit: int = 100,
        order: Order = "desc",
        after: str | None = None,
        before: str | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncRunPager:
        """As :meth:`Runs.list`; ``async for`` over the result or over its ``.pages()``."""
        query = ListQuery(thread_id, limit, order, after, before, max_items)
        checked = call_options(options)
        apply, bounds = checked.apply, self._bounds.override(checked.bounds)

        async def fetch(request: Request) -> RunPage:
            return RunPage.of(await asend(self._http(), apply(request), bounds))

        return AsyncRunPager(query, fetch)

    async def submit_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> Run:
        request, bounds = _submission(
            thread_id, run_id, tool_outputs, options, self._bounds, stream=False
        )
        return _run(await asend(self._http(), request, bounds))

    def stream_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> AsyncRunStreamManager[AsyncRunStream]:
        """As :meth:`Runs.stream_tool_outputs`, with ``async with``."""
        return self._stream(thread_id, run_id, tool_outputs, options)

    def run_tools(
        self,
        thread_id: str,
        run: Run | str,
        *,
        tools: Mapping[str, Callable[..., Any]],
        on_tool_error: OnToolError = "report",
        max_rounds: int = 10,
        parallel: bool = True,
        tool_timeout: float | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncToolLoop:
        """As :meth:`Runs.run_tools`, with ``async with`` and ``async for``; the tools may be
        ``async def`` functions (awaited; the others run in worker threads) and the calls of
        a round run as concurrent tasks."""
        loop = _Loop(
            thread_id,
            tools,
            on_tool_error=on_tool_error,
            max_rounds=max_rounds,
            parallel=parallel,
            tool_timeout=tool_timeout,
            allow_async=True,
        )
        _check_run(thread_id, run)
        call_options(options)
        return AsyncToolLoop(self, run, loop, options)

    def _stream(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        options: RequestOptions,
        snapshots: Snapshots | None = None,
    ) -> AsyncRunStreamManager[AsyncRunStream]:
        request, bounds = _submission(
            thread_id, run_id, tool_outputs, options, self._bounds, stream=True
        )
        return AsyncRunStreamManager(
            lambda: asend_stream(self._http(), request, bounds), _same, snapshots
        )


class AsyncRunsWithRawResponse:
    """``async_client.runs.with_raw_response``."""

    def __init__(
        self, http: Callable[[], httpx.AsyncClient], bounds: Bounds = DEFAULT_BOUNDS
    ) -> None:
        self._http = http
        self._bounds = bounds

    async def list(
        self,
        thread_id: str,
        *,
        limit: int = 100,
        order: Order = "desc",
        after: str | None = None,
        before: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[RunPage]:
        query = ListQuery(thread_id, limit, order, after, before, None)
        response = await asend(self._http(), *_first_page(query, options, self._bounds))
        return RawResponse(response, lambda: RunPage.of(response))

    async def submit_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> RawResponse[Run]:
        request, bounds = _submission(
            thread_id, run_id, tool_outputs, options, self._bounds, stream=False
        )
        response = await asend(self._http(), request, bounds)
        return RawResponse(response, lambda: _run(response))

    def stream_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> AsyncRunStreamManager[RawResponse[AsyncRunStream]]:
        request, bounds = _submission(
            thread_id, run_id, tool_outputs, options, self._bounds, stream=True
        )
        return AsyncRunStreamManager(
            lambda: asend_stream(self._http(), request, bounds), raw_stream
        )
