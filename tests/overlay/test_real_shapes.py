"""Streams shaped as the real Assistants API sends them (fixtures written here, our own ids).

What they reproduce, from streams recorded against the real API (issue 15): run steps carry
``expires_at`` and neither ``expired_at`` nor ``metadata``; runs carry ``tool_resources`` and
``reasoning_effort``, and may lack ``parallel_tool_calls``; a function call is announced by
``thread.run.step.created`` with no calls, its id, type and name arrive in the first delta of
its index (empty arguments, no output) and its arguments in later deltas; a submission's stream
starts with the completed tool step; code interpreter input arrives over many deltas; a message
cut by ``max_completion_tokens`` (16, below the request-side minimum) ends ``incomplete``.
Each must read in strict mode, whole or in 7-byte pieces, and rebuild the final objects.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from portkey_runs import Client
from portkey_runs_api.models import Run
from tests._loopback import LoopbackServer, Reply

JSON = dict[str, Any]
SSE_HEADERS = {"content-type": "text/event-stream"}
IDS = {"thread_id": "thread_shape1", "assistant_id": "asst_shape1"}


def _run(status: str, **changes: Any) -> JSON:
    run: JSON = {
        "id": "run_shape1",
        "object": "thread.run",
        "created_at": 1730000000,
        **IDS,
        "status": status,
        "required_action": None,
        "last_error": None,
        "expires_at": 1730000600,
        "started_at": 1730000001,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": "gpt-4o-mini",
        "instructions": "Answer with the tools.",
        "tools": [{"type": "function", "function": {"name": "lookup", "parameters": {}}}],
        "tool_resources": {"code_interpreter": {"file_ids": []}},
        "metadata": {},
        "usage": None,
        "temperature": 1.0,
        "top_p": 1.0,
        "reasoning_effort": None,
        "max_prompt_tokens": None,
        "max_completion_tokens": None,
        "truncation_strategy": {"type": "auto", "last_messages": None},
        "tool_choice": "auto",
        "response_format": "auto",
    }  # no parallel_tool_calls: early v2 answers lack it
    run.update(changes)
    return run


def _step(step_id: str, status: str, details: JSON, **changes: Any) -> JSON:
    step: JSON = {
        "id": step_id,
        "object": "thread.run.step",
        "created_at": 1730000002,
        "run_id": "run_shape1",
        **IDS,
        "type": details["type"],
        "status": status,
        "cancelled_at": None,
        "completed_at": None,
        "expires_at": 1730000600,
        "failed_at": None,
        "last_error": None,
        "step_details": details,
        "usage": None,
    }  # no expired_at, no metadata
    step.update(changes)
    return step


def _delta(step_id: str, call: JSON) -> JSON:
    return {
        "id": step_id,
        "object": "thread.run.step.delta",
        "delta": {"step_details": {"type": "tool_calls", "tool_calls": [call]}},
    }


USAGE = {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60}
DONE_STEP = _step(
    "step_shape0",
    "completed",
    {
        "type": "tool_calls",
        "tool_calls": [
            {
                "id": "call_shape0",
                "type": "function",
                "function": {"name": "lookup", "arguments": '{"q":"a"}', "output": "found a"},
            }
        ],
    },
    completed_at=1730000003,
    expires_at=None,
    usage=USAGE,
)


def _asks_again() -> tuple[list[tuple[str, Any]], JSON, list[JSON]]:
    """A submission's stream whose run asks for two more calls; the run and steps it ends with."""
    arguments = ['{"q":"paris', ' weather"}', '{"q":"rome', '"}']
    calls = [
        {"id": "call_shape1", "name": "lookup", "arguments": arguments[0] + arguments[1]},
        {"id": "call_shape2", "name": "lookup", "arguments": arguments[2] + arguments[3]},
    ]
    created = _step("step_shape1", "in_progress", {"type": "tool_calls", "tool_calls": []})
    deltas: list[tuple[str, Any]] = []
    for index, call in enumerate(calls):
        first = {
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": "", "output": None},
        }
        deltas.append(("thread.run.step.delta", _delta("step_shape1", first)))
        for piece in arguments[2 * index : 2 * index + 2]:
            later = {"index": index, "type": "function", "function": {"arguments": piece}}
            deltas.append(("thread.run.step.delta", _delta("step_shape1", later)))
    waiting = _run(
        "requires_action",
        required_action={
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {
                "tool_calls": [
                    {
                        "id": c["id"],
                        "type": "function",
                        "function": {"name": c["name"], "arguments": c["arguments"]},
                    }
                    for c in calls
                ]
            },
        },
    )
    events = [
        ("thread.run.step.completed", DONE_STEP),
        ("thread.run.queued", _run("queued")),
        ("thread.run.in_progress", _run("in_progress")),
        ("thread.run.step.created", created),
        ("thread.run.step.in_progress", created),
        *deltas,
        ("thread.run.requires_action", waiting),
    ]
    asked = {
        **created,
        "step_details": {
            "type": "tool_calls",
            "tool_calls": [
                {
                    "id": c["id"],
                    "type": "function",
                    "function": {"name": c["name"], "arguments": c["arguments"], "output": None},
                }
                for c in calls
            ],
        },
    }
    return events, waiting, [DONE_STEP, asked]


