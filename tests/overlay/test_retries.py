"""The retrying transport: what is retried, how long it waits, and what never is."""

from __future__ import annotations

import email.utils
from collections.abc import Iterator

import httpx
import pytest

from portkey_runs import (
    APIConnectionError,
    AsyncRetryTransport,
    Client,
    InternalServerError,
    RateLimitError,
    ResponseMeta,
    RetryPolicy,
    RetryTransport,
)
from tests._loopback import EMPTY_PAGE, LoopbackServer, Reply, free_port

PAGE = EMPTY_PAGE
OUTPUTS = [{"tool_call_id": "call_1", "output": "21"}]


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def recording(url: str, sleeps: Sleeps) -> Client:
    """A client whose httpx client retries (twice) with a recorded, instant sleep."""
    transport = RetryTransport(policy=RetryPolicy(max_retries=2), sleep=sleeps, rand=lambda: 0.0)
    client = Client("pk", base_url=url)
    client.api.set_httpx_client(httpx.Client(base_url=url, transport=transport))
    return client


@pytest.fixture
def client(loopback: LoopbackServer, sleeps: Sleeps) -> Iterator[Client]:
    with recording(loopback.url, sleeps) as c:
        yield c


def _error(status: int, **headers: str) -> Reply:
    return Reply.json({"error": {"message": f"status {status}", "type": "x"}}, status, **headers)


# --- the policy, pure -------------------------------------------------------------------------


def test_backoff_doubles_from_half_a_second_and_is_capped() -> None:
    policy = RetryPolicy(jitter=0)
    assert [policy.backoff(n, 0.0) for n in (1, 2, 3, 4, 5, 6)] == [0.5, 1, 2, 4, 8, 8]


def test_jitter_only_shortens_the_wait() -> None:
    policy = RetryPolicy()
    assert policy.backoff(1, 1.0) == pytest.approx(0.375)
    assert policy.backoff(1, 0.0) == 0.5


def test_server_delay_reads_ms_seconds_and_http_dates() -> None:
    policy = RetryPolicy()
    now = 1_700_000_000.0
    assert policy.server_delay(httpx.Headers({"retry-after-ms": "1500"}), now) == 1.5
    assert policy.server_delay(httpx.Headers({"retry-after": "3"}), now) == 3.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert policy.server_delay(httpx.Headers({"retry-after": date}), now) == 7.0
    assert policy.server_delay(httpx.Headers({"retry-after": "86400"}), now) == 86400.0
    assert policy.server_delay(httpx.Headers({"retry-after": "soon"}), now) is None
    assert policy.server_delay(httpx.Headers({}), now) is None


def test_negative_max_retries_is_refused() -> None:
    with pytest.raises(ValueError, match="max_retries must be >= 0, not -1"):
        RetryPolicy(max_retries=-1)


# --- on the wire ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 520])
def test_get_is_retried_on_retryable_status(
    status: int, loopback: LoopbackServer, client: Client, sleeps: Sleeps
) -> None:
    loopback.replies += [_error(status), Reply.json(PAGE)]
    assert list(client.runs.list("thread_1")) == []
    assert len(loopback.requests) == 2
    assert sleeps == [0.5]


def test_get_is_not_retried_on_400(loopback: LoopbackServer, client: Client) -> None:
    loopback.replies += [_error(400), Reply.json(PAGE)]
    with pytest.raises(Exception, match="status 400"):
        list(client.runs.list("thread_1"))
    assert len(loopback.requests) == 1


def test_retry_after_is_honoured_and_attempts_are_exposed(
    loopback: LoopbackServer, client: Client, sleeps: Sleeps
) -> None:
    loopback.replies += [_error(429, **{"retry-after": "2"}), Reply.json(PAGE)]
    response = client.api.get_httpx_client().get("/threads/t/runs")
    assert response.status_code == 200
    assert ResponseMeta.of(response).attempts == 2
    assert sleeps == [2.0]


def test_retry_after_ms_wins_over_retry_after(
    loopback: LoopbackServer, client: Client, sleeps: Sleeps
) -> None:
    headers = {"retry-after": "5", "retry-after-ms": "250"}
    loopback.replies += [_error(503, **headers), Reply.json(PAGE)]
    client.api.get_httpx_client().get("/x")
    assert sleeps == [0.25]


