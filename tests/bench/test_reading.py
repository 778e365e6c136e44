"""The benchmark's readers: every contender reads the same values from the same payload.

Each library's objects come from the library itself, over the benchmark's in-memory transports,
and the values its reader takes from them are compared with what the floor's reader takes from
the decoded JSON: per run, its id, status, created_at and model; per event, each text delta's
value.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import httpx2
import pytest

from benchmarks import contenders as c
from benchmarks import payloads
from benchmarks.inmemory import BASE_URL, httpx2_transport, httpx_transport
from portkey_runs_api.types import Lazy
from tests.overlay.test_lazy_reading import _unbuilt

THREAD, RUN = payloads.THREAD_ID, payloads.RUN_ID
OUTPUTS = [{"tool_call_id": call, "output": "21 degrees"} for call in payloads.CALL_IDS]
TOTAL_RUNS = 230  # three pages, the last one short


@pytest.fixture(autouse=True)
def _no_deprecation_warnings() -> Iterator[None]:
    """The SDKs warn that the Assistants API is deprecated: not what these tests are about."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def _mixed_events() -> list[tuple[str, Any]]:
    """A short stream whose first delta has three parts: text, an image file, text again."""
    events = payloads.stream_events(24)
    first = next(i for i, (name, _) in enumerate(events) if name == c.DELTA)
    data = json.loads(json.dumps(events[first][1]))
    data["delta"]["content"] = [
        {"index": 0, "type": "text", "text": {"value": "It", "annotations": []}},
        {"index": 1, "type": "image_file", "image_file": {"file_id": "file_1"}},
        {"index": 2, "type": "text", "text": {"value": " rains"}},
    ]
    events[first] = (c.DELTA, data)
    return events


EVENTS = _mixed_events()
PAGES = payloads.run_pages(TOTAL_RUNS)


def _expected_runs() -> list[c.RunFields]:
    return [c.floor_run(run) for body in PAGES.values() for run in json.loads(body)["data"]]


def _expected_texts() -> list[list[str]]:
    return [c.floor_texts(name, data) for name, data in EVENTS if name != "done"]


def test_the_payloads_hold_what_is_compared() -> None:
    """The comparisons below are not of empty lists: runs of every status, a mixed delta."""
    runs = _expected_runs()
    assert len(runs) == TOTAL_RUNS
    assert {status for _, status, _, _ in runs} == {
        "requires_action",
        "completed",
        "failed",
        "in_progress",
    }
    texts = _expected_texts()
    assert ["It", " rains"] in texts
    assert sum(1 for pieces in texts if pieces) > 10
    assert texts[0] == []  # a step event: no text


def _transport() -> httpx.MockTransport:
    return httpx_transport(PAGES, payloads.sse_body(EVENTS))


def _transport2() -> httpx2.MockTransport:
    return httpx2_transport(PAGES, payloads.sse_body(EVENTS))


@pytest.mark.parametrize("strict", [True, False], ids=["eager", "lazy"])
def test_portkey_runs_reads_each_run_as_the_floor(strict: bool) -> None:
    client = c.portkey_runs_client(BASE_URL, transport=_transport(), strict_responses=strict)
    runs = list(client.runs.list(THREAD, limit=100))
    assert [c.portkey_runs_run(run) for run in runs] == _expected_runs()


def _unbuilt_everywhere(objects: list[Any]) -> set[str]:
    """The lazy properties left untyped on any of ``objects`` (looked at without typing them)."""
    return {name for obj in objects if isinstance(obj, Lazy) for name in _unbuilt(obj)}


