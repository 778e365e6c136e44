"""Secrets stay secret when the server echoes them (issue 16, point 7): a gateway that quotes
the request's headers in its error message or body. Nothing the client shows of the error —
its message, repr, body, the request it keeps, a traceback — holds a secret it sent."""

from __future__ import annotations

import contextlib
import json
import pickle
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from portkey_runs import (
    APIConnectionError,
    APIStatusError,
    AsyncClient,
    AuthenticationError,
    Client,
    InternalServerError,
    PaginationError,
    ResponseValidationError,
    StreamError,
    ToolError,
)
from portkey_runs._headers import redact_text

OUTPUTS = [{"tool_call_id": "call_1", "output": "21"}]
SECRETS = (
    "pk-SECRET-api",
    "vk-SECRET-virtual",
    "sk-SECRET-upstream",
    "tt-SECRET-team",
    "prov-SECRET-in-config",
    "aws-SECRET-per-call",
)
CONFIG = {"provider": "openai", "api_key": "prov-SECRET-in-config"}


class EchoServer:
    """Answers every request by quoting its headers back, in the form the thread id names:
    ``json401`` (an error object's message), ``text502`` (a plain-text page), ``stream``
    (an SSE ``error`` event with a JSON message), ``streamtext`` (one whose data is text)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._answer()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self._answer()

            def _answer(self) -> None:
                echoed = "; ".join(f"{k}: {v}" for k, v in self.headers.items())
                secret_first = "; ".join(
                    f"{k}: {v}"
                    for k, v in self.headers.items()
                    if k.lower().startswith(("x-", "authorization"))
                )
                mode = self.path.split("/")[2]
                if mode == "json401":
                    status, kind = 401, "application/json"
                    body = json.dumps(
                        {"error": {"message": f"bad credentials in {echoed}", "type": "auth"}}
                    )
                elif mode == "text502":
                    status, kind, body = 502, "text/plain", f"upstream refused: {echoed}"
                elif mode == "json200":  # an echo service (httpbin's /anything) as base_url
                    status, kind = 200, "application/json"
                    body = json.dumps({"headers": dict(self.headers.items()), "url": self.path})
                elif mode == "text200":
                    status, kind, body = 200, "text/plain", f"you sent {echoed}"
                elif mode == "streambad":  # a known event whose data is not what the spec says
                    status, kind = 200, "text/event-stream"
                    data = json.dumps({"id": "run_1", "echo": echoed})
                    body = f"event: thread.run.created\ndata: {data}\n\n"
                elif mode == "stream":
                    status, kind = 200, "text/event-stream"
                    data = json.dumps({"message": f"upstream said no to {echoed}", "code": "x"})
                    body = f"event: error\ndata: {data}\n\n"
                elif mode == "streamparam":  # the header it objects to, in the error's fields
                    status, kind = 200, "text/event-stream"
                    data = json.dumps(
                        {"message": "bad header", "type": echoed, "param": echoed, "code": echoed}
                    )
                    body = f"event: error\ndata: {data}\n\n"
                else:  # the ones that matter first: a message keeps 200 characters
                    status, kind = 200, "text/event-stream"
                    body = f"event: error\ndata: upstream said no to {secret_first}\n\n"
                raw = body.encode()
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> EchoServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    with EchoServer() as server:
        yield server


def client_options(url: str) -> dict[str, Any]:
    return {
        "base_url": url,
        "max_retries": 0,
        "virtual_key": "vk-SECRET-virtual",
        "authorization": "sk-SECRET-upstream",
        "config": CONFIG,
        "trace_id": "trace-visible",
        "headers": {
            "x-portkey-sensitive-headers": "x-team-token",
            "x-team-token": "tt-SECRET-team",
        },
    }


PER_CALL = {"extra_headers": {"x-portkey-aws-secret-access-key": "aws-SECRET-per-call"}}


def shown(error: BaseException) -> str:
    """Everything of ``error`` a log line, a debugger or a traceback would show."""
    parts = [
        str(error),
        repr(error),
        "".join(traceback.format_exception(error)),
        repr(getattr(error, "body", None)),
        repr(getattr(error, "error", None)),
        repr(pickle.loads(pickle.dumps(error))),
    ]
    response = getattr(error, "response", None)
    if response is not None:
        parts += [
            response.text,
            repr(response.request.headers),
            repr(dict(response.request.headers)),
        ]
    return "\n".join(parts)


def assert_masked(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
    assert "SECRET" not in text
    assert "***" in text, "the echo was there, masked"
    assert "trace-visible" in text, "what is not a secret is shown as sent"


def test_a_json_error_message_quoting_the_headers_is_masked(echo: EchoServer) -> None:
    with Client("pk-SECRET-api", **client_options(echo.url)) as client:
        with pytest.raises(AuthenticationError) as caught:
            list(client.runs.list("json401", **PER_CALL))  # type: ignore[arg-type]
    error = caught.value
    assert error.error is not None
    assert "x-portkey-api-key: ***" in error.error.message
    assert isinstance(error.body, dict)
    assert "Authorization: ***" in error.body["error"]["message"]
    assert_masked(shown(error))
    assert repr(error.response.request.headers).count("<redacted>") >= 5


def test_a_plain_text_error_page_quoting_the_headers_is_masked(echo: EchoServer) -> None:
    with Client("pk-SECRET-api", **client_options(echo.url)) as client:
        with pytest.raises(APIStatusError) as caught:
            client.runs.submit_tool_outputs("text502", "run_1", OUTPUTS, **PER_CALL)  # type: ignore[arg-type]
    error = caught.value
    assert error.status_code == 502
    assert isinstance(error, InternalServerError)
    assert isinstance(error.body, str)
    assert "x-portkey-virtual-key: ***" in error.body
    assert_masked(shown(error))


@pytest.mark.parametrize("mode", ["stream", "streamtext"])
def test_a_stream_error_event_quoting_the_headers_is_masked(echo: EchoServer, mode: str) -> None:
    with Client("pk-SECRET-api", **client_options(echo.url)) as client:
        with (
            pytest.raises(StreamError) as caught,
            client.runs.stream_tool_outputs(mode, "run_1", OUTPUTS, **PER_CALL) as stream,  # type: ignore[arg-type]
        ):
            list(stream)
        # Reading on raises the same (masked) error again.
        with pytest.raises(StreamError) as again:
            next(stream)
    assert again.value is caught.value
    assert "x-portkey-api-key: ***" in str(caught.value)
    assert_masked(shown(caught.value))
    assert not any(str(caught.value).endswith(secret[:4]) for secret in SECRETS)
    assert_masked(repr(stream.response.request.headers) + str(caught.value))
    if mode == "stream":
        assert caught.value.error is not None
        assert_masked(caught.value.error.message)


def test_a_stream_error_event_quoting_the_headers_in_its_fields_is_masked(
    echo: EchoServer,
) -> None:
    with Client("pk-SECRET-api", **client_options(echo.url)) as client:
        with (
            pytest.raises(StreamError) as caught,
            client.runs.stream_tool_outputs("streamparam", "run_1", OUTPUTS, **PER_CALL) as stream,  # type: ignore[arg-type]
        ):
            list(stream)
    error = caught.value.error
    assert error is not None
    for field in (error.type_, error.param, error.code):
        assert field is not None
        assert "x-portkey-api-key: ***" in field
    assert_masked(shown(caught.value))


async def test_the_async_client_masks_the_same(echo: EchoServer) -> None:
    async with AsyncClient("pk-SECRET-api", **client_options(echo.url)) as client:
        with pytest.raises(AuthenticationError) as status:
            await client.runs.submit_tool_outputs("json401", "run_1", OUTPUTS, **PER_CALL)  # type: ignore[arg-type]
        with pytest.raises(StreamError) as event:
            async with client.runs.stream_tool_outputs(
                "stream",
                "run_1",
                OUTPUTS,
                **PER_CALL,  # type: ignore[arg-type]
            ) as stream:
                async for _ in stream:
                    pass
    assert_masked(shown(status.value))
    assert_masked(shown(event.value))


@pytest.mark.parametrize(
    "mode",
    # a 200 whose JSON breaks the spec raises only when read strictly; text never reads
    [pytest.param("json200", marks=pytest.mark.strict_responses), "text200"],
)
def test_a_success_answer_echoing_the_headers_is_masked_in_the_validation_error(
    echo: EchoServer, mode: str
) -> None:
    with Client("pk-SECRET-api", **client_options(echo.url)) as client:
        with pytest.raises(ResponseValidationError) as caught:
            list(client.runs.list(mode, **PER_CALL))  # type: ignore[arg-type]
    assert "***" in repr(caught.value.body)
    assert_masked(shown(caught.value) + repr(caught.value.body))


@pytest.mark.strict_responses  # the event breaks the spec where only strict reading raises
def test_a_stream_event_echoing_the_headers_is_masked_in_the_validation_error(
    echo: EchoServer,
) -> None:
    with Client("pk-SECRET-api", **client_options(echo.url)) as client:
        with (
            pytest.raises(ResponseValidationError) as caught,
            client.runs.stream_tool_outputs("streambad", "run_1", OUTPUTS, **PER_CALL) as stream,  # type: ignore[arg-type]
        ):
            list(stream)
    assert_masked(shown(caught.value) + repr(caught.value.body))


async def test_the_async_client_masks_a_validation_error_the_same(echo: EchoServer) -> None:
    async with AsyncClient("pk-SECRET-api", **client_options(echo.url)) as client:
        with pytest.raises(ResponseValidationError) as caught:
            await client.runs.submit_tool_outputs("json200", "run_1", OUTPUTS, **PER_CALL)  # type: ignore[arg-type]
    assert_masked(shown(caught.value) + repr(caught.value.body))


def test_only_the_secret_values_are_masked(echo: EchoServer) -> None:
    # The api key alone is a secret here: every other header shows as sent.
    with Client("pk-plain", base_url=echo.url, max_retries=0) as client:
        with pytest.raises(AuthenticationError) as caught:
            list(client.runs.list("json401"))
    message = str(caught.value)
    assert "x-portkey-api-key: ***" in message, "the api key is always a secret"
    assert "pk-plain" not in message
    assert "openai-beta: assistants=v2" in message.lower()
    assert caught.value.response.request.headers["openai-beta"] == "assistants=v2"


@pytest.mark.parametrize("cut", range(4, len("pk-SECRET-api")))
def test_a_message_cut_inside_a_secret_masks_its_start(cut: int) -> None:
    text = "quoting x-portkey-api-key: " + "pk-SECRET-api"[:cut]
    assert redact_text(text, ["pk-SECRET-api"]) == "quoting x-portkey-api-key: ***"
    assert redact_text(text + "…", ["pk-SECRET-api"]) == "quoting x-portkey-api-key: ***…"
    assert redact_text("ends in pk-", ["pk-SECRET-api"]) == "ends in pk-"  # too short to tell


def test_the_partial_mask_costs_a_few_searches_per_secret_not_one_per_length() -> None:
    # It runs on every string of an error body (a page of runs that fails validation holds
    # hundreds of thousands): counted in calls of C functions, not timed.
    import sys

    secrets = ["s" + "x" * 300]
    calls = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        if event == "c_call":
            calls += 1

    sys.setprofile(count)
    try:
        redact_text("an ordinary string of a run's instructions", secrets)
    finally:
        sys.setprofile(None)
    assert calls < 20


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("ends with abab-ab", "ends with ***"),  # the longest start, not the first found
        ("abab-abab-a", "***"),
        ("abab-abab-ab whole", "*** whole"),
        ("abab-abab-ab and abab-a…", "*** and ***…"),
        ("the middle bab-a", "the middle bab-a"),  # a secret's middle is not its start
        ("aba", "aba"),
    ],
)
def test_the_partial_mask_finds_the_longest_start_of_a_secret_ending_the_text(
    text: str, masked: str
) -> None:
    assert redact_text(text, ["abab-abab-ab"]) == masked


@pytest.fixture
def malformed_echo() -> Iterator[str]:
    """A server whose answer to one request has a malformed header line quoting the
    request's api key (an HTTP protocol error, whose message quotes that line); its base URL."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(30)

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                (line,) = [
                    line
                    for line in data.split(b"\r\n")
                    if line.lower().startswith(b"x-portkey-api-key:")
                ]
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\n"
                    + line.replace(b":", b" =", 1)  # no colon: not a header line
                    + b"\r\ncontent-length: 0\r\n\r\n"
                )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    host, port = listener.getsockname()
    yield f"http://{host}:{port}"
    thread.join(timeout=10)
    listener.close()


