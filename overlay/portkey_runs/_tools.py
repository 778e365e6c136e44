"""The tool loop: ``client.runs.run_tools(...)`` calls your functions whenever a run asks.

Each round: the run waits in ``requires_action`` with tool calls; each call's JSON arguments
are parsed and its function called with them as keyword arguments; every output goes back in
one streamed submission, whose events the loop hands over as they arrive; when that stream
ends with the run asking again, the next round starts, until the run reaches a terminal
status. What both loops share — planning a round, turning results into outputs, deciding
what comes next — is :class:`_Loop`; the sync loop calls functions in threads, the async
loop in tasks.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from attrs import frozen

from portkey_runs_api.models import Message, Run, RunStatus, RunStep

from ._events import RunStreamEvent
from ._snapshots import Snapshots
from ._streaming import AsyncRunStream, RunStream, _Views
from .errors import ToolError, ToolLoopError

if TYPE_CHECKING:
    from ._options import RequestOptions
    from ._resources import AsyncRuns, Runs
    from ._tracing import LoopTrace

__all__ = ["AsyncToolLoop", "OnToolError", "ToolCall", "ToolLoop"]

OnToolError = Literal["report", "raise"]

TERMINAL = frozenset(
    {
        RunStatus.COMPLETED,
        RunStatus.FAILED,
        RunStatus.CANCELLED,
        RunStatus.EXPIRED,
        RunStatus.INCOMPLETE,
    }
)


@frozen
class ToolCall:
    """One call of one of your functions, as the loop made it.

    ``arguments`` is the JSON text the model wrote; ``output`` what was submitted for the
    call; ``error`` says what went wrong (the function raised, timed out, is unknown, or its
    arguments were not a JSON object) — then ``output`` is ``{"error": "..."}`` — else
    ``None``. ``round`` counts from 1.
    """

    id: str
    name: str
    arguments: str
    output: str
    error: str | None
    round: int


@frozen
class _Planned:
    """A call to make: the function and its keyword arguments, or why it cannot be made."""

    id: str
    name: str
    arguments: str
    function: Callable[..., Any] | None
    kwargs: dict[str, Any]
    problem: str | None


#: What calling a function gave: its result, or the exception it raised (or a timeout's).
Outcome = tuple[Any, BaseException | None]


_CLOSED = "the tool loop was closed before its end; read it inside its `with` block"


class _Timeout(Exception):
    """A call that did not return in time (reported as ``TimeoutError``)."""


def _check_tools(tools: Mapping[str, Callable[..., Any]], *, allow_async: bool) -> None:
    if not isinstance(tools, Mapping) or not tools:
        raise TypeError("tools must be a non-empty mapping of function names to functions")
    for name, function in tools.items():
        if not isinstance(name, str) or not callable(function):
            raise TypeError(f"tools[{name!r}] must be a function, not {type(function).__name__}")
        if not allow_async and inspect.iscoroutinefunction(function):
            raise TypeError(
                f"tools[{name!r}] is an async function: use AsyncClient for async tools"
            )


class _Loop:
    """The state of one tool loop, and every decision it makes; no I/O."""

    def __init__(
        self,
        thread_id: str,
        tools: Mapping[str, Callable[..., Any]],
        *,
        on_tool_error: OnToolError,
        max_rounds: int,
        parallel: bool,
        tool_timeout: float | None,
        allow_async: bool,
        trace: LoopTrace | None = None,
    ) -> None:
        _check_tools(tools, allow_async=allow_async)
        if on_tool_error not in ("report", "raise"):
            raise ValueError(f"on_tool_error must be 'report' or 'raise', got {on_tool_error!r}")
        if isinstance(max_rounds, bool) or not isinstance(max_rounds, int) or max_rounds < 1:
            raise ValueError(f"max_rounds must be an integer >= 1, got {max_rounds!r}")
        if tool_timeout is not None and (
            isinstance(tool_timeout, bool)
            or not isinstance(tool_timeout, int | float)
            or tool_timeout <= 0
        ):
            raise ValueError(
                f"tool_timeout must be None or a number of seconds > 0, got {tool_timeout!r}"
            )
        self.thread_id = thread_id
        self.tools = dict(tools)
        self.on_tool_error = on_tool_error
        self.max_rounds = max_rounds
        self.parallel = parallel
        self.tool_timeout = tool_timeout
        self.round = 0
        #: Rounds whose submission was sent, or tried (``round`` counts those planned).
        self.submitted = 0
        self.calls: list[ToolCall] = []
        self.snapshots = Snapshots()
        self.final_run: Run | None = None
        if trace is None:
            from ._tracing import LoopTrace

            trace = LoopTrace(None, thread_id, False)
        #: The loop's spans (``portkey_runs._tracing``).
        self.trace = trace

    def found(self, run: Run | None, run_id: str) -> Run:
        if run is None:
            raise ToolLoopError(f"thread {self.thread_id} has no run {run_id!r}")
        return run

    def plan(self, run: Run) -> list[_Planned] | None:
        """The calls of the next round, or ``None`` when the run has ended."""
        self.final_run = run
        self.trace.run(run, self.submitted, run.status in TERMINAL)
        if run.status in TERMINAL:
            return None
        if run.status != RunStatus.REQUIRES_ACTION or run.required_action is None:
            raise ToolLoopError(
                f"run {run.id} is {run.status.value}, not waiting for tool outputs "
                f"(after {self.round} round(s))"
            )
        if self.round >= self.max_rounds:
            raise ToolLoopError(
                f"run {run.id} still asks for tool outputs after max_rounds={self.max_rounds} "
                "round(s); the loop stops there"
            )
        self.round += 1
        planned: list[_Planned] = []
        seen: set[str] = set()
        for call in run.required_action.submit_tool_outputs.tool_calls:
            if call.id in seen:  # exactly one output per tool call id
                continue
            seen.add(call.id)
            planned.append(self._planned(call.id, call.function.name, call.function.arguments))
        return self.trace.round(self.round, planned)

    def _planned(self, call_id: str, name: str, arguments: str) -> _Planned:
        function = self.tools.get(name)
        if function is None:
            known = ", ".join(sorted(self.tools))
            return _Planned(
                call_id,
                name,
                arguments,
                None,
                {},
                f"unknown function {name!r} (the tools are: {known})",
            )
        try:
            parsed = json.loads(arguments) if arguments.strip() else {}
        except (ValueError, RecursionError) as exc:
            return _Planned(
                call_id, name, arguments, None, {}, f"the arguments are not valid JSON ({exc})"
            )
        if not isinstance(parsed, dict):
            kind = type(parsed).__name__
            return _Planned(
                call_id,
                name,
                arguments,
                None,
                {},
                f"the arguments must be a JSON object, not {kind}",
            )
        return _Planned(call_id, name, arguments, function, parsed, None)

    def timeout_error(self, planned: _Planned) -> _Timeout:
        return _Timeout(f"{planned.name} did not return within {self.tool_timeout:g} s")

    def record(self, planned: list[_Planned], outcomes: list[Outcome]) -> list[dict[str, str]]:
        """The round's calls recorded, and the outputs to submit; ``ToolError`` (before
        anything is submitted) for a failed call when ``on_tool_error="raise"``."""
        calls = []
        for plan, (result, exc) in zip(planned, outcomes, strict=True):
            error = plan.problem
            output = ""
            if error is None and exc is not None:
                kind = "TimeoutError" if isinstance(exc, _Timeout) else type(exc).__name__
                error = f"{kind}: {exc}" if str(exc) else kind
            if error is None and inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()  # never awaited: say so here, not in a RuntimeWarning
                error = f"{plan.name} returned an awaitable: an async tool needs AsyncClient"
            if error is None:
                try:
                    output = (
                        result
                        if isinstance(result, str)
                        else json.dumps(result, separators=(",", ":"), allow_nan=False)
                    )
                except (TypeError, ValueError) as json_error:
                    error = f"the result of {plan.name} is not JSON: {json_error}"
                    exc = json_error
            if error is not None:
                call = ToolCall(
                    plan.id,
                    plan.name,
                    plan.arguments,
                    json.dumps({"error": error}),
                    error,
                    self.round,
                )
                self.trace.called(call, exc)
                if self.on_tool_error == "raise":
                    raise ToolError(f"tool call {plan.id} ({plan.name}): {error}", call) from exc
            else:
                call = ToolCall(plan.id, plan.name, plan.arguments, output, None, self.round)
                self.trace.called(call, None)
            calls.append(call)
        self.calls += calls
        return [{"tool_call_id": call.id, "output": call.output} for call in calls]


class _LoopViews(_Views):
    """What both loops tell: the final run, the calls, and the snapshots of every round."""

    _loop: _Loop

    _current: RunStream | AsyncRunStream | None

    @property
    def final_run(self) -> Run | None:
        """The run as the last event (or the listing) gave it."""
        current = self._current
        if current is not None and current.final_run is not None:
            return current.final_run
        return self._loop.final_run

    @property
    def calls(self) -> list[ToolCall]:
        """Every call made so far, in order, round after round."""
        return list(self._loop.calls)

    @property
    def rounds(self) -> int:
        """How many rounds were submitted."""
        return self._loop.submitted

    _closed: bool
    _done: bool
    _failure: BaseException | None

    def _failed(self, exc: BaseException) -> None:
        """Record why the loop stopped: reading on raises it again (an interruption or a
        cancellation, as a ``ToolLoopError``), rather than end quietly with a stale run."""
        self._loop.trace.end(exc, self._loop.final_run, self._loop.submitted)
        if isinstance(exc, Exception):
            self._failure = exc
        else:
            self._failure = ToolLoopError(f"the tool loop was interrupted ({type(exc).__name__})")

    def _check(self) -> None:
        """Before reading on: a failure raises again; so does a loop closed before its end."""
        if self._failure is not None:
            raise self._failure
        if self._closed and not self._done:
            raise ToolLoopError(_CLOSED)

    def _final(self) -> Run:
        run = self._loop.final_run
        if run is None:
            raise ToolLoopError("the loop ended before it had a run")
        return run


def _call_sync(planned: list[_Planned], loop: _Loop) -> list[Outcome]:
    """Call the round's functions: at once, each in a thread of its own (``parallel``), else
    one by one. With ``tool_timeout`` each call runs in a daemon thread that is waited for so
    long: one that does not return in time is reported and left to finish on its own, without
    holding up the next call or the interpreter's exit."""
    outcomes: list[Outcome] = [(None, None)] * len(planned)
    runnable = [i for i, plan in enumerate(planned) if plan.function is not None]
    if loop.tool_timeout is None and (not loop.parallel or len(runnable) <= 1):
        for i in runnable:
            outcomes[i] = _call_one(planned[i])
        return outcomes
    if loop.parallel:
        started = [(i, _Call(planned[i])) for i in runnable]
        deadline = None if loop.tool_timeout is None else time.monotonic() + loop.tool_timeout
        for i, call in started:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            outcomes[i] = call.outcome(left, loop)
    else:
        for i in runnable:
            outcomes[i] = _Call(planned[i]).outcome(loop.tool_timeout, loop)
    return outcomes


