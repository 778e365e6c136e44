"""``python -m tools.validate_spec --examples``: every example validates against its schema."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import validate_spec

ROOT = Path(__file__).resolve().parents[2]
SUBMIT = "/threads/{thread_id}/runs/{run_id}/submit_tool_outputs"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    return loaded


def _stream_example(doc: dict[str, Any]) -> dict[str, Any]:
    content = doc["paths"][SUBMIT]["post"]["responses"]["200"]["content"]
    example: dict[str, Any] = content["text/event-stream"]["examples"]["stream"]
    return example


def test_checked_in_examples_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert validate_spec.main(["--examples", str(ROOT / "openapi.yaml")]) == 0
    assert capsys.readouterr().out.endswith("every example validates against its schema\n")


def test_the_stream_example_is_checked_event_by_event(document: dict[str, Any]) -> None:
    doc = copy.deepcopy(document)
    example = _stream_example(doc)
    assert example["value"].count('"status":"queued"') == 1
    example["value"] = example["value"].replace('"status":"queued"', '"status":"bogus"')
    (problem,) = validate_spec.example_problems(doc)
    assert "event-stream/examples/stream (event 2, thread.run.queued) at data/status" in problem
    assert "'bogus' is not one of" in problem


def test_an_unknown_event_name_in_the_stream_is_a_problem(document: dict[str, Any]) -> None:
    doc = copy.deepcopy(document)
    example = _stream_example(doc)
    example["value"] = "event: thread.run.exploded\ndata: {}\n\n" + example["value"]
    problems = validate_spec.example_problems(doc)
    assert len(problems) == 1
    assert "(event 1, thread.run.exploded)" in problems[0]


def test_a_stream_example_that_is_not_text_is_a_problem(document: dict[str, Any]) -> None:
    doc = copy.deepcopy(document)
    _stream_example(doc)["value"] = {"event": "done"}
    (problem,) = validate_spec.example_problems(doc)
    assert problem.endswith("examples/stream: a text/event-stream example must be text")


def test_json_media_type_header_and_ref_examples_are_checked(document: dict[str, Any]) -> None:
    doc = copy.deepcopy(document)
    runs = doc["paths"][SUBMIT]["post"]["responses"]["200"]["content"]["application/json"]
    runs["examples"]["queued"]["value"]["status"] = 7
    doc["components"]["headers"]["RetryAfterMs"]["example"] = 1500
    doc["components"]["examples"] = {"Bad": {"value": {"tool_outputs": "none"}}}
    body = doc["paths"][SUBMIT]["post"]["requestBody"]["content"]["application/json"]
    body["examples"]["by_ref"] = {"$ref": "#/components/examples/Bad"}
    problems = validate_spec.example_problems(doc)
    assert len(problems) == 3, problems
    expected = [
        "examples/queued at status: 7 is not of type 'string'",
        "components/headers/RetryAfterMs/example: 1500 is not of type",
        "examples/by_ref/$ref #/components/examples/Bad at tool_outputs",
    ]
    for text in expected:
        assert any(text in p for p in problems), (text, problems)


def test_a_schemas_own_examples_are_checked(document: dict[str, Any]) -> None:
    doc = copy.deepcopy(document)
    doc["components"]["schemas"]["Count"] = {"type": "integer", "examples": [1, "two"]}
    (problem,) = validate_spec.example_problems(doc)
    assert problem == "components/schemas/Count/examples/1: 'two' is not of type 'integer'"


def test_examples_option_exit_status(tmp_path: Path, document: dict[str, Any]) -> None:
    doc = copy.deepcopy(document)
    doc["components"]["headers"]["RetryAfterMs"]["example"] = 1500
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    assert validate_spec.main(["--examples", str(path)]) == 1
    assert validate_spec.main([str(path)]) == 0  # the structure alone is still valid