def test_a_protocol_error_quoting_a_header_is_masked_and_its_cause_dropped(
    malformed_echo: str,
) -> None:
    with Client("pk-SECRET-api", base_url=malformed_echo, max_retries=0) as client:
        with pytest.raises(APIConnectionError) as caught:
            list(client.runs.list("thread_1"))
    error = caught.value
    assert "x-portkey-api-key = ***" in str(error)
    assert error.__cause__ is None, "the cause quotes the secret unmasked"
    text = "".join(traceback.format_exception(error))
    assert "pk-SECRET" not in text
    assert "SECRET" not in repr(pickle.loads(pickle.dumps(error)))


async def test_the_async_client_drops_such_a_cause_too(malformed_echo: str) -> None:
    async with AsyncClient("pk-SECRET-api", base_url=malformed_echo, max_retries=0) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    assert "SECRET" not in "".join(traceback.format_exception(caught.value))


def _spans_of() -> Any:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def _span_texts(exporter: Any) -> str:
    spans = exporter.get_finished_spans()
    assert spans, "no span was recorded"
    return "\n".join(
        f"{span.name} {span.status.description} {dict(span.attributes or {})} "
        f"{[(e.name, dict(e.attributes or {})) for e in span.events]}"
        for span in spans
    )


def test_an_attempt_span_never_quotes_a_protocol_errors_echoed_secret(
    malformed_echo: str,
) -> None:
    # The attempt's span (under the retries) saw the raw httpx error, whose message quotes
    # the malformed line: the error raised masks it, so must the span's status.
    provider, exporter = _spans_of()
    with Client(
        "pk-SECRET-api", base_url=malformed_echo, max_retries=0, tracer_provider=provider
    ) as client:
        with pytest.raises(APIConnectionError):
            list(client.runs.list("thread_1"))
    text = _span_texts(exporter)
    assert "RemoteProtocolError" in text
    assert "SECRET" not in text, text
    provider.shutdown()


