"""The generated package itself (users import it directly) is robust: one test, or a few, per
point of the hardening issue, each named for what it proves."""

from __future__ import annotations

import copy
import json
import pickle
import re
import textwrap
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pydantic
import pytest
from mypy import api as mypy_api

import portkey_runs
from portkey_runs.testing import _wire as wire
from portkey_runs_api import Client
from portkey_runs_api.api.runs import list_runs, submit_tool_outputs_to_run
from portkey_runs_api.errors import ParseError, UnexpectedStatus
from portkey_runs_api.models import (
    AssistantsApiToolChoiceMode,
    AssistantsNamedToolChoice,
    AssistantToolsCode,
    AssistantToolsFileSearch,
    AssistantToolsFunction,
    ErrorResponse,
    FileSearchResultContent,
    FileSearchResultContentType,
    ListOrder,
    ListRunsResponse,
    Message,
    MessageContentText,
    ResponseFormatAuto,
    ResponseFormatJsonSchema,
    Run,
    RunLastErrorCode,
    RunRequiredActionType,
    RunStatus,
    RunStep,
    RunStepDetailsToolCalls,
    RunToolCallType,
    SubmitToolOutputsRunRequest,
    ToolOutput,
)
from portkey_runs_api.types import UNSET, UnknownVariant
from tests._loopback import LoopbackServer, Reply
from tests.generated._schema import ROOT, SPEC


def _example(path: str, method: str, media: str, name: str) -> dict[str, Any]:
    content = SPEC["paths"][path][method]["responses"]["200"]["content"][media]
    value: dict[str, Any] = copy.deepcopy(content["examples"][name]["value"])
    return value


def _run() -> dict[str, Any]:
    """The spec's example Run (the answer of submit_tool_outputs), a fresh copy."""
    return _example(
        "/threads/{thread_id}/runs/{run_id}/submit_tool_outputs",
        "post",
        "application/json",
        "queued",
    )


def _run_with_action() -> dict[str, Any]:
    """The spec's example run from the list page, which requires action and has a last error."""
    page = _example("/threads/{thread_id}/runs", "get", "application/json", "page")
    run: dict[str, Any] = page["data"][0]
    return run


# ---------------------------------------------------------------- 1. forward compatibility


def test_unknown_enum_values_parse_keep_their_value_and_say_they_are_unknown() -> None:
    data = _run_with_action()
    data["status"] = "paused"
    data["last_error"]["code"] = "quota_exhausted"
    data["tool_choice"] = "sometimes"
    run = Run.from_dict(data)

    assert run.status == "paused"
    assert run.status.value == "paused"
    assert RunStatus._from_json("paused").value == "paused"
    assert isinstance(run.status, RunStatus)
    assert run.status.is_unknown
    assert run.status is not RunStatus.QUEUED
    assert run.last_error is not None
    assert isinstance(run.last_error.code, RunLastErrorCode)
    assert run.last_error.code.is_unknown
    assert run.last_error.code == "quota_exhausted"
    assert isinstance(run.tool_choice, AssistantsApiToolChoiceMode)
    assert run.tool_choice.is_unknown
    assert run.to_dict() == data


def test_known_enum_members_are_unchanged_by_the_unknown_value_support() -> None:
    assert RunStatus("completed") is RunStatus.COMPLETED
    assert RunStatus._from_json("completed") is RunStatus.COMPLETED
    assert not RunStatus.COMPLETED.is_unknown
    assert {m.value for m in RunStatus} == set(SPEC["components"]["schemas"]["RunStatus"]["enum"])
    assert "paused" not in RunStatus.__members__
    assert RunStatus._from_json("paused") not in list(RunStatus)
    assert len(RunStatus._value2member_map_) == len(RunStatus)
    with pytest.raises(ValueError, match="is not a valid RunStatus"):
        RunStatus(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("enum", "value"),
    [(RunStatus, "bogus"), (RunStatus, "QUEUED"), (ListOrder, "ascending"), (ListOrder, "")],
)
def test_the_enum_constructor_stays_strict_for_values_it_does_not_know(
    enum: type[RunStatus] | type[ListOrder], value: str
) -> None:
    """Only parsing is lenient: ``ListOrder("ascending")`` must not build a request."""
    enum._from_json(value)  # parsing the value first must not make the constructor accept it
    with pytest.raises(ValueError, match=f"is not a valid {enum.__name__}"):
        enum(value)


