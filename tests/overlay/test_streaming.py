"""Streaming tool outputs: typed events as they arrive, errors that raise, clean closing."""

from __future__ import annotations

import json
import threading
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from portkey_runs import (
    AssistantStreamEvent,
    AsyncClient,
    BadRequestError,
    Client,
    IncompleteStreamError,
    StreamError,
    UnknownEvent,
)
from portkey_runs._events import event_types
from portkey_runs._sse import SSEDecoder
from portkey_runs_api import models
from portkey_runs_api.models import Message, MessageDelta, Run, RunStep
from tests._loopback import LoopbackServer, Reply, connection_pool

ROOT = Path(__file__).resolve().parents[2]
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())
_OP = SPEC["paths"]["/threads/{thread_id}/runs/{run_id}/submit_tool_outputs"]["post"]
EXAMPLE: str = _OP["responses"]["200"]["content"]["text/event-stream"]["examples"]["stream"][
    "value"
]
EVENTS = [(e.event, e.data) for e in SSEDecoder().feed(EXAMPLE.encode())]
OUTPUTS = [{"tool_call_id": "call_001", "output": "70 degrees and sunny."}]
SSE_HEADERS = {"content-type": "text/event-stream"}


def sse(events: list[tuple[str, str]]) -> bytes:
    return b"".join(f"event: {name}\ndata: {data}\n\n".encode() for name, data in events)


def run_data(status: str) -> str:
    for name, data in EVENTS:
        if name == f"thread.run.{status}":
            return data
    raise AssertionError(status)


@pytest.fixture
def client(loopback: LoopbackServer) -> Iterator[Client]:
    with Client("pk-test", base_url=loopback.url, max_retries=0) as c:
        yield c


def test_event_table_matches_the_spec_stream_union() -> None:
    mapping = SPEC["components"]["schemas"]["AssistantStreamEvent"]["discriminator"]["mapping"]
    table = event_types()
    assert set(table) | {"error", "done"} == set(mapping)
    for name, (event_model, data_model) in table.items():
        schema_name = mapping[name].rsplit("/", 1)[-1]
        assert event_model.__name__ == schema_name, name
        schema = SPEC["components"]["schemas"][schema_name]
        assert schema["properties"]["data"]["$ref"].endswith("/" + data_model.__name__), name


def test_every_generated_event_model_is_in_the_union() -> None:
    generated = {
        name for name in dir(models) if name.startswith("Thread") and name.endswith("Event")
    }
    in_union = {cls.__name__ for cls in typing.get_args(AssistantStreamEvent)}
    assert in_union == generated, "a new event in the spec must join AssistantStreamEvent"


def test_the_spec_example_streams_as_typed_events(loopback: LoopbackServer, client: Client) -> None:
    loopback.replies.append(Reply(200, [EXAMPLE.encode()], SSE_HEADERS))
    with client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS) as stream:
        events = list(stream)
    assert [e.event for e in events] == [name for name, _ in EVENTS if name != "done"]
    for event in events:
        event_model, data_model = event_types()[event.event]
        assert type(event) is event_model
        assert isinstance(event.data, data_model)
        assert event.is_unknown is False
    assert isinstance(stream.final_run, Run)
    assert stream.final_run.status.value == "completed"
    (request,) = loopback.requests
    assert request.json() == {"tool_outputs": OUTPUTS, "stream": True}
    assert request.headers["accept"] == "text/event-stream"


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64])
def test_events_split_across_tcp_chunks_arrive_whole_and_once(
    size: int, loopback: LoopbackServer, client: Client
) -> None:
    body = EXAMPLE.replace("\n", "\r\n").encode()
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    loopback.replies.append(Reply(200, chunks, SSE_HEADERS))
    with client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS) as stream:
        names = [e.event for e in stream]
    assert names == [name for name, _ in EVENTS if name != "done"]


