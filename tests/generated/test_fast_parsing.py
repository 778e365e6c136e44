"""The parsing shortcuts of the templates (issue 11) keep every guarantee of the slow path.

``from_dict`` reads the source mapping in place instead of copying it, looks for unknown
properties only when the number of keys says there are some, and builds the instance without
the attrs ``__init__``. These tests prove that nothing observable changed because of it.
"""

from __future__ import annotations

import copy
import json
import pickle
from collections import defaultdict
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portkey_runs_api.errors import ParseError
from portkey_runs_api.models import (
    AssistantToolsFileSearchOptions,
    FunctionParameters,
    ListRunsResponse,
    Metadata,
    Run,
    SubmitToolOutputsRunRequest,
    ToolOutput,
)
from portkey_runs_api.types import UNSET, json_loads
from tests.generated.test_hardening import _run, _run_with_action


class _ReadOnly(Mapping[str, Any]):
    """A mapping that is not a dict, and that fails the test if anything writes to it."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def test_parsing_leaves_the_source_unchanged_and_keeps_no_alias_of_it() -> None:
    data = _run_with_action()
    data["service_tier"] = "high"
    before = copy.deepcopy(data)
    run = Run.from_dict(data)
    assert data == before
    run.additional_properties["added"] = 1
    run["service_tier"] = "low"
    assert data == before
    data["another"] = True
    assert "another" not in run.additional_properties


def test_every_instance_gets_its_own_additional_properties() -> None:
    first, second = Run.from_dict(_run()), Run.from_dict(_run())
    assert first.additional_properties == {} == second.additional_properties
    first["x"] = 1
    assert second.additional_properties == {}
    assert Run.from_dict(_run()).additional_properties == {}


@pytest.mark.parametrize("wrap", [MappingProxyType, _ReadOnly], ids=["mappingproxy", "Mapping"])
def test_a_mapping_that_is_not_a_dict_parses_like_the_dict(wrap: Any) -> None:
    data = _run_with_action()
    data["service_tier"] = "high"
    assert Run.from_dict(wrap(data)) == Run.from_dict(data)
    assert Run.from_dict(wrap(data)).additional_properties == {"service_tier": "high"}
    del data["model"]
    with pytest.raises(ParseError, match=r"^Run\.model: missing required property$"):
        Run.from_dict(wrap(data))


@pytest.mark.parametrize("present", [[], ["max_num_results"], ["ranking_options"], ["both"]])
def test_unknown_properties_are_found_whichever_optional_ones_are_present(
    present: list[str],
) -> None:
    """The key count that decides whether to look for unknown properties counts exactly the
    optional properties that are present."""
    base: dict[str, Any] = {}
    if "max_num_results" in present or "both" in present:
        base["max_num_results"] = 5
    if "ranking_options" in present or "both" in present:
        base["ranking_options"] = {"ranker": "auto", "score_threshold": 0.5}
    parsed = AssistantToolsFileSearchOptions.from_dict(base)
    assert parsed.additional_properties == {}
    assert parsed.to_dict() == base
    grown = {**base, "zz_new": [1]}
    parsed = AssistantToolsFileSearchOptions.from_dict(grown)
    assert parsed.additional_properties == {"zz_new": [1]}
    assert parsed.to_dict() == grown


def test_a_closed_model_still_names_the_unexpected_property_among_optional_ones() -> None:
    ok = {"tool_outputs": [{"tool_call_id": "c", "output": "o"}]}
    assert SubmitToolOutputsRunRequest.from_dict(ok).stream is UNSET
    for extra in ({"strem": True}, {"stream": True, "strem": True}):
        with pytest.raises(ParseError) as caught:
            SubmitToolOutputsRunRequest.from_dict({**ok, **extra})
        assert str(caught.value) == "SubmitToolOutputsRunRequest.strem: unexpected property"
    with pytest.raises(ParseError, match=r"^ToolOutput\.x: unexpected property$"):
        ToolOutput.from_dict({"x": 1, "tool_call_id": "c", "output": "o"})


def test_models_of_additional_properties_only_copy_the_source() -> None:
    parameters = {"type": "object", "properties": {"a": {"type": "string"}}}
    parsed = FunctionParameters.from_dict(parameters)
    assert parsed.additional_properties == parameters
    assert parsed.additional_properties is not parameters
    metadata = Metadata.from_dict({"k": "v"})
    assert metadata.additional_properties == {"k": "v"}
    with pytest.raises(ParseError, match=r"^Metadata\.k: expected string, got integer 1$"):
        Metadata.from_dict({"k": 1})


def test_an_instance_built_by_parsing_equals_one_built_by_its_constructor() -> None:
    """No attrs ``__init__`` runs while parsing: the fields it would set are all set."""
    run = Run.from_dict(_run_with_action())
    fields = {f.name: getattr(run, f.name) for f in attrs.fields(Run) if f.init}
    built = Run(**fields)
    built.additional_properties = dict(run.additional_properties)
    assert run == built
    assert repr(run) == repr(built)
    assert {f.name for f in attrs.fields(Run)} <= set(dir(run))
    assert attrs.evolve(run, id="run_other").id == "run_other"
    assert pickle.loads(pickle.dumps(run)) == run


def test_a_page_parses_the_same_from_json_text_and_back() -> None:
    page = {
        "object": "list",
        "data": [_run(), _run_with_action()],
        "first_id": "a",
        "last_id": "b",
        "has_more": True,
    }
    parsed = ListRunsResponse.from_dict(json.loads(json.dumps(page)))
    assert parsed.to_dict() == page
    assert [type(run) for run in parsed.data] == [Run, Run]


# ------------------------------------------------------------- the decoder (json_loads)

_JSON_TEXT = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
).map(json.dumps)


def _outcome(decode: Any, content: bytes | str) -> tuple[str, Any]:
    try:
        return "value", decode(content)
    except (ValueError, RecursionError) as exc:
        return "error", type(exc)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (unlike ``==``, for which ``1 == 1.0`` and
    ``nan != nan``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        return bool(b != b)
    return bool(a == b)


@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(_JSON_TEXT)
def test_json_loads_gives_what_the_json_module_gives_for_any_json_text(text: str) -> None:
    for content in (text, text.encode()):
        (kind, value), (expected_kind, expected) = (
            _outcome(json_loads, content),
            _outcome(json.loads, content),
        )
        assert kind == expected_kind
        assert _same(value, expected), (text, value, expected)


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(st.binary(max_size=40) | st.text(max_size=20))
def test_json_loads_fails_where_the_json_module_fails(content: bytes | str) -> None:
    ours, theirs = _outcome(json_loads, content), _outcome(json.loads, content)
    assert ours[0] == theirs[0]
    if ours[0] == "error":
        assert ours[1] is theirs[1]
    else:
        assert _same(ours[1], theirs[1])


@pytest.mark.parametrize(
    "text",
    [
        "123456789012345678901234567890",  # beyond 64 bits: orjson would make it a float
        "[18446744073709551616, -9223372036854775809]",
        '{"tokens": 9223372036854775807}',
        "NaN",
        "[1e400, -Infinity]",
        '"\\ud800"',
        '"a\ud800b"',  # a lone surrogate in the text itself (json.loads of a str accepts it)
        '{"a": 1, "a": 2}',
        "1" * 5000,  # too many digits: ValueError, as from json
        "[" * 100_000 + "]" * 100_000,  # too deep: RecursionError, as from json
    ],
)
def test_json_loads_keeps_the_json_module_s_results_where_orjson_differs(text: str) -> None:
    contents: list[bytes | str] = [text]
    contents += [text.encode(encoding, "surrogatepass") for encoding in ("utf-8", "utf-16")]
    for content in contents:
        ours, theirs = _outcome(json_loads, content), _outcome(json.loads, content)
        assert ours[0] == theirs[0]
        assert _same(ours[1], theirs[1]) if ours[0] == "value" else ours[1] is theirs[1]
    if text.startswith("1234"):
        assert type(json_loads(text)) is int


def test_a_defaultdict_is_read_as_the_dict_it_holds_and_left_unchanged() -> None:
    """Read in place, a defaultdict would answer a missing key with its default (and keep it):
    a mapping that is not exactly a dict is copied first, as before the shortcut."""
    data = _run()
    del data["model"]
    source: defaultdict[str, Any] = defaultdict(lambda: None, data)
    with pytest.raises(ParseError, match=r"^Run\.model: missing required property$"):
        Run.from_dict(source)
    assert "model" not in source
    source["model"] = "gpt-4o"
    assert Run.from_dict(source).additional_properties == {}