def test_parsing_an_unknown_value_gives_one_pseudo_member_per_value() -> None:
    paused = RunStatus._from_json("paused")
    assert paused is RunStatus._from_json("paused")
    assert paused is not RunStatus._from_json("halted")
    assert Run.from_dict({**_run(), "status": "paused"}).status is paused
    assert (paused.is_unknown, paused.value, str(paused), f"{paused}") == (
        True,
        "paused",
        "paused",
        "paused",
    )
    assert paused == "paused"
    assert hash(paused) == hash("paused")
    assert json.dumps({"status": paused}) == '{"status": "paused"}'


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_enum_values_known_and_unknown_survive_pickle_and_copy(protocol: int) -> None:
    paused = RunStatus._from_json("paused")
    for value in (paused, RunStatus.QUEUED):
        restored = pickle.loads(pickle.dumps(value, protocol=protocol))
        assert restored is value
        assert copy.copy(value) is value
        assert copy.deepcopy(value) is value
    run = Run.from_dict({**_run(), "status": "paused"})
    restored_run = pickle.loads(pickle.dumps(run, protocol=protocol))
    assert restored_run == run
    assert restored_run.status.is_unknown


def test_an_unknown_value_spelt_like_a_member_name_is_not_taken_for_that_member() -> None:
    shouting = RunStatus._from_json("QUEUED")
    assert shouting is not RunStatus.QUEUED
    assert shouting.is_unknown
    assert shouting.value == "QUEUED"
    assert shouting.name != "QUEUED"
    assert shouting.name not in RunStatus.__members__
    assert repr(shouting) != repr(RunStatus.QUEUED)
    assert RunStatus["QUEUED"] is RunStatus.QUEUED
    assert not RunStatus.QUEUED.is_unknown


def test_models_with_unset_properties_survive_pickle_and_copy_with_the_one_unset() -> None:
    data = _run()
    del data["temperature"], data["top_p"]
    run = Run.from_dict(data)
    assert run.top_p is UNSET
    for restored in (
        pickle.loads(pickle.dumps(run)),
        copy.deepcopy(run),
        copy.copy(run),
    ):
        assert restored.top_p is UNSET
        assert restored == run
        assert restored.to_dict() == data


def _with_unknown_types(run: dict[str, Any], value: str) -> dict[str, Any]:
    """``run`` with an unknown ``required_action.type`` and tool call ``type``."""
    action = run["required_action"]
    action["type"] = value
    action["submit_tool_outputs"]["tool_calls"][0]["type"] = value
    return run


def test_single_value_types_a_newer_server_may_extend_parse_unknown_values() -> None:
    data = _with_unknown_types(_run_with_action(), "submit_client_tool_outputs")
    run = Run.from_dict(data)
    assert run.required_action is not None
    assert isinstance(run.required_action.type_, RunRequiredActionType)
    assert run.required_action.type_.is_unknown
    assert run.required_action.type_ == "submit_client_tool_outputs"
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    assert isinstance(call.type_, RunToolCallType)
    assert call.type_.is_unknown
    content = FileSearchResultContent.from_dict({"type": "image", "image": {"id": "i"}})
    assert isinstance(content.type_, FileSearchResultContentType)
    assert content.type_.is_unknown
    assert content.to_dict() == {"type": "image", "image": {"id": "i"}}
    assert run.to_dict() == data
    known = Run.from_dict(_run_with_action())
    assert known.required_action is not None
    assert known.required_action.type_ is RunRequiredActionType.SUBMIT_TOOL_OUTPUTS
    assert known.required_action.submit_tool_outputs.tool_calls[0].type_ is RunToolCallType.FUNCTION
    assert not known.required_action.type_.is_unknown


def test_to_dict_of_an_unknown_variant_is_a_deep_copy_of_what_was_received() -> None:
    data = _run()
    data["tools"] = [{"type": "web_search", "web_search": {"domains": ["a.example"]}}]
    run = Run.from_dict(data)
    unknown = run.tools[0]
    assert isinstance(unknown, UnknownVariant)
    out = unknown.to_dict()
    out["web_search"]["domains"].append("b.example")
    out["web_search"]["max_results"] = 3
    assert unknown.raw == {"type": "web_search", "web_search": {"domains": ["a.example"]}}
    run.to_dict()["tools"][0]["web_search"]["domains"].clear()
    assert run.to_dict() == data


