"""The in-process scenarios: listing runs (sync and async) and reading a stream.

portkey-runs has a row for each of its modes: ``eager (strict)`` (``strict_responses=True``:
everything typed and checked at arrival) and ``lazy (default)`` (``strict_responses=False``,
what a client is unless told otherwise: what the client does not need may be typed when it is
first read). Every contender reads the same fields (:mod:`benchmarks.contenders`), and every
row of ours has the issue's targets (:data:`TARGETS`).
"""

from __future__ import annotations

import asyncio
import importlib
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, TypeVar

import httpx
import httpx2

from benchmarks import contenders as c
from benchmarks import payloads
from benchmarks.contenders import Accumulated, Listed, Streamed
from benchmarks.harness import Result, Target, per_unit, run_scenario
from benchmarks.inmemory import BASE_URL, httpx2_transport, httpx_transport

EAGER = "portkey-runs, eager (strict)"
LAZY = "portkey-runs, lazy (default)"
OURS = (EAGER, LAZY)
MODES = {EAGER: True, LAZY: False}
"""Each of our rows, and its client's ``strict_responses``."""
OPENAI = "openai"
PORTKEY_AI = "portkey-ai"
FLOOR = "floor: httpx + json.loads"
FLOOR_ORJSON = "floor: httpx + orjson"
FLOOR_STREAM = "floor: httpx iter_lines + json.loads"
ACC = " + accumulation"

TOTAL_RUNS = 5_000
TOTAL_EVENTS = 10_000

#: Stands for each of our rows in :data:`TARGETS`.
US = "{portkey-runs}"

#: The issue's targets, per job, for each of our rows (``US``): ``openai / US >= 10`` is "ten
#: times openai's speed", ``US / floor <= 1.5`` "at most one and a half times the floor's
#: time"; a ratio with no operator is shown without a target. Met or not met is printed, never
#: asserted.
TARGETS: dict[str, tuple[Target, ...]] = {
    "list": (
        Target(OPENAI, US, ">=", 10),
        Target(PORTKEY_AI, US, ">=", 4),
        Target(US, FLOOR, "<=", 1.5),
        Target(US, FLOOR_ORJSON, ""),
    ),
    "stream": (
        Target(OPENAI, US, ">=", 15, "iterating the events"),
        Target(US, FLOOR_STREAM, "<=", 1.5, "iterating the events"),
    ),
    "stream" + ACC: (
        Target(OPENAI + ACC, US, ">=", 15, "with the snapshots' text"),
        Target(US, FLOOR_STREAM, "<=", 1.5, "with the snapshots' text"),
        Target(PORTKEY_AI + ACC, US, "", note="with the snapshots' text"),
    ),
}


def targets(job: str, ours: str) -> list[Target]:
    """The targets of ``job`` (a key of :data:`TARGETS`) for our row ``ours``."""
    return [
        replace(
            target,
            numerator=ours if target.numerator == US else target.numerator,
            denominator=ours if target.denominator == US else target.denominator,
        )
        for target in TARGETS[job]
    ]


R = TypeVar("R")


def _quiet(job: Callable[[], R]) -> Callable[[], R]:
    """``job`` without the SDKs' DeprecationWarning for the Assistants API."""

    def quiet() -> R:
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


def _checked(
    job: Callable[[], R], expected: R, units: Callable[[R], int], name: str
) -> Callable[[], int]:
    """``job`` as the harness times it: the number of units it handled, once what it read is
    checked against what the payload holds (the check is the same for every contender)."""

    def checked() -> int:
        got = job()
        if got != expected:
            raise AssertionError(f"{name} did not read what the payload holds")
        return units(got)

    return checked


def _units(read: Listed | Streamed | Accumulated) -> int:
    return read[0]


class Fixture:
    """The payloads, what a reader finds in them, and a client of each contender over the
    in-memory transports."""

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
        #: What every listing reads: its runs, the last with these fields.
        self.listed: Listed = (total_runs, c.floor_run(payloads.make_run(total_runs - 1)))
        #: What every stream's reading finds: its events, and the text of their deltas.
        self.streamed: Streamed = (total_events, self.text)
        #: And, accumulated, the message's text of the snapshots.
        self.accumulated: Accumulated = (total_events, self.text, self.text)

    def httpx(self) -> httpx.MockTransport:
        return httpx_transport(self.pages, self.stream)

    def httpx2(self) -> httpx2.MockTransport:
        return httpx2_transport(self.pages, self.stream)


def _listing(
    name: str,
    description: str,
    fx: Fixture,
    jobs: dict[str, Callable[[], Listed]],
    rounds: int,
    progress: Callable[[str], None],
    profile: bool,
) -> Result:
    """A listing scenario: each job checked, timed per run, with each of our rows' targets."""
    result = run_scenario(
        name,
        description,
        "microseconds per run",
        {
            who: per_unit(_checked(job, fx.listed, _units, who), fx.total_runs, who)
            for who, job in jobs.items()
        },
        [target for ours in OURS for target in targets("list", ours)],
        rounds=rounds,
        progress=progress,
        profiled={ours: jobs[ours] for ours in OURS} if profile else None,
    )
    if FLOOR_ORJSON not in jobs:
        result.notes.append("orjson is not installed: no orjson floor")
    return result