async def test_an_async_attempt_span_never_quotes_it_either(malformed_echo: str) -> None:
    provider, exporter = _spans_of()
    async with AsyncClient(
        "pk-SECRET-api", base_url=malformed_echo, max_retries=0, tracer_provider=provider
    ) as client:
        with pytest.raises(APIConnectionError):
            await client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    text = _span_texts(exporter)
    assert "RemoteProtocolError" in text
    assert "SECRET" not in text, text
    provider.shutdown()


@pytest.mark.parametrize("field", ["last_id", "first_id", "id"])
def test_a_cursor_or_run_id_quoting_an_echoed_secret_is_masked_in_the_walks_error(
    field: str, loopback: Any
) -> None:
    # A gateway that echoes the Authorization header as a page's cursor or a run's id: the
    # walk stops (a cursor that is not the page's edge run: PaginationError; a run id no
    # cursor can hold: ResponseValidationError) with an error quoting it: masked too.
    from tests._loopback import Reply
    from tests.overlay.test_real_shapes import _run

    echoed = "Bearer sk-SECRET-upstream"
    run = _run("completed")
    if field == "id":
        run["id"] = echoed
    page = {
        "object": "list",
        "data": [run],
        "first_id": run["id"] if field != "first_id" else echoed,
        "last_id": run["id"] if field != "last_id" else echoed,
        "has_more": True,
    }
    loopback.replies.append(
        Reply(200, json.dumps(page).encode(), {"content-type": "application/json"})
    )
    with Client(
        "pk-SECRET-api",
        base_url=loopback.url,
        max_retries=0,
        provider="openai",
        authorization=echoed,
    ) as client:
        before = "run_9" if field == "first_id" else None
        walk = client.runs.list("thread_1", before=before)
        with pytest.raises((PaginationError, ResponseValidationError)) as caught:
            list(walk)
    error = caught.value
    assert loopback.requests[0].headers["authorization"] == echoed  # it was there to leak
    assert "***" in str(error)
    text = f"{error} {getattr(error, 'body', '')!r} {''.join(traceback.format_exception(error))}"
    assert "SECRET" not in text, text


