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
from portkey_runs_api.spec_facts import LIMIT_MAXIMUM, ORDER_DEFAULT
from portkey_runs_api.types import check_id

from ._bounds import Bounds
from ._drift import drift_log
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
from ._tools import DEFAULT_MAX_CONCURRENCY, AsyncToolLoop, OnToolError, ToolLoop, _Loop
from ._tracing import Tracing

if TYPE_CHECKING:
    from ._client import AsyncClient, Client
    from ._tracing import Context

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
    strict: bool,
) -> tuple[Request, bool, Bounds]:
    """The request of a submission, with the call's options; whether its answer is read
    strictly (the call's option, else the client's ``strict``) and the call's bounds; bad
    arguments raise here."""
    checked = call_options(options)
    request = checked.apply(submit_request(thread_id, run_id, tool_outputs, stream=stream))
    return request, checked.strict(strict), bounds.override(checked.bounds)


def _first_page(
    query: ListQuery, options: RequestOptions, strict: bool, bounds: Bounds
) -> tuple[Request, bool, Bounds]:
    checked = call_options(options)
    return (
        checked.apply(query.first_request()),
        checked.strict(strict),
        bounds.override(checked.bounds),
    )


def _run(response: httpx.Response, strict: bool) -> Run:
    return parse_json(Run, response, drift_log(response, strict))


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
        self._strict = client.strict_responses
        self._tracing = client.api.tracing
        self._bounds = client._bounds

    @functools.cached_property
    def with_raw_response(self) -> RunsWithRawResponse:
        """The same methods, answering a :class:`RawResponse` (status, headers, ``parse()``)."""
        return RunsWithRawResponse(self._http, self._strict, self._tracing, self._bounds)

    def list(
        self,
        thread_id: str,
        *,
        limit: int = LIMIT_MAXIMUM,
        order: Order = ORDER_DEFAULT,
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
        apply, strict = checked.apply, checked.strict(self._strict)
        bounds = self._bounds.override(checked.bounds)
        return RunPager(
            query,
            lambda request: RunPage.of(send(self._http(), apply(request), bounds), strict),
            self._tracing,
        )

    def submit_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> Run:
        """Hand tool outputs to a run in ``requires_action``; the Run the server answers."""
        request, strict, bounds = _submission(
            thread_id,
            run_id,
            tool_outputs,
            options,
            self._bounds,
            stream=False,
            strict=self._strict,
        )
        return _run(send(self._http(), request, bounds), strict)

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
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        **options: Unpack[RequestOptions],
    ) -> ToolLoop:
        """Call ``tools`` whenever the run asks, submit their outputs, stream its answer; a
        context manager and an iterator of the events of every round.

        ``run`` is a Run waiting in ``requires_action`` (as ``list`` gives it) or its id
        (found by listing the thread). Each round is checked first (a run id or tool call id
        the server sent that cannot be used: ``ResponseValidationError``, and no function is
        called), then calls every function call's function with its JSON arguments as
        keywords — in threads, ``max_concurrency`` at once, unless ``parallel=False``; each
        bounded by ``tool_timeout`` seconds from its start (a call that times out frees its
        slot; its thread runs on) — and submits all outputs in one streamed submission: a
        ``str`` as is, anything else as compact JSON. A function that raises, times out or is
        unknown, a call of another type than ``function``, or arguments that are not a JSON
        object, become that call's output ``{"error": "..."}`` (``on_tool_error="raise"``:
        ``ToolError``, before the round is submitted, and for a problem known from the call
        itself — unknown, another type, such arguments — before any function is called). A
        run that still asks after ``max_rounds`` rounds raises ``ToolLoopError``. A submission
        is never repeated: a failed one raises and ends the loop.
        """
        loop = _Loop(
            thread_id,
            tools,
            on_tool_error=on_tool_error,
            max_rounds=max_rounds,
            parallel=parallel,
            tool_timeout=tool_timeout,
            allow_async=False,
            max_concurrency=max_concurrency,
            trace=self._tracing.loop(thread_id),
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
        trace_parent: Context | None = None,
    ) -> RunStreamManager[RunStream]:
        request, strict, bounds = _submission(
            thread_id, run_id, tool_outputs, options, self._bounds, stream=True, strict=self._strict
        )
        return RunStreamManager(
            lambda: send_stream(self._http(), request, bounds),
            _same,
            snapshots,
            strict,
            lambda: self._tracing.stream(trace_parent),
        )


