"""The tool loop: ``client.runs.run_tools(...)`` calls your functions whenever a run asks.

Each round: the run waits in ``requires_action`` with tool calls; each call's JSON arguments
are parsed and its function called with them as keyword arguments; every output goes back in
one streamed submission, whose events the loop hands over as they arrive; when that stream
ends with the run asking again, the next round starts, until the run reaches a terminal
status. What both loops share — planning a round, turning results into outputs, deciding
what comes next — is :class:`_Loop`; the sync loop calls functions in threads, the async
loop in tasks, both at most ``max_concurrency`` at once.

A round is checked before any function is called: the run's id (it goes into the submission's
path) and every tool call's id must be usable, else ``ResponseValidationError`` naming the
field, and no function has run; a call of another type than ``function`` is reported, never
run. With ``on_tool_error="raise"``, a call that cannot run (an unknown function, another type,
arguments that are not a JSON object) raises ``ToolError`` then too, before any function runs.
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

from portkey_runs_api.models import Message, Run, RunStatus, RunStep, RunToolCall, RunToolCallType
from portkey_runs_api.spec_facts import TERMINAL_RUN_STATUSES
from portkey_runs_api.types import check_id

from ._drift import DriftLog
from ._events import RunStreamEvent
from ._generated import check_tool_call_id
from ._headers import secret_values
from ._options import call_options
from ._snapshots import Snapshots
from ._streaming import AsyncRunStream, RunStream, _Views
from .errors import PortkeyError, ResponseValidationError, ToolError, ToolLoopError, mask_error

if TYPE_CHECKING:
    from ._options import RequestOptions
    from ._resources import AsyncRuns, Runs
    from ._tracing import LoopTrace

__all__ = ["DEFAULT_MAX_CONCURRENCY", "AsyncToolLoop", "OnToolError", "ToolCall", "ToolLoop"]

OnToolError = Literal["report", "raise"]

#: How many tool calls of a round run at once, by default: anyio's default thread limit, so
#: that the sync and async loops are bounded alike.
DEFAULT_MAX_CONCURRENCY = 40

#: The statuses that end a run (the spec's ``x-terminal`` on ``RunStatus``).
TERMINAL = frozenset(RunStatus(status) for status in TERMINAL_RUN_STATUSES)


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


def _check_ids(run: Run, calls: list[RunToolCall]) -> None:
    """``ResponseValidationError`` naming the field, for a run id that cannot go into the
    submission's path or a tool call id that cannot be submitted."""
    where = "Run.required_action.submit_tool_outputs.tool_calls"
    checks = [("Run.id", run.id, check_id)]
    checks += [(f"{where}[{i}].id", call.id, check_tool_call_id) for i, call in enumerate(calls)]
    for field, value, check in checks:
        try:
            check(field, value)
        except (TypeError, ValueError) as exc:
            raise ResponseValidationError(
                f"{exc}; no tool of this round was called", value, field
            ) from None


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
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
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
        if (
            isinstance(max_concurrency, bool)
            or not isinstance(max_concurrency, int)
            or max_concurrency < 1
        ):
            raise ValueError(f"max_concurrency must be an integer >= 1, got {max_concurrency!r}")
        self.thread_id = thread_id
        self.tools = dict(tools)
        self.on_tool_error = on_tool_error
        self.max_rounds = max_rounds
        self.parallel = parallel
        self.tool_timeout = tool_timeout
        self.max_concurrency = max_concurrency
        self.round = 0
        #: Rounds whose submission was sent, or tried (``round`` counts those planned).
        self.submitted = 0
        self.calls: list[ToolCall] = []
        self.snapshots = Snapshots()
        self.final_run: Run | None = None
        #: The secrets the request that brought the run carried (the listing's, a round's
        #: stream's): a server may echo them in a run id or a function name an error quotes.
        self.secrets: tuple[str, ...] = ()
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
        """The calls of the next round, or ``None`` when the run has ended after a round;
        ``ToolLoopError`` for a run that is not waiting (at the start: in a terminal status
        too)."""
        self.final_run = run
        ended = run.status in TERMINAL and self.round > 0
        self.trace.run(run, self.submitted, ended)
        if ended:
            return None
        if run.status != RunStatus.REQUIRES_ACTION or run.required_action is None:
            # A run that is not waiting at the start is a mistake (a wrong id, or a run
            # finished already), not a loop of no rounds.
            raise ToolLoopError(
                f"run {run.id} is {run.status.value}, not waiting for tool outputs "
                f"(after {self.round} round(s))"
            )
        if self.round >= self.max_rounds:
            raise ToolLoopError(
                f"run {run.id} still asks for tool outputs after max_rounds={self.max_rounds} "
                "round(s); the loop stops there"
            )
        calls = run.required_action.submit_tool_outputs.tool_calls
        _check_ids(run, calls)  # before anything acts on them
        self.round += 1
        planned: list[_Planned] = []
        seen: set[str] = set()
        for call in calls:
            if call.id in seen:  # exactly one output per tool call id
                continue
            seen.add(call.id)
            if call.type_ != RunToolCallType.FUNCTION:  # never mapped onto a function
                problem = f"a tool call of type {call.type_.value!r} is not run (only functions)"
                function = call.function
                planned.append(
                    _Planned(call.id, function.name, function.arguments, None, {}, problem)
                )
                continue
            planned.append(self._planned(call.id, call.function.name, call.function.arguments))
        if self.on_tool_error == "raise":  # a problem known now raises before anything runs
            for plan in planned:
                if plan.problem is not None:
                    self.record([plan], [(None, None)])  # raises ToolError, records nothing
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
        cancellation, as a ``ToolLoopError``), rather than end quietly with a stale run; the
        secrets a server echoed into it (a run id, a function name) masked."""
        if isinstance(exc, PortkeyError):
            mask_error(exc, self._loop.secrets)
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


class _LoopLog(DriftLog):
    """The log of a tool loop's snapshots (they span its rounds): the secrets masked are those
    the loop's requests carried."""

    def __init__(self, loop: _Loop) -> None:
        super().__init__(None)
        self._loop = loop

    @property
    def _secrets(self) -> tuple[str, ...]:
        return self._loop.secrets


