"""Issue 16 §1: size caps on what the client reads, counted on decoded bytes as they arrive.

``max_response_bytes`` bounds a non-stream answer, ``max_event_bytes`` one line or event of a
stream; past either: a typed error naming the cap and the option, the connection closed,
nothing partial handed over. Error bodies are cut. Peak memory is measured in a child
process (``VmHWM``) as a ratio of the cap.
"""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
import textwrap
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portkey_runs import (
    AsyncClient,
    Client,
    EventTooLargeError,
    InternalServerError,
    PortkeyError,
    ResponseTooLargeError,
    StreamError,
)
from portkey_runs._bounds import ERROR_BODY_BYTES
from tests._loopback import EMPTY_PAGE, LoopbackServer, Reply, connection_pool
from tests.overlay.test_streaming import EXAMPLE, OUTPUTS, SSE_HEADERS, run_data

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024


def _page(padding: int) -> bytes:
    """A valid, empty list page of about ``padding`` bytes (an unknown property pads it)."""
    return json.dumps({**EMPTY_PAGE, "padding": "x" * padding}).encode()


def _json(body: bytes, **headers: str) -> Reply:
    return Reply(200, body, {"content-type": "application/json", **headers})


def _pooled(client: Client) -> int:
    """Connections the client keeps for reuse (a closed one is not among them)."""
    return len(connection_pool(client.api.get_httpx_client()).connections)


@pytest.fixture
def client(loopback: LoopbackServer) -> Iterator[Client]:
    with Client("pk", base_url=loopback.url, max_retries=0) as c:
        yield c


# --- the well-behaved path --------------------------------------------------------------------


def test_the_defaults_are_64_and_16_mib() -> None:
    from portkey_runs._bounds import Bounds

    assert (Bounds().max_response_bytes, Bounds().max_event_bytes) == (64 * MIB, 16 * MIB)


def test_a_page_under_the_cap_is_read_and_the_connection_kept(
    loopback: LoopbackServer, client: Client
) -> None:
    loopback.replies += [_json(_page(1000)), _json(_page(1000))]
    assert list(client.runs.list("thread_1", max_response_bytes=2000)) == []
    assert _pooled(client) == 1
    assert list(client.runs.list("thread_1", max_response_bytes=2000)) == []
    assert _pooled(client) == 1


@pytest.mark.parametrize(
    ("name", "value"),
    [("max_response_bytes", 0), ("max_response_bytes", -1), ("max_event_bytes", 1.5)],
)
def test_a_cap_that_is_not_a_positive_integer_is_refused(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"{name} must be a number of bytes > 0 or None"):
        Client("pk", **{name: value})  # type: ignore[arg-type]
    options: dict[str, Any] = {name: value}
    with Client("pk") as c, pytest.raises(ValueError, match=name):
        c.runs.list("thread_1", **options)


# --- non-stream answers -----------------------------------------------------------------------


def test_a_page_past_the_client_cap_raises_naming_the_cap(
    loopback: LoopbackServer,
) -> None:
    loopback.replies.append(_json(_page(5000)))
    with Client("pk", base_url=loopback.url, max_response_bytes=4096) as client:
        with pytest.raises(ResponseTooLargeError) as info:
            list(client.runs.list("thread_1"))
        assert _pooled(client) == 0, "the connection is closed"
    assert isinstance(info.value, PortkeyError)
    assert (info.value.limit, info.value.option) == (4096, "max_response_bytes")
    assert "max_response_bytes=4096" in str(info.value)
    assert "pass a larger max_response_bytes=" in str(info.value)


def test_a_call_may_raise_or_lift_the_client_cap(loopback: LoopbackServer) -> None:
    loopback.replies += [_json(_page(5000)), _json(_page(5000))]
    with Client("pk", base_url=loopback.url, max_response_bytes=4096) as client:
        assert list(client.runs.list("thread_1", max_response_bytes=None)) == []
        assert list(client.runs.list("thread_1", max_response_bytes=6000)) == []


