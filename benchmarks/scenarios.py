"""The in-process scenarios: listing runs (sync and async) and reading a stream."""

from __future__ import annotations

import asyncio
import importlib
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import httpx2

from benchmarks import contenders as c
from benchmarks import payloads
from benchmarks.harness import Result, Target, per_unit, run_scenario
from benchmarks.inmemory import BASE_URL, httpx2_transport, httpx_transport

OURS = "portkey-runs"
OPENAI = "openai"
PORTKEY_AI = "portkey-ai"
FLOOR = "floor: httpx + json.loads"
FLOOR_ORJSON = "floor: httpx + orjson"
FLOOR_STREAM = "floor: httpx iter_lines + json.loads"

TOTAL_RUNS = 5_000
TOTAL_EVENTS = 10_000


def _quiet(job: Callable[[], Any]) -> Callable[[], Any]:
    """``job`` without the SDKs' DeprecationWarning for the Assistants API."""

    def quiet() -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return job()

    return quiet


def _orjson_loads() -> Callable[[bytes], Any] | None:
    try:
        orjson = importlib.import_module("orjson")
    except ImportError:
        return None
    loads: Callable[[bytes], Any] = orjson.loads
    return loads


class Fixture:
    """The payloads and a client of each contender over the in-memory transports."""

    def __init__(self, total_runs: int = TOTAL_RUNS, total_events: int = TOTAL_EVENTS) -> None:
        self.total_runs = total_runs
        self.total_events = total_events
        self.pages = payloads.run_pages(total_runs)
        payloads.check_pages(self.pages)
        events = payloads.stream_events(total_events)
        payloads.check_stream(events)
        self.text = payloads.full_text(events)
        self.stream = payloads.sse_body(events)
        self.outputs = [
            {"tool_call_id": call, "output": "21 degrees"} for call in payloads.CALL_IDS
        ]

    def httpx(self) -> httpx.MockTransport:
        return httpx_transport(self.pages, self.stream)

    def httpx2(self) -> httpx2.MockTransport:
        return httpx2_transport(self.pages, self.stream)


def list_sync(fx: Fixture, rounds: int, progress: Callable[[str], None]) -> Result:
    thread = payloads.THREAD_ID
    ours = c.portkey_runs_client(BASE_URL, transport=fx.httpx())
    sdk = c.openai_client(BASE_URL, httpx2.Client(transport=fx.httpx2()))
    pk = c.portkey_ai_client(BASE_URL, httpx.Client(transport=fx.httpx()))
    floor = httpx.Client(base_url=BASE_URL + "/", transport=fx.httpx())
    jobs: dict[str, Callable[[], int]] = {
        OURS: lambda: sum(1 for _ in c.portkey_runs_list(ours, thread)),
        OPENAI: _quiet(lambda: c.openai_list(sdk, thread)),
        PORTKEY_AI: _quiet(lambda: c.portkey_ai_list(pk, thread)),
        FLOOR: lambda: c.floor_list(floor, thread),
    }
    loads = _orjson_loads()
    if loads is not None:
        jobs[FLOOR_ORJSON] = lambda: c.floor_list(floor, thread, loads)
    result = run_scenario(
        "list (sync)",
        f"{fx.total_runs:,} runs in pages of 100 from an in-memory transport",
        "microseconds per run",
        {name: per_unit(job, fx.total_runs, name) for name, job in jobs.items()},
        _list_targets(),
        rounds=rounds,
        progress=progress,
    )
    if loads is None:
        result.notes.append("orjson is not installed: no orjson floor")
    return result


def _list_targets() -> list[Target]:
    return [
        Target(OPENAI, OURS, ">=", 10),
        Target(PORTKEY_AI, OURS, ">=", 4),
        Target(OURS, FLOOR, "<=", 1.5),
        Target(OURS, FLOOR_ORJSON, ""),
    ]