def _call_one(plan: _Planned) -> Outcome:
    assert plan.function is not None
    try:
        return plan.function(**plan.kwargs), None
    except Exception as exc:  # a tool's failure is reported, not raised
        return None, exc


class _Call:
    """One function call in a daemon thread of its own, started at once."""

    def __init__(self, plan: _Planned) -> None:
        self.plan = plan
        self.result: Outcome | None = None
        self.thread = threading.Thread(
            target=self._run, name=f"portkey-runs-tool-{plan.name}", daemon=True
        )
        self.thread.start()

    def _run(self) -> None:
        self.result = _call_one(self.plan)

    def outcome(self, timeout: float | None, loop: _Loop) -> Outcome:
        self.thread.join(timeout)
        if self.result is None:  # still running
            return None, loop.timeout_error(self.plan)
        return self.result


class ToolLoop(_LoopViews):
    """What ``client.runs.run_tools(...)`` returns: iterate it for the events of every round,
    in order; ``final_run``, ``calls``, ``final_text()``, ``final_messages()``,
    ``final_run_steps()`` and ``until_done()`` cover all rounds (reading the rest first).

    Use it as a context manager: leaving the block closes the stream of the current round,
    and no further round starts.
    """

    def __init__(self, runs: Runs, run: Run | str, loop: _Loop, options: RequestOptions) -> None:
        self._runs = runs
        self._loop = loop
        self._snapshots = loop.snapshots
        self._options = options
        self._closed = False
        self._done = False
        self._failure: BaseException | None = None
        self._current = None
        self._events = self._rounds(run)

    def _rounds(self, start: Run | str) -> Generator[RunStreamEvent, None, None]:
        loop = self._loop
        if isinstance(start, Run):
            run = start
        else:
            with loop.trace.finding(start):  # the listing inside the loop's span
                run = loop.found(self._find(start), start)
        while (planned := loop.plan(run)) is not None:
            outputs = loop.record(planned, _call_sync(planned, loop))
            manager = self._runs._stream(
                loop.thread_id, run.id, outputs, self._options, loop.snapshots, loop.trace.parent()
            )
            loop.submitted += 1  # sent now, once, whatever its answer
            with manager as stream:
                self._current = stream
                yield from stream
                run = stream.until_done()
            self._current = None
            loop.final_run = run
        loop.final_run = run
        self._done = True

    def _find(self, run_id: str) -> Run | None:
        return next(
            (r for r in self._runs.list(self._loop.thread_id, **self._options) if r.id == run_id),
            None,
        )

    def __iter__(self) -> ToolLoop:
        return self

    def __next__(self) -> RunStreamEvent:
        self._check()
        try:
            return next(self._events)
        except StopIteration:
            raise
        except BaseException as exc:  # reading on raises it again, rather than end quietly
            self._failed(exc)
            raise

    @property
    def text_deltas(self) -> Iterator[str]:
        """The text pieces of the messages of every round, as they arrive."""
        for _ in self:
            if self._current is not None:
                yield from self._current._last_texts

    def _drain(self) -> None:
        for _ in self:
            pass

    def until_done(self) -> Run:
        """Run the loop to its end; the final Run."""
        self._drain()
        return self._final()

    def final_messages(self) -> list[Message]:
        self._drain()
        return self._messages()

    def final_run_steps(self) -> list[RunStep]:
        self._drain()
        return self._steps()

    def final_text(self) -> str:
        self._drain()
        return self._text()

    def close(self) -> None:
        self._closed = True
        self._events.close()
        self._loop.trace.end(None, self._loop.final_run, self._loop.submitted)

    def __enter__(self) -> ToolLoop:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


