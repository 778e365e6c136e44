"""Request bodies family: added, removed, required, media types and their schemas."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tools.oas import OK, body, obj, spec, summary
from tests.tools.specdiff.cases import RuleCase, params
from tools.specdiff import diff_specs

STR: dict[str, Any] = {"type": "string"}
JSON_AND_TEXT = {
    "required": True,
    "content": {"application/json": {"schema": STR}, "text/plain": {"schema": STR}},
}


def post(request_body: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {"responses": OK}
    if request_body is not None:
        operation["requestBody"] = request_body
    return {"/x": {"post": operation}}


def without_schema() -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {}}}


CASES = [
    RuleCase("request-body-added-required", "ERR", spec(post(None)), spec(post(body(STR)))),
    RuleCase(
        "request-body-added-optional",
        "INFO",
        spec(post(None)),
        spec(post(body(STR, required=False))),
    ),
    RuleCase("request-body-removed", "ERR", spec(post(body(STR))), spec(post(None))),
    RuleCase(
        "request-body-became-required",
        "ERR",
        spec(post(body(STR, required=False))),
        spec(post(body(STR))),
    ),
    RuleCase(
        "request-body-became-optional",
        "INFO",
        spec(post(body(STR))),
        spec(post(body(STR, required=False))),
    ),
    RuleCase(
        "request-body-media-type-added", "INFO", spec(post(body(STR))), spec(post(JSON_AND_TEXT))
    ),
    RuleCase(
        "request-body-media-type-removed", "ERR", spec(post(JSON_AND_TEXT)), spec(post(body(STR)))
    ),
    RuleCase(
        "request-body-media-type-schema-added",
        "ERR",
        spec(post(without_schema())),
        spec(post(body(STR))),
    ),
    RuleCase(
        "request-body-media-type-schema-removed",
        "INFO",
        spec(post(body(STR))),
        spec(post(without_schema())),
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_rule(case: RuleCase) -> None:
    case.check()


def test_a_request_body_by_ref_is_followed() -> None:
    def doc(required: list[str]) -> dict[str, Any]:
        ref = {"$ref": "#/components/requestBodies/Body"}
        document = spec({"/x": {"post": {"requestBody": ref, "responses": OK}}})
        document["components"] = {"requestBodies": {"Body": body(obj({"p": STR}, required))}}
        return document

    assert summary(diff_specs(doc([]), doc(["p"]))) == [("request-property-became-required", "ERR")]


def test_media_type_parameters_do_not_make_another_media_type() -> None:
    def doc(media: str) -> dict[str, Any]:
        content = {media: {"schema": STR}}
        return spec(post({"content": content}))

    assert diff_specs(doc("application/json"), doc("application/json; charset=utf-8")) == []
    assert diff_specs(doc("Application/JSON;charset=UTF-8"), doc("application/json")) == []


def test_a_body_that_is_not_json_reads_any_value_as_text() -> None:
    def doc(kind: str, media: str) -> dict[str, Any]:
        return spec(post({"content": {media: {"schema": {"type": kind}}}}))

    assert summary(
        diff_specs(doc("object", "application/xml"), doc("string", "application/xml"))
    ) == [("request-body-type-compatible", "INFO")]
    assert summary(
        diff_specs(doc("object", "application/json"), doc("string", "application/json"))
    ) == [("request-body-type-changed", "ERR")]
