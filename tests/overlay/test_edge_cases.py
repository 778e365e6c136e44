"""Edge cases found in review: odd retry hints, hostile header values, httpx options,
copies of the client, redirects, broken bodies, and streams read twice."""

from __future__ import annotations

import gzip
import json
import logging
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from portkey_runs import (
    APIConnectionError,
    AsyncClient,
    AsyncRetryTransport,
    Client,
    IncompleteStreamError,
    RetryPolicy,
    RetryTransport,
    StreamError,
    UnknownEvent,
)
from portkey_runs._headers import portkey_headers
from portkey_runs._sse import ServerSentEvent, SSEDecoder
from tests._loopback import EMPTY_PAGE, LoopbackServer, Reply, connection_pool

OUTPUTS = [{"tool_call_id": "call_1", "output": "21"}]
SSE = {"content-type": "text/event-stream"}


def _error(status: int, **headers: str) -> Reply:
    return Reply.json({"error": {"message": f"status {status}", "type": "x"}}, status, **headers)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(loopback: LoopbackServer, sleeps: list[float]) -> Iterator[Client]:
    """A client whose httpx client retries (twice) with a recorded, instant sleep."""
    transport = RetryTransport(
        policy=RetryPolicy(max_retries=2), sleep=sleeps.append, rand=lambda: 0.0
    )
    with Client("pk", base_url=loopback.url) as c:
        c.api.set_httpx_client(httpx.Client(base_url=loopback.url, transport=transport))
        yield c


# --- retry hints --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201, 204, 302])
def test_a_success_is_never_retried_even_with_x_should_retry_true(
    status: int, loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies += [Reply.json({}, status, **{"x-should-retry": "true"}), Reply.json({})]
    response = client.api.get_httpx_client().post("/x", json={})
    assert response.status_code == status
    assert len(loopback.requests) == 1, "an answered POST must not be sent again"


async def test_async_success_is_never_retried_even_with_x_should_retry_true(
    loopback: LoopbackServer,
) -> None:
    loopback.replies += [Reply.json({}, 200, **{"x-should-retry": "true"}), Reply.json({})]
    transport = AsyncRetryTransport(sleep=lambda s: _noop(), rand=lambda: 0.0)
    async with httpx.AsyncClient(base_url=loopback.url, transport=transport) as http:
        assert (await http.post("/x", json={})).status_code == 200
    assert len(loopback.requests) == 1


async def _noop() -> None:
    return None


@pytest.mark.parametrize(
    "value", ["nan", "inf", "-5", "-0.5", "soon", "Wed, 21 Oct 99999999999 07:28:00 GMT", ""]
)
def test_a_retry_after_that_is_not_a_finite_delay_counts_as_absent(value: str) -> None:
    policy = RetryPolicy()
    assert policy.server_delay(httpx.Headers({"retry-after": value}), 1e9) is None
    assert policy.server_delay(httpx.Headers({"retry-after-ms": value}), 1e9) is None


def test_a_past_http_date_means_no_wait() -> None:
    policy = RetryPolicy()
    headers = httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert policy.server_delay(headers, 2e9) == 0.0


@pytest.mark.parametrize("value", ["nan", "Wed, 21 Oct 99999999999 07:28:00 GMT", "-5"])
def test_an_odd_retry_after_falls_back_to_backoff_without_crashing(
    value: str, loopback: LoopbackServer, client: Client, sleeps: list[float]
) -> None:
    loopback.replies += [_error(503, **{"retry-after": value}), Reply.json(EMPTY_PAGE)]
    assert list(client.runs.list("thread_1")) == []
    assert sleeps == [0.5]
    assert all(math.isfinite(s) for s in sleeps)


def test_a_post_503_with_an_invalid_retry_after_is_not_retried(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies += [_error(503, **{"retry-after": "-1"}), Reply.json({})]
    with pytest.raises(Exception, match="status 503"):
        client.runs.submit_tool_outputs("t", "r", OUTPUTS)
    assert len(loopback.requests) == 1


# --- header values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["pk-SECRET\x00x", "pk-SECRET\x7f", "pk-SÉCRET", "pk-SECRET\x1b[0m"]
)
def test_control_and_non_ascii_characters_are_refused_without_showing_the_value(bad: str) -> None:
    with pytest.raises(
        ValueError, match="header x-portkey-api-key: value must be printable ASCII"
    ) as info:
        portkey_headers(bad)
    assert "SECRET" not in str(info.value)
    assert "SÉCRET" not in str(info.value)


def test_non_ascii_metadata_is_sent_as_ascii_json() -> None:
    value = portkey_headers("k", metadata={"user": "José"})["x-portkey-metadata"]
    assert value == r'{"user":"Jos\u00e9"}'
    assert json.loads(value) == {"user": "José"}


# --- httpx options ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "use"),
    [
        ("auth", "api_key="),
        ("transport", "transport="),
        ("mounts", "transport="),
        ("headers", "headers="),
        ("verify", "verify_ssl="),
    ],
)
def test_httpx_args_that_the_client_owns_are_refused_by_name(key: str, use: str) -> None:
    with pytest.raises(
        ValueError, match=f"httpx_args\\['{key}'\\] is set by the client: use .*{use}"
    ):
        Client("pk", httpx_args={key: object()})


