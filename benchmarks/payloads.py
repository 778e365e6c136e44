"""The benchmark's payloads, made here and checked against ``openapi.yaml`` (the wire models).

* :func:`run_pages`: 5,000 runs in pages of 100, as ``GET /threads/{id}/runs`` answers them.
  Each run is the API reference's Run with three tools (code interpreter, file search, and a
  function whose ``parameters`` is a JSON-Schema object), metadata and usage; one run in five
  is ``requires_action`` with two tool calls.
* :func:`event_stream`: a 10,000-event ``text/event-stream`` answer to a streamed submission,
  mostly ``thread.message.delta`` framed by the run, step and message events of a real one.

Everything is deterministic: the same call gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import string
from typing import Any

from portkey_runs.testing import _wire as wire

JSON = dict[str, Any]

THREAD_ID = "thread_bench0000000000000001"
ASSISTANT_ID = "asst_bench00000000000000001"
START = 1_730_000_000

FUNCTION_TOOL: JSON = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather in a given location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {
                    "type": "string",
                    "description": "The city and state, e.g. San Francisco, CA",
                },
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
            },
            "required": ["location"],
            "additionalProperties": False,
        },
        "strict": False,
    },
}
TOOLS: list[JSON] = [
    {"type": "code_interpreter"},
    {"type": "file_search", "file_search": {"max_num_results": 20}},
    FUNCTION_TOOL,
]
_STATUSES = ["requires_action", "completed", "completed", "failed", "in_progress"]
_CITIES = ["Paris", "Tokyo", "Lagos", "Lima", "Oslo", "Cairo", "Denver", "Hanoi", "Perth"]


_BASE62 = string.digits + string.ascii_letters


def opaque_id(prefix: str, index: int) -> str:
    """An id like the API's (``run_`` and 24 base-62 characters), the same for the same index."""
    number = int.from_bytes(hashlib.blake2b(b"%d" % index, digest_size=18).digest(), "big")
    chars = []
    for _ in range(24):
        number, digit = divmod(number, 62)
        chars.append(_BASE62[digit])
    return f"{prefix}_{''.join(chars)}"


def run_id(index: int) -> str:
    return opaque_id("run", index)


def make_run(index: int) -> JSON:
    """The ``index``-th run of the benchmark's thread (0 is the newest)."""
    created = START - 37 * index
    status = _STATUSES[index % len(_STATUSES)]
    prompt, completion = 120 + index % 250, 10 + index % 90
    run: JSON = {
        "id": run_id(index),
        "object": "thread.run",
        "created_at": created,
        "assistant_id": ASSISTANT_ID,
        "thread_id": THREAD_ID,
        "status": status,
        "required_action": None,
        "last_error": None,
        "expires_at": None,
        "started_at": created + 1,
        "cancelled_at": None,
        "failed_at": None,
        "completed_at": None,
        "incomplete_details": None,
        "model": "gpt-4o",
        "instructions": "You are a helpful assistant. Use the tools to answer weather questions.",
        "tools": TOOLS,
        "metadata": {"user_id": f"user_{index % 97:04d}", "session": f"s{index // 10:05d}"},
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
        "temperature": 1.0,
        "top_p": 1.0,
        "max_prompt_tokens": 1000,
        "max_completion_tokens": 1000,
        "truncation_strategy": {"type": "auto", "last_messages": None},
        "response_format": "auto",
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "tool_resources": {},
        "reasoning_effort": None,
    }
    if status == "requires_action":
        run["expires_at"] = created + 600
        run["usage"] = None
        run["required_action"] = {
            "type": "submit_tool_outputs",
            "submit_tool_outputs": {
                "tool_calls": [
                    {
                        "id": opaque_id("call", index * 2 + n),
                        "type": "function",
                        "function": {
                            "name": "get_current_weather",
                            "arguments": json.dumps(
                                {"location": _CITIES[(index + n) % len(_CITIES)], "unit": "celsius"}
                            ),
                        },
                    }
                    for n in range(2)
                ]
            },
        }
    elif status == "completed":
        run["completed_at"] = created + 9
    elif status == "failed":
        run["failed_at"] = created + 5
        run["last_error"] = {"code": "server_error", "message": "Sorry, something went wrong."}
    else:
        run["expires_at"] = created + 600
        run["usage"] = None
    return run


def run_pages(total: int = 5_000, per_page: int = 100) -> dict[str | None, bytes]:
    """The pages of a ``total``-run thread, keyed by the ``after`` cursor that asks for each
    (``None`` for the first): the bytes an in-memory transport serves."""
    pages: dict[str | None, bytes] = {}
    after: str | None = None
    for start in range(0, total, per_page):
        data = [make_run(i) for i in range(start, min(start + per_page, total))]
        page = {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"],
            "last_id": data[-1]["id"],
            "has_more": start + per_page < total,
        }
        pages[after] = json.dumps(page, separators=(",", ":")).encode()
        after = data[-1]["id"]
    return pages


def check_pages(pages: dict[str | None, bytes]) -> None:
    """Every page is a valid ``ListRunsResponse``."""
    for body in pages.values():
        wire.ListRunsResponse.model_validate_json(body)


# ------------------------------------------------------------------------------- the stream

