"""OpenTelemetry tracing (``portkey_runs._tracing``): the tree of spans the real SDK records
for a listing, a stream, a call that fails after retries and a two-round tool loop (threads and
tasks), against the reference server or a scripted server over loopback; the W3C trace context
on the wire; nothing of OpenTelemetry imported when it cannot be."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from opentelemetry import baggage, context, trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from portkey_runs import (
    APIConnectionError,
    AsyncClient,
    Client,
    IncompleteStreamError,
    InternalServerError,
    RetryPolicy,
)
from portkey_runs._tracing import CONTENT_ENV, full_url
from portkey_runs.testing import ReferenceState, RunningServer, serve, tools
from portkey_runs_api.models import Run
from tests._loopback import EMPTY_PAGE, LoopbackServer, Reply

ROOT = Path(__file__).resolve().parents[2]
SECRET = "pk-SECRET-tracing-0123456789"


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    """A tracer provider of its own (never the global one) exporting to memory."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider
    provider.shutdown()


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with serve(ReferenceState(seed=17), event_delay=0) as running:
        yield running


def tree(spans: Sequence[ReadableSpan]) -> list[str]:
    """The spans as an indented outline, children in the order they started; a span whose
    parent was not exported is a root."""
    ids = {span.context.span_id for span in spans}
    children: dict[int | None, list[ReadableSpan]] = {}
    for span in spans:
        parent = span.parent.span_id if span.parent is not None else None
        children.setdefault(parent if parent in ids else None, []).append(span)
    lines: list[str] = []

    def walk(parent: int | None, depth: int) -> None:
        for span in sorted(children.get(parent, []), key=lambda s: (s.start_time or 0, s.name)):
            lines.append("  " * depth + span.name)
            walk(span.context.span_id, depth + 1)

    walk(None, 0)
    return lines