def test_the_environment_proxy_is_used(
    loopback: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", loopback.url)
    loopback.replies.append(Reply.json(EMPTY_PAGE))
    with Client("pk", base_url="http://runs.example.invalid/v1") as client:
        assert list(client.runs.list("thread_1")) == []
    (request,) = loopback.requests
    assert request.raw_path.startswith("http://runs.example.invalid/v1/threads/thread_1/runs")
    assert request.headers["x-portkey-api-key"] == "pk"


def test_copies_from_with_headers_and_with_timeout_keep_credentials_and_retries(
    loopback: LoopbackServer,
) -> None:
    from portkey_runs_api.api.runs import list_runs

    loopback.replies += [_error(503), Reply.json(EMPTY_PAGE), Reply.json(EMPTY_PAGE)]
    client = Client("pk-copy", base_url=loopback.url, retry_policy=RetryPolicy(initial_delay=0))
    copy = client.api.with_headers({"x-extra": "1"}).with_timeout(httpx.Timeout(5.0))
    with copy:
        assert list_runs.sync_detailed("thread_1", client=copy).status_code == 200
    _, second = loopback.requests
    assert second.headers["x-portkey-api-key"] == "pk-copy"
    assert second.headers["x-extra"] == "1"
    assert "pk-copy" not in repr(copy)
    with client:
        assert list(client.runs.list("thread_1")) == []
    assert "x-extra" not in loopback.requests[2].headers


def test_secrets_are_not_sent_to_another_origin_on_a_redirect(loopback: LoopbackServer) -> None:
    from tests._loopback import serve

    for other in serve():
        other.replies.append(Reply.json(EMPTY_PAGE))
        loopback.replies.append(Reply(302, b"", {"location": other.url + "/v1/threads/t/runs"}))
        with Client(
            "pk-SECRET",
            base_url=loopback.url,
            virtual_key="vk-SECRET",
            authorization="sk-SECRET",
            follow_redirects=True,
        ) as client:
            assert list(client.runs.list("t")) == []
        (moved,) = other.requests
        assert not any("SECRET" in value for value in moved.headers.values())
        assert loopback.requests[0].headers["x-portkey-api-key"] == "pk-SECRET"


def test_tls_verification_is_on_in_both_httpx_clients() -> None:
    import ssl

    client = Client("pk")
    for http in (client.api.get_httpx_client(), client.api.get_async_httpx_client()):
        context: ssl.SSLContext = connection_pool(http)._ssl_context
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
    client.close()


def test_a_password_in_the_base_url_never_reaches_the_log(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="portkey_runs")
    loopback.replies.append(Reply.json(EMPTY_PAGE))
    url = loopback.url.replace("http://", "http://user:PASS-SECRET@")
    aws = {"x-portkey-aws-secret-access-key": "AWS-SECRET"}
    with Client("pk", base_url=url, headers=aws) as client:
        list(client.runs.list("t"))
        assert "AWS-SECRET" not in repr(client.api.get_httpx_client().headers)
    assert "SECRET" not in caplog.text
    assert loopback.requests[0].headers["x-portkey-aws-secret-access-key"] == "AWS-SECRET"


# --- broken bodies and streams ------------------------------------------------------------------


def test_an_undecodable_body_is_an_api_connection_error(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(Reply(200, b"not gzip at all", {"content-encoding": "gzip"}))
    with pytest.raises(APIConnectionError, match="DecodingError"):
        list(client.runs.list("t"))


def test_an_undecodable_stream_is_an_incomplete_stream_error(loopback: LoopbackServer) -> None:
    body = gzip.compress(b"event: thread.run.queued\ndata: {}\n\n")[:-8] + b"garbage!"
    loopback.replies.append(Reply(200, [body], {**SSE, "content-encoding": "gzip"}))
    with Client("pk", base_url=loopback.url) as client:
        with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            with pytest.raises(IncompleteStreamError, match="DecodingError"):
                list(stream)


def test_an_error_body_cut_off_on_a_stream_request_is_typed(loopback: LoopbackServer) -> None:
    loopback.replies.append(
        Reply(500, [b'{"error": {"mess'], {"content-type": "application/json"}, cut=True)
    )
    with Client("pk", base_url=loopback.url, max_retries=0) as client:
        with pytest.raises(APIConnectionError, match="RemoteProtocolError"):
            with client.runs.stream_tool_outputs("t", "r", OUTPUTS):
                pass


@pytest.mark.parametrize(
    "error",
    [
        {"code": 500, "message": "upstream exploded", "type": None, "param": 3},
        {"error": {"message": "upstream exploded", "code": 500}},
    ],
)
def test_an_error_event_with_odd_field_types_still_carries_the_message(
    error: dict[str, Any], loopback: LoopbackServer
) -> None:
    loopback.replies.append(
        Reply(200, [f"event: error\ndata: {json.dumps(error)}\n\n".encode()], SSE)
    )
    with Client("pk", base_url=loopback.url) as client:
        with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            with pytest.raises(StreamError, match="upstream exploded") as info:
                list(stream)
    assert info.value.error is not None
    assert info.value.error.code is None


def test_an_unknown_event_with_text_data_is_handed_over_as_text(loopback: LoopbackServer) -> None:
    body = (
        b"event: ping\n\nevent: thread.keepalive\ndata: still here\n\nevent: done\ndata: [DONE]\n\n"
    )
    loopback.replies.append(
        Reply(200, [body], {"content-type": "Text/Event-Stream; charset=UTF-8"})
    )
    with Client("pk", base_url=loopback.url) as client:
        with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            events = list(stream)
    assert events == [UnknownEvent("thread.keepalive", "still here")]


def test_a_finished_stream_read_again_yields_nothing(loopback: LoopbackServer) -> None:
    loopback.replies.append(Reply(200, [b"event: done\ndata: [DONE]\n\n"], SSE))
    with Client("pk", base_url=loopback.url) as client:
        with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            assert list(stream) == []
            assert list(stream) == []


async def test_async_finished_stream_read_again_yields_nothing(loopback: LoopbackServer) -> None:
    loopback.replies.append(Reply(200, [b"event: done\ndata: [DONE]\n\n"], SSE))
    async with AsyncClient("pk", base_url=loopback.url) as client:
        async with client.runs.stream_tool_outputs("t", "r", OUTPUTS) as stream:
            assert [e async for e in stream] == []
            assert [e async for e in stream] == []


def test_an_event_without_data_is_not_dispatched() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"event: ping\n\n: comment\n\nevent: x\ndata\n\n") == [
        ServerSentEvent("x", "")
    ]


def test_an_empty_cursor_is_refused(client: Client) -> None:
    with pytest.raises(ValueError, match="after must not be ''"):
        client.runs.list("t", after="")
    with pytest.raises(ValueError, match="before must not be ''"):
        client.runs.list("t", before="")


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b"1" * 5000, b"\xff\xfe{", b""],
    ids=["too-deep", "too-many-digits", "not-utf8", "empty"],
)
def test_a_2xx_body_json_cannot_read_is_a_response_validation_error(
    body: bytes, loopback: LoopbackServer, client: Client
) -> None:
    from portkey_runs import ResponseValidationError

    loopback.replies.append(Reply(200, body, {"content-type": "application/json"}))
    with pytest.raises(ResponseValidationError, match="is not JSON"):
        list(client.runs.list("t"))


@pytest.mark.parametrize("cursor", ["run/1", "run 1", "\ud800", "a?b"])
def test_a_cursor_that_is_not_an_id_is_refused(cursor: str, client: Client) -> None:
    with pytest.raises(ValueError, match="after must not contain"):
        client.runs.list("t", after=cursor)
