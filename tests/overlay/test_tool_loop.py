"""``client.runs.run_tools(...)``: the tool loop against the reference server, sync and async."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from portkey_runs import (
    AsyncClient,
    Client,
    InternalServerError,
    ToolCall,
    ToolError,
    ToolLoopError,
)
from portkey_runs._tools import _Loop
from portkey_runs.testing import ReferenceState, RunningServer, serve, tools
from portkey_runs_api.models import Run

TOOLS: dict[str, Any] = {"get_weather": tools.get_weather, "get_local_time": tools.get_local_time}


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with serve(ReferenceState(seed=17), event_delay=0) as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> Iterator[Client]:
    with Client("pk", base_url=server.base_url, max_retries=0) as c:
        yield c


def waiting(server: RunningServer, **options: Any) -> tuple[str, Run]:
    """A new thread whose one run waits for tool outputs (``create_thread``'s options)."""
    options.setdefault("tool_calls", 2)
    thread = server.state.create_thread(statuses=["requires_action"], **options)
    stored = server.state.runs(thread)[0]  # the server's own model: as the client sees it
    return thread, Run.from_dict(stored.model_dump(mode="json", exclude_unset=True))


def posts(server: RunningServer) -> int:
    return server.state.count(method="POST")


# ------------------------------------------------------------------------ the loop


def test_two_rounds_of_parallel_calls_then_the_reply(server: RunningServer, client: Client) -> None:
    thread, run = waiting(server, rounds=2)
    with client.runs.run_tools(thread, run, tools=TOOLS) as loop:
        names = [event.event for event in loop]
    assert loop.final_run is not None
    assert loop.final_run.status.value == "completed"
    assert loop.rounds == 2
    assert posts(server) == 2
    assert names.count("thread.run.requires_action") == 1, "the end of round 1"
    assert names[-1] == "thread.run.completed"
    calls = loop.calls
    assert [(c.round, c.name) for c in calls] == [
        (1, "get_weather"),
        (1, "get_weather"),
        (2, "get_local_time"),
        (2, "get_local_time"),
    ]
    first = run.required_action.submit_tool_outputs.tool_calls  # type: ignore[union-attr]
    assert [c.id for c in calls[:2]] == [c.id for c in first]
    for call in calls:
        assert call.error is None
        expected = TOOLS[call.name](**json.loads(call.arguments))
        assert call.output == (
            expected if isinstance(expected, str) else json.dumps(expected, separators=(",", ":"))
        )
    assert loop.final_text() == server.state.reply_text(run.id)
    steps = loop.final_run_steps()
    assert [s.type_.value for s in steps] == ["tool_calls", "tool_calls", "message_creation"]
    (message,) = loop.final_messages()
    assert message.status.value == "completed"


def test_a_run_id_is_found_by_listing_the_thread(server: RunningServer, client: Client) -> None:
    thread, run = waiting(server)
    server.state.add_run(thread, "completed")
    with client.runs.run_tools(thread, run.id, tools=TOOLS) as loop:
        final = loop.until_done()
    assert final.status.value == "completed"
    assert server.state.count(f"/v1/threads/{thread}/runs", method="GET") == 1


def test_an_unknown_run_id_is_a_tool_loop_error(server: RunningServer, client: Client) -> None:
    thread, _ = waiting(server)
    with client.runs.run_tools(thread, "run_nowhere", tools=TOOLS) as loop:
        with pytest.raises(ToolLoopError, match=f"thread {thread} has no run 'run_nowhere'"):
            loop.until_done()
    assert posts(server) == 0


@pytest.mark.parametrize("status", ["completed", "failed", "expired"])
def test_a_run_that_has_ended_already_is_a_tool_loop_error_naming_it(
    server: RunningServer, client: Client, status: str
) -> None:
    thread = server.state.create_thread(statuses=[status])
    (run,) = server.state.runs(thread)
    with client.runs.run_tools(thread, run.id, tools=TOOLS) as loop:
        with pytest.raises(ToolLoopError, match=f"run {run.id} is {status}, not waiting"):
            list(loop)
    assert (loop.rounds, loop.calls, posts(server)) == (0, [], 0)


async def test_an_async_loop_on_a_run_that_has_ended_raises_too(server: RunningServer) -> None:
    thread = server.state.create_thread(statuses=["completed"])
    (run,) = server.state.runs(thread)
    async with AsyncClient("pk", base_url=server.base_url, max_retries=0) as client:
        async with client.runs.run_tools(thread, run.id, tools=TOOLS) as loop:
            with pytest.raises(ToolLoopError, match=f"run {run.id} is completed, not waiting"):
                await loop.until_done()
    assert posts(server) == 0


def test_a_run_that_is_not_waiting_is_a_tool_loop_error(
    server: RunningServer, client: Client
) -> None:
    thread = server.state.create_thread(statuses=["in_progress"])
    (run,) = client.runs.list(thread)
    with client.runs.run_tools(thread, run, tools=TOOLS) as loop:
        with pytest.raises(ToolLoopError, match="is in_progress, not waiting for tool outputs"):
            list(loop)


def test_the_results_are_sent_as_is_or_as_compact_json(
    server: RunningServer, client: Client
) -> None:
    thread, run = waiting(server, tool_calls=1)
    sent: list[Any] = []

    def get_weather(location: str) -> Any:
        sent.append(location)
        return {"location": location, "list": [1, 2], "none": None, "unicode": "Zürich"}

    with client.runs.run_tools(thread, run, tools={"get_weather": get_weather}) as loop:
        loop.until_done()
    (call,) = loop.calls
    assert call.output == json.dumps(
        {"location": sent[0], "list": [1, 2], "none": None, "unicode": "Zürich"},
        separators=(",", ":"),
    )
    assert f'said "{call.output}"' in (server.state.reply_text(run.id) or ""), "as submitted"


# ------------------------------------------------------------------------ failing tools


def test_a_failing_function_is_reported_to_the_run(server: RunningServer, client: Client) -> None:
    thread, run = waiting(server, tool_calls=2)

    def get_weather(location: str) -> str:
        raise ValueError(f"no forecast for {location}")

    with client.runs.run_tools(thread, run, tools={"get_weather": get_weather}) as loop:
        assert loop.until_done().status.value == "completed"
    for call in loop.calls:
        assert call.error is not None
        assert call.error.startswith("ValueError: no forecast for ")
        assert json.loads(call.output) == {"error": call.error}
        assert "Traceback" not in call.output


def test_an_unknown_function_and_arguments_that_are_not_json_are_reported(
    server: RunningServer, client: Client
) -> None:
    thread, run = waiting(server, tool_calls=2, bad_arguments=True)
    with client.runs.run_tools(thread, run, tools={"get_local_time": tools.get_local_time}) as loop:
        loop.until_done()
    for unknown in loop.calls:  # get_weather is not among the tools: unknown first of all
        assert unknown.error is not None
        assert unknown.error.startswith("unknown function 'get_weather'")
        assert "the tools are: get_local_time" in unknown.error
    thread, run = waiting(server, tool_calls=1, bad_arguments=True)
    with client.runs.run_tools(thread, run, tools=TOOLS) as loop:
        loop.until_done()
    (call,) = loop.calls
    assert call.error is not None
    assert call.error.startswith("the arguments are not valid JSON")


def test_the_planner_refuses_arguments_that_are_not_an_object() -> None:
    loop = _Loop(
        "thread_1",
        TOOLS,
        on_tool_error="report",
        max_rounds=1,
        parallel=True,
        tool_timeout=None,
        allow_async=False,
    )
    for arguments, kind in (("[1, 2]", "list"), ('"Paris"', "str"), ("3", "int")):
        planned = loop._planned("call_1", "get_weather", arguments)
        assert planned.problem == f"the arguments must be a JSON object, not {kind}"
    assert loop._planned("call_1", "get_weather", "").kwargs == {}, "no arguments: none"


def test_raise_mode_raises_before_anything_of_the_round_is_submitted(
    server: RunningServer, client: Client
) -> None:
    thread, run = waiting(server, rounds=2)

    def get_weather(location: str) -> str:
        raise KeyError(location)

    with client.runs.run_tools(
        thread, run, tools={**TOOLS, "get_weather": get_weather}, on_tool_error="raise"
    ) as loop:
        with pytest.raises(ToolError, match=r"\(get_weather\): KeyError") as info:
            list(loop)
        with pytest.raises(ToolError):  # reading on raises again: the loop is over
            next(loop)
    assert isinstance(info.value.__cause__, KeyError)
    assert isinstance(info.value.call, ToolCall)
    assert posts(server) == 0
    assert server.state.get_run(thread, run.id).status.value == "requires_action"


def test_a_result_that_is_not_json_is_reported(server: RunningServer, client: Client) -> None:
    thread, run = waiting(server, tool_calls=1)
    with client.runs.run_tools(
        thread, run, tools={"get_weather": lambda location: {location}}
    ) as loop:
        loop.until_done()
    (call,) = loop.calls
    assert call.error is not None
    assert call.error.startswith("the result of get_weather is not JSON: Object of type set")


# ------------------------------------------------------------------------ bounds and failures


def test_a_run_that_keeps_asking_stops_after_max_rounds(
    server: RunningServer, client: Client
) -> None:
    thread, run = waiting(server, rounds=4)
    with client.runs.run_tools(thread, run, tools=TOOLS, max_rounds=2) as loop:
        with pytest.raises(ToolLoopError, match="still asks for tool outputs after max_rounds=2"):
            list(loop)
    assert posts(server) == loop.rounds == 2


def test_a_failed_submission_is_not_sent_again_and_ends_the_loop(
    server: RunningServer,
) -> None:
    thread, run = waiting(server, rounds=2)
    with Client("pk", base_url=server.base_url) as client:  # retries on: a POST 500 still is not
        with client.runs.run_tools(thread, run, tools=TOOLS) as loop:
            names = []
            with pytest.raises(InternalServerError):
                for event in loop:
                    names.append(event.event)
                    if event.event == "thread.run.requires_action":
                        server.state.inject("status=500")  # the next POST fails
    assert posts(server) == 2
    assert names[-1] == "thread.run.requires_action"
    assert loop.rounds == 2


@pytest.mark.parametrize(("fault", "status"), [("run_fails", "failed"), ("run_expires", "expired")])
def test_a_run_that_fails_or_expires_mid_loop_ends_it(
    fault: str, status: str, server: RunningServer, client: Client
) -> None:
    thread, run = waiting(server, rounds=3)
    server.state.inject(fault)
    with client.runs.run_tools(thread, run, tools=TOOLS) as loop:
        final = loop.until_done()
    assert final.status.value == status
    assert loop.rounds == 1
    assert loop.final_text() == ""


def test_leaving_the_block_early_starts_no_further_round(
    server: RunningServer, client: Client
) -> None:
    thread, run = waiting(server, rounds=3)
    with client.runs.run_tools(thread, run, tools=TOOLS) as loop:
        for event in loop:
            if event.event == "thread.run.in_progress":
                break
    assert posts(server) == 1
    with pytest.raises(ToolLoopError, match="closed before its end"):
        next(loop)


def test_a_round_calls_its_functions_at_once(server: RunningServer, client: Client) -> None:
    thread, run = waiting(server, tool_calls=3)
    barrier = threading.Barrier(3, timeout=30)

    def get_weather(location: str) -> str:
        barrier.wait()  # returns only when all three calls are running together
        return "ok"

    with client.runs.run_tools(thread, run, tools={"get_weather": get_weather}) as loop:
        loop.until_done()
    assert [c.error for c in loop.calls] == [None, None, None]


def test_without_parallel_the_calls_run_one_by_one_in_order(
    server: RunningServer, client: Client
) -> None:
    thread, run = waiting(server, tool_calls=3)
    running: list[int] = []
    most: list[int] = []
    order: list[str] = []

    def get_weather(location: str) -> str:
        running.append(1)
        most.append(len(running))
        order.append(location)
        running.pop()
        return location

    with client.runs.run_tools(
        thread, run, tools={"get_weather": get_weather}, parallel=False
    ) as loop:
        loop.until_done()
    assert most == [1, 1, 1], "never two calls at once"
    assert order == [json.loads(c.arguments)["location"] for c in loop.calls]


@pytest.mark.parametrize("parallel", [True, False])
def test_a_call_that_outlives_tool_timeout_is_reported_and_holds_up_no_other(
    parallel: bool, server: RunningServer, client: Client
) -> None:
    thread, run = waiting(server, tool_calls=2)
    release = threading.Event()
    seen: list[str] = []

    def get_weather(location: str) -> str:
        seen.append(location)
        if len(seen) == 1:
            release.wait(30)  # never set while the loop waits: this call cannot finish in time
        return "in time"

    try:
        with client.runs.run_tools(
            thread, run, tools={"get_weather": get_weather}, tool_timeout=1, parallel=parallel
        ) as loop:
            assert loop.until_done().status.value == "completed"
    finally:
        release.set()
    late, fine = sorted(loop.calls, key=lambda call: call.error is None)
    assert late.error == "TimeoutError: get_weather did not return within 1 s"
    assert (fine.error, fine.output) == (None, "in time"), "the other call was not held up"


def test_a_call_that_never_returns_does_not_hold_up_the_interpreters_exit(
    server: RunningServer,
) -> None:
    thread, run = waiting(server, tool_calls=1)
    code = f"""
import threading, portkey_runs
def stuck(location):
    threading.Event().wait()  # for ever
with portkey_runs.Client("pk", base_url={server.base_url!r}) as client:
    tools = {{"get_weather": stuck}}
    with client.runs.run_tools({thread!r}, {run.id!r}, tools=tools, tool_timeout=0.1) as loop:
        print(loop.until_done().status.value, loop.calls[0].error)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "completed TimeoutError: get_weather did not return within 0.1 s\n"


def test_an_interruption_in_a_tool_stops_the_loop_and_says_so_on_reading_on(
    server: RunningServer, client: Client
) -> None:
    thread, run = waiting(server, tool_calls=1)

    def get_weather(location: str) -> str:
        raise KeyboardInterrupt

    with client.runs.run_tools(
        thread, run, tools={"get_weather": get_weather}, parallel=False
    ) as loop:
        with pytest.raises(KeyboardInterrupt):
            next(loop)
        with pytest.raises(ToolLoopError, match=r"interrupted \(KeyboardInterrupt\)"):
            loop.until_done()
    assert (posts(server), loop.rounds) == (0, 0)


async def test_a_cancelled_async_loop_says_so_on_reading_on(server: RunningServer) -> None:
    import anyio

    thread, run = waiting(server, tool_calls=1)

    async def get_weather(location: str) -> str:
        await asyncio.Event().wait()  # for ever
        return location

    async with AsyncClient("pk", base_url=server.base_url) as client:
        async with client.runs.run_tools(thread, run, tools={"get_weather": get_weather}) as loop:
            with anyio.move_on_after(0.1):
                await loop.until_done()
            with pytest.raises(ToolLoopError, match="interrupted"):
                await loop.until_done()
    assert posts(server) == 0


def test_final_run_follows_the_events_of_the_round(server: RunningServer, client: Client) -> None:
    thread, run = waiting(server)
    statuses = []
    with client.runs.run_tools(thread, run, tools=TOOLS) as loop:
        for event in loop:
            if event.event.startswith("thread.run.") and not event.event.startswith(
                "thread.run.step"
            ):
                assert loop.final_run is not None
                statuses.append(loop.final_run.status.value)
    assert statuses == ["queued", "in_progress", "completed"]


def test_a_str_result_is_sent_as_is(server: RunningServer, client: Client) -> None:
    thread, run = waiting(server, tool_calls=1)
    text = '  not JSON, "quoted", ünïcode\n'
    with client.runs.run_tools(thread, run, tools={"get_weather": lambda location: text}) as loop:
        loop.until_done()
    assert loop.calls[0].output == text
    assert f'said "{text}"' in (server.state.reply_text(run.id) or "")


@pytest.mark.parametrize(
    ("result", "error"),
    [
        (float("nan"), "the result of get_weather is not JSON: Out of range float values"),
        ({"t": float("inf")}, "the result of get_weather is not JSON: Out of range float values"),
    ],
)
def test_a_result_json_cannot_carry_is_reported(
    result: Any, error: str, server: RunningServer, client: Client
) -> None:
    thread, run = waiting(server, tool_calls=1)
    with client.runs.run_tools(thread, run, tools={"get_weather": lambda location: result}) as loop:
        loop.until_done()
    assert (loop.calls[0].error or "").startswith(error)


def test_a_tool_that_returns_a_coroutine_in_the_sync_loop_is_reported(
    server: RunningServer, client: Client
) -> None:
    class Weather:
        async def __call__(self, location: str) -> str:
            return location

    thread, run = waiting(server, tool_calls=1)
    with client.runs.run_tools(thread, run, tools={"get_weather": Weather()}) as loop:
        loop.until_done()
    assert (
        loop.calls[0].error == "get_weather returned an awaitable: an async tool needs AsyncClient"
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"tools": {}}, TypeError, "tools must be a non-empty mapping"),
        ({"tools": {"f": 3}}, TypeError, r"tools\['f'\] must be a function, not int"),
        ({"on_tool_error": "ignore"}, ValueError, "on_tool_error must be 'report' or 'raise'"),
        ({"max_rounds": 0}, ValueError, "max_rounds must be an integer >= 1, got 0"),
        ({"tool_timeout": 0}, ValueError, "tool_timeout must be None or a number of seconds > 0"),
        ({"timeout": -1}, ValueError, "timeout must be a number of seconds > 0"),
    ],
)
def test_bad_loop_arguments_are_refused_at_the_call(
    kwargs: dict[str, Any],
    error: type[Exception],
    message: str,
    server: RunningServer,
    client: Client,
) -> None:
    thread, run = waiting(server)
    with pytest.raises(error, match=message):
        client.runs.run_tools(thread, run, **{"tools": TOOLS, **kwargs})
    assert server.state.requests == []


def test_an_async_function_is_refused_by_the_sync_loop(
    server: RunningServer, client: Client
) -> None:
    async def get_weather(location: str) -> str:
        return location

    thread, run = waiting(server)
    with pytest.raises(TypeError, match="is an async function: use AsyncClient"):
        client.runs.run_tools(thread, run, tools={"get_weather": get_weather})


def test_a_run_of_another_thread_is_refused(server: RunningServer, client: Client) -> None:
    _, run = waiting(server)
    other, _ = waiting(server)
    with pytest.raises(ValueError, match=f"belongs to thread {run.thread_id}, not {other}"):
        client.runs.run_tools(other, run, tools=TOOLS)


# ------------------------------------------------------------------------ async


async def test_async_loop_awaits_async_functions_concurrently(server: RunningServer) -> None:
    thread, run = waiting(server, tool_calls=3, rounds=2)
    started = 0
    all_started = asyncio.Event()

    async def get_weather(location: str) -> dict[str, str]:
        nonlocal started
        started += 1
        if started == 3:
            all_started.set()
        await asyncio.wait_for(all_started.wait(), 30)  # only if the three run together
        return {"location": location}

    async with AsyncClient("pk", base_url=server.base_url) as client:
        async with client.runs.run_tools(
            thread, run, tools={"get_weather": get_weather, "get_local_time": tools.get_local_time}
        ) as loop:
            names = [event.event async for event in loop]
            text = await loop.final_text()
            steps = await loop.final_run_steps()
            messages = await loop.final_messages()
            final = await loop.until_done()
    assert final.status.value == "completed"
    assert [c.round for c in loop.calls] == [1, 1, 1, 2, 2, 2]
    assert all(c.error is None for c in loop.calls), "sync functions ran too, in threads"
    assert names[-1] == "thread.run.completed"
    assert text == server.state.reply_text(run.id)
    assert len(steps) == 3
    assert len(messages) == 1


async def test_async_timeout_cancels_the_call_and_reports_it(server: RunningServer) -> None:
    thread, run = waiting(server, tool_calls=1)
    cancelled = asyncio.Event()

    async def get_weather(location: str) -> str:
        try:
            await asyncio.Event().wait()  # never returns by itself
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return location

    async with AsyncClient("pk", base_url=server.base_url) as client:
        async with client.runs.run_tools(
            thread, run, tools={"get_weather": get_weather}, tool_timeout=0.05
        ) as loop:
            await loop.until_done()
    (call,) = loop.calls
    assert call.error == "TimeoutError: get_weather did not return within 0.05 s"
    assert cancelled.is_set()


async def test_async_raise_mode_and_max_rounds(server: RunningServer) -> None:
    async def boom(location: str) -> str:
        raise RuntimeError("down")

    thread, run = waiting(server)
    async with AsyncClient("pk", base_url=server.base_url) as client:
        async with client.runs.run_tools(
            thread, run, tools={"get_weather": boom}, on_tool_error="raise"
        ) as loop:
            with pytest.raises(ToolError, match="RuntimeError: down"):
                await loop.until_done()
        assert posts(server) == 0
        thread, run = waiting(server, rounds=3)
        async with client.runs.run_tools(thread, run.id, tools=TOOLS, max_rounds=1) as loop:
            with pytest.raises(ToolLoopError, match="after max_rounds=1"):
                async for _ in loop:
                    pass
    assert posts(server) == 1


async def test_async_text_deltas_cover_every_round(server: RunningServer) -> None:
    thread, run = waiting(server, rounds=2)
    async with AsyncClient("pk", base_url=server.base_url) as client:
        async with client.runs.run_tools(thread, run, tools=TOOLS) as loop:
            pieces = [piece async for piece in loop.text_deltas]
    assert "".join(pieces) == server.state.reply_text(run.id)


def test_sync_text_deltas_cover_every_round(server: RunningServer, client: Client) -> None:
    thread, run = waiting(server, rounds=3)
    with client.runs.run_tools(thread, run, tools=TOOLS) as loop:
        pieces = list(loop.text_deltas)
        assert loop.current_message_snapshot is not None
    assert "".join(pieces) == server.state.reply_text(run.id)
    assert loop.rounds == 3


def test_a_run_that_is_neither_a_run_nor_an_id_is_a_type_error(
    server: RunningServer, client: Client
) -> None:
    thread = server.state.create_thread(statuses=["requires_action"])
    stored = server.state.runs(thread)[0]
    with pytest.raises(TypeError, match=r"run must be a Run .* or a run id, not Run"):
        client.runs.run_tools(thread, stored, tools=TOOLS)  # type: ignore[arg-type]