def _code_then_cut_reply() -> tuple[list[tuple[str, Any]], JSON, list[JSON], list[JSON]]:
    """Code interpreter over many deltas, then a reply cut by max_completion_tokens (16)."""
    code = "import math\nprint(math.sqrt(2) * 10)\n"
    pieces = [code[i : i + 3] for i in range(0, len(code), 3)]
    created = _step("step_code", "in_progress", {"type": "tool_calls", "tool_calls": []})
    first = {
        "index": 0,
        "id": "call_code",
        "type": "code_interpreter",
        "code_interpreter": {"input": "", "outputs": []},
    }
    deltas = [("thread.run.step.delta", _delta("step_code", first))] + [
        (
            "thread.run.step.delta",
            _delta(
                "step_code",
                {"index": 0, "type": "code_interpreter", "code_interpreter": {"input": p}},
            ),
        )
        for p in pieces
    ]
    logs = {"index": 0, "type": "logs", "logs": "14.142135623730951\n"}
    deltas.append(
        (
            "thread.run.step.delta",
            _delta(
                "step_code",
                {"index": 0, "type": "code_interpreter", "code_interpreter": {"outputs": [logs]}},
            ),
        )
    )
    code_done = _step(
        "step_code",
        "completed",
        {
            "type": "tool_calls",
            "tool_calls": [
                {
                    "id": "call_code",
                    "type": "code_interpreter",
                    "code_interpreter": {
                        "input": code,
                        "outputs": [{"type": "logs", "logs": "14.142135623730951\n"}],
                    },
                }
            ],
        },
        completed_at=1730000004,
        expires_at=None,
        usage=USAGE,
    )
    message_step = _step(
        "step_msg",
        "in_progress",
        {"type": "message_creation", "message_creation": {"message_id": "msg_shape1"}},
    )
    message: JSON = {
        "id": "msg_shape1",
        "object": "thread.message",
        "created_at": 1730000005,
        **IDS,
        "status": "in_progress",
        "incomplete_details": None,
        "completed_at": None,
        "incomplete_at": None,
        "role": "assistant",
        "content": [],
        "run_id": "run_shape1",
        "attachments": [],
        "metadata": {},
    }
    words = ["The", " square", " root", " of", " two", " times", " ten", " is"]
    text_deltas = [
        (
            "thread.message.delta",
            {
                "id": "msg_shape1",
                "object": "thread.message.delta",
                "delta": {
                    "content": [
                        {
                            "index": 0,
                            "type": "text",
                            "text": {"value": word, **({"annotations": []} if i == 0 else {})},
                        }
                    ]
                },
            },
        )
        for i, word in enumerate(words)
    ]
    cut = {
        **message,
        "status": "incomplete",
        "incomplete_at": 1730000006,
        "incomplete_details": {"reason": "max_tokens"},
        "content": [{"type": "text", "text": {"value": "".join(words), "annotations": []}}],
    }
    message_done = {**message_step, "status": "incomplete", "expires_at": None, "usage": USAGE}
    final = _run(
        "incomplete",
        expires_at=None,
        max_completion_tokens=16,
        incomplete_details={"reason": "max_completion_tokens"},
        usage=USAGE,
    )
    events = [
        ("thread.run.step.completed", DONE_STEP),
        ("thread.run.queued", _run("queued", max_completion_tokens=16)),
        ("thread.run.in_progress", _run("in_progress", max_completion_tokens=16)),
        ("thread.run.step.created", created),
        ("thread.run.step.in_progress", created),
        *deltas,
        ("thread.run.step.completed", code_done),
        ("thread.run.step.created", message_step),
        ("thread.run.step.in_progress", message_step),
        ("thread.message.created", message),
        ("thread.message.in_progress", message),
        *text_deltas,
        ("thread.message.incomplete", cut),
        ("thread.run.step.completed", message_done),
        ("thread.run.incomplete", final),
    ]
    return events, final, [DONE_STEP, code_done, message_done], [cut]


