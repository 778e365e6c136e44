"""One case per rule: a pair of small specs and the finding (rule id, level) it must produce."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.tools.oas import (
    OK,
    body,
    get_header,
    get_param,
    get_response,
    obj,
    post_body,
    ref,
    response,
    spec,
    summary,
)
from tools.specdiff import diff_specs
from tools.specdiff.rules import RULES

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
BOOL: dict[str, Any] = {"type": "boolean"}
# composition branches that are not bare types (those collapse into a 3.1 type list)
A, B, C = obj({"a": STR}), obj({"b": STR}), obj({"c": STR})
ARRAY: dict[str, Any] = {"type": "array"}
OBJECT: dict[str, Any] = {"type": "object"}
ONE_OF: dict[str, Any] = {"oneOf": [A, B]}


def _discriminated(name: str = "t", **mapping: str) -> dict[str, Any]:
    discriminator: dict[str, Any] = {"propertyName": name}
    if mapping:
        discriminator["mapping"] = mapping
    return {**ONE_OF, "discriminator": discriminator}


# --- schema-level rules: one change, placed at every kind of schema location -------------------

#: slug -> (old schema, new schema, expected level on the request side, on the response side)
SCHEMA_CASES: dict[str, tuple[dict[str, Any], dict[str, Any], str, str]] = {
    "type-changed": (STR, INT, "ERR", "ERR"),
    "type-generalized": (INT, {"type": "number"}, "INFO", "ERR"),
    "became-nullable": (STR, {**STR, "nullable": True}, "INFO", "ERR"),
    "became-not-nullable": ({**STR, "nullable": True}, STR, "ERR", "INFO"),
    "enum-value-added": ({**STR, "enum": ["a"]}, {**STR, "enum": ["a", "b"]}, "INFO", "WARN"),
    "enum-value-removed": ({**STR, "enum": ["a", "b"]}, {**STR, "enum": ["a"]}, "ERR", "INFO"),
    "became-enum": (STR, {**STR, "enum": ["a"]}, "ERR", "INFO"),
    "enum-removed": ({**STR, "enum": ["a"]}, STR, "INFO", "WARN"),
    "const-added": (STR, {**STR, "const": "a"}, "ERR", "INFO"),
    "const-removed": ({**STR, "const": "a"}, STR, "INFO", "ERR"),
    "const-changed": ({**STR, "const": "a"}, {**STR, "const": "b"}, "ERR", "ERR"),
    "pattern-added": (STR, {**STR, "pattern": "^a"}, "ERR", "INFO"),
    "pattern-removed": ({**STR, "pattern": "^a"}, STR, "INFO", "ERR"),
    "pattern-changed": ({**STR, "pattern": "^a"}, {**STR, "pattern": "^b"}, "WARN", "WARN"),
    "default-value-added": (STR, {**STR, "default": "a"}, "INFO", "INFO"),
    "default-value-removed": ({**STR, "default": "a"}, STR, "INFO", "INFO"),
    "default-value-changed": ({**STR, "default": "a"}, {**STR, "default": "b"}, "INFO", "INFO"),
    "one-of-added": ({"oneOf": [A, B]}, {"oneOf": [A, B, C]}, "INFO", "ERR"),
    "one-of-removed": ({"oneOf": [A, B, C]}, {"oneOf": [A, B]}, "ERR", "INFO"),
    "any-of-added": ({"anyOf": [A, B]}, {"anyOf": [A, B, C]}, "INFO", "ERR"),
    "any-of-removed": ({"anyOf": [A, B, C]}, {"anyOf": [A, B]}, "ERR", "INFO"),
    "one-of-became-any-of": ({"oneOf": [A, B]}, {"anyOf": [B, A]}, "INFO", "INFO"),
    "any-of-became-one-of": ({"anyOf": [A, B]}, {"oneOf": [A, B]}, "INFO", "INFO"),
    "discriminator-added": (ONE_OF, _discriminated(), "ERR", "INFO"),
    "discriminator-removed": (_discriminated(), ONE_OF, "INFO", "WARN"),
    "discriminator-property-name-changed": (_discriminated("t"), _discriminated("k"), "ERR", "ERR"),
    "discriminator-mapping-added": (_discriminated(), _discriminated(a="A"), "INFO", "WARN"),
    "discriminator-mapping-deleted": (_discriminated(a="A"), _discriminated(), "ERR", "ERR"),
    "discriminator-mapping-changed": (
        _discriminated(a="#/components/schemas/A"),
        _discriminated(a="B"),
        "ERR",
        "ERR",
    ),
    "ref-changed": ({"$ref": "other.yaml#/A"}, {"$ref": "other.yaml#/B"}, "WARN", "WARN"),
    # two conflicting parts keep the allOf from being merged into one schema
    "all-of-added": (
        {"allOf": [{"maxLength": 9}, {"maxLength": 5}]},
        {"allOf": [{"maxLength": 9}, {"maxLength": 5}, {"minLength": 1}]},
        "ERR",
        "INFO",
    ),
    "all-of-removed": (
        {"allOf": [{"maxLength": 9}, {"maxLength": 5}, {"minLength": 1}]},
        {"allOf": [{"maxLength": 9}, {"maxLength": 5}]},
        "INFO",
        "ERR",
    ),
    "additional-properties-disallowed": (
        {"type": "object"},
        {"type": "object", "additionalProperties": False},
        "ERR",
        "INFO",
    ),
    "additional-properties-allowed": (
        {"type": "object", "additionalProperties": False},
        {"type": "object", "additionalProperties": True},
        "INFO",
        "WARN",
    ),
    "deprecated": (STR, {**STR, "deprecated": True}, "INFO", "INFO"),
    "reactivated": ({**STR, "deprecated": True}, STR, "INFO", "INFO"),
}

#: keyword slug -> (schema without it, with it, with another value or None)
KEYWORD_CASES: dict[str, tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]] = {
    "multiple-of": (INT, {**INT, "multipleOf": 2}, {**INT, "multipleOf": 3}),
    "unique-items": (ARRAY, {**ARRAY, "uniqueItems": True}, None),
    "not": (STR, {**STR, "not": {"enum": ["x"]}}, {**STR, "not": {"enum": ["y"]}}),
    "pattern-properties": (
        OBJECT,
        {**OBJECT, "patternProperties": {"^a": INT}},
        {**OBJECT, "patternProperties": {"^b": INT}},
    ),
    "property-names": (
        OBJECT,
        {**OBJECT, "propertyNames": {"maxLength": 3}},
        {**OBJECT, "propertyNames": {"maxLength": 4}},
    ),
    "dependent-required": (
        OBJECT,
        {**OBJECT, "dependentRequired": {"a": ["b"]}},
        {**OBJECT, "dependentRequired": {"a": ["c"]}},
    ),
    "prefix-items": (ARRAY, {**ARRAY, "prefixItems": [STR]}, {**ARRAY, "prefixItems": [INT]}),
}

for _slug, (_without, _with, _other) in KEYWORD_CASES.items():
    # added: requests may now fail; removed: responses may now hold more; changed: both
    SCHEMA_CASES[f"{_slug}-added"] = (_without, _with, "ERR", "INFO")
    SCHEMA_CASES[f"{_slug}-removed"] = (_with, _without, "INFO", "ERR")
    if _other is not None:
        SCHEMA_CASES[f"{_slug}-changed"] = (_with, _other, "ERR", "ERR")

#: bound keyword -> (rule slug, type it applies to, True for an upper bound)
BOUND_CASES = {
    "maximum": ("max", "number", True),
    "exclusiveMaximum": ("exclusive-max", "number", True),
    "maxLength": ("max-length", "string", True),
    "maxItems": ("max-items", "array", True),
    "maxProperties": ("max-properties", "object", True),
    "minimum": ("min", "number", False),
    "exclusiveMinimum": ("exclusive-min", "number", False),
    "minLength": ("min-length", "string", False),
    "minItems": ("min-items", "array", False),
    "minProperties": ("min-properties", "object", False),
}

for _keyword, (_slug, _type, _upper) in BOUND_CASES.items():
    _plain = {"type": _type}
    _low, _high = {**_plain, _keyword: 5}, {**_plain, _keyword: 10}
    # narrowing: ERR for a request, INFO for a response; widening the other way round
    _narrow, _wide = ("ERR", "INFO"), ("INFO", "ERR")
    SCHEMA_CASES[f"{_slug}-set"] = (_plain, _low, *_narrow)
    SCHEMA_CASES[f"{_slug}-unset"] = (_low, _plain, *_wide)
    SCHEMA_CASES[f"{_slug}-increased"] = (_low, _high, *(_wide if _upper else _narrow))
    SCHEMA_CASES[f"{_slug}-decreased"] = (_high, _low, *(_narrow if _upper else _wide))

#: subject -> (builds the paths of a spec around a schema, True for the request side)
PLACEMENTS: dict[str, tuple[Callable[[Any], dict[str, Any]], bool]] = {
    "request-body": (post_body, True),
    "request-property": (lambda s: post_body(obj({"p": s})), True),
    "request-parameter": (get_param, True),
    "response-body": (get_response, False),
    "response-property": (lambda s: get_response(obj({"p": s})), False),
    "response-header": (get_header, False),
}

#: rule id -> level, where one subject differs from the rest of its side
SUBJECT_LEVELS = {"request-parameter-default-value-changed": "WARN"}

SCHEMA_MATRIX = [
    pytest.param(subject, slug, id=f"{subject}-{slug}")
    for slug in SCHEMA_CASES
    for subject in PLACEMENTS
]


@pytest.mark.parametrize(("subject", "slug"), SCHEMA_MATRIX)
def test_schema_rule(subject: str, slug: str) -> None:
    old_schema, new_schema, request_level, response_level = SCHEMA_CASES[slug]
    build, request = PLACEMENTS[subject]
    findings = diff_specs(spec(build(old_schema)), spec(build(new_schema)))
    rule_id = f"{subject}-{slug}"
    level = SUBJECT_LEVELS.get(rule_id, request_level if request else response_level)
    assert summary(findings) == [(rule_id, level)]


def test_type_specialized_is_info_for_responses_only() -> None:
    number, integer = {"type": "number"}, {"type": "integer"}
    response_side = diff_specs(spec(get_response(number)), spec(get_response(integer)))
    request_side = diff_specs(spec(post_body(number)), spec(post_body(integer)))
    assert summary(response_side) == [("response-body-type-specialized", "INFO")]
    assert summary(request_side) == [("request-body-type-changed", "ERR")]


# --- rules that are not about one schema keyword -----------------------------------------------

GET = {"get": {"responses": OK}}
DEPRECATED_GET = {"get": {"deprecated": True, "responses": OK}}


def _param(name: str, where: str = "query", **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "schema": STR, **extra}


def _params(*params: dict[str, Any]) -> dict[str, Any]:
    return {"/x": {"get": {"parameters": list(params), "responses": OK}}}


def _responses(responses: dict[str, Any]) -> dict[str, Any]:
    return {"/x": {"get": {"responses": responses}}}


def _headers(headers: dict[str, Any]) -> dict[str, Any]:
    return _responses({"200": {"description": "ok", "headers": headers}})


def _request(request_body: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {"responses": OK}
    if request_body is not None:
        operation["requestBody"] = request_body
    return {"/x": {"post": operation}}


def _secured(security: list[dict[str, list[str]]] | None) -> dict[str, Any]:
    doc = spec({"/x": GET})
    if security is not None:
        doc["security"] = security
    return doc


def _served(urls: list[str] | None) -> dict[str, Any]:
    doc = spec({"/x": GET})
    if urls is not None:
        doc["servers"] = [{"url": url} for url in urls]
    return doc


JSON_AND_TEXT = {
    "required": True,
    "content": {"application/json": {"schema": STR}, "text/plain": {"schema": STR}},
}

FIXED_CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    # (rule id, level, old spec, new spec)
    ("endpoint-added", "INFO", spec({}), spec({"/x": GET})),
    ("endpoint-deprecated", "INFO", spec({"/x": GET}), spec({"/x": DEPRECATED_GET})),
    ("endpoint-reactivated", "INFO", spec({"/x": DEPRECATED_GET}), spec({"/x": GET})),
    ("api-path-removed-without-deprecation", "ERR", spec({"/x": GET}), spec({})),
    ("api-path-removed-with-deprecation", "INFO", spec({"/x": DEPRECATED_GET}), spec({})),
    (
        "api-removed-without-deprecation",
        "ERR",
        spec({"/x": {**GET, "post": {"responses": OK}}}),
        spec({"/x": {"post": {"responses": OK}}}),
    ),
    (
        "api-removed-with-deprecation",
        "INFO",
        spec({"/x": {**DEPRECATED_GET, "post": {"responses": OK}}}),
        spec({"/x": {"post": {"responses": OK}}}),
    ),
    ("api-schema-removed", "INFO", spec({}, {"Gone": STR}), spec({}, {})),
    (
        "new-required-request-parameter",
        "ERR",
        spec(_params()),
        spec(_params(_param("q", required=True))),
    ),
    ("new-optional-request-parameter", "INFO", spec(_params()), spec(_params(_param("q")))),
    (
        "new-request-path-parameter",
        "ERR",
        spec({"/x/{id}": GET}),
        spec({"/x/{id}": {"get": {"parameters": [_param("id", "path")], "responses": OK}}}),
    ),
    ("request-parameter-removed", "WARN", spec(_params(_param("q"))), spec(_params())),
    (
        "request-parameter-removed-with-deprecation",
        "INFO",
        spec(_params(_param("q", deprecated=True))),
        spec(_params()),
    ),
    (
        "request-parameter-became-required",
        "ERR",
        spec(_params(_param("q"))),
        spec(_params(_param("q", required=True))),
    ),
    (
        "request-parameter-became-optional",
        "INFO",
        spec(_params(_param("q", required=True))),
        spec(_params(_param("q"))),
    ),
    (
        "request-parameter-deprecated",
        "INFO",
        spec(_params(_param("q"))),
        spec(_params(_param("q", deprecated=True))),
    ),
    (
        "request-parameter-reactivated",
        "INFO",
        spec(_params(_param("q", deprecated=True))),
        spec(_params(_param("q"))),
    ),
    ("request-body-added-required", "ERR", spec(_request(None)), spec(_request(body(STR)))),
    (
        "request-body-added-optional",
        "INFO",
        spec(_request(None)),
        spec(_request(body(STR, required=False))),
    ),
    ("request-body-removed", "ERR", spec(_request(body(STR))), spec(_request(None))),
    (
        "request-body-became-required",
        "ERR",
        spec(_request(body(STR, required=False))),
        spec(_request(body(STR))),
    ),
    (
        "request-body-became-optional",
        "INFO",
        spec(_request(body(STR))),
        spec(_request(body(STR, required=False))),
    ),
    (
        "request-body-media-type-added",
        "INFO",
        spec(_request(body(STR))),
        spec(_request(JSON_AND_TEXT)),
    ),
    (
        "request-body-media-type-removed",
        "ERR",
        spec(_request(JSON_AND_TEXT)),
        spec(_request(body(STR))),
    ),
    (
        "new-required-request-property",
        "ERR",
        spec(post_body(obj({}))),
        spec(post_body(obj({"p": STR}, ["p"]))),
    ),
    (
        "new-optional-request-property",
        "INFO",
        spec(post_body(obj({}))),
        spec(post_body(obj({"p": STR}))),
    ),
    (
        "request-property-removed",
        "WARN",
        spec(post_body(obj({"p": STR}))),
        spec(post_body(obj({}))),
    ),
    (
        "request-property-removed-from-closed-object",
        "ERR",
        spec(post_body({**obj({"p": STR, "q": STR}), "additionalProperties": False})),
        spec(post_body({**obj({"q": STR}), "additionalProperties": False})),
    ),
    (
        "request-parameter-style-changed",
        "ERR",
        spec(_params(_param("q", style="form", explode=False))),
        spec(_params(_param("q", style="spaceDelimited", explode=False))),
    ),
    (
        "request-parameter-explode-changed",
        "ERR",
        spec(_params(_param("q"))),
        spec(_params(_param("q", explode=False))),
    ),
    (
        "api-security-removed",
        "ERR",
        _secured([{"key": []}, {"oauth": ["read"]}]),
        _secured([{"key": []}]),
    ),
    ("api-security-scheme-added", "ERR", _secured(None), _secured([{"key": []}])),
    ("api-security-added", "INFO", _secured([{"key": []}]), _secured([{"key": []}, {}])),
    (
        "api-server-changed",
        "WARN",
        _served(["https://a.example/v1"]),
        _served(["https://a.example/v2"]),
    ),
    (
        "api-server-removed",
        "WARN",
        _served(["https://a.example/v1", "https://b.example/v1"]),
        _served(["https://a.example/v1"]),
    ),
    ("api-server-added", "INFO", _served(None), _served(["https://a.example/v1"])),
    (
        "request-property-became-required",
        "ERR",
        spec(post_body(obj({"p": STR}))),
        spec(post_body(obj({"p": STR}, ["p"]))),
    ),
    (
        "request-property-became-optional",
        "INFO",
        spec(post_body(obj({"p": STR}, ["p"]))),
        spec(post_body(obj({"p": STR}))),
    ),
    (
        "response-success-status-added",
        "WARN",
        spec(_responses(OK)),
        spec(_responses({**OK, "201": {"description": "created"}})),
    ),
    (
        "response-success-status-removed",
        "ERR",
        spec(_responses({**OK, "201": {"description": "created"}})),
        spec(_responses(OK)),
    ),
    (
        "response-non-success-status-added",
        "INFO",
        spec(_responses(OK)),
        spec(_responses({**OK, "404": {"description": "missing"}})),
    ),
    (
        "response-non-success-status-removed",
        "INFO",
        spec(_responses({**OK, "default": {"description": "error"}})),
        spec(_responses(OK)),
    ),
    (
        "response-media-type-added",
        "WARN",
        spec(_responses(response(STR))),
        spec(
            _responses(
                {"200": {"description": "ok", "content": JSON_AND_TEXT["content"]}},
            )
        ),
    ),
    (
        "response-non-success-media-type-added",
        "INFO",
        spec(_responses({**OK, **response(STR, "400")})),
        spec(
            _responses({**OK, "400": {"description": "bad", "content": JSON_AND_TEXT["content"]}})
        ),
    ),
    (
        "response-media-type-removed",
        "ERR",
        spec(_responses({"200": {"description": "ok", "content": JSON_AND_TEXT["content"]}})),
        spec(_responses(response(STR))),
    ),
    ("response-header-added", "INFO", spec(_headers({})), spec(_headers({"X-A": {"schema": STR}}))),
    (
        "required-response-header-removed",
        "ERR",
        spec(_headers({"X-A": {"required": True, "schema": STR}})),
        spec(_headers({})),
    ),
    (
        "optional-response-header-removed",
        "WARN",
        spec(_headers({"X-A": {"schema": STR}})),
        spec(_headers({})),
    ),
    (
        "response-header-became-optional",
        "ERR",
        spec(_headers({"X-A": {"required": True, "schema": STR}})),
        spec(_headers({"X-A": {"schema": STR}})),
    ),
    (
        "response-required-property-removed",
        "ERR",
        spec(get_response(obj({"p": STR}, ["p"]))),
        spec(get_response(obj({}))),
    ),
    (
        "response-optional-property-removed",
        "WARN",
        spec(get_response(obj({"p": STR}))),
        spec(get_response(obj({}))),
    ),
    (
        "response-required-property-added",
        "INFO",
        spec(get_response(obj({}))),
        spec(get_response(obj({"p": STR}, ["p"]))),
    ),
    (
        "response-optional-property-added",
        "INFO",
        spec(get_response(obj({}))),
        spec(get_response(obj({"p": STR}))),
    ),
    (
        "response-property-became-optional",
        "ERR",
        spec(get_response(obj({"p": STR}, ["p"]))),
        spec(get_response(obj({"p": STR}))),
    ),
    (
        "response-property-became-required",
        "INFO",
        spec(get_response(obj({"p": STR}))),
        spec(get_response(obj({"p": STR}, ["p"]))),
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "level", "old", "new"), [pytest.param(*case, id=case[0]) for case in FIXED_CASES]
)
def test_fixed_rule(rule_id: str, level: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    assert summary(diff_specs(old, new)) == [(rule_id, level)]


def test_every_rule_in_the_catalog_has_a_case() -> None:
    covered = {rule_id for rule_id, *_ in FIXED_CASES}
    covered |= {f"{subject}-{slug}" for subject in PLACEMENTS for slug in SCHEMA_CASES}
    covered.add("response-body-type-specialized")
    # response-property/-header type-specialized: same code path as response-body's
    covered |= {"response-property-type-specialized", "response-header-type-specialized"}
    assert set(RULES) == covered


def test_removed_component_is_a_document_level_finding() -> None:
    (finding,) = diff_specs(spec({}, {"Gone": STR}), spec({}, {}))
    assert finding.operation is None
    assert finding.path == "components/schemas/Gone"
    assert (finding.old, finding.new) == ("Gone", None)


def test_use_of_ref_for_request_body() -> None:
    old = spec({"/x": {"post": {"requestBody": {"$ref": "#/components/requestBodies/Body"}}}})
    old["components"] = {"requestBodies": {"Body": body(obj({"p": STR}))}}
    new = spec({"/x": {"post": {"requestBody": {"$ref": "#/components/requestBodies/Body"}}}})
    new["components"] = {"requestBodies": {"Body": body(obj({"p": STR}, ["p"]))}}
    assert summary(diff_specs(old, new)) == [("request-property-became-required", "ERR")]


def test_ref_property_label() -> None:
    old = spec(get_response(obj({"run": ref("Run")}, ["run"])), {"Run": obj({})})
    new = spec(get_response(obj({})), {"Run": obj({})})
    (finding,) = diff_specs(old, new)
    assert (finding.id, finding.old, finding.new) == (
        "response-required-property-removed",
        "Run",
        None,
    )
