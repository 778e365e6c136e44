"""Messages and run steps rebuilt from their deltas: the merge rules, a property test against
the server's completed objects, and the snapshot views of a stream (sync and async)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portkey_runs import AsyncClient, Client
from portkey_runs._snapshots import Snapshots, merge_delta, text_of
from portkey_runs.testing import ReferenceState, RunningServer, serve
from portkey_runs_api.models import Message, RunStep

MESSAGE: dict[str, Any] = {
    "id": "msg_1",
    "object": "thread.message",
    "created_at": 1,
    "thread_id": "thread_1",
    "status": "in_progress",
    "incomplete_details": None,
    "completed_at": None,
    "incomplete_at": None,
    "role": "assistant",
    "content": [],
    "assistant_id": "asst_1",
    "run_id": "run_1",
    "attachments": [],
    "metadata": {},
}
STEP: dict[str, Any] = {
    "id": "step_1",
    "object": "thread.run.step",
    "created_at": 1,
    "assistant_id": "asst_1",
    "thread_id": "thread_1",
    "run_id": "run_1",
    "type": "tool_calls",
    "status": "in_progress",
    "step_details": {"type": "tool_calls", "tool_calls": []},
    "last_error": None,
    "expires_at": None,
    "cancelled_at": None,
    "failed_at": None,
    "completed_at": None,
    "usage": None,
}


def text_delta(index: int, value: str, **text: Any) -> dict[str, Any]:
    part = {"index": index, "type": "text", "text": {"value": value, **text}}
    return {"id": "msg_1", "object": "thread.message.delta", "delta": {"content": [part]}}


def call_delta(index: int, **call: Any) -> dict[str, Any]:
    details = {"type": "tool_calls", "tool_calls": [{"index": index, **call}]}
    return {"id": "step_1", "object": "thread.run.step.delta", "delta": {"step_details": details}}


# ------------------------------------------------------------------------ the merge rules


def test_text_values_are_concatenated_part_by_part_by_index() -> None:
    snapshots = Snapshots()
    snapshots.feed("thread.message.created", MESSAGE)
    for data in (
        text_delta(0, "Hel"),
        text_delta(1, "Sec"),
        text_delta(0, "lo"),
        text_delta(1, "ond"),
    ):
        snapshots.feed("thread.message.delta", data)
    message = snapshots.messages["msg_1"]
    assert message["content"] == [
        {"type": "text", "text": {"value": "Hello", "annotations": []}},
        {"type": "text", "text": {"value": "Second", "annotations": []}},
    ], "a new part starts from the empty values its type requires"
    assert text_of(message) == "Hello\n\nSecond"
    Message.from_dict(message)  # a whole message, without the deltas' indexes


def test_annotations_are_appended_by_index_and_lose_the_index() -> None:
    snapshot: dict[str, Any] = {"content": []}
    citation = {"type": "file_citation", "text": "[1]", "start_index": 3, "end_index": 6}
    merge_delta(snapshot, text_delta(0, "abc", annotations=[{"index": 0, **citation}])["delta"])
    merge_delta(
        snapshot,
        text_delta(0, "def", annotations=[{"index": 1, **citation, "start_index": 9}])["delta"],
    )
    annotations = snapshot["content"][0]["text"]["annotations"]
    assert [a["start_index"] for a in annotations] == [3, 9]
    assert all("index" not in a for a in annotations)
    assert snapshot["content"][0]["text"]["value"] == "abcdef"


def test_numbers_and_other_scalars_are_replaced_never_added() -> None:
    snapshot: dict[str, Any] = {"usage": {"total_tokens": 5}, "status": "in_progress", "n": 2}
    merge_delta(snapshot, {"usage": {"total_tokens": 7}, "status": "completed", "n": 2})
    assert snapshot == {"usage": {"total_tokens": 7}, "status": "completed", "n": 2}
    merge_delta(snapshot, {"file_ids": ["a"]})
    merge_delta(snapshot, {"file_ids": ["b"]})
    assert snapshot["file_ids"] == ["b"], "a list without indexes is replaced"


def test_function_arguments_and_code_input_are_concatenated_per_tool_call() -> None:
    snapshots = Snapshots()
    snapshots.feed("thread.run.step.created", STEP)
    feed = [
        call_delta(0, id="call_a", type="function", function={"name": "f", "arguments": '{"ci'}),
        call_delta(1, id="call_b", type="code_interpreter", code_interpreter={"input": "pri"}),
        call_delta(0, type="function", function={"arguments": 'ty": "Oslo"}'}),
        call_delta(1, type="code_interpreter", code_interpreter={"input": "nt(1)"}),
        call_delta(
            1,
            type="code_interpreter",
            code_interpreter={"outputs": [{"index": 0, "type": "logs", "logs": "1"}]},
        ),
    ]
    for data in feed:
        snapshots.feed("thread.run.step.delta", data)
    calls = snapshots.steps["step_1"]["step_details"]["tool_calls"]
    assert calls[0] == {
        "id": "call_a",
        "type": "function",
        "function": {"name": "f", "arguments": '{"city": "Oslo"}', "output": None},
    }
    assert calls[1]["code_interpreter"] == {
        "input": "print(1)",
        "outputs": [{"type": "logs", "logs": "1"}],
    }


def test_completed_replaces_the_snapshot_and_in_progress_keeps_what_deltas_built() -> None:
    snapshots = Snapshots()
    snapshots.feed("thread.message.created", MESSAGE)
    snapshots.feed("thread.message.delta", text_delta(0, "partial"))
    snapshots.feed("thread.message.in_progress", {**MESSAGE, "metadata": {"k": "v"}})
    assert text_of(snapshots.messages["msg_1"]) == "partial"
    assert snapshots.messages["msg_1"]["metadata"] == {"k": "v"}
    done = {
        **MESSAGE,
        "status": "completed",
        "content": [{"type": "text", "text": {"value": "whole", "annotations": []}}],
    }
    snapshots.feed("thread.message.completed", done)
    assert snapshots.messages["msg_1"] == done
    assert snapshots.messages["msg_1"] is not done, "a copy: the caller's object stays its own"


def test_a_delta_before_its_created_event_is_kept() -> None:
    snapshots = Snapshots()
    snapshots.feed("thread.message.delta", text_delta(0, "early"))
    assert text_of(snapshots.messages["msg_1"]) == "early"


# ------------------------------------------------------------------------ property tests


def _cut(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts})
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(st.text(min_size=0, max_size=60), min_size=1, max_size=3),
    cuts=st.lists(st.integers(0, 10_000), max_size=12),
    empty_annotations_sent=st.booleans(),
)
def test_a_message_built_from_random_deltas_equals_the_completed_message(
    texts: list[str], cuts: list[int], empty_annotations_sent: bool
) -> None:
    extra: dict[str, Any] = {"annotations": []} if empty_annotations_sent else {}
    snapshots = Snapshots()
    snapshots.feed("thread.message.created", MESSAGE)
    for index, text in enumerate(texts):
        for piece in _cut(text, cuts):
            snapshots.feed("thread.message.delta", text_delta(index, piece, **extra))
    built = copy.deepcopy(snapshots.messages["msg_1"])
    completed = {
        **MESSAGE,
        "status": "completed",
        "content": [{"type": "text", "text": {"value": t, "annotations": []}} for t in texts],
    }
    snapshots.feed("thread.message.completed", completed)
    assert built["content"] == completed["content"]
    assert Message.from_dict(built).content == Message.from_dict(completed).content


@settings(max_examples=200, deadline=None)
@given(
    arguments=st.lists(
        st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=12), max_size=4),
        min_size=1,
        max_size=3,
    ),
    cuts=st.lists(st.integers(0, 10_000), max_size=10),
    order=st.randoms(use_true_random=False),
)
def test_tool_calls_built_from_random_deltas_equal_the_completed_step(
    arguments: list[dict[str, Any]], cuts: list[int], order: Any
) -> None:
    texts = [json.dumps(a) for a in arguments]
    first = [
        call_delta(i, id=f"call_{i}", type="function", function={"name": f"f{i}", "arguments": ""})
        for i in range(len(texts))
    ]
    rest = [
        call_delta(i, type="function", function={"arguments": piece})
        for i, text in enumerate(texts)
        for piece in _cut(text, cuts)
    ]
    # Calls interleave, but the pieces of one call keep their order.
    queues = [
        [d for d in rest if d["delta"]["step_details"]["tool_calls"][0]["index"] == i]
        for i in range(len(texts))
    ]
    interleaved = []
    while any(queues):
        queue = order.choice([q for q in queues if q])
        interleaved.append(queue.pop(0))
    snapshots = Snapshots()
    snapshots.feed("thread.run.step.created", STEP)
    for data in first + interleaved:
        snapshots.feed("thread.run.step.delta", data)
    built = snapshots.steps["step_1"]["step_details"]["tool_calls"]
    completed_calls = [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": f"f{i}", "arguments": text, "output": None},
        }
        for i, text in enumerate(texts)
    ]
    assert built == completed_calls
    RunStep.from_dict(snapshots.steps["step_1"])  # a whole step
    assert [json.loads(c["function"]["arguments"]) for c in built] == arguments


# ------------------------------------------------------------------------ on a stream


@pytest.fixture
def server() -> Any:
    with serve(ReferenceState(seed=13), event_delay=0) as running:
        yield running


def _waiting(server: RunningServer, rounds: int = 1) -> tuple[str, str, list[dict[str, str]]]:
    state = server.state
    thread = state.create_thread(statuses=["requires_action"], tool_calls=2, rounds=rounds)
    run = state.runs(thread)[0].id
    outputs = [
        {"tool_call_id": c, "output": f"out {c}"} for c in state.pending_tool_call_ids(thread, run)
    ]
    return thread, run, outputs


def test_text_deltas_and_the_final_views_of_a_stream(server: RunningServer) -> None:
    thread, run, outputs = _waiting(server)
    with Client("pk", base_url=server.base_url) as client:
        with client.runs.stream_tool_outputs(thread, run, outputs) as stream:
            assert stream.current_message_snapshot is None
            pieces = []
            for piece in stream.text_deltas:
                pieces.append(piece)
                snapshot = stream.current_message_snapshot
                assert snapshot is not None
                assert text_of(snapshot.to_dict()) == "".join(pieces), "the snapshot so far"
            text = stream.final_text()
            messages = stream.final_messages()
            steps = stream.final_run_steps()
    reply = server.state.reply_text(run)
    assert len(pieces) >= 3
    assert "".join(pieces) == text == reply
    (message,) = messages
    assert message.status.value == "completed"
    assert [s.type_.value for s in steps] == ["tool_calls", "message_creation"]
    assert all(isinstance(s, RunStep) for s in steps)


def test_final_views_read_the_rest_of_the_stream_first(server: RunningServer) -> None:
    thread, run, outputs = _waiting(server)
    with Client("pk", base_url=server.base_url) as client:
        with client.runs.stream_tool_outputs(thread, run, outputs) as stream:
            next(stream)
            assert stream.final_text() == server.state.reply_text(run)
            assert stream.until_done().status.value == "completed"
            assert list(stream) == []


def test_a_round_that_asks_again_streams_its_arguments_as_step_deltas(
    server: RunningServer,
) -> None:
    thread, run, outputs = _waiting(server, rounds=2)
    with Client("pk", base_url=server.base_url) as client:
        with client.runs.stream_tool_outputs(thread, run, outputs) as stream:
            names = [event.event for event in stream]
            steps = stream.final_run_steps()
            waiting = stream.until_done()
    assert "thread.run.step.delta" in names
    assert names[-1] == "thread.run.requires_action"
    assert waiting.required_action is not None
    asked = waiting.required_action.submit_tool_outputs.tool_calls
    streamed = steps[-1].to_dict()["step_details"]["tool_calls"]
    assert [c["function"]["arguments"] for c in streamed] == [c.function.arguments for c in asked]
    assert [c["id"] for c in streamed] == [c.id for c in asked]


def test_a_round_that_asks_again_is_announced_empty_then_filled_as_the_api_streams_it(
    server: RunningServer,
) -> None:
    thread, run, outputs = _waiting(server, rounds=2)
    with Client("pk", base_url=server.base_url) as client:
        with client.runs.stream_tool_outputs(thread, run, outputs) as stream:
            events = list(stream)
            (asked_step,) = [s for s in stream.final_run_steps() if s.status.value == "in_progress"]
    created = [e for e in events if e.event == "thread.run.step.created"]
    assert created[-1].data.to_dict()["step_details"] == {"type": "tool_calls", "tool_calls": []}
    assert created[-1].data.to_dict()["expires_at"] is not None
    assert "expired_at" not in created[-1].data.to_dict()
    assert "metadata" not in created[-1].data.to_dict()
    deltas = [
        call
        for e in events
        if e.event == "thread.run.step.delta"
        for call in e.data.delta.to_dict()["step_details"]["tool_calls"]
    ]
    first_by_index: dict[int, dict[str, object]] = {}
    later: dict[int, int] = {}
    for call in deltas:
        if call["index"] not in first_by_index:
            first_by_index[call["index"]] = call
        else:
            assert set(call) == {"index", "type", "function"}  # arguments only
            assert set(call["function"]) == {"arguments"}
            later[call["index"]] = later.get(call["index"], 0) + 1
    for first in first_by_index.values():
        assert first["function"] == {
            "name": first["function"]["name"],  # type: ignore[index]
            "arguments": "",
            "output": None,
        }
        assert str(first["id"]).startswith("call_")
    assert all(count >= 2 for count in later.values()), later
    assert len(later) == len(first_by_index) == 2
    built = asked_step.to_dict()["step_details"]["tool_calls"]
    assert [c["function"]["output"] for c in built] == [None, None]


async def test_async_text_deltas_and_final_views(server: RunningServer) -> None:
    thread, run, outputs = _waiting(server)
    async with AsyncClient("pk", base_url=server.base_url) as client:
        async with client.runs.stream_tool_outputs(thread, run, outputs) as stream:
            pieces = [piece async for piece in stream.text_deltas]
            assert stream.current_message_snapshot is not None
            text = await stream.final_text()
            (message,) = await stream.final_messages()
            steps = await stream.final_run_steps()
            final = await stream.until_done()
    assert "".join(pieces) == text == server.state.reply_text(run)
    assert message.status.value == "completed"
    assert len(steps) == 2
    assert final.status.value == "completed"


@pytest.mark.parametrize("seed", range(12))
def test_the_reply_text_of_every_reference_stream_equals_its_completed_message(
    seed: int,
) -> None:
    state = ReferenceState(seed=seed)
    with serve(state, event_delay=0) as running:
        thread, run, outputs = _waiting(running, rounds=1 + seed % 3)
        with Client("pk", base_url=running.base_url) as client:
            while True:
                with client.runs.stream_tool_outputs(thread, run, outputs) as stream:
                    pieces = list(stream.text_deltas)
                    messages = stream.final_messages()
                    final = stream.until_done()
                if final.status.value != "requires_action":
                    break
                assert final.required_action is not None
                calls = final.required_action.submit_tool_outputs.tool_calls
                outputs = [{"tool_call_id": c.id, "output": f"round {c.id}"} for c in calls]
    (message,) = messages
    assert "".join(pieces) == text_of(message.to_dict()) == state.reply_text(run)


@settings(max_examples=400, deadline=None)
@given(
    created=st.booleans(),
    steps=st.lists(
        st.tuples(
            st.sampled_from(
                # "plain" and "bare" take the fast path once their part is noted; the rest of
                # the delta kinds each break one of its conditions (issue 19)
                [
                    *("plain", "bare", "twice", "annotated", "role", "in_progress", "read"),
                    *("several", "no_text", "no_value", "other_key", "number"),
                    *("bool_index", "float_index", "not_a_list", "not_an_object"),
                    "no_type",
                ]
            ),
            st.integers(-1, 2),  # the part (-1: an index no part has)
            st.text(max_size=6),  # a piece
        ),
        max_size=25,
    ),
)
# A part whose text an odd delta replaced by one without annotations is not noted: the
# general merge gives it the `"annotations": []` of the deltas after (found by this test).
@example(
    created=False,
    steps=[("plain", 0, ""), ("not_an_object", 1, ""), ("several", 0, ""), ("plain", 1, "")],
)
# A delta for a noted part whose "type" is another key (three keys still): the general path,
# not a KeyError out of the fast path's checks.
@example(created=False, steps=[("plain", 0, "a"), ("no_type", 0, "b")])
def test_noted_text_pieces_give_what_the_general_merge_gives(
    created: bool, steps: list[tuple[str, int, str]]
) -> None:
    """The fast path for plain text deltas (pieces noted, joined when read) agrees with merging
    every delta by the general rules, whatever comes in between, read at any moment."""
    snapshots = Snapshots()
    expected: dict[str, Any] = copy.deepcopy(MESSAGE) if created else {"id": "msg_1"}
    if created:
        snapshots.feed("thread.message.created", MESSAGE)
    texts: list[str] = []
    sent: list[str] = []
    for kind, index, piece in steps:
        parts = len(expected.get("content", []))
        index = -1 if index < 0 else min(index, parts)  # a known part, the next one, or -1
        if kind == "read":  # mid-stream, as current_message_snapshot does
            if "msg_1" in snapshots.messages:
                assert snapshots.messages["msg_1"] == expected
            continue
        if kind == "in_progress":
            if "content" in expected:
                update = {**MESSAGE, "metadata": {"read": piece}}
                snapshots.feed("thread.message.in_progress", update)
                expected |= {k: v for k, v in update.items() if k != "content"}
            continue
        data = text_delta(index, piece, **({} if kind == "bare" else {"annotations": []}))
        if kind == "twice":
            data["delta"]["content"].append(copy.deepcopy(data["delta"]["content"][0]))
        elif kind == "annotated":
            note = {
                "index": 0,
                "type": "file_path",
                "text": piece,
                "start_index": 0,
                "end_index": 1,
            }
            data["delta"]["content"][0]["text"]["annotations"] = [note]
        elif kind == "role":
            data["delta"]["role"] = "assistant"
        elif kind == "several":  # this part and the next, in one delta
            data["delta"]["content"].append(text_delta(index + 1, piece)["delta"]["content"][0])
        elif kind == "no_text":  # a text part without its text, the same number of keys
            part = data["delta"]["content"][0]
            part["refusal"] = part.pop("text")["value"]
        elif kind == "no_value":
            del data["delta"]["content"][0]["text"]["value"]
        elif kind == "other_key":
            data["delta"]["content"][0]["text"]["other"] = piece
            data["delta"]["content"][0]["text"].pop("annotations", None)
        elif kind == "number":
            data["delta"]["content"][0]["text"]["value"] = len(piece)
        elif kind in ("bool_index", "float_index"):  # equal to an int, not an int
            data["delta"]["content"][0]["index"] = (bool if kind == "bool_index" else float)(
                max(index, 0) % 2
            )
        elif kind == "not_a_list":  # the one part, not in a list
            data["delta"]["content"] = data["delta"]["content"][0]
        elif kind == "not_an_object":
            data["delta"]["content"][0]["text"] = [piece]
        elif kind == "no_type":  # another key in place of "type", the same number of keys
            data["delta"]["content"][0]["kind"] = data["delta"]["content"][0].pop("type")
        texts += snapshots.feed("thread.message.delta", data)
        content = data["delta"]["content"]
        sent += [
            part["text"]["value"]
            for part in (content if isinstance(content, list) else [])
            if part.get("type") == "text"
            and isinstance(part.get("text"), dict)
            and isinstance(part["text"].get("value"), str)
        ]
        merge_delta(expected, copy.deepcopy(data["delta"]))  # the general merge alone
    if "msg_1" in snapshots.messages:
        assert snapshots.messages["msg_1"] == expected
    assert "".join(texts) == "".join(sent)


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(0, 2), st.text(max_size=6), st.booleans()), max_size=25)
)
def test_noted_argument_pieces_give_what_the_general_merge_gives(
    steps: list[tuple[int, str, bool]],
) -> None:
    snapshots = Snapshots()
    snapshots.feed("thread.run.step.created", STEP)
    expected: dict[str, Any] = copy.deepcopy(STEP)
    calls = 0
    for index, piece, read in steps:
        index = min(index, calls)
        if index == calls:  # a new call: its first delta names it
            data = call_delta(
                index,
                id=f"call_{index}",
                type="function",
                function={"name": "f", "arguments": piece},
            )
            calls += 1
        else:
            data = call_delta(index, type="function", function={"arguments": piece})
        snapshots.feed("thread.run.step.delta", data)
        merge_delta(expected, copy.deepcopy(data["delta"]))
        if read:
            assert snapshots.steps["step_1"] == expected
    assert snapshots.steps["step_1"] == expected


def test_two_pieces_for_a_new_part_in_one_delta_join_in_order() -> None:
    snapshots = Snapshots()
    snapshots.feed("thread.message.created", MESSAGE)
    data = text_delta(0, "a")
    data["delta"]["content"].append({"index": 0, "type": "text", "text": {"value": "b"}})
    assert snapshots.feed("thread.message.delta", data) == ["a", "b"]
    assert text_of(snapshots.messages["msg_1"]) == "ab"


def test_a_negative_part_index_is_a_part_of_its_own_as_in_the_general_merge() -> None:
    snapshots = Snapshots()
    snapshots.feed("thread.message.created", MESSAGE)
    for index, piece in ((0, "a"), (1, "b"), (-1, "c")):
        snapshots.feed("thread.message.delta", text_delta(index, piece))
    assert [p["text"]["value"] for p in snapshots.messages["msg_1"]["content"]] == ["a", "b", "c"]
