"""Endpoints family: operations and webhooks, deprecation and sunset, stability, servers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.tools.oas import OK, spec, summary
from tests.tools.specdiff.cases import RuleCase, params
from tools.specdiff import Options, diff_specs

TODAY = date(2026, 6, 1)
POLICY = Options(today=TODAY, deprecation_days=(10, 30))
AT_TODAY = Options(today=TODAY)
GET: dict[str, Any] = {"get": {"responses": OK}}
POST: dict[str, Any] = {"post": {"responses": OK}}


def op(**extra: Any) -> dict[str, Any]:
    return {"get": {"responses": OK, **extra}}


def deprecated(**extra: Any) -> dict[str, Any]:
    return op(deprecated=True, **extra)


def webhooks(names: list[str]) -> dict[str, Any]:
    doc = spec({}, openapi="3.1.0")
    doc["webhooks"] = {name: {"post": {"responses": OK}} for name in names}
    return doc


def served(urls: list[str] | None) -> dict[str, Any]:
    doc = spec({"/x": GET})
    if urls is not None:
        doc["servers"] = [{"url": url} for url in urls]
    return doc


CASES = [
    RuleCase("endpoint-added", "INFO", spec({}), spec({"/x": GET})),
    RuleCase("webhook-added", "INFO", webhooks([]), webhooks(["a"])),
    RuleCase("webhook-removed", "ERR", webhooks(["a"]), webhooks([])),
    RuleCase("api-path-removed-without-deprecation", "ERR", spec({"/x": GET}), spec({})),
    RuleCase("api-path-removed-with-deprecation", "INFO", spec({"/x": deprecated()}), spec({})),
    RuleCase(
        "api-path-removed-before-sunset",
        "ERR",
        spec({"/x": deprecated(**{"x-sunset": "2026-07-01"})}),
        spec({}),
        options=AT_TODAY,
    ),
    RuleCase(
        "api-path-sunset-parse",
        "ERR",
        spec({"/x": deprecated(**{"x-sunset": "soon"})}),
        spec({}),
    ),
    RuleCase(
        "api-removed-without-deprecation",
        "ERR",
        spec({"/x": {**GET, **POST}}),
        spec({"/x": POST}),
    ),
    RuleCase(
        "api-removed-with-deprecation",
        "INFO",
        spec({"/x": {**deprecated(**{"x-sunset": "2026-05-01"}), **POST}}),
        spec({"/x": POST}),
        options=AT_TODAY,
    ),
    RuleCase(
        "api-removed-before-sunset",
        "ERR",
        spec({"/x": {**deprecated(**{"x-sunset": "2026-07-01"}), **POST}}),
        spec({"/x": POST}),
        options=AT_TODAY,
    ),
    RuleCase("endpoint-deprecated", "INFO", spec({"/x": GET}), spec({"/x": deprecated()})),
    RuleCase(
        "endpoint-deprecated-with-sunset",
        "INFO",
        spec({"/x": GET}),
        spec({"/x": deprecated(**{"x-sunset": "2026-08-01"})}),
        options=POLICY,
    ),
    RuleCase(
        "api-deprecated-sunset-missing",
        "ERR",
        spec({"/x": GET}),
        spec({"/x": deprecated()}),
        options=POLICY,
    ),
    RuleCase(
        "api-deprecated-sunset-parse",
        "ERR",
        spec({"/x": GET}),
        spec({"/x": deprecated(**{"x-sunset": "next year"})}),
    ),
    RuleCase(
        "api-sunset-date-too-small",
        "ERR",
        spec({"/x": GET}),
        spec({"/x": deprecated(**{"x-sunset": "2026-06-15"})}),
        options=POLICY,
    ),
    RuleCase("endpoint-reactivated", "INFO", spec({"/x": deprecated()}), spec({"/x": GET})),
    RuleCase(
        "sunset-deleted",
        "ERR",
        spec({"/x": deprecated(**{"x-sunset": "2027-01-01"})}),
        spec({"/x": deprecated()}),
    ),
    RuleCase(
        "api-sunset-date-changed-too-small",
        "ERR",
        spec({"/x": deprecated(**{"x-sunset": "2027-01-01"})}),
        spec({"/x": deprecated(**{"x-sunset": "2026-06-20"})}),
        options=POLICY,
    ),
    RuleCase(
        "api-invalid-stability-level",
        "ERR",
        spec({"/x": GET}),
        spec({"/x": op(**{"x-stability-level": "gamma"})}),
    ),
    RuleCase(
        "api-stability-decreased",
        "ERR",
        spec({"/x": GET}),
        spec({"/x": op(**{"x-stability-level": "beta"})}),
    ),
    RuleCase(
        "api-stability-increased",
        "INFO",
        spec({"/x": op(**{"x-stability-level": "beta"})}),
        spec({"/x": GET}),
    ),
    RuleCase(
        "api-server-changed",
        "WARN",
        served(["https://a.example/v1"]),
        served(["https://a.example/v2"]),
    ),
    RuleCase(
        "api-server-removed",
        "WARN",
        served(["https://a.example/v1", "https://b.example/v1"]),
        served(["https://a.example/v1"]),
    ),
    RuleCase("api-server-added", "INFO", served(None), served(["https://a.example/v1"])),
]


@pytest.mark.parametrize("case", params(CASES))
def test_rule(case: RuleCase) -> None:
    case.check()


def test_a_sunset_past_today_allows_removal_and_is_judged_at_options_today() -> None:
    old = spec({"/x": deprecated(**{"x-sunset": "2026-07-01"})})
    before = diff_specs(old, spec({}), Options(today=date(2026, 6, 30)))
    after = diff_specs(old, spec({}), Options(today=date(2026, 7, 2)))
    assert summary(before) == [("api-path-removed-before-sunset", "ERR")]
    assert summary(after) == [("api-path-removed-with-deprecation", "INFO")]


def test_an_rfc3339_sunset_is_a_date() -> None:
    old = spec({"/x": deprecated(**{"x-sunset": "2026-07-01T00:00:00Z"})})
    assert summary(diff_specs(old, spec({}), AT_TODAY)) == [
        ("api-path-removed-before-sunset", "ERR")
    ]


@pytest.mark.parametrize("level", ["draft", "alpha"])
def test_draft_and_alpha_operations_are_exempt(level: str) -> None:
    param = {"name": "q", "in": "query", "schema": {"type": "string"}}
    old = spec({"/x": op(parameters=[param], **{"x-stability-level": level})})
    new = spec({"/x": op(**{"x-stability-level": level})})
    assert diff_specs(old, new) == []
    assert diff_specs(old, spec({})) == []


def test_beta_operations_are_judged_with_the_beta_policy() -> None:
    beta = {"x-stability-level": "beta"}
    old, new = (
        spec({"/x": op(**beta)}),
        spec({"/x": deprecated(**beta, **{"x-sunset": "2026-06-20"})}),
    )
    assert summary(diff_specs(old, new, POLICY)) == [("endpoint-deprecated-with-sunset", "INFO")]
    stable = spec({"/x": deprecated(**{"x-sunset": "2026-06-20"})})
    assert summary(diff_specs(spec({"/x": GET}), stable, POLICY)) == [
        ("api-sunset-date-too-small", "ERR")
    ]


def test_renamed_path_parameter_is_the_same_endpoint() -> None:
    def doc(name: str) -> dict[str, Any]:
        param = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        return spec({f"/t/{{{name}}}": {"get": {"parameters": [param], "responses": OK}}})

    assert diff_specs(doc("id"), doc("thread_id")) == []


def test_webhook_operations_are_compared_like_operations() -> None:
    old, new = webhooks(["a"]), webhooks(["a"])
    new["webhooks"]["a"]["post"]["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
    (finding,) = diff_specs(old, new)
    assert (finding.id, finding.operation) == ("request-body-added-required", "WEBHOOK a: POST")
