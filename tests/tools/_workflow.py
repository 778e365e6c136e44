"""Temporary git repositories with a base and a change of the spec, for the workflow's tests.

A repository holds the project's ``openapi.yaml``, ``pyproject.toml``, ``uv.lock``,
``generated/`` and ``overlay/`` as committed here (the base); a change edits the spec's text
(so that its lines stay where a reviewer sees them) and regenerates ``generated/`` with
``tools.generate --out``. The three changes of the issue:

* ``optional_property``: an optional property ``service_tier`` added to ``Run``;
* ``schema_renamed``: ``RunCompletionUsage`` renamed ``RunUsage``, same content;
* ``limit_tightened``: ``limit``'s maximum 100 -> 50.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

from tests.tools.oas import git
from tools.generate import ROOT
from tools.release import set_versions


def _project_version(root: Path) -> str:
    with (root / "pyproject.toml").open("rb") as file:
        version: str = tomllib.load(file)["project"]["version"]
    return version


SERVICE_TIER = """        service_tier:
          type: string
          description: The processing tier the run was served with.
"""
LIMIT_BOUNDS = """        minimum: 1
        maximum: 100
        default: 20
"""


def optional_property(spec: str) -> str:
    anchor = "      properties:\n        id:\n          type: string\n"
    run = spec.index("    Run:\n")
    at = spec.index(anchor, run) + len("      properties:\n")
    return spec[:at] + SERVICE_TIER + spec[at:]


def schema_renamed(spec: str) -> str:
    assert spec.count("RunCompletionUsage") == 2  # the definition and its one $ref
    return spec.replace("RunCompletionUsage", "RunUsage")


def limit_tightened(spec: str) -> str:
    assert spec.count(LIMIT_BOUNDS) == 1
    return spec.replace(LIMIT_BOUNDS, LIMIT_BOUNDS.replace("100", "50"))


CHANGES: dict[str, Callable[[str], str]] = {
    "optional_property": optional_property,
    "schema_renamed": schema_renamed,
    "limit_tightened": limit_tightened,
}


def _ignore(_: str, names: list[str]) -> list[str]:
    return [n for n in names if n in ("__pycache__", ".mypy_cache")]


#: The versions of every base repository, whatever the project's own are now: the tests speak
#: of a release v1.0.0 (spec 2.0.0) and what may follow it.
BASE_VERSION, BASE_SPEC_VERSION = "1.0.0", "2.0.0"


def base_repository(path: Path) -> Path:
    """A git repository at ``path`` with the project's spec and packages, committed, released
    as ``v1.0.0`` (spec 2.0.0)."""
    path.mkdir(parents=True)
    for name in ("openapi.yaml", "pyproject.toml", "uv.lock", "README.md", "LICENSE"):
        shutil.copyfile(ROOT / name, path / name)
    set_versions(path, BASE_VERSION, BASE_SPEC_VERSION)
    lock = path / "uv.lock"
    ours = f'name = "portkey-runs"\nversion = "{_project_version(ROOT)}"\n'
    assert lock.read_text().count(ours) == 1, "the lock names the package's version once"
    lock.write_text(
        lock.read_text().replace(ours, f'name = "portkey-runs"\nversion = "{BASE_VERSION}"\n')
    )
    for folder in ("generated", "overlay"):
        shutil.copytree(ROOT / folder, path / folder, ignore=_ignore)
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "add", "-A")
    git(path, "commit", "--quiet", "-m", "base")
    git(path, "tag", "v1.0.0")
    return path


def regenerate(repository: Path) -> None:
    """``generated/portkey_runs_api`` of ``repository`` rewritten from its ``openapi.yaml``."""
    with tempfile.TemporaryDirectory(prefix="workflow-gen-") as tmp:
        out = Path(tmp) / "out"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tools.generate",
                "--spec",
                str(repository / "openapi.yaml"),
                "--out",
                str(out),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        target = repository / "generated" / "portkey_runs_api"
        shutil.rmtree(target)
        shutil.copytree(out / "portkey_runs_api", target)


def change(repository: Path, *names: str, generate: bool = True) -> None:
    """Apply the named changes to ``repository``'s spec (uncommitted), and regenerate."""
    spec = repository / "openapi.yaml"
    text = spec.read_text(encoding="utf-8")
    for name in names:
        text = CHANGES[name](text)
    spec.write_text(text, encoding="utf-8")
    if generate:
        regenerate(repository)