@pytest.mark.parametrize("strict", [True, False], ids=["eager", "lazy"])
def test_our_rows_read_as_their_mode_says(strict: bool) -> None:
    """The lazy row's readers type nothing the client does not need (its runs' and events'
    nested properties stay untyped); the eager row's objects are typed whole at arrival."""
    client = c.portkey_runs_client(BASE_URL, transport=_transport(), strict_responses=strict)
    runs = list(client.runs.list(THREAD, limit=100))
    for run in runs:
        c.portkey_runs_run(run)
    with c.portkey_runs_stream(client, THREAD, RUN, OUTPUTS) as stream:
        events = list(stream)
    for event in events:
        c.portkey_runs_texts(event)
    data = [event.data for event in events]
    if strict:
        assert _unbuilt_everywhere(runs) == _unbuilt_everywhere(data) == set()
    else:
        assert {"tools", "usage", "metadata"} <= _unbuilt_everywhere(runs)
        assert {"content", "step_details", "tools"} <= _unbuilt_everywhere(data)


def test_openai_reads_each_run_as_the_floor() -> None:
    sdk = c.openai_client(BASE_URL, httpx2.Client(transport=_transport2()))
    runs = list(sdk.beta.threads.runs.list(THREAD, limit=100))
    assert [c.openai_run(run) for run in runs] == _expected_runs()


def test_portkey_ai_reads_each_run_as_the_floor() -> None:
    pk = c.portkey_ai_client(BASE_URL, httpx.Client(transport=_transport()))
    read: list[c.RunFields] = []
    after: dict[str, str] = {}
    while True:
        page = pk.beta.threads.runs.list(THREAD, limit=100, **after)
        read += [c.portkey_ai_run(run) for run in page.data]
        if not page.has_more:
            break
        after = {"after": page.last_id}
    assert read == _expected_runs()


@pytest.mark.parametrize("strict", [True, False], ids=["eager", "lazy"])
def test_portkey_runs_reads_each_event_as_the_floor(strict: bool) -> None:
    client = c.portkey_runs_client(BASE_URL, transport=_transport(), strict_responses=strict)
    with c.portkey_runs_stream(client, THREAD, RUN, OUTPUTS) as stream:
        assert [c.portkey_runs_texts(event) for event in stream] == _expected_texts()


def test_openai_reads_each_event_as_the_floor() -> None:
    sdk = c.openai_client(BASE_URL, httpx2.Client(transport=_transport2()))
    with sdk.beta.threads.runs.submit_tool_outputs(
        RUN, thread_id=THREAD, tool_outputs=OUTPUTS, stream=True
    ) as stream:
        assert [c.openai_texts(event) for event in stream] == _expected_texts()


def test_portkey_ai_reads_each_event_as_the_floor() -> None:
    pk = c.portkey_ai_client(BASE_URL, httpx.Client(transport=_transport()))
    with pk.beta.threads.runs.submit_tool_outputs_stream(
        run_id=RUN, thread_id=THREAD, tool_outputs=OUTPUTS
    ) as stream:
        assert [c.portkey_ai_texts(event) for event in stream] == _expected_texts()


# --------------------------------------------------------------- the jobs, as timed


def _listed() -> c.Listed:
    return TOTAL_RUNS, _expected_runs()[-1]


def _streamed() -> c.Streamed:
    return len(_expected_texts()), "".join(piece for ps in _expected_texts() for piece in ps)


LISTINGS = (
    "ours eager",
    "ours lazy",
    "ours async",
    "openai",
    "openai async",
    "portkey-ai",
    "portkey-ai async",
    "floor",
    "floor async",
)


