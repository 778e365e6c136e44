"""serve() on loopback, the in-process ASGI transport, and the routes around the API."""

from __future__ import annotations

import json
import threading

import httpx
import pytest

from portkey_runs.testing import (
    ConnectionAborted,
    ReferenceState,
    asgi_transport,
    create_app,
    serve,
)
from portkey_runs.testing._wire import Run

from .helpers import HEADERS, decode, error_of, outputs_for, submit_url, validate_event


def reference_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "portkey-runs-reference"]


def test_serve_listens_on_a_free_loopback_port_and_stops_cleanly() -> None:
    before = len(reference_threads())
    state = ReferenceState()
    thread_id = state.create_thread(n_runs=2)
    with serve(state) as server:
        host, _, port = server.url.removeprefix("http://").partition(":")
        assert host == "127.0.0.1"
        assert int(port) > 0
        assert server.base_url == f"{server.url}/v1"
        assert server.state is state
        assert len(reference_threads()) == before + 1
        with httpx.Client(base_url=server.base_url, headers=HEADERS) as client:
            assert client.get(f"/threads/{thread_id}/runs").status_code == 200
    assert len(reference_threads()) == before
    with httpx.Client() as client, pytest.raises(httpx.ConnectError):
        client.get(f"{server.base_url}/threads/{thread_id}/runs")


def test_two_servers_run_side_by_side() -> None:
    with serve() as first, serve() as second:
        assert first.url != second.url
        assert first.state is not second.state


def test_stream_events_are_spaced_by_the_event_delay() -> None:
    state = ReferenceState()
    thread_id = state.create_thread(statuses=["requires_action"])
    run_id = state.runs(thread_id)[0].id
    body = {"tool_outputs": outputs_for(state, thread_id, run_id), "stream": True}
    with (
        serve(state, event_delay=0.03) as server,
        httpx.Client(base_url=server.base_url, headers=HEADERS) as client,
    ):
        response = client.post(submit_url(thread_id, run_id), json=body)
    events = decode(response.content)
    # a lower bound only: each gap is at least the delay
    assert response.elapsed.total_seconds() >= 0.03 * (len(events) - 1) * 0.9


def test_unknown_url_is_a_json_404(client: httpx.Client) -> None:
    response = client.get("/assistants")
    assert response.status_code == 404
    assert error_of(response)["message"] == "Invalid URL (GET /v1/assistants)."


def test_wrong_method_is_405_with_allow(client: httpx.Client) -> None:
    response = client.delete("/threads/t/runs")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    assert error_of(response)["type"] == "invalid_request_error"


async def test_in_process_transport_serves_list_and_submit() -> None:
    state = ReferenceState(seed=5)
    thread_id = state.create_thread(statuses=["completed", "requires_action"])
    run_id = state.runs(thread_id)[-1].id
    outputs = outputs_for(state, thread_id, run_id)
    async with httpx.AsyncClient(
        transport=asgi_transport(state), base_url="http://reference/v1", headers=HEADERS
    ) as client:
        page = (await client.get(f"/threads/{thread_id}/runs")).json()
        assert [run["id"] for run in page["data"]] == [run.id for run in state.runs(thread_id)][
            ::-1
        ]
        response = await client.post(
            submit_url(thread_id, run_id), json={"tool_outputs": outputs, "stream": True}
        )
        events = decode(response.content)
        assert [validate_event(event).root.event for event in events][-1] == "done"
        assert Run.model_validate(json.loads(events[-2].data)).status.value == "completed"
        with pytest.raises(ConnectionAborted):
            await client.get(f"/threads/{thread_id}/runs", headers={"x-reference-fault": "reset"})
        assert (await client.get("/threads/nope/runs")).status_code == 404
    assert state.count() == 4


async def test_in_process_transport_cut_stream_raises_a_remote_protocol_error() -> None:
    state = ReferenceState()
    thread_id = state.create_thread(statuses=["requires_action"])
    run_id = state.runs(thread_id)[0].id
    body = {"tool_outputs": outputs_for(state, thread_id, run_id), "stream": True}
    async with httpx.AsyncClient(
        transport=asgi_transport(state), base_url="http://reference/v1", headers=HEADERS
    ) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post(
                submit_url(thread_id, run_id),
                json=body,
                headers={"x-reference-fault": "cut_stream=2"},
            )


def test_create_app_refuses_bad_options() -> None:
    with pytest.raises(ValueError, match="auth"):
        create_app(auth="basic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="event_delay"):
        create_app(event_delay=-1)


def test_every_answer_carries_a_new_request_id_and_the_trace_id() -> None:
    state = ReferenceState(seed=4)
    thread_id = state.create_thread(statuses=["requires_action"])
    (run,) = state.runs(thread_id)
    body = {"tool_outputs": outputs_for(state, thread_id, run.id), "stream": True}
    with serve(state, event_delay=0) as server:
        with httpx.Client(base_url=server.base_url, headers=HEADERS) as client:
            answers = [
                client.get(f"/threads/{thread_id}/runs"),
                client.get("/threads/thread_nowhere/runs"),
                client.get(
                    f"/threads/{thread_id}/runs", headers={"x-reference-fault": "status=429"}
                ),
                client.get(f"/threads/{thread_id}/runs", headers={"x-portkey-trace-id": "tr-mine"}),
                client.post(submit_url(thread_id, run.id), json=body),
                client.get("/nowhere"),
            ]
    assert [a.status_code for a in answers] == [200, 404, 429, 200, 200, 404]
    request_ids = [a.headers["x-request-id"] for a in answers]
    assert all(rid.startswith("req_") for rid in request_ids)
    assert len(set(request_ids)) == len(answers)
    assert answers[3].headers["x-portkey-trace-id"] == "tr-mine", "echoed as the gateway does"
    generated = {a.headers["x-portkey-trace-id"] for a in answers if a is not answers[3]}
    assert all(t.startswith("trace_") for t in generated)
    assert len(generated) == 5


def test_behind_a_gateway_the_server_sends_no_portkey_trace_id() -> None:
    state = ReferenceState()
    thread_id = state.create_thread(n_runs=1)
    with serve(state, auth="openai") as server:
        with httpx.Client(
            base_url=server.base_url,
            headers={"authorization": "Bearer sk", "openai-beta": "assistants=v2"},
        ) as client:
            answer = client.get(f"/threads/{thread_id}/runs")
    assert answer.headers["x-request-id"].startswith("req_")
    assert "x-portkey-trace-id" not in answer.headers


def test_answering_requests_leaves_the_seeded_ids_as_they_were() -> None:
    def ids(answer_first: bool) -> list[str]:
        state = ReferenceState(seed=8)
        if answer_first:
            state.new_id("req")
            state.new_id("trace")
        return [state.create_thread(n_runs=1), state.runs(state.create_thread(n_runs=2))[0].id]

    assert ids(True) == ids(False)
