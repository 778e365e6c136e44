"""Every failure is a ``PortkeyError`` (issue 16, point 5): bodies nested as deep as a server
likes, and ids that no id holds, against scripted servers on loopback."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from portkey_runs import (
    Client,
    InternalServerError,
    ResponseValidationError,
    StreamError,
)
from portkey_runs._bounds import ERROR_BODY_BYTES
from portkey_runs.errors import MAX_BODY_DEPTH
from portkey_runs.testing import ReferenceState
from tests._loopback import LoopbackServer, Reply

OUTPUTS = [{"tool_call_id": "call_1", "output": "21"}]


def deep_object(depth: int, key: str = "a") -> bytes:
    """``{"a": {"a": ... 1 ...}}``, ``depth`` objects deep."""
    return f'{{"{key}":'.encode() * depth + b"1" + b"}" * depth


def depth_of(value: Any) -> int:
    """How many ``{"a": ...}`` objects ``value`` nests."""
    depth = 0
    while isinstance(value, dict):
        value, depth = value["a"], depth + 1
    return depth


def sse(*events: tuple[str, Any]) -> bytes:
    """An event stream: each ``(name, data)``, data as JSON unless it is bytes."""
    out = b""
    for name, data in events:
        raw = data if isinstance(data, bytes) else json.dumps(data).encode()
        out += f"event: {name}\n".encode() + b"data: " + raw + b"\n\n"
    return out


def stream_reply(body: bytes) -> Reply:
    return Reply(200, body, {"content-type": "text/event-stream"})


def a_run(status: str = "completed", **changes: Any) -> dict[str, Any]:
    """A Run as the reference server makes it (a thread of its own), with ``changes``."""
    state = ReferenceState(seed=5)
    thread = state.create_thread(statuses=[status])
    run: dict[str, Any] = state.runs(thread)[0].model_dump(mode="json", exclude_unset=True)
    return {**run, **changes}


def page(runs: list[dict[str, Any]], has_more: bool, **fields: Any) -> dict[str, Any]:
    return {
        "object": "list",
        "data": runs,
        "first_id": runs[0]["id"] if runs else None,
        "last_id": runs[-1]["id"] if runs else None,
        "has_more": has_more,
        **fields,
    }


@pytest.fixture
def client(loopback: LoopbackServer) -> Any:
    with Client("pk", base_url=loopback.url, max_retries=0) as c:
        yield c


# ------------------------------------------------------------------ error bodies


def test_an_error_body_nested_100000_deep_is_a_status_error_keeping_the_text(
    loopback: LoopbackServer, client: Client
) -> None:
    body = deep_object(100_000, "error")
    loopback.replies.append(Reply(500, body, {"content-type": "application/json"}))
    with pytest.raises(InternalServerError) as caught:
        list(client.runs.list("thread_1"))
    error = caught.value
    assert error.status_code == 500
    # Kept as text, as far as an error's body is read (its cap: the body is ~1 MB).
    assert len(body) > ERROR_BODY_BYTES
    assert error.body == body[:ERROR_BODY_BYTES].decode()
    assert error.error is None
    assert str(error).startswith("HTTP 500 from GET ")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is InternalServerError
    assert again.body == error.body


@pytest.mark.parametrize("depth", [MAX_BODY_DEPTH + 1, 1000])
def test_an_error_body_the_decoder_takes_but_nested_past_the_bound_is_kept_as_text(
    loopback: LoopbackServer, client: Client, depth: int
) -> None:
    body = b'{"error": {"message": "too deep", "detail": ' + deep_object(depth) + b"}}"
    loopback.replies.append(Reply(500, body, {"content-type": "application/json"}))
    with pytest.raises(InternalServerError) as caught:
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    assert caught.value.body == body.decode()
    assert caught.value.error is None
    pickle.loads(pickle.dumps(caught.value))  # nothing walks the deep body


def test_an_error_body_within_the_bound_is_json_as_before(
    loopback: LoopbackServer, client: Client
) -> None:
    detail = json.loads(deep_object(MAX_BODY_DEPTH - 3))
    loopback.replies.append(
        Reply.json({"error": {"message": "no such run", "type": "invalid", "detail": detail}}, 500)
    )
    with pytest.raises(InternalServerError) as caught:
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    error = caught.value
    assert isinstance(error.body, dict)
    assert error.error is not None
    assert error.error.message == "no such run"
    assert error.error["detail"] == detail
    assert str(error).endswith(": no such run")


def test_a_success_body_nested_100000_deep_is_a_response_validation_error(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(
        Reply(200, b"[" * 100_000 + b"]" * 100_000, {"content-type": "application/json"})
    )
    with pytest.raises(ResponseValidationError, match="not JSON"):
        list(client.runs.list("thread_1"))


def test_a_deep_body_with_a_huge_integer_takes_the_json_path_and_stays_typed(
    loopback: LoopbackServer, client: Client
) -> None:
    # A run of 19 digits sends json_loads to the standard library decoder, whose limit is
    # the interpreter's recursion limit rather than orjson's 1,024 levels.
    body = b'{"n": 12345678901234567890, "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    json_type = {"content-type": "application/json"}
    loopback.replies += [Reply(200, body, json_type), Reply(500, body, json_type)]
    with pytest.raises(ResponseValidationError):
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    with pytest.raises(InternalServerError) as caught:
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    assert caught.value.body == body.decode()


def test_a_stream_error_event_nested_100000_deep_is_a_stream_error(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(stream_reply(sse(("error", deep_object(100_000, "error")))))
    with (
        pytest.raises(StreamError, match="the server reported an error"),
        client.runs.stream_tool_outputs("thread_1", "run_1", OUTPUTS) as stream,
    ):
        list(stream)


# ------------------------------------------------------------------ snapshots


def test_a_message_nested_1000_deep_streams_and_merges_without_recursion_error(
    loopback: LoopbackServer, client: Client
) -> None:
    # 1,000 levels: orjson decodes up to 1,024, more than Python's stack lets code walk.
    deep = "DEEP"
    message = {
        "id": "msg_1",
        "object": "thread.message",
        "created_at": 1,
        "thread_id": "thread_1",
        "status": "in_progress",
        "incomplete_details": None,
        "completed_at": None,
        "incomplete_at": None,
        "role": "assistant",
        "content": [],
        "assistant_id": None,
        "run_id": "run_1",
        "attachments": [],
        "metadata": {},
        "deep": deep,
    }

    def delta(value: str) -> dict[str, Any]:
        part = {"index": 0, "type": "text", "text": {"value": value, "deep": deep}}
        return {"id": "msg_1", "object": "thread.message.delta", "delta": {"content": [part]}}

    body = sse(
        ("thread.message.created", message),
        ("thread.message.delta", delta("Hello")),
        ("thread.message.delta", delta(", world")),
        ("thread.message.in_progress", message),
        ("thread.run.completed", a_run()),
        ("done", b"[DONE]"),
    )
    loopback.replies.append(stream_reply(body.replace(b'"DEEP"', deep_object(1000))))
    with client.runs.stream_tool_outputs("thread_1", "run_1", OUTPUTS) as stream:
        assert stream.final_text() == "Hello, world"
        (final,) = stream.final_messages()
    assert final.content[0].text.value == "Hello, world"  # type: ignore[union-attr]
    assert depth_of(final["deep"]) == 1000  # kept whole
    assert depth_of(final.content[0].text["deep"]) == 1000  # type: ignore[union-attr]
    assert stream.until_done().status.value == "completed"


@pytest.mark.parametrize("kind", [[], {"a": 1}, 1.5, None])
def test_indexed_items_whose_type_is_not_a_string_merge_without_a_bare_error(
    loopback: LoopbackServer, client: Client, kind: Any
) -> None:
    # A delta's items are merged by their index; their "type" (which picks the empty object an
    # item starts from) may be anything JSON allows, here in a property this client does not know.
    delta = {"extra": [{"index": 0, "type": kind}]}
    body = sse(
        ("thread.message.delta", {"id": "msg_1", "object": "thread.message.delta", "delta": delta}),
        (
            "thread.run.step.delta",
            {"id": "step_1", "object": "thread.run.step.delta", "delta": delta},
        ),
        ("thread.run.completed", a_run()),
        ("done", b"[DONE]"),
    )
    loopback.replies.append(stream_reply(body))
    with client.runs.stream_tool_outputs("thread_1", "run_1", OUTPUTS) as stream:
        assert stream.until_done().status.value == "completed"
        (message,) = stream._snapshots.messages.values()
        (step_snapshot,) = stream._snapshots.steps.values()
    assert message["extra"] == [{"type": kind}]
    assert step_snapshot["extra"] == [{"type": kind}]


def test_a_count_header_too_long_to_convert_is_no_count_not_a_bare_error(
    loopback: LoopbackServer, client: Client
) -> None:
    # Python refuses to turn more than 4,300 digits into an int (a ValueError): a header the
    # gateway sends on every answer must not make every answer fail.
    headers = {"content-type": "application/json", "x-portkey-retry-attempt-count": "9" * 5_000}
    loopback.replies.append(
        Reply(200, json.dumps(page([a_run()], has_more=False)).encode(), headers)
    )
    (first,) = client.runs.list("thread_1").pages()
    assert first.meta.retry_attempt_count is None
    assert len(first.data) == 1


# ------------------------------------------------------------------ ids


@pytest.mark.parametrize(
    ("claimed", "field"),
    [
        (True, "ListRunsResponse.last_id"),
        (False, "ListRunsResponse.data[1].id"),
    ],
)
def test_a_next_cursor_no_id_holds_raises_naming_it_before_the_next_request(
    loopback: LoopbackServer, client: Client, claimed: bool, field: str
) -> None:
    runs = [a_run(id="run_good"), a_run(id="run_1/../../admin")]
    first = page(runs, has_more=True)
    if not claimed:
        first["last_id"] = None
    loopback.replies.append(Reply.json(first))
    seen: list[str] = []
    with pytest.raises(ResponseValidationError) as caught:
        seen.extend(run.id for run in client.runs.list("thread_1", order="asc"))
    assert seen == ["run_good", "run_1/../../admin"], "the page itself is delivered"
    assert caught.value.location == field
    assert field in str(caught.value)
    assert "'/'" in str(caught.value)
    assert len(loopback.requests) == 1, "no request was built from the bad cursor"


def test_a_backward_cursor_no_id_holds_raises_too(loopback: LoopbackServer, client: Client) -> None:
    loopback.replies.append(Reply.json(page([a_run(id="run 1"), a_run(id="run_2")], True)))
    pages = client.runs.list("thread_1", before="run_9").pages()
    assert [r.id for r in next(pages)] == ["run 1", "run_2"]
    with pytest.raises(ResponseValidationError, match="first_id") as caught:
        next(pages)
    assert caught.value.location == "ListRunsResponse.first_id"
    assert len(loopback.requests) == 1


def test_a_last_page_with_an_odd_id_is_delivered_and_good_cursors_are_followed(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies += [
        Reply.json(page([a_run(id="run_1"), a_run(id="run_2")], has_more=True)),
        Reply.json(page([a_run(id="run 3?")], has_more=False)),  # never used as a cursor
    ]
    assert [r.id for r in client.runs.list("thread_1", order="asc")] == [
        "run_1",
        "run_2",
        "run 3?",
    ]
    assert loopback.requests[1].query == [("limit", "100"), ("order", "asc"), ("after", "run_2")]