def list_sync(
    fx: Fixture, rounds: int, progress: Callable[[str], None], profile: bool = False
) -> Result:
    thread = payloads.THREAD_ID
    sdk = c.openai_client(BASE_URL, httpx2.Client(transport=fx.httpx2()))
    pk = c.portkey_ai_client(BASE_URL, httpx.Client(transport=fx.httpx()))
    floor = httpx.Client(base_url=BASE_URL + "/", transport=fx.httpx())

    def ours(strict: bool) -> Callable[[], Listed]:
        client = c.portkey_runs_client(BASE_URL, transport=fx.httpx(), strict_responses=strict)
        return lambda: c.portkey_runs_list(client, thread)

    jobs: dict[str, Callable[[], Listed]] = {
        **{row: ours(strict) for row, strict in MODES.items()},
        OPENAI: _quiet(lambda: c.openai_list(sdk, thread)),
        PORTKEY_AI: _quiet(lambda: c.portkey_ai_list(pk, thread)),
        FLOOR: lambda: c.floor_list(floor, thread),
    }
    loads = _orjson_loads()
    if loads is not None:
        jobs[FLOOR_ORJSON] = lambda: c.floor_list(floor, thread, loads)
    return _listing(
        "list (sync)",
        f"{fx.total_runs:,} runs in pages of 100 from an in-memory transport",
        fx,
        jobs,
        rounds,
        progress,
        profile,
    )


def list_async(
    fx: Fixture, rounds: int, progress: Callable[[str], None], profile: bool = False
) -> Result:
    thread = payloads.THREAD_ID
    loop = asyncio.new_event_loop()

    def sync(make: Callable[[], Coroutine[Any, Any, R]]) -> Callable[[], R]:
        return lambda: loop.run_until_complete(make())

    def ours(strict: bool) -> Callable[[], Listed]:
        client = c.portkey_runs_client(
            BASE_URL, async_transport=fx.httpx(), strict_responses=strict
        )
        return sync(lambda: c.portkey_runs_alist(client, thread))

    sdk = c.openai_async_client(BASE_URL, httpx2.AsyncClient(transport=fx.httpx2()))
    pk = c.portkey_ai_async_client(BASE_URL, httpx.AsyncClient(transport=fx.httpx()))
    floor = httpx.AsyncClient(base_url=BASE_URL + "/", transport=fx.httpx())
    jobs: dict[str, Callable[[], Listed]] = {
        **{row: ours(strict) for row, strict in MODES.items()},
        OPENAI: _quiet(sync(lambda: c.openai_alist(sdk, thread))),
        PORTKEY_AI: _quiet(sync(lambda: c.portkey_ai_alist(pk, thread))),
        FLOOR: sync(lambda: c.floor_alist(floor, thread)),
    }
    loads = _orjson_loads()
    if loads is not None:
        jobs[FLOOR_ORJSON] = sync(lambda: c.floor_alist(floor, thread, loads))
    try:
        return _listing(
            "list (async)",
            f"{fx.total_runs:,} runs in pages of 100 from an in-memory transport, one event loop",
            fx,
            jobs,
            rounds,
            progress,
            profile,
        )
    finally:
        loop.close()


def stream(
    fx: Fixture, rounds: int, progress: Callable[[str], None], profile: bool = False
) -> Result:
    thread, run, outputs = payloads.THREAD_ID, payloads.RUN_ID, fx.outputs
    sdk = c.openai_client(BASE_URL, httpx2.Client(transport=fx.httpx2()))
    pk = c.portkey_ai_client(BASE_URL, httpx.Client(transport=fx.httpx()))
    floor = httpx.Client(base_url=BASE_URL + "/", transport=fx.httpx())
    plain: dict[str, Callable[[], Streamed]] = {
        OPENAI: _quiet(lambda: c.openai_stream(sdk, thread, run, outputs)),
        PORTKEY_AI: _quiet(lambda: c.portkey_ai_stream(pk, thread, run, outputs)),
        FLOOR_STREAM: lambda: c.floor_stream(floor, thread, run, outputs),
    }
    accumulated: dict[str, Callable[[], Accumulated]] = {
        OPENAI + ACC: _quiet(lambda: c.openai_stream_accumulated(sdk, thread, run, outputs)),
        PORTKEY_AI + ACC: _quiet(lambda: c.portkey_ai_stream_accumulated(pk, thread, run, outputs)),
    }

    def ours(strict: bool) -> tuple[Callable[[], Streamed], Callable[[], Accumulated]]:
        client = c.portkey_runs_client(BASE_URL, transport=fx.httpx(), strict_responses=strict)
        return (
            lambda: c.portkey_runs_read_stream(client, thread, run, outputs),
            lambda: c.portkey_runs_accumulate(client, thread, run, outputs),
        )

    for row, strict in MODES.items():
        plain[row], accumulated[row + ACC] = ours(strict)
    order = [*OURS, *(row + ACC for row in OURS), OPENAI, OPENAI + ACC, PORTKEY_AI]
    order += [PORTKEY_AI + ACC, FLOOR_STREAM]
    measures = {
        who: per_unit(
            _checked(plain[who], fx.streamed, _units, who)
            if who in plain
            else _checked(accumulated[who], fx.accumulated, _units, who),
            fx.total_events,
            who,
        )
        for who in order
    }
    result = run_scenario(
        "stream",
        f"a {fx.total_events:,}-event stream (mostly thread.message.delta) in 64 KiB chunks "
        "from an in-memory transport",
        "microseconds per event",
        measures,
        [
            *(target for ours in OURS for target in targets("stream", ours)),
            *(target for ours in OURS for target in targets("stream" + ACC, ours + ACC)),
        ],
        rounds=rounds,
        progress=progress,
        profiled={**{o: plain[o] for o in OURS}, **{o + ACC: accumulated[o + ACC] for o in OURS}}
        if profile
        else None,
    )
    result.notes.append(
        "every row reads each text delta's value; accumulation: openai and portkey-ai build "
        "the SDK's message/run/step snapshots (submit_tool_outputs_stream); portkey-runs "
        "always rebuilds its message and step snapshots as the events pass (iterating pays "
        "for it too), and '+ accumulation' also reads final_text() from them"
    )
    return result