def test_first_event_is_available_before_the_server_finishes(
    loopback: LoopbackServer, client: Client
) -> None:
    first = sse([("thread.run.queued", run_data("queued"))])
    rest = sse([("thread.run.completed", run_data("completed")), ("done", "[DONE]")])
    opened_at_start, rest_gate = threading.Event(), threading.Event()
    opened_at_start.set()
    reply = Reply(200, [first, rest], SSE_HEADERS, gates=[opened_at_start, rest_gate])
    loopback.replies.append(reply)
    with client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS) as stream:
        seen = []
        for event in stream:
            seen.append(event.event)
            rest_gate.set()  # only now may the server send the rest
    assert seen == ["thread.run.queued", "thread.run.completed"]
    assert reply.opened == [True, True], "the client waited for the whole body"


def test_breaking_early_then_leaving_the_block_closes_the_connection(
    loopback: LoopbackServer, client: Client
) -> None:
    gate = threading.Event()
    opened = threading.Event()
    opened.set()
    rest = sse([("thread.run.completed", run_data("completed")), ("done", "[DONE]")])
    reply = Reply(
        200,
        [sse([("thread.run.queued", run_data("queued"))]), rest],
        SSE_HEADERS,
        gates=[opened, gate],
    )
    loopback.replies.append(reply)
    with client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS) as stream:
        for event in stream:
            assert event.event == "thread.run.queued"
            break
        # A break leaves the stream where it was, open: the caller may read on.
        assert not stream.response.is_closed
    assert stream.response.is_closed
    gate.set()
    assert stream.final_run is not None
    assert stream.final_run.status.value == "queued"
    with pytest.raises(StreamError, match="closed after 1 event"):
        next(stream)


def test_a_stream_is_an_iterator_that_continues_where_it_stopped(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(Reply(200, [EXAMPLE.encode()], SSE_HEADERS))
    expected = [name for name, _ in EVENTS if name != "done"]
    with client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS) as stream:
        assert iter(stream) is stream
        first = next(stream)
        second = next(iter(stream))
        names = [first.event, second.event]
        for event in stream:  # continues with the third event
            names.append(event.event)
            if len(names) == 5:
                break
        for event in stream:  # a second loop shares the position of the first
            names.append(event.event)
        assert names == expected
        assert list(stream) == [], "a finished stream yields nothing"
        assert stream.until_done().status.value == "completed"
        with pytest.raises(StopIteration):
            next(stream)


def test_until_done_after_next_reads_only_the_rest(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(Reply(200, [EXAMPLE.encode()], SSE_HEADERS))
    with client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS) as stream:
        assert next(stream).event == EVENTS[0][0]
        assert stream.until_done().status.value == "completed"


def test_a_submission_is_sent_once_even_if_its_block_is_entered_twice(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(Reply(200, [EXAMPLE.encode()], SSE_HEADERS))
    manager = client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS)
    assert loopback.requests == [], "nothing is sent before the block is entered"
    with manager as stream:
        stream.until_done()
    with pytest.raises(StreamError, match="sent already"), manager:
        pass
    assert len(loopback.requests) == 1


def test_stream_arguments_are_checked_at_the_call(loopback: LoopbackServer, client: Client) -> None:
    with pytest.raises(ValueError, match="thread_id must not contain '/'"):
        client.runs.stream_tool_outputs("a/b", "run_1", OUTPUTS)
    with pytest.raises(TypeError, match="unexpected keyword argument 'timout'"):
        client.runs.stream_tool_outputs("t", "r", OUTPUTS, timout=3)  # type: ignore[call-arg]
    assert loopback.requests == []


def test_unknown_event_names_come_as_raw_json_not_a_wrong_type(
    loopback: LoopbackServer, client: Client
) -> None:
    events = [
        ("thread.run.paused", run_data("queued")),
        ("thread.run.step.teleported", '{"anything": [1, 2]}'),
        ("thread.run.completed", run_data("completed")),
        ("done", "[DONE]"),
    ]
    loopback.replies.append(Reply(200, [sse(events)], SSE_HEADERS))
    with client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS) as stream:
        got = list(stream)
    assert isinstance(got[0], UnknownEvent)
    assert (got[0].event, got[0].name, got[0].is_unknown) == ("unknown", "thread.run.paused", True)
    assert got[0].data == json.loads(run_data("queued"))
    assert isinstance(got[1], UnknownEvent)
    assert got[1].name == "thread.run.step.teleported"
    assert got[1].data == {"anything": [1, 2]}
    assert isinstance(got[2].data, Run)
    assert stream.final_run is got[2].data