def test_unknown_tool_type_parses_as_unknown_variant_that_keeps_the_raw_object() -> None:
    data = _run()
    web_search = {"type": "web_search", "web_search": {"max_results": 3}, "beta": True}
    data["tools"] = [web_search, {"type": "code_interpreter"}]
    run = Run.from_dict(data)

    unknown, code = run.tools
    assert isinstance(unknown, UnknownVariant)
    assert unknown.is_unknown
    assert (unknown.discriminator, unknown.value, unknown.raw) == ("type", "web_search", web_search)
    assert unknown["web_search"] == {"max_results": 3}
    assert isinstance(code, AssistantToolsCode)
    assert run.to_dict() == data


def test_unknown_response_format_type_and_mode_parse() -> None:
    data = _run()
    data["response_format"] = {"type": "xml", "root": "doc"}
    assert isinstance(Run.from_dict(data).response_format, UnknownVariant)
    data["response_format"] = "none"
    parsed = Run.from_dict(data).response_format
    assert isinstance(parsed, ResponseFormatAuto)
    assert parsed.is_unknown
    assert Run.from_dict(data).to_dict() == data


def test_unknown_properties_are_kept_in_additional_properties_and_round_trip() -> None:
    data = _run_with_action()
    data["service_tier"] = "high"
    data["required_action"]["submit_tool_outputs"]["tool_calls"][0]["origin"] = {"a": [1]}
    run = Run.from_dict(data)
    assert run.additional_properties == {"service_tier": "high"}
    assert run.required_action is not None
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    assert call.additional_properties == {"origin": {"a": [1]}}
    assert run.to_dict() == data


def test_a_run_from_a_newer_server_parses_through_the_endpoint(loopback: LoopbackServer) -> None:
    data = _run()
    data["status"] = "paused"
    data["tools"].append({"type": "computer_use", "display": {"width": 1024}})
    page = {
        "object": "list",
        "data": [data],
        "first_id": "run_123",
        "last_id": "run_123",
        "has_more": False,
    }
    loopback.replies.append(Reply.json(page))
    with Client(base_url=loopback.url) as client:
        parsed = list_runs.sync("thread_1", client=client)
    assert isinstance(parsed, ListRunsResponse)
    assert parsed.data[0].status.is_unknown
    assert isinstance(parsed.data[0].tools[-1], UnknownVariant)
    assert parsed.to_dict() == page


# ------------------------------------------------------- 2. clear failure for invalid data


def _parse_error(data: Any, model: type[Run] | type[ListRunsResponse] = Run) -> ParseError:
    with pytest.raises(ParseError) as caught:
        model.from_dict(data)
    return caught.value


def test_a_missing_required_field_deep_inside_names_the_model_and_the_path() -> None:
    data = _run_with_action()
    calls = data["required_action"]["submit_tool_outputs"]["tool_calls"]
    calls.extend(copy.deepcopy(calls[0]) for _ in range(2))
    del calls[2]["id"]
    error = _parse_error(data)
    assert str(error) == (
        "Run.required_action.submit_tool_outputs.tool_calls[2].id: missing required property"
    )
    assert (error.model, error.path) == (
        "Run",
        ("required_action", "submit_tool_outputs", "tool_calls", 2, "id"),
    )
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("created_at", "1699075592", "Run.created_at: expected integer, got string '1699075592'"),
        ("created_at", True, "Run.created_at: expected integer, got boolean True"),
        ("expires_at", 1.5, "Run.expires_at: expected null or integer, got number 1.5"),
        ("parallel_tool_calls", 1, "Run.parallel_tool_calls: expected boolean, got integer 1"),
        ("temperature", "1.0", "Run.temperature: expected null or number, got string '1.0'"),
        ("id", None, "Run.id: expected string, got null None"),
        ("status", 3, "Run.status: expected string, got integer 3"),
        ("tools", {}, "Run.tools: expected array, got object {}"),
        ("tools", [1], "Run.tools[0]: expected object, got integer 1"),
        ("object", "thread", "Run.object: expected 'thread.run', got string 'thread'"),
        ("metadata", {"k": 1}, "Run.metadata.k: expected string, got integer 1"),
        ("tool_choice", 0, "Run.tool_choice: expected null, string or object, got integer 0"),
    ],
)
def test_a_value_of_the_wrong_json_type_is_a_parse_error_naming_the_field(
    field: str, value: Any, message: str
) -> None:
    data = _run()
    data[field] = value
    assert str(_parse_error(data)) == message