class RunsWithRawResponse:
    """``client.runs.with_raw_response``: each method answers a :class:`RawResponse`."""

    def __init__(
        self,
        http: Callable[[], httpx.Client],
        strict: bool = True,
        tracing: Tracing | None = None,
        bounds: Bounds = DEFAULT_BOUNDS,
    ) -> None:
        self._http = http
        self._strict = strict
        self._tracing = Tracing() if tracing is None else tracing
        self._bounds = bounds

    def list(
        self,
        thread_id: str,
        *,
        limit: int = LIMIT_MAXIMUM,
        order: Order = ORDER_DEFAULT,
        after: str | None = None,
        before: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[RunPage]:
        """The answer for the first page; ``parse()`` is that :class:`RunPage`."""
        query = ListQuery(thread_id, limit, order, after, before, None)
        request, strict, bounds = _first_page(query, options, self._strict, self._bounds)
        response = send(self._http(), request, bounds)
        return RawResponse(response, lambda: RunPage.of(response, strict))

    def submit_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> RawResponse[Run]:
        """The answer to the submission; ``parse()`` is the Run."""
        request, strict, bounds = _submission(
            thread_id,
            run_id,
            tool_outputs,
            options,
            self._bounds,
            stream=False,
            strict=self._strict,
        )
        response = send(self._http(), request, bounds)
        return RawResponse(response, lambda: _run(response, strict))

    def stream_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> RunStreamManager[RawResponse[RunStream]]:
        """A context manager giving the stream's answer; ``parse()`` is the :class:`RunStream`."""
        request, strict, bounds = _submission(
            thread_id, run_id, tool_outputs, options, self._bounds, stream=True, strict=self._strict
        )
        return RunStreamManager(
            lambda: send_stream(self._http(), request, bounds),
            raw_stream,
            None,
            strict,
            self._tracing.stream,
        )


class AsyncRuns:
    """The async twin of :class:`Runs`: ``async_client.runs``."""

    def __init__(self, client: AsyncClient) -> None:
        self._http: Callable[[], httpx.AsyncClient] = client.api.get_async_httpx_client
        self._strict = client.strict_responses
        self._tracing = client.api.tracing
        self._bounds = client._bounds

    @functools.cached_property
    def with_raw_response(self) -> AsyncRunsWithRawResponse:
        return AsyncRunsWithRawResponse(self._http, self._strict, self._tracing, self._bounds)

    def list(
        self,
        thread_id: str,
        *,
        limit: int = LIMIT_MAXIMUM,
        order: Order = ORDER_DEFAULT,
        after: str | None = None,
        before: str | None = None,
        max_items: int | None = None,
        **options: Unpack[RequestOptions],
    ) -> AsyncRunPager:
        """As :meth:`Runs.list`; ``async for`` over the result or over its ``.pages()``."""
        query = ListQuery(thread_id, limit, order, after, before, max_items)
        checked = call_options(options)
        apply, strict = checked.apply, checked.strict(self._strict)
        bounds = self._bounds.override(checked.bounds)

        async def fetch(request: Request) -> RunPage:
            return RunPage.of(await asend(self._http(), apply(request), bounds), strict)

        return AsyncRunPager(query, fetch, self._tracing)

    async def submit_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> Run:
        request, strict, bounds = _submission(
            thread_id,
            run_id,
            tool_outputs,
            options,
            self._bounds,
            stream=False,
            strict=self._strict,
        )
        return _run(await asend(self._http(), request, bounds), strict)

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
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        **options: Unpack[RequestOptions],
    ) -> AsyncToolLoop:
        """As :meth:`Runs.run_tools`, with ``async with`` and ``async for``; the tools may be
        ``async def`` functions (awaited; the others run in worker threads) and the calls of
        a round run as concurrent tasks, ``max_concurrency`` at once."""
        loop = _Loop(
            thread_id,
            tools,
            on_tool_error=on_tool_error,
            max_rounds=max_rounds,
            parallel=parallel,
            tool_timeout=tool_timeout,
            allow_async=True,
            max_concurrency=max_concurrency,
            trace=self._tracing.loop(thread_id),
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
        trace_parent: Context | None = None,
    ) -> AsyncRunStreamManager[AsyncRunStream]:
        request, strict, bounds = _submission(
            thread_id, run_id, tool_outputs, options, self._bounds, stream=True, strict=self._strict
        )
        return AsyncRunStreamManager(
            lambda: asend_stream(self._http(), request, bounds),
            _same,
            snapshots,
            strict,
            lambda: self._tracing.stream(trace_parent),
        )


class AsyncRunsWithRawResponse:
    """``async_client.runs.with_raw_response``."""

    def __init__(
        self,
        http: Callable[[], httpx.AsyncClient],
        strict: bool = True,
        tracing: Tracing | None = None,
        bounds: Bounds = DEFAULT_BOUNDS,
    ) -> None:
        self._http = http
        self._strict = strict
        self._tracing = Tracing() if tracing is None else tracing
        self._bounds = bounds

    async def list(
        self,
        thread_id: str,
        *,
        limit: int = LIMIT_MAXIMUM,
        order: Order = ORDER_DEFAULT,
        after: str | None = None,
        before: str | None = None,
        **options: Unpack[RequestOptions],
    ) -> RawResponse[RunPage]:
        query = ListQuery(thread_id, limit, order, after, before, None)
        request, strict, bounds = _first_page(query, options, self._strict, self._bounds)
        response = await asend(self._http(), request, bounds)
        return RawResponse(response, lambda: RunPage.of(response, strict))

    async def submit_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> RawResponse[Run]:
        request, strict, bounds = _submission(
            thread_id,
            run_id,
            tool_outputs,
            options,
            self._bounds,
            stream=False,
            strict=self._strict,
        )
        response = await asend(self._http(), request, bounds)
        return RawResponse(response, lambda: _run(response, strict))

    def stream_tool_outputs(
        self,
        thread_id: str,
        run_id: str,
        tool_outputs: Iterable[ToolOutputLike],
        **options: Unpack[RequestOptions],
    ) -> AsyncRunStreamManager[RawResponse[AsyncRunStream]]:
        request, strict, bounds = _submission(
            thread_id, run_id, tool_outputs, options, self._bounds, stream=True, strict=self._strict
        )
        return AsyncRunStreamManager(
            lambda: asend_stream(self._http(), request, bounds),
            raw_stream,
            None,
            strict,
            self._tracing.stream,
        )