def _secrets(stream: RunStream | AsyncRunStream) -> tuple[str, ...]:
    """The secrets a round's stream's request carried."""
    return secret_values(stream.response.request.headers.multi_items())


def _call_sync(planned: list[_Planned], loop: _Loop) -> list[Outcome]:
    """Call the round's functions: in threads, ``max_concurrency`` at once (``parallel``),
    else one by one. Without ``tool_timeout``, one by one runs in the caller's thread."""
    outcomes: list[Outcome] = [(None, None)] * len(planned)
    runnable = [i for i, plan in enumerate(planned) if plan.function is not None]
    if loop.tool_timeout is None and (not loop.parallel or len(runnable) <= 1):
        for i in runnable:
            outcomes[i] = _call_one(planned[i])
        return outcomes
    bound = loop.max_concurrency if loop.parallel else 1
    results = _call_bounded([planned[i] for i in runnable], bound, loop)
    for i, outcome in zip(runnable, results, strict=True):
        outcomes[i] = outcome
    return outcomes


def _call_one(plan: _Planned) -> Outcome:
    assert plan.function is not None
    try:
        return plan.function(**plan.kwargs), None
    except Exception as exc:  # a tool's failure is reported, not raised
        return None, exc


def _call_bounded(plans: list[_Planned], bound: int, loop: _Loop) -> list[Outcome]:
    """Each call in a daemon thread of its own, at most ``bound`` of them running at once,
    started in order as slots free up; the calling thread waits and keeps the time.

    A call that has not returned ``tool_timeout`` seconds after it started is reported as
    timed out and gives its slot back at once, as the async loop's do; Python cannot stop a
    thread, so its thread is left to finish on its own (never holding up the interpreter's
    exit) and is then alive beyond the bound. Each finished thread is joined before another
    starts, so that no more than ``bound`` threads run tools that have not timed out.
    """
    outcomes: list[Outcome] = [(None, None)] * len(plans)
    finished: list[int] = []
    ready = threading.Condition()
    running: dict[int, tuple[_Call, float | None]] = {}
    started = 0
    while started < len(plans) or running:
        while started < len(plans) and len(running) < bound:
            deadline = None if loop.tool_timeout is None else time.monotonic() + loop.tool_timeout
            running[started] = (_Call(plans[started], started, finished, ready), deadline)
            started += 1
        with ready:
            while not finished:
                deadlines = [deadline for _, deadline in running.values() if deadline is not None]
                wait = None if not deadlines else min(deadlines) - time.monotonic()
                if wait is not None and wait <= 0:
                    break
                ready.wait(wait)
            done, finished[:] = finished[:], []
        for index in done:
            if index in running:  # else it timed out before
                call, _ = running.pop(index)
                call.thread.join()  # it has returned: let it end before the next starts
                if call.raised is not None:  # SystemExit, KeyboardInterrupt...: as the async loop
                    raise call.raised
                assert call.result is not None
                outcomes[index] = call.result
        now = time.monotonic()
        for index, (call, deadline) in list(running.items()):
            if deadline is not None and now >= deadline:
                del running[index]  # its slot is free; the thread runs on, unwaited
                outcomes[index] = (None, loop.timeout_error(call.plan))
    return outcomes


