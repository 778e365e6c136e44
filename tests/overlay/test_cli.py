"""The portkey-runs command: list, submit, demo; one-line errors, never a traceback."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from portkey_runs.cli import main
from portkey_runs.testing import ReferenceState, RunningServer, serve


@pytest.fixture
def server() -> Iterator[RunningServer]:
    state = ReferenceState(seed=5)
    with serve(state, event_delay=0) as running:
        yield running


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTKEY_API_KEY", "pk-cli")
    monkeypatch.delenv("PORTKEY_BASE_URL", raising=False)


def test_list_prints_one_page_by_default(server: RunningServer) -> None:
    thread = server.state.create_thread(30)
    code, out, err = run_cli("list", thread, "--limit", "5", "--base-url", server.base_url)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 5
    newest = server.state.runs(thread)[-1]
    assert lines[0].split()[0] == newest.id
    assert "completed" in lines[0]
    assert "5 runs of" in err


def test_list_all_json_gives_every_run_as_json_lines_with_progress(server: RunningServer) -> None:
    thread = server.state.create_thread(23)
    code, out, err = run_cli(
        "list",
        thread,
        "--all",
        "--limit",
        "10",
        "--order",
        "asc",
        "--json",
        "--base-url",
        server.base_url,
    )
    assert code == 0
    runs = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in runs] == [r.id for r in server.state.runs(thread)]
    assert "fetched 23 runs (3 pages)" in err


def test_submit_json_and_stream(server: RunningServer) -> None:
    thread = server.state.create_thread(statuses=["requires_action"] * 4)
    runs = [r.id for r in server.state.runs(thread)]
    calls = [server.state.pending_tool_call_ids(thread, run)[0] for run in runs]
    common = ["--base-url", server.base_url]

    code, out, _ = run_cli(
        "submit", thread, runs[0], "--output", f"{calls[0]}=21C", "--json", *common
    )
    assert code == 0
    assert json.loads(out)["id"] == runs[0]

    code, out, err = run_cli(
        "submit", thread, runs[1], "--output", f"{calls[1]}=sunny", "--stream", *common
    )
    assert code == 0
    assert out == f"{server.state.reply_text(runs[1])}\n", "the reply's text, as it arrives"
    assert err.startswith(f"final run: {runs[1]}")
    assert "completed" in err

    code, out, _ = run_cli(
        "submit", thread, runs[2], "--output", f"{calls[2]}=dry", "--stream", "--events", *common
    )
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names[0] == "thread.run.step.completed"
    assert names[-1] == "thread.run.completed"
    assert "thread.message.delta" in names

    code, out, _ = run_cli(
        "submit", thread, runs[3], "--output", f"{calls[3]}=wet", "--stream", "--json", *common
    )
    assert code == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1]["event"] == "thread.run.completed"
    assert events[-1]["data"]["status"] == "completed"


TOOLS_MODULE = """
import json

__all__ = ["get_weather", "get_local_time"]


def get_weather(location, unit="celsius"):
    return {"location": location, "unit": unit}


def get_local_time(location):
    if location == "Nowhere":
        raise LookupError("no such place")
    return "noon in " + location


def helper_not_listed():
    raise AssertionError("not a tool")
