"""Secrets never reach logs, reprs or error messages; TLS verification stays on."""

from __future__ import annotations

import logging
import ssl
from typing import Any

import pytest

from portkey_runs import APIStatusError, AsyncClient, Client, RateLimitError
from portkey_runs._headers import portkey_headers
from tests._loopback import EMPTY_PAGE, LoopbackServer, Reply, connection_pool

PAGE = EMPTY_PAGE


def secret_client(base_url: str, **options: Any) -> Client:
    return Client(
        "pk-SECRET-api",
        base_url=base_url,
        virtual_key="vk-SECRET-virtual",
        authorization="sk-SECRET-upstream",
        **options,
    )


def _assert_clean(text: str) -> None:
    assert "SECRET" not in text, text


def test_debug_log_has_method_url_status_attempt_and_no_secret(
    loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    loopback.replies += [
        Reply.json({"error": {"message": "slow down"}}, 429, **{"retry-after": "0"}),
        Reply.json(PAGE),
    ]
    caplog.set_level(logging.DEBUG, logger="portkey_runs")
    with secret_client(
        loopback.url,
        headers={"x-portkey-sensitive-headers": "x-team-token", "x-team-token": "tt-SECRET-team"},
    ) as client:
        assert list(client.runs.list("thread_1")) == []
    text = caplog.text
    _assert_clean(text)
    assert "GET http://127.0.0.1" in text
    assert "-> 429 (attempt 1" in text
    assert "-> 200 (attempt 2" in text
    assert "x-portkey-api-key': '<redacted>'" in text
    assert "x-team-token': '<redacted>'" in text
    assert " ms)" in text
    # ...and the secrets really were sent.
    assert loopback.requests[0].headers["x-portkey-api-key"] == "pk-SECRET-api"
    assert loopback.requests[0].headers["authorization"] == "Bearer sk-SECRET-upstream"


async def test_client_repr_and_str_show_no_secret(loopback: LoopbackServer) -> None:
    with secret_client(loopback.url) as client:
        for shown in (client, client.api, client.api.get_httpx_client().headers, client.runs):
            _assert_clean(repr(shown))
            _assert_clean(str(shown))
        assert "x-portkey-api-key" in repr(client), "the repr names the headers it sends"
    async with AsyncClient("pk-SECRET-api", base_url=loopback.url) as async_client:
        _assert_clean(repr(async_client))
        _assert_clean(repr(async_client.api.get_async_httpx_client().headers))


def test_error_messages_and_reprs_show_no_secret(loopback: LoopbackServer) -> None:
    loopback.replies.append(
        Reply.json({"error": {"message": "slow down", "type": "rate_limit"}}, 429)
    )
    with secret_client(loopback.url, max_retries=0) as client:
        with pytest.raises(RateLimitError) as info:
            client.runs.submit_tool_outputs(
                "thread_1", "run_1", [{"tool_call_id": "c", "output": "o"}]
            )
    error: APIStatusError = info.value
    _assert_clean(str(error))
    _assert_clean(repr(error))
    _assert_clean(repr(error.error))


def test_header_errors_name_the_header_never_the_value() -> None:
    with pytest.raises(ValueError, match="x-portkey-api-key") as info:
        portkey_headers("pk-SECRET\r\n")
    _assert_clean(str(info.value))
    assert "x-portkey-api-key" in str(info.value)


def test_tls_verification_stays_on_by_default() -> None:
    client = Client("pk")
    pool = connection_pool(client.api.get_httpx_client())
    context: ssl.SSLContext = pool._ssl_context
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    client.close()