class _Call:
    """One function call in a daemon thread of its own, started at once; when it returns or
    raises (a ``BaseException`` is kept in ``raised``, to be raised in the caller), its index is
    put in ``finished`` and ``ready`` notified."""

    def __init__(
        self, plan: _Planned, index: int, finished: list[int], ready: threading.Condition
    ) -> None:
        self.plan = plan
        self.result: Outcome | None = None
        self.raised: BaseException | None = None
        self._index, self._finished, self._ready = index, finished, ready
        self.thread = threading.Thread(
            target=self._run, name=f"portkey-runs-tool-{plan.name}", daemon=True
        )
        self.thread.start()

    def _run(self) -> None:
        try:
            self.result = _call_one(self.plan)
        except BaseException as exc:  # not a tool's failure (those are Exceptions): raised again
            self.raised = exc
        finally:  # whatever happened, the caller waiting on ``ready`` hears of it
            with self._ready:
                self._finished.append(self._index)
                self._ready.notify()


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
        self._drift = None if call_options(options).strict(runs._strict) else _LoopLog(loop)
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
                loop.secrets = _secrets(stream)
                yield from stream
                run = stream.until_done()
            self._current = None
            loop.final_run = run
        loop.final_run = run
        self._done = True

    def _find(self, run_id: str) -> Run | None:
        pages = self._runs.list(self._loop.thread_id, **self._options).pages()
        with contextlib.closing(pages):
            for page in pages:
                self._loop.secrets = page._secrets
                found = next((r for r in page if r.id == run_id), None)
                if found is not None:
                    return found
        return None

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
    """Call the round's functions: in tasks, ``max_concurrency`` at once (``parallel``),
    else one by one; ``async def`` functions are awaited, others run in worker threads (of a
    limiter of that size, not anyio's shared default). ``tool_timeout`` counts from a call's
    start; a call that times out gives its slot back at once (its thread, if any, runs on)."""
    import anyio
    import anyio.to_thread

    outcomes: list[Outcome] = [(None, None)] * len(planned)
    slots = anyio.CapacityLimiter(loop.max_concurrency)
    threads = anyio.CapacityLimiter(loop.max_concurrency)

    async def call(index: int) -> None:
        plan = planned[index]
        assert plan.function is not None
        function, kwargs = plan.function, plan.kwargs
        async with slots:
            with anyio.move_on_after(loop.tool_timeout) as scope:
                try:
                    if inspect.iscoroutinefunction(function):
                        result = await function(**kwargs)
                    else:
                        result = await anyio.to_thread.run_sync(
                            lambda: function(**kwargs), abandon_on_cancel=True, limiter=threads
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
        self._drift = None if call_options(options).strict(runs._strict) else _LoopLog(loop)
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
                loop.secrets = _secrets(stream)
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
        walk = self._runs.list(self._loop.thread_id, **self._options).pages()
        async with contextlib.aclosing(walk):
            async for page in walk:
                self._loop.secrets = page._secrets
                found = next((r for r in page if r.id == run_id), None)
                if found is not None:
                    return found
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