RUN_ID = "run_bench00000000000000stream"
CALL_IDS = ("call_bench_0", "call_bench_1")
MESSAGE_ID = "msg_bench00000000000000001"
_TEXT = (
    "It is 21 degrees and sunny in Paris while Tokyo expects light rain later this afternoon "
    "with a gentle breeze from the south and clear skies tonight"
)
_WORDS = _TEXT.split(" ")


def _stream_run(status: str, **changes: Any) -> JSON:
    run = make_run(1)
    run.update(
        id=RUN_ID,
        status=status,
        completed_at=None,
        usage=None,
        expires_at=START + 600,
        metadata={"user_id": "user_0001", "session": "s00000"},
    )
    run.update(changes)
    return run


def _step(step_id: str, kind: str, status: str, details: JSON, **changes: Any) -> JSON:
    step: JSON = {
        "id": step_id,
        "object": "thread.run.step",
        "created_at": START + 2,
        "run_id": RUN_ID,
        "assistant_id": ASSISTANT_ID,
        "thread_id": THREAD_ID,
        "type": kind,
        "status": status,
        "cancelled_at": None,
        "completed_at": None,
        "expires_at": None,
        "failed_at": None,
        "last_error": None,
        "step_details": details,
        "usage": None,
    }
    step.update(changes)
    return step


def _message(status: str, content: list[JSON], **changes: Any) -> JSON:
    message: JSON = {
        "id": MESSAGE_ID,
        "object": "thread.message",
        "created_at": START + 3,
        "thread_id": THREAD_ID,
        "status": status,
        "incomplete_details": None,
        "completed_at": None,
        "incomplete_at": None,
        "role": "assistant",
        "content": content,
        "assistant_id": ASSISTANT_ID,
        "run_id": RUN_ID,
        "attachments": [],
        "metadata": {},
    }
    message.update(changes)
    return message


def stream_events(total: int = 10_000) -> list[tuple[str, Any]]:
    """(event name, data) of a streamed submission's answer: ``total`` events, then ``done``."""
    tool_details = {
        "type": "tool_calls",
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {
                    "name": "get_current_weather",
                    "arguments": json.dumps({"location": city}),
                    "output": f"21 degrees and sunny in {city}.",
                },
            }
            for call_id, city in zip(CALL_IDS, ("Paris", "Tokyo"), strict=True)
        ],
    }
    usage = {"prompt_tokens": 120, "completion_tokens": 17, "total_tokens": 137}
    creation = {"type": "message_creation", "message_creation": {"message_id": MESSAGE_ID}}
    head: list[tuple[str, Any]] = [
        (
            "thread.run.step.completed",
            _step("step_tools", "tool_calls", "completed", tool_details, completed_at=START + 2),
        ),
        ("thread.run.queued", _stream_run("queued")),
        ("thread.run.in_progress", _stream_run("in_progress")),
        (
            "thread.run.step.created",
            _step("step_message", "message_creation", "in_progress", creation),
        ),
        (
            "thread.run.step.in_progress",
            _step("step_message", "message_creation", "in_progress", creation),
        ),
        ("thread.message.created", _message("in_progress", [])),
        ("thread.message.in_progress", _message("in_progress", [])),
    ]
    tail_count = 3
    pieces = [
        (" " if n else "") + _WORDS[n % len(_WORDS)] for n in range(total - len(head) - tail_count)
    ]
    deltas: list[tuple[str, Any]] = []
    for n, piece in enumerate(pieces):
        text: JSON = {"value": piece}
        if n == 0:
            text["annotations"] = []
        deltas.append(
            (
                "thread.message.delta",
                {
                    "id": MESSAGE_ID,
                    "object": "thread.message.delta",
                    "delta": {"content": [{"index": 0, "type": "text", "text": text}]},
                },
            )
        )
    full = "".join(pieces)
    tail: list[tuple[str, Any]] = [
        (
            "thread.message.completed",
            _message(
                "completed",
                [{"type": "text", "text": {"value": full, "annotations": []}}],
                completed_at=START + 9,
            ),
        ),
        (
            "thread.run.step.completed",
            _step(
                "step_message",
                "message_creation",
                "completed",
                creation,
                completed_at=START + 9,
                usage=usage,
            ),
        ),
        ("thread.run.completed", _stream_run("completed", completed_at=START + 9, usage=usage)),
    ]
    events = [*head, *deltas, *tail]
    assert len(events) == total
    return [*events, ("done", "[DONE]")]


def full_text(events: list[tuple[str, Any]]) -> str:
    """The text of the stream's message, as its ``thread.message.completed`` event has it."""
    for name, data in events:
        if name == "thread.message.completed":
            value: str = data["content"][0]["text"]["value"]
            return value
    raise AssertionError("no thread.message.completed event")


def sse_body(events: list[tuple[str, Any]]) -> bytes:
    frames = []
    for name, data in events:
        payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        frames.append(f"event: {name}\ndata: {payload}\n\n")
    return "".join(frames).encode()


def check_stream(events: list[tuple[str, Any]]) -> None:
    """Every kind of event in the stream is a valid ``AssistantStreamEvent`` (one of each)."""
    seen: set[str] = set()
    for name, data in events:
        key = name + (str(sorted(data)) if isinstance(data, dict) else "")
        if key not in seen:
            seen.add(key)
            wire.AssistantStreamEvent.model_validate({"event": name, "data": data})
