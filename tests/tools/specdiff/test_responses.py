"""Responses family: status codes, media types and their schemas."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tools.oas import OK, response, spec
from tests.tools.specdiff.cases import RuleCase, params

STR: dict[str, Any] = {"type": "string"}
BOTH = {"application/json": {"schema": STR}, "text/plain": {"schema": STR}}


def responses(value: dict[str, Any]) -> dict[str, Any]:
    return {"/x": {"get": {"responses": value}}}


def with_content(status: str, content: dict[str, Any]) -> dict[str, Any]:
    return {status: {"description": "ok", "content": content}}


CASES = [
    RuleCase(
        "response-success-status-added",
        "WARN",
        spec(responses(OK)),
        spec(responses({**OK, "201": {"description": "created"}})),
    ),
    RuleCase(
        "response-success-status-removed",
        "ERR",
        spec(responses({**OK, "201": {"description": "created"}})),
        spec(responses(OK)),
    ),
    RuleCase(
        "response-non-success-status-added",
        "INFO",
        spec(responses(OK)),
        spec(responses({**OK, "404": {"description": "missing"}})),
    ),
    RuleCase(
        "response-non-success-status-removed",
        "INFO",
        spec(responses({**OK, "default": {"description": "error"}})),
        spec(responses(OK)),
    ),
    RuleCase(
        "response-media-type-added",
        "WARN",
        spec(responses(response(STR))),
        spec(responses(with_content("200", BOTH))),
    ),
    RuleCase(
        "response-non-success-media-type-added",
        "INFO",
        spec(responses({**OK, **response(STR, "400")})),
        spec(responses({**OK, **with_content("400", BOTH)})),
    ),
    RuleCase(
        "response-media-type-removed",
        "ERR",
        spec(responses(with_content("200", BOTH))),
        spec(responses(response(STR))),
    ),
    RuleCase(
        "response-body-media-type-schema-added",
        "INFO",
        spec(responses(with_content("200", {"application/json": {}}))),
        spec(responses(response(STR))),
    ),
    RuleCase(
        "response-body-media-type-schema-removed",
        "WARN",
        spec(responses(response(STR))),
        spec(responses(with_content("200", {"application/json": {}}))),
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_rule(case: RuleCase) -> None:
    case.check()