def test_a_page_whose_data_is_not_a_list_is_a_parse_error() -> None:
    page = {
        "object": "list",
        "data": {"id": "run"},
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }
    error = _parse_error(page, ListRunsResponse)
    assert str(error) == "ListRunsResponse.data: expected array, got object {'id': 'run'}"
    assert str(_parse_error(["not", "an", "object"], ListRunsResponse)) == (
        "ListRunsResponse: expected object, got array ['not', 'an', 'object']"
    )


def test_a_success_body_that_breaks_the_contract_raises_parse_error_from_the_endpoint(
    loopback: LoopbackServer,
) -> None:
    data = _run()
    del data["model"]
    loopback.replies.append(Reply.json(data))
    with Client(base_url=loopback.url) as client, pytest.raises(ParseError, match=r"^Run\.model:"):
        submit_tool_outputs_to_run.sync_detailed(
            "thread_1", "run_1", client=client, body=SubmitToolOutputsRunRequest(tool_outputs=[])
        )


def test_a_misspelt_property_of_a_closed_request_model_is_a_parse_error_naming_it() -> None:
    """``additionalProperties: false``: a typo must not make a streaming request a plain one."""
    with pytest.raises(ParseError) as caught:
        SubmitToolOutputsRunRequest.from_dict({"tool_outputs": [], "strem": True})
    assert str(caught.value) == "SubmitToolOutputsRunRequest.strem: unexpected property"
    assert caught.value.path == ("strem",)
    item = {"tool_call_id": "call_1", "output": "out", "outptu": "x"}
    with pytest.raises(ParseError) as caught:
        SubmitToolOutputsRunRequest.from_dict({"tool_outputs": [item]})
    assert str(caught.value) == (
        "SubmitToolOutputsRunRequest.tool_outputs[0].outptu: unexpected property"
    )
    with pytest.raises(ParseError, match=r"^ToolOutput\.extra: unexpected property$"):
        ToolOutput.from_dict({"tool_call_id": "call_1", "output": "out", "extra": None})
    valid = {"tool_outputs": [{"tool_call_id": "call_1", "output": "out"}], "stream": True}
    assert SubmitToolOutputsRunRequest.from_dict(valid).to_dict() == valid


def test_a_whole_number_float_for_an_integer_is_refused_by_both_generators() -> None:
    """``1.0`` is not an integer for the attrs client nor for the strict pydantic wire models:
    the two generators agree (deliberately strict, not a forward-compatibility gap)."""
    data = _run()
    data["created_at"] = float(data["created_at"])
    assert str(_parse_error(data)) == (
        f"Run.created_at: expected integer, got number {data['created_at']!r}"
    )
    with pytest.raises(pydantic.ValidationError, match="created_at"):
        wire.Run.model_validate(data)
    data["created_at"] = int(data["created_at"])
    wire.Run.model_validate(data)
    Run.from_dict(data)


# ------------------------------------------------------------- 3. unions by discriminator


def test_tools_are_parsed_by_their_type_discriminator() -> None:
    data = _run()
    data["tools"] = [
        {"type": "function", "function": {"name": "f"}},
        {"type": "file_search"},
        # A file_search tool that also carries a "function" key is still a file_search tool.
        {"type": "file_search", "function": {"name": "g"}},
        {"type": "code_interpreter"},
    ]
    run = Run.from_dict(data)
    assert [type(t) for t in run.tools] == [
        AssistantToolsFunction,
        AssistantToolsFileSearch,
        AssistantToolsFileSearch,
        AssistantToolsCode,
    ]
    assert isinstance(run.tools[2], AssistantToolsFileSearch)
    assert run.tools[2].additional_properties == {"function": {"name": "g"}}
    assert run.to_dict() == data


def test_an_invalid_variant_is_an_error_in_that_variant_not_a_fallback_to_another() -> None:
    data = _run()
    data["tools"] = [{"type": "function"}]
    assert str(_parse_error(data)) == "Run.tools[0].function: missing required property"
    data = _run()
    data["response_format"] = {"type": "json_schema"}
    assert str(_parse_error(data)) == "Run.response_format.json_schema: missing required property"
    data["response_format"] = {"json_schema": {"name": "x"}}
    assert str(_parse_error(data)) == "Run.response_format.type: missing required property"


