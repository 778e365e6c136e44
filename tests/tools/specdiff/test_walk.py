"""How the walk compares: equivalent spellings, $ref chasing, contexts, causes, memoised
comparisons, recursion, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tools.oas import (
    body,
    get_param,
    get_response,
    merge_paths,
    obj,
    post_body,
    ref,
    response,
    spec,
    summary,
)
from tools.specdiff import SpecError, diff_specs
from tools.specdiff.loader import parse_text
from tools.specdiff.schema_diff import SchemaDiff

STR: dict[str, Any] = {"type": "string"}

YAML_BLOCK = """
openapi: 3.0.3
info:
  title: test
  version: 1.0.0
paths:
  /runs/{run_id}:
    get:
      parameters:
        - name: run_id
          in: path
          required: true
          schema:
            type: string
      responses:
        200:
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Run'
components:
  schemas:
    Run:
      type: object
      required: [id, status]
      properties:
        id:
          type: string
        status:
          type: string
          enum: [queued, done]
        created_at:
          type: string
          format: date-time
          example: 2024-01-01T00:00:00Z
"""

# the same document: flow style, other key order, quoted status code and values, JSON-ish
YAML_FLOW = """
components: {schemas: {Run: {properties: {
  status: {enum: ["queued", "done"], type: "string"},
  created_at: {example: "2024-01-01T00:00:00Z", format: date-time, type: string},
  id: {type: string}}, required: ["id", "status"], type: object}}}
paths: {"/runs/{run_id}": {get: {responses: {"200": {content: {application/json: {schema:
  {$ref: "#/components/schemas/Run"}}}, description: ok}},
  parameters: [{schema: {type: string}, required: true, in: path, name: run_id}]}}}
