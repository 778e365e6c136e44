"""The seeded store: realistic, valid, deterministic runs."""

from __future__ import annotations

import json
import re

import pytest

from portkey_runs.testing import RUN_STATUSES, APIError, ReferenceState
from portkey_runs.testing._wire import (
    AssistantToolsFunction,
    Run,
    SubmitToolOutputsRunRequest,
    ToolOutput,
)

ID = re.compile(r"^(run|thread|call|asst)_[0-9a-f]{24}$")


def all_ids(state: ReferenceState, thread_id: str) -> list[str]:
    ids = [thread_id]
    for run in state.runs(thread_id):
        ids.append(run.id)
        ids += state.pending_tool_call_ids(thread_id, run.id)
    return ids


def test_same_seed_gives_the_same_ids_and_another_seed_others() -> None:
    first, second, other = ReferenceState(seed=1), ReferenceState(seed=1), ReferenceState(seed=2)
    statuses = ["completed", "requires_action", "failed"]
    a, b, c = (state.create_thread(statuses=statuses) for state in (first, second, other))
    assert all_ids(first, a) == all_ids(second, b)
    assert first.runs(a) == second.runs(b)
    assert set(all_ids(first, a)).isdisjoint(all_ids(other, c))
    assert all(ID.match(run_id) for run_id in all_ids(first, a))


def test_thread_seed_makes_ids_independent_of_earlier_threads() -> None:
    fresh, busy = ReferenceState(), ReferenceState()
    busy.create_thread(n_runs=5)
    assert fresh.create_thread(n_runs=3, seed=42) == busy.create_thread(n_runs=3, seed=42)


def test_same_thread_seed_twice_in_one_state_gives_distinct_ids() -> None:
    state = ReferenceState()
    first, second = state.create_thread(n_runs=3, seed=9), state.create_thread(n_runs=3, seed=9)
    assert first != second
    assert set(all_ids(state, first)).isdisjoint(all_ids(state, second))


@pytest.mark.parametrize("status", RUN_STATUSES)
def test_each_status_gives_a_realistic_valid_run(status: str) -> None:
    state = ReferenceState()
    thread_id = state.create_thread(statuses=[status])
    run = state.runs(thread_id)[0]
    Run.model_validate(run.model_dump(mode="json"))
    assert (run.status.value, run.thread_id, run.model, run.object) == (
        status,
        thread_id,
        "gpt-4o",
        "thread.run",
    )
    tool = run.tools[0]
    assert isinstance(tool, AssistantToolsFunction)
    assert tool.function.name == "get_weather"
    assert (run.required_action is not None) is (status == "requires_action")
    assert (run.usage is not None) is (status in {"completed", "failed", "cancelled", "incomplete"})
    assert (run.completed_at is not None) is (status == "completed")
    assert (run.failed_at is not None) is (run.last_error is not None) is (status == "failed")
    assert (run.cancelled_at is not None) is (status == "cancelled")
    assert (run.incomplete_details is not None) is (status == "incomplete")
    assert (run.started_at is None) is (status == "queued")


def test_requires_action_runs_wait_for_the_asked_number_of_calls() -> None:
    state = ReferenceState()
    thread_id = state.create_thread(statuses=["requires_action"], tool_calls=3)
    run = state.runs(thread_id)[0]
    assert run.required_action is not None
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert len({call.id for call in calls}) == 3
    for call in calls:
        assert call.function.name == "get_weather"
        assert set(json.loads(call.function.arguments)) == {"location"}


def test_statuses_default_to_completed_and_must_be_known() -> None:
    state = ReferenceState()
    thread_id = state.create_thread(n_runs=4)
    assert {run.status.value for run in state.runs(thread_id)} == {"completed"}
    assert len(state.runs(state.create_thread(4, "failed"))) == 4
    with pytest.raises(ValueError, match="paused"):
        state.create_thread(statuses=["paused"])
    with pytest.raises(ValueError, match="n_runs"):
        state.create_thread(n_runs=2, statuses=["completed"])
    with pytest.raises(ValueError, match="tool_calls"):
        state.create_thread(statuses=["requires_action"], tool_calls=0)


