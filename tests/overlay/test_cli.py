"""The portkey-runs command: list, submit, demo; one-line errors, never a traceback."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator

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
    thread = server.state.create_thread(statuses=["requires_action", "requires_action"])
    first, second = (r.id for r in server.state.runs(thread))
    (call_1,) = server.state.pending_tool_call_ids(thread, first)
    (call_2,) = server.state.pending_tool_call_ids(thread, second)

    code, out, _ = run_cli(
        "submit",
        thread,
        first,
        "--output",
        f"{call_1}=21C",
        "--json",
        "--base-url",
        server.base_url,
    )
    assert code == 0
    assert json.loads(out)["id"] == first

    code, out, _ = run_cli(
        "submit",
        thread,
        second,
        "--output",
        f"{call_2}=sunny",
        "--stream",
        "--base-url",
        server.base_url,
    )
    assert code == 0
    assert "thread.message.delta" in out
    assert out.rstrip().splitlines()[-1].startswith(f"final run: {second}")
    assert "completed" in out.splitlines()[-1]


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


def test_demo_shows_the_whole_flow() -> None:
    code, out, err = run_cli("demo", "--runs", "120")
    assert code == 0
    assert "listed 120/120 runs (2 pages)" in err
    assert "requires action: 2 tool call(s)" in out
    assert "thread.message.delta" in out
    assert "final run:" in out
    assert out.rstrip().endswith("gpt-4o")


def test_demo_json_is_json_lines() -> None:
    code, out, _ = run_cli("demo", "--runs", "20", "--json")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["runs"] == 20
    assert lines[-1]["event"] == "thread.run.completed"


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
