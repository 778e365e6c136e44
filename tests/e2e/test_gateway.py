"""Client → the real Portkey gateway (npm @portkey-ai/gateway) → reference server as an
OpenAI upstream, all on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from portkey_runs import (
    BadRequestError,
    Client,
    NotFoundError,
    RateLimitError,
)
from portkey_runs.testing import ReferenceState, RunningServer, serve
from portkey_runs_api.api.runs import list_runs

UPSTREAM_KEY = "sk-upstream-e2e"


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningServer]:
    """The reference server, behaving as OpenAI does behind the gateway (Bearer auth)."""
    with serve(ReferenceState(seed=21), auth="openai", event_delay=0.01) as server:
        yield server


def via_gateway(gateway: str, upstream: RunningServer, **options: object) -> Client:
    return Client(
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
        asc = [r.id for r in client.runs.list(thread, limit=7, order="asc")]
        back = [r.id for r in client.runs.list(thread, limit=10, order="asc", before=asc[40])]
    assert asc == [r.id for r in upstream.state.runs(thread)]
    assert back == asc[:40][::-1]


def test_submit_json_through_the_gateway(gateway: str, upstream: RunningServer) -> None:
    thread = upstream.state.create_thread(statuses=["requires_action"], tool_calls=2)
    (run,) = upstream.state.runs(thread)
    calls = upstream.state.pending_tool_call_ids(thread, run.id)
    outputs = [{"tool_call_id": c, "output": f"out-{c}"} for c in calls]
    before = upstream.state.count(method="POST")
    with via_gateway(gateway, upstream) as client:
        answer = client.runs.submit_tool_outputs(thread, run.id, outputs)
    assert answer.id == run.id
    assert answer.status.value == "queued"
    assert upstream.state.get_run(thread, run.id).status.value == "completed"
    assert upstream.state.count(method="POST") == before + 1


def test_submit_streamed_through_the_gateway(gateway: str, upstream: RunningServer) -> None:
    thread = upstream.state.create_thread(statuses=["requires_action"])
    (run,) = upstream.state.runs(thread)
    (call,) = upstream.state.pending_tool_call_ids(thread, run.id)
    with via_gateway(gateway, upstream, trace_id="trace-stream-e2e") as client:
        with client.runs.stream_tool_outputs(
            thread, run.id, [{"tool_call_id": call, "output": "7C"}]
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
    assert stream.meta.trace_id == "trace-stream-e2e"
    assert stream.meta.provider == "openai"


def test_error_statuses_pass_through_the_gateway(gateway: str, upstream: RunningServer) -> None:
    thread = upstream.state.create_thread(statuses=["completed"])
    (run,) = upstream.state.runs(thread)
    with via_gateway(gateway, upstream) as client:
        with pytest.raises(NotFoundError) as missing:
            list(client.runs.list("thread_nowhere"))
        with pytest.raises(BadRequestError) as bad:
            client.runs.submit_tool_outputs(
                thread, run.id, [{"tool_call_id": "call_x", "output": "o"}]
            )
        upstream.state.inject("status=429;retry_after=3")
        with pytest.raises(RateLimitError) as limited:
            list(client.runs.list(thread))
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
        response = list_runs.sync_detailed(thread, client=client.api, limit=2)
        (page,) = client.runs.list(thread, limit=5).pages()
        raw = client.runs.with_raw_response.list(thread, limit=1, trace_id="trace-e2e-call")
    assert response.status_code == 200
    assert response.parsed is not None
    assert response.headers["x-portkey-trace-id"] == "trace-e2e-1"
    for meta, trace_id in ((page.meta, "trace-e2e-1"), (raw.meta, "trace-e2e-call")):
        assert meta.trace_id == trace_id
        assert meta.retry_attempt_count == 0
        assert meta.cache_status == "DISABLED"
        assert meta.provider == "openai"
        assert meta.request_id is not None
        assert meta.request_id.startswith("req_")


def test_the_gateway_does_not_forward_portkey_secrets_upstream(
    gateway: str, upstream: RunningServer
) -> None:
    thread = upstream.state.create_thread(1)
    seen = len(upstream.state.requests)
    with via_gateway(gateway, upstream, virtual_key="vk-e2e") as client:
        list(client.runs.list(thread))
    (request,) = upstream.state.requests[seen:]
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["authorization"] == f"Bearer {UPSTREAM_KEY}"
    assert headers["openai-beta"] == "assistants=v2"
    assert "x-portkey-api-key" not in headers
    assert "x-portkey-virtual-key" not in headers


def test_what_the_gateway_does_with_the_w3c_trace_context(
    gateway: str, upstream: RunningServer
) -> None:
    """What the gateway (1.15.2) was found to do, kept as a test: it does not read
    ``traceparent`` (alone, it answers an empty ``x-portkey-trace-id``) but passes it upstream
    as it is; it answers the ``x-portkey-trace-id`` it was sent, which the client sets to the
    W3C trace id, so that Portkey's trace and the caller's are one."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    thread = upstream.state.create_thread(n_runs=1)
    with via_gateway(gateway, upstream, tracer_provider=provider) as client:
        with provider.get_tracer("e2e").start_as_current_span("app") as app:
            page = next(client.runs.list(thread).pages())
    provider.shutdown()
    context = app.get_span_context()
    w3c_trace_id = f"{context.trace_id:032x}"
    (get,) = [span for span in exporter.get_finished_spans() if span.name == "GET"]
    sent = f"00-{w3c_trace_id}-{get.context.span_id:016x}-{int(get.context.trace_flags):02x}"
    forwarded = {k.lower(): v for k, v in upstream.state.requests[-1].headers.items()}
    assert page.meta.trace_id == w3c_trace_id
    assert get.attributes is not None
    assert get.attributes["portkey.trace_id"] == w3c_trace_id
    assert forwarded["traceparent"] == sent, "passed upstream as it is"

    # traceparent alone, without x-portkey-trace-id
    traceparent = f"00-{w3c_trace_id}-{context.span_id:016x}-01"
    with via_gateway(gateway, upstream, trace_context=False) as plain:
        raw = plain.runs.with_raw_response.list(thread, extra_headers={"traceparent": traceparent})
    alone = {k.lower(): v for k, v in upstream.state.requests[-1].headers.items()}
    assert raw.headers.get("x-portkey-trace-id") == "", "the gateway does not read traceparent"
    assert alone["traceparent"] == traceparent
