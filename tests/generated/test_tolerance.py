"""The templates' tolerance hook: ``types.tolerate`` raises unless ``types.TOLERANCE`` is set.

Strict (the default) is covered by the hardening tests, unchanged; here, what a tolerant read
of the generated models does: each breach goes to the reporter, at the model that holds it,
and the property reads as ``None``; the rest of the object parses as it would.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from portkey_runs_api.errors import NeededError, ParseError
from portkey_runs_api.models import Metadata, RunStep, ToolOutput
from portkey_runs_api.types import EAGER, TOLERANCE

STEP: dict[str, Any] = {
    "id": "step_1",
    "object": "thread.run.step",
    "created_at": 1,
    "assistant_id": "asst_1",
    "thread_id": "thread_1",
    "run_id": "run_1",
    "type": "tool_calls",
    "status": "completed",
    "step_details": {
        "type": "tool_calls",
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "lookup", "arguments": "{}", "output": None},
            }
        ],
    },
    "last_error": None,
    "expires_at": None,
    "cancelled_at": None,
    "failed_at": None,
    "completed_at": 2,
    "usage": None,
}


@pytest.fixture
def reported() -> Iterator[list[ParseError]]:
    """Tolerant reads for the test, their reports in the list; eager (``types.EAGER``), so that
    every breach is reported by ``from_dict`` itself, in order (what typing at first read
    changes is tested in ``test_lazy_typing.py``)."""
    errors: list[ParseError] = []
    token, eager = TOLERANCE.set(errors.append), EAGER.set(True)
    yield errors
    EAGER.reset(eager)
    TOLERANCE.reset(token)


def _where(errors: list[ParseError]) -> list[str]:
    return [str(error) for error in errors]


def _values(obj: object, *names: str) -> list[Any]:
    """The attributes, read as ``Any``: a tolerated one holds ``None`` whatever its type says."""
    return [getattr(obj, name) for name in names]


def test_strict_by_default_a_breach_raises_with_its_full_path() -> None:
    step = {**STEP, "created_at": "1"}
    with pytest.raises(ParseError, match=r"^RunStep\.created_at: expected integer"):
        RunStep.from_dict(step)


def test_a_missing_required_property_reads_as_none_and_is_reported(
    reported: list[ParseError],
) -> None:
    step = {k: v for k, v in STEP.items() if k != "assistant_id"}
    parsed = RunStep.from_dict(step)
    assert parsed.assistant_id is None
    assert parsed.id == "step_1"
    assert _where(reported) == ["RunStep.assistant_id: missing required property"]


def test_a_nested_breach_is_reported_where_it_is_and_its_parents_parse(
    reported: list[ParseError],
) -> None:
    details = STEP["step_details"]
    call = {**details["tool_calls"][0], "function": {"name": 7, "arguments": "{}", "output": None}}
    step = {**STEP, "step_details": {**details, "tool_calls": [call]}}
    parsed = RunStep.from_dict(step)
    function = parsed.step_details.tool_calls[0].function  # type: ignore[union-attr]
    assert (function.name, function.arguments) == (None, "{}")
    assert _where(reported) == ["FunctionCall.name: expected string, got integer 7"]


def test_several_breaches_are_each_reported_in_order(reported: list[ParseError]) -> None:
    step = {**STEP, "created_at": True, "usage": [], "status": 3}
    parsed = RunStep.from_dict(step)
    assert _values(parsed, "created_at", "usage", "status") == [None, None, None]
    assert [e.path for e in reported] == [("created_at",), ("status",), ("usage",)]


def test_a_checked_additional_property_of_another_type_reads_as_none(
    reported: list[ParseError],
) -> None:
    parsed = Metadata.from_dict({"team": "search", "size": 3})
    assert parsed.additional_properties == {"team": "search", "size": None}
    assert _where(reported) == ["Metadata.size: expected string, got integer 3"]


def test_a_closed_model_reports_an_unknown_property_and_drops_it(
    reported: list[ParseError],
) -> None:
    parsed = ToolOutput.from_dict({"tool_call_id": "call_1", "output": "ok", "extra": 1})
    assert parsed.to_dict() == {"tool_call_id": "call_1", "output": "ok"}
    assert _where(reported) == ["ToolOutput.extra: unexpected property"]


def test_a_closed_model_missing_a_required_property_has_no_unknown_one_to_report(
    reported: list[ParseError],
) -> None:
    parsed = ToolOutput.from_dict({"tool_call_id": "call_1"})
    assert _values(parsed, "tool_call_id", "output") == ["call_1", None]
    assert _where(reported) == ["ToolOutput.output: missing required property"]


def test_a_reporter_that_raises_stops_the_parse() -> None:
    class Needed(Exception):
        pass

    def refuse(error: ParseError) -> None:
        raise Needed(str(error))

    token = TOLERANCE.set(refuse)
    try:
        with pytest.raises(Needed, match=r"RunStep\.id: missing required property"):
            RunStep.from_dict({k: v for k, v in STEP.items() if k != "id"})
    finally:
        TOLERANCE.reset(token)


def test_a_needed_error_raised_by_the_reporter_goes_up_with_the_full_path() -> None:
    """Every enclosing model adds its step and none reports it again (``tolerate`` raises it
    on), so it names the path from the model read, as a strict read does."""
    seen: list[ParseError] = []

    def need_the_name(error: ParseError) -> None:
        seen.append(error)
        if error.path == ("name",):
            raise NeededError(error.reason, error.model, error.path)

    details = STEP["step_details"]
    call = {**details["tool_calls"][0], "function": {"name": 7, "arguments": "{}", "output": None}}
    token, eager = TOLERANCE.set(need_the_name), EAGER.set(True)
    try:
        with pytest.raises(NeededError) as info:
            RunStep.from_dict({**STEP, "step_details": {**details, "tool_calls": [call]}})
    finally:
        EAGER.reset(eager)
        TOLERANCE.reset(token)
    assert str(info.value) == (
        "RunStep.step_details.tool_calls[0].function.name: expected string, got integer 7"
    )
    assert _where(seen) == ["FunctionCall.name: expected string, got integer 7"]


def test_a_needed_error_keeps_its_class_along_the_path_and_through_pickle() -> None:
    error = NeededError("missing required property", "RunToolCall", ("id",))
    moved = error.at_index(2).within("Run", "tool_calls")
    assert type(moved) is NeededError
    assert moved.location == "Run.tool_calls[2].id"
    copy = pickle.loads(pickle.dumps(moved))
    assert (type(copy), str(copy)) == (NeededError, str(moved))
    assert repr(moved) == "NeededError('Run.tool_calls[2].id: missing required property')"
    assert type(ParseError("x").within("Run", "id")) is ParseError


def test_valid_data_never_reaches_the_reporter() -> None:
    calls: list[ParseError] = []
    report: Callable[[ParseError], None] = calls.append
    token = TOLERANCE.set(report)
    try:
        assert RunStep.from_dict(STEP).to_dict() == STEP
    finally:
        TOLERANCE.reset(token)
    assert calls == []


def _models() -> list[type[Any]]:
    import portkey_runs_api.models as models

    return [
        cls
        for name in models.__all__
        if hasattr(cls := getattr(models, name), "from_dict") and hasattr(cls, "to_dict")
    ]


#: Values of every JSON type: for most properties, at least one is of the wrong type.
ODD_VALUES: list[Any] = [[[[]]], "odd", 3, {"odd": 1}, True]


@pytest.mark.parametrize("model", _models(), ids=lambda cls: cls.__name__)
def test_a_tolerantly_read_model_gives_its_dict_repr_equality_and_pickle(
    model: type[Any], reported: list[ParseError]
) -> None:
    """Every property of every model, missing or odd in turn: what reads ``None`` where the
    annotation says otherwise still goes through ``to_dict()`` (as ``None``), ``repr``, ``==``
    and ``pickle``."""
    module = __import__(model.__module__, fromlist=["_PROPERTIES"])
    names = sorted(getattr(module, "_PROPERTIES", ()))
    cases = [{}] + [{name: value} for name in names for value in ODD_VALUES]
    for data in cases:
        obj = model.from_dict(data)
        json.dumps(obj.to_dict())
        assert repr(obj).startswith(model.__name__)
        assert obj == model.from_dict(data)
        assert pickle.loads(pickle.dumps(obj)) == obj


def test_a_tolerated_property_is_none_in_to_dict(reported: list[ParseError]) -> None:
    step = RunStep.from_dict({**STEP, "status": 7, "step_details": "odd"})
    assert _where(reported) == [
        "RunStep.status: expected string, got integer 7",
        "RunStep.step_details: expected object, got string 'odd'",
    ]
    as_dict = step.to_dict()
    assert (as_dict["status"], as_dict["step_details"], as_dict["id"]) == (None, None, "step_1")