def test_a_submission_answer_past_the_cap_raises(loopback: LoopbackServer) -> None:
    loopback.replies += [_json(_page(5000)), _json(_page(5000))]
    with Client("pk", base_url=loopback.url, max_retries=0) as client:
        with pytest.raises(ResponseTooLargeError):
            client.runs.submit_tool_outputs("thread_1", "run_1", OUTPUTS, max_response_bytes=4096)
        with pytest.raises(ResponseTooLargeError):
            client.runs.with_raw_response.list("thread_1", max_response_bytes=1)


def test_the_cap_counts_decoded_bytes_of_a_gzip_body(
    loopback: LoopbackServer, client: Client
) -> None:
    body = gzip.compress(_page(1 * MIB))  # a few KiB on the wire
    assert len(body) < 8192
    loopback.replies += [
        _json(body, **{"content-encoding": "gzip"}),
        _json(body, **{"content-encoding": "gzip"}),
    ]
    with pytest.raises(ResponseTooLargeError):
        list(client.runs.list("thread_1", max_response_bytes=512 * 1024))
    assert list(client.runs.list("thread_1", max_response_bytes=2 * MIB)) == []


async def test_the_async_client_has_the_same_cap(loopback: LoopbackServer) -> None:
    loopback.replies += [_json(_page(5000)), _json(_page(5000))]
    async with AsyncClient("pk", base_url=loopback.url, max_response_bytes=4096) as client:
        with pytest.raises(ResponseTooLargeError, match="max_response_bytes=4096"):
            [run async for run in client.runs.list("thread_1")]
        assert [run async for run in client.runs.list("thread_1", max_response_bytes=None)] == []


def test_an_error_body_is_cut_and_still_reported(loopback: LoopbackServer, client: Client) -> None:
    html = b"<html>" + b"busy " * (2 * MIB)
    loopback.replies.append(Reply(500, html, {"content-type": "text/html"}))
    with pytest.raises(InternalServerError) as info:
        list(client.runs.list("thread_1"))
    assert isinstance(info.value.body, str)
    assert info.value.body.startswith("<html>busy")
    assert len(info.value.body) == ERROR_BODY_BYTES
    assert _pooled(client) == 0


def test_an_error_body_is_not_cut_by_a_small_answer_cap(
    loopback: LoopbackServer, client: Client
) -> None:
    error = {"error": {"message": "no such thread", "type": "invalid_request_error"}}
    loopback.replies.append(Reply.json(error, 404))
    with pytest.raises(PortkeyError, match="no such thread"):
        list(client.runs.list("thread_1", max_response_bytes=10))


# --- streams ----------------------------------------------------------------------------------


def test_a_stream_under_the_cap_is_unchanged(loopback: LoopbackServer, client: Client) -> None:
    loopback.replies.append(Reply(200, [EXAMPLE.encode()], SSE_HEADERS))
    largest = max(len(line) for line in EXAMPLE.splitlines())
    with client.runs.stream_tool_outputs(
        "thread_1", "run_1", OUTPUTS, max_event_bytes=largest + 10
    ) as stream:
        assert stream.until_done().status == "completed"


def test_a_line_without_end_past_the_cap_raises_and_closes(
    loopback: LoopbackServer, client: Client
) -> None:
    queued = f"event: thread.run.queued\ndata: {run_data('queued')}\n\n".encode()
    endless = [b"data: " + b"x" * 4096] * 8  # 32 KiB and no newline
    loopback.replies.append(Reply(200, [queued, *endless], SSE_HEADERS))
    with client.runs.stream_tool_outputs(
        "thread_1", "run_1", OUTPUTS, max_event_bytes=10_000
    ) as stream:
        with pytest.raises(EventTooLargeError) as info:
            list(stream)
        assert stream.response.is_closed
        assert stream.final_run is not None, "the events before it were handed over"
        with pytest.raises(EventTooLargeError):
            next(stream)  # the failure again, never a partial event
    assert isinstance(info.value, StreamError)
    assert isinstance(info.value, ResponseTooLargeError)
    assert (info.value.limit, info.value.option) == (10_000, "max_event_bytes")
    assert "max_event_bytes=10000" in str(info.value)


