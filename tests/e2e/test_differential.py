"""The official openai SDK and this client, side by side against the same reference server:
the same runs in the same order with equal fields, and the same streamed events."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from portkey_runs import (
    Client,
)
from portkey_runs.testing import ReferenceState, RunningServer, serve

KEY = "sk-differential"
STATUSES = ["completed", "failed", "cancelled", "expired", "incomplete", "queued", "in_progress"]


def twin_state() -> tuple[ReferenceState, str]:
    """A seeded state; two calls give identical threads, runs and tool call ids."""
    state = ReferenceState(seed=99)
    statuses = [STATUSES[i % len(STATUSES)] for i in range(41)] + ["requires_action"]
    return state, state.create_thread(statuses=statuses, tool_calls=2)


@pytest.fixture
def servers() -> Iterator[tuple[RunningServer, RunningServer, str]]:
    (ours_state, thread), (theirs_state, thread_2) = twin_state(), twin_state()
    assert thread == thread_2
    with serve(ours_state, auth="openai", event_delay=0) as ours:
        with serve(theirs_state, auth="openai", event_delay=0) as theirs:
            yield ours, theirs, thread


def official(server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)


def test_both_clients_list_the_same_runs_in_the_same_order(
    servers: tuple[RunningServer, RunningServer, str],
) -> None:
    ours, theirs, thread = servers
    with Client("pk", base_url=ours.base_url, authorization=KEY) as client:
        mine = [run.to_dict() for run in client.runs.list(thread, limit=7, order="asc")]
    with warnings.catch_warnings(), official(theirs) as sdk:
        warnings.simplefilter("ignore", DeprecationWarning)
        page = sdk.beta.threads.runs.list(thread, limit=7, order="asc")
        other = [run.to_dict() for run in page]  # the SDK pages on its own
    assert len(mine) == 42
    assert [r["id"] for r in mine] == [r["id"] for r in other]
    assert mine == other
    assert theirs.state.count(method="GET") == ours.state.count(method="GET") == 6


def _outputs(state: ReferenceState, thread: str) -> tuple[str, list[dict[str, str]]]:
    run = state.runs(thread)[-1]
    calls = state.pending_tool_call_ids(thread, run.id)
    return run.id, [{"tool_call_id": c, "output": f"result of {c}"} for c in calls]


def test_both_clients_stream_the_same_events(
    servers: tuple[RunningServer, RunningServer, str],
) -> None:
    ours, theirs, thread = servers
    run_id, outputs = _outputs(ours.state, thread)
    assert (run_id, outputs) == _outputs(theirs.state, thread)

    with Client("pk", base_url=ours.base_url, authorization=KEY) as client:
        with client.runs.stream_tool_outputs(thread, run_id, outputs) as stream:
            mine: list[tuple[str, Any]] = [(e.event, e.data.to_dict()) for e in stream]

    other: list[tuple[str, Any]] = []
    with warnings.catch_warnings(), official(theirs) as sdk:
        warnings.simplefilter("ignore", DeprecationWarning)
        with sdk.beta.threads.runs.submit_tool_outputs_stream(
            run_id=run_id,
            thread_id=thread,
            tool_outputs=outputs,  # type: ignore[arg-type]
        ) as events:
            for event in events:
                other.append((event.event, event.data.to_dict()))

    assert [name for name, _ in mine] == [name for name, _ in other]
    assert mine == other
    assert mine[-1][0] == "thread.run.completed"
