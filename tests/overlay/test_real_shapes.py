"""Streams shaped as the real Assistants API sends them (fixtures written here, our own ids).

What they reproduce, from streams recorded against the real API (issue 15): run steps carry
``expires_at`` and neither ``expired_at`` nor ``metadata``; runs carry ``tool_resources`` and
``reasoning_effort``, and may lack ``parallel_tool_calls``; a function call is announced by
``thread.run.step.created`` with no calls, its id, type and name arrive in the first delta of
its index (empty arguments, no output) and its arguments in later deltas; a submission's stream
starts with the completed tool step; code interpreter input arrives over many deltas; a message
cut by ``max_completion_tokens`` (16, below the request-side minimum) ends ``incomplete``;
file-search ``results`` arrive only on the completed step, and a citation's delta carries a
``quote: ""`` that the completed annotation lacks; a round may write a message before it stops
at ``requires_action``. Each must read, strict and tolerant (with nothing reported as drift),
whole or in 7-byte pieces, and rebuild the final objects.
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


#: Both reading modes: strict raises on any departure, tolerant must find none to report.
MODES = pytest.mark.parametrize("strict", [True, False], ids=["strict", "tolerant"])
SIZES = pytest.mark.parametrize("size", [None, 7], ids=["whole", "7-byte"])


@pytest.fixture
def client(loopback: LoopbackServer) -> Iterator[Client]:
    with Client("pk-test", base_url=loopback.url, max_retries=0) as c:
        yield c


@SIZES
@MODES
def test_a_round_announced_empty_then_filled_by_deltas_reads_and_rebuilds_the_steps(
    size: int | None, strict: bool, loopback: LoopbackServer, client: Client
) -> None:
    events, waiting, steps = _asks_again()
    loopback.replies.append(Reply(200, _pieces(_body(events), size), SSE_HEADERS))
    outputs = [{"tool_call_id": "call_shape0", "output": "found a"}]
    with client.runs.stream_tool_outputs(
        "thread_shape1", "run_shape1", outputs, strict_responses=strict
    ) as stream:
        names = [event.event for event in stream]
        assert [s.to_dict() for s in stream.final_run_steps()] == steps
        assert stream.final_messages() == []
        assert stream.final_text() == ""
        assert stream.until_done().to_dict() == waiting
        assert stream.drift == []
    assert names == [name for name, _ in events]


@SIZES
@MODES
def test_code_interpreter_deltas_and_a_reply_cut_by_max_completion_tokens_read_whole(
    size: int | None, strict: bool, loopback: LoopbackServer, client: Client
) -> None:
    events, final, steps, messages = _code_then_cut_reply()
    loopback.replies.append(Reply(200, _pieces(_body(events), size), SSE_HEADERS))
    outputs = [{"tool_call_id": "call_shape0", "output": "found a"}]
    with client.runs.stream_tool_outputs(
        "thread_shape1", "run_shape1", outputs, strict_responses=strict
    ) as stream:
        names = [event.event for event in stream]
        assert [m.to_dict() for m in stream.final_messages()] == messages
        assert [s.to_dict() for s in stream.final_run_steps()] == steps
        assert stream.final_text() == messages[0]["content"][0]["text"]["value"]
        done = stream.until_done()
        assert stream.drift == []
    assert names == [name for name, _ in events]
    assert done.to_dict() == final
    assert done.max_completion_tokens == 16


@MODES
def test_the_tool_loop_completes_over_a_round_announced_empty(
    strict: bool, loopback: LoopbackServer
) -> None:
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
        run = Run.from_dict(first)
        with client.runs.run_tools(
            "thread_shape1", run, tools=tools, strict_responses=strict
        ) as loop:
            list(loop)
    assert asked == ["a", "paris weather", "rome"]
    assert loop.final_run is not None
    assert loop.final_run.to_dict() == final
    assert loop.rounds == 2
    bodies = [r.json() for r in loopback.requests]
    assert [o["tool_call_id"] for o in bodies[0]["tool_outputs"]] == ["call_shape0"]
    assert [o["tool_call_id"] for o in bodies[1]["tool_outputs"]] == ["call_shape1", "call_shape2"]
    assert waiting["status"] == "requires_action"


def _message(message_id: str, **changes: Any) -> JSON:
    message: JSON = {
        "id": message_id,
        "object": "thread.message",
        "created_at": 1730000010,
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
    message.update(changes)
    return message


def _text_delta(message_id: str, text: JSON) -> JSON:
    return {
        "id": message_id,
        "object": "thread.message.delta",
        "delta": {"content": [{"index": 0, "type": "text", "text": text}]},
    }


CITED = "【4:0†forecast.txt】"
ANSWER = "Tomorrow in Lyon: light rain, 9 °C" + CITED


def _file_search_reply() -> tuple[list[tuple[str, Any]], JSON, list[JSON], list[JSON]]:
    """A file search whose results come only on the completed step, then a reply citing a
    file: the citation's delta has ``quote: ""``, the completed annotation has no quote."""
    searching = _step("step_fs", "in_progress", {"type": "tool_calls", "tool_calls": []})
    announce = {"index": 0, "id": "call_fs", "type": "file_search", "file_search": {}}
    results = {
        "ranking_options": {"ranker": "default_2024_08_21", "score_threshold": 0.0},
        "results": [
            {
                "file_id": "file_forecast",
                "file_name": "forecast.txt",
                "score": 0.82,
                "content": [{"type": "text", "text": "Lyon, Tuesday: rain, 9 C"}],
            }
        ],
    }
    searched = _step(
        "step_fs",
        "completed",
        {
            "type": "tool_calls",
            "tool_calls": [{"id": "call_fs", "type": "file_search", "file_search": results}],
        },
        completed_at=1730000009,
        expires_at=None,
        usage=USAGE,
    )
    writing = _step(
        "step_cite",
        "in_progress",
        {"type": "message_creation", "message_creation": {"message_id": "msg_cite"}},
    )
    start = len(ANSWER) - len(CITED)
    citation = {
        "type": "file_citation",
        "text": CITED,
        "start_index": start,
        "end_index": len(ANSWER),
    }
    opened = _message("msg_cite")
    replied = _message(
        "msg_cite",
        status="completed",
        completed_at=1730000011,
        content=[
            {
                "type": "text",
                "text": {
                    "value": ANSWER,
                    "annotations": [{**citation, "file_citation": {"file_id": "file_forecast"}}],
                },
            }
        ],
    )
    written = {**writing, "status": "completed", "completed_at": 1730000012, "expires_at": None}
    final = _run("completed", completed_at=1730000013, expires_at=None, usage=USAGE)
    quoted = {**citation, "index": 0, "file_citation": {"file_id": "file_forecast", "quote": ""}}
    events = [
        ("thread.run.step.completed", DONE_STEP),
        ("thread.run.queued", _run("queued")),
        ("thread.run.in_progress", _run("in_progress")),
        ("thread.run.step.created", searching),
        ("thread.run.step.in_progress", searching),
        ("thread.run.step.delta", _delta("step_fs", announce)),
        ("thread.run.step.completed", searched),
        ("thread.run.step.created", writing),
        ("thread.run.step.in_progress", writing),
        ("thread.message.created", opened),
        ("thread.message.in_progress", opened),
        ("thread.message.delta", _text_delta("msg_cite", {"value": ANSWER[:start]})),
        (
            "thread.message.delta",
            _text_delta("msg_cite", {"value": CITED, "annotations": [quoted]}),
        ),
        ("thread.message.completed", replied),
        ("thread.run.step.completed", written),
        ("thread.run.completed", final),
    ]
    return events, final, [DONE_STEP, searched, written], [replied]