def test_add_run_appends_the_latest_run() -> None:
    state = ReferenceState()
    thread_id = state.create_thread(n_runs=2)
    run_id = state.add_run(thread_id, "queued")
    runs = state.runs(thread_id)
    assert runs[-1].id == run_id
    assert runs[-1].created_at > runs[-2].created_at
    with pytest.raises(KeyError):
        state.add_run("thread_nope")
    with pytest.raises(KeyError):
        state.get_run("thread_nope", run_id)


def test_submission_events_are_valid_and_the_run_completes() -> None:
    state = ReferenceState()
    thread_id = state.create_thread(statuses=["requires_action"], tool_calls=2)
    run_id = state.runs(thread_id)[0].id
    outputs = [
        ToolOutput(tool_call_id=i, output=f"out {i}")
        for i in state.pending_tool_call_ids(thread_id, run_id)
    ]
    submission = state.submit_tool_outputs(
        thread_id, run_id, SubmitToolOutputsRunRequest(tool_outputs=outputs)
    )
    assert submission.run["status"] == "queued"
    assert submission.events[-1] == ("done", "[DONE]")
    stored = state.get_run(thread_id, run_id)
    assert stored.status.value == "completed"
    assert state.pending_tool_call_ids(thread_id, run_id) == []
    with pytest.raises(APIError) as refused:
        state.submit_tool_outputs(
            thread_id, run_id, SubmitToolOutputsRunRequest(tool_outputs=outputs)
        )
    assert refused.value.status == 400
    assert refused.value.body()["error"]["message"] == (
        'Runs in status "completed" do not accept tool outputs.'
    )


def test_chosen_ids_are_served_once_and_must_be_ids() -> None:
    state = ReferenceState(seed=5)
    thread = state.create_thread(statuses=["completed"], thread_id="thread_abc123")
    run = state.add_run(thread, run_id="run_abc123", tool_calls=2)
    assert (thread, run) == ("thread_abc123", "run_abc123")
    assert [r.id for r in state.runs(thread)][-1] == "run_abc123"
    assert len(state.pending_tool_call_ids(thread, run)) == 2
    with pytest.raises(ValueError, match="the id 'thread_abc123' is taken"):
        state.create_thread(thread_id="thread_abc123")
    with pytest.raises(ValueError, match="the id 'run_abc123' is taken"):
        state.add_run(thread, run_id="run_abc123")
    with pytest.raises(ValueError, match="id"):
        state.add_run(thread, run_id="run/../x")


def test_a_renewing_run_waits_again_at_its_first_round_once_ended() -> None:
    state = ReferenceState(seed=5)
    thread = state.create_thread(statuses=["completed"])
    run_id = state.add_run(thread, tool_calls=2, rounds=2, renew=True)
    first_calls = state.pending_tool_call_ids(thread, run_id)

    def submit() -> list[str]:
        ids = state.pending_tool_call_ids(thread, run_id)
        request = SubmitToolOutputsRunRequest(
            tool_outputs=[ToolOutput(tool_call_id=i, output="ok") for i in ids]
        )
        events = state.submit_tool_outputs(thread, run_id, request).events
        return [name for name, _ in events]

    for _ in range(2):  # twice through both rounds
        assert "thread.run.requires_action" in submit()
        assert state.get_run(thread, run_id).status.value == "requires_action"
        ended = submit()
        assert "thread.run.completed" in ended, "the stream says it completed"
        run = state.get_run(thread, run_id)
        assert run.status.value == "requires_action", "then it waits again"
        assert state.rounds_left(run_id) == 2
        calls = state.pending_tool_call_ids(thread, run_id)
        assert len(calls) == 2
        assert set(calls).isdisjoint(first_calls), "new calls"
        assert run.required_action is not None
        names = {c.function.name for c in run.required_action.submit_tool_outputs.tool_calls}
        assert names == {"get_weather"}, "its first round's function"
    with pytest.raises(ValueError, match="only a requires_action run can renew"):
        state.add_run(thread, "completed", renew=True)
