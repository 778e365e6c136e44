"""Fault injection: each fault spec has its observable effect on a real HTTP client."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from pydantic import ValidationError

import portkey_runs
from portkey_runs._sse import SSEDecoder
from portkey_runs.testing import (
    FAULT_HEADER,
    Fault,
    ReferenceState,
    RunningServer,
    parse_fault,
)
from portkey_runs.testing._wire import Run

from .helpers import decode, error_of, outputs_for, submit_url, validate_event


@pytest.fixture
def thread_id(reference_state: ReferenceState) -> str:
    return reference_state.create_thread(n_runs=3)


def fresh_run(state: ReferenceState, thread_id: str) -> tuple[str, dict[str, object]]:
    run_id = state.add_run(thread_id)
    return run_id, {"tool_outputs": outputs_for(state, thread_id, run_id), "stream": True}


def fault(spec: str) -> dict[str, str]:
    return {FAULT_HEADER: spec}


def test_latency_delays_the_answer(client: httpx.Client, thread_id: str) -> None:
    started = time.monotonic()
    response = client.get(f"/threads/{thread_id}/runs", headers=fault("latency=0.3"))
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.29


def test_latency_beyond_the_client_timeout_times_out(client: httpx.Client, thread_id: str) -> None:
    with pytest.raises(httpx.ReadTimeout):
        client.get(f"/threads/{thread_id}/runs", headers=fault("latency=0.5"), timeout=0.05)


def test_429_carries_retry_after(client: httpx.Client, thread_id: str) -> None:
    response = client.get(f"/threads/{thread_id}/runs", headers=fault("status=429;retry_after=1"))
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert error_of(response)["code"] == "rate_limit_exceeded"


@pytest.mark.parametrize("status", [500, 502, 503, 409, 422])
def test_status_fault_answers_an_error_response(
    client: httpx.Client, thread_id: str, status: int
) -> None:
    response = client.get(f"/threads/{thread_id}/runs", headers=fault(f"status={status}"))
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    expected = "server_error" if status >= 500 else "invalid_request_error"
    assert error_of(response)["type"] == expected
    assert "retry-after" not in response.headers


def test_html502_is_an_html_page(client: httpx.Client, thread_id: str) -> None:
    response = client.get(f"/threads/{thread_id}/runs", headers=fault("html502"))
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in response.text
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_reset_drops_the_connection_without_an_answer(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str
) -> None:
    run_id, body = fresh_run(reference_state, thread_id)
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post(submit_url(thread_id, run_id), json=body, headers=fault("reset"))
    assert reference_state.count(f"/v1{submit_url(thread_id, run_id)}") == 1
    # the request never reached the run
    assert reference_state.get_run(thread_id, run_id).status.value == "requires_action"
    # and the server still answers
    assert client.get(f"/threads/{thread_id}/runs").status_code == 200


def test_cut_stream_stops_mid_event_and_breaks_the_connection(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str
) -> None:
    run_id, body = fresh_run(reference_state, thread_id)
    decoder = SSEDecoder()
    events = []
    received = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        client.stream(
            "POST", submit_url(thread_id, run_id), json=body, headers=fault("cut_stream=3")
        ) as response,
    ):
        assert response.status_code == 200
        for chunk in response.iter_raw():
            received += chunk
            events += list(decoder.feed(chunk))
    assert [event.event for event in events] == ["thread.run.step.completed", "thread.run.queued"]
    assert decoder.mid_event
    assert not received.endswith(b"\n")
    assert received.split(b"\n\n")[-1].startswith(b"event: thread.run.in_progress\ndata: {")


def test_stream_error_sends_an_error_event_in_place_of_the_nth_and_ends_the_body(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str
) -> None:
    run_id, body = fresh_run(reference_state, thread_id)
    headers = fault("stream_error=3")
    with client.stream("POST", submit_url(thread_id, run_id), json=body, headers=headers) as answer:
        assert answer.status_code == 200
        events = decode(answer.read())
    assert [event.event for event in events] == [
        "thread.run.step.completed",
        "thread.run.queued",
        "error",
    ], "the error is the last event: no done"
    error = json.loads(events[-1].data)
    assert error["type"] == "server_error"
    assert error["message"].startswith("The server had an error")


def test_the_client_raises_stream_error_with_the_servers_error_mid_stream(
    reference_server: RunningServer, reference_state: ReferenceState, thread_id: str
) -> None:
    run_id, body = fresh_run(reference_state, thread_id)
    outputs = body["tool_outputs"]
    assert isinstance(outputs, list)
    with (
        portkey_runs.Client("pk", base_url=reference_server.base_url, max_retries=0) as client,
        client.runs.stream_tool_outputs(
            thread_id, run_id, outputs, extra_headers=fault("stream_error=4")
        ) as stream,
    ):
        seen = []
        with pytest.raises(portkey_runs.StreamError, match="The server had an error") as info:
            for event in stream:
                seen.append(event.event)
    assert seen == ["thread.run.step.completed", "thread.run.queued", "thread.run.in_progress"]
    assert info.value.error is not None
    assert info.value.error.type_ == "server_error"
    assert info.value.request_id is not None
    assert info.value.request_id.startswith("req_")


def test_malformed_json_breaks_the_body_of_a_200(client: httpx.Client, thread_id: str) -> None:
    response = client.get(f"/threads/{thread_id}/runs", headers=fault("malformed_json"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content.startswith(b'{"object":"list"')
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_malformed_json_breaks_the_first_event_of_a_stream(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str
) -> None:
    run_id, body = fresh_run(reference_state, thread_id)
    response = client.post(
        submit_url(thread_id, run_id), json=body, headers=fault("malformed_json")
    )
    events = decode(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(events[0].data)
    assert [validate_event(event).root.event for event in events[1:]][-1] == "done"


def test_unknown_status_in_a_list(client: httpx.Client, thread_id: str) -> None:
    response = client.get(f"/threads/{thread_id}/runs", headers=fault("unknown_status=paused"))
    data = response.json()["data"]
    assert [run["status"] for run in data] == ["paused", "completed", "completed"]
    with pytest.raises(ValidationError):
        Run.model_validate(data[0])


def test_unknown_status_in_a_json_answer_and_a_stream(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str
) -> None:
    run_id, body = fresh_run(reference_state, thread_id)
    headers = fault("unknown_status=paused")
    response = client.post(
        submit_url(thread_id, run_id), json={**body, "stream": False}, headers=headers
    )
    assert response.json()["status"] == "paused"
    run_id, body = fresh_run(reference_state, thread_id)
    events = decode(client.post(submit_url(thread_id, run_id), json=body, headers=headers).content)
    statuses = [
        json.loads(e.data)["status"]
        for e in events
        if e.event.startswith("thread.run.") and not e.event.startswith("thread.run.step.")
    ]
    assert statuses == ["paused", "in_progress", "completed"]


def test_unknown_event_is_added_to_the_stream(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str
) -> None:
    run_id, body = fresh_run(reference_state, thread_id)
    response = client.post(
        submit_url(thread_id, run_id), json=body, headers=fault("unknown_event=thread.run.paused")
    )
    names = [event.event for event in decode(response.content)]
    assert names[1:4] == ["thread.run.queued", "thread.run.paused", "thread.run.in_progress"]
    assert names.count("thread.run.paused") == 1
    assert names[-1] == "done"


@pytest.mark.parametrize("value", ["true", "false"])
def test_should_retry_header_is_added(client: httpx.Client, thread_id: str, value: str) -> None:
    response = client.get(
        f"/threads/{thread_id}/runs", headers=fault(f"status=500;should_retry={value}")
    )
    assert response.status_code == 500
    assert response.headers["x-should-retry"] == value


def test_faults_queued_on_the_server_are_consumed_one_per_request(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str
) -> None:
    reference_state.inject("status=503", "none", Fault(status=429, retry_after="2"))
    url = f"/threads/{thread_id}/runs"
    statuses = [client.get(url).status_code for _ in range(4)]
    assert statuses == [503, 200, 429, 200]
    assert reference_state.count(f"/v1{url}") == 4
    assert not reference_state.faults


def test_a_fault_header_takes_precedence_over_the_queue(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str
) -> None:
    reference_state.inject("status=503")
    url = f"/threads/{thread_id}/runs"
    assert client.get(url, headers=fault("status=502")).status_code == 502
    assert client.get(url).status_code == 503


def test_invalid_fault_header_is_400_naming_it(client: httpx.Client, thread_id: str) -> None:
    response = client.get(f"/threads/{thread_id}/runs", headers=fault("explode"))
    assert response.status_code == 400
    error = error_of(response)
    assert error["param"] == FAULT_HEADER
    assert "explode" in error["message"]


def test_request_counter_counts_per_path_and_method(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str
) -> None:
    run_id, body = fresh_run(reference_state, thread_id)
    list_path = f"/v1/threads/{thread_id}/runs"
    client.get(f"/threads/{thread_id}/runs")
    client.get(f"/threads/{thread_id}/runs", headers=fault("status=500"))
    client.post(submit_url(thread_id, run_id), json={**body, "stream": False})
    assert reference_state.request_counts == {
        list_path: 2,
        f"/v1{submit_url(thread_id, run_id)}": 1,
    }
    assert reference_state.count(list_path, method="get") == 2
    assert reference_state.count(method="POST") == 1
    assert reference_state.count() == 3
    assert reference_state.requests[1].headers[FAULT_HEADER] == "status=500"


def test_faults_apply_over_a_server_started_with_serve(reference_server: RunningServer) -> None:
    # the fault queue belongs to the state the server serves
    reference_server.state.inject("status=500")
    with httpx.Client(base_url=reference_server.base_url) as client:
        assert client.get("/threads/x/runs").status_code == 500
        assert client.get("/threads/x/runs").status_code == 401


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("", Fault()),
        ("none", Fault()),
        ("latency=0.2", Fault(latency=0.2)),
        ("status=429; retry_after=1", Fault(status=429, retry_after="1")),
        ("html502", Fault(html502=True)),
        ("reset", Fault(reset=True)),
        ("cut_stream=4", Fault(cut_stream=4)),
        ("malformed_json", Fault(malformed_json=True)),
        ("unknown_status=paused", Fault(unknown_status="paused")),
        ("unknown_event=thread.run.paused", Fault(unknown_event="thread.run.paused")),
        ("should_retry=false", Fault(should_retry=False)),
        ("stream_error=2", Fault(stream_error=2)),
        ("latency=0.1;status=500;should_retry=true", Fault(0.1, 500, should_retry=True)),
    ],
)
def test_fault_specs_parse(spec: str, expected: Fault) -> None:
    assert parse_fault(spec) == expected


@pytest.mark.parametrize(
    "spec",
    [
        "boom",
        "status=200",
        "status=abc",
        "status",
        "latency=-1",
        "latency=nan",
        "cut_stream=0",
        "stream_error=0",
        "stream_error",
        "reset=1",
        "should_retry=yes",
        "status=500;status=502",
    ],
)
def test_bad_fault_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="fault"):
        parse_fault(spec)
