"""``--format github``: each change a workflow command on the line of the spec it concerns."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tools.specdiff.annotate import compose, line_of, render_github
from tools.specdiff.cli import main
from tools.specdiff.diff import diff_specs
from tools.specdiff.model import Finding

NEW = """\
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /items:
    get:
      parameters:
        - $ref: '#/components/parameters/Limit'
        - {name: q, in: query, schema: {type: string, maxLength: 8}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Page'
components:
  parameters:
    Limit:
      name: limit
      in: query
      schema: {type: integer, maximum: 50}
  schemas:
    Page:
      type: object
      properties:
        items:
          type: array
          items: &item
            type: object
            properties:
              id: {type: string}
              note:
                type: string
        first: *item
        kind:
          oneOf:
            - $ref: '#/components/schemas/Cat'
    Cat:
      type: object
      properties:
        name:
          type: string
"""


def line(text: str, needle: str) -> int:
    """The 1-based line of the first line of ``text`` that contains ``needle``."""
    return next(n for n, row in enumerate(text.splitlines(), 1) if needle in row)


def at(operation: str | None, path: str, rule: str = "some-rule") -> int:
    root = compose(NEW)
    assert root is not None
    return line_of(root, Finding(rule, "INFO", operation, path))


def test_a_ref_is_followed_to_the_component_property() -> None:
    path = "responses/200/content/application/json/schema/items/items/note"
    assert at("GET /items", path) == line(NEW, "note:")


def test_an_alias_points_at_its_anchor() -> None:
    path = "responses/200/content/application/json/schema/first/note"
    assert at("GET /items", path) == line(NEW, "note:")


def test_a_parameter_by_ref_points_at_its_keyword_in_flow_style() -> None:
    path = "parameters/query/limit/schema"
    assert at("GET /items", path, "request-parameter-max-decreased") == line(NEW, "maximum: 50")
    assert at("GET /items", path) == line(NEW, "schema: {type: integer, maximum: 50}")


def test_an_inline_flow_parameter() -> None:
    path = "parameters/query/q/schema"
    assert at("GET /items", path, "request-parameter-max-length-decreased") == line(
        NEW, "- {name: q"
    )


def test_a_one_of_branch_by_schema_name() -> None:
    path = "responses/200/content/application/json/schema/kind/oneOf/Cat/name"
    cat = line(NEW, "    Cat:")
    assert at("GET /items", path) == cat + line("\n".join(NEW.splitlines()[cat:]), "name:")


def test_something_removed_points_at_the_deepest_node_left() -> None:
    path = "responses/200/content/application/json/schema/items/items/gone"
    assert at("GET /items", path) == line(NEW, "          items: &item")
    assert at(None, "components/schemas/Dog") == line(NEW, "  schemas:")
    assert at("DELETE /items", "") == line(NEW, "  /items:")


def test_levels_become_error_warning_notice_and_values_are_escaped() -> None:
    old = yaml.safe_load(NEW.replace("maximum: 50", "maximum: 100"))
    old["components"]["schemas"]["Page"]["properties"]["items"]["items"]["properties"].pop("note")
    findings = diff_specs(old, yaml.safe_load(NEW))
    out = render_github(findings, "api/openapi.yaml", NEW).splitlines()
    error = next(o for o in out if o.startswith("::error "))
    assert error.startswith(
        f"::error file=api/openapi.yaml,line={line(NEW, 'maximum: 50')},"
        "title=ERR request-parameter-max-decreased::"
    )
    notices = [o for o in out if o.startswith("::notice ")]
    assert notices
    assert all(f"line={line(NEW, 'note:')}," in n for n in notices)
    assert all("\n" not in o for o in out)
    weird = Finding("x-rule", "WARN", "GET /items", "", "50%", None, "a,b:c\nd")
    (rendered,) = render_github([weird], "o,d:d.yaml", NEW).splitlines()
    assert rendered.startswith("::warning file=o%2Cd%3Ad.yaml,line=")
    assert rendered.endswith('::a,b:c%0Ad: x-rule: `"50%25"` → absent')


def test_the_three_changes_annotate_their_lines(
    changed: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    printed: dict[str, list[str]] = {}
    for name, repository in changed.items():
        spec = repository / "openapi.yaml"
        main(["--git", "HEAD", "--spec", str(spec), "--format", "github"])
        printed[name] = capsys.readouterr().out.splitlines()
    text = (changed["optional_property"] / "openapi.yaml").read_text(encoding="utf-8")
    (added,) = printed["optional_property"]
    assert added.startswith(
        f"::notice file={changed['optional_property'] / 'openapi.yaml'},"
        f"line={line(text, '        service_tier:')},"
        "title=INFO response-optional-property-added::Run.service_tier:"
    )
    renamed = printed["schema_renamed"]
    assert renamed[0].startswith("::notice ")
    assert "title=INFO api-schema-removed" in renamed[0]
    assert renamed[1:] == [
        "::error title=Python API object-removed::"
        "portkey_runs_api.models.RunCompletionUsage: Public object was removed",
        "::error title=Python API object-removed::"
        "portkey_runs_api.models.run_completion_usage: Public object was removed",
    ]
    text = (changed["limit_tightened"] / "openapi.yaml").read_text(encoding="utf-8")
    tightened = printed["limit_tightened"][0]
    assert f"line={line(text, '        maximum: 50')}," in tightened
    assert "title=ERR request-parameter-max-decreased" in tightened
