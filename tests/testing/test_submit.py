"""Submitting tool outputs over loopback: the JSON answer, the stream, and every refusal."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from portkey_runs._sse import SSEDecoder
from portkey_runs.testing import ReferenceState, RunningServer, serve
from portkey_runs.testing._wire import (
    DoneEvent,
    MessageContentText,
    Run,
    ThreadMessageCompletedEvent,
    ThreadMessageDeltaEvent,
)

from .helpers import HEADERS, decode, error_of, outputs_for, submit_url, validate_event

STREAM_ORDER = [
    "thread.run.step.completed",
    "thread.run.queued",
    "thread.run.in_progress",
    "thread.run.step.created",
    "thread.run.step.in_progress",
    "thread.message.created",
    "thread.message.in_progress",
    "thread.message.delta",
    "thread.message.completed",
    "thread.run.step.completed",
    "thread.run.completed",
    "done",
]


@pytest.fixture
def thread_id(reference_state: ReferenceState) -> str:
    return reference_state.create_thread(statuses=["completed", "requires_action"])


@pytest.fixture
def run_id(reference_state: ReferenceState, thread_id: str) -> str:
    return reference_state.runs(thread_id)[-1].id


def collapse(names: list[str]) -> list[str]:
    """Event names with runs of repeated deltas collapsed to one."""
    return [name for i, name in enumerate(names) if i == 0 or name != names[i - 1]]


def test_json_answer_is_the_queued_run_and_the_stored_run_completes(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str, run_id: str
) -> None:
    (call_id,) = reference_state.pending_tool_call_ids(thread_id, run_id)
    outputs = [{"tool_call_id": call_id, "output": "70 degrees and sunny."}]
    response = client.post(submit_url(thread_id, run_id), json={"tool_outputs": outputs})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    answered = Run.model_validate(response.json())
    assert (answered.id, answered.status.value, answered.required_action) == (
        run_id,
        "queued",
        None,
    )
    assert answered.completed_at is None
    stored = reference_state.get_run(thread_id, run_id)
    assert stored.status.value == "completed"
    assert stored.required_action is None
    assert stored.usage is not None
    assert stored.usage.total_tokens > 0
    assert stored.completed_at is not None
    assert stored.completed_at >= stored.created_at
    assert "70 degrees and sunny." in (reference_state.reply_text(run_id) or "")
    listed = client.get(f"/threads/{thread_id}/runs", params={"limit": 1}).json()["data"][0]
    assert (listed["id"], listed["status"]) == (run_id, "completed")


def test_several_tool_calls_are_accepted_in_any_order(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str
) -> None:
    run_id = reference_state.add_run(thread_id, tool_calls=3)
    outputs = outputs_for(reference_state, thread_id, run_id)[::-1]
    response = client.post(submit_url(thread_id, run_id), json={"tool_outputs": outputs})
    assert response.status_code == 200
    text = reference_state.reply_text(run_id) or ""
    assert all(output["output"] in text for output in outputs)


def test_stream_sends_every_event_in_order_each_valid(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str, run_id: str
) -> None:
    outputs = outputs_for(reference_state, thread_id, run_id)
    body = {"tool_outputs": outputs, "stream": True}
    with client.stream("POST", submit_url(thread_id, run_id), json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["transfer-encoding"] == "chunked"
        assert "content-length" not in response.headers
        raw = response.read()
    events = decode(raw)
    names = [event.event for event in events]
    assert collapse(names) == STREAM_ORDER
    assert names.count("thread.message.delta") >= 3
    models = [validate_event(event).root for event in events]
    assert isinstance(models[-1], DoneEvent)
    assert events[-1].data == "[DONE]"
    deltas = [m for m in models if isinstance(m, ThreadMessageDeltaEvent)]
    streamed = "".join(
        part.text.value or ""
        for delta in deltas
        for part in delta.data.delta.content or []
        if part.type == "text" and part.text is not None
    )
    completed = next(m for m in models if isinstance(m, ThreadMessageCompletedEvent))
    content = completed.data.content[0]
    assert isinstance(content, MessageContentText)
    assert streamed == content.text.value == reference_state.reply_text(run_id)
    assert outputs[0]["output"] in streamed
    run_events = [
        json.loads(e.data)
        for e in events
        if e.event.startswith("thread.run.") and not e.event.startswith("thread.run.step.")
    ]
    assert [run["status"] for run in run_events] == ["queued", "in_progress", "completed"]
    assert run_events[-1]["usage"] is not None
    assert reference_state.get_run(thread_id, run_id).status.value == "completed"


def test_first_event_arrives_while_the_server_holds_the_rest(
    reference_server: RunningServer, reference_state: ReferenceState, thread_id: str, run_id: str
) -> None:
    gate = threading.Event()
    reference_state.stream_gate = gate
    body = {"tool_outputs": outputs_for(reference_state, thread_id, run_id), "stream": True}
    decoder = SSEDecoder()
    with (
        # a buffering server would hold the first event until the gate opens: time out then
        httpx.Client(base_url=reference_server.base_url, headers=HEADERS, timeout=3) as client,
        client.stream("POST", submit_url(thread_id, run_id), json=body) as response,
    ):
        chunks = response.iter_raw()
        first: list[str] = []
        while not first:
            first = [event.event for event in decoder.feed(next(chunks))]
        # The server cannot send event 2 before the gate opens: this event came first.
        assert first == ["thread.run.step.completed"]
        assert reference_state.finished_streams == 0
        gate.set()
        rest = [event.event for chunk in chunks for event in decoder.feed(chunk)]
    assert collapse(first + rest) == STREAM_ORDER
    assert reference_state.finished_streams == 1


def test_stream_false_is_a_json_answer(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str, run_id: str
) -> None:
    body = {"tool_outputs": outputs_for(reference_state, thread_id, run_id), "stream": False}
    response = client.post(submit_url(thread_id, run_id), json=body)
    assert response.headers["content-type"] == "application/json"
    assert Run.model_validate(response.json()).status.value == "queued"


@pytest.mark.parametrize(
    "status", ["queued", "in_progress", "cancelling", "cancelled", "failed", "completed"]
)
def test_run_not_requiring_action_is_400(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str, status: str
) -> None:
    run_id = reference_state.add_run(thread_id, status)
    body = {"tool_outputs": [{"tool_call_id": "call_1", "output": "x"}]}
    response = client.post(submit_url(thread_id, run_id), json=body)
    assert response.status_code == 400
    assert error_of(response)["message"] == (
        f'Runs in status "{status}" do not accept tool outputs.'
    )


def test_second_submission_is_400(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str, run_id: str
) -> None:
    body = {"tool_outputs": outputs_for(reference_state, thread_id, run_id)}
    assert client.post(submit_url(thread_id, run_id), json=body).status_code == 200
    response = client.post(submit_url(thread_id, run_id), json=body)
    assert response.status_code == 400
    assert '"completed"' in error_of(response)["message"]


def bad_outputs(kind: str, pending: list[str]) -> tuple[list[dict[str, str]], str, str]:
    """Outputs wrong in one way, the id the error must name, and the param it must give."""
    good = [{"tool_call_id": call_id, "output": "ok"} for call_id in pending]
    if kind == "unknown":
        return (
            [*good, {"tool_call_id": "call_unknown", "output": "?"}],
            "call_unknown",
            "tool_outputs[2].tool_call_id",
        )
    if kind == "duplicate":
        return [*good, good[0]], pending[0], "tool_outputs[2].tool_call_id"
    return good[:1], pending[1], "tool_outputs"


@pytest.mark.parametrize("kind", ["unknown", "duplicate", "missing"])
def test_outputs_not_matching_the_pending_calls_are_400_naming_the_id(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str, kind: str
) -> None:
    run_id = reference_state.add_run(thread_id, tool_calls=2)
    pending = reference_state.pending_tool_call_ids(thread_id, run_id)
    outputs, named, param = bad_outputs(kind, pending)
    response = client.post(submit_url(thread_id, run_id), json={"tool_outputs": outputs})
    assert response.status_code == 400
    error = error_of(response)
    assert named in error["message"]
    assert kind in error["message"].lower()
    assert error["param"] == param
    assert reference_state.get_run(thread_id, run_id).status.value == "requires_action"


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({}, "tool_outputs", "missing_required_parameter"),
        ({"tool_outputs": [], "extra": 1}, "extra", "unknown_parameter"),
        (
            {"tool_outputs": [{"tool_call_id": "c", "output": 1}]},
            "tool_outputs[0].output",
            "invalid_type",
        ),
        (
            {"tool_outputs": [{"tool_call_id": "c"}]},
            "tool_outputs[0].output",
            "missing_required_parameter",
        ),
        (
            {"tool_outputs": [{"tool_call_id": "c", "output": "", "x": 1}]},
            "tool_outputs[0].x",
            "unknown_parameter",
        ),
        ({"tool_outputs": "all"}, "tool_outputs", "invalid_type"),
        ({"tool_outputs": [], "stream": "yes"}, "stream", "invalid_type"),
    ],
)
def test_body_failing_the_wire_model_is_400_naming_the_field(
    client: httpx.Client, thread_id: str, run_id: str, body: Any, param: str, code: str
) -> None:
    response = client.post(submit_url(thread_id, run_id), json=body)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["param"], error["code"]) == (param, code)
    assert param in error["message"]


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b""])
def test_body_that_is_not_a_json_object_is_400(
    client: httpx.Client, thread_id: str, run_id: str, content: bytes
) -> None:
    response = client.post(
        submit_url(thread_id, run_id),
        content=content,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert error_of(response)["type"] == "invalid_request_error"


def test_unknown_thread_or_run_is_404(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str, run_id: str
) -> None:
    body = {"tool_outputs": outputs_for(reference_state, thread_id, run_id)}
    other_thread = reference_state.create_thread(statuses=["requires_action"])
    cases = [
        ("thread_nope", run_id, "No thread found with id 'thread_nope'."),
        (thread_id, "run_nope", "No run found with id 'run_nope'."),
        (other_thread, run_id, f"No run found with id '{run_id}'."),
    ]
    for thread, run, message in cases:
        response = client.post(submit_url(thread, run), json=body)
        assert response.status_code == 404
        assert error_of(response)["message"] == message
    assert reference_state.get_run(thread_id, run_id).status.value == "requires_action"


def test_a_stream_whose_client_hangs_up_is_not_counted_as_finished(
    reference_state: ReferenceState, thread_id: str, run_id: str
) -> None:
    gate = threading.Event()
    reference_state.stream_gate = gate
    body = {"tool_outputs": outputs_for(reference_state, thread_id, run_id), "stream": True}
    with serve(reference_state, event_delay=0) as server:
        with (
            httpx.Client(base_url=server.base_url, headers=HEADERS, timeout=10) as client,
            client.stream("POST", submit_url(thread_id, run_id), json=body) as response,
        ):
            next(response.iter_raw())  # the first event; the rest waits for the gate
        deadline = time.monotonic() + 10
        while reference_state.hangups == 0 and time.monotonic() < deadline:
            time.sleep(0.01)  # a bounded wait for the server to notice, not a timed assertion
        assert reference_state.hangups == 1
        gate.set()
    assert reference_state.finished_streams == 0


def test_concurrent_submissions_to_one_run_are_accepted_once(
    reference_server: RunningServer, reference_state: ReferenceState, thread_id: str, run_id: str
) -> None:
    body = {"tool_outputs": outputs_for(reference_state, thread_id, run_id)}
    barrier = threading.Barrier(8)

    def submit(stream: bool) -> int:
        with httpx.Client(base_url=reference_server.base_url, headers=HEADERS, timeout=10) as c:
            barrier.wait()
            return c.post(
                submit_url(thread_id, run_id), json={**body, "stream": stream}
            ).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(submit, [True, False] * 4))
    assert statuses == [200] + [400] * 7
