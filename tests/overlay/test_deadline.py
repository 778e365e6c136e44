"""Issue 16 §3: ``deadline=`` bounds a whole call: every attempt, every retry wait, a body or a
stream until it ends.

Each hostile server here would hold the call for as long as the test lasts (it stops only when
the test stops it); the call ends with ``DeadlineExceededError`` instead. Times are asserted
as ratios of the deadline, with a generous upper bound and a lower bound that only a call
ending too early could break.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from portkey_runs import (
    APITimeoutError,
    AsyncClient,
    Client,
    DeadlineExceededError,
    InternalServerError,
    PortkeyError,
    RateLimitError,
    RetryPolicy,
    RetryTransport,
)
from tests._hostile import JSON_HEAD, SSE_HEAD, HostileServer, Script, chunk, forever
from tests._loopback import EMPTY_PAGE, LoopbackServer, Reply
from tests.overlay.test_streaming import EXAMPLE, OUTPUTS, SSE_HEADERS

DEADLINE = 0.3
#: The most a call may last, as a multiple of its deadline (a loaded 2-core box is slow).
SLACK = 5.0


def _silent() -> tuple[bytes, Iterator[tuple[float, bytes]]]:
    return b"", iter(())  # reads the request, never answers


def _comments() -> tuple[bytes, Iterator[tuple[float, bytes]]]:
    return SSE_HEAD, forever(0.02, chunk(b": keep-alive\n\n"))


def _sse_drip() -> tuple[bytes, Iterator[tuple[float, bytes]]]:
    return SSE_HEAD, forever(0.1, chunk(b"d"))  # "ddd...": one line that never ends


def _json_drip() -> tuple[bytes, Iterator[tuple[float, bytes]]]:
    return JSON_HEAD, forever(0.1, b" ")  # whitespace before a JSON value, forever


def _ended(started: float) -> float:
    """How long the call lasted, in deadlines."""
    return (time.monotonic() - started) / DEADLINE


def _check(error: BaseException, lasted: float) -> None:
    assert isinstance(error, DeadlineExceededError)
    assert isinstance(error, APITimeoutError)
    assert isinstance(error, PortkeyError)
    assert error.deadline == DEADLINE
    assert f"deadline of {DEADLINE} s" in str(error)
    assert "pass a larger deadline=" in str(error)
    print(f"lasted {lasted:.2f} deadlines")
    assert 0.9 <= lasted <= SLACK, f"the call lasted {lasted:.2f} deadlines"


# --- sync -------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", [_silent, _json_drip], ids=["silent", "drip"])
def test_a_listing_ends_at_its_deadline(script: Script) -> None:
    with HostileServer(script) as server, Client("pk", base_url=server.url) as client:
        started = time.monotonic()
        with pytest.raises(PortkeyError) as info:
            list(client.runs.list("thread_1", deadline=DEADLINE))
        _check(info.value, _ended(started))
        assert server.connections == 1, "a timeout at the deadline is not retried"


@pytest.mark.parametrize(
    "script", [_silent, _comments, _sse_drip], ids=["silent", "keep-alive", "drip"]
)
def test_a_stream_ends_at_its_deadline(script: Script) -> None:
    with (
        HostileServer(script) as server,
        Client("pk", base_url=server.url, deadline=DEADLINE) as client,
    ):
        started = time.monotonic()
        with pytest.raises(PortkeyError) as info:
            with client.runs.stream_tool_outputs("thread_1", "run_1", OUTPUTS) as stream:
                list(stream)
        _check(info.value, _ended(started))


def test_a_submission_ends_at_its_deadline() -> None:
    with HostileServer(_json_drip) as server, Client("pk", base_url=server.url) as client:
        started = time.monotonic()
        with pytest.raises(PortkeyError) as info:
            client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS, deadline=DEADLINE)
        _check(info.value, _ended(started))


def test_a_stream_broken_at_its_deadline_raises_again_when_read_on() -> None:
    with HostileServer(_comments) as server, Client("pk", base_url=server.url) as client:
        with client.runs.stream_tool_outputs(
            "thread_1", "run_1", OUTPUTS, deadline=DEADLINE
        ) as stream:
            with pytest.raises(DeadlineExceededError):
                list(stream)
            assert stream.response.is_closed
            with pytest.raises(DeadlineExceededError):
                next(stream)


# --- retry waits ------------------------------------------------------------------------------


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _recording(url: str, sleeps: Sleeps) -> Client:
    transport = RetryTransport(policy=RetryPolicy(max_retries=2), sleep=sleeps, rand=lambda: 0.0)
    client = Client("pk", base_url=url)
    client.api.set_httpx_client(httpx.Client(base_url=url, transport=transport))
    return client


def _error(status: int, **headers: str) -> Reply:
    return Reply.json({"error": {"message": f"status {status}", "type": "x"}}, status, **headers)


def test_a_retry_wait_past_the_deadline_is_not_slept(loopback: LoopbackServer) -> None:
    sleeps = Sleeps()
    loopback.replies += [_error(429, **{"retry-after": "30"}), Reply.json(EMPTY_PAGE)]
    with _recording(loopback.url, sleeps) as client, pytest.raises(RateLimitError) as info:
        list(client.runs.list("thread_1", deadline=10))
    assert (sleeps, len(loopback.requests), info.value.retry_after) == ([], 1, "30")


def test_a_retry_wait_within_the_deadline_is_slept(loopback: LoopbackServer) -> None:
    sleeps = Sleeps()
    loopback.replies += [_error(503), Reply.json(EMPTY_PAGE)]
    with _recording(loopback.url, sleeps) as client:
        assert list(client.runs.list("thread_1", deadline=10)) == []
    assert sleeps == [0.5]


def test_backoff_past_the_deadline_hands_over_the_last_error(loopback: LoopbackServer) -> None:
    sleeps = Sleeps()
    loopback.replies += [_error(503), Reply.json(EMPTY_PAGE)]
    with _recording(loopback.url, sleeps) as client, pytest.raises(InternalServerError):
        list(client.runs.list("thread_1", deadline=0.4))  # 0.5 s of backoff would pass it
    assert (sleeps, len(loopback.requests)) == ([], 1)


def test_a_long_server_wait_with_the_real_sleep_ends_within_the_deadline(
    loopback: LoopbackServer,
) -> None:
    loopback.replies += [_error(429, **{"retry-after": "50"}), Reply.json(EMPTY_PAGE)]
    with Client("pk", base_url=loopback.url, deadline=DEADLINE) as client:
        started = time.monotonic()
        with pytest.raises(RateLimitError):
            list(client.runs.list("thread_1"))
        assert _ended(started) <= SLACK


# --- the well-behaved path, and the option ----------------------------------------------------


def test_a_call_within_its_deadline_is_unchanged(loopback: LoopbackServer) -> None:
    loopback.replies += [Reply.json(EMPTY_PAGE), Reply(200, [EXAMPLE.encode()], SSE_HEADERS)]
    with Client("pk", base_url=loopback.url, deadline=30) as client:
        assert list(client.runs.list("thread_1")) == []
        with client.runs.stream_tool_outputs("thread_1", "run_1", OUTPUTS) as stream:
            assert stream.until_done().status == "completed"


def test_a_call_may_lift_the_client_deadline(loopback: LoopbackServer) -> None:
    loopback.replies.append(Reply.json(EMPTY_PAGE))
    with Client("pk", base_url=loopback.url, deadline=DEADLINE) as client:
        assert list(client.runs.list("thread_1", deadline=None)) == []


@pytest.mark.parametrize("value", [0, -1, float("nan"), "1", True])
def test_a_deadline_that_is_not_positive_seconds_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="deadline must be a number of seconds > 0 or None"):
        Client("pk", deadline=value)  # type: ignore[arg-type]


def test_each_page_of_a_listing_has_its_own_deadline(loopback: LoopbackServer) -> None:
    """The bound of a listing is per page request: the time between pages is the caller's."""
    first = {**EMPTY_PAGE, "data": [], "has_more": False}
    loopback.replies += [Reply.json(first)]
    with Client("pk", base_url=loopback.url, deadline=DEADLINE) as client:
        pages = client.runs.list("thread_1").pages()
        time.sleep(DEADLINE * 1.5)  # the caller's own time, before the first page
        assert [len(page) for page in pages] == [0]