def _message_then_requires_action() -> tuple[list[tuple[str, Any]], JSON, list[JSON], list[JSON]]:
    """A round that writes a short message, then announces one call and stops at
    ``requires_action`` (the stream ends there: the run waits for its outputs)."""
    writing = _step(
        "step_note",
        "in_progress",
        {"type": "message_creation", "message_creation": {"message_id": "msg_note"}},
    )
    note = _message(
        "msg_note",
        status="completed",
        completed_at=1730000011,
        content=[{"type": "text", "text": {"value": "Checking the forecast.", "annotations": []}}],
    )
    written = {**writing, "status": "completed", "completed_at": 1730000012, "expires_at": None}
    calling = _step("step_call", "in_progress", {"type": "tool_calls", "tool_calls": []})
    first = {
        "index": 0,
        "id": "call_fc",
        "type": "function",
        "function": {"name": "forecast", "arguments": "", "output": None},
    }
    pieces = ['{"city"', ':"Lyon"}']
    waiting = _run(
        "requires_action",
        required_action={
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {
                "tool_calls": [
                    {
                        "id": "call_fc",
                        "type": "function",
                        "function": {"name": "forecast", "arguments": "".join(pieces)},
                    }
                ]
            },
        },
    )
    asked = {
        **calling,
        "step_details": {
            "type": "tool_calls",
            "tool_calls": [
                {
                    "id": "call_fc",
                    "type": "function",
                    "function": {"name": "forecast", "arguments": "".join(pieces), "output": None},
                }
            ],
        },
    }
    events = [
        ("thread.run.step.completed", DONE_STEP),
        ("thread.run.queued", _run("queued")),
        ("thread.run.in_progress", _run("in_progress")),
        ("thread.run.step.created", writing),
        ("thread.run.step.in_progress", writing),
        ("thread.message.created", _message("msg_note")),
        ("thread.message.in_progress", _message("msg_note")),
        (
            "thread.message.delta",
            _text_delta("msg_note", {"value": "Checking the forecast.", "annotations": []}),
        ),
        ("thread.message.completed", note),
        ("thread.run.step.completed", written),
        ("thread.run.step.created", calling),
        ("thread.run.step.in_progress", calling),
        ("thread.run.step.delta", _delta("step_call", first)),
        *[
            (
                "thread.run.step.delta",
                _delta("step_call", {"index": 0, "type": "function", "function": {"arguments": p}}),
            )
            for p in pieces
        ],
        ("thread.run.requires_action", waiting),
    ]
    return events, waiting, [DONE_STEP, written, asked], [note]


