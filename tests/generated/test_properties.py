"""Property-based proof, with instances generated from openapi.yaml itself, that

* the attrs client and the pydantic wire models parse every valid instance and give it back
  unchanged (the two generators agree on every generated instance);
* what a newer server may send (unknown properties, enum values and union variants, nulls where
  nullable, optional properties left out) still parses and round-trips;
* what breaks the contract (a required property missing, a value of a JSON type the schema does
  not admit) raises ``ParseError`` naming the exact path, and nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portkey_runs.testing import _wire as wire
from portkey_runs_api import models
from portkey_runs_api.errors import ParseError
from tests.generated._schema import (
    JSON_VALUES,
    SCHEMAS,
    Path_,
    admits_type,
    named,
    replaced,
    resolve,
    sites,
    types_of,
    without,
)

# The response bodies and the payloads of the stream events.
TOP_LEVEL = ["ListRunsResponse", "Run", "RunStep", "RunStepDelta", "Message", "MessageDelta"]

SETTINGS = settings(
    derandomize=True,
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def _attrs_round_trip(name: str, value: Any) -> Any:
    return getattr(models, name).from_dict(value).to_dict()


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_valid_instances_round_trip_identically_through_attrs_and_wire_models(name: str) -> None:
    @SETTINGS
    @given(named(name))
    def check(value: dict[str, Any]) -> None:
        through_attrs = _attrs_round_trip(name, value)
        through_wire = (
            getattr(wire, name)
            .model_validate(value)
            .model_dump(mode="json", exclude_unset=True, by_alias=True)
        )
        assert through_attrs == value
        assert through_wire == value
        assert through_attrs == through_wire

    check()


def test_list_pages_generated_from_the_spec_hold_several_runs() -> None:
    """The page strategy really produces pages with runs (guards the test above)."""
    seen: list[int] = []

    @SETTINGS
    @given(named("ListRunsResponse"))
    def check(page: dict[str, Any]) -> None:
        seen.append(len(page["data"]))

    check()
    assert max(seen) >= 2


# ---------------------------------------------------------------------------- mutations


FORWARD_COMPATIBLE = ["unknown property", "unknown enum value", "unknown variant", "null", "drop"]


def _forward_compatible_mutations(value: Any, name: str) -> list[tuple[str, Path_, Any]]:
    """(kind, path, mutated instance) for every change a newer server may make."""
    found: list[tuple[str, Path_, Any]] = []
    outermost: set[Path_] = set()
    for path, schema, item in sites(value, SCHEMAS[name]):
        first = path not in outermost
        outermost.add(path)
        if first and item is not None and "null" in types_of(schema):
            found.append(("null", path, replaced(value, path, None)))
        if "enum" in schema and isinstance(item, str):
            found.append(("unknown enum value", path, replaced(value, path, "zz_new_value")))
        if "discriminator" in schema and isinstance(item, dict):
            key = schema["discriminator"]["propertyName"]
            new = {key: "zz_new_variant", "zz_payload": [1, {"a": None}]}
            found.append(("unknown variant", path, replaced(value, path, new)))
        if isinstance(item, dict) and "properties" in schema:
            extra = schema.get("additionalProperties")
            if extra is None or extra is True:
                grown = {**item, "zz_new_property": {"nested": [1, "two", None]}}
                found.append(("unknown property", path, replaced(value, path, grown)))
            required = set(schema.get("required", []))
            for key in item:
                if key in schema["properties"] and key not in required:
                    found.append(("drop", (*path, key), without(value, (*path, key))))
    return found


# One value of each JSON type, to put where the schema admits none of that type.
WRONG_TYPES: list[Any] = [None, True, 7, 1.5, "text", [1], {"a": 1}]


def _contract_breaking_mutations(value: Any, name: str) -> list[tuple[str, Path_, Any]]:
    """(kind, path the error must name, mutated instance) for every change no server may make."""
    found: list[tuple[str, Path_, Any]] = []
    outermost: set[Path_] = set()
    for path, schema, item in sites(value, SCHEMAS[name]):
        if path not in outermost:
            outermost.add(path)
            for wrong in WRONG_TYPES:
                if not admits_type(schema, wrong):
                    found.append(
                        (f"{type(wrong).__name__} instead", path, replaced(value, path, wrong))
                    )
        if isinstance(item, dict) and "properties" in schema:
            for key in schema.get("required", []):
                if key in item:
                    found.append(("missing", (*path, key), without(value, (*path, key))))
    return found


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_changes_a_newer_server_may_make_parse_and_round_trip(name: str) -> None:
    kinds: set[str] = set()

    @SETTINGS
    @given(named(name), st.data())
    def check(value: dict[str, Any], data: st.DataObject) -> None:
        mutations = _forward_compatible_mutations(value, name)
        for kind, path, mutated in data.draw(st.lists(st.sampled_from(mutations), max_size=6)):
            kinds.add(kind)
            assert _attrs_round_trip(name, mutated) == mutated, (kind, path)

    check()
    assert kinds, "no mutation was ever tried"


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_contract_breaking_changes_raise_parse_error_naming_the_path(name: str) -> None:
    kinds: set[str] = set()

    @SETTINGS
    @given(named(name), st.data())
    def check(value: dict[str, Any], data: st.DataObject) -> None:
        mutations = _contract_breaking_mutations(value, name)
        for kind, path, mutated in data.draw(st.lists(st.sampled_from(mutations), max_size=6)):
            kinds.add(kind.split()[-1])
            with pytest.raises(ParseError) as caught:
                getattr(models, name).from_dict(mutated)
            assert caught.value.model == name, (kind, path, caught.value)
            assert caught.value.path == path, (kind, path, caught.value)

    check()
    assert {"missing", "instead"} <= kinds


def test_every_mutation_kind_is_exercised_on_runs() -> None:
    """Guards the mutation tests: each forward-compatible kind occurs in generated runs."""
    kinds: set[str] = set()

    @SETTINGS
    @given(named("Run"))
    def check(value: dict[str, Any]) -> None:
        kinds.update(kind for kind, _, _ in _forward_compatible_mutations(value, "Run"))

    check()
    assert kinds == set(FORWARD_COMPATIBLE)


# Single-value types that a newer server may extend: enums, so that a new value parses.
EXTENSIBLE_TYPES = ["RunRequiredAction", "RunToolCall", "FileSearchResultContent"]


@pytest.mark.parametrize("name", EXTENSIBLE_TYPES)
def test_an_unknown_type_of_an_extensible_single_value_type_parses_and_round_trips(
    name: str,
) -> None:
    known = resolve(SCHEMAS[name]["properties"]["type"])["enum"]

    @SETTINGS
    @given(named(name), st.text(max_size=12).filter(lambda v: v not in known))
    def check(value: dict[str, Any], new_type: str) -> None:
        mutated = {**value, "type": new_type}
        parsed = getattr(models, name).from_dict(mutated)
        assert parsed.type_.is_unknown
        assert parsed.type_.value == new_type
        assert parsed.to_dict() == mutated
        assert not getattr(models, name).from_dict({**value, "type": known[0]}).type_.is_unknown

    check()


def test_a_free_form_object_keeps_any_json() -> None:
    @SETTINGS
    @given(st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=3))
    def check(parameters: dict[str, Any]) -> None:
        assert resolve(SCHEMAS["FunctionParameters"])["additionalProperties"] is True
        parsed = models.FunctionParameters.from_dict(parameters)
        assert parsed.additional_properties == parameters
        assert parsed.to_dict() == parameters

    check()