@pytest.fixture
def list_jobs() -> Iterator[dict[str, Callable[[], c.Listed]]]:
    """Each contender's listing job, as the benchmark times it (the async ones on a loop)."""
    loop = asyncio.new_event_loop()

    def ours(strict: bool) -> Any:
        return c.portkey_runs_client(BASE_URL, transport=_transport(), strict_responses=strict)

    def ours_async(strict: bool) -> Any:
        return c.portkey_runs_client(
            BASE_URL, async_transport=_transport(), strict_responses=strict
        )

    sdk = c.openai_client(BASE_URL, httpx2.Client(transport=_transport2()))
    asdk = c.openai_async_client(BASE_URL, httpx2.AsyncClient(transport=_transport2()))
    pk = c.portkey_ai_client(BASE_URL, httpx.Client(transport=_transport()))
    apk = c.portkey_ai_async_client(BASE_URL, httpx.AsyncClient(transport=_transport()))
    floor = httpx.Client(base_url=BASE_URL + "/", transport=_transport())
    afloor = httpx.AsyncClient(base_url=BASE_URL + "/", transport=_transport())
    yield {
        "ours eager": lambda: c.portkey_runs_list(ours(True), THREAD),
        "ours lazy": lambda: c.portkey_runs_list(ours(False), THREAD),
        "ours async": lambda: loop.run_until_complete(
            c.portkey_runs_alist(ours_async(False), THREAD)
        ),
        "openai": lambda: c.openai_list(sdk, THREAD),
        "openai async": lambda: loop.run_until_complete(c.openai_alist(asdk, THREAD)),
        "portkey-ai": lambda: c.portkey_ai_list(pk, THREAD),
        "portkey-ai async": lambda: loop.run_until_complete(c.portkey_ai_alist(apk, THREAD)),
        "floor": lambda: c.floor_list(floor, THREAD),
        "floor async": lambda: loop.run_until_complete(c.floor_alist(afloor, THREAD)),
    }
    loop.close()


@pytest.mark.parametrize("who", LISTINGS)
def test_every_listing_job_reads_every_run(
    who: str, list_jobs: dict[str, Callable[[], c.Listed]]
) -> None:
    """What a timed listing keeps: how many runs it read, and the last one's fields."""
    assert set(list_jobs) == set(LISTINGS)
    assert list_jobs[who]() == _listed()


def test_every_stream_job_reads_every_delta() -> None:
    sdk = c.openai_client(BASE_URL, httpx2.Client(transport=_transport2()))
    floor = httpx.Client(base_url=BASE_URL + "/", transport=_transport())
    for strict in (True, False):
        client = c.portkey_runs_client(BASE_URL, transport=_transport(), strict_responses=strict)
        assert c.portkey_runs_read_stream(client, THREAD, RUN, OUTPUTS) == _streamed()
    assert c.openai_stream(sdk, THREAD, RUN, OUTPUTS) == _streamed()
    assert c.floor_stream(floor, THREAD, RUN, OUTPUTS) == _streamed()


def test_every_accumulating_job_reads_every_delta_and_the_snapshots_text() -> None:
    """On the benchmark's own stream (one text part): the deltas' text and the snapshot's
    are the message's whole text."""
    events = payloads.stream_events(40)
    text = payloads.full_text(events)
    body = payloads.sse_body(events)
    sdk = c.openai_client(BASE_URL, httpx2.Client(transport=httpx2_transport(PAGES, body)))
    pk = c.portkey_ai_client(BASE_URL, httpx.Client(transport=httpx_transport(PAGES, body)))
    expected = (40, text, text)
    for strict in (True, False):
        transport = httpx_transport(PAGES, body)
        client = c.portkey_runs_client(BASE_URL, transport=transport, strict_responses=strict)
        assert c.portkey_runs_accumulate(client, THREAD, RUN, OUTPUTS) == expected
    assert c.openai_stream_accumulated(sdk, THREAD, RUN, OUTPUTS) == expected
    assert c.portkey_ai_stream_accumulated(pk, THREAD, RUN, OUTPUTS) == expected


def test_portkey_ai_cannot_stream_a_plain_submission() -> None:
    """Why its plain stream row says FAILED: portkey-ai reads a streamed body as a whole."""
    pk = c.portkey_ai_client(BASE_URL, httpx.Client(transport=_transport()))
    with pytest.raises(httpx.ResponseNotRead):
        c.portkey_ai_stream(pk, THREAD, RUN, OUTPUTS)
