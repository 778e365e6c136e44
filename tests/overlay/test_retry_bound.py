"""Issue 16 §4: a server-directed wait longer than ``max_retry_after`` is not slept.

The answer that asked for it is handed over at once (its error carries ``retry_after``); a
wait within the bound is slept as before.
"""

from __future__ import annotations

import email.utils
from collections.abc import Iterator

import httpx
import pytest

from portkey_runs import (
    AsyncClient,
    AsyncRetryTransport,
    Client,
    InternalServerError,
    RateLimitError,
    RetryPolicy,
    RetryTransport,
)
from tests._loopback import EMPTY_PAGE, LoopbackServer, Reply

OUTPUTS = [{"tool_call_id": "call_1", "output": "21"}]
FAR_DATE = "Fri, 31 Dec 9999 23:59:59 GMT"


def _error(status: int, **headers: str) -> Reply:
    return Reply.json({"error": {"message": f"status {status}", "type": "x"}}, status, **headers)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _client(url: str, sleeps: Sleeps, policy: RetryPolicy) -> Client:
    transport = RetryTransport(policy=policy, sleep=sleeps, rand=lambda: 0.0)
    client = Client("pk", base_url=url)
    client.api.set_httpx_client(httpx.Client(base_url=url, transport=transport))
    return client


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(loopback: LoopbackServer, sleeps: Sleeps) -> Iterator[Client]:
    with _client(loopback.url, sleeps, RetryPolicy(max_retries=2)) as c:
        yield c


def test_the_default_bound_is_sixty_seconds() -> None:
    assert RetryPolicy().max_retry_after == 60.0


@pytest.mark.parametrize(("wait", "retried"), [("60", True), ("60.5", False), ("999999", False)])
def test_the_policy_retries_only_within_the_bound(wait: str, retried: bool) -> None:
    request = httpx.Request("GET", "http://127.0.0.1/x")
    response = httpx.Response(429, headers={"retry-after": wait}, request=request)
    delay = RetryPolicy().after_response("GET", response, 1, 0.0, 0.0)
    assert delay == (float(wait) if retried else None)


def test_a_negative_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="max_retry_after must be >= 0"):
        RetryPolicy(max_retry_after=-1)


@pytest.mark.parametrize(
    "headers",
    [{"retry-after": "999999"}, {"retry-after-ms": "999999000"}, {"retry-after": FAR_DATE}],
)
def test_a_long_server_wait_raises_at_once_with_retry_after(
    headers: dict[str, str], loopback: LoopbackServer, client: Client, sleeps: Sleeps
) -> None:
    loopback.replies += [_error(429, **headers), Reply.json(EMPTY_PAGE)]
    with pytest.raises(RateLimitError) as info:
        list(client.runs.list("thread_1"))
    assert sleeps == []
    assert len(loopback.requests) == 1
    assert info.value.retry_after == headers.get("retry-after")
    assert info.value.response.headers.get("retry-after-ms") == headers.get("retry-after-ms")


def test_a_long_wait_on_a_post_503_raises_at_once(
    loopback: LoopbackServer, client: Client, sleeps: Sleeps
) -> None:
    loopback.replies += [_error(503, **{"retry-after": "3600"}), Reply.json({})]
    with pytest.raises(InternalServerError) as info:
        client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS)
    assert (sleeps, len(loopback.requests), info.value.retry_after) == ([], 1, "3600")


def test_a_wait_within_a_custom_bound_is_slept(loopback: LoopbackServer, sleeps: Sleeps) -> None:
    policy = RetryPolicy(max_retries=2, max_retry_after=5)
    loopback.replies += [_error(429, **{"retry-after": "5"}), Reply.json(EMPTY_PAGE)]
    with _client(loopback.url, sleeps, policy) as client:
        assert list(client.runs.list("thread_1")) == []
    assert sleeps == [5.0]
    loopback.replies += [_error(429, **{"retry-after": "6"}), Reply.json(EMPTY_PAGE)]
    with _client(loopback.url, sleeps, policy) as client, pytest.raises(RateLimitError):
        list(client.runs.list("thread_1"))
    assert sleeps == [5.0]


def test_the_client_default_policy_does_not_sleep_past_the_bound(
    loopback: LoopbackServer,
) -> None:
    """Through the real client and its real sleep: the first answer is the error."""
    loopback.replies += [_error(429, **{"retry-after": "999999"}), Reply.json(EMPTY_PAGE)]
    with Client("pk", base_url=loopback.url) as client, pytest.raises(RateLimitError):
        list(client.runs.list("thread_1"))
    assert len(loopback.requests) == 1


@pytest.mark.anyio
async def test_the_async_twin_raises_at_once(loopback: LoopbackServer) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    loopback.replies += [_error(429, **{"retry-after": FAR_DATE}), Reply.json(EMPTY_PAGE)]
    transport = AsyncRetryTransport(policy=RetryPolicy(), sleep=sleep, rand=lambda: 0.0)
    async with AsyncClient("pk", base_url=loopback.url) as client:
        client.api.set_async_httpx_client(
            httpx.AsyncClient(base_url=loopback.url, transport=transport)
        )
        with pytest.raises(RateLimitError) as info:
            [run async for run in client.runs.list("thread_1")]
    assert (slept, len(loopback.requests), info.value.retry_after) == ([], 1, FAR_DATE)


def test_a_past_date_is_still_retried_at_once(
    loopback: LoopbackServer, client: Client, sleeps: Sleeps
) -> None:
    past = email.utils.formatdate(0, usegmt=True)
    loopback.replies += [_error(429, **{"retry-after": past}), Reply.json(EMPTY_PAGE)]
    assert list(client.runs.list("thread_1")) == []
    assert sleeps == [0.0]