async def _call_async(planned: list[_Planned], loop: _Loop) -> list[Outcome]:
    """Call the round's functions: at once in tasks (``parallel``), else one by one; ``async
    def`` functions are awaited, others run in a worker thread."""
    import anyio
    import anyio.to_thread

    outcomes: list[Outcome] = [(None, None)] * len(planned)

    async def call(index: int) -> None:
        plan = planned[index]
        assert plan.function is not None
        function, kwargs = plan.function, plan.kwargs
        with anyio.move_on_after(loop.tool_timeout) as scope:
            try:
                if inspect.iscoroutinefunction(function):
                    result = await function(**kwargs)
                else:
                    result = await anyio.to_thread.run_sync(
                        lambda: function(**kwargs), abandon_on_cancel=True
                    )
                if inspect.isawaitable(result):
                    result = await result
            except Exception as exc:  # a tool's failure is reported, not raised
                outcomes[index] = (None, exc)
                return
            outcomes[index] = (result, None)
        if scope.cancelled_caught:
            outcomes[index] = (None, loop.timeout_error(plan))

    runnable = [i for i, plan in enumerate(planned) if plan.function is not None]
    if loop.parallel and len(runnable) > 1:
        async with anyio.create_task_group() as group:
            for index in runnable:
                group.start_soon(call, index)
    else:
        for index in runnable:
            await call(index)
    return outcomes


