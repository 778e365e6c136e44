"""The reviewer's report: changes grouped by cause, full types, verdict first; JSON for tools."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.tools.oas import get_response, obj, ref, response, spec
from tools.specdiff import Finding, diff_specs, render_json, render_markdown
from tools.specdiff.render import group, verdict

STR: dict[str, Any] = {"type": "string"}


def _shared(run: dict[str, Any]) -> dict[str, Any]:
    paths = {
        "/a": {"get": {"responses": response(ref("Run"))}},
        "/b": {"get": {"responses": response(obj({"run": ref("Run")}))}},
        "/c": {"get": {"responses": response({"type": "array", "items": ref("Run")})}},
    }
    return spec(paths, {"Run": run}, openapi="3.1.0")


BASE = obj({"id": STR, "model": STR}, ["id", "model"])


def test_a_change_of_a_shared_component_is_one_change_with_its_locations_folded() -> None:
    findings = diff_specs(_shared(BASE), _shared(obj({"id": STR}, ["id"])))
    assert len(findings) == 3
    assert {f.cause for f in findings} == {"Run.model"}
    (change,) = group(findings)
    assert change.operations == ["GET /a", "GET /b", "GET /c"]
    text = render_markdown(findings)
    lines = text.splitlines()
    assert lines[0] == "**Breaking: 1 ERR, 0 WARN, 0 INFO** (1 change at 3 locations)"
    bullet = next(line for line in lines if line.startswith("- "))
    assert bullet.startswith("- **`Run.model`**: a required response property was removed")
    assert "(`response-required-property-removed`): `string` → absent" in bullet
    assert bullet.endswith("in 3 responses (3 operations)")
    assert "<details><summary>3 locations</summary>" in text
    assert "  - `GET /c` `responses/200/content/application/json/schema/items/model`" in lines


def test_a_nullable_type_is_shown_in_full_and_an_absent_value_as_absent() -> None:
    nullable = {"type": ["string", "null"]}
    revision = obj({"id": STR, "model": STR, "x": nullable}, ["id", "model"])
    findings = diff_specs(_shared(BASE), _shared(revision))
    (change,) = group(findings)
    assert (change.id, change.cause) == ("response-optional-property-added", "Run.x")
    assert "absent → `string | null`" in render_markdown(findings)


def test_changes_of_different_causes_or_values_stay_apart() -> None:
    old = spec(get_response(obj({"a": {**STR, "enum": ["x"]}, "b": {**STR, "enum": ["x"]}})))
    new = spec(
        get_response(obj({"a": {**STR, "enum": ["x", "y"]}, "b": {**STR, "enum": ["x", "z"]}}))
    )
    findings = diff_specs(old, new)
    assert len(group(findings)) == 2
    text = render_markdown(findings)
    assert text.splitlines()[0] == "**Potentially breaking: 0 ERR, 2 WARN, 0 INFO** (2 changes)"
    assert text.count("<details>") == 0
    assert "`null`" not in text


def test_a_finding_without_cause_names_its_operation_and_location() -> None:
    finding = Finding("endpoint-added", "INFO", "GET /x", "", None, "GET /x")
    text = render_markdown([finding])
    assert text.splitlines()[0] == "**Non-breaking: 0 ERR, 0 WARN, 1 INFO** (1 change)"
    assert "### INFO: non-breaking" in text
    assert '- `GET /x`: an operation was added (`endpoint-added`): absent → `"GET /x"`' in text


def test_no_changes() -> None:
    assert render_markdown([]) == "No changes\n"
    assert verdict([]) == "No changes"
    assert json.loads(render_json([]))["verdict"] == "no-changes"


def test_the_note_follows_the_verdict() -> None:
    finding = Finding("endpoint-added", "INFO", "GET /x", "", None, "GET /x")
    assert render_markdown([finding], "only uncommitted changes").splitlines()[1:3] == [
        "",
        "> only uncommitted changes",
    ]


def test_json_has_the_verdict_the_changes_and_the_findings() -> None:
    findings = diff_specs(_shared(BASE), _shared(obj({"id": STR}, ["id"])))
    document = json.loads(render_json(findings, "a note"))
    assert document["verdict"] == "breaking"
    assert document["counts"] == {"ERR": 1, "WARN": 0, "INFO": 0}
    assert document["note"] == "a note"
    (change,) = document["changes"]
    assert change["cause"] == "Run.model"
    assert change["summary"] == "a required response property was removed"
    assert [loc["operation"] for loc in change["locations"]] == ["GET /a", "GET /b", "GET /c"]
    assert len(document["findings"]) == 3
    assert set(document["findings"][0]) == {
        "id",
        "level",
        "operation",
        "path",
        "old",
        "new",
        "cause",
    }


def test_finding_is_frozen_and_as_dict_has_every_field() -> None:
    finding = Finding("endpoint-added", "INFO", "GET /x", "", None, "GET /x")
    assert finding.as_dict() == {
        "id": "endpoint-added",
        "level": "INFO",
        "operation": "GET /x",
        "path": "",
        "old": None,
        "new": "GET /x",
        "cause": None,
    }
    with pytest.raises(AttributeError):
        finding.level = "ERR"  # type: ignore[misc]
