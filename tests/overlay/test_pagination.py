"""Pagination through the real reference server over loopback, and the edge cases of pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest

from portkey_runs import AsyncClient, Client, NotFoundError, PaginationError
from portkey_runs.testing import ReferenceState, RunningServer, serve
from tests._loopback import EMPTY_PAGE, LoopbackServer, Reply

N_RUNS = 250


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[RunningServer, str, list[str]]]:
    """A reference server with one thread of 250 runs; the ids, oldest first."""
    state = ReferenceState(seed=3)
    thread_id = state.create_thread(N_RUNS)
    with serve(state, event_delay=0) as running:
        yield running, thread_id, [run.id for run in state.runs(thread_id)]


@pytest.fixture
def client(server: tuple[RunningServer, str, list[str]]) -> Iterator[Client]:
    with Client("pk-test", base_url=server[0].base_url) as c:
        yield c


def _list_requests(server: RunningServer, before: int) -> list[Any]:
    return [r for r in server.state.requests[before:] if r.path.endswith("/runs")]


@pytest.mark.parametrize("limit", [1, 7, 100])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_forward_yields_every_run_once_in_order(
    limit: int, order: str, server: tuple[RunningServer, str, list[str]], client: Client
) -> None:
    running, thread_id, ids = server
    seen = len(running.state.requests)
    got = [run.id for run in client.runs.list(thread_id, limit=limit, order=order)]  # type: ignore[arg-type]
    assert got == (ids if order == "asc" else ids[::-1])
    requests = _list_requests(running, seen)
    assert len(requests) == -(-N_RUNS // limit)  # the last page says has_more=false
    assert all("before" not in r.query for r in requests)


@pytest.mark.parametrize("limit", [1, 7, 100])
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_backward_from_a_cursor_yields_every_earlier_run_once_nearest_first(
    limit: int, order: str, server: tuple[RunningServer, str, list[str]], client: Client
) -> None:
    running, thread_id, ids = server
    listing = ids if order == "asc" else ids[::-1]
    cursor = listing[200]
    seen = len(running.state.requests)
    got = [r.id for r in client.runs.list(thread_id, limit=limit, order=order, before=cursor)]  # type: ignore[arg-type]
    assert got == listing[:200][::-1]
    requests = _list_requests(running, seen)
    assert all("after" not in r.query for r in requests), "before= must never send after="


def test_forward_from_a_cursor_is_exclusive(
    server: tuple[RunningServer, str, list[str]], client: Client
) -> None:
    _, thread_id, ids = server
    got = [r.id for r in client.runs.list(thread_id, order="asc", after=ids[9], limit=50)]
    assert got == ids[10:]


def test_pages_can_be_resumed_from_their_cursor(
    server: tuple[RunningServer, str, list[str]], client: Client
) -> None:
    _, thread_id, ids = server
    pages = client.runs.list(thread_id, limit=7, order="asc").pages()
    first, second = next(pages), next(pages)
    pages.close()
    assert [r.id for r in first.data + second.data] == ids[:14]
    assert second.last_id == ids[13]
    rest = [r.id for r in client.runs.list(thread_id, limit=50, order="asc", after=second.last_id)]
    assert [r.id for r in first.data + second.data] + rest == ids


def test_max_items_stops_early_and_asks_for_no_more(
    server: tuple[RunningServer, str, list[str]], client: Client
) -> None:
    running, thread_id, ids = server
    seen = len(running.state.requests)
    got = [r.id for r in client.runs.list(thread_id, limit=100, order="asc", max_items=130)]
    assert got == ids[:130]
    limits = [dict(parse_qsl(r.query)).get("limit") for r in _list_requests(running, seen)]
    assert limits == ["100", "30"]


def test_max_items_zero_makes_no_request(
    server: tuple[RunningServer, str, list[str]], client: Client
) -> None:
    running, thread_id, _ = server
    seen = len(running.state.requests)
    assert list(client.runs.list(thread_id, max_items=0)) == []
    assert len(running.state.requests) == seen


def test_pages_are_fetched_lazily(
    server: tuple[RunningServer, str, list[str]], client: Client
) -> None:
    running, thread_id, _ = server
    seen = len(running.state.requests)
    runs = iter(client.runs.list(thread_id, limit=10))
    for _ in range(10):
        next(runs)
    assert len(running.state.requests) - seen == 1
    next(runs)
    assert len(running.state.requests) - seen == 2
    runs.close()


def test_an_empty_thread_yields_nothing(server: tuple[RunningServer, str, list[str]]) -> None:
    running, _, _ = server
    empty = running.state.create_thread(0)
    with Client("pk", base_url=running.base_url) as client:
        assert list(client.runs.list(empty)) == []
        (page,) = list(client.runs.list(empty).pages())
    assert page.first_id is None
    assert page.last_id is None
    assert page.has_more is False


def test_an_unknown_thread_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError, match="thread_nope"):
        list(client.runs.list("thread_nope"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"limit": 0}, "limit must be an integer from 1 to 100, got 0"),
        ({"limit": 101}, "got 101"),
        ({"limit": True}, "got True"),
        ({"order": "up"}, "order must be 'asc' or 'desc', got 'up'"),
        ({"after": "a", "before": "b"}, "not both"),
        ({"max_items": -1}, "max_items must be None or an integer >= 0, got -1"),
        ({"max_items": 2.5}, "got 2.5"),
        ({"limit": 5, "timeout": -1}, "timeout must be a number of seconds > 0"),
        ({"trace_id": ""}, "trace_id must be a non-empty string"),
        ({"extra_headers": {"x-a": "caf\u00e9"}}, "header x-a: value must be printable ASCII"),
        ({"max_retries": -1}, "max_retries must be an integer >= 0, got -1"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    kwargs: dict[str, Any], message: str, loopback: LoopbackServer
) -> None:
    with (
        Client("pk", base_url=loopback.url) as client,
        pytest.raises(ValueError, match=message),
    ):
        client.runs.list("thread_1", **kwargs)
    assert loopback.requests == []


EMPTY_MORE = {**EMPTY_PAGE, "has_more": True}


def test_empty_pages_claiming_more_end_in_a_clear_error(loopback: LoopbackServer) -> None:
    loopback.replies += [Reply.json(EMPTY_MORE) for _ in range(10)]
    with (
        Client("pk", base_url=loopback.url) as client,
        pytest.raises(PaginationError, match="3 empty pages in a row claim has_more=true"),
    ):
        list(client.runs.list("thread_1"))
    assert len(loopback.requests) == 3


def test_one_empty_page_with_more_is_tolerated(
    loopback: LoopbackServer, server: tuple[RunningServer, str, list[str]]
) -> None:
    running, thread_id, _ = server
    with Client("pk-test", base_url=running.base_url) as real:
        page = real.runs.with_raw_response.list(
            thread_id, limit=2, order="asc"
        ).http_response.json()
    last = {**page, "has_more": False}
    loopback.replies += [Reply.json(EMPTY_MORE), Reply.json(last)]
    with Client("pk", base_url=loopback.url) as client:
        got = [r.id for r in client.runs.list("thread_1", order="asc")]
    assert got == [r["id"] for r in page["data"]]


def test_cursor_falls_back_to_the_items_ids(
    loopback: LoopbackServer, server: tuple[RunningServer, str, list[str]]
) -> None:
    running, thread_id, ids = server
    with Client("pk-test", base_url=running.base_url) as real:
        page = real.runs.with_raw_response.list(
            thread_id, limit=2, order="asc"
        ).http_response.json()
    loopback.replies += [
        Reply.json({**page, "first_id": None, "last_id": None, "has_more": True}),
        Reply.json({**page, "data": [], "first_id": None, "last_id": None, "has_more": False}),
    ]
    with Client("pk", base_url=loopback.url) as client:
        list(client.runs.list("thread_1", order="asc"))
    assert loopback.requests[1].query[-1] == ("after", ids[1])


def test_a_repeated_page_is_an_error_not_a_loop_or_a_duplicate(
    loopback: LoopbackServer, server: tuple[RunningServer, str, list[str]]
) -> None:
    running, thread_id, _ = server
    with Client("pk-test", base_url=running.base_url) as real:
        page = real.runs.with_raw_response.list(
            thread_id, limit=2, order="asc"
        ).http_response.json()
    loopback.replies += [Reply.json({**page, "has_more": True}) for _ in range(3)]
    with (
        Client("pk", base_url=loopback.url) as client,
        pytest.raises(PaginationError, match="came a second time") as info,
    ):
        got = []
        for run in client.runs.list("thread_1", order="asc"):
            got.append(run.id)
    assert got == [r["id"] for r in page["data"]], "each run once, then the error"
    assert page["data"][0]["id"] in str(info.value)
    assert len(loopback.requests) == 2


@pytest.mark.parametrize("limit", [1, 7, 100])
async def test_async_forward_and_backward_match_the_sync_twin(
    limit: int, server: tuple[RunningServer, str, list[str]]
) -> None:
    running, thread_id, ids = server
    async with AsyncClient("pk-test", base_url=running.base_url) as client:
        forward = [r.id async for r in client.runs.list(thread_id, limit=limit, order="asc")]
        backward = [
            r.id
            async for r in client.runs.list(thread_id, limit=limit, order="asc", before=ids[100])
        ]
        pages = [p async for p in client.runs.list(thread_id, limit=limit, max_items=20).pages()]
    assert forward == ids
    assert backward == ids[:100][::-1]
    assert sum(len(p.data) for p in pages) == 20


async def test_async_empty_pages_end_in_a_clear_error(loopback: LoopbackServer) -> None:
    loopback.replies += [Reply.json(EMPTY_MORE) for _ in range(5)]
    async with AsyncClient("pk", base_url=loopback.url) as client:
        with pytest.raises(PaginationError):
            [r async for r in client.runs.list("thread_1")]
    assert len(loopback.requests) == 3
