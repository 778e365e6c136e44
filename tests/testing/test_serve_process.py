"""``portkey-runs serve`` / ``python -m portkey_runs.testing``: the reference server as a
process, driven by the client over loopback, stopped by a signal, silent on stderr."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import portkey_runs
from portkey_runs.testing import ReferenceState, serve, tools
from portkey_runs.testing._app import _EventStream
from portkey_runs.testing._faults import Fault

TOOLS: dict[str, Callable[..., Any]] = {
    "get_weather": tools.get_weather,
    "get_local_time": tools.get_local_time,
}


def _start(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "portkey_runs.testing", "--json", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # written once the server listens
    if not line:
        process.wait(timeout=30)
        pytest.fail(f"the server did not start: {process.stderr.read() if process.stderr else ''}")
    return process, json.loads(line)


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    process, setup = _start("--threads", "2", "--runs", "5", "--rounds", "2", "--event-delay", "0")
    try:
        yield process, setup
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()  # closes the pipes


def test_the_server_process_serves_the_seeded_threads_to_the_client(
    server: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    process, setup = server
    base_url = setup["base_url"]
    assert base_url.startswith("http://127.0.0.1:")
    first, second = setup["threads"]
    with portkey_runs.Client("pk-anything", base_url=base_url) as client:
        runs = list(client.runs.list(first["id"]))
        assert len(runs) == first["runs"] == 5
        assert runs[0].id == first["waiting_run"], "the newest run waits"
        with client.runs.run_tools(first["id"], runs[0], tools=TOOLS) as loop:
            loop.until_done()
        assert loop.rounds == 2
        assert loop.final_run is not None
        assert loop.final_run.status.value == "completed"
        # Hang up in the middle of a stream: the server must take it in its stride.
        (waiting,) = (r for r in client.runs.list(second["id"]) if r.id == second["waiting_run"])
        assert waiting.required_action is not None
        outputs = [
            {"tool_call_id": call.id, "output": "x"}
            for call in waiting.required_action.submit_tool_outputs.tool_calls
        ]
        with client.runs.stream_tool_outputs(second["id"], waiting.id, outputs) as stream:
            next(stream)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert (out, err) == ("", ""), "a clean stop, and nothing on stderr"


def test_ctrl_c_stops_the_server_cleanly() -> None:
    process, setup = _start("--port", "0", "--seed", "3")
    with portkey_runs.Client("pk", base_url=setup["base_url"]) as client:
        assert len(list(client.runs.list(setup["threads"][0]["id"]))) == 20
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert (process.returncode, out, err) == (0, "", "")


def test_ctrl_c_stops_a_server_started_with_sigint_ignored() -> None:
    # A background job of a shell without job control starts with SIGINT ignored.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        process, setup = _start("--port", "0", "--runs", "3")
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        with portkey_runs.Client("pk", base_url=setup["base_url"]) as client:
            assert len(list(client.runs.list(setup["threads"][0]["id"]))) == 3
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()  # a server that ignored the signal does not outlive the test
        process.communicate()
    assert (process.returncode, out, err) == (0, "", "")


def test_the_seed_fixes_the_ids() -> None:
    def ids(seed: str) -> list[str]:
        process, setup = _start("--seed", seed, "--runs", "3", "--threads", "2")
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
        threads = setup["threads"]
        return [t["id"] for t in threads] + [t["waiting_run"] for t in threads]

    first = ids("11")
    assert first[0::2] == ["thread_abc123", "run_abc123"], "the first thread's ids are fixed"
    assert ids("11") == first, "the same seed: the same ids"
    assert ids("12") != first, "another seed: other ids"


def test_the_example_ids_are_served_with_the_newest_runs_waiting(
    server: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    _, setup = server
    with portkey_runs.Client("pk-anything", base_url=setup["base_url"]) as client:
        runs = list(client.runs.list("thread_abc123"))
    assert runs[0].id == "run_abc123"
    assert [run.status.value for run in runs[:3]] == ["requires_action"] * 3, "--waiting 3"
    assert all(run.status.value != "requires_action" for run in runs[3:])


def _stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0
    return out, err


@pytest.mark.filterwarnings("ignore:The Assistants API is deprecated:DeprecationWarning")
def test_openai_auth_with_one_key_serves_an_openai_style_client_and_refuses_another_key() -> None:
    openai = pytest.importorskip("openai")  # a dev dependency: the differential tests use it
    process, setup = _start("--auth", "openai", "--api-key", "sk-right", "--event-delay", "0")
    try:
        assert setup["auth"] == "openai"
        with openai.OpenAI(api_key="sk-right", base_url=setup["base_url"]) as client:
            page = client.beta.threads.runs.list("thread_abc123")
            assert page.data[0].id == "run_abc123"
        with openai.OpenAI(api_key="sk-wrong", base_url=setup["base_url"], max_retries=0) as wrong:
            with pytest.raises(openai.AuthenticationError) as info:
                wrong.beta.threads.runs.list("thread_abc123")
        assert info.value.status_code == 401
        assert info.value.code == "invalid_api_key"
        assert "sk-wrong" not in str(info.value)
        # The Portkey header alone is not the provider's credential.
        with portkey_runs.Client("sk-right", base_url=setup["base_url"], max_retries=0) as ours:
            with pytest.raises(portkey_runs.AuthenticationError, match="Bearer"):
                list(ours.runs.list("thread_abc123"))
    finally:
        _, err = _stop(process)
    assert err == ""


def test_portkey_auth_with_one_key_refuses_another_with_an_openai_style_error() -> None:
    process, setup = _start("--api-key", "pk-right", "--event-delay", "0")
    try:
        with portkey_runs.Client("pk-right", base_url=setup["base_url"]) as client:
            (run,) = (r for r in client.runs.list("thread_abc123") if r.id == "run_abc123")
            with client.runs.run_tools("thread_abc123", run, tools=TOOLS) as loop:
                assert loop.until_done().status.value == "completed"
        with portkey_runs.Client("pk-wrong", base_url=setup["base_url"], max_retries=0) as wrong:
            with pytest.raises(portkey_runs.AuthenticationError) as info:
                list(wrong.runs.list("thread_abc123"))
        assert info.value.status_code == 401
        assert info.value.error is not None
        assert info.value.error.code == "invalid_api_key"
        assert info.value.error.type_ == "invalid_request_error"
        assert "pk-wrong" not in str(info.value)
    finally:
        _stop(process)


def test_an_api_key_that_no_request_could_send_is_one_line() -> None:
    # The header's value is read stripped: an empty key, or one with spaces around it, would
    # refuse every request while the banner says which key to send.
    for key in ("", " sk-test"):
        result = subprocess.run(
            [sys.executable, "-m", "portkey_runs.testing", "--api-key", key],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == (
            "portkey-runs: error: api_key must be a non-empty key without spaces around it\n"
        )


def test_auth_none_takes_no_api_key_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "portkey_runs.testing", "--auth", "none", "--api-key", "k"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "portkey-runs: error: --api-key needs --auth portkey or openai: --auth none checks no key\n"
    )


def test_a_busy_port_is_one_line_and_exit_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "portkey_runs.cli", "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        f"portkey-runs: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


def test_serve_in_process_on_a_busy_port_raises_os_error_naming_it() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"cannot listen on 127.0.0.1:{port}"):
            with serve(port=port):
                pass  # pragma: no cover - never entered


def test_bad_arguments_are_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "portkey_runs.testing", "--rounds", "0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "argument --rounds: must be at least 1, got 0" in result.stderr


async def test_a_stream_stops_writing_once_its_client_hangs_up_even_with_no_delay() -> None:
    state = ReferenceState(seed=1)
    thread = state.create_thread(statuses=["requires_action"], rounds=3, tool_calls=3)
    (run,) = state.runs(thread)
    from portkey_runs.testing._wire import SubmitToolOutputsRunRequest

    request = SubmitToolOutputsRunRequest.model_validate(
        {
            "tool_outputs": [
                {"tool_call_id": c, "output": "o"}
                for c in state.pending_tool_call_ids(thread, run.id)
            ]
        }
    )
    events = state.submit_tool_outputs(thread, run.id, request).events
    assert len(events) > 12
    sent: list[Any] = []
    hung_up = asyncio.Event()

    async def send(message: Any) -> None:
        sent.append(message)
        if len(sent) == 2:  # the answer's start and its first event: then the client goes away
            asyncio.get_running_loop().call_soon(hung_up.set)

    async def receive() -> Any:
        await hung_up.wait()
        return {"type": "http.disconnect"}

    await _EventStream(events, Fault(), state, delay=0)({"type": "http"}, receive, send)
    assert len(sent) <= 4, f"{len(sent)} messages sent: it kept writing after the hang-up"
    assert state.hangups == 1
    assert state.finished_streams == 0