class AsyncToolLoop(_LoopViews):
    """The async twin of :class:`ToolLoop`: ``async with`` and ``async for``; the tools may be
    ``async def`` functions; ``text_deltas`` is an async iterator and the ``final_*()``
    methods are coroutines."""

    def __init__(
        self, runs: AsyncRuns, run: Run | str, loop: _Loop, options: RequestOptions
    ) -> None:
        self._runs = runs
        self._loop = loop
        self._snapshots = loop.snapshots
        self._options = options
        self._closed = False
        self._done = False
        self._failure: BaseException | None = None
        self._current = None
        self._events = self._rounds(run)

    async def _rounds(self, start: Run | str) -> AsyncGenerator[RunStreamEvent, None]:
        loop = self._loop
        if isinstance(start, Run):
            run = start
        else:
            with loop.trace.finding(start):  # the listing inside the loop's span
                run = loop.found(await self._find(start), start)
        while (planned := loop.plan(run)) is not None:
            outputs = loop.record(planned, await _call_async(planned, loop))
            manager = self._runs._stream(
                loop.thread_id, run.id, outputs, self._options, loop.snapshots, loop.trace.parent()
            )
            loop.submitted += 1
            async with manager as stream:
                self._current = stream
                async for event in stream:
                    yield event
                run = await stream.until_done()
            self._current = None
            loop.final_run = run
        loop.final_run = run
        self._done = True

    async def _find(self, run_id: str) -> Run | None:
        # Closed when the run is found: the walk (its span, its page) ends then, not when the
        # event loop finalizes an abandoned generator.
        walk = self._runs.list(self._loop.thread_id, **self._options).__aiter__()
        async with contextlib.aclosing(walk):
            async for run in walk:
                if run.id == run_id:
                    return run
        return None

    def __aiter__(self) -> AsyncToolLoop:
        return self

    async def __anext__(self) -> RunStreamEvent:
        self._check()
        try:
            return await anext(self._events)
        except StopAsyncIteration:
            raise
        except BaseException as exc:
            self._failed(exc)
            raise

    @property
    async def text_deltas(self) -> AsyncIterator[str]:
        async for _ in self:
            for text in self._current._last_texts if self._current is not None else ():
                yield text

    async def _drain(self) -> None:
        async for _ in self:
            pass

    async def until_done(self) -> Run:
        await self._drain()
        return self._final()

    async def final_messages(self) -> list[Message]:
        await self._drain()
        return self._messages()

    async def final_run_steps(self) -> list[RunStep]:
        await self._drain()
        return self._steps()

    async def final_text(self) -> str:
        await self._drain()
        return self._text()

    async def aclose(self) -> None:
        self._closed = True
        await self._events.aclose()
        self._loop.trace.end(None, self._loop.final_run, self._loop.submitted)

    async def __aenter__(self) -> AsyncToolLoop:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
