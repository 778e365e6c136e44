"""Issue 16 §2: the work of decoding and merging grows linearly with the input.

Each case runs the same input at two sizes, the second four times the first, and compares the
CPU time of this process (``time.process_time``: another process's load does not count), best
of several tries: a linear cost gives about 4x, a quadratic one 16x; the bound is 8x. The
sizes are large enough that the quadratic code this replaced failed each case by far.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from portkey_runs._snapshots import Pending, Snapshots, join_pending, merge_delta
from portkey_runs._sse import SSEDecoder

BOUND = 8.0
PIECE = "abcdefghijklmnopqrstuvwxyz0123456789"


def _cpu(work: Callable[[], object], tries: int = 7) -> float:
    best = float("inf")
    for _ in range(tries):
        gc.collect()
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def _ratio(case: Callable[[int], Callable[[], object]], n: int) -> float:
    small, large = case(n), case(4 * n)
    _cpu(small, 1)  # warm up
    return _cpu(large) / max(_cpu(small), 1e-6)


def _message(content: list[Any]) -> dict[str, Any]:
    return {"id": "msg_1", "object": "thread.message", "role": "assistant", "content": content}


def _message_delta(part: dict[str, Any]) -> dict[str, Any]:
    return {"id": "msg_1", "object": "thread.message.delta", "delta": {"content": [part]}}


def _step_delta(call: dict[str, Any]) -> dict[str, Any]:
    details = {"type": "tool_calls", "tool_calls": [{"index": 0, **call}]}
    return {"id": "step_1", "object": "thread.run.step.delta", "delta": {"step_details": details}}


STEP = {
    "id": "step_1",
    "object": "thread.run.step",
    "type": "tool_calls",
    "status": "in_progress",
    "step_details": {"type": "tool_calls", "tool_calls": []},
}

#: For each streamed field: the first delta (which starts the part or call) and the next ones.
DELTAS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "text": (
        _message_delta({"index": 0, "type": "text", "text": {"value": PIECE}}),
        _message_delta({"index": 0, "type": "text", "text": {"value": PIECE}}),
    ),
    "refusal": (
        _message_delta({"index": 0, "type": "refusal", "refusal": PIECE}),
        _message_delta({"index": 0, "type": "refusal", "refusal": PIECE}),
    ),
    "arguments": (
        _step_delta(
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}
        ),
        _step_delta({"type": "function", "function": {"arguments": PIECE}}),
    ),
    "input": (
        _step_delta(
            {"id": "call_1", "type": "code_interpreter", "code_interpreter": {"input": ""}}
        ),
        _step_delta({"type": "code_interpreter", "code_interpreter": {"input": PIECE}}),
    ),
    "logs": (
        _step_delta(
            {
                "id": "call_1",
                "type": "code_interpreter",
                "code_interpreter": {"outputs": [{"index": 0, "type": "logs", "logs": ""}]},
            }
        ),
        _step_delta(
            {
                "type": "code_interpreter",
                "code_interpreter": {"outputs": [{"index": 0, "type": "logs", "logs": PIECE}]},
            }
        ),
    ),
}


def _merged(kind: str, snapshots: Snapshots) -> str:
    if kind in ("text", "refusal"):
        part = snapshots.messages["msg_1"]["content"][0]
        return str(part["text"]["value"] if kind == "text" else part["refusal"])
    call = snapshots.steps["step_1"]["step_details"]["tool_calls"][0]
    if kind == "arguments":
        return str(call["function"]["arguments"])
    if kind == "input":
        return str(call["code_interpreter"]["input"])
    return str(call["code_interpreter"]["outputs"][0]["logs"])


def _snapshot_case(kind: str) -> Callable[[int], Callable[[], object]]:
    first, then = DELTAS[kind]
    message = kind in ("text", "refusal")
    name = "thread.message.delta" if message else "thread.run.step.delta"

    def case(n: int) -> Callable[[], object]:
        def work() -> object:
            snapshots = Snapshots()
            if message:
                snapshots.feed("thread.message.created", _message([]))
            else:
                snapshots.feed("thread.run.step.created", STEP)
            feed = snapshots.feed
            feed(name, first)
            for _ in range(n):
                feed(name, then)
            merged = _merged(kind, snapshots)
            assert len(merged) >= n * len(PIECE)  # every piece is there, read once
            return merged

        return work

    return case


@pytest.mark.parametrize("kind", sorted(DELTAS))
def test_merging_four_times_more_deltas_costs_about_four_times_more(kind: str) -> None:
    assert _ratio(_snapshot_case(kind), 20_000) <= BOUND


@pytest.mark.parametrize("kind", sorted(DELTAS))
def test_every_piece_is_merged_in_order(kind: str) -> None:
    first, _ = DELTAS[kind]
    snapshots = Snapshots()
    name = "thread.message.delta" if kind in ("text", "refusal") else "thread.run.step.delta"
    if kind in ("text", "refusal"):
        snapshots.feed("thread.message.created", _message([]))
    else:
        snapshots.feed("thread.run.step.created", STEP)
    snapshots.feed(name, first)
    expected = _merged(kind, snapshots)
    for n in range(50):
        piece = f"<{n}>"
        delta = json.dumps(DELTAS[kind][1]).replace(PIECE, piece)
        snapshots.feed(name, json.loads(delta))  # the same delta with a numbered piece
        expected += piece
        if n % 7 == 0:
            assert _merged(kind, snapshots) == expected  # read in the middle, then go on
    assert _merged(kind, snapshots) == expected


def _line_case(kib: int) -> Callable[[], object]:
    """One line of ``kib`` KiB in chunks of 256 bytes, decoded forty times: many small chunks, as a
    slow server sends them, so that the cost of each chunk shows, not the allocator's."""
    size = kib * 1024
    body = b"data: " + b"x" * size + b"\n\n"
    chunks = [body[i : i + 256] for i in range(0, len(body), 256)]

    def work() -> object:
        for _ in range(40):
            decoder = SSEDecoder()
            events = [event for chunk in chunks for event in decoder.feed(chunk)]
            assert [len(event.data) for event in events] == [size]
        return events

    return work


