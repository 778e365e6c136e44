"""The tool loop checks, then runs, on a bounded pool (issue 16, point 6): ids the server sent
are checked before any function is called, only function calls run, and however many calls a
round has, no more than ``max_concurrency`` run at once (threads counted from inside them)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from portkey_runs import AsyncClient, Client, ResponseValidationError, ToolError
from portkey_runs._tools import DEFAULT_MAX_CONCURRENCY
from portkey_runs.testing import ReferenceState, RunningServer, serve, tools
from portkey_runs_api.models import Run
from tests._loopback import LoopbackServer, Reply

THREAD = "thread_1"


def tool_calls(count: int, name: str = "get_weather") -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps({"n": i})},
        }
        for i in range(count)
    ]


def waiting_run(calls: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    """A run of ``THREAD`` waiting for the outputs of ``calls``, as the reference server
    makes one."""
    state = ReferenceState(seed=11)
    thread = state.create_thread(statuses=["requires_action"])
    run: dict[str, Any] = state.runs(thread)[0].model_dump(mode="json", exclude_unset=True)
    run["thread_id"] = THREAD
    run["required_action"]["submit_tool_outputs"]["tool_calls"] = calls
    return {**run, **changes}


def completed(run: dict[str, Any]) -> dict[str, Any]:
    return {**run, "status": "completed", "required_action": None}


def stream_of(*runs: dict[str, Any]) -> Reply:
    """A submission's answer: each run as its status event, then ``done``."""
    body = b"".join(
        f"event: thread.run.{run['status']}\ndata: {json.dumps(run)}\n\n".encode() for run in runs
    )
    return Reply(
        200, body + b"event: done\ndata: [DONE]\n\n", {"content-type": "text/event-stream"}
    )