def test_retries_stop_after_max_retries_with_the_last_error(
    loopback: LoopbackServer, client: Client, sleeps: Sleeps
) -> None:
    loopback.replies += [_error(502), _error(502), _error(503)]
    with pytest.raises(InternalServerError) as info:
        list(client.runs.list("thread_1"))
    assert info.value.status_code == 503
    assert len(loopback.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_x_should_retry_false_stops_a_retry(loopback: LoopbackServer, client: Client) -> None:
    loopback.replies += [_error(503, **{"x-should-retry": "false"}), Reply.json(PAGE)]
    assert client.api.get_httpx_client().get("/x").status_code == 503
    assert len(loopback.requests) == 1


def test_x_should_retry_true_retries_even_a_post(loopback: LoopbackServer, client: Client) -> None:
    loopback.replies += [_error(500, **{"x-should-retry": "true"}), Reply.json({}, 200)]
    assert client.api.get_httpx_client().post("/x", json={}).status_code == 200
    assert len(loopback.requests) == 2


@pytest.mark.parametrize("status", [500, 502, 503, 408, 409])
def test_post_is_not_retried_when_the_server_may_have_acted(
    status: int, loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies += [_error(status), Reply.json({}, 200)]
    with pytest.raises(Exception, match=f"status {status}"):
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    assert len(loopback.requests) == 1, "a tool output must never be submitted twice"


def test_post_is_retried_on_429(loopback: LoopbackServer, client: Client, sleeps: Sleeps) -> None:
    loopback.replies += [_error(429, **{"retry-after": "1"}), _error(429), _error(429)]
    with pytest.raises(RateLimitError):
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    assert len(loopback.requests) == 3
    assert sleeps == [1.0, 1.0]


def test_post_is_retried_on_503_with_retry_after(
    loopback: LoopbackServer, client: Client, sleeps: Sleeps
) -> None:
    loopback.replies += [_error(503, **{"retry-after": "1"}), _error(400)]
    with pytest.raises(Exception, match="status 400"):
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    assert len(loopback.requests) == 2


def test_post_is_not_retried_after_the_connection_broke(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies += [Reply(drop=True), Reply.json({}, 200)]
    with pytest.raises(APIConnectionError):
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    assert len(loopback.requests) == 1


def test_get_is_retried_after_the_connection_broke(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies += [Reply(drop=True), Reply.json(PAGE)]
    assert list(client.runs.list("thread_1")) == []
    assert len(loopback.requests) == 2


def test_post_is_retried_when_the_connection_was_refused(sleeps: Sleeps) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with (
        recording(url, sleeps) as client,
        pytest.raises(APIConnectionError, match="ConnectError"),
    ):
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    assert sleeps == [0.5, 1.0]


def test_max_retries_zero_disables_retries(loopback: LoopbackServer) -> None:
    loopback.replies += [_error(503), Reply.json(PAGE)]
    with Client("pk", base_url=loopback.url, max_retries=0) as client:
        with pytest.raises(InternalServerError):
            list(client.runs.list("thread_1"))
    assert len(loopback.requests) == 1


def test_the_client_retries_in_both_its_httpx_clients(loopback: LoopbackServer) -> None:
    client = Client("pk", base_url=loopback.url, max_retries=5)
    sync_transport = client.api.get_httpx_client()._transport
    async_transport = client.api.get_async_httpx_client()._transport
    assert isinstance(sync_transport, RetryTransport)
    assert isinstance(async_transport, AsyncRetryTransport)
    assert sync_transport.policy.max_retries == async_transport.policy.max_retries == 5
    client.close()


async def test_async_twin_retries_and_waits_the_same(loopback: LoopbackServer) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    loopback.replies += [_error(429, **{"retry-after": "3"}), Reply.json(PAGE)]
    transport = AsyncRetryTransport(sleep=sleep, rand=lambda: 0.0)
    async with httpx.AsyncClient(base_url=loopback.url, transport=transport) as http:
        response = await http.get("/x")
    assert response.status_code == 200
    assert ResponseMeta.of(response).attempts == 2
    assert waits == [3.0]


async def test_async_twin_does_not_retry_a_post_after_a_500(loopback: LoopbackServer) -> None:
    loopback.replies += [_error(500), Reply.json({})]
    transport = AsyncRetryTransport(sleep=lambda s: _noop(), rand=lambda: 0.0)
    async with httpx.AsyncClient(base_url=loopback.url, transport=transport) as http:
        response = await http.post("/x", json={})
    assert response.status_code == 500
    assert len(loopback.requests) == 1


async def _noop() -> None:
    return None


async def test_async_twin_retries_a_get_but_not_a_post_after_a_broken_connection(
    loopback: LoopbackServer,
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    loopback.replies += [Reply(drop=True), Reply.json(PAGE), Reply(drop=True), Reply.json({})]
    transport = AsyncRetryTransport(sleep=sleep, rand=lambda: 0.0)
    async with httpx.AsyncClient(base_url=loopback.url, transport=transport) as http:
        assert (await http.get("/x")).status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            await http.post("/x", json={})
    assert len(loopback.requests) == 3
    assert waits == [0.5]