"""


def test_run_tools_calls_a_modules_functions_for_every_round(
    server: RunningServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mytools.py").write_text(TOOLS_MODULE)
    monkeypatch.chdir(tmp_path)  # a module next to the user, as `python -m` would find it
    monkeypatch.delitem(sys.modules, "mytools", raising=False)
    thread = server.state.create_thread(statuses=["requires_action"], tool_calls=2, rounds=2)
    (run,) = server.state.runs(thread)
    code, out, err = run_cli(
        "run-tools", thread, run.id, "--module", "mytools", "--base-url", server.base_url
    )
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines[:4]] == [
        "round 1",
        "round 1",
        "round 2",
        "round 2",
    ]
    assert lines[0].startswith("round 1: get_weather({")
    assert lines[2].startswith("round 2: get_local_time({")
    assert lines[4] == "reply: " + (server.state.reply_text(run.id) or "")
    assert err.startswith(f"final run: {run.id}")
    assert "after 2 round(s)" in err


def test_run_tools_json_reports_calls_events_and_the_final_run(
    server: RunningServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mytools.py").write_text(TOOLS_MODULE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "mytools", raising=False)
    thread = server.state.create_thread(statuses=["requires_action"], tool_calls=1)
    (run,) = server.state.runs(thread)
    code, out, _ = run_cli(
        "run-tools", thread, run.id, "--module", "mytools", "--json", "--base-url", server.base_url
    )
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["tool_call"]["name"] == "get_weather"
    assert lines[0]["tool_call"]["round"] == 1
    assert lines[-1]["final_run"]["status"] == "completed"
    assert any(line.get("event") == "thread.message.delta" for line in lines)


def test_run_tools_with_a_module_that_cannot_be_imported_is_one_line(
    server: RunningServer,
) -> None:
    code, out, err = run_cli(
        "run-tools",
        "thread_1",
        "run_1",
        "--module",
        "no_such_module_here",
        "--base-url",
        server.base_url,
    )
    assert (code, out) == (1, "")
    assert err.startswith("portkey-runs: error: --module no_such_module_here: cannot import it")
    assert err.count("\n") == 1


def test_run_tools_loads_a_module_given_as_a_file_path(
    server: RunningServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "pathtools.py").write_text(TOOLS_MODULE)
    monkeypatch.chdir(tmp_path)  # the file is not importable by name from here
    monkeypatch.delitem(sys.modules, "pathtools", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    thread = server.state.create_thread(statuses=["requires_action"], tool_calls=1)
    (run,) = server.state.runs(thread)
    code, out, err = run_cli(
        "run-tools",
        thread,
        run.id,
        "--module",
        "./elsewhere/pathtools.py",
        "--base-url",
        server.base_url,
    )
    assert code == 0, err
    assert out.startswith("round 1: get_weather({")
    assert "after 1 round(s)" in err


def test_run_tools_with_a_path_that_is_no_py_file_names_both_forms(
    server: RunningServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(
        "run-tools", "t", "r", "--module", "./missing.py", "--base-url", server.base_url
    )
    assert (code, out) == (1, "")
    assert err == (
        "portkey-runs: error: --module ./missing.py: no such .py file; give a file path "
        "(./mytools.py) or an importable module name (mytools, mypackage.tools)\n"
    )


def test_run_tools_on_a_run_that_is_not_waiting_is_one_line_and_exit_1(
    server: RunningServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mytools.py").write_text(TOOLS_MODULE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "mytools", raising=False)
    thread = server.state.create_thread(statuses=["completed"])
    (run,) = server.state.runs(thread)
    code, out, err = run_cli(
        "run-tools", thread, run.id, "--module", "mytools", "--base-url", server.base_url
    )
    assert (code, out) == (1, "")
    assert err == (
        f"portkey-runs: error: run {run.id} is completed, not waiting for tool outputs "
        "(after 0 round(s))\n"
    )
    assert server.state.count(method="POST") == 0


def test_errors_are_one_line_and_a_non_zero_exit(server: RunningServer) -> None:
    code, out, err = run_cli("list", "thread_missing", "--base-url", server.base_url)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("portkey-runs: error: HTTP 404")

    code, _, err = run_cli(
        "submit", "t", "r", "--output", "no-equals-sign", "--base-url", server.base_url
    )
    assert (code, err) == (
        1,
        "portkey-runs: error: --output 'no-equals-sign': expected CALL_ID=TEXT\n",
    )

    code, _, err = run_cli("list", "../etc", "--base-url", server.base_url)
    assert code == 1
    assert "thread_id" in err


def test_a_missing_api_key_is_one_clear_line(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORTKEY_API_KEY")
    code, _, err = run_cli("list", "thread_1", "--base-url", server.base_url)
    assert code == 1
    assert "x-portkey-api-key" in err
    assert err.count("\n") == 1


def test_demo_runs_a_two_round_tool_loop() -> None:
    code, out, err = run_cli("demo", "--runs", "120")
    assert code == 0, err
    assert "listed 120/120 runs (2 pages)" in err
    lines = out.splitlines()
    assert "requires action (2 tool calls): the tool loop" in lines[1]
    rounds = [line.split(":")[0] for line in lines if line.startswith("round ")]
    assert rounds == ["round 1", "round 1", "round 2", "round 2"]
    assert any(line.startswith("round 1: get_weather(") for line in lines)
    assert any(line.startswith("round 2: get_local_time(") for line in lines)
    reply = next(line for line in lines if line.startswith("reply: "))
    assert reply.startswith("reply: Here is what the tools returned: get_weather(")
    assert "final run:" in err
    assert "completed" in err.splitlines()[-1]
    assert err.rstrip().endswith("after 2 round(s)")


def test_demo_json_is_json_lines() -> None:
    code, out, _ = run_cli("demo", "--runs", "20", "--json")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["runs"] == 20
    assert [line["tool_call"]["round"] for line in lines if "tool_call" in line] == [1, 1, 2, 2]
    assert lines[-1]["final_run"]["status"] == "completed"


def test_the_console_script_runs_without_a_traceback() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "portkey_runs.cli",
            "list",
            "thread_1",
            "--base-url",
            "http://127.0.0.1:9/v1",
        ],
        capture_output=True,
        text=True,
        env={"PORTKEY_API_KEY": "pk", "PATH": ""},
        timeout=60,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("portkey-runs: error: ConnectError")


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head` that has already exited: every write fails
    try:
        result = subprocess.run(
            [sys.executable, "-m", "portkey_runs.cli", "demo", "--runs", "20"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 141
    assert b"Traceback" not in result.stderr


def test_run_tools_refuses_a_module_whose_all_names_no_function(
    server: RunningServer, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "badtools.py").write_text(
        '__all__ = ["get_weather", "LIMIT"]\n'
        "LIMIT = 3\n"
        "def get_weather(location):\n"
        "    return location\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "badtools", raising=False)
    code, _, err = run_cli(
        "run-tools", "thread_1", "run_1", "--module", "badtools", "--base-url", server.base_url
    )
    assert (code, err) == (
        1,
        "portkey-runs: error: --module badtools: LIMIT in __all__ is not a function\n",
    )