@SIZES
@MODES
def test_file_search_results_on_completion_and_a_citation_quoted_only_in_its_delta(
    size: int | None, strict: bool, loopback: LoopbackServer, client: Client
) -> None:
    events, final, steps, messages = _file_search_reply()
    loopback.replies.append(Reply(200, _pieces(_body(events), size), SSE_HEADERS))
    outputs = [{"tool_call_id": "call_shape0", "output": "found a"}]
    seen: dict[str, Any] = {}
    with client.runs.stream_tool_outputs(
        "thread_shape1", "run_shape1", outputs, strict_responses=strict
    ) as stream:
        names = []
        for event in stream:
            names.append(event.event)
            if event.event == "thread.run.step.delta":
                # The search announced: no results yet.
                seen["searching"] = stream._steps()[-1].to_dict()
            elif event.event == "thread.message.delta":
                snapshot = stream.current_message_snapshot
                assert snapshot is not None
                seen["cited"] = snapshot.to_dict()
        assert [m.to_dict() for m in stream.final_messages()] == messages
        assert [s.to_dict() for s in stream.final_run_steps()] == steps
        assert stream.final_text() == ANSWER
        assert stream.until_done().to_dict() == final
        assert stream.drift == []
    assert names == [name for name, _ in events]
    call = seen["searching"]["step_details"]["tool_calls"][0]
    assert call == {"id": "call_fs", "type": "file_search", "file_search": {}}
    (annotation,) = seen["cited"]["content"][0]["text"]["annotations"]
    assert annotation["file_citation"] == {"file_id": "file_forecast", "quote": ""}
    assert seen["cited"]["content"][0]["text"]["value"] == ANSWER


@SIZES
@MODES
def test_a_round_that_writes_then_stops_at_requires_action_reads_whole(
    size: int | None, strict: bool, loopback: LoopbackServer, client: Client
) -> None:
    events, waiting, steps, messages = _message_then_requires_action()
    loopback.replies.append(Reply(200, _pieces(_body(events), size), SSE_HEADERS))
    outputs = [{"tool_call_id": "call_shape0", "output": "found a"}]
    with client.runs.stream_tool_outputs(
        "thread_shape1", "run_shape1", outputs, strict_responses=strict
    ) as stream:
        names = [event.event for event in stream]
        assert [m.to_dict() for m in stream.final_messages()] == messages
        assert [s.to_dict() for s in stream.final_run_steps()] == steps
        assert stream.final_text() == "Checking the forecast."
        done = stream.until_done()
        assert stream.drift == []
    assert names == [name for name, _ in events]
    assert done.to_dict() == waiting
    assert done.required_action is not None
    (call,) = done.required_action.submit_tool_outputs.tool_calls
    assert (call.id, call.function.name, call.function.arguments) == (
        "call_fc",
        "forecast",
        '{"city":"Lyon"}',
    )


@MODES
def test_the_tool_loop_answers_a_round_that_writes_first_then_a_file_search_reply(
    strict: bool, loopback: LoopbackServer
) -> None:
    events, _, _, (note,) = _message_then_requires_action()
    reply, final, _, replied = _file_search_reply()
    loopback.replies.append(Reply(200, _pieces(_body(events), 7), SSE_HEADERS))
    loopback.replies.append(Reply(200, _pieces(_body(reply), 7), SSE_HEADERS))
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
    calls: list[tuple[str, dict[str, str]]] = []

    def lookup(q: str) -> str:
        calls.append(("lookup", {"q": q}))
        return f"found {q}"

    def forecast(city: str) -> str:
        calls.append(("forecast", {"city": city}))
        return "rain, 9 C"

    with Client("pk-test", base_url=loopback.url, max_retries=0) as client:
        tools = {"lookup": lookup, "forecast": forecast}
        with client.runs.run_tools(
            "thread_shape1", Run.from_dict(first), tools=tools, strict_responses=strict
        ) as loop:
            list(loop)
            text = loop.final_text()
    assert calls == [("lookup", {"q": "a"}), ("forecast", {"city": "Lyon"})]
    assert loop.rounds == 2
    assert loop.final_run is not None
    assert loop.final_run.to_dict() == final
    assert text == "Checking the forecast.\n\n" + ANSWER
    bodies = [r.json() for r in loopback.requests]
    assert bodies[1]["tool_outputs"] == [{"tool_call_id": "call_fc", "output": "rain, 9 C"}]
    assert [m.to_dict() for m in loop.final_messages()] == [note, *replied]
