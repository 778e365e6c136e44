"""The GitHub Actions workflow: make test always, the annotated spec diff on pull requests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tools.generate import ROOT
from tools.specdiff.cli import main

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"


def runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_the_workflow_runs_make_test_and_on_pull_requests_the_annotated_spec_diff() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as true
    assert "pull_request" in triggers
    jobs = workflow["jobs"]
    assert runs(jobs["test"]) == ["make test"]
    assert jobs["spec-diff"]["if"] == "github.event_name == 'pull_request'"
    (command,) = runs(jobs["spec-diff"])
    assert command.startswith("make spec-diff ")
    assert "FORMAT=github" in command
    assert 'SUMMARY="$GITHUB_STEP_SUMMARY"' in command
    for job in jobs.values():  # both need the history: the base for git show / git archive
        assert job["steps"][0]["with"]["fetch-depth"] == 0


def test_make_spec_diff_passes_the_format_and_the_summary_file() -> None:
    (command,) = runs(yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["spec-diff"])
    env = {**os.environ, "GITHUB_BASE_REF": "main", "GITHUB_STEP_SUMMARY": "/tmp/summary.md"}
    dry = subprocess.run(
        ["bash", "-c", command.replace("make ", "make -n --no-print-directory ", 1)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert (
        dry.stdout.strip()
        .splitlines()[-1]
        .endswith(
            "-m tools.specdiff --git origin/main --fail-on ERR --format github "
            '--summary "/tmp/summary.md"'
        )
    )


def test_summary_appends_the_markdown_report(tmp_path: Path) -> None:
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    old.write_text(yaml.safe_dump(spec), encoding="utf-8")
    spec["paths"] = {"/x": {"get": {"responses": {"200": {"description": "ok"}}}}}
    new.write_text(yaml.safe_dump(spec), encoding="utf-8")
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    assert main([str(old), str(new), "--format", "github", "--summary", str(summary)]) == 0
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## Spec diff\n\n**Non-breaking: 0 ERR, 0 WARN, 1 INFO**")
