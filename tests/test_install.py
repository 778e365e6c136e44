"""Installable as the README says: `make dist`, then the wheel with the testing extra into a
fresh virtualenv outside the repository, where the client and the reference server work.

One virtualenv, made by uv from its cache (offline: the dependencies are pinned to the lock
file's versions, which `make venv` put in the cache)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from tools.generate import ROOT

UV = ROOT / ".venv-uv" / "bin" / "uv"

SCRIPT = """
import sys
import portkey_runs
from portkey_runs.testing import ReferenceState, serve

state = ReferenceState(seed=3)
thread_id = state.create_thread(statuses=["completed", "requires_action"])
with serve(state, event_delay=0) as server:
    with portkey_runs.Client("pk-test", base_url=server.base_url, max_retries=0) as client:
        statuses = [run.status.value for run in client.runs.list(thread_id, order="asc")]
print(portkey_runs.__version__, portkey_runs.__file__, statuses)
"""


def test_the_wheel_installs_with_the_testing_extra_in_a_fresh_venv(tmp_path: Path) -> None:
    env = {**os.environ, "UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    dist = tmp_path / "dist"
    subprocess.run(
        ["make", "--no-print-directory", "dist", f"DIST={dist}"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("portkey_runs-*.whl")
    pins = tmp_path / "pins.txt"
    subprocess.run(
        [
            str(UV),
            "export",
            "--quiet",
            "--frozen",
            "--no-dev",
            "--extra",
            "testing",
            "--no-hashes",
            "--no-emit-project",
            "-o",
            str(pins),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    venv = tmp_path / "venv"
    subprocess.run(
        [str(UV), "venv", "--quiet", str(venv), "--python", sys.executable],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    python = venv / "bin" / "python"
    done = subprocess.run(
        [
            str(UV),
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python),
            "-c",
            str(pins),
            f"{wheel}[testing]",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    clean = {k: v for k, v in env.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    ran = subprocess.run(
        [str(python), "-c", SCRIPT], cwd=tmp_path, env=clean, capture_output=True, text=True
    )
    assert ran.returncode == 0, ran.stderr
    version, where, statuses = ran.stdout.split(" ", 2)
    assert version == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert Path(where).is_relative_to(venv)  # the installed copy, not the repository's
    assert statuses.strip() == "['completed', 'requires_action']"
    command = subprocess.run(
        [str(venv / "bin" / "portkey-runs"), "--help"],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
    )
    assert command.returncode == 0
    assert "serve" in command.stdout