# --- async ------------------------------------------------------------------------------------


@pytest.mark.parametrize("script", [_silent, _json_drip], ids=["silent", "drip"])
async def test_an_async_listing_ends_at_its_deadline(script: Script) -> None:
    with HostileServer(script) as server:
        async with AsyncClient("pk", base_url=server.url) as client:
            started = time.monotonic()
            with pytest.raises(PortkeyError) as info:
                [run async for run in client.runs.list("thread_1", deadline=DEADLINE)]
            _check(info.value, _ended(started))


@pytest.mark.parametrize(
    "script", [_silent, _comments, _sse_drip], ids=["silent", "keep-alive", "drip"]
)
async def test_an_async_stream_ends_at_its_deadline(script: Script) -> None:
    with HostileServer(script) as server:
        async with AsyncClient("pk", base_url=server.url, deadline=DEADLINE) as client:
            started = time.monotonic()
            with pytest.raises(PortkeyError) as info:
                async with client.runs.stream_tool_outputs("thread_1", "run_1", OUTPUTS) as s:
                    [event async for event in s]
            _check(info.value, _ended(started))


async def test_an_async_retry_wait_is_cut_by_the_deadline(loopback: LoopbackServer) -> None:
    loopback.replies += [_error(503, **{"retry-after": "20"}), Reply.json(EMPTY_PAGE)]
    async with AsyncClient("pk", base_url=loopback.url, deadline=DEADLINE) as client:
        started = time.monotonic()
        with pytest.raises(InternalServerError):
            [run async for run in client.runs.list("thread_1")]
        assert _ended(started) <= SLACK
    assert len(loopback.requests) == 1
