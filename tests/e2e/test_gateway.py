"""Client → the real Portkey gateway (npm @portkey-ai/gateway) → reference server as an
OpenAI upstream, all on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from portkey_runs import (
    BadRequestError,
    NotFoundError,
    RateLimitError,
    iter_runs,
    make_client,
    stream_tool_outputs,
    submit_tool_outputs,
)
from portkey_runs.testing import ReferenceState, RunningServer, serve
from portkey_runs_api import Client
from portkey_runs_api.api.runs import list_runs

UPSTREAM_KEY = "sk-upstream-e2e"


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningServer]:
    """The reference server, behaving as OpenAI does behind the gateway (Bearer auth)."""
    with serve(ReferenceState(seed=21), auth="openai", event_delay=0.01) as server:
        yield server


def via_gateway(gateway: str, upstream: RunningServer, **options: object) -> Client:
    return make_client(
        "pk-e2e",
        base_url=gateway,
        provider="openai",
        custom_host=upstream.base_url,
        authorization=UPSTREAM_KEY,
        max_retries=0,
        **options,  # type: ignore[arg-type]
    )


def test_listing_all_runs_across_pages_through_the_gateway(
    gateway: str, upstream: RunningServer
) -> None:
    thread = upstream.state.create_thread(53)
    with via_gateway(gateway, upstream) as client:
        asc = [r.id for r in iter_runs(client, thread, limit=7, order="asc")]
        back = [r.id for r in iter_runs(client, thread, limit=10, order="asc", before=asc[40])]
    assert asc == [r.id for r in upstream.state.runs(thread)]
    assert back == asc[:40][::-1]


def test_submit_json_through_the_gateway(gateway: str, upstream: RunningServer) -> None:
    thread = upstream.state.create_thread(statuses=["requires_action"], tool_calls=2)
    (run,) = upstream.state.runs(thread)
    calls = upstream.state.pending_tool_call_ids(thread, run.id)
    outputs = [{"tool_call_id": c, "output": f"out-{c}"} for c in calls]
    before = upstream.state.count(method="POST")
    with via_gateway(gateway, upstream) as client:
        answer = submit_tool_outputs(client, thread, run.id, outputs)
    assert answer.id == run.id
    assert answer.status.value == "queued"
    assert upstream.state.get_run(thread, run.id).status.value == "completed"
    assert upstream.state.count(method="POST") == before + 1


def test_submit_streamed_through_the_gateway(gateway: str, upstream: RunningServer) -> None:
    thread = upstream.state.create_thread(statuses=["requires_action"])
    (run,) = upstream.state.runs(thread)
    (call,) = upstream.state.pending_tool_call_ids(thread, run.id)
    with via_gateway(gateway, upstream, trace_id="trace-stream-e2e") as client:
        with stream_tool_outputs(
            client, thread, run.id, [{"tool_call_id": call, "output": "7C"}]
        ) as stream:
            names = [event.event for event in stream]
            headers = stream.response.headers
    assert names[0].startswith("thread.run")
    assert "thread.message.delta" in names
    assert names[-1] == "thread.run.completed"
    assert stream.final_run is not None
    assert stream.final_run.status.value == "completed"
    assert headers["content-type"].startswith("text/event-stream")
    assert headers["x-portkey-trace-id"] == "trace-stream-e2e"


def test_error_statuses_pass_through_the_gateway(gateway: str, upstream: RunningServer) -> None:
    thread = upstream.state.create_thread(statuses=["completed"])
    (run,) = upstream.state.runs(thread)
    with via_gateway(gateway, upstream) as client:
        with pytest.raises(NotFoundError) as missing:
            list(iter_runs(client, "thread_nowhere"))
        with pytest.raises(BadRequestError) as bad:
            submit_tool_outputs(client, thread, run.id, [{"tool_call_id": "call_x", "output": "o"}])
        upstream.state.inject("status=429;retry_after=3")
        with pytest.raises(RateLimitError) as limited:
            list(iter_runs(client, thread))
    assert missing.value.error is not None
    assert "thread_nowhere" in missing.value.error.message
    assert bad.value.error is not None
    assert bad.value.error.type_ == "invalid_request_error"
    assert limited.value.retry_after == "3"


def test_the_gateway_response_headers_are_readable_from_the_client(
    gateway: str, upstream: RunningServer
) -> None:
    thread = upstream.state.create_thread(3)
    with via_gateway(gateway, upstream, trace_id="trace-e2e-1") as client:
        response = list_runs.sync_detailed(thread, client=client, limit=2)
    assert response.status_code == 200
    assert response.parsed is not None
    assert response.headers["x-portkey-trace-id"] == "trace-e2e-1"
    assert response.headers["x-portkey-retry-attempt-count"] == "0"
    assert response.headers["x-portkey-cache-status"] == "DISABLED"
    assert response.headers["x-portkey-provider"] == "openai"


def test_the_gateway_does_not_forward_portkey_secrets_upstream(
    gateway: str, upstream: RunningServer
) -> None:
    thread = upstream.state.create_thread(1)
    seen = len(upstream.state.requests)
    with via_gateway(gateway, upstream, virtual_key="vk-e2e") as client:
        list(iter_runs(client, thread))
    (request,) = upstream.state.requests[seen:]
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert headers["openai-beta"] == "assistants=v2"
    assert "x-portkey-api-key" not in headers
    assert "x-portkey-virtual-key" not in headers
