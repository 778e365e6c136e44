"""Shared helpers of the reference-server tests."""

from __future__ import annotations

import json
from typing import Any

import httpx

from portkey_runs._sse import ServerSentEvent, SSEDecoder
from portkey_runs.testing import ReferenceState
from portkey_runs.testing._wire import AssistantStreamEvent, ErrorResponse

#: What every request to the reference server in Portkey mode needs.
HEADERS = {"x-portkey-api-key": "pk-test", "OpenAI-Beta": "assistants=v2"}


def submit_url(thread_id: str, run_id: str) -> str:
    return f"/threads/{thread_id}/runs/{run_id}/submit_tool_outputs"


def outputs_for(state: ReferenceState, thread_id: str, run_id: str) -> list[dict[str, str]]:
    """One output per pending tool call, in order, each naming its call."""
    return [
        {"tool_call_id": call_id, "output": f"output of {call_id}"}
        for call_id in state.pending_tool_call_ids(thread_id, run_id)
    ]


def decode(body: bytes) -> list[ServerSentEvent]:
    return list(SSEDecoder().feed(body))


def validate_event(event: ServerSentEvent) -> AssistantStreamEvent:
    """The event validated by the wire model (``done`` carries the literal ``[DONE]``)."""
    data: Any = event.data if event.event == "done" else json.loads(event.data)
    return AssistantStreamEvent.model_validate({"event": event.event, "data": data})


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The ``error`` object of an error answer, checked against the wire model."""
    body = response.json()
    ErrorResponse.model_validate(body)
    error: dict[str, Any] = body["error"]
    return error