def _loop_replies(loopback: Any, where: str, echoed: str) -> None:
    """A listing with a waiting run, then (``run_id``) a stream whose run waits again under
    an id that echoes the secret; (``function``) the waiting run's function name echoes it."""
    from tests._loopback import Reply
    from tests.overlay.test_real_shapes import _run

    def waiting(run_id: str, name: str) -> dict[str, Any]:
        call = {"id": "call_1", "type": "function", "function": {"name": name, "arguments": "{}"}}
        required = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [call]}}
        return {**_run("requires_action", required_action=required), "id": run_id}

    first = waiting("run_1", echoed if where == "function" else "lookup")
    page = {"object": "list", "data": [first], "first_id": "run_1", "last_id": "run_1"}
    loopback.replies.append(
        Reply(
            200,
            json.dumps({**page, "has_more": False}).encode(),
            {"content-type": "application/json"},
        )
    )
    again = json.dumps(waiting(echoed, "lookup"))
    events = f"event: thread.run.requires_action\ndata: {again}\n\nevent: done\ndata: [DONE]\n\n"
    loopback.replies.append(Reply(200, events.encode(), {"content-type": "text/event-stream"}))


@pytest.mark.parametrize("where", ["function", "run_id"])
def test_a_tool_loops_error_quoting_an_echoed_secret_is_masked(where: str, loopback: Any) -> None:
    # A tool call's function name (unknown: ToolError) or the next round's run id (no path can
    # hold it: ResponseValidationError) echoing the Authorization header the loop sent.
    echoed = "Bearer sk-SECRET-upstream"
    _loop_replies(loopback, where, echoed)
    with Client(
        "pk-SECRET-api",
        base_url=loopback.url,
        max_retries=0,
        provider="openai",
        authorization=echoed,
    ) as client:
        loop = client.runs.run_tools(
            "thread_1", "run_1", tools={"lookup": lambda: "ok"}, on_tool_error="raise"
        )
        with pytest.raises((ToolError, ResponseValidationError)) as caught:
            loop.until_done()
    error = caught.value
    assert loopback.requests[0].headers["authorization"] == echoed  # it was there to leak
    assert "***" in str(error)
    text = f"{error} {getattr(error, 'body', '')!r} {''.join(traceback.format_exception(error))}"
    assert "SECRET" not in text, text


@pytest.mark.parametrize("where", ["function", "run_id"])
async def test_an_async_tool_loops_error_is_masked_too(where: str, loopback: Any) -> None:
    echoed = "Bearer sk-SECRET-upstream"
    _loop_replies(loopback, where, echoed)
    async with AsyncClient(
        "pk-SECRET-api",
        base_url=loopback.url,
        max_retries=0,
        provider="openai",
        authorization=echoed,
    ) as client:
        loop = client.runs.run_tools(
            "thread_1", "run_1", tools={"lookup": lambda: "ok"}, on_tool_error="raise"
        )
        with pytest.raises((ToolError, ResponseValidationError)) as caught:
            await loop.until_done()
    text = f"{caught.value} {getattr(caught.value, 'body', '')!r}"
    assert "***" in text
    assert "SECRET" not in text, text
