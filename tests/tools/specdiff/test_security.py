"""Security family: an operation's and the document's requirements, and security schemes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tools.oas import OK, spec, summary
from tests.tools.specdiff.cases import RuleCase, params
from tools.specdiff import diff_specs

Security = list[dict[str, list[str]]]


def secured(security: Security | None, own: Security | None = None) -> dict[str, Any]:
    """``GET /x``, with the document's ``security`` and the operation's own (``own``)."""
    operation: dict[str, Any] = {"responses": OK}
    if own is not None:
        operation["security"] = own
    doc = spec({"/x": {"get": operation}})
    if security is not None:
        doc["security"] = security
    return doc


def schemes(value: dict[str, Any]) -> dict[str, Any]:
    doc = spec({})
    doc["components"] = {"securitySchemes": value}
    return doc


def oauth(**flow: Any) -> dict[str, Any]:
    base = {"authorizationUrl": "https://a.example/auth", "tokenUrl": "https://a.example/token"}
    return {"type": "oauth2", "flows": {"authorizationCode": {**base, "scopes": {}, **flow}}}


KEY: Security = [{"key": []}]
CASES = [
    RuleCase(
        "api-security-added",
        "INFO",
        secured(None, KEY),
        secured(None, [{"key": []}, {"oauth": ["read"]}]),
    ),
    RuleCase(
        "api-security-removed",
        "INFO",
        secured(None, KEY),
        secured(None, []),
    ),
    RuleCase(
        "api-security-scope-added",
        "INFO",
        secured(None, [{"oauth": ["read"]}]),
        secured(None, [{"oauth": ["read", "write"]}]),
        also=(("api-security-scheme-added", "ERR"),),
    ),
    RuleCase(
        "api-security-scope-removed",
        "INFO",
        secured(None, [{"oauth": ["read", "write"]}]),
        secured(None, [{"oauth": ["read"]}]),
    ),
    RuleCase(
        "api-global-security-added",
        "INFO",
        secured(KEY),
        secured([{"key": []}, {"oauth": []}]),
    ),
    RuleCase(
        "api-global-security-removed",
        "INFO",
        secured(KEY),
        secured(None),
    ),
    RuleCase(
        "api-global-security-scope-added",
        "INFO",
        secured([{"oauth": []}]),
        secured([{"oauth": ["read"]}]),
        also=(("api-security-scheme-added", "ERR"),),
    ),
    RuleCase(
        "api-global-security-scope-removed",
        "INFO",
        secured([{"oauth": ["read"]}]),
        secured([{"oauth": []}]),
    ),
    RuleCase(
        "api-security-scheme-added",
        "ERR",
        secured(None),
        secured(KEY),
        also=(("api-global-security-added", "INFO"),),
    ),
    RuleCase(
        "api-security-alternative-removed",
        "ERR",
        secured([{"key": []}, {"oauth": ["read"]}]),
        secured(KEY),
        also=(("api-global-security-removed", "INFO"),),
    ),
    RuleCase(
        "api-security-component-added",
        "INFO",
        schemes({}),
        schemes({"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}),
    ),
    RuleCase(
        "api-security-component-removed",
        "INFO",
        schemes({"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}),
        schemes({}),
    ),
    RuleCase(
        "api-security-component-type-changed",
        "INFO",
        schemes({"s": {"type": "http", "scheme": "basic"}}),
        schemes({"s": {"type": "apiKey", "in": "header", "name": "X-Key"}}),
    ),
    RuleCase(
        "api-security-component-oauth-url-changed",
        "INFO",
        schemes({"o": oauth()}),
        schemes({"o": oauth(authorizationUrl="https://b.example/auth")}),
    ),
    RuleCase(
        "api-security-component-oauth-token-url-changed",
        "INFO",
        schemes({"o": oauth()}),
        schemes({"o": oauth(tokenUrl="https://b.example/token")}),
    ),
    RuleCase(
        "api-security-component-oauth-scope-added",
        "INFO",
        schemes({"o": oauth()}),
        schemes({"o": oauth(scopes={"read": "read"})}),
    ),
    RuleCase(
        "api-security-component-oauth-scope-removed",
        "INFO",
        schemes({"o": oauth(scopes={"read": "read"})}),
        schemes({"o": oauth()}),
    ),
]


@pytest.mark.parametrize("case", params(CASES))
def test_rule(case: RuleCase) -> None:
    case.check()


def test_document_security_breaks_each_operation_that_does_not_override_it() -> None:
    paths = {"/a": {"get": {"responses": OK}}, "/b": {"get": {"security": [], "responses": OK}}}
    old, new = spec(paths), spec(paths)
    new["security"] = KEY
    findings = diff_specs(old, new)
    assert [(f.id, f.operation, f.new) for f in findings] == [
        ("api-security-scheme-added", "GET /a", {"key": []}),
        ("api-global-security-added", None, {"key": []}),
    ]


def test_dropping_all_security_breaks_nobody() -> None:
    assert summary(diff_specs(secured(None, KEY), secured(None, []))) == [
        ("api-security-removed", "INFO")
    ]
