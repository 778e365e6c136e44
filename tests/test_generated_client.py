"""The generated client as users import it: its models round-trip the spec's examples, and
its endpoint functions put the right method, path, query, headers and body on the wire."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from portkey_runs._sse import SSEDecoder
from portkey_runs.testing import _wire as wire
from portkey_runs_api import Client, models
from portkey_runs_api.api.runs import list_runs, submit_tool_outputs_to_run
from portkey_runs_api.models import (
    ListOrder,
    ListRunsResponse,
    OpenAIBetaHeader,
    Run,
    SubmitToolOutputsRunRequest,
    ToolOutput,
)
from tests._loopback import LoopbackServer, Reply

ROOT = Path(__file__).resolve().parent.parent
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())


def _media_examples() -> Iterator[tuple[str, str, str, Any]]:
    """(where, media type, schema name, example value) for every example in the spec."""

    def media(content: dict[str, Any], where: str) -> Iterator[tuple[str, str, str, Any]]:
        for media_type, body in content.items():
            ref = body.get("schema", {}).get("$ref", "")
            for name, example in body.get("examples", {}).items():
                yield f"{where} {media_type} {name}", media_type, ref.rsplit("/", 1)[-1], example

    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            if "requestBody" in op:
                yield from media(op["requestBody"]["content"], where + " request")
            for status, response in op["responses"].items():
                if "$ref" in response:
                    name = response["$ref"].rsplit("/", 1)[-1]
                    response = SPEC["components"]["responses"][name]
                yield from media(response.get("content", {}), f"{where} {status}")


EXAMPLES = list(_media_examples())
JSON_EXAMPLES = [e for e in EXAMPLES if e[1] == "application/json"]
SSE_EXAMPLES = [e for e in EXAMPLES if e[1] == "text/event-stream"]


def test_the_spec_has_examples_for_both_operations_and_the_stream() -> None:
    wheres = " ".join(e[0] for e in EXAMPLES)
    assert "GET /threads/{thread_id}/runs 200" in wheres
    assert "submit_tool_outputs request" in wheres
    assert "submit_tool_outputs 200 application/json" in wheres
    assert SSE_EXAMPLES


@pytest.mark.parametrize(
    ("where", "schema", "value"),
    [(e[0], e[2], e[3]["value"]) for e in JSON_EXAMPLES],
    ids=[e[0] for e in JSON_EXAMPLES],
)
def test_example_round_trips_through_the_attrs_model(where: str, schema: str, value: Any) -> None:
    model = getattr(models, schema)
    assert model.from_dict(value).to_dict() == value


@pytest.mark.parametrize(
    ("where", "schema", "value"),
    [(e[0], e[2], e[3]["value"]) for e in JSON_EXAMPLES],
    ids=[e[0] for e in JSON_EXAMPLES],
)
def test_example_round_trips_through_the_wire_model(where: str, schema: str, value: Any) -> None:
    model = getattr(wire, schema)
    dumped = model.model_validate(value).model_dump(mode="json", exclude_unset=True)
    assert dumped == value


def test_stream_example_events_round_trip_through_their_models() -> None:
    (_, _, _, example) = SSE_EXAMPLES[0]
    events = list(SSEDecoder().feed(example["value"].encode()))
    assert events[-1].event == "done"
    assert events[-1].data == "[DONE]"
    union = SPEC["components"]["schemas"]["AssistantStreamEvent"]["discriminator"]["mapping"]
    for event in events[:-1]:
        event_schema = union[event.event].rsplit("/", 1)[-1]
        data_ref = SPEC["components"]["schemas"][event_schema]["properties"]["data"]["$ref"]
        model = getattr(models, data_ref.rsplit("/", 1)[-1])
        payload = json.loads(event.data)
        assert model.from_dict(payload).to_dict() == payload, event.event


def _list_page() -> dict[str, Any]:
    for where, _, _, example in JSON_EXAMPLES:
        if where.startswith("GET /threads/{thread_id}/runs 200"):
            page: dict[str, Any] = example["value"]
            if page["data"]:
                return page
    raise AssertionError("no non-empty list example")


def _run() -> dict[str, Any]:
    for where, _, schema, example in JSON_EXAMPLES:
        if "submit_tool_outputs 200" in where and schema == "Run":
            run: dict[str, Any] = example["value"]
            return run
    raise AssertionError("no Run example")


HEADERS = {"x-portkey-api-key": "pk-test", "x-portkey-virtual-key": "vk-test"}


def test_list_runs_sends_method_path_query_and_headers(loopback: LoopbackServer) -> None:
    page = _list_page()
    loopback.replies.append(Reply.json(page))
    with Client(base_url=loopback.url + "/v1", headers=HEADERS) as client:
        response = list_runs.sync_detailed(
            "thread_abc123",
            client=client,
            limit=7,
            order=ListOrder.ASC,
            after="run_abc",
            open_ai_beta=OpenAIBetaHeader.ASSISTANTSV2,
        )
    (request,) = loopback.requests
    assert request.method == "GET"
    assert request.path == "/v1/threads/thread_abc123/runs"
    assert sorted(request.query) == [("after", "run_abc"), ("limit", "7"), ("order", "asc")]
    assert request.headers["x-portkey-api-key"] == "pk-test"
    assert request.headers["x-portkey-virtual-key"] == "vk-test"
    assert request.headers["openai-beta"] == "assistants=v2"
    assert request.body == b""
    assert isinstance(response.parsed, ListRunsResponse)
    assert response.parsed.to_dict() == page


def test_list_runs_sends_only_the_query_it_was_given(loopback: LoopbackServer) -> None:
    loopback.replies.append(Reply.json(_list_page()))
    with Client(base_url=loopback.url) as client:
        list_runs.sync("thread_abc123", client=client, before="run_b")
    (request,) = loopback.requests
    assert sorted(request.query) == [("before", "run_b"), ("limit", "20")]


def test_submit_tool_outputs_posts_the_json_body(loopback: LoopbackServer) -> None:
    run = _run()
    loopback.replies.append(Reply.json(run))
    body = SubmitToolOutputsRunRequest(
        tool_outputs=[ToolOutput(tool_call_id="call_1", output='{"temp": 21}')], stream=False
    )
    with Client(base_url=loopback.url + "/v1") as client:
        parsed = submit_tool_outputs_to_run.sync(
            "thread_abc123", "run_abc123", client=client, body=body
        )
    (request,) = loopback.requests
    assert request.method == "POST"
    assert request.path == "/v1/threads/thread_abc123/runs/run_abc123/submit_tool_outputs"
    assert request.query == []
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {
        "tool_outputs": [{"tool_call_id": "call_1", "output": '{"temp": 21}'}],
        "stream": False,
    }
    assert isinstance(parsed, Run)
    assert parsed.to_dict() == run


async def test_async_list_runs_sends_the_same_request(loopback: LoopbackServer) -> None:
    loopback.replies.append(Reply.json(_list_page()))
    async with Client(base_url=loopback.url) as client:
        parsed = await list_runs.asyncio(
            "thread_abc123", client=client, limit=3, order=ListOrder.DESC
        )
    (request,) = loopback.requests
    assert request.path == "/threads/thread_abc123/runs"
    assert sorted(request.query) == [("limit", "3"), ("order", "desc")]
    assert isinstance(parsed, ListRunsResponse)