def test_step_details_and_message_content_are_parsed_by_discriminator() -> None:
    stream = _example(
        "/threads/{thread_id}/runs/{run_id}/submit_tool_outputs",
        "post",
        "text/event-stream",
        "stream",
    )
    payloads = [
        json.loads(line[len("data: ") :])
        for line in str(stream).splitlines()
        if line.startswith("data: {")
    ]
    step = RunStep.from_dict(next(p for p in payloads if p.get("type") == "tool_calls"))
    assert isinstance(step.step_details, RunStepDetailsToolCalls)
    message = Message.from_dict(next(p for p in payloads if p.get("content")))
    assert isinstance(message.content[0], MessageContentText)


def test_non_discriminated_unions_are_parsed_by_json_type_then_content() -> None:
    data = _run()
    data["tool_choice"] = {"type": "function", "function": {"name": "f"}}
    data["response_format"] = {"type": "json_schema", "json_schema": {"name": "out"}}
    run = Run.from_dict(data)
    assert isinstance(run.tool_choice, AssistantsNamedToolChoice)
    assert isinstance(run.response_format, ResponseFormatJsonSchema)
    data["tool_choice"] = "required"
    data["response_format"] = "auto"
    run = Run.from_dict(data)
    assert run.tool_choice is AssistantsApiToolChoiceMode.REQUIRED
    assert run.response_format is ResponseFormatAuto.AUTO
    data["tool_choice"] = None
    data["response_format"] = None
    assert Run.from_dict(data).to_dict() == data


def test_generated_unions_contain_no_try_each_variant_code() -> None:
    package = ROOT / "generated" / "portkey_runs_api"
    for path in package.rglob("*.py"):
        text = path.read_text()
        assert "except (TypeError, ValueError, AttributeError, KeyError)" not in text, path
        assert "raise TypeError()" not in text, path


# ------------------------------------------------------------------------- 4. safe URLs

EMPTY_PAGE: dict[str, Any] = {
    "object": "list",
    "data": [],
    "first_id": None,
    "last_id": None,
    "has_more": False,
}


@pytest.mark.parametrize("value", ["", ".", ".."])
def test_a_path_parameter_that_would_change_the_url_is_refused(
    loopback: LoopbackServer, value: str
) -> None:
    with (
        Client(base_url=loopback.url + "/v1") as client,
        pytest.raises(ValueError, match="path parameter thread_id must not be"),
    ):
        list_runs.sync_detailed(value, client=client)
    with (
        Client(base_url=loopback.url + "/v1") as client,
        pytest.raises(ValueError, match="path parameter run_id must not be"),
    ):
        submit_tool_outputs_to_run.sync_detailed(
            "thread_1", value, client=client, body=SubmitToolOutputsRunRequest(tool_outputs=[])
        )
    assert loopback.requests == []


@pytest.mark.parametrize(
    ("value", "char"),
    [
        ("a/b", "/"),
        ("../x", "/"),
        ("a?b=c", "?"),
        ("a#b", "#"),
        ("%2e%2e", "%"),
        ("a\\b", "\\"),
        ("a\nb", "\n"),
        ("a\x00b", "\x00"),
        ("a\x7f", "\x7f"),
        ("a b", " "),
        ("thread_1\u2028", "\u2028"),
    ],
)
def test_a_path_parameter_holding_what_no_id_holds_is_refused_naming_the_character(
    loopback: LoopbackServer, value: str, char: str
) -> None:
    with (
        Client(base_url=loopback.url + "/v1") as client,
        pytest.raises(ValueError, match=f"^path parameter thread_id must not contain {re.escape(repr(char))}"),
    ):
        list_runs.sync_detailed(value, client=client)
    assert loopback.requests == []


@pytest.mark.parametrize("value", ["thread_abc123", "...", "a.b", "é", "run-1_x:y~z", "日本"])
def test_a_path_parameter_reaches_the_server_as_one_literal_segment(
    loopback: LoopbackServer, value: str
) -> None:
    loopback.replies.append(Reply.json(EMPTY_PAGE))
    with Client(base_url=loopback.url + "/v1") as client:
        list_runs.sync_detailed(value, client=client)
    (request,) = loopback.requests
    raw_path = urlsplit(request.raw_path).path
    empty, v1, threads, segment, *rest = raw_path.split("/")
    assert (empty, v1, threads, rest) == ("", "v1", "threads", ["runs"])
    assert unquote(segment) == value
    assert request.query == [("limit", "20")]


