"""A bounded fuzz of the page parser and the stream decoder: random bytes, random JSON and
random splits of valid streams. No hang, no error but the documented ones, no event lost or
duplicated."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import httpx
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from portkey_runs import ResponseValidationError, StreamError
from portkey_runs._http import parse_json as parse_response
from portkey_runs._streaming import _Decoder
from portkey_runs_api.errors import ParseError
from portkey_runs_api.models import ListRunsResponse

ROOT = Path(__file__).resolve().parents[2]
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())
_SUBMIT = SPEC["paths"]["/threads/{thread_id}/runs/{run_id}/submit_tool_outputs"]["post"]
STREAM: str = _SUBMIT["responses"]["200"]["content"]["text/event-stream"]["examples"]["stream"][
    "value"
]
_LIST = SPEC["paths"]["/threads/{thread_id}/runs"]["get"]["responses"]["200"]["content"]
PAGE: dict[str, Any] = _LIST["application/json"]["examples"]["page"]["value"]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
FUZZ = settings(max_examples=300, derandomize=True, deadline=None)


def _response(body: bytes) -> httpx.Response:
    request = httpx.Request("GET", "http://127.0.0.1/v1/threads/t/runs")
    return httpx.Response(200, content=body, request=request)


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_as_a_page_give_only_a_response_validation_error(body: bytes) -> None:
    with contextlib.suppress(ResponseValidationError):
        parse_response(ListRunsResponse, _response(body))


@FUZZ
@given(JSON)
def test_random_json_as_a_page_gives_only_a_parse_error(data: Any) -> None:
    with contextlib.suppress(ParseError):
        ListRunsResponse.from_dict(data)


@FUZZ
@given(st.sampled_from(sorted(PAGE["data"][0])), JSON)
def test_a_page_with_one_field_replaced_by_random_json_parses_or_names_the_field(
    field: str, value: Any
) -> None:
    page = {**PAGE, "data": [{**PAGE["data"][0], field: value}]}
    outcome: ParseError | ListRunsResponse
    try:
        outcome = ListRunsResponse.from_dict(page)
    except ParseError as error:
        outcome = error
    if isinstance(outcome, ParseError):
        assert outcome.location.startswith(f"ListRunsResponse.data[0].{field}")
    else:
        assert outcome.to_dict() == page


EXPECTED = [
    name for name in (e.split("\n")[0][7:] for e in STREAM.split("\n\n") if e) if name != "done"
]


def _decode(chunks: list[bytes]) -> list[str]:
    decoder = _Decoder()
    names: list[str] = []
    for raw in [*(decoder.sse.feed(chunk) for chunk in chunks), decoder.sse.end()]:
        for sse in raw:
            if decoder.finished:
                return names
            event = decoder.one(sse)
            if event is not None:
                names.append(event.event)
    if not decoder.finished:
        raise decoder.ended()  # as a stream does
    return names


@FUZZ
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM.encode())), max_size=20))
def test_any_split_of_a_valid_stream_gives_every_typed_event_once(cuts: list[int]) -> None:
    body = STREAM.encode()
    points = sorted(set(cuts))
    chunks = [body[a:b] for a, b in zip([0, *points], [*points, len(body)], strict=True)]
    assert _decode(chunks) == EXPECTED


@FUZZ
@given(st.lists(st.binary(max_size=50), max_size=8))
def test_random_bytes_as_a_stream_give_only_stream_errors(chunks: list[bytes]) -> None:
    with contextlib.suppress(StreamError, ResponseValidationError):
        _decode(chunks)


@FUZZ
@given(
    st.sampled_from(
        ["thread.run.queued", "thread.run.step.delta", "thread.message.delta", "error"]
    ),
    JSON,
)
def test_known_events_with_random_json_give_only_documented_errors(name: str, data: Any) -> None:
    body = f"event: {name}\ndata: {json.dumps(data)}\n\nevent: done\ndata: [DONE]\n\n".encode()
    with contextlib.suppress(StreamError, ResponseValidationError):
        _decode([body])