def named(spans: Sequence[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def attrs(span: ReadableSpan) -> Mapping[str, Any]:
    assert span.attributes is not None
    return span.attributes


def traceparent(span: ReadableSpan) -> str:
    """The ``traceparent`` header that says ``span`` is the parent (W3C format)."""
    c = span.context
    return f"00-{c.trace_id:032x}-{c.span_id:016x}-{int(c.trace_flags):02x}"


def waiting(server: RunningServer, **options: Any) -> tuple[str, Run]:
    thread = server.state.create_thread(statuses=["requires_action"], **options)
    stored = server.state.runs(thread)[0]
    return thread, Run.from_dict(stored.model_dump(mode="json", exclude_unset=True))


def headers_received(server: RunningServer) -> list[dict[str, str]]:
    return [{k.lower(): v for k, v in r.headers.items()} for r in server.state.requests]


# ------------------------------------------------------------------------ a listing


def test_a_listing_is_a_walk_span_over_a_client_span_per_page(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    thread = server.state.create_thread(n_runs=5)
    with Client(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
        runs = list(client.runs.list(thread, limit=2))
    spans = exporter.get_finished_spans()
    assert len(runs) == 5
    assert tree(spans) == ["portkey_runs.list", "  GET", "  GET", "  GET"]
    (walk,) = named(spans, "portkey_runs.list")
    assert attrs(walk)["portkey_runs.list.pages"] == 3
    assert attrs(walk)["portkey_runs.list.runs"] == 5
    assert attrs(walk)["portkey_runs.thread.id"] == thread
    gets = named(spans, "GET")
    port = int(server.base_url.rsplit(":", 1)[1].split("/")[0])
    for get in gets:
        assert get.kind is SpanKind.CLIENT
        a = attrs(get)
        assert a["http.request.method"] == "GET"
        assert a["server.address"] == "127.0.0.1"
        assert a["server.port"] == port
        assert a["http.response.status_code"] == 200
        assert a["portkey_runs.attempt"] == 1
        assert f"/threads/{thread}/runs?limit=2" in str(a["url.full"])
    # Each request carried its own span as the W3C parent, and the trace id for Portkey.
    received = headers_received(server)
    assert [h["traceparent"] for h in received] == [traceparent(get) for get in gets]
    assert {h["x-portkey-trace-id"] for h in received} == {f"{walk.context.trace_id:032x}"}


async def test_an_async_listing_has_the_same_tree(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    thread = server.state.create_thread(n_runs=3)
    async with AsyncClient(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
        pages = [page async for page in client.runs.list(thread, limit=2).pages()]
    assert len(pages) == 2
    spans = exporter.get_finished_spans()
    assert tree(spans) == ["portkey_runs.list", "  GET", "  GET"]
    (walk,) = named(spans, "portkey_runs.list")
    assert (attrs(walk)["portkey_runs.list.pages"], attrs(walk)["portkey_runs.list.runs"]) == (2, 3)


# ------------------------------------------------------------------------ a stream


def test_a_stream_is_a_span_from_its_request_to_done_under_the_callers_span(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    thread, run = waiting(server, tool_calls=1)
    call = run.required_action.submit_tool_outputs.tool_calls[0]  # type: ignore[union-attr]
    tracer = provider.get_tracer("app")
    with Client(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
        with tracer.start_as_current_span("app"):
            outputs = [{"tool_call_id": call.id, "output": "sunny"}]
            with client.runs.stream_tool_outputs(thread, run.id, outputs) as stream:
                events = list(stream)
    spans = exporter.get_finished_spans()
    assert tree(spans) == ["app", "  portkey_runs.stream", "    POST"]
    (streamed,) = named(spans, "portkey_runs.stream")
    assert attrs(streamed)["portkey_runs.stream.events"] == len(events) > 3
    assert attrs(streamed)["portkey_runs.run.status"] == "completed"
    assert attrs(streamed)["portkey_runs.run.id"] == run.id
    (post,) = named(spans, "POST")
    assert post.kind is SpanKind.CLIENT
    assert attrs(post)["http.response.status_code"] == 200
    (app,) = named(spans, "app")
    assert headers_received(server)[-1]["traceparent"] == traceparent(post)
    assert post.context.trace_id == app.context.trace_id


async def test_a_stream_that_fails_ends_its_span_with_the_error(
    loopback: LoopbackServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    loopback.replies.append(
        Reply(200, [b": keep-alive\n\n"], {"content-type": "text/event-stream"}, cut=True)
    )
    async with AsyncClient(
        "pk", base_url=loopback.url, max_retries=0, tracer_provider=provider
    ) as client:
        outputs = [{"tool_call_id": "call_1", "output": "x"}]
        with pytest.raises(IncompleteStreamError):
            async with client.runs.stream_tool_outputs("thread_1", "run_1", outputs) as stream:
                async for _ in stream:
                    pass
    (streamed,) = named(exporter.get_finished_spans(), "portkey_runs.stream")
    assert streamed.status.status_code is StatusCode.ERROR
    assert attrs(streamed)["error.type"] == "IncompleteStreamError"
    assert attrs(streamed)["portkey_runs.stream.events"] == 0


# ------------------------------------------------------------------------ retries


def test_a_call_that_fails_after_retries_has_a_client_span_per_attempt(
    loopback: LoopbackServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    for _ in range(3):
        body = json.dumps({"error": {"message": "down"}}).encode()
        loopback.replies.append(
            Reply(500, body, {"content-type": "application/json", "x-request-id": "req_9"})
        )
    policy = RetryPolicy(max_retries=2, initial_delay=0.0)
    with Client(
        "pk", base_url=loopback.url, retry_policy=policy, tracer_provider=provider
    ) as client:
        with pytest.raises(InternalServerError):
            list(client.runs.list("thread_1"))
    spans = exporter.get_finished_spans()
    assert tree(spans) == ["portkey_runs.list", "  GET", "  GET", "  GET"]
    gets = named(spans, "GET")
    assert [attrs(g)["portkey_runs.attempt"] for g in gets] == [1, 2, 3]
    assert [attrs(g).get("http.request.resend_count") for g in gets] == [None, 1, 2]
    for get in gets:
        assert attrs(get)["http.response.status_code"] == 500
        assert attrs(get)["error.type"] == "500"
        assert attrs(get)["portkey.request_id"] == "req_9"
        assert get.status.status_code is StatusCode.ERROR
    (walk,) = named(spans, "portkey_runs.list")
    assert attrs(walk)["error.type"] == "InternalServerError"
    # Every attempt announced itself as the parent, not the first one's span.
    assert [r.headers["traceparent"] for r in loopback.requests] == [traceparent(g) for g in gets]


def test_a_connection_failure_sets_error_type_on_the_attempt(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    from tests._loopback import free_port

    with Client(
        "pk", base_url=f"http://127.0.0.1:{free_port()}", max_retries=0, tracer_provider=provider
    ) as client:
        with pytest.raises(APIConnectionError):
            next(client.runs.list("thread_1").pages())
    (get,) = named(exporter.get_finished_spans(), "GET")
    assert attrs(get)["error.type"] == "ConnectError"
    assert get.status.status_code is StatusCode.ERROR


def test_portkey_answer_headers_become_attributes(
    loopback: LoopbackServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    headers = {
        "x-request-id": "req_1",
        "x-portkey-trace-id": "tr_1",
        "x-portkey-cache-status": "MISS",
        "x-portkey-retry-attempt-count": "2",
        "x-portkey-provider": "openai",
    }
    page = Reply.json(EMPTY_PAGE)
    loopback.replies.append(Reply(200, page.body, {**page.headers, **headers}))
    with Client("pk", base_url=loopback.url, tracer_provider=provider) as client:
        list(client.runs.list("thread_1"))
    (get,) = named(exporter.get_finished_spans(), "GET")
    assert {k: v for k, v in attrs(get).items() if k.startswith("portkey.")} == {
        "portkey.request_id": "req_1",
        "portkey.trace_id": "tr_1",
        "portkey.cache_status": "MISS",
        "portkey.retry_attempt_count": 2,
        "portkey.provider": "openai",
    }


# ------------------------------------------------------------------------ the tool loop

LOOP_TREE = [
    "app",
    "  portkey_runs.run_tools",
    "    portkey_runs.round",
    "      execute_tool get_weather",
    "        tool.lookup",
    "      execute_tool get_weather",
    "        tool.lookup",
    "      portkey_runs.stream",
    "        POST",
    "    portkey_runs.round",
    "      execute_tool get_local_time",
    "        tool.lookup",
    "      execute_tool get_local_time",
    "        tool.lookup",
    "      portkey_runs.stream",
    "        POST",
]


def check_loop(spans: Sequence[ReadableSpan], run: Run, content: bool) -> None:
    assert tree(spans) == LOOP_TREE
    (loop,) = named(spans, "portkey_runs.run_tools")
    assert attrs(loop)["portkey_runs.rounds"] == 2
    assert attrs(loop)["portkey_runs.run.status"] == "completed"
    rounds = named(spans, "portkey_runs.round")
    assert [attrs(r)["portkey_runs.round"] for r in rounds] == [1, 2]
    first_ids = [c.id for c in run.required_action.submit_tool_outputs.tool_calls]  # type: ignore[union-attr]
    tool_spans = [s for s in spans if s.name.startswith("execute_tool")]
    round_one = [s for s in tool_spans if attrs(s)["gen_ai.tool.name"] == "get_weather"]
    assert sorted(attrs(s)["gen_ai.tool.call.id"] for s in round_one) == sorted(first_ids)
    for span in tool_spans:
        a = attrs(span)
        assert span.kind is SpanKind.INTERNAL
        assert a["gen_ai.operation.name"] == "execute_tool"
        assert "error.type" not in a
        assert ("gen_ai.tool.call.arguments" in a) is content
        assert ("gen_ai.tool.call.result" in a) is content


def test_a_two_round_tool_loop_in_threads_nests_each_tools_own_span(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    tracer = provider.get_tracer("app")

    def traced(function: Any) -> Any:
        def tool(**kwargs: Any) -> Any:
            with tracer.start_as_current_span("tool.lookup"):
                return function(**kwargs)

        return tool

    functions = {name: traced(getattr(tools, name)) for name in ("get_weather", "get_local_time")}
    thread, run = waiting(server, tool_calls=2, rounds=2)
    with Client(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
        with tracer.start_as_current_span("app"):
            with client.runs.run_tools(thread, run, tools=functions) as loop:
                assert loop.until_done().status.value == "completed"
    check_loop(exporter.get_finished_spans(), run, content=False)


async def test_a_two_round_tool_loop_in_tasks_nests_each_tools_own_span(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    tracer = provider.get_tracer("app")

    async def get_weather(**kwargs: Any) -> Any:  # a task
        with tracer.start_as_current_span("tool.lookup"):
            return tools.get_weather(**kwargs)

    def get_local_time(**kwargs: Any) -> Any:  # a worker thread of the async loop
        with tracer.start_as_current_span("tool.lookup"):
            return tools.get_local_time(**kwargs)

    functions = {"get_weather": get_weather, "get_local_time": get_local_time}
    thread, run = waiting(server, tool_calls=2, rounds=2)
    async with AsyncClient(
        SECRET, base_url=server.base_url, tracer_provider=provider, trace_content=True
    ) as client:
        with tracer.start_as_current_span("app"):
            async with client.runs.run_tools(thread, run, tools=functions) as loop:
                assert (await loop.until_done()).status.value == "completed"
    check_loop(exporter.get_finished_spans(), run, content=True)


def test_failed_and_unknown_tools_set_error_type(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    def broken(**_: Any) -> Any:
        raise ValueError("no weather today")

    thread, run = waiting(server, tool_calls=2, rounds=2)
    with Client(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
        with client.runs.run_tools(thread, run, tools={"get_weather": broken}) as loop:
            loop.until_done()
    spans = exporter.get_finished_spans()
    kinds = {
        (attrs(s)["gen_ai.tool.name"], attrs(s)["error.type"])
        for s in spans
        if s.name.startswith("execute_tool")
    }
    # Round 1 calls get_weather (raises); round 2 asks for get_local_time, which is unknown.
    assert kinds == {("get_weather", "ValueError"), ("get_local_time", "ToolError")}
    for span in spans:
        if span.name.startswith("execute_tool"):
            assert span.status.status_code is StatusCode.ERROR
            assert span.status.description is None, "no content unless opted in"


def test_a_tool_that_times_out_is_a_timeout_error(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    import threading

    release = threading.Event()

    def stuck(**_: Any) -> Any:
        release.wait(10)
        return "late"

    thread, run = waiting(server, tool_calls=1, rounds=1)
    try:
        with Client(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
            with client.runs.run_tools(
                thread, run, tools={"get_weather": stuck}, tool_timeout=0.1
            ) as loop:
                loop.until_done()
    finally:
        release.set()
    (span,) = named(exporter.get_finished_spans(), "execute_tool get_weather")
    assert attrs(span)["error.type"] == "TimeoutError"


def test_a_loop_that_fails_ends_its_spans_with_the_error(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    from portkey_runs import ToolError

    def broken(**_: Any) -> Any:
        raise ValueError("no")

    thread, run = waiting(server, tool_calls=1)
    with Client(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
        with client.runs.run_tools(
            thread, run, tools={"get_weather": broken}, on_tool_error="raise"
        ) as loop:
            with pytest.raises(ToolError):
                loop.until_done()
    spans = exporter.get_finished_spans()
    assert tree(spans) == [
        "portkey_runs.run_tools",
        "  portkey_runs.round",
        "    execute_tool get_weather",
    ]
    (loop_span,) = named(spans, "portkey_runs.run_tools")
    assert attrs(loop_span)["error.type"] == "ToolError"
    assert attrs(loop_span)["portkey_runs.rounds"] == 0


def test_a_run_that_stops_asking_ends_the_loop_span_with_the_error(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    from portkey_runs import ToolLoopError

    thread = server.state.create_thread(statuses=["in_progress"])
    with Client(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
        run = next(iter(client.runs.list(thread)))
        with client.runs.run_tools(thread, run, tools={"get_weather": tools.get_weather}) as loop:
            with pytest.raises(ToolLoopError):
                loop.until_done()
    (loop_span,) = named(exporter.get_finished_spans(), "portkey_runs.run_tools")
    assert attrs(loop_span)["error.type"] == "ToolLoopError"
    assert loop_span.status.status_code is StatusCode.ERROR


@pytest.mark.parametrize(
    ("option", "value"), [("trace_context", "yes"), ("trace_content", 1), ("trace_context", None)]
)
def test_bad_tracing_options_are_clear_errors(option: str, value: object) -> None:
    with pytest.raises(TypeError, match=option):
        Client("pk", **{option: value})  # type: ignore[arg-type]


def test_a_wrapped_tool_keeps_its_name_signature_and_kind(
    server: RunningServer, provider: TracerProvider
) -> None:
    import inspect

    from portkey_runs._tools import _Planned
    from portkey_runs._tracing import Tracing

    async def lookup(city: str, limit: int = 3) -> str:
        return city

    thread, run = waiting(server, tool_calls=1)
    trace_ = Tracing(provider=provider).loop(thread)
    trace_.run(run, 0, False)
    plans = [
        _Planned("call_1", "get_weather", "{}", tools.get_weather, {}, None),
        _Planned("call_2", "lookup", "{}", lookup, {}, None),
    ]
    wrapped = trace_.round(1, plans)
    for plan, original in zip(wrapped, plans, strict=True):
        assert plan.function is not original.function, "wrapped in its span"
        assert plan.function is not None
        assert original.function is not None
        assert plan.function.__name__ == original.function.__name__
        assert inspect.signature(plan.function) == inspect.signature(original.function)
    assert inspect.iscoroutinefunction(wrapped[1].function)
    assert not inspect.iscoroutinefunction(wrapped[0].function)


# ------------------------------------------------------------------------ content and secrets


@pytest.mark.parametrize("how", ["option", "environment", "off"])
def test_tool_content_is_recorded_only_on_opt_in_and_secrets_never(
    how: str,
    server: RunningServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if how == "environment":
        monkeypatch.setenv(CONTENT_ENV, "true")
    content = None if how != "option" else True
    thread, run = waiting(server, tool_calls=1)
    base_url = server.base_url.replace("http://", "http://user:hunter2@")
    with Client(
        SECRET,
        base_url=base_url,
        virtual_key="vk-SECRET-virtual",
        tracer_provider=provider,
        trace_content=content,
    ) as client:
        with client.runs.run_tools(thread, run, tools={"get_weather": tools.get_weather}) as loop:
            loop.until_done()
    spans = exporter.get_finished_spans()
    (tool,) = named(spans, "execute_tool get_weather")
    recorded = "gen_ai.tool.call.arguments" in attrs(tool)
    assert recorded is (how != "off")
    if recorded:
        assert json.loads(str(attrs(tool)["gen_ai.tool.call.arguments"]))["location"]
        assert json.loads(str(attrs(tool)["gen_ai.tool.call.result"]))
    everything = json.dumps(
        [{**attrs(s), "name": s.name, "events": [e.attributes for e in s.events]} for s in spans],
        default=str,
    )
    for secret in (SECRET, "vk-SECRET-virtual", "hunter2"):
        assert secret not in everything


def test_url_full_keeps_no_password_and_no_secret_query_value() -> None:
    import httpx

    url = httpx.URL("https://u:pw@api.example/v1/runs?limit=2&api_key=sk-1&token=t&order=asc")
    shown = full_url(url)
    assert shown == "https://api.example/v1/runs?limit=2&api_key=REDACTED&token=REDACTED&order=asc"


# ------------------------------------------------------------------------ the trace context


def test_the_w3c_context_and_baggage_are_injected_by_the_propagator(
    loopback: LoopbackServer, provider: TracerProvider
) -> None:
    loopback.replies.append(Reply.json(EMPTY_PAGE))
    tracer = provider.get_tracer("app")
    with Client("pk", base_url=loopback.url, tracer_provider=provider) as client:
        with tracer.start_as_current_span("app") as app:
            token = context.attach(baggage.set_baggage("tenant", "acme"))
            try:
                list(client.runs.list("thread_1"))
            finally:
                context.detach(token)
    sent = loopback.requests[0].headers
    trace_id = f"{app.get_span_context().trace_id:032x}"
    assert sent["traceparent"].startswith(f"00-{trace_id}-")
    assert sent["baggage"] == "tenant=acme"
    assert sent["x-portkey-trace-id"] == trace_id


def test_an_explicit_trace_id_wins_and_trace_context_false_sends_no_context(
    loopback: LoopbackServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    loopback.replies += [Reply.json(EMPTY_PAGE), Reply.json(EMPTY_PAGE), Reply.json(EMPTY_PAGE)]
    with Client("pk", base_url=loopback.url, tracer_provider=provider, trace_id="mine") as client:
        list(client.runs.list("thread_1"))
        list(client.runs.list("thread_1", trace_id="call", extra_headers={"traceparent": "x"}))
    with Client("pk", base_url=loopback.url, tracer_provider=provider, trace_context=False) as c:
        list(c.runs.list("thread_1"))
    first, second, third = (r.headers for r in loopback.requests)
    assert first["x-portkey-trace-id"] == "mine"
    assert first["traceparent"].startswith("00-")
    assert (second["x-portkey-trace-id"], second["traceparent"]) == ("call", "x")
    assert not {"traceparent", "x-portkey-trace-id"} & set(third)
    assert len(named(exporter.get_finished_spans(), "GET")) == 3, "spans are still recorded"


def test_with_no_tracer_provider_nothing_is_recorded_or_sent(loopback: LoopbackServer) -> None:
    loopback.replies.append(Reply.json(EMPTY_PAGE))
    assert not trace.get_current_span().get_span_context().is_valid
    with Client("pk", base_url=loopback.url) as client:  # the global provider: a no-op one
        list(client.runs.list("thread_1"))
    sent = loopback.requests[0].headers
    assert not {"traceparent", "tracestate", "baggage", "x-portkey-trace-id"} & set(sent)


def test_the_span_headers_are_client_and_call_options(loopback: LoopbackServer) -> None:
    loopback.replies += [Reply.json(EMPTY_PAGE), Reply.json(EMPTY_PAGE)]
    with Client(
        "pk", base_url=loopback.url, span_id="s1", span_name="agent", parent_span_id="p0"
    ) as client:
        list(client.runs.list("thread_1"))
        list(client.runs.list("thread_1", span_id="s2", span_name="step", parent_span_id="s1"))
    first, second = (r.headers for r in loopback.requests)
    spans = ("x-portkey-span-id", "x-portkey-span-name", "x-portkey-parent-span-id")
    assert [first[h] for h in spans] == ["s1", "agent", "p0"]
    assert [second[h] for h in spans] == ["s2", "step", "s1"]


@pytest.mark.parametrize("option", ["span_id", "span_name", "parent_span_id"])
def test_a_bad_span_option_is_a_clear_error(option: str) -> None:
    with Client("pk", base_url="http://127.0.0.1:9") as client:
        options: dict[str, Any] = {option: ""}
        with pytest.raises(ValueError, match=f"{option} must be a non-empty string"):
            client.runs.list("thread_1", **options)
        options = {option: "a\nb"}
        with pytest.raises(ValueError, match=f"x-portkey-{option.replace('_', '-')}"):
            client.runs.list("thread_1", **options)


# ------------------------------------------------------------------------ without OpenTelemetry

NO_OTEL = textwrap.dedent(
    """
    import sys

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name == "opentelemetry" or name.startswith("opentelemetry."):
                raise ImportError(f"{name} is blocked for this test")
            return None

    sys.meta_path.insert(0, Refuse())

    from portkey_runs import Client
    from portkey_runs.testing import ReferenceState, serve

    with serve(ReferenceState(seed=3), event_delay=0) as server:
        thread = server.state.create_thread(statuses=["requires_action"])
        with Client("pk", base_url=server.base_url, max_retries=0) as client:
            run = next(iter(client.runs.list(thread)))
            call = run.required_action.submit_tool_outputs.tool_calls[0]
            outputs = [{"tool_call_id": call.id, "output": "sunny"}]
            with client.runs.stream_tool_outputs(thread, run.id, outputs) as stream:
                final = stream.until_done()
        sent = [dict(r.headers) for r in server.state.requests]
    print(final.status.value)
    print(sorted(m for m in sys.modules if m.split(".")[0] == "opentelemetry"))
    print(sorted({h for headers in sent for h in headers if "trace" in h or h == "baggage"}))
    """
)


def test_without_opentelemetry_nothing_of_it_is_imported_and_nothing_changes() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_OTEL],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    status, modules, headers = done.stdout.splitlines()[-3:]
    assert status == "completed"
    assert modules == "[]"
    assert headers == "[]"


# ------------------------------------------------------------------------ review of issue 17


def test_a_raw_stream_is_a_stream_span_too(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    thread, run = waiting(server, tool_calls=1)
    call = run.required_action.submit_tool_outputs.tool_calls[0]  # type: ignore[union-attr]
    outputs = [{"tool_call_id": call.id, "output": "sunny"}]
    with Client(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
        raw = client.runs.with_raw_response.stream_tool_outputs(thread, run.id, outputs)
        with raw as answer:
            events = list(answer.parse())
    spans = exporter.get_finished_spans()
    assert tree(spans) == ["portkey_runs.stream", "  POST"]
    (streamed,) = named(spans, "portkey_runs.stream")
    assert attrs(streamed)["portkey_runs.stream.events"] == len(events) > 3
    assert attrs(streamed)["portkey_runs.run.status"] == "completed"


async def test_an_async_raw_stream_is_a_stream_span_too(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    thread, run = waiting(server, tool_calls=1)
    call = run.required_action.submit_tool_outputs.tool_calls[0]  # type: ignore[union-attr]
    outputs = [{"tool_call_id": call.id, "output": "sunny"}]
    async with AsyncClient(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
        raw = client.runs.with_raw_response.stream_tool_outputs(thread, run.id, outputs)
        async with raw as answer:
            events = [event async for event in answer.parse()]
    spans = exporter.get_finished_spans()
    assert tree(spans) == ["portkey_runs.stream", "  POST"]
    (streamed,) = named(spans, "portkey_runs.stream")
    assert attrs(streamed)["portkey_runs.stream.events"] == len(events) > 3


BY_ID_TREE = [
    "portkey_runs.run_tools",
    "  portkey_runs.list",
    "    GET",
    "  portkey_runs.round",
    "    execute_tool get_weather",
    "    portkey_runs.stream",
    "      POST",
]


def test_a_loop_given_a_run_id_finds_the_run_inside_its_span(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    thread, run = waiting(server, tool_calls=1, rounds=1)
    functions = {"get_weather": tools.get_weather}
    with Client(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
        with client.runs.run_tools(thread, run.id, tools=functions) as loop:
            assert loop.until_done().status.value == "completed"
    assert tree(exporter.get_finished_spans()) == BY_ID_TREE


async def test_an_async_loop_given_a_run_id_finds_the_run_inside_its_span_and_ends_the_walk(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    thread, run = waiting(server, tool_calls=1, rounds=1)
    server.state.add_run(thread, "completed")  # listed before the run looked for

    async def get_weather(**kwargs: Any) -> Any:  # awaits nothing: no turn of the event loop
        return tools.get_weather(**kwargs)

    async with AsyncClient(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
        async with client.runs.run_tools(
            thread, run.id, tools={"get_weather": get_weather}
        ) as loop:
            assert (await loop.until_done()).status.value == "completed"
    spans = exporter.get_finished_spans()
    assert tree(spans) == BY_ID_TREE
    # The walk left once the run was found ended then, not when the event loop got round to it.
    (walk,) = named(spans, "portkey_runs.list")
    (tool,) = named(spans, "execute_tool get_weather")
    assert walk.end_time is not None
    assert tool.start_time is not None
    assert walk.end_time <= tool.start_time


class _Started(SpanProcessor):
    """A span processor that remembers every span started (to find one never ended)."""

    def __init__(self) -> None:
        self.started: list[Any] = []

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        self.started.append(span)


@pytest.mark.parametrize("stopped", ["recorded", "loop ended"])
def test_a_tool_whose_thread_starts_after_its_timeout_leaks_no_span(
    server: RunningServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    stopped: str,
) -> None:
    from portkey_runs._tools import ToolCall, _Planned, _Timeout
    from portkey_runs._tracing import LoopTrace

    started = _Started()
    provider.add_span_processor(started)
    _, run = waiting(server, tool_calls=1)
    trace_ = LoopTrace(provider.get_tracer("test"), "thread_1", False)
    trace_.run(run, 0, False)
    (plan,) = trace_.round(1, [_Planned("call_1", "slow", "{}", lambda: "late", {}, None)])
    error = "TimeoutError: slow did not return within 0 s"
    trace_.called(ToolCall("call_1", "slow", "{}", "{}", error, 1), _Timeout("slow"))
    if stopped == "loop ended":
        trace_.end(None, run, 1)
    assert plan.function is not None
    assert plan.function() == "late"  # the thread got to run only now
    trace_.end(None, run, 1)
    finished = {span.context.span_id for span in exporter.get_finished_spans()}
    never_ended = [s.name for s in started.started if s.context.span_id not in finished]
    assert never_ended == []
    assert len(named(exporter.get_finished_spans(), "execute_tool slow")) == 1


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_tools_error_message_reaches_no_span_unless_content_is_recorded(
    server: RunningServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    asynchronous: bool,
) -> None:
    import asyncio

    from portkey_runs import ToolError

    private = "customer alice@example.com has no weather"

    def broken(**_: Any) -> Any:
        raise ValueError(private)

    thread, run = waiting(server, tool_calls=1)
    functions = {"get_weather": broken}
    if asynchronous:

        async def main() -> None:
            async with AsyncClient(
                SECRET, base_url=server.base_url, tracer_provider=provider
            ) as client:
                async with client.runs.run_tools(
                    thread, run, tools=functions, on_tool_error="raise"
                ) as loop:
                    await loop.until_done()

        with pytest.raises(ToolError, match="alice"):
            asyncio.run(main())
    else:
        with Client(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
            with client.runs.run_tools(thread, run, tools=functions, on_tool_error="raise") as loop:
                with pytest.raises(ToolError, match="alice"):
                    loop.until_done()
    spans = exporter.get_finished_spans()
    assert {s.name for s in spans} >= {"portkey_runs.run_tools", "portkey_runs.round"}
    for span in spans:
        seen = [span.status.description, *map(str, attrs(span).values())]
        seen += [str(event.attributes) for event in span.events]
        assert not [text for text in seen if text and "alice" in text], span.name


def test_url_full_redacts_the_query_parameters_the_http_conventions_name() -> None:
    import httpx

    # OpenTelemetry's url.full: AWSAccessKeyId, Signature, sig, X-Goog-Signature (e.g. an
    # Azure SAS token's sig) are redacted by default.
    url = httpx.URL("https://h/x?sig=s1&Signature=s2&AWSAccessKeyId=s3&X-Goog-Signature=s4&n=1")
    shown = full_url(url)
    assert shown == (
        "https://h/x?sig=REDACTED&Signature=REDACTED&AWSAccessKeyId=REDACTED"
        "&X-Goog-Signature=REDACTED&n=1"
    )


async def test_an_async_walk_left_in_aclosing_ends_its_span_at_once(
    server: RunningServer, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    import contextlib

    thread = server.state.create_thread(n_runs=5)
    async with AsyncClient(SECRET, base_url=server.base_url, tracer_provider=provider) as client:
        async with contextlib.aclosing(aiter(client.runs.list(thread, limit=2))) as runs:
            async for _ in runs:
                break
        (walk,) = named(exporter.get_finished_spans(), "portkey_runs.list")  # as the README says
    assert (attrs(walk)["portkey_runs.list.pages"], attrs(walk)["portkey_runs.list.runs"]) == (1, 2)