def list_async(fx: Fixture, rounds: int, progress: Callable[[str], None]) -> Result:
    thread = payloads.THREAD_ID
    loop = asyncio.new_event_loop()

    def sync(make: Callable[[], Coroutine[Any, Any, int]]) -> Callable[[], int]:
        return lambda: loop.run_until_complete(make())

    async def ours_job() -> int:
        count = 0
        async for _ in c.portkey_runs_alist(ours, thread):
            count += 1
        return count

    ours = c.portkey_runs_client(BASE_URL, async_transport=fx.httpx())
    sdk = c.openai_async_client(BASE_URL, httpx2.AsyncClient(transport=fx.httpx2()))
    pk = c.portkey_ai_async_client(BASE_URL, httpx.AsyncClient(transport=fx.httpx()))
    floor = httpx.AsyncClient(base_url=BASE_URL + "/", transport=fx.httpx())
    jobs: dict[str, Callable[[], int]] = {
        OURS: sync(ours_job),
        OPENAI: _quiet(sync(lambda: c.openai_alist(sdk, thread))),
        PORTKEY_AI: _quiet(sync(lambda: c.portkey_ai_alist(pk, thread))),
        FLOOR: sync(lambda: c.floor_alist(floor, thread)),
    }
    loads = _orjson_loads()
    if loads is not None:
        jobs[FLOOR_ORJSON] = sync(lambda: c.floor_alist(floor, thread, loads))
    try:
        return run_scenario(
            "list (async)",
            f"{fx.total_runs:,} runs in pages of 100 from an in-memory transport, one event loop",
            "microseconds per run",
            {name: per_unit(job, fx.total_runs, name) for name, job in jobs.items()},
            _list_targets(),
            rounds=rounds,
            progress=progress,
        )
    finally:
        loop.close()


def _checked(job: Callable[[], tuple[int, str]], text: str, name: str) -> Callable[[], int]:
    """A job that accumulates the message's text: it must come out whole."""

    def checked() -> int:
        count, got = job()
        if got != text:
            raise AssertionError(f"{name}: accumulated {len(got)} characters, not {len(text)}")
        return count

    return checked


def stream(fx: Fixture, rounds: int, progress: Callable[[str], None]) -> Result:
    thread, run, outputs = payloads.THREAD_ID, payloads.RUN_ID, fx.outputs
    ours = c.portkey_runs_client(BASE_URL, transport=fx.httpx())
    sdk = c.openai_client(BASE_URL, httpx2.Client(transport=fx.httpx2()))
    pk = c.portkey_ai_client(BASE_URL, httpx.Client(transport=fx.httpx()))
    floor = httpx.Client(base_url=BASE_URL + "/", transport=fx.httpx())

    def ours_plain() -> int:
        with c.portkey_runs_stream(ours, thread, run, outputs) as events:
            return sum(1 for _ in events)

    def ours_accumulated() -> tuple[int, str]:
        with c.portkey_runs_stream(ours, thread, run, outputs) as stream:
            return c.portkey_runs_accumulate(stream)

    acc = " + accumulation"
    jobs: dict[str, Callable[[], int]] = {
        OURS: ours_plain,
        OURS + acc: _checked(ours_accumulated, fx.text, OURS),
        OPENAI: _quiet(lambda: c.openai_stream(sdk, thread, run, outputs)),
        OPENAI + acc: _quiet(
            _checked(
                lambda: c.openai_stream_accumulated(sdk, thread, run, outputs), fx.text, OPENAI
            )
        ),
        PORTKEY_AI: _quiet(lambda: c.portkey_ai_stream(pk, thread, run, outputs)),
        PORTKEY_AI + acc: _quiet(
            _checked(
                lambda: c.portkey_ai_stream_accumulated(pk, thread, run, outputs),
                fx.text,
                PORTKEY_AI,
            )
        ),
        FLOOR_STREAM: lambda: c.floor_stream(floor, thread, run, outputs),
    }
    ours_acc = OURS + acc
    result = run_scenario(
        "stream",
        f"a {fx.total_events:,}-event stream (mostly thread.message.delta) in 64 KiB chunks "
        "from an in-memory transport",
        "microseconds per event",
        {name: per_unit(job, fx.total_events, name) for name, job in jobs.items()},
        [
            Target(OPENAI, OURS, ">=", 15, "iterating the events"),
            Target(OURS, FLOOR_STREAM, "<=", 1.5, "iterating the events"),
            Target(OPENAI + acc, ours_acc, ">=", 15, "with the snapshots' text"),
            Target(ours_acc, FLOOR_STREAM, "<=", 1.5, "with the snapshots' text"),
            Target(PORTKEY_AI + acc, ours_acc, "", note="with the snapshots' text"),
        ],
        rounds=rounds,
        progress=progress,
    )
    result.notes.append(
        "accumulation: openai and portkey-ai build the SDK's message/run/step snapshots "
        "(submit_tool_outputs_stream); portkey-runs always rebuilds its message and step "
        "snapshots as the events pass (iterating pays for it too), and '+ accumulation' "
        "also reads final_text() from them"
    )
    return result
