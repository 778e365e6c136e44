"""Headers family: response headers added, removed, required, and their text schemas."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tools.oas import get_header, spec, summary
from tests.tools.specdiff.cases import RuleCase, params
from tools.specdiff import diff_specs

STR: dict[str, Any] = {"type": "string"}


def headers(value: dict[str, Any]) -> dict[str, Any]:
    return {"/x": {"get": {"responses": {"200": {"description": "ok", "headers": value}}}}}


CASES = [
    RuleCase(
        "response-header-added", "INFO", spec(headers({})), spec(headers({"X-A": {"schema": STR}}))
    ),
    RuleCase(
        "required-response-header-removed",
        "ERR",
        spec(headers({"X-A": {"required": True, "schema": STR}})),
        spec(headers({})),
    ),
    RuleCase(
        "optional-response-header-removed",
        "WARN",
        spec(headers({"X-A": {"schema": STR}})),
        spec(headers({})),
    ),
    RuleCase(
        "response-header-became-optional",
        "ERR",
        spec(headers({"X-A": {"required": True, "schema": STR}})),
        spec(headers({"X-A": {"schema": STR}})),
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_rule(case: RuleCase) -> None:
    case.check()


def test_header_names_are_case_insensitive() -> None:
    assert (
        diff_specs(spec(headers({"X-A": {"schema": STR}})), spec(headers({"x-a": {"schema": STR}})))
        == []
    )


def test_a_header_is_text_so_reading_it_as_another_type_is_compatible() -> None:
    assert summary(diff_specs(spec(get_header(STR)), spec(get_header({"type": "integer"})))) == [
        ("response-header-type-compatible", "INFO")
    ]
