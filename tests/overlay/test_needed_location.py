"""A breach of what the client needs raises the same error in both modes.

Strict reading names the offending value by its path from the answer's model
(``Run.required_action.submit_tool_outputs.tool_calls[2].id``); the default mode, which
tolerates every other departure, raises for these too and must say the same thing — the same
``location`` and the same message — also where the value sits in a model nested inside an
``x-eager`` link (a delta's ``delta.content``), which a tolerant read would otherwise read as
``None``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from portkey_runs import Client, ResponseValidationError, _drift
from tests._loopback import LoopbackServer, Reply
from tests.overlay.test_real_shapes import _run

JSON = dict[str, Any]
SSE_HEADERS = {"content-type": "text/event-stream"}
OUTPUTS = [{"tool_call_id": "call_1", "output": "ok"}]


def _waiting_without_third_id() -> JSON:
    call: JSON = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    broken = {k: v for k, v in call.items() if k != "id"}
    action = {
        "type": "submit_tool_outputs",
        "submit_tool_outputs": {"tool_calls": [call, call, broken]},
    }
    return _run("requires_action", required_action=action)


def _events(*events: tuple[str, JSON]) -> bytes:
    text = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
    return (text + "event: done\ndata: [DONE]\n\n").encode()


def _submit(client: Client, strict: bool) -> None:
    client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS, strict_responses=strict)


def _stream(client: Client, strict: bool) -> None:
    with client.runs.stream_tool_outputs(
        "thread_1", "run_1", OUTPUTS, strict_responses=strict
    ) as stream:
        list(stream)


def _list(client: Client, strict: bool) -> None:
    list(client.runs.list("thread_1", strict_responses=strict))


_RUN_WITHOUT_STATUS = {k: v for k, v in _run("completed").items() if k != "status"}
_DELTA_WITH_STRING_INDEX = {
    "id": "msg_1",
    "object": "thread.message.delta",
    "delta": {"content": [{"index": "0", "type": "text", "text": {"value": "hi"}}]},
}

#: (case, the answer, the call that reads it, the location both modes name, the message's end).
CASES: list[tuple[str, Reply, Callable[[Client, bool], None], str, str]] = [
    (
        "tool-call-without-id",
        Reply.json(_waiting_without_third_id()),
        _submit,
        "Run.required_action.submit_tool_outputs.tool_calls[2].id",
        "missing required property",
    ),
    (
        "delta-index-a-string",
        Reply(200, [_events(("thread.message.delta", _DELTA_WITH_STRING_INDEX))], SSE_HEADERS),
        _stream,
        "MessageDelta.delta.content[0].index",
        "expected integer, got string '0'",
    ),
    (
        "page-data-not-a-list",
        Reply.json(
            {"object": "list", "data": {}, "first_id": None, "last_id": None, "has_more": False}
        ),
        _list,
        "ListRunsResponse.data",
        "expected array, got object {}",
    ),
    (
        "run-without-status",
        Reply(200, [_events(("thread.run.completed", _RUN_WITHOUT_STATUS))], SSE_HEADERS),
        _stream,
        "Run.status",
        "missing required property",
    ),
]


@pytest.fixture
def client(loopback: LoopbackServer) -> Iterator[Client]:
    with Client("pk-test", base_url=loopback.url, max_retries=0) as c:
        yield c


@pytest.fixture(autouse=True)
def fresh_announcements(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_drift, "_announced", set())


def _raised(
    loopback: LoopbackServer,
    client: Client,
    reply: Reply,
    call: Callable[[Client, bool], None],
    strict: bool,
) -> ResponseValidationError:
    loopback.replies.append(reply)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing on the way is tolerated and reported
        with pytest.raises(ResponseValidationError) as info:
            call(client, strict)
    return info.value


@pytest.mark.parametrize(
    ("case", "reply", "call", "location", "problem"), CASES, ids=[case[0] for case in CASES]
)
def test_what_the_client_needs_raises_alike_in_both_modes(
    case: str,
    reply: Reply,
    call: Callable[[Client, bool], None],
    location: str,
    problem: str,
    loopback: LoopbackServer,
    client: Client,
) -> None:
    strict = _raised(loopback, client, reply, call, True)
    default = _raised(loopback, client, reply, call, False)
    assert strict.location == default.location == location
    assert str(strict) == str(default)
    assert str(default).endswith(f"{location}: {problem}")
    assert default.body == strict.body