class Counter:
    """Calls, calls at once, and threads alive, as seen from inside the tools."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = 0
        self.running = 0
        self.most_running = 0
        self.most_threads = 0

    def enter(self) -> None:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most_running = max(self.most_running, self.running)
            self.most_threads = max(self.most_threads, threading.active_count())

    def leave(self) -> None:
        with self.lock:
            self.running -= 1

    def tool(self, wait: Callable[[], object] = lambda: None) -> Callable[..., str]:
        def get_weather(**_: Any) -> str:
            self.enter()
            try:
                wait()
            finally:
                self.leave()
            return "sunny"

        return get_weather


@pytest.fixture
def client(loopback: LoopbackServer) -> Iterator[Client]:
    with Client("pk", base_url=loopback.url, max_retries=0) as c:
        yield c


def submitted(loopback: LoopbackServer) -> list[dict[str, str]]:
    (request,) = [r for r in loopback.requests if r.method == "POST"]
    outputs: list[dict[str, str]] = request.json()["tool_outputs"]
    return outputs


# ------------------------------------------------------------------ checks, then runs


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "run_1/../../admin"}, "Run.id"),
        ({"id": ""}, "Run.id"),
    ],
)
def test_a_run_id_no_id_holds_raises_before_any_tool_is_called(
    loopback: LoopbackServer, client: Client, change: dict[str, str], field: str
) -> None:
    counter = Counter()
    run = Run.from_dict(waiting_run(tool_calls(3), **change))
    with (
        pytest.raises(ResponseValidationError) as caught,
        client.runs.run_tools(THREAD, run, tools={"get_weather": counter.tool()}) as loop,
    ):
        loop.until_done()
    assert caught.value.location == field
    assert field in str(caught.value)
    assert counter.calls == 0, "no function was called"
    assert loopback.requests == []


def test_an_empty_tool_call_id_raises_before_any_tool_is_called(
    loopback: LoopbackServer, client: Client
) -> None:
    calls = tool_calls(3)
    calls[2]["id"] = ""
    counter = Counter()
    run = Run.from_dict(waiting_run(calls))
    with (
        pytest.raises(ResponseValidationError, match="must not be empty") as caught,
        client.runs.run_tools(THREAD, run, tools={"get_weather": counter.tool()}) as loop,
    ):
        loop.until_done()
    assert caught.value.location == "Run.required_action.submit_tool_outputs.tool_calls[2].id"
    assert counter.calls == 0
    assert loopback.requests == []


def test_a_later_round_with_a_bad_id_stops_before_its_tools_run(
    loopback: LoopbackServer, client: Client
) -> None:
    first = waiting_run(tool_calls(2))
    second = waiting_run(tool_calls(2), id="run/2")
    loopback.replies.append(stream_of(second))
    counter = Counter()
    with (
        pytest.raises(ResponseValidationError, match=r"Run\.id"),
        client.runs.run_tools(
            THREAD, Run.from_dict(first), tools={"get_weather": counter.tool()}
        ) as loop,
    ):
        loop.until_done()
    assert counter.calls == 2, "round 1's calls only"
    assert len(loopback.requests) == 1, "round 1's submission only"


def test_a_call_of_another_type_is_reported_never_mapped_onto_a_function(
    loopback: LoopbackServer, client: Client
) -> None:
    calls = tool_calls(2)
    calls[1]["type"] = "code_interpreter"  # a type a newer API could add, named as a function
    run = waiting_run(calls)
    loopback.replies.append(stream_of(completed(run)))
    counter = Counter()
    with client.runs.run_tools(
        THREAD, Run.from_dict(run), tools={"get_weather": counter.tool()}
    ) as loop:
        final = loop.until_done()
    assert final.status.value == "completed"
    assert counter.calls == 1
    outputs = submitted(loopback)
    assert outputs[0] == {"tool_call_id": "call_0", "output": "sunny"}
    assert outputs[1]["tool_call_id"] == "call_1"
    assert "code_interpreter" in json.loads(outputs[1]["output"])["error"]
    assert loop.calls[1].error is not None
    assert "only functions" in loop.calls[1].error


def test_a_call_of_another_type_raises_with_on_tool_error_raise(
    loopback: LoopbackServer, client: Client
) -> None:
    calls = tool_calls(1)
    calls[0]["type"] = "web_search"
    run = Run.from_dict(waiting_run(calls))
    counter = Counter()
    with (
        pytest.raises(ToolError, match="web_search"),
        client.runs.run_tools(
            THREAD, run, tools={"get_weather": counter.tool()}, on_tool_error="raise"
        ) as loop,
    ):
        loop.until_done()
    assert counter.calls == 0
    assert loopback.requests == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"function": {"name": "no_such_tool", "arguments": "{}"}}, "unknown function"),
        ({"type": "web_search"}, "web_search"),
        ({"function": {"name": "get_weather", "arguments": "[1]"}}, "must be a JSON object"),
    ],
)
@pytest.mark.parametrize("parallel", [True, False])
def test_with_on_tool_error_raise_a_call_that_cannot_run_raises_before_any_function_runs(
    loopback: LoopbackServer,
    client: Client,
    change: dict[str, Any],
    problem: str,
    parallel: bool,
) -> None:
    # The bad call comes last: the good ones before it must not have run (their side effects
    # would be done, their outputs never submitted).
    calls = tool_calls(3)
    calls[2].update(change)
    counter = Counter()
    with (
        pytest.raises(ToolError, match=problem) as caught,
        client.runs.run_tools(
            THREAD,
            Run.from_dict(waiting_run(calls)),
            tools={"get_weather": counter.tool()},
            on_tool_error="raise",
            parallel=parallel,
        ) as loop,
    ):
        loop.until_done()
    assert counter.calls == 0, "no function was called"
    assert caught.value.call.id == "call_2"
    assert loop.calls == []
    assert loopback.requests == []


async def test_the_async_loop_raises_before_any_function_runs_too(
    loopback: LoopbackServer,
) -> None:
    calls = tool_calls(3)
    calls[2]["function"]["name"] = "no_such_tool"
    counter = Counter()

    async def get_weather(**_: Any) -> str:
        counter.enter()
        counter.leave()
        return "sunny"

    async with AsyncClient("pk", base_url=loopback.url, max_retries=0) as client:
        with pytest.raises(ToolError, match="unknown function"):
            async with client.runs.run_tools(
                THREAD,
                Run.from_dict(waiting_run(calls)),
                tools={"get_weather": get_weather},
                on_tool_error="raise",
            ) as loop:
                await loop.until_done()
    assert counter.calls == 0
    assert loopback.requests == []


# ------------------------------------------------------------------ the pool


@pytest.mark.parametrize("max_concurrency", [None, 8])
def test_a_round_of_10000_calls_never_has_more_threads_than_the_bound(
    loopback: LoopbackServer, client: Client, max_concurrency: int | None
) -> None:
    bound = DEFAULT_MAX_CONCURRENCY if max_concurrency is None else max_concurrency
    run = waiting_run(tool_calls(10_000))
    loopback.replies.append(stream_of(completed(run)))
    counter = Counter()
    # Each call waits for `bound` calls to be running at once (10,000 is a multiple of both
    # bounds): fewer would never get past the barrier (each call's error would say so), more
    # would show in the counts.
    barrier = threading.Barrier(bound)
    options = {} if max_concurrency is None else {"max_concurrency": max_concurrency}
    before = threading.active_count()
    with client.runs.run_tools(
        THREAD,
        Run.from_dict(run),
        tools={"get_weather": counter.tool(lambda: barrier.wait(timeout=30))},
        **options,  # type: ignore[arg-type]
    ) as loop:
        loop.until_done()
    assert counter.calls == 10_000
    assert counter.most_running == bound
    assert counter.most_threads <= before + bound
    assert [call.error for call in loop.calls] == [None] * 10_000
    outputs = submitted(loopback)
    assert [o["tool_call_id"] for o in outputs] == [f"call_{i}" for i in range(10_000)]


def test_a_timed_out_call_frees_its_slot_and_its_thread_runs_on(
    loopback: LoopbackServer, client: Client
) -> None:
    release = threading.Event()
    counter = Counter()
    stuck_started = threading.Barrier(3)  # the two stuck calls and this test

    def stuck(**_: Any) -> str:
        counter.enter()
        stuck_started.wait(timeout=30)
        release.wait(timeout=30)
        counter.leave()
        return "late"

    calls = tool_calls(2, "stuck") + tool_calls(5)
    for i, call in enumerate(calls):
        call["id"] = f"call_{i}"
    run = waiting_run(calls)
    loopback.replies.append(stream_of(completed(run)))
    before = threading.active_count()
    with client.runs.run_tools(
        THREAD,
        Run.from_dict(run),
        tools={"stuck": stuck, "get_weather": counter.tool()},
        max_concurrency=2,
        tool_timeout=2,
    ) as loop:
        loop.until_done()
        stuck_started.wait(timeout=30)  # both stuck calls did start, and are still running
        assert counter.running == 2
        # The 5 quick calls ran one or two at a time beside the 2 abandoned threads.
        assert counter.most_threads <= before + 2 + 2
        release.set()
    errors = [call.error for call in loop.calls]
    assert errors[2:] == [None] * 5
    assert errors[0] is not None
    assert errors[0].startswith("TimeoutError: stuck did not return within 2 s")
    assert errors[1] is not None
    assert errors[1].startswith("TimeoutError")


@pytest.mark.parametrize("tool_timeout", [None, 30])
def test_a_tool_raising_system_exit_ends_the_round_instead_of_hanging_it(
    loopback: LoopbackServer, client: Client, tool_timeout: float | None
) -> None:
    # A tool that calls sys.exit() (argparse inside it, say): not a failure to report, and the
    # thread it ran in is gone; the loop raises it, as the async loop does, and submits nothing.
    run = waiting_run(tool_calls(3))

    def exits(**_: Any) -> str:
        raise SystemExit(2)

    raised: list[BaseException] = []

    def drive() -> None:
        try:
            with client.runs.run_tools(
                THREAD, Run.from_dict(run), tools={"get_weather": exits}, tool_timeout=tool_timeout
            ) as loop:
                loop.until_done()
        except BaseException as exc:
            raised.append(exc)

    driver = threading.Thread(target=drive, daemon=True)
    driver.start()
    driver.join(timeout=30)
    assert not driver.is_alive(), "the loop waits forever for a thread that has ended"
    assert [type(exc) for exc in raised] == [SystemExit]
    assert loopback.requests == []


def test_parallel_false_runs_one_at_a_time(loopback: LoopbackServer, client: Client) -> None:
    run = waiting_run(tool_calls(20))
    loopback.replies.append(stream_of(completed(run)))
    counter = Counter()
    with client.runs.run_tools(
        THREAD,
        Run.from_dict(run),
        tools={"get_weather": counter.tool()},
        parallel=False,
        tool_timeout=30,
    ) as loop:
        loop.until_done()
    assert counter.calls == 20
    assert counter.most_running == 1


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "4"])
def test_max_concurrency_must_be_a_positive_integer(client: Client, bad: Any) -> None:
    run = Run.from_dict(waiting_run(tool_calls(1)))
    with pytest.raises(ValueError, match="max_concurrency must be an integer >= 1"):
        client.runs.run_tools(THREAD, run, tools={"f": len}, max_concurrency=bad)


async def test_the_async_loop_has_the_same_bound_for_async_and_sync_tools(
    loopback: LoopbackServer,
) -> None:
    import anyio

    run = waiting_run(tool_calls(3_000) + tool_calls(3_000, "sync_tool"))
    for i, call in enumerate(run["required_action"]["submit_tool_outputs"]["tool_calls"]):
        call["id"] = f"call_{i}"
    loopback.replies.append(stream_of(completed(run)))
    counter = Counter()

    async def get_weather(**_: Any) -> str:
        counter.enter()
        try:
            await anyio.sleep(0)
        finally:
            counter.leave()
        return "sunny"

    before = threading.active_count()
    async with (
        AsyncClient("pk", base_url=loopback.url, max_retries=0) as client,
        client.runs.run_tools(
            THREAD,
            Run.from_dict(run),
            tools={"get_weather": get_weather, "sync_tool": counter.tool()},
            max_concurrency=5,
        ) as loop,
    ):
        await loop.until_done()
    assert counter.calls == 6_000
    assert counter.most_running <= 5
    assert counter.most_threads <= before + 5
    assert len(submitted(loopback)) == 6_000


# ------------------------------------------------------------------ unchanged when well-behaved


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with serve(ReferenceState(seed=23), event_delay=0) as running:
        yield running


@pytest.mark.parametrize("max_concurrency", [1, 3])
def test_the_reference_server_rounds_complete_with_any_bound(
    server: RunningServer, max_concurrency: int
) -> None:
    thread = server.state.create_thread(statuses=["requires_action"], tool_calls=4, rounds=2)
    stored = server.state.runs(thread)[0]
    run = Run.from_dict(stored.model_dump(mode="json", exclude_unset=True))
    functions: dict[str, Callable[..., Any]] = {
        "get_weather": tools.get_weather,
        "get_local_time": tools.get_local_time,
    }
    with (
        Client("pk", base_url=server.base_url, max_retries=0) as client,
        client.runs.run_tools(
            thread, run, tools=functions, max_concurrency=max_concurrency
        ) as loop,
    ):
        final = loop.until_done()
    assert final.status.value == "completed"
    assert loop.rounds == 2
    assert [call.error for call in loop.calls] == [None] * 8
