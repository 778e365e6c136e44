"""Typed events, checked by mypy as a user's code would be: narrowing by ``event.event`` works
and a misuse is reported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

USER_CODE = """
import portkey_runs
from portkey_runs_api.models import MessageDelta, Run, RunStepDelta


def reply(client: portkey_runs.Client) -> str:
    text = ""
    with client.runs.stream_tool_outputs("thread_1", "run_1", []) as stream:
        for event in stream:
            if event.event == "thread.message.delta":
                delta: MessageDelta = event.data
                text += str(delta.delta)
            elif event.event == "thread.run.step.delta":
                step: RunStepDelta = event.data
                text += step.id
            elif event.event == "thread.run.completed":
                run: Run = event.data
                text += run.status.value
            elif event.event == "unknown":
                text += event.name
    return text


async def areply(client: portkey_runs.AsyncClient) -> Run:
    async with client.runs.stream_tool_outputs("thread_1", "run_1", []) as stream:
        async for event in stream:
            if event.event == "thread.run.requires_action":
                return event.data
        return await stream.until_done()
"""

MISUSE = """
import portkey_runs


def misuse(client: portkey_runs.Client) -> object:
    with client.runs.stream_tool_outputs("thread_1", "run_1", []) as stream:
        for event in stream:
            if event.event == "thread.run.completed":
                return event.data.delta
            if event.event == "thread.message.delta":
                return event.name
    return None
"""


def _mypy(tmp_path: Path, code: str) -> tuple[int, str]:
    module = tmp_path / "user_code.py"
    module.write_text(textwrap.dedent(code))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "--config-file=",
            str(module),
        ],
        cwd=tmp_path,
        env={"MYPYPATH": f"{ROOT / 'generated'}:{ROOT / 'overlay'}", "PATH": ""},
        capture_output=True,
        text=True,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_narrowing_by_event_name_type_checks(tmp_path: Path) -> None:
    status, output = _mypy(tmp_path, USER_CODE)
    assert status == 0, output
    assert "Success" in output


def test_reading_delta_on_a_completed_run_event_is_reported(tmp_path: Path) -> None:
    status, output = _mypy(tmp_path, MISUSE)
    assert status == 1, output
    assert 'user_code.py:9: error: "Run" has no attribute "delta"' in output
    assert '"ThreadMessageDeltaEvent" has no attribute "name"' in output, output
