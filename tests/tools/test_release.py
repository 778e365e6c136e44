"""``make release VERSION=X.Y.Z`` in temporary repositories: refused when the policy forbids
the version, else every version set, the lock file updated and a CHANGELOG.md section written."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.tools._workflow import base_repository, change
from tools.generate import ROOT
from tools.release import ReleaseError, main, release
from tools.specdiff.version_policy import check

UV = str(ROOT / ".venv-uv" / "bin" / "uv")


@pytest.fixture(scope="module")
def a_and_b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Since the release v1.0.0: an optional Run property and a renamed component schema."""
    repository = base_repository(tmp_path_factory.mktemp("release") / "repo")
    change(repository, "optional_property", "schema_renamed")
    return repository


@pytest.fixture
def repo(a_and_b: Path, tmp_path: Path) -> Path:
    """A copy of the repository (with its history) for one test to release in."""
    return Path(shutil.copytree(a_and_b, tmp_path / "repo", symlinks=True))


def versions(repository: Path) -> tuple[str, str]:
    project = tomllib.loads((repository / "pyproject.toml").read_text())["project"]["version"]
    spec = yaml.safe_load((repository / "openapi.yaml").read_text())["info"]["version"]
    return project, spec


@pytest.mark.parametrize(
    ("version", "reason"),
    [
        ("1.1.0", "1.1.0 is a minor release, but there are 2 breaking change(s) since v1.0.0"),
        ("1.0.1", "1.0.1 is a patch release, but there are 2 breaking change(s) since v1.0.0"),
        ("1.0.0", "1.0.0 does not increase 1.0.0"),
        ("0.9.0", "0.9.0 does not increase 1.0.0"),
    ],
)
def test_a_version_the_policy_forbids_is_refused_and_nothing_is_written(
    repo: Path, version: str, reason: str
) -> None:
    before = {p: p.read_bytes() for p in (repo / "pyproject.toml", repo / "openapi.yaml")}
    with pytest.raises(ReleaseError) as refused:
        release(repo, version, lock=False)
    assert str(refused.value).startswith(reason)
    if "breaking" in reason:
        assert "release 2.0.0 instead" in str(refused.value)
        assert "`portkey_runs_api.models.run_completion_usage`" in str(refused.value)
    assert {p: p.read_bytes() for p in before} == before
    assert not (repo / "CHANGELOG.md").exists()


def test_bad_input_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["2.0", "--root", str(repo), "--no-lock"]) == 2
    assert capsys.readouterr().err == "release: error: '2.0' is not a version X.Y.Z\n"


def test_an_unknown_since_is_bad_input_not_a_refusal(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["2.0.0", "--root", str(repo), "--no-lock", "--since", "nope"]) == 2
    assert capsys.readouterr().err == "release: error: --since 'nope' is not a commit\n"


def test_a_major_release_sets_every_version_locks_and_writes_the_changelog(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("UV_OFFLINE", "1")  # the lock only records the project's new version
    assert versions(repo) == ("1.0.0", "2.0.0")
    assert main(["2.0.0", "--root", str(repo), "--uv", UV]) == 0
    assert capsys.readouterr().out.startswith(
        "release: 1.0.0 -> 2.0.0 (major), openapi.yaml info.version -> 3.0.0; CHANGELOG.md: "
        "2 HTTP and 4 Python change(s) since v1.0.0"
    )
    assert versions(repo) == ("2.0.0", "3.0.0")
    lock = tomllib.loads((repo / "uv.lock").read_text())
    (ours,) = [p for p in lock["package"] if p["name"] == "portkey-runs"]
    assert ours["version"] == "2.0.0"
    changelog = (repo / "CHANGELOG.md").read_text()
    today = datetime.date.today().isoformat()
    assert changelog.startswith(f"# Changelog\n\n## 2.0.0 (spec 3.0.0) — {today}\n")
    http = changelog[changelog.index("### HTTP API") : changelog.index("### Python API")]
    assert "#### Breaking" not in http  # on the wire, neither change breaks
    assert "- `Run.service_tier`: an optional property was added to a response" in http
    assert "components/schemas/RunCompletionUsage`: a component schema was removed" in http
    python = changelog[changelog.index("### Python API") :]
    assert python.index("#### Breaking") < python.index("#### Non-breaking")
    assert "- `portkey_runs_api.models.run_completion_usage`: Public object was removed" in python
    assert "- `portkey_runs_api.models.run.Run.service_tier`: added (`object-added`)" in python
    # the policy now holds: both majors were raised
    status, message = check("HEAD", str(repo / "openapi.yaml"), str(repo / "pyproject.toml"))
    assert status == 0, message


def test_make_release_without_a_version_says_how() -> None:
    done = subprocess.run(
        ["make", "--no-print-directory", "release"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "usage: make release VERSION=X.Y.Z" in done.stderr


def test_a_version_given_with_a_v_prefix_is_written_as_x_y_z(repo: Path) -> None:
    release(repo, "v2.0.0", lock=False, today=datetime.date(2026, 1, 2))
    assert versions(repo) == ("2.0.0", "3.0.0")  # not "v2.0.0": the next release seeks tag v2.0.0
    assert (repo / "CHANGELOG.md").read_text().startswith("# Changelog\n\n## 2.0.0 (spec 3.0.0)")


def test_a_failed_uv_lock_leaves_the_versions_as_they_were(repo: Path) -> None:
    before = {p: p.read_bytes() for p in (repo / "pyproject.toml", repo / "openapi.yaml")}
    with pytest.raises(ReleaseError, match="uv lock failed"):
        release(repo, "2.0.0", uv="false")
    assert {p: p.read_bytes() for p in before} == before
    assert not (repo / "CHANGELOG.md").exists()
