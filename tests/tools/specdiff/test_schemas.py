"""Schemas family: every schema change at every kind of schema location, properties,
sub-schemas, compositions, patterns, lifecycle."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from tests.tools.oas import (
    OK,
    get_header,
    get_param,
    get_response,
    obj,
    post_body,
    ref,
    spec,
    summary,
)
from tests.tools.specdiff.cases import RuleCase, params
from tools.specdiff import Options, diff_specs
from tools.specdiff.patterns import accepts_everything, widens

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
BOOL: dict[str, Any] = {"type": "boolean"}
NUM: dict[str, Any] = {"type": "number"}
ARRAY: dict[str, Any] = {"type": "array"}
OBJECT: dict[str, Any] = {"type": "object"}
# composition branches that are not bare types (those collapse into a 3.1 type list)
A, B, C = obj({"a": STR}), obj({"b": STR}), obj({"c": STR})
ONE_OF: dict[str, Any] = {"oneOf": [A, B]}
TODAY = date(2026, 6, 1)
POLICY = Options(today=TODAY, deprecation_days=(10, 30))
AT_TODAY = Options(today=TODAY)


def _discriminated(name: str = "t", **mapping: str) -> dict[str, Any]:
    discriminator: dict[str, Any] = {"propertyName": name}
    if mapping:
        discriminator["mapping"] = mapping
    return {**ONE_OF, "discriminator": discriminator}


Levels = tuple[str | None, str | None]
#: slug -> (old schema, new schema, (level on the request side, on the response side), options)
SCHEMA_CASES: dict[str, tuple[dict[str, Any], dict[str, Any], Levels, Options | None]] = {}


def case(
    slug: str,
    old: dict[str, Any],
    new: dict[str, Any],
    request: str | None,
    response: str | None,
    options: Options | None = None,
) -> None:
    SCHEMA_CASES[slug] = (old, new, (request, response), options)


case("type-changed", INT, BOOL, "ERR", "ERR")
case("type-generalized", INT, NUM, "INFO", "ERR")
case("type-specialized", NUM, INT, None, "INFO")
case(
    "list-of-types-widened",
    {"type": ["string", "integer"]},
    {"type": ["string", "integer", "boolean"]},
    "INFO",
    "ERR",
)
case(
    "list-of-types-narrowed",
    {"type": ["string", "integer", "boolean"]},
    {"type": ["string", "integer"]},
    "ERR",
    "INFO",
)
case("became-nullable", STR, {**STR, "nullable": True}, "INFO", "ERR")
case("became-not-nullable", {**STR, "nullable": True}, STR, "ERR", "INFO")
case("enum-value-added", {**STR, "enum": ["a"]}, {**STR, "enum": ["a", "b"]}, "INFO", "WARN")
case("enum-value-removed", {**STR, "enum": ["a", "b"]}, {**STR, "enum": ["a"]}, "ERR", "INFO")
case("became-enum", STR, {**STR, "enum": ["a"]}, "ERR", "INFO")
case("enum-removed", {**STR, "enum": ["a"]}, STR, "INFO", "WARN")
case(
    "x-extensible-enum-value-removed",
    {**STR, "x-extensible-enum": ["a", "b"]},
    {**STR, "x-extensible-enum": ["a"]},
    "ERR",
    None,
)
case(
    "x-extensible-enum-value-added",
    {**STR, "x-extensible-enum": ["a"]},
    {**STR, "x-extensible-enum": ["a", "b"]},
    "INFO",
    "INFO",
)
case("const-added", STR, {**STR, "const": "a"}, "ERR", "INFO")
case("const-removed", {**STR, "const": "a"}, STR, "INFO", "ERR")
case("const-changed", {**STR, "const": "a"}, {**STR, "const": "b"}, "ERR", "ERR")
case("pattern-added", STR, {**STR, "pattern": "^a"}, "ERR", "INFO")
case("pattern-removed", {**STR, "pattern": "^a"}, STR, "INFO", "INFO")
case("pattern-changed", {**STR, "pattern": "^a"}, {**STR, "pattern": "^b"}, "WARN", "INFO")
case(
    "pattern-generalized",
    {**STR, "pattern": "^[a-z]+$"},
    {**STR, "pattern": "^[a-zA-Z]+$"},
    "INFO",
    None,
)
case("default-value-added", STR, {**STR, "default": "a"}, "INFO", "INFO")
case("default-value-removed", {**STR, "default": "a"}, STR, "INFO", "INFO")
case("default-value-changed", {**STR, "default": "a"}, {**STR, "default": "b"}, "INFO", "INFO")
case("content-media-type-changed", STR, {**STR, "contentMediaType": "image/png"}, "ERR", "ERR")
case("content-encoding-changed", STR, {**STR, "contentEncoding": "base64"}, "ERR", "ERR")
case("one-of-added", {"oneOf": [A, B]}, {"oneOf": [A, B, C]}, "INFO", "ERR")
case("one-of-removed", {"oneOf": [A, B, C]}, {"oneOf": [A, B]}, "ERR", "INFO")
case("any-of-added", {"anyOf": [A, B]}, {"anyOf": [A, B, C]}, "INFO", "ERR")
case("any-of-removed", {"anyOf": [A, B, C]}, {"anyOf": [A, B]}, "ERR", "INFO")
case("one-of-became-any-of", {"oneOf": [A, B]}, {"anyOf": [B, A]}, "INFO", "INFO")
case("any-of-became-one-of", {"anyOf": [A, B]}, {"oneOf": [A, B]}, "INFO", "INFO")
# two conflicting parts keep the allOf from being merged into one schema
case(
    "all-of-added",
    {"allOf": [{"maxLength": 9}, {"maxLength": 5}]},
    {"allOf": [{"maxLength": 9}, {"maxLength": 5}, {"minLength": 1}]},
    "ERR",
    "INFO",
)
case(
    "all-of-removed",
    {"allOf": [{"maxLength": 9}, {"maxLength": 5}, {"minLength": 1}]},
    {"allOf": [{"maxLength": 9}, {"maxLength": 5}]},
    "WARN",
    "INFO",
)
case("all-of-added-annotation-only", STR, {**STR, "allOf": [{"title": "a note"}]}, "INFO", "INFO")
case("all-of-removed-annotation-only", {**STR, "allOf": [{"title": "a note"}]}, STR, "INFO", "INFO")
case(
    "wrapped-in-one-of",
    obj({"a": STR, "b": STR}),
    {"oneOf": [obj({"a": STR, "b": STR}, ["a"]), obj({"a": STR, "b": STR}, ["b"])]},
    "ERR",
    "ERR",
)
case("discriminator-added", ONE_OF, _discriminated(), "ERR", "INFO")
case("discriminator-removed", _discriminated(), ONE_OF, "INFO", "WARN")
case("discriminator-property-name-changed", _discriminated("t"), _discriminated("k"), "ERR", "ERR")
case("discriminator-mapping-added", _discriminated(), _discriminated(a="A"), "INFO", "WARN")
case("discriminator-mapping-deleted", _discriminated(a="A"), _discriminated(), "ERR", "ERR")
case(
    "discriminator-mapping-changed",
    _discriminated(a="#/components/schemas/A"),
    _discriminated(a="B"),
    "ERR",
    "ERR",
)
case("ref-changed", {"$ref": "other.yaml#/A"}, {"$ref": "other.yaml#/B"}, "WARN", "WARN")
case(
    "additional-properties-disallowed",
    OBJECT,
    {**OBJECT, "additionalProperties": False},
    "ERR",
    "INFO",
)
case(
    "additional-properties-allowed",
    {**OBJECT, "additionalProperties": False},
    {**OBJECT, "additionalProperties": True},
    "INFO",
    "WARN",
)
case("deprecated", STR, {**STR, "deprecated": True}, "INFO", "INFO")
case(
    "deprecated-with-sunset",
    STR,
    {**STR, "deprecated": True, "x-sunset": "2027-01-01"},
    "INFO",
    "INFO",
    POLICY,
)
case("deprecated-sunset-missing", STR, {**STR, "deprecated": True}, "ERR", "ERR", POLICY)
case(
    "deprecated-sunset-invalid", STR, {**STR, "deprecated": True, "x-sunset": "soon"}, "ERR", "ERR"
)
case(
    "sunset-date-too-small",
    STR,
    {**STR, "deprecated": True, "x-sunset": "2026-06-05"},
    "ERR",
    "ERR",
    POLICY,
)
case("reactivated", {**STR, "deprecated": True}, STR, "INFO", "INFO")
case("stability-decreased", STR, {**STR, "x-stability-level": "beta"}, "ERR", "ERR")
case("stability-increased", {**STR, "x-stability-level": "beta"}, STR, "INFO", "INFO")
# sub-schemas: added or removed as a whole
for _keyword, _slug, _base in [
    ("not", "not", STR),
    ("if", "if", OBJECT),
    ("then", "then", OBJECT),
    ("else", "else", OBJECT),
    ("propertyNames", "property-names", OBJECT),
    ("contains", "contains", ARRAY),
    ("contentSchema", "content-schema", STR),
    ("unevaluatedItems", "unevaluated-items", ARRAY),
    ("unevaluatedProperties", "unevaluated-properties", OBJECT),
]:
    case(f"{_slug}-added", _base, {**_base, _keyword: {"maxLength": 3}}, "ERR", "INFO")
    case(f"{_slug}-removed", {**_base, _keyword: {"maxLength": 3}}, _base, "INFO", "ERR")
case("pattern-property-added", OBJECT, {**OBJECT, "patternProperties": {"^a": INT}}, "ERR", "INFO")
case(
    "pattern-property-removed", {**OBJECT, "patternProperties": {"^a": INT}}, OBJECT, "INFO", "ERR"
)
case(
    "dependent-schema-added",
    OBJECT,
    {**OBJECT, "dependentSchemas": {"a": {"required": ["b"]}}},
    "ERR",
    "INFO",
)
case(
    "dependent-schema-removed",
    {**OBJECT, "dependentSchemas": {"a": {"required": ["b"]}}},
    OBJECT,
    "INFO",
    "ERR",
)
case("prefix-items-added", ARRAY, {**ARRAY, "prefixItems": [STR]}, "ERR", "INFO")
case("prefix-items-removed", {**ARRAY, "prefixItems": [STR]}, ARRAY, "INFO", "ERR")

#: keywords compared by their text: (schema without it, with it, with another value or None)
KEYWORD_CASES: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]] = {
    "multiple-of": (INT, {**INT, "multipleOf": 2}, {**INT, "multipleOf": 3}),
    "unique-items": (ARRAY, {**ARRAY, "uniqueItems": True}, None),
    "dependent-required": (
        OBJECT,
        {**OBJECT, "dependentRequired": {"a": ["b"]}},
        {**OBJECT, "dependentRequired": {"a": ["c"]}},
    ),
}
for _slug, (_without, _with, _other) in KEYWORD_CASES.items():
    case(f"{_slug}-added", _without, _with, "ERR", "INFO")
    case(f"{_slug}-removed", _with, _without, "INFO", "ERR")
    if _other is not None:
        case(f"{_slug}-changed", _with, _other, "ERR", "ERR")

#: bound keyword -> (rule slug, type it applies to, True for an upper bound)
BOUND_CASES = {
    "maximum": ("max", "number", True),
    "exclusiveMaximum": ("exclusive-max", "number", True),
    "maxLength": ("max-length", "string", True),
    "maxItems": ("max-items", "array", True),
    "maxProperties": ("max-properties", "object", True),
    "maxContains": ("max-contains", "array", True),
    "minimum": ("min", "number", False),
    "exclusiveMinimum": ("exclusive-min", "number", False),
    "minLength": ("min-length", "string", False),
    "minItems": ("min-items", "array", False),
    "minProperties": ("min-properties", "object", False),
    "minContains": ("min-contains", "array", False),
}
for _keyword, (_slug, _type, _upper) in BOUND_CASES.items():
    _plain = {"type": _type}
    _low, _high = {**_plain, _keyword: 5}, {**_plain, _keyword: 10}
    # narrowing: ERR for a request (a new bound: WARN), INFO for a response; widening: reverse
    case(f"{_slug}-set", _plain, _low, "WARN", "INFO")
    case(f"{_slug}-unset", _low, _plain, "INFO", "ERR")
    _narrow, _wide = ("ERR", "INFO"), ("INFO", "ERR")
    case(f"{_slug}-increased", _low, _high, *(_wide if _upper else _narrow))
    case(f"{_slug}-decreased", _high, _low, *(_narrow if _upper else _wide))


def _header_param(schema: Any) -> dict[str, Any]:
    param = {"name": "X-P", "in": "header", "schema": schema}
    return {"/x": {"get": {"parameters": [param], "responses": OK}}}


#: subject -> (builds the paths of a spec around a schema, True for the request side)
PLACEMENTS: dict[str, tuple[Callable[[Any], dict[str, Any]], bool]] = {
    "request-body": (post_body, True),
    "request-property": (lambda s: post_body(obj({"p": s})), True),
    "request-parameter": (get_param, True),
    "request-parameter-property": (lambda s: get_param(obj({"p": s})), True),
    "request-header-property": (lambda s: _header_param(obj({"p": s})), True),
    "response-body": (get_response, False),
    "response-property": (lambda s: get_response(obj({"p": s})), False),
    "response-header": (get_header, False),
}

#: (subject, slug) -> level, where one subject differs from the rest of its side (None: the
#: change is not reported there)
SUBJECT_LEVELS: dict[tuple[str, str], str | None] = {
    ("request-parameter", "default-value-added"): "ERR",
    ("request-parameter", "default-value-removed"): "ERR",
    ("request-parameter", "default-value-changed"): "ERR",
    ("request-parameter-property", "type-changed"): "WARN",
    ("request-parameter-property", "type-specialized"): "ERR",
    **{
        ("request-parameter", slug): None
        for slug in (
            "deprecated",
            "deprecated-with-sunset",
            "deprecated-sunset-missing",
            "deprecated-sunset-invalid",
            "sunset-date-too-small",
            "reactivated",
        )
    },
}
#: (subject, slug) -> the id oasdiff gives it there
SUBJECT_IDS = {("response-body", "enum-value-removed"): "response-mediatype-enum-value-removed"}


def matrix() -> list[Any]:
    found = []
    for slug, (_, _, (request, response), _) in SCHEMA_CASES.items():
        for subject, (_, is_request) in PLACEMENTS.items():
            level = SUBJECT_LEVELS.get((subject, slug), request if is_request else response)
            if level is not None:
                rule_id = SUBJECT_IDS.get((subject, slug), f"{subject}-{slug}")
                found.append(pytest.param(subject, slug, rule_id, level, id=rule_id))
    return found


SCHEMA_MATRIX = matrix()
#: every id the matrix asserts
MATRIX_IDS = {param.values[2] for param in SCHEMA_MATRIX}


@pytest.mark.parametrize(("subject", "slug", "rule_id", "level"), SCHEMA_MATRIX)
def test_schema_rule(subject: str, slug: str, rule_id: str, level: str) -> None:
    old_schema, new_schema, _, options = SCHEMA_CASES[slug]
    build, _ = PLACEMENTS[subject]
    findings = diff_specs(spec(build(old_schema)), spec(build(new_schema)), options)
    assert summary(findings) == [(rule_id, level)]


# --- rules with fixed ids, and the type rules of text bodies ---------------------------------


def _xml(schema: Any, request: bool) -> dict[str, Any]:
    content = {"application/xml": {"schema": schema}}
    if request:
        return {"/x": {"post": {"requestBody": {"content": content}, "responses": OK}}}
    return {"/x": {"get": {"responses": {"200": {"description": "ok", "content": content}}}}}


def _closed(properties: dict[str, Any], closed: bool = True) -> dict[str, Any]:
    schema = obj(properties)
    if closed:
        schema["additionalProperties"] = False
    return schema


CASES = [
    RuleCase(
        "request-body-type-compatible", "INFO", spec(_xml(OBJECT, True)), spec(_xml(STR, True))
    ),
    RuleCase(
        "request-property-type-compatible",
        "INFO",
        spec(_xml(obj({"p": INT}), True)),
        spec(_xml(obj({"p": STR}), True)),
    ),
    RuleCase(
        "response-body-type-compatible", "INFO", spec(_xml(STR, False)), spec(_xml(INT, False))
    ),
    RuleCase(
        "response-property-type-compatible",
        "INFO",
        spec(_xml(obj({"p": STR}), False)),
        spec(_xml(obj({"p": INT}), False)),
    ),
    RuleCase(
        "request-parameter-type-compatible", "INFO", spec(get_param(INT)), spec(get_param(STR))
    ),
    RuleCase(
        "request-header-property-type-compatible",
        "INFO",
        spec(_header_param(obj({"p": INT}))),
        spec(_header_param(obj({"p": STR}))),
    ),
    RuleCase(
        "response-header-type-compatible", "INFO", spec(get_header(STR)), spec(get_header(INT))
    ),
    RuleCase(
        "new-required-request-property",
        "ERR",
        spec(post_body(obj({}))),
        spec(post_body(obj({"p": STR}, ["p"]))),
    ),
    RuleCase(
        "new-required-request-property-with-default",
        "ERR",
        spec(post_body(obj({}))),
        spec(post_body(obj({"p": {**STR, "default": "a"}}, ["p"]))),
    ),
    RuleCase(
        "new-optional-request-property",
        "INFO",
        spec(post_body(obj({}))),
        spec(post_body(obj({"p": STR}))),
    ),
    RuleCase(
        "new-required-request-header-property",
        "ERR",
        spec(_header_param(obj({}))),
        spec(_header_param(obj({"p": STR}, ["p"]))),
    ),
    RuleCase(
        "request-property-removed",
        "WARN",
        spec(post_body(obj({"p": STR}))),
        spec(post_body(obj({}))),
    ),
    RuleCase(
        "request-property-removed-from-closed-object",
        "ERR",
        spec(post_body(_closed({"p": STR, "q": STR}))),
        spec(post_body(_closed({"q": STR}))),
    ),
    RuleCase(
        "request-property-became-required",
        "ERR",
        spec(post_body(obj({"p": STR}))),
        spec(post_body(obj({"p": STR}, ["p"]))),
    ),
    RuleCase(
        "request-property-became-required-with-default",
        "ERR",
        spec(post_body(obj({"p": {**STR, "default": "a"}}))),
        spec(post_body(obj({"p": {**STR, "default": "a"}}, ["p"]))),
    ),
    RuleCase(
        "request-property-became-optional",
        "INFO",
        spec(post_body(obj({"p": STR}, ["p"]))),
        spec(post_body(obj({"p": STR}))),
    ),
    RuleCase(
        "request-header-property-became-required",
        "ERR",
        spec(_header_param(obj({"p": STR}))),
        spec(_header_param(obj({"p": STR}, ["p"]))),
    ),
    RuleCase(
        "request-property-became-read-only",
        "WARN",
        spec(post_body(obj({"p": STR}))),
        spec(post_body(obj({"p": {**STR, "readOnly": True}}))),
    ),
    RuleCase(
        "response-required-property-removed",
        "ERR",
        spec(get_response(obj({"p": STR}, ["p"]))),
        spec(get_response(obj({}))),
    ),
    RuleCase(
        "response-optional-property-removed",
        "WARN",
        spec(get_response(obj({"p": STR}))),
        spec(get_response(obj({}))),
    ),
    RuleCase(
        "response-required-property-became-write-only",
        "ERR",
        spec(get_response(obj({"p": STR}, ["p"]))),
        spec(get_response(obj({"p": {**STR, "writeOnly": True}}, ["p"]))),
    ),
    RuleCase(
        "response-required-property-became-not-write-only",
        "WARN",
        spec(get_response(obj({"p": {**STR, "writeOnly": True}}, ["p"]))),
        spec(get_response(obj({"p": STR}, ["p"]))),
    ),
    RuleCase(
        "response-required-property-added",
        "INFO",
        spec(get_response(obj({}))),
        spec(get_response(obj({"p": STR}, ["p"]))),
    ),
    RuleCase(
        "response-optional-property-added",
        "INFO",
        spec(get_response(obj({}))),
        spec(get_response(obj({"p": STR}))),
    ),
    RuleCase(
        "response-property-became-optional",
        "ERR",
        spec(get_response(obj({"p": STR}, ["p"]))),
        spec(get_response(obj({"p": STR}))),
    ),
    RuleCase(
        "response-property-became-required",
        "INFO",
        spec(get_response(obj({"p": STR}))),
        spec(get_response(obj({"p": STR}, ["p"]))),
    ),
    RuleCase("api-schema-removed", "INFO", spec({}, {"Gone": STR}), spec({}, {})),
]


@pytest.mark.parametrize("case", params(CASES))
def test_rule(case: RuleCase) -> None:
    case.check()


# --- behaviour -----------------------------------------------------------------------------


def test_opening_a_closed_request_object_while_removing_a_property_breaks_nothing() -> None:
    old = spec(post_body(_closed({"p": STR, "q": STR})))
    new = spec(post_body(_closed({"q": STR}, closed=False)))
    assert summary(diff_specs(old, new)) == [
        ("request-property-removed", "WARN"),
        ("request-body-additional-properties-allowed", "INFO"),
    ]


def test_closing_a_request_object_while_removing_a_property_is_breaking() -> None:
    old = spec(post_body(_closed({"p": STR, "q": STR}, closed=False)))
    new = spec(post_body(_closed({"q": STR})))
    assert sorted(summary(diff_specs(old, new))) == [
        ("request-body-additional-properties-disallowed", "ERR"),
        ("request-property-removed-from-closed-object", "ERR"),
    ]


@pytest.mark.parametrize(
    ("keyword", "old", "new", "path"),
    [
        (
            "not",
            {"not": obj({"a": {"maxLength": 5}})},
            {"not": obj({"a": {"maxLength": 3}})},
            "not/a",
        ),
        ("if", {"if": obj({"a": {"maxLength": 5}})}, {"if": obj({"a": {"maxLength": 3}})}, "if/a"),
        ("then", {"then": {"maxLength": 5}}, {"then": {"maxLength": 3}}, "then"),
        ("else", {"else": {"maxLength": 5}}, {"else": {"maxLength": 3}}, "else"),
        (
            "propertyNames",
            {"propertyNames": {"maxLength": 5}},
            {"propertyNames": {"maxLength": 3}},
            "propertyNames",
        ),
        ("contains", {"contains": {"maxLength": 5}}, {"contains": {"maxLength": 3}}, "contains"),
        (
            "contentSchema",
            {"contentSchema": {"maxLength": 5}},
            {"contentSchema": {"maxLength": 3}},
            "contentSchema",
        ),
        (
            "unevaluatedItems",
            {"unevaluatedItems": {"maxLength": 5}},
            {"unevaluatedItems": {"maxLength": 3}},
            "unevaluatedItems",
        ),
        (
            "unevaluatedProperties",
            {"unevaluatedProperties": {"maxLength": 5}},
            {"unevaluatedProperties": {"maxLength": 3}},
            "unevaluatedProperties",
        ),
        (
            "patternProperties",
            {"patternProperties": {"^a": {"maxLength": 5}}},
            {"patternProperties": {"^a": {"maxLength": 3}}},
            "patternProperties/^a",
        ),
        (
            "dependentSchemas",
            {"dependentSchemas": {"a": {"maxLength": 5}}},
            {"dependentSchemas": {"a": {"maxLength": 3}}},
            "dependentSchemas/a",
        ),
        (
            "prefixItems",
            {"prefixItems": [STR, {"maxLength": 5}]},
            {"prefixItems": [STR, {"maxLength": 3}]},
            "prefixItems/1",
        ),
    ],
)
def test_a_change_inside_a_sub_schema_is_reported_with_its_own_rule(
    keyword: str, old: dict[str, Any], new: dict[str, Any], path: str
) -> None:
    (finding,) = diff_specs(spec(post_body(old)), spec(post_body(new)))
    assert finding.id.endswith("-max-length-decreased"), keyword
    assert finding.path == f"requestBody/content/application/json/schema/{path}"


def test_pattern_empty_is_no_pattern() -> None:
    assert diff_specs(spec(post_body({**STR, "pattern": ""})), spec(post_body(STR))) == []


@pytest.mark.parametrize(
    ("old", "new", "wider"),
    [
        ("^[a-z]+$", ".*", True),
        ("^[a-z]+$", "^.*", True),
        ("^[a-z]+$", "^[a-zA-Z]+$", True),
        ("^[a-z]+$", "^[a-z]*$", True),
        ("^[a-z]{2,5}$", "^[a-z]{1,10}$", True),
        ("^a$", "^(?:a|b)$", True),
        (r"^\d+$", r"^\w+$", True),
        ("^[a-z]*$", "^[a-z]+$", False),
        (r"^\w+$", r"^\d+$", False),
        ("^[a-d]$", "^[a-c]$", False),
        ("^a", "^b", False),
        ("^x", "^.*$", False),  # '.' does not match a newline, which ^x accepts after the x
        ("^a$", "(", False),
    ],
)
def test_pattern_widening_is_proved_or_not_claimed(old: str, new: str, wider: bool) -> None:
    assert widens(old, new) is wider
    rule = "pattern-generalized" if wider else "pattern-changed"
    found = diff_specs(
        spec(post_body({**STR, "pattern": old})), spec(post_body({**STR, "pattern": new}))
    )
    assert [f.id for f in found] == [f"request-body-{rule}"]


def test_patterns_that_accept_everything() -> None:
    assert [accepts_everything(p) for p in (".*", "^.*", "", r"[\s\S]*", "a*")] == [True] * 5
    assert [accepts_everything(p) for p in ("^.*$", ".+", "^a", "(?=a).*")] == [False] * 4


def test_all_of_parts_added_to_an_existing_all_of_are_structure() -> None:
    schemas = {"A": obj({"a": STR}), "B": obj({"b": STR})}
    old = spec(get_response({"allOf": [ref("A")]}), schemas)
    new = spec(get_response({"allOf": [ref("A"), ref("B")]}), schemas)
    assert sorted(summary(diff_specs(old, new))) == [
        ("response-body-all-of-added", "INFO"),
        ("response-optional-property-added", "INFO"),
    ]


def test_exclusive_bounds_are_reported_as_themselves() -> None:
    old = {"type": "number", "minimum": 10, "exclusiveMinimum": 5}
    new = {"type": "number", "minimum": 5, "exclusiveMinimum": 2}
    assert sorted(summary(diff_specs(spec(get_response(old)), spec(get_response(new))))) == [
        ("response-body-exclusive-min-decreased", "ERR"),
        ("response-body-min-decreased", "ERR"),
    ]


def test_type_specialized_is_info_for_responses_and_a_change_for_requests() -> None:
    response_side = diff_specs(spec(get_response(NUM)), spec(get_response(INT)))
    request_side = diff_specs(spec(post_body(NUM)), spec(post_body(INT)))
    assert summary(response_side) == [("response-body-type-specialized", "INFO")]
    assert summary(request_side) == [("request-body-type-changed", "ERR")]


def test_property_sunset_is_judged_at_options_today() -> None:
    old = spec(get_response(obj({"p": STR})))
    new = spec(get_response(obj({"p": {**STR, "deprecated": True, "x-sunset": "2026-06-20"}})))
    assert summary(diff_specs(old, new, Options(today=TODAY, deprecation_days=(0, 10)))) == [
        ("response-property-deprecated-with-sunset", "INFO")
    ]
    assert summary(diff_specs(old, new, Options(today=TODAY, deprecation_days=(0, 30)))) == [
        ("response-property-sunset-date-too-small", "ERR")
    ]