info: {version: "1.0.0", title: test}
openapi: "3.0.3"
"""


def test_identical_specs_have_no_findings() -> None:
    doc = parse_text(YAML_BLOCK, "block")
    assert diff_specs(doc, doc) == []


def test_key_order_and_yaml_style_make_no_difference() -> None:
    assert diff_specs(parse_text(YAML_BLOCK, "block"), parse_text(YAML_FLOW, "flow")) == []


def test_a_real_change_is_still_seen_through_formatting() -> None:
    changed = YAML_FLOW.replace('enum: ["queued", "done"]', 'enum: ["queued", "done", "failed"]')
    findings = diff_specs(parse_text(YAML_BLOCK, "block"), parse_text(changed, "flow"))
    assert summary(findings) == [("response-property-enum-value-added", "WARN")]
    assert findings[0].path == "responses/200/content/application/json/schema/status"
    assert findings[0].operation == "GET /runs/{run_id}"


def test_moving_an_inline_schema_into_a_ref_is_no_change() -> None:
    run = obj({"id": STR, "tags": {"type": "array", "items": STR}}, ["id"])
    inline = spec(get_response(obj({"data": {"type": "array", "items": run}})))
    named = spec(get_response(obj({"data": {"type": "array", "items": ref("Run")}})), {"Run": run})
    assert diff_specs(inline, named) == []
    # inlining it back is no change either, except that the component is gone
    assert summary(diff_specs(named, inline)) == [("api-schema-removed", "INFO")]


NULLABLE_SPELLINGS = {
    "3.0 nullable": ({**STR, "nullable": True}, "3.0.3"),
    "3.1 type list": ({"type": ["string", "null"]}, "3.1.0"),
    "3.1 oneOf null": ({"oneOf": [STR, {"type": "null"}]}, "3.1.0"),
    "3.1 anyOf null": ({"anyOf": [STR, {"type": "null"}]}, "3.1.0"),
    "3.1 anyOf ref null": ({"anyOf": [ref("Str"), {"type": "null"}]}, "3.1.0"),
}


def _nullable_spec(name: str) -> dict[str, Any]:
    schema, version = NULLABLE_SPELLINGS[name]
    return spec(get_response(obj({"p": schema})), {"Str": STR}, openapi=version)


@pytest.mark.parametrize("a", list(NULLABLE_SPELLINGS))
@pytest.mark.parametrize("b", list(NULLABLE_SPELLINGS))
def test_nullable_spellings_are_equivalent(a: str, b: str) -> None:
    assert diff_specs(_nullable_spec(a), _nullable_spec(b)) == []


@pytest.mark.parametrize("name", list(NULLABLE_SPELLINGS))
def test_each_nullable_spelling_is_seen(name: str) -> None:
    plain = spec(get_response(obj({"p": STR})), {"Str": STR})
    assert summary(diff_specs(plain, _nullable_spec(name))) == [
        ("response-property-became-nullable", "ERR")
    ]
    assert summary(diff_specs(_nullable_spec(name), plain)) == [
        ("response-property-became-not-nullable", "INFO")
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param({**STR, "enum": ["a"]}, {**STR, "const": "a"}, id="const-is-one-value-enum"),
        pytest.param(
            {"type": "number", "maximum": 5, "exclusiveMaximum": True},
            {"type": "number", "exclusiveMaximum": 5},
            id="3.0-and-3.1-exclusive-bounds",
        ),
        pytest.param(
            {"allOf": [ref("Str")], "description": "wrapped"}, ref("Str"), id="allOf-wrapper"
        ),
        pytest.param(
            {"allOf": [obj({"a": STR}), obj({"b": STR}, ["b"])]},
            obj({"a": STR, "b": STR}, ["b"]),
            id="allOf-merged",
        ),
        pytest.param({"oneOf": [ref("Str"), STR]}, {"oneOf": [STR, ref("Str")]}, id="reorder"),
        pytest.param(
            {"type": ["string", "integer"]},
            {"oneOf": [STR, {"type": "integer", "description": "a count"}]},
            id="3.1-type-list-is-a-oneOf-of-bare-types",
        ),
        pytest.param(
            {"anyOf": [STR, {"type": "integer"}]},
            {"oneOf": [{"type": "integer"}, STR]},
            id="anyOf-and-oneOf-of-bare-types",
        ),
    ],
)
def test_equivalent_schemas(old: dict[str, Any], new: dict[str, Any]) -> None:
    schemas = {"Str": STR}
    assert diff_specs(spec(post_body(old), schemas), spec(post_body(new), schemas)) == []


def test_change_in_shared_component_is_reported_at_every_operation() -> None:
    paths = {
        "/a": {"get": {"responses": response(ref("Run"))}},
        "/b": {"get": {"responses": response(obj({"run": ref("Run")}))}},
    }
    old = spec(paths, {"Run": obj({"id": STR, "note": STR}, ["id", "note"])})
    new = spec(paths, {"Run": obj({"id": STR, "note": STR}, ["id"])})
    findings = diff_specs(old, new)
    assert [(f.id, f.operation, f.path) for f in findings] == [
        (
            "response-property-became-optional",
            "GET /a",
            "responses/200/content/application/json/schema/note",
        ),
        (
            "response-property-became-optional",
            "GET /b",
            "responses/200/content/application/json/schema/run/note",
        ),
    ]


def test_refs_are_chased_through_chains_and_items() -> None:
    paths = get_response(obj({"data": {"type": "array", "items": ref("Alias")}}))
    old = spec(paths, {"Alias": ref("Run"), "Run": obj({"status": {**STR, "enum": ["a"]}})})
    new = spec(paths, {"Alias": ref("Run"), "Run": obj({"status": {**STR, "enum": ["a", "b"]}})})
    (finding,) = diff_specs(old, new)
    assert finding.path == "responses/200/content/application/json/schema/data/items/status"
    assert (finding.old, finding.new) == (None, "b")


def _tree(note_type: str) -> dict[str, Any]:
    node = obj(
        {
            "note": {"type": note_type},
            "children": {"type": "array", "items": ref("Node")},
            "parent": {"anyOf": [ref("Node"), {"type": "null"}]},
        }
    )
    return spec(merge_paths(get_response(ref("Node")), post_body(ref("Node"))), {"Node": node})


def test_recursive_schemas_terminate_and_report_once_per_use() -> None:
    findings = diff_specs(_tree("string"), _tree("integer"))
    assert [(f.id, f.operation, f.path) for f in findings] == [
        (
            "response-property-type-changed",
            "GET /x",
            "responses/200/content/application/json/schema/note",
        ),
        (
            "request-property-type-changed",
            "POST /x",
            "requestBody/content/application/json/schema/note",
        ),
    ]
    assert diff_specs(_tree("string"), _tree("string")) == []


def test_shared_schema_is_judged_in_each_context() -> None:
    paths = {
        "/runs": {
            "post": {
                "requestBody": body(obj({"status": ref("Status")})),
                "responses": response(obj({"status": ref("Status")})),
            }
        }
    }
    old = spec(paths, {"Status": {**STR, "enum": ["queued"]}})
    new = spec(paths, {"Status": {**STR, "enum": ["queued", "cancelled"]}})
    assert summary(diff_specs(old, new)) == [
        ("response-property-enum-value-added", "WARN"),
        ("request-property-enum-value-added", "INFO"),
    ]
    # and the other way round: removing the value breaks requests, not responses
    assert summary(diff_specs(new, old)) == [
        ("request-property-enum-value-removed", "ERR"),
        ("response-property-enum-value-removed", "INFO"),
    ]


def test_one_of_branches_are_matched_by_component_name() -> None:
    schemas = {"A": obj({"a": STR}), "B": obj({"b": STR}), "C": obj({"c": STR})}
    old = spec(get_response({"oneOf": [ref("A"), ref("B")]}), schemas)
    new = spec(get_response({"oneOf": [ref("B"), ref("A"), ref("C")]}), schemas)
    (finding,) = diff_specs(old, new)
    assert (finding.id, finding.level, finding.new) == ("response-body-one-of-added", "ERR", "C")
    assert finding.path == "responses/200/content/application/json/schema/oneOf"


def test_change_inside_a_one_of_branch() -> None:
    schemas_old = {"A": obj({"a": STR}, ["a"])}
    schemas_new = {"A": obj({"a": STR})}
    paths = get_response({"oneOf": [ref("A"), {"type": "integer"}]})
    (finding,) = diff_specs(spec(paths, schemas_old), spec(paths, schemas_new))
    assert finding.id == "response-property-became-optional"
    assert finding.path == "responses/200/content/application/json/schema/oneOf/A/a"


def test_read_only_properties_do_not_bind_requests() -> None:
    read_only = {**STR, "readOnly": True}
    old = spec(merge_paths(post_body(obj({})), get_response(obj({}))))
    new = spec(
        merge_paths(
            post_body(obj({"id": read_only}, ["id"])),
            get_response(obj({"id": read_only}, ["id"])),
        )
    )
    assert summary(diff_specs(old, new)) == [("response-required-property-added", "INFO")]


def test_findings_are_sorted_most_severe_first() -> None:
    old = spec(get_response(obj({"a": STR, "b": STR})))
    new = spec(get_response(obj({"a": {**STR, "enum": ["x"]}, "c": STR})))
    levels = [f.level for f in diff_specs(old, new)]
    assert levels == sorted(levels, key=["ERR", "WARN", "INFO"].index)
    assert levels[0] == "WARN"


def test_unresolvable_refs_compare_by_reference() -> None:
    old = spec(get_response(obj({"run": {"$ref": "other.yaml#/A"}})))
    new = spec(get_response(obj({"run": {"$ref": "other.yaml#/B"}})))
    assert diff_specs(old, spec(get_response(obj({"run": {"$ref": "other.yaml#/A"}})))) == []
    (finding,) = diff_specs(old, new)
    assert (finding.id, finding.level) == ("response-property-ref-changed", "WARN")
    assert (finding.path, finding.old, finding.new) == (
        "responses/200/content/application/json/schema/run",
        "other.yaml#/A",
        "other.yaml#/B",
    )
    inline = spec(get_response(obj({"run": STR})))
    assert summary(diff_specs(old, inline)) == [("response-property-ref-changed", "WARN")]


@pytest.mark.parametrize(
    ("old", "new", "openapi", "expected"),
    [
        pytest.param(
            {"maximum": 10, "exclusiveMaximum": True},
            {"maximum": 10},
            "3.0.3",
            ("request-parameter-max-increased", "INFO"),
            id="3.0-exclusive-to-inclusive-max-widens",
        ),
        pytest.param(
            {"maximum": 10},
            {"maximum": 10, "exclusiveMaximum": True},
            "3.0.3",
            ("request-parameter-max-decreased", "ERR"),
            id="3.0-inclusive-to-exclusive-max-narrows",
        ),
        pytest.param(
            {"exclusiveMinimum": 0},
            {"minimum": 0},
            "3.1.0",
            ("request-parameter-min-decreased", "INFO"),
            id="3.1-exclusive-to-inclusive-min-widens",
        ),
        pytest.param(
            {"maximum": 10},
            {"exclusiveMaximum": 11},
            "3.1.0",
            ("request-parameter-max-increased", "INFO"),
            id="3.1-inclusive-10-to-exclusive-11-widens",
        ),
    ],
)
def test_inclusive_and_exclusive_bounds_compare_as_one_limit(
    old: dict[str, Any], new: dict[str, Any], openapi: str, expected: tuple[str, str]
) -> None:
    integer = {"type": "integer"}
    findings = diff_specs(
        spec(get_param({**integer, **old}), openapi=openapi),
        spec(get_param({**integer, **new}), openapi=openapi),
    )
    assert summary(findings) == [expected]


def test_wider_integer_format_widens_requests_and_responses() -> None:
    int32, int64 = {"type": "integer", "format": "int32"}, {"type": "integer", "format": "int64"}
    assert summary(diff_specs(spec(get_param(int32)), spec(get_param(int64)))) == [
        ("request-parameter-type-generalized", "INFO")
    ]
    assert summary(diff_specs(spec(get_response(int32)), spec(get_response(int64)))) == [
        ("response-body-type-generalized", "ERR")
    ]
    assert summary(diff_specs(spec(get_param(int64)), spec(get_param(int32)))) == [
        ("request-parameter-type-changed", "ERR")
    ]


def test_one_of_became_any_of_is_one_note_and_branches_still_compared() -> None:
    a, b = obj({"a": STR}), obj({"b": STR})
    old = spec(get_response({"oneOf": [a, b]}))
    new = spec(get_response({"anyOf": [a, obj({"b": STR, "c": STR})]}))
    assert summary(diff_specs(old, new)) == [
        ("response-body-one-of-became-any-of", "INFO"),
        ("response-optional-property-added", "INFO"),
    ]


def test_property_becoming_read_only_in_a_request_is_removed_there() -> None:
    old = spec(merge_paths(post_body(obj({"a": STR}, ["a"])), get_response(obj({"a": STR}))))
    read_only = obj({"a": {**STR, "readOnly": True}}, ["a"])
    new = spec(merge_paths(post_body(read_only), get_response(read_only)))
    assert summary(diff_specs(old, new)) == [
        ("request-property-became-read-only", "WARN"),
        ("response-property-became-required", "INFO"),
    ]


def test_property_becoming_write_only_in_a_response_is_removed_there() -> None:
    old = spec(merge_paths(post_body(obj({"a": STR})), get_response(obj({"a": STR}, ["a"]))))
    write_only = obj({"a": {**STR, "writeOnly": True}}, ["a"])
    new = spec(merge_paths(post_body(write_only), get_response(write_only)))
    assert summary(diff_specs(old, new)) == [
        ("response-required-property-became-write-only", "ERR"),
        ("request-property-became-required", "ERR"),
    ]


def test_ref_with_constraining_siblings_is_not_its_target() -> None:
    old = spec(
        get_response(obj({"p": {**ref("Str"), "maxLength": 3}, "q": ref("Str")})),
        {"Str": STR},
        openapi="3.1.0",
    )
    new = spec(
        get_response(obj({"p": {**ref("Str"), "maxLength": 5}, "q": ref("Str")})),
        {"Str": STR},
        openapi="3.1.0",
    )
    assert [(f.id, f.path.rsplit("/", 1)[-1]) for f in diff_specs(old, new)] == [
        ("response-property-max-length-increased", "p")
    ]


def _chain(length: int, leaf: dict[str, Any]) -> dict[str, Any]:
    """S0 -> S1 -> ... -> leaf, each component using the next twice (2**length uses)."""
    schemas = {f"S{i}": obj({"a": ref(f"S{i + 1}"), "b": ref(f"S{i + 1}")}) for i in range(length)}
    schemas[f"S{length}"] = leaf
    return spec(get_response(ref("S0")), schemas)


def _count_walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    walk = SchemaDiff._walk

    def counting(self: SchemaDiff, *args: Any) -> frozenset[tuple[int, int]]:
        calls[0] += 1
        return walk(self, *args)

    monkeypatch.setattr(SchemaDiff, "_walk", counting)
    return calls


def test_shared_components_are_compared_once_and_reported_at_every_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _count_walks(monkeypatch)
    findings = diff_specs(_chain(10, obj({"x": STR})), _chain(10, obj({"x": {"type": "integer"}})))
    assert calls[0] <= 3 * 10 + 5  # one walk per component and property, not 2**10
    assert len(findings) == 2**10
    assert {f.id for f in findings} == {"response-property-type-changed"}
    assert len({f.path for f in findings}) == 2**10
    deepest = "responses/200/content/application/json/schema" + "/a" * 10 + "/x"
    assert findings[0].path == deepest


def test_mutually_recursive_schemas_are_compared_once(monkeypatch: pytest.MonkeyPatch) -> None:
    def ring(names: list[str], first_note: dict[str, Any]) -> dict[str, Any]:
        schemas = {
            name: obj({"l": ref(nxt), "r": ref(nxt), "v": STR})
            for name, nxt in zip(names, names[1:] + names[:1], strict=True)
        }
        schemas[names[0]]["properties"]["v"] = first_note
        return spec(get_response(ref(names[0])), schemas)

    calls = _count_walks(monkeypatch)
    # old: T -> T; new: T0 -> T1 -> ... -> T11 -> T0 (2**12 paths before the ring closes)
    names = [f"T{i}" for i in range(12)]
    findings = diff_specs(ring(["T"], STR), ring(names, {"type": "integer"}))
    assert calls[0] <= 4 * 12 + 5
    assert [(f.id, f.path) for f in findings] == [
        ("response-property-type-changed", "responses/200/content/application/json/schema/v"),
        ("api-schema-removed", "components/schemas/T"),
    ]


@pytest.mark.parametrize("doc", [[], {"swagger": "2.0"}, {"openapi": "3.0.0", "paths": []}])
def test_diff_specs_rejects_non_openapi(doc: Any) -> None:
    with pytest.raises(SpecError):
        diff_specs(doc, spec({}))