@pytest.mark.parametrize(
    ("value", "shown"), [(None, "NoneType"), (b"ab", "bytes"), (12, "int"), (True, "bool")]
)
def test_a_path_parameter_that_is_not_a_string_is_a_type_error_naming_it(
    loopback: LoopbackServer, value: Any, shown: str
) -> None:
    with pytest.raises(
        TypeError, match=f"^path parameter thread_id must be a string, not {shown}$"
    ):
        list_runs._get_kwargs(value)
    body = SubmitToolOutputsRunRequest(tool_outputs=[])
    with pytest.raises(TypeError, match=f"^path parameter run_id must be a string, not {shown}$"):
        submit_tool_outputs_to_run._get_kwargs("thread_1", value, body=body)
    with (
        Client(base_url=loopback.url) as client,
        pytest.raises(TypeError, match="path parameter thread_id"),
    ):
        list_runs.sync_detailed(value, client=client)
    assert loopback.requests == []


@pytest.mark.parametrize("value", ["\ud800", "run_\udfff_1"])
async def test_a_path_parameter_with_no_utf8_encoding_is_a_value_error_naming_it(
    loopback: LoopbackServer, value: str
) -> None:
    with pytest.raises(ValueError, match=r"^path parameter thread_id must not contain '\\ud"):
        list_runs._get_kwargs(value)
    body = SubmitToolOutputsRunRequest(tool_outputs=[])
    async with Client(base_url=loopback.url) as client:
        with pytest.raises(ValueError, match=r"^path parameter run_id must not contain"):
            await submit_tool_outputs_to_run.asyncio_detailed(
                "thread_1", value, client=client, body=body
            )
    assert loopback.requests == []


def test_query_values_are_encoded_and_reach_the_server_literally(loopback: LoopbackServer) -> None:
    loopback.replies.append(Reply.json(EMPTY_PAGE))
    cursor = "run_1&limit=100#frag/?x=y %"
    with Client(base_url=loopback.url) as client:
        list_runs.sync_detailed("thread_1", client=client, after=cursor)
    (request,) = loopback.requests
    assert request.path == "/threads/thread_1/runs"
    assert sorted(request.query) == [("after", cursor), ("limit", "20")]


# ---------------------------------------------------------------------- 5. any status code


def test_a_documented_status_outside_http_status_parses_without_value_error(
    loopback: LoopbackServer,
) -> None:
    error = {
        "error": {"message": "origin down", "type": "server_error", "param": None, "code": None}
    }
    loopback.replies.append(Reply.json(error, status=520))
    with Client(base_url=loopback.url) as client:
        response = list_runs.sync_detailed("thread_1", client=client)
    assert response.status_code == 520
    assert not isinstance(response.status_code, HTTPStatus)
    assert isinstance(response.parsed, ErrorResponse)
    assert response.parsed.error.message == "origin down"


@pytest.mark.parametrize("status", [499, 306, 600, 999])
def test_an_undocumented_status_outside_http_status_takes_the_unexpected_status_path(
    loopback: LoopbackServer, status: int
) -> None:
    loopback.replies.append(Reply(status, b"odd"))
    loopback.replies.append(Reply(status, b"odd"))
    with Client(base_url=loopback.url) as client:
        response = list_runs.sync_detailed("thread_1", client=client)
    assert (response.status_code, response.parsed, response.content) == (status, None, b"odd")
    with (
        Client(base_url=loopback.url, raise_on_unexpected_status=True) as client,
        pytest.raises(UnexpectedStatus) as caught,
    ):
        list_runs.sync_detailed("thread_1", client=client)
    assert caught.value.status_code == status


async def test_an_html_error_page_gives_parsed_none_not_a_json_decode_error(
    loopback: LoopbackServer,
) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    headers = {"content-type": "text/html"}
    loopback.replies.append(Reply(502, page, headers))
    loopback.replies.append(Reply(502, page, headers))
    loopback.replies.append(Reply.json({"message": "not our error shape"}, status=404))
    with Client(base_url=loopback.url) as client:
        response = list_runs.sync_detailed("thread_1", client=client)
    assert (response.status_code, response.parsed, response.content) == (502, None, page)
    async with Client(base_url=loopback.url) as client:
        response = await list_runs.asyncio_detailed("thread_1", client=client)
        assert (response.status_code, response.parsed) == (HTTPStatus.BAD_GATEWAY, None)
        foreign = await list_runs.asyncio_detailed("thread_1", client=client)
        assert (foreign.status_code, foreign.parsed) == (404, None)


