"""Parameters family: added, removed, required, deprecation and sunset, serialization."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.tools.oas import OK, get_param, spec, summary
from tests.tools.specdiff.cases import RuleCase, params
from tools.specdiff import Options, diff_specs

STR: dict[str, Any] = {"type": "string"}
TODAY = date(2026, 6, 1)
POLICY = Options(today=TODAY, deprecation_days=(10, 30))


def param(name: str, where: str = "query", **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "schema": STR, **extra}


def ops(*parameters: dict[str, Any]) -> dict[str, Any]:
    return {"/x": {"get": {"parameters": list(parameters), "responses": OK}}}


def path_level(*parameters: dict[str, Any]) -> dict[str, Any]:
    return {"/x": {"parameters": list(parameters), "get": {"responses": OK}}}


CASES = [
    RuleCase(
        "new-required-request-parameter",
        "ERR",
        spec(ops()),
        spec(ops(param("q", required=True))),
    ),
    RuleCase("new-optional-request-parameter", "INFO", spec(ops()), spec(ops(param("q")))),
    RuleCase(
        "new-request-path-parameter",
        "ERR",
        spec({"/x/{id}": {"get": {"responses": OK}}}),
        spec({"/x/{id}": {"get": {"parameters": [param("id", "path")], "responses": OK}}}),
    ),
    RuleCase(
        "new-required-request-default-parameter-to-existing-path",
        "ERR",
        spec(path_level()),
        spec(path_level(param("q", required=True))),
    ),
    RuleCase(
        "new-optional-request-default-parameter-to-existing-path",
        "INFO",
        spec(path_level()),
        spec(path_level(param("q"))),
    ),
    RuleCase("request-parameter-removed", "WARN", spec(ops(param("q"))), spec(ops())),
    RuleCase(
        "request-parameter-removed-with-deprecation",
        "INFO",
        spec(ops(param("q", deprecated=True))),
        spec(ops()),
    ),
    RuleCase(
        "request-parameter-removed-before-sunset",
        "ERR",
        spec(ops(param("q", deprecated=True, **{"x-sunset": "2026-07-01"}))),
        spec(ops()),
        options=POLICY,
    ),
    RuleCase(
        "request-parameter-sunset-parse",
        "ERR",
        spec(ops(param("q", deprecated=True, **{"x-sunset": "later"}))),
        spec(ops()),
    ),
    RuleCase(
        "request-parameter-became-required",
        "ERR",
        spec(ops(param("q"))),
        spec(ops(param("q", required=True))),
    ),
    RuleCase(
        "request-parameter-became-optional",
        "INFO",
        spec(ops(param("q", required=True))),
        spec(ops(param("q"))),
    ),
    RuleCase(
        "request-parameter-deprecated",
        "INFO",
        spec(ops(param("q"))),
        spec(ops(param("q", deprecated=True))),
    ),
    RuleCase(
        "request-parameter-deprecated-sunset-missing",
        "ERR",
        spec(ops(param("q"))),
        spec(ops(param("q", deprecated=True))),
        options=POLICY,
    ),
    RuleCase(
        "request-parameter-sunset-date-too-small",
        "ERR",
        spec(ops(param("q"))),
        spec(ops(param("q", deprecated=True, **{"x-sunset": "2026-06-10"}))),
        options=POLICY,
    ),
    RuleCase(
        "request-parameter-reactivated",
        "INFO",
        spec(ops(param("q", deprecated=True))),
        spec(ops(param("q"))),
    ),
    RuleCase(
        "request-parameter-sunset-deleted",
        "ERR",
        spec(ops(param("q", deprecated=True, **{"x-sunset": "2027-01-01"}))),
        spec(ops(param("q", deprecated=True))),
    ),
    RuleCase(
        "request-parameter-sunset-date-changed-too-small",
        "ERR",
        spec(ops(param("q", deprecated=True, **{"x-sunset": "2027-01-01"}))),
        spec(ops(param("q", deprecated=True, **{"x-sunset": "2026-06-05"}))),
        options=POLICY,
    ),
    RuleCase(
        "request-parameter-style-changed",
        "ERR",
        spec(ops(param("q", style="form", explode=False))),
        spec(ops(param("q", style="spaceDelimited", explode=False))),
    ),
    RuleCase(
        "request-parameter-explode-changed",
        "ERR",
        spec(ops(param("q"))),
        spec(ops(param("q", explode=False))),
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_rule(case: RuleCase) -> None:
    case.check()


def test_header_parameter_names_are_case_insensitive() -> None:
    assert (
        diff_specs(spec(ops(param("X-Trace", "header"))), spec(ops(param("x-trace", "header"))))
        == []
    )


def test_path_level_parameters_are_merged_into_operations() -> None:
    limit = {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 100}}
    old = spec({"/x": {"parameters": [limit], "get": {"responses": OK}}})
    new = spec(get_param({"type": "integer", "maximum": 50}))
    new["paths"]["/x"]["get"]["parameters"][0]["name"] = "limit"
    (finding,) = diff_specs(old, new)
    assert (finding.id, finding.path) == (
        "request-parameter-max-decreased",
        "parameters/query/limit/schema",
    )
    assert (finding.old, finding.new, finding.cause) == (100, 50, "query parameter limit")


def test_default_parameter_style_and_explode_are_the_spelled_out_ones() -> None:
    assert diff_specs(spec(get_param(STR)), spec(get_param(STR, style="form", explode=True))) == []
    header = param("X-A", "header")
    assert diff_specs(spec(ops(header)), spec(ops({**header, "style": "simple"}))) == []


def test_a_parameter_is_text_so_a_change_to_string_is_compatible() -> None:
    integer = {"type": "integer"}
    assert summary(diff_specs(spec(get_param(integer)), spec(get_param(STR)))) == [
        ("request-parameter-type-compatible", "INFO")
    ]
    assert summary(diff_specs(spec(get_param(STR)), spec(get_param(integer)))) == [
        ("request-parameter-type-changed", "ERR")
    ]


def test_the_items_of_an_array_parameter_are_the_parameter() -> None:
    def array(max_items: int) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "array", "maxItems": max_items}}

    assert summary(diff_specs(spec(get_param(array(10))), spec(get_param(array(5))))) == [
        ("request-parameter-max-items-decreased", "ERR")
    ]


def test_properties_of_an_object_parameter_have_their_own_subject() -> None:
    def query(kind: str) -> dict[str, Any]:
        return {"type": "object", "properties": {"p": {"type": kind}}}

    changed = diff_specs(spec(get_param(query("number"))), spec(get_param(query("string"))))
    specialized = diff_specs(spec(get_param(query("string"))), spec(get_param(query("number"))))
    assert summary(changed) == [("request-parameter-property-type-changed", "WARN")]
    assert summary(specialized) == [("request-parameter-property-type-specialized", "ERR")]