def test_error_event_raises_stream_error_with_the_server_error(
    loopback: LoopbackServer, client: Client
) -> None:
    error = {
        "code": "server_error",
        "message": "The model crashed.",
        "param": None,
        "type": "server_error",
    }
    events = [("thread.run.queued", run_data("queued")), ("error", json.dumps(error))]
    loopback.replies.append(Reply(200, [sse(events)], SSE_HEADERS))
    seen = []
    with client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS) as stream:
        with pytest.raises(StreamError, match=r"The model crashed\.") as info:
            for event in stream:
                seen.append(event.event)
    assert seen == ["thread.run.queued"]
    assert info.value.error is not None
    assert info.value.error.code == "server_error"
    assert info.value.error.message == "The model crashed."


def test_a_wrapped_error_object_is_understood_too(loopback: LoopbackServer, client: Client) -> None:
    body = json.dumps({"error": {"message": "upstream gone", "type": "api_error"}})
    loopback.replies.append(Reply(200, [sse([("error", body)])], SSE_HEADERS))
    with (
        client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream,
        pytest.raises(StreamError, match="upstream gone"),
    ):
        list(stream)


def test_stream_cut_mid_event_is_a_clear_error(loopback: LoopbackServer, client: Client) -> None:
    whole = sse([("thread.run.queued", run_data("queued"))])
    partial = b'event: thread.run.completed\ndata: {"id": "run_'
    loopback.replies.append(Reply(200, [whole, partial], SSE_HEADERS, cut=True))
    with client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS) as stream:
        seen = []
        with pytest.raises(IncompleteStreamError, match="broke off after 1 event"):
            for event in stream:
                seen.append(event.event)
    assert seen == ["thread.run.queued"]


def test_stream_ending_cleanly_mid_event_is_a_clear_error(
    loopback: LoopbackServer, client: Client
) -> None:
    body = sse([("thread.run.queued", run_data("queued"))]) + b"event: thread.run.completed\n"
    loopback.replies.append(Reply(200, [body], SSE_HEADERS))
    with (
        client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream,
        pytest.raises(IncompleteStreamError, match="in the middle of an event after 1 event"),
    ):
        list(stream)


def test_stream_ending_without_done_is_a_clear_error(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(
        Reply(200, [sse([("thread.run.queued", run_data("queued"))])], SSE_HEADERS)
    )
    with (
        client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream,
        pytest.raises(IncompleteStreamError, match="before its done event"),
    ):
        list(stream)


def test_invalid_event_data_is_a_stream_error(loopback: LoopbackServer, client: Client) -> None:
    loopback.replies.append(Reply(200, [sse([("thread.run.queued", "{not json")])], SSE_HEADERS))
    with (
        client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream,
        pytest.raises(StreamError, match=r"event thread\.run\.queued: data is not JSON"),
    ):
        list(stream)


def test_error_status_on_a_stream_is_a_typed_error(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(
        Reply.json(
            {
                "error": {
                    "message": "Run is not awaiting tool outputs",
                    "type": "invalid_request_error",
                }
            },
            400,
        )
    )
    with pytest.raises(BadRequestError, match="not awaiting"):
        with client.runs.stream_tool_outputs("t", "r", OUTPUTS):
            pass


def test_json_answer_to_a_stream_request_is_refused(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(Reply.json(json.loads(run_data("queued"))))
    with pytest.raises(StreamError, match="expected a text/event-stream answer"):
        with client.runs.stream_tool_outputs("t", "r", OUTPUTS):
            pass


def test_until_done_returns_the_final_run(loopback: LoopbackServer, client: Client) -> None:
    loopback.replies.append(Reply(200, [EXAMPLE.encode()], SSE_HEADERS))
    with client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS) as stream:
        run = stream.until_done()
    assert run is not None
    assert run.status.value == "completed"


def test_data_models_per_event_family(loopback: LoopbackServer, client: Client) -> None:
    loopback.replies.append(Reply(200, [EXAMPLE.encode()], SSE_HEADERS))
    with client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS) as stream:
        kinds = {e.event: type(e.data) for e in stream}
    assert kinds["thread.run.step.completed"] is RunStep
    assert kinds["thread.message.completed"] is Message
    assert kinds["thread.message.delta"] is MessageDelta
    assert kinds["thread.run.completed"] is Run


async def test_async_stream_yields_the_same_events(loopback: LoopbackServer) -> None:
    body = EXAMPLE.encode()
    loopback.replies.append(
        Reply(200, [body[i : i + 5] for i in range(0, len(body), 5)], SSE_HEADERS)
    )
    async with AsyncClient("pk", base_url=loopback.url) as client:
        async with client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS) as stream:
            names = [e.event async for e in stream]
    assert names == [name for name, _ in EVENTS if name != "done"]
    assert stream.final_run is not None


