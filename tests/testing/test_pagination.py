"""Listing runs over loopback: cursors, order, limits, has_more, and the error answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from portkey_runs.testing import ReferenceState
from portkey_runs.testing._wire import ListRunsResponse, Run

from .helpers import error_of

N_RUNS = 250


@pytest.fixture
def thread_id(reference_state: ReferenceState) -> str:
    return reference_state.create_thread(n_runs=N_RUNS, seed=7)


def expected_ids(state: ReferenceState, thread_id: str, order: str) -> list[str]:
    """The thread's run ids in list order, from the stored created_at (not the server's order)."""
    runs = sorted(state.runs(thread_id), key=lambda run: run.created_at)
    ids = [run.id for run in runs]
    return ids if order == "asc" else ids[::-1]


def get_page(client: httpx.Client, thread_id: str, **params: Any) -> ListRunsResponse:
    response = client.get(f"/threads/{thread_id}/runs", params=params)
    assert response.status_code == 200, response.text
    page = ListRunsResponse.model_validate(response.json())
    ids = [run.id for run in page.data]
    assert page.first_id == (ids[0] if ids else None)
    assert page.last_id == (ids[-1] if ids else None)
    return page


def test_created_at_increases_with_creation_order(
    reference_state: ReferenceState, thread_id: str
) -> None:
    stamps = [run.created_at for run in reference_state.runs(thread_id)]
    assert stamps == sorted(stamps)
    assert len(set(stamps)) == N_RUNS


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 7, 100])
def test_forward_pages_hold_every_run_once_in_order(
    client: httpx.Client,
    reference_state: ReferenceState,
    thread_id: str,
    limit: int,
    order: str,
) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": limit, "order": order}
    while True:
        page = get_page(client, thread_id, **params)
        seen += [run.id for run in page.data]
        remaining = N_RUNS - len(seen)
        assert page.has_more is (remaining > 0)
        assert len(page.data) == min(limit, len(page.data) + remaining)
        if not page.has_more:
            break
        params["after"] = page.last_id
    assert seen == expected_ids(reference_state, thread_id, order)
    pages = -(-N_RUNS // limit)
    assert reference_state.count(f"/v1/threads/{thread_id}/runs") == pages


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize("limit", [1, 7, 100])
def test_backward_pages_hold_every_earlier_run_once(
    client: httpx.Client,
    reference_state: ReferenceState,
    thread_id: str,
    limit: int,
    order: str,
) -> None:
    expected = expected_ids(reference_state, thread_id, order)
    cursor = expected[-1]
    pages: list[list[str]] = []
    while True:
        page = get_page(client, thread_id, limit=limit, order=order, before=cursor)
        ids = [run.id for run in page.data]
        preceding = expected[: expected.index(cursor)]
        # the `limit` runs just before the cursor, still in list order
        assert ids == preceding[-limit:]
        assert page.has_more is (len(preceding) > limit)
        pages.append(ids)
        if not page.has_more:
            break
        assert page.first_id is not None
        cursor = page.first_id
    flattened = [run_id for ids in reversed(pages) for run_id in ids]
    assert flattened == expected[:-1]


def test_default_order_is_desc_and_default_limit_is_20(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str
) -> None:
    page = get_page(client, thread_id)
    assert [run.id for run in page.data] == expected_ids(reference_state, thread_id, "desc")[:20]
    assert page.has_more is True


def test_after_and_before_together_bound_the_page(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str
) -> None:
    ids = expected_ids(reference_state, thread_id, "asc")
    page = get_page(client, thread_id, order="asc", after=ids[10], before=ids[20], limit=5)
    assert [run.id for run in page.data] == ids[11:16]
    assert page.has_more is True
    page = get_page(client, thread_id, order="asc", after=ids[10], before=ids[20], limit=9)
    assert [run.id for run in page.data] == ids[11:20]
    assert page.has_more is False


def test_cursor_at_the_end_gives_an_empty_page(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str
) -> None:
    ids = expected_ids(reference_state, thread_id, "desc")
    for params in ({"after": ids[-1]}, {"before": ids[0]}):
        page = get_page(client, thread_id, **params)
        assert page.data == []
        assert (page.first_id, page.last_id, page.has_more) == (None, None, False)
    raw = client.get(f"/threads/{thread_id}/runs", params={"after": ids[-1]}).json()
    assert raw["first_id"] is None
    assert raw["last_id"] is None


def test_thread_without_runs_gives_an_empty_page(
    client: httpx.Client, reference_state: ReferenceState
) -> None:
    empty = reference_state.create_thread()
    page = get_page(client, empty)
    assert (page.data, page.first_id, page.last_id, page.has_more) == ([], None, None, False)


def test_runs_in_the_answer_validate_and_are_the_stored_ones(
    client: httpx.Client, reference_state: ReferenceState
) -> None:
    statuses = ["queued", "in_progress", "requires_action", "cancelling", "cancelled"]
    statuses += ["failed", "completed", "incomplete", "expired"]
    thread = reference_state.create_thread(statuses=statuses)
    body = client.get(f"/threads/{thread}/runs", params={"order": "asc"}).json()
    runs = [Run.model_validate(run) for run in body["data"]]
    assert [run.status.value for run in runs] == statuses
    assert runs == reference_state.runs(thread)


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"limit": 0}, "limit", "integer_below_min_value"),
        ({"limit": 101}, "limit", "integer_above_max_value"),
        ({"limit": -5}, "limit", "integer_below_min_value"),
        ({"limit": "ten"}, "limit", "invalid_type"),
        ({"limit": "1.5"}, "limit", "invalid_type"),
        ({"order": "sideways"}, "order", "invalid_value"),
    ],
)
def test_invalid_parameters_are_400(
    client: httpx.Client, thread_id: str, params: dict[str, Any], param: str, code: str
) -> None:
    response = client.get(f"/threads/{thread_id}/runs", params=params)
    assert response.status_code == 400
    error = error_of(response)
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


@pytest.mark.parametrize("cursor", ["after", "before"])
def test_unknown_cursor_is_400_naming_it(
    client: httpx.Client, reference_state: ReferenceState, thread_id: str, cursor: str
) -> None:
    other = reference_state.create_thread(n_runs=1)
    foreign = reference_state.runs(other)[0].id
    for value in ("run_doesnotexist", foreign):
        response = client.get(f"/threads/{thread_id}/runs", params={cursor: value})
        assert response.status_code == 400
        error = error_of(response)
        assert error["param"] == cursor
        assert value in error["message"]


def test_unknown_thread_is_404(client: httpx.Client) -> None:
    response = client.get("/threads/thread_nope/runs")
    assert response.status_code == 404
    error = error_of(response)
    assert error["message"] == "No thread found with id 'thread_nope'."
    assert error["type"] == "invalid_request_error"