def test_a_four_times_longer_line_costs_about_four_times_more() -> None:
    assert _ratio(_line_case, 64) <= BOUND  # 64 KiB against 256 KiB


def _many_lines_case(n: int) -> Callable[[], object]:
    body = b"event: thread.message.delta\n" + b"data: " + PIECE.encode() + b"\n" * 1
    body = body + b"data: x\n" * n + b"\n"
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)]  # lines split anywhere

    def work() -> object:
        decoder = SSEDecoder()
        events = [event for chunk in chunks for event in decoder.feed(chunk)]
        assert len(events) == 1
        assert events[0].data.count("\n") == n
        return events

    return work


def test_an_event_of_four_times_more_lines_costs_about_four_times_more() -> None:
    assert _ratio(_many_lines_case, 20_000) <= BOUND


def _almost_events_case(n: int, size: int = 65536) -> Callable[[], object]:
    """``n`` pairs of ``event:`` and ``data:`` lines with no blank line between them, in chunks
    of ``size`` bytes: every pair looks like the start of an event as servers write it (matched
    by regular expression, issue 19), and none ends as one until the last blank line."""
    body = (b"event: a\ndata: " + PIECE.encode() * 2 + b"\n") * n + b"\n"
    chunks = [body[i : i + size] for i in range(0, len(body), size)]

    def work() -> object:
        decoder = SSEDecoder()
        events = [event for chunk in chunks for event in decoder.feed(chunk)]
        assert len(events) == 1
        assert events[0].data.count("\n") == n - 1
        return events

    return work


def test_four_times_more_unfinished_events_cost_about_four_times_more() -> None:
    assert _ratio(_almost_events_case, 20_000) <= BOUND


def test_the_same_in_one_chunk_costs_about_four_times_more() -> None:
    """In chunks, only the first is searched by the regular expression (the event it begins
    goes on, read line by line): in one chunk, the search spans the whole body."""
    assert _ratio(lambda n: _almost_events_case(n, 1 << 30), 4_000) <= BOUND


def test_a_noted_string_replaced_by_another_value_keeps_the_order() -> None:
    """Pieces noted for a field, then a delta replacing it: the pieces go first, then the new
    value; what follows is noted again."""
    pending: Pending = {}
    part: dict[str, Any] = {"type": "refusal", "refusal": ""}
    for piece in ("I ", "can", "not"):
        merge_delta(part, {"refusal": piece}, pending)
    assert part["refusal"] == "", "noted, not yet joined"
    merge_delta(part, {"refusal": None}, pending)
    assert part["refusal"] is None
    assert pending == {}
    merge_delta(part, {"refusal": "x"}, pending)
    assert part["refusal"] == "x"
    merge_delta(part, {"refusal": "y"}, pending)
    join_pending(pending)
    assert part["refusal"] == "xy"