async def test_async_first_event_before_the_server_finishes(loopback: LoopbackServer) -> None:
    started, gate = threading.Event(), threading.Event()
    started.set()
    rest = sse([("thread.run.completed", run_data("completed")), ("done", "[DONE]")])
    reply = Reply(
        200,
        [sse([("thread.run.queued", run_data("queued"))]), rest],
        SSE_HEADERS,
        gates=[started, gate],
    )
    loopback.replies.append(reply)
    async with AsyncClient("pk", base_url=loopback.url) as client:
        async with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            async for _ in stream:
                gate.set()
    assert reply.opened == [True, True]


async def test_async_error_event_and_cut_stream_raise(loopback: LoopbackServer) -> None:
    error = json.dumps({"message": "boom", "type": "server_error", "param": None, "code": None})
    loopback.replies.append(Reply(200, [sse([("error", error)])], SSE_HEADERS))
    loopback.replies.append(
        Reply(200, [b"event: thread.run.queued\ndata: {"], SSE_HEADERS, cut=True)
    )
    async with AsyncClient("pk", base_url=loopback.url, max_retries=0) as client:
        async with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            with pytest.raises(StreamError, match="boom"):
                async for _ in stream:
                    pass
        async with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            with pytest.raises(IncompleteStreamError, match="broke off after 0 event"):
                async for _ in stream:
                    pass


async def test_async_early_break_closes_the_connection(loopback: LoopbackServer) -> None:
    loopback.replies.append(Reply(200, [EXAMPLE.encode()], SSE_HEADERS))
    async with AsyncClient("pk", base_url=loopback.url) as client:
        async with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            async for _ in stream:
                break
    assert stream.response.is_closed


def test_a_stream_is_never_retried_after_its_first_byte(loopback: LoopbackServer) -> None:
    loopback.replies.append(
        Reply(200, [b"event: thread.run.queued\ndata: {"], SSE_HEADERS, cut=True)
    )
    loopback.replies.append(Reply(200, [EXAMPLE.encode()], SSE_HEADERS))
    with Client("pk", base_url=loopback.url, max_retries=5) as client:
        with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            with pytest.raises(IncompleteStreamError):
                list(stream)
    assert len(loopback.requests) == 1


async def test_async_until_done_and_the_end_without_done(loopback: LoopbackServer) -> None:
    loopback.replies.append(Reply(200, [EXAMPLE.encode()], SSE_HEADERS))
    loopback.replies.append(
        Reply(200, [sse([("thread.run.queued", run_data("queued"))])], SSE_HEADERS)
    )
    async with AsyncClient("pk", base_url=loopback.url) as client:
        async with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            run = await stream.until_done()
        assert run is not None
        assert run.status.value == "completed"
        async with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            with pytest.raises(IncompleteStreamError, match="before its done event after 1 event"):
                await stream.until_done()


async def test_async_error_status_and_refused_connection_on_a_stream_are_typed(
    loopback: LoopbackServer,
) -> None:
    from portkey_runs import APIConnectionError
    from tests._loopback import free_port

    loopback.replies.append(
        Reply.json({"error": {"message": "Run is not awaiting tool outputs", "type": "x"}}, 400)
    )
    async with AsyncClient("pk", base_url=loopback.url) as client:
        with pytest.raises(BadRequestError, match="not awaiting"):
            async with client.runs.stream_tool_outputs("t", "r", OUTPUTS):
                pass
    async with AsyncClient("pk", base_url=f"http://127.0.0.1:{free_port()}", max_retries=0) as c:
        with pytest.raises(APIConnectionError, match="ConnectError"):
            async with c.runs.stream_tool_outputs("t", "r", OUTPUTS):
                pass