def test_an_event_of_many_lines_past_the_cap_raises(loopback: LoopbackServer) -> None:
    lines = [b"data: " + b"y" * 1000 + b"\n"] * 40  # 40 KB in one event, no blank line
    loopback.replies.append(Reply(200, lines, SSE_HEADERS))
    with Client("pk", base_url=loopback.url, max_event_bytes=16_000) as client:
        with client.runs.stream_tool_outputs("thread_1", "run_1", OUTPUTS) as stream:
            with pytest.raises(EventTooLargeError, match="an event"):
                list(stream)


async def test_the_async_stream_has_the_same_cap(loopback: LoopbackServer) -> None:
    loopback.replies.append(Reply(200, [b"data: " + b"z" * 50_000], SSE_HEADERS))
    async with AsyncClient("pk", base_url=loopback.url, max_event_bytes=10_000) as client:
        async with client.runs.stream_tool_outputs("thread_1", "run_1", OUTPUTS) as stream:
            with pytest.raises(EventTooLargeError, match="a line"):
                [event async for event in stream]
            assert stream.response.is_closed


def test_an_error_answer_to_a_stream_is_cut(loopback: LoopbackServer, client: Client) -> None:
    loopback.replies.append(Reply(502, b"<html>" + b"bad " * MIB, {"content-type": "text/html"}))
    with pytest.raises(InternalServerError) as info:
        with client.runs.stream_tool_outputs("thread_1", "run_1", OUTPUTS):
            pass
    assert len(info.value.body) == ERROR_BODY_BYTES


# --- peak memory, in a child process ----------------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import sys
    from benchmarks._memory import peak_kib
    from portkey_runs import Client, ResponseTooLargeError

    url, kind, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with Client("pk", base_url=url, max_retries=0, max_response_bytes=cap,
                max_event_bytes=cap) as client:
        list(client.runs.list("thread_1"))  # a small page first: everything loaded
        before = peak_kib()
        try:
            if kind == "page":
                list(client.runs.list("thread_1"))
            else:
                with client.runs.stream_tool_outputs(
                    "thread_1", "run_1", [{"tool_call_id": "c", "output": "x"}]
                ) as stream:
                    list(stream)
        except ResponseTooLargeError as exc:
            print(type(exc).__name__, before, peak_kib())
    """
)


def _bomb(size: int, prefix: bytes) -> bytes:
    """``prefix`` and ``size`` bytes of text that gzip shrinks about a hundredfold."""
    block = bytes(random.Random(16).choices(b"abcdefghijklmnopqrstuvwxyz ,:", k=16384))
    deflate = zlib.compressobj(1, zlib.DEFLATED, 31)
    parts = [deflate.compress(prefix)]
    parts += [deflate.compress(block) for _ in range(size // len(block))]
    parts.append(deflate.flush())
    return b"".join(parts)


@pytest.mark.parametrize("kind", ["page", "stream"])
def test_peak_memory_stays_near_the_cap_for_a_gzip_bomb(
    kind: str, loopback: LoopbackServer
) -> None:
    cap, inflated = 16 * MIB, 256 * MIB
    if kind == "page":
        body = _bomb(inflated, b'{"object": "list", "data": [], "padding": "')
        headers = {"content-type": "application/json", "content-encoding": "gzip"}
    else:
        body = _bomb(inflated, b"data: ")
        headers = {**SSE_HEADERS, "content-encoding": "gzip"}
    assert len(body) < inflated // 20
    loopback.replies += [Reply.json(EMPTY_PAGE), Reply(200, body, headers)]
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, loopback.url, kind, str(cap)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    name, before, after = child.stdout.split()
    assert name == ("ResponseTooLargeError" if kind == "page" else "EventTooLargeError")
    growth = (int(after) - int(before)) * 1024
    print(
        f"{kind}: {inflated // MIB} MiB inflated, cap {cap // MIB} MiB: peak +{growth / cap:.2f}x"
    )
    assert growth <= 4 * cap, f"peak grew by {growth / cap:.1f}x the cap"


def test_the_new_errors_survive_pickling() -> None:
    import pickle

    from portkey_runs import DeadlineExceededError

    for error in (
        ResponseTooLargeError("big", 10, "max_response_bytes"),
        EventTooLargeError("big line", 20),
        DeadlineExceededError("late", 0.5),
    ):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert vars(copy) == vars(error)
