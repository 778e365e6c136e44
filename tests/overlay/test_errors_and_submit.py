"""Typed errors for every status, connection failures, invalid bodies and bad arguments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from portkey_runs import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncClient,
    AuthenticationError,
    BadRequestError,
    Client,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    Run,
    ToolOutput,
    UnprocessableEntityError,
)
from tests._loopback import LoopbackServer, Reply, free_port

ROOT = Path(__file__).resolve().parents[2]
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())
_OP = SPEC["paths"]["/threads/{thread_id}/runs/{run_id}/submit_tool_outputs"]["post"]
RUN: dict[str, Any] = next(
    iter(_OP["responses"]["200"]["content"]["application/json"]["examples"].values())
)["value"]
OUTPUTS = [{"tool_call_id": "call_1", "output": "21"}]


@pytest.fixture
def client(loopback: LoopbackServer) -> Iterator[Client]:
    with Client("pk-test", base_url=loopback.url + "/v1", max_retries=0) as c:
        yield c


def _error_reply(status: int, **headers: str) -> Reply:
    body = {
        "error": {
            "message": f"went wrong ({status})",
            "type": "invalid_request_error",
            "param": "limit",
            "code": "bad",
        }
    }
    return Reply.json(body, status, **headers)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (520, InternalServerError),
        (599, InternalServerError),
        (418, APIStatusError),
        (451, APIStatusError),
    ],
)
def test_each_status_raises_its_class_with_the_server_error(
    status: int, cls: type[APIStatusError], loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(
        _error_reply(status, **{"x-request-id": "req_1", "x-portkey-trace-id": "trace_1"})
    )
    with pytest.raises(APIStatusError) as info:
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    error = info.value
    assert type(error) is cls
    assert error.status_code == status
    assert error.request_id == "req_1"
    assert error.trace_id == "trace_1"
    assert error.error is not None
    assert error.error.message == f"went wrong ({status})"
    assert error.error.param == "limit"
    assert error.body["error"]["code"] == "bad"
    assert f"HTTP {status}" in str(error)
    assert "/v1/threads/thread_1/runs/run_1/submit_tool_outputs" in str(error)


def test_an_html_502_page_is_an_api_status_error_not_a_crash(
    loopback: LoopbackServer, client: Client
) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    loopback.replies.append(Reply(502, page, {"content-type": "text/html"}))
    with pytest.raises(InternalServerError) as info:
        list(client.runs.list("thread_1"))
    assert info.value.error is None
    assert isinstance(info.value.body, str)
    assert "502 Bad Gateway" in str(info.value)


def test_retry_after_is_readable_from_a_rate_limit_error(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(_error_reply(429, **{"retry-after": "7"}))
    with pytest.raises(RateLimitError) as info:
        list(client.runs.list("thread_1"))
    assert info.value.retry_after == "7"


def test_submit_returns_the_run_and_sends_the_body(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(Reply.json(RUN))
    outputs: list[ToolOutput | dict[str, str]] = [
        ToolOutput(tool_call_id="call_1", output="21"),
        {"tool_call_id": "call_2", "output": ""},
    ]
    run = client.runs.submit_tool_outputs("thread_abc", "run_abc", outputs)
    assert isinstance(run, Run)
    assert run.to_dict() == RUN
    (request,) = loopback.requests
    assert request.method == "POST"
    assert request.path == "/v1/threads/thread_abc/runs/run_abc/submit_tool_outputs"
    assert request.json() == {
        "tool_outputs": [
            {"tool_call_id": "call_1", "output": "21"},
            {"tool_call_id": "call_2", "output": ""},
        ],
        "stream": False,
    }


async def test_async_submit_returns_the_run(loopback: LoopbackServer) -> None:
    loopback.replies.append(Reply.json(RUN))
    async with AsyncClient("pk", base_url=loopback.url) as client:
        run = await client.runs.submit_tool_outputs("thread_abc", "run_abc", OUTPUTS)
    assert run.to_dict() == RUN


async def test_async_submit_raises_typed_errors(loopback: LoopbackServer) -> None:
    loopback.replies.append(_error_reply(404))
    async with AsyncClient("pk", base_url=loopback.url, max_retries=0) as client:
        with pytest.raises(NotFoundError):
            await client.runs.submit_tool_outputs("thread_abc", "run_abc", OUTPUTS)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Run: the body of a 200 answer is not JSON"),
        (b"[]", "Run: expected a JSON object, got list"),
        (
            json.dumps({k: v for k, v in RUN.items() if k != "status"}).encode(),
            r"Run\.status: missing required property",
        ),
        pytest.param(  # a field the client does not need: only strict reading raises
            json.dumps({**RUN, "created_at": "yesterday"}).encode(),
            r"Run\.created_at: expected integer",
            marks=pytest.mark.strict_responses,
        ),
    ],
)
def test_a_2xx_body_that_breaks_the_spec_is_a_response_validation_error(
    body: bytes, message: str, loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies.append(Reply(200, body, {"content-type": "application/json"}))
    with pytest.raises(ResponseValidationError, match=message):
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)


def test_a_page_whose_data_is_not_a_list_is_a_response_validation_error(
    loopback: LoopbackServer, client: Client
) -> None:
    page = {
        "object": "list",
        "data": {"id": "run_1"},
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }
    loopback.replies.append(Reply.json(page))
    with pytest.raises(ResponseValidationError, match="ListRunsResponse"):
        list(client.runs.list("thread_1"))


def test_connection_refused_is_an_api_connection_error() -> None:
    with Client("pk", base_url=f"http://127.0.0.1:{free_port()}", max_retries=0) as client:
        with pytest.raises(APIConnectionError, match="ConnectError") as info:
            list(client.runs.list("thread_1"))
    assert not isinstance(info.value, APITimeoutError)


def test_a_timeout_is_an_api_timeout_error(loopback: LoopbackServer) -> None:
    import threading

    gate = threading.Event()
    loopback.replies.append(
        Reply(200, [b"{", b"}"], {"content-type": "application/json"}, gates=[gate])
    )
    with Client("pk", base_url=loopback.url, max_retries=0, timeout=0.2) as client:
        with pytest.raises(APITimeoutError, match="ReadTimeout"):
            list(client.runs.list("thread_1"))
    gate.set()


@pytest.mark.parametrize(
    ("outputs", "error", "message"),
    [
        ([], ValueError, "tool_outputs must not be empty"),
        ({"tool_call_id": "c", "output": "o"}, TypeError, "not a single object"),
        ([{"tool_call_id": "c"}], TypeError, r"tool_outputs\[0\].output must be a string"),
        (
            [{"tool_call_id": 1, "output": "o"}],
            TypeError,
            r"tool_outputs\[0\].tool_call_id must be a string",
        ),
        (
            [{"tool_call_id": "c", "output": "o", "extra": 1}],
            ValueError,
            r"tool_outputs\[0\]: unknown key\(s\) 'extra'",
        ),
        (
            [{"tool_call_id": "c", "output": "o"}, {"tool_call_id": "c", "output": "p"}],
            ValueError,
            r"tool_outputs\[1\]: tool_call_id 'c' is given twice",
        ),
        (["c=o"], TypeError, r"tool_outputs\[0\] must be a ToolOutput or a dict, not str"),
    ],
)
def test_bad_tool_outputs_are_refused_before_any_request(
    outputs: Any, error: type[Exception], message: str, loopback: LoopbackServer, client: Client
) -> None:
    with pytest.raises(error, match=message):
        client.runs.submit_tool_outputs("thread_1", "run_1", outputs)
    assert loopback.requests == []


BAD_IDS = [
    "",
    ".",
    "..",
    "a/b",
    "../runs",
    "a?b",
    "a#b",
    "a b",
    "a\tb",
    "a\nb",
    "a\x00b",
    "a\x7fb",
    "a%2Fb",
    "a\\b",
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_every_bad_path_id_is_refused_before_any_request(
    bad: str, loopback: LoopbackServer, client: Client
) -> None:
    with pytest.raises(ValueError, match="thread_id"):
        list(client.runs.list(bad))
    with pytest.raises(ValueError, match="thread_id"):
        client.runs.submit_tool_outputs(bad, "run_1", OUTPUTS)
    with pytest.raises(ValueError, match="run_id"):
        client.runs.submit_tool_outputs("thread_1", bad, OUTPUTS)
    assert loopback.requests == []


def test_a_non_string_path_id_is_a_type_error(client: Client) -> None:
    with pytest.raises(TypeError, match="thread_id must be a string, not int"):
        list(client.runs.list(123))  # type: ignore[arg-type]


def test_real_ids_pass(loopback: LoopbackServer, client: Client) -> None:
    loopback.replies.append(
        Reply.json(
            {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}
        )
    )
    assert list(client.runs.list("thread_abc-123_XYZ.v2")) == []
    assert loopback.requests[0].path == "/v1/threads/thread_abc-123_XYZ.v2/runs"


def test_a_status_error_message_leaves_out_the_query_and_says_empty_body() -> None:
    request = httpx.Request("GET", "http://127.0.0.1/v1/x?limit=1")
    response = httpx.Response(520, content=b"", request=request)
    from portkey_runs.errors import status_error

    error = status_error(response)
    assert isinstance(error, InternalServerError)
    assert "(empty body)" in str(error)
    assert "limit" not in str(error)


# the path from the answer's root, in both modes (the default mode's: test_needed_location.py)
@pytest.mark.strict_responses
def test_a_deep_contract_breach_names_the_field_path(
    loopback: LoopbackServer, client: Client
) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    broken = {k: v for k, v in call.items() if k != "id"}
    action = {
        "type": "submit_tool_outputs",
        "submit_tool_outputs": {"tool_calls": [call, call, broken]},
    }
    loopback.replies.append(
        Reply.json({**RUN, "status": "requires_action", "required_action": action})
    )
    with pytest.raises(ResponseValidationError) as info:
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    assert info.value.location == "Run.required_action.submit_tool_outputs.tool_calls[2].id"
    assert "tool_calls[2].id: missing required property" in str(info.value)


def test_a_run_from_a_newer_server_still_parses(loopback: LoopbackServer, client: Client) -> None:
    newer = {**RUN, "status": "paused", "service_tier": "high"}
    loopback.replies.append(Reply.json(newer))
    run = client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    assert run.status.value == "paused"
    assert run.status.is_unknown
    assert run.to_dict() == newer


def test_errors_survive_pickling(loopback: LoopbackServer, client: Client) -> None:
    import pickle

    from portkey_runs import StreamError

    loopback.replies.append(_error_reply(429, **{"x-request-id": "req_9"}))
    with pytest.raises(RateLimitError) as info:
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    copy = pickle.loads(pickle.dumps(info.value))
    assert type(copy) is RateLimitError
    assert (copy.status_code, copy.request_id, str(copy)) == (429, "req_9", str(info.value))
    assert copy.error is not None
    assert copy.error.message == "went wrong (429)"
    stream_error = pickle.loads(pickle.dumps(StreamError("boom", info.value.error)))
    assert (str(stream_error), stream_error.error) == ("boom", info.value.error)
    validation = pickle.loads(
        pickle.dumps(ResponseValidationError("Run.id: bad", {"a": 1}, "Run.id"))
    )
    assert (validation.body, validation.location) == ({"a": 1}, "Run.id")