def test_an_event_stream_answer_gives_parsed_none_and_keeps_the_bytes(
    loopback: LoopbackServer,
) -> None:
    stream = b"event: done\ndata: [DONE]\n\n"
    loopback.replies.append(Reply(200, stream, {"content-type": "text/event-stream"}))
    body = SubmitToolOutputsRunRequest(tool_outputs=[ToolOutput("call_1", "out")], stream=True)
    with Client(base_url=loopback.url) as client:
        response = submit_tool_outputs_to_run.sync_detailed(
            "thread_1", "run_1", client=client, body=body
        )
    assert (response.status_code, response.parsed, response.content) == (200, None, stream)


NOT_JSON: dict[str, bytes] = {
    "empty": b"",
    "truncated": b'{"object": "list", "data": [',
    "not UTF-8": b'\xff\xfe{"object"',
    "5000-digit integer": b'{"object": "list", "x": ' + b"1" * 5000 + b"}",
    "nested 100000 deep": b"[" * 100_000 + b"]" * 100_000,
}
JSON_HEADERS: list[dict[str, str]] = [
    {"content-type": "application/json"},
    {"content-type": "application/json; charset=utf-8"},
    {},  # undeclared: the documented media type applies
]


@pytest.mark.parametrize("headers", JSON_HEADERS)
@pytest.mark.parametrize("body", NOT_JSON.values(), ids=list(NOT_JSON))
async def test_a_success_body_declared_as_json_that_is_not_json_raises_parse_error(
    loopback: LoopbackServer, body: bytes, headers: dict[str, str]
) -> None:
    loopback.replies.extend(Reply(200, body, headers) for _ in range(4))
    with Client(base_url=loopback.url) as client:
        with pytest.raises(ParseError, match=r"^the body is not valid JSON") as caught:
            list_runs.sync_detailed("thread_1", client=client)
        assert caught.value.reason.startswith("the body is not valid JSON (")
        with pytest.raises(ParseError, match=r"^the body is not valid JSON"):
            list_runs.sync("thread_1", client=client)
    async with Client(base_url=loopback.url) as client:
        with pytest.raises(ParseError, match=r"^the body is not valid JSON"):
            await list_runs.asyncio_detailed("thread_1", client=client)
        with pytest.raises(ParseError, match=r"^the body is not valid JSON"):
            await list_runs.asyncio("thread_1", client=client)
    assert len(loopback.requests) == 4


@pytest.mark.parametrize("status", [404, 500, 520])
@pytest.mark.parametrize("body", NOT_JSON.values(), ids=list(NOT_JSON))
async def test_an_error_body_that_is_not_json_gives_parsed_none_even_nested_too_deep(
    loopback: LoopbackServer, body: bytes, status: int
) -> None:
    loopback.replies.append(Reply(status, body, {"content-type": "application/json"}))
    loopback.replies.append(Reply(status, body))
    with Client(base_url=loopback.url) as client:
        response = list_runs.sync_detailed("thread_1", client=client)
    assert (response.status_code, response.parsed, response.content) == (status, None, body)
    async with Client(base_url=loopback.url) as client:
        response = await list_runs.asyncio_detailed("thread_1", client=client)
    assert (response.status_code, response.parsed) == (status, None)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/event-stream", b"event: done\ndata: [DONE]\n\n"),
        ("text/event-stream", b""),
        ("text/html", b"<html><body>maintenance</body></html>"),
        ("text/html; charset=utf-8", b"[" * 100_000),
    ],
)
async def test_a_success_body_of_another_media_type_gives_parsed_none(
    loopback: LoopbackServer, content_type: str, body: bytes
) -> None:
    request = SubmitToolOutputsRunRequest(tool_outputs=[ToolOutput("call_1", "out")], stream=True)
    loopback.replies.extend(Reply(200, body, {"content-type": content_type}) for _ in range(2))
    with Client(base_url=loopback.url) as client:
        response = submit_tool_outputs_to_run.sync_detailed(
            "thread_1", "run_1", client=client, body=request
        )
    assert (response.status_code, response.parsed, response.content) == (200, None, body)
    async with Client(base_url=loopback.url) as client:
        parsed = await submit_tool_outputs_to_run.asyncio(
            "thread_1", "run_1", client=client, body=request
        )
    assert parsed is None