def _body(events: list[tuple[str, Any]]) -> bytes:
    lines = [f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events]
    return ("".join(lines) + "event: done\ndata: [DONE]\n\n").encode()


def _pieces(body: bytes, size: int | None) -> list[bytes]:
    return [body] if size is None else [body[i : i + size] for i in range(0, len(body), size)]


@pytest.fixture
def client(loopback: LoopbackServer) -> Iterator[Client]:
    with Client("pk-test", base_url=loopback.url, max_retries=0) as c:
        yield c


@pytest.mark.parametrize("size", [None, 7])
def test_a_round_announced_empty_then_filled_by_deltas_reads_and_rebuilds_the_steps(
    size: int | None, loopback: LoopbackServer, client: Client
) -> None:
    events, waiting, steps = _asks_again()
    loopback.replies.append(Reply(200, _pieces(_body(events), size), SSE_HEADERS))
    outputs = [{"tool_call_id": "call_shape0", "output": "found a"}]
    with client.runs.stream_tool_outputs("thread_shape1", "run_shape1", outputs) as stream:
        names = [event.event for event in stream]
        assert [s.to_dict() for s in stream.final_run_steps()] == steps
        assert stream.until_done().to_dict() == waiting
    assert names == [name for name, _ in events]


@pytest.mark.parametrize("size", [None, 7])
def test_code_interpreter_deltas_and_a_reply_cut_by_max_completion_tokens_read_whole(
    size: int | None, loopback: LoopbackServer, client: Client
) -> None:
    events, final, steps, messages = _code_then_cut_reply()
    loopback.replies.append(Reply(200, _pieces(_body(events), size), SSE_HEADERS))
    outputs = [{"tool_call_id": "call_shape0", "output": "found a"}]
    with client.runs.stream_tool_outputs("thread_shape1", "run_shape1", outputs) as stream:
        names = [event.event for event in stream]
        assert [m.to_dict() for m in stream.final_messages()] == messages
        assert [s.to_dict() for s in stream.final_run_steps()] == steps
        assert stream.final_text() == messages[0]["content"][0]["text"]["value"]
        done = stream.until_done()
    assert names == [name for name, _ in events]
    assert done.to_dict() == final
    assert done.max_completion_tokens == 16


def test_the_tool_loop_completes_over_a_round_announced_empty(loopback: LoopbackServer) -> None:
    events, waiting, _ = _asks_again()
    reply, final, _, _ = _code_then_cut_reply()
    loopback.replies.append(Reply(200, _pieces(_body(events), 7), SSE_HEADERS))
    loopback.replies.append(Reply(200, [_body(reply)], SSE_HEADERS))
    first = _run(
        "requires_action",
        required_action={
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {
                "tool_calls": [
                    {
                        "id": "call_shape0",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": '{"q":"a"}'},
                    }
                ]
            },
        },
    )
    asked: list[str] = []

    def lookup(q: str) -> str:
        asked.append(q)
        return f"found {q}"

    with Client("pk-test", base_url=loopback.url, max_retries=0) as client:
        tools = {"lookup": lookup}
        with client.runs.run_tools("thread_shape1", Run.from_dict(first), tools=tools) as loop:
            list(loop)
    assert asked == ["a", "paris weather", "rome"]
    assert loop.final_run is not None
    assert loop.final_run.to_dict() == final
    assert loop.rounds == 2
    bodies = [r.json() for r in loopback.requests]
    assert [o["tool_call_id"] for o in bodies[0]["tool_outputs"]] == ["call_shape0"]
    assert [o["tool_call_id"] for o in bodies[1]["tool_outputs"]] == ["call_shape1", "call_shape2"]
    assert waiting["status"] == "requires_action"
