"""The command line, the git-aware entry and the version policy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.tools.oas import OK, get_response, git, obj, spec
from tools.specdiff.cli import main
from tools.specdiff.gitutil import default_base
from tools.specdiff.version_policy import main as policy_main
from tools.specdiff.version_policy import major

ROOT = Path(__file__).resolve().parents[3]
STR: dict[str, Any] = {"type": "string"}

BASE = spec(get_response(obj({"id": STR, "note": STR}, ["id"])))
#: one ERR (required property removed), one WARN (optional property removed), one INFO
BREAKING = spec(get_response(obj({"extra": STR})) | {"/y": {"get": {"responses": OK}}})
WARN_ONLY = spec(get_response(obj({"id": STR}, ["id"])))


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    return {
        name: str(write(tmp_path / f"{name}.yaml", doc))
        for name, doc in {"base": BASE, "breaking": BREAKING, "warn": WARN_ONLY}.items()
    }


def test_json_format_shape(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([files["base"], files["breaking"], "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["verdict"] == "breaking"
    assert document["counts"] == {"ERR": 1, "WARN": 1, "INFO": 2}
    findings = document["findings"]
    assert findings
    for finding in findings:
        assert set(finding) == {"id", "level", "operation", "path", "old", "new", "cause"}
        assert finding["level"] in {"ERR", "WARN", "INFO"}
    assert {(f["id"], f["level"]) for f in findings} >= {
        ("response-required-property-removed", "ERR"),
        ("endpoint-added", "INFO"),
    }
    removed = next(f for f in findings if f["id"] == "response-required-property-removed")
    assert removed["operation"] == "GET /x"
    assert removed["path"] == "responses/200/content/application/json/schema/id"
    assert (removed["old"], removed["new"]) == ("string", None)


def test_markdown_verdict_and_sections(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([files["base"], files["breaking"]]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "**Breaking: 1 ERR, 1 WARN, 2 INFO** (4 changes)"
    assert [line for line in lines if line.startswith("### ")] == [
        "### ERR: breaking",
        "### WARN: may break some clients",
        "### INFO: non-breaking",
    ]
    err = lines[lines.index("### ERR: breaking") + 2]
    assert err.startswith("- `GET /x` `responses/200/content/application/json/schema/id`: ")
    assert err.endswith("(`response-required-property-removed`): `string` → absent")


def test_no_changes(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([files["base"], files["base"], "--fail-on", "WARN"]) == 0
    assert capsys.readouterr().out == "No changes\n"


@pytest.mark.parametrize(
    ("new", "fail_on", "status"),
    [
        ("breaking", None, 0),
        ("breaking", "ERR", 1),
        ("breaking", "WARN", 1),
        ("warn", "ERR", 0),
        ("warn", "WARN", 1),
        ("base", "ERR", 0),
    ],
)
def test_fail_on(files: dict[str, str], new: str, fail_on: str | None, status: int) -> None:
    argv = [files["base"], files[new], "--format", "json"]
    if fail_on:
        argv += ["--fail-on", fail_on]
    assert main(argv) == status


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("openapi: [3.0\n  bad", "not valid YAML"),
        ("- just\n- a list\n", "not an OpenAPI document"),
        ("swagger: '2.0'\npaths: {}\n", "not an OpenAPI 3.x document"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path,
    files: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    message: str,
) -> None:
    bad = tmp_path / "bad.yaml"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    assert main([files["base"], str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert message in captured.err


def test_module_entry_point(files: dict[str, str]) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.specdiff",
            files["base"],
            files["breaking"],
            "--fail-on",
            "ERR",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout.startswith("**Breaking: 1 ERR")


# --- git ---------------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "--quiet")
    return path


def commit(repo: Path, doc: dict[str, Any] | None, version: str | None, message: str) -> None:
    if doc is not None:
        write(repo / "openapi.yaml", doc)
    if version is not None:
        (repo / "pyproject.toml").write_text(
            f'[project]\nname = "demo"\nversion = "{version}"\n', encoding="utf-8"
        )
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "--allow-empty", "-m", message)


def test_git_mode_compares_base_with_working_file(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, BASE, "1.0.0", "base")
    write(repo / "openapi.yaml", BREAKING)
    spec_path = str(repo / "openapi.yaml")
    assert main(["--git", "HEAD", "--spec", spec_path, "--fail-on", "ERR"]) == 1
    assert capsys.readouterr().out.startswith("**Breaking: 1 ERR, 1 WARN, 2 INFO** (4 changes)")


def test_git_mode_base_without_spec_reports_everything_new(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, None, "1.0.0", "no spec yet")
    write(repo / "openapi.yaml", BASE)
    assert main(["--git", "HEAD", "--spec", str(repo / "openapi.yaml"), "--fail-on", "ERR"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("**Non-breaking: 0 ERR, 0 WARN, 1 INFO** (1 change)")
    assert "HEAD has no" in out
    assert "every operation is reported as new" in out
    assert "- `GET /x`: an operation was added (`endpoint-added`)" in out


def test_git_mode_unknown_ref_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    commit(repo, BASE, "1.0.0", "base")
    assert main(["--git", "no-such-ref", "--spec", str(repo / "openapi.yaml")]) == 2
    assert "unknown git revision" in capsys.readouterr().err


def test_base_default_without_commits_is_no_base(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo / "openapi.yaml", BASE)
    spec_path = str(repo / "openapi.yaml")
    assert main(["--git", "--base-default", "--spec", spec_path, "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert [f["id"] for f in json.loads(captured.out)["findings"]] == ["endpoint-added"]
    assert "no base revision" in captured.err


def test_default_base(repo: Path) -> None:
    assert default_base(repo) == "HEAD"  # no commits at all
    commit(repo, BASE, "1.0.0", "on main")
    main_commit = git(repo, "rev-parse", "HEAD")
    assert default_base(repo) == main_commit
    git(repo, "checkout", "--quiet", "-b", "feature")
    commit(repo, BREAKING, None, "on feature")
    assert default_base(repo) == main_commit
    git(repo, "update-ref", "refs/remotes/origin/main", main_commit)
    assert default_base(repo) == "origin/main"


# --- version policy ----------------------------------------------------------------------------


def run_policy(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    monkeypatch.chdir(repo)
    status = policy_main(list(args))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def versioned(doc: dict[str, Any], version: str) -> dict[str, Any]:
    return {**doc, "info": {**doc["info"], "version": version}}


def test_policy_without_base_commit_passes(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo / "openapi.yaml", BASE)
    status, out = run_policy(repo, monkeypatch, capsys)
    assert status == 0
    assert out.startswith("version-policy: OK (no base")
    assert out.count("\n") == 1


def test_policy_base_without_spec_passes(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, None, "0.1.0", "first")
    write(repo / "openapi.yaml", BASE)
    status, out = run_policy(repo, monkeypatch, capsys, "--base", "HEAD")
    assert (status, out) == (
        0,
        "version-policy: OK (HEAD has no openapi.yaml; nothing to compare)\n",
    )


def test_policy_non_breaking_change_needs_no_bump(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, BASE, "0.1.0", "base")
    write(repo / "openapi.yaml", WARN_ONLY)
    status, out = run_policy(repo, monkeypatch, capsys, "--base", "HEAD")
    assert status == 0
    assert "no breaking change" in out


@pytest.mark.parametrize(
    ("api_version", "package_version", "status", "complaints"),
    [
        ("1.0.0", "0.1.0", 1, ["openapi.yaml info.version", "pyproject.toml [project].version"]),
        ("2.0.0", "0.1.0", 1, ["pyproject.toml [project].version"]),
        ("1.5.0", "1.0.0", 1, ["openapi.yaml info.version"]),
        ("2.0.0", "1.0.0", 0, []),
    ],
)
def test_policy_breaking_change_needs_major_bumps(
    repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    api_version: str,
    package_version: str,
    status: int,
    complaints: list[str],
) -> None:
    commit(repo, BASE, "0.1.0", "base")
    write(repo / "openapi.yaml", versioned(BREAKING, api_version))
    (repo / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "{package_version}"\n', encoding="utf-8"
    )
    got, out = run_policy(repo, monkeypatch, capsys, "--base", "HEAD")
    assert got == status
    for what in ["openapi.yaml info.version", "pyproject.toml [project].version"]:
        assert (f"{what} major must increase" in out) == (what in complaints)
    if status:
        assert out.startswith("version-policy: FAIL: 1 breaking change(s)")
        assert (
            "  HTTP (openapi.yaml):\n    - GET /x "
            "`responses/200/content/application/json/schema/id`: " in out
        )
        assert "(response-required-property-removed)" in out
        assert (
            "run `make release VERSION=X.Y.Z` with the next major" in out.rstrip().splitlines()[-1]
        )
    else:
        assert out.startswith("version-policy: OK (1 breaking change(s)")


def test_policy_bad_spec_exits_2(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, BASE, "0.1.0", "base")
    (repo / "openapi.yaml").write_text("openapi: [", encoding="utf-8")
    status, out = run_policy(repo, monkeypatch, capsys, "--base", "HEAD")
    assert status == 2
    assert "not valid YAML" in out


@pytest.mark.parametrize(
    ("version", "expected"), [("2.1.0", 2), ("v3", 3), ("0.1.0", 0), ("next", None), (None, None)]
)
def test_major(version: str | None, expected: int | None) -> None:
    assert major(version) == expected


# --- base resolution ---------------------------------------------------------------------------


def test_policy_unresolvable_explicit_base_exits_2(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    commit(repo, BASE, "0.1.0", "base")
    status, out = run_policy(repo, monkeypatch, capsys, "--base", "no-such-ref")
    assert status == 2
    assert out == "version-policy: error: --base 'no-such-ref' does not resolve to a commit\n"


def test_policy_explicit_base_in_repo_without_commits_exits_2(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo / "openapi.yaml", BASE)
    status, out = run_policy(repo, monkeypatch, capsys, "--base", "HEAD")
    assert status == 2
    assert "does not resolve" in out


def on_branch_without_main(repo: Path) -> None:
    git(repo, "checkout", "--quiet", "-b", "trunk")
    commit(repo, BASE, "0.1.0", "base")


def test_policy_fallback_to_head_says_only_uncommitted_changes_are_checked(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    on_branch_without_main(repo)
    write(repo / "openapi.yaml", WARN_ONLY)
    status, out = run_policy(repo, monkeypatch, capsys)
    assert status == 0
    first, second = out.splitlines()
    assert first == (
        "version-policy: note: neither origin/main nor main exists: comparing with HEAD, "
        "so only uncommitted changes are checked"
    )
    assert second.startswith("version-policy: OK (no breaking change in openapi.yaml against HEAD")


def test_git_mode_unknown_ref_without_commits_exits_2(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(repo / "openapi.yaml", BASE)
    assert main(["--git", "HEAD", "--spec", str(repo / "openapi.yaml")]) == 2
    assert capsys.readouterr().err == "specdiff: error: unknown git revision 'HEAD'\n"


def test_git_mode_fallback_to_head_says_only_uncommitted_changes_are_compared(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    on_branch_without_main(repo)
    write(repo / "openapi.yaml", WARN_ONLY)
    assert main(["--git", "--spec", str(repo / "openapi.yaml"), "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert [f["id"] for f in json.loads(captured.out)["findings"]] == [
        "response-optional-property-removed"
    ]
    assert "only uncommitted changes" in captured.err
