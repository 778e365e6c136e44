"""The Python API in review: griffe's verdict in the report and the version policy, and the
readable snapshot (public-api.txt) agreeing with it."""

from __future__ import annotations

import difflib
import json
import shutil
import tempfile
from pathlib import Path

import pytest

from tools.api_snapshot import snapshot
from tools.generate import ROOT
from tools.specdiff.cli import main
from tools.specdiff.python_api import base_tree, compare
from tools.specdiff.version_policy import check


def report(repository: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["--git", "HEAD", "--spec", str(repository / "openapi.yaml"), *args])
    return status, capsys.readouterr().out


def test_a_renamed_component_schema_is_a_python_break_and_no_http_one(
    changed: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    status, out = report(changed["schema_renamed"], capsys, "--format", "json", "--fail-on", "ERR")
    document = json.loads(out)
    assert [c["level"] for c in document["changes"]] == ["INFO"]  # api-schema-removed only
    breaking = {c["path"]: c["kind"] for c in document["python_api"] if c["level"] == "ERR"}
    assert breaking == {
        "portkey_runs_api.models.RunCompletionUsage": "object-removed",
        "portkey_runs_api.models.run_completion_usage": "object-removed",
    }
    added = [c["path"] for c in document["python_api"] if c["level"] == "INFO"]
    assert added == ["portkey_runs_api.models.run_usage"]  # its members folded under it
    assert status == 1  # --fail-on ERR counts the Python break


def test_the_markdown_report_has_a_python_api_section(
    changed: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, out = report(changed["schema_renamed"], capsys)
    section = out[out.index("### Python API") :]
    assert "**Breaking: 2 breaking, 1 non-breaking**" in section
    assert "- `portkey_runs_api.models.run_completion_usage`: Public object was removed" in section


def test_an_optional_run_property_is_non_breaking_in_python(changed: dict[str, Path]) -> None:
    repository = changed["optional_property"]
    with tempfile.TemporaryDirectory() as base:
        base_tree("HEAD", repository, Path(base))
        changes = compare(Path(base), repository)
    assert [(c.level, c.path) for c in changes] == [
        ("INFO", "portkey_runs_api.models.run.Run.service_tier")
    ]


def test_a_tightened_limit_moves_the_clients_default(changed: dict[str, Path]) -> None:
    repository = changed["limit_tightened"]
    with tempfile.TemporaryDirectory() as base:
        base_tree("HEAD", repository, Path(base))
        changes = compare(Path(base), repository)
    assert {c.path for c in changes} == {
        f"portkey_runs._resources.{cls}.list(limit)"
        for cls in ("Runs", "AsyncRuns", "RunsWithRawResponse", "AsyncRunsWithRawResponse")
    }
    assert {(c.level, c.kind, c.summary) for c in changes} == {
        (
            "ERR",
            "parameter-changed-default",
            "Parameter default was changed: LIMIT_MAXIMUM 100 -> 50",
        )
    }


def test_a_python_break_needs_a_major_bump_and_the_message_says_which_kind(
    changed: dict[str, Path],
) -> None:
    repository = changed["schema_renamed"]
    status, message = check(
        "HEAD", str(repository / "openapi.yaml"), str(repository / "pyproject.toml")
    )
    assert status == 1
    assert "2 breaking change(s) against HEAD (2 Python API)" in message
    assert "HTTP" not in message
    assert "`portkey_runs_api.models.RunCompletionUsage`: Public object was removed" in message
    assert "run `make release VERSION=X.Y.Z` with the next major" in message


def test_an_http_break_is_named_as_such(changed: dict[str, Path]) -> None:
    repository = changed["limit_tightened"]
    status, message = check(
        "HEAD", str(repository / "openapi.yaml"), str(repository / "pyproject.toml")
    )
    assert status == 1
    assert "5 breaking change(s) against HEAD (1 HTTP, 4 Python API)" in message


def test_a_non_breaking_change_passes_the_policy(changed: dict[str, Path]) -> None:
    repository = changed["optional_property"]
    status, message = check(
        "HEAD", str(repository / "openapi.yaml"), str(repository / "pyproject.toml")
    )
    assert (status, message.split(" (")[0]) == (0, "version-policy: OK")


@pytest.mark.parametrize("name", ["optional_property", "schema_renamed", "limit_tightened"])
def test_the_snapshot_diff_agrees_with_griffe(changed: dict[str, Path], name: str) -> None:
    """A line removed from (or changed in) public-api.txt if and only if griffe finds a break;
    lines only added if and only if there are only non-breaking changes."""
    repository = changed[name]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        base_tree("HEAD", repository, base)
        changes = compare(base, repository)
        before = snapshot(base / "generated/portkey_runs_api", base / "overlay/portkey_runs")
    after = snapshot(repository / "generated/portkey_runs_api", repository / "overlay/portkey_runs")
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))
    removed = [line for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line for line in diff if line.startswith("+") and not line.startswith("+++")]
    breaking = any(c.level == "ERR" for c in changes)
    assert changes  # every one of the three changes the Python API
    assert bool(removed) == breaking
    # (a changed line is removed and added: a break adds lines too)
    assert bool(added) == (any(c.level == "INFO" for c in changes) or breaking)


def test_a_base_without_the_generated_package_reports_no_moved_default(tmp_path: Path) -> None:
    """A base that has ``overlay/`` and no ``generated/`` (an early commit): the overlay's
    ``limit=LIMIT_MAXIMUM`` names nothing there, which is not a changed default."""
    base = tmp_path / "base"
    shutil.copytree(
        ROOT / "overlay", base / "overlay", ignore=shutil.ignore_patterns("__pycache__")
    )
    changes = compare(base, ROOT)
    assert [c for c in changes if c.level == "ERR"] == []
    assert ("INFO", "portkey_runs_api") in {(c.level, c.path) for c in changes}


def test_a_base_with_no_package_at_all_has_every_package_added(tmp_path: Path) -> None:
    changes = compare(tmp_path, ROOT)
    assert [(c.level, c.kind, c.path) for c in changes] == [
        ("INFO", "object-added", "portkey_runs"),
        ("INFO", "object-added", "portkey_runs_api"),
    ]