async def test_an_async_stream_is_an_iterator_that_continues_where_it_stopped(
    loopback: LoopbackServer,
) -> None:
    loopback.replies.append(Reply(200, [EXAMPLE.encode()], SSE_HEADERS))
    expected = [name for name, _ in EVENTS if name != "done"]
    async with AsyncClient("pk", base_url=loopback.url) as client:
        manager = client.runs.stream_tool_outputs("thread_123", "run_123", OUTPUTS)
        async with manager as stream:
            assert stream.__aiter__() is stream
            names = [(await anext(stream)).event, (await anext(stream)).event]
            async for event in stream:
                names.append(event.event)
                if len(names) == 4:
                    break
            async for event in stream:
                names.append(event.event)
            assert names == expected
            assert [e async for e in stream] == []
            assert (await stream.until_done()).status.value == "completed"
        with pytest.raises(StreamError, match="sent already"):
            async with manager:
                pass
    assert len(loopback.requests) == 1
    assert stream.response.is_closed


def test_a_stream_that_failed_raises_again_instead_of_ending_quietly(
    loopback: LoopbackServer, client: Client
) -> None:
    events = [("thread.run.queued", run_data("queued")), ("error", '{"message": "boom"}')]
    loopback.replies.append(Reply(200, [sse(events)], {**SSE_HEADERS, "x-request-id": "req_9"}))
    with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
        with pytest.raises(StreamError, match="boom") as first:
            list(stream)
        for again in (lambda: next(stream), stream.until_done, stream.final_text):
            with pytest.raises(StreamError, match="boom") as info:
                again()
            assert info.value is first.value
    assert first.value.request_id == "req_9", "a stream error carries the answer's metadata"


def test_a_cut_stream_raises_again_on_until_done(loopback: LoopbackServer, client: Client) -> None:
    loopback.replies.append(
        Reply(200, [sse([("thread.run.queued", run_data("queued"))])], SSE_HEADERS)
    )
    with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
        with pytest.raises(IncompleteStreamError):
            stream.until_done()
        with pytest.raises(IncompleteStreamError):
            stream.until_done()
        with pytest.raises(IncompleteStreamError):
            list(stream)


async def test_an_async_stream_that_failed_raises_again(loopback: LoopbackServer) -> None:
    events = [("thread.run.queued", run_data("queued")), ("error", "plain words, not JSON")]
    loopback.replies.append(Reply(200, [sse(events)], SSE_HEADERS))
    async with AsyncClient("pk", base_url=loopback.url) as client:
        async with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            with pytest.raises(StreamError, match="reported an error: plain words, not JSON"):
                await stream.until_done()
            with pytest.raises(StreamError, match="plain words"):
                await anext(stream)


def test_a_stream_whose_whole_body_arrived_leaves_its_connection_for_the_next_request(
    loopback: LoopbackServer, client: Client
) -> None:
    # With a Content-Length, the end of the body is known to be in: reading it cannot wait.
    loopback.replies.append(Reply(200, EXAMPLE.encode(), SSE_HEADERS))
    loopback.replies.append(Reply(200, EXAMPLE.encode(), SSE_HEADERS))
    pool = connection_pool(client.api.get_httpx_client())
    for _ in range(2):
        with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            stream.until_done()
        assert [c.is_idle() for c in pool.connections] == [True], "kept alive, and reused"


async def test_an_async_stream_whose_whole_body_arrived_reads_what_follows_done_and_keeps_it(
    loopback: LoopbackServer,
) -> None:
    # What follows done is in already (Content-Length, read in one piece): reading it is free.
    body = EXAMPLE.encode() + b": trailing comment\n\n" * 3
    loopback.replies.extend(Reply(200, body, SSE_HEADERS) for _ in range(2))
    async with AsyncClient("pk", base_url=loopback.url, max_retries=0) as client:
        pool = connection_pool(client.api.get_async_httpx_client())
        for _ in range(2):
            async with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
                assert (await stream.until_done()).status.value == "completed"
                assert stream.response.num_bytes_downloaded == len(body), "read to its end"
            assert [c.is_idle() for c in pool.connections] == [True], "kept alive, and reused"