def test_a_success_body_in_a_json_media_type_with_parameters_parses(
    loopback: LoopbackServer,
) -> None:
    loopback.replies.append(
        Reply(200, json.dumps(EMPTY_PAGE).encode(), {"content-type": "Application/JSON; q=1"})
    )
    with Client(base_url=loopback.url) as client:
        parsed = list_runs.sync("thread_1", client=client)
    assert isinstance(parsed, ListRunsResponse)
    assert parsed.to_dict() == EMPTY_PAGE


# --------------------------------------------------------------------------------- 6. typing


def _mypy(snippet: str, tmp_path: Path) -> tuple[str, int]:
    module = tmp_path / "snippet.py"
    module.write_text(textwrap.dedent(snippet))
    stdout, stderr, status = mypy_api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir=" + str(tmp_path / "cache"),
            "--config-file=",
            str(ROOT / "generated" / "portkey_runs_api"),
            str(module),
        ]
    )
    return stdout + stderr, status


def test_the_generated_package_and_its_forward_compatible_surface_pass_mypy_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT / "generated")
    output, status = _mypy(
        """
        from http import HTTPStatus

        from portkey_runs_api.models import AssistantToolsCode, AssistantToolsFileSearch
        from portkey_runs_api.models import AssistantToolsFunction, Run, RunStatus
        from portkey_runs_api.types import Response, UnknownVariant


        def tools(run: Run) -> list[
            AssistantToolsCode | AssistantToolsFileSearch | AssistantToolsFunction | UnknownVariant
        ]:
            return run.tools


        def unknown(status: RunStatus) -> bool:
            return status.is_unknown


        def code(response: Response[Run]) -> HTTPStatus | int:
            return response.status_code
        """,
        tmp_path,
    )
    assert status == 0, output


def test_is_unknown_is_on_every_model_so_code_can_ask_any_union_item(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert AssistantToolsCode(type_="code_interpreter").is_unknown is False
    assert Run.from_dict(_run()).is_unknown is False
    assert "is_unknown" not in Run.from_dict(_run()).to_dict()
    monkeypatch.chdir(ROOT / "generated")
    output, status = _mypy(
        """
        from portkey_runs_api.models import Run, RunStep


        def unknown_tools(run: Run) -> list[str]:
            return [tool.to_dict()["type"] for tool in run.tools if tool.is_unknown]


        def unknown_details(step: RunStep) -> bool:
            return step.step_details.is_unknown or step.status.is_unknown
        """,
        tmp_path,
    )
    assert status == 0, output


def test_the_typing_test_can_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "generated")
    output, status = _mypy(
        """
        from portkey_runs_api.models import AssistantToolsFunction, Run


        def tools(run: Run) -> list[AssistantToolsFunction]:
            return run.tools
        """,
        tmp_path,
    )
    assert status == 1
    assert "Incompatible return value type" in output


# ---------------------------------------------------------------------- 7. docstrings


def test_the_submit_docstrings_say_a_stream_is_not_parsed_and_where_to_stream_it() -> None:
    module = submit_tool_outputs_to_run
    docs: list[tuple[str | None, str, str]] = [
        (module.sync_detailed.__doc__, "Client", "`parsed` is None"),
        (module.sync.__doc__, "Client", "it returns None"),
        (module.asyncio_detailed.__doc__, "AsyncClient", "`parsed` is None"),
        (module.asyncio.__doc__, "AsyncClient", "it returns None"),
    ]
    for doc, client, says in docs:
        text = " ".join((doc or "").split())
        assert (
            "With `stream: true` the answer is an event stream (`text/event-stream`), which this "
            f"function does not parse: {says}"
        ) in text, client
        assert f"Use `portkey_runs.{client}().runs.stream_tool_outputs` to receive its events" in text
        resource = getattr(portkey_runs, client)("pk-doc").runs
        assert callable(resource.stream_tool_outputs)
    for doc in (list_runs.sync_detailed.__doc__, list_runs.sync.__doc__):
        assert "event stream" not in (doc or "")