def test_a_chunked_stream_is_closed_at_done_and_the_next_request_connects_again(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(Reply(200, [EXAMPLE.encode()], SSE_HEADERS))
    loopback.replies.append(Reply(200, [EXAMPLE.encode()], SSE_HEADERS))
    pool = connection_pool(client.api.get_httpx_client())
    for _ in range(2):
        with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            assert stream.until_done().status.value == "completed"
            assert stream.response.is_closed
        assert pool.connections == [], "not kept: its end was not known to be in"
    assert len(loopback.requests) == 2


def held_after_done(loopback: LoopbackServer) -> tuple[Reply, threading.Event]:
    """A reply that sends its events up to ``done``, then holds the connection open (the
    body unfinished) until the test sets the returned event."""
    events = sse([("thread.run.completed", run_data("completed")), ("done", "[DONE]")])
    release = threading.Event()
    reply = Reply(
        200, [events, b": still here\n\n"], SSE_HEADERS, gates=[threading.Event(), release]
    )
    reply.gates[0].set()
    loopback.replies.append(reply)
    return reply, release


def test_leaving_a_stream_at_done_does_not_wait_for_the_server_to_close(
    loopback: LoopbackServer, client: Client
) -> None:
    reply, release = held_after_done(loopback)
    try:
        with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            names = [event.event for event in stream]
            # The server is still holding the connection: the loop above ended at done.
            assert reply.opened == [True]
            assert stream.response.is_closed
        assert names == ["thread.run.completed"]
        assert stream.until_done().status.value == "completed"
    finally:
        release.set()


async def test_leaving_an_async_stream_at_done_does_not_wait_either(
    loopback: LoopbackServer,
) -> None:
    reply, release = held_after_done(loopback)
    try:
        async with AsyncClient("pk", base_url=loopback.url, max_retries=0) as client:
            async with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
                names = [event.event async for event in stream]
                assert reply.opened == [True]
                assert stream.response.is_closed
        assert names == ["thread.run.completed"]
    finally:
        release.set()


def test_a_tool_loop_ends_at_done_while_the_server_holds_the_connection(
    loopback: LoopbackServer, client: Client
) -> None:
    call = {"id": "call_001", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    waiting = {
        **json.loads(run_data("completed")),
        "status": "requires_action",
        "required_action": {
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {"tool_calls": [call]},
        },
    }
    reply, release = held_after_done(loopback)
    try:
        thread = waiting["thread_id"]
        with client.runs.run_tools(
            thread, Run.from_dict(waiting), tools={"f": lambda: "ok"}
        ) as loop:
            final = loop.until_done()
            assert reply.opened == [True]
        assert final.status.value == "completed"
        assert loop.rounds == 1
    finally:
        release.set()


def test_nothing_after_an_error_in_the_same_chunk_is_handed_over(
    loopback: LoopbackServer, client: Client
) -> None:
    events = [
        ("thread.run.queued", run_data("queued")),
        ("error", '{"message": "boom"}'),
        ("thread.run.completed", run_data("completed")),
        ("done", "[DONE]"),
    ]
    loopback.replies.append(Reply(200, [sse(events)], SSE_HEADERS))  # one chunk
    with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
        assert next(stream).event == "thread.run.queued"
        for _ in range(2):
            with pytest.raises(StreamError, match="boom"):
                next(stream)
        assert stream.final_run is not None
        assert stream.final_run.status.value == "queued"


def test_a_body_that_goes_on_after_done_is_closed_not_read_to_its_end(
    loopback: LoopbackServer, client: Client
) -> None:
    done = sse([("thread.run.completed", run_data("completed")), ("done", "[DONE]")])
    chatter = b": keep-alive\n\n" * 10_000  # more than is read after done
    gate = threading.Event()  # never set: the rest would never come
    reply = Reply(
        200,
        [done, chatter, b"never sent"],
        SSE_HEADERS,
        gates=[threading.Event(), threading.Event(), gate],
    )
    reply.gates[0].set()
    reply.gates[1].set()
    loopback.replies.append(reply)
    with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
        assert stream.until_done().status.value == "completed"
        assert stream.response.is_closed
    gate.set()
