"""The README's Python examples run as written, each block on its own, against the reference
server; and the README links only to files inside the repository."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from portkey_runs.testing import ReferenceState, serve
from tests._loopback import free_port

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 8


@pytest.fixture(scope="module")
def printed() -> list[str]:
    """What each block printed, run in order, each in a namespace of its own."""
    state = ReferenceState(seed=11)
    # The examples use the placeholder id of the API reference; a seeded thread stands in. Each
    # example that submits takes the newest waiting run: the stream, then the snapshots, then
    # the tool loop (two rounds).
    thread_id = state.create_thread(statuses=["completed", "failed"])
    state.add_run(thread_id, tool_calls=2, rounds=2)
    state.add_run(thread_id)
    state.add_run(thread_id)
    state.add_run(thread_id, "queued")
    outputs = []
    with pytest.MonkeyPatch.context() as env, serve(state, event_delay=0) as server:
        env.setenv("PORTKEY_API_KEY", "pk-readme")
        env.setenv("PORTKEY_BASE_URL", server.base_url)
        env.delenv("PORTKEY_VIRTUAL_KEY", raising=False)
        for number, block in enumerate(BLOCKS, 1):
            code = compile(
                block.replace("thread_abc123", thread_id), f"README block {number}", "exec"
            )
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(code, {"__name__": f"readme_block_{number}"})
            outputs.append(out.getvalue())
    return outputs


def test_every_block_runs_on_its_own(printed: list[str]) -> None:
    assert len(printed) == len(BLOCKS)


def test_the_examples_print_what_their_comments_say(printed: list[str]) -> None:
    text = "\n".join(printed)
    assert "\ncompleted 2\n" in text, "the tool loop: two rounds, then completed"
    assert "1 get_weather {" in text
    assert "2 get_local_time {" in text
    assert "\ncompleted\n" in text, "the stream ends with the completed run"
    assert "'content': [{'index': 0, 'type': 'text'" in text, "message deltas were printed"
    assert "404 No thread found" in text
    assert "RateLimitError" in text
    assert "ListRunsResponse" in text
    assert re.search(r"req_[0-9a-f]{24} trace_[0-9a-f]{24}", text), "raw.meta ids"
    assert "Client(base_url=" in text
    assert "\nmax_response_bytes 100\n" in text, "the size cap's example"
    assert "pk-readme" not in text, "no secret is printed"


def test_a_block_that_forgets_an_import_fails() -> None:
    block = next(b for b in BLOCKS if "NotFoundError" in b)
    broken = block.replace("import portkey_runs\n", "")
    with pytest.raises(NameError, match="portkey_runs"):
        exec(compile(broken, "README", "exec"), {})


def test_the_readme_links_only_to_files_in_the_repository() -> None:
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        if target.startswith(("http://", "https://")):
            continue
        path = (ROOT / target).resolve()
        assert path.is_relative_to(ROOT), target
        assert path.exists(), target


def test_the_reference_server_session_runs_as_written(tmp_path: Path) -> None:
    """The README's shell session: the server in the background, the environment, a tool loop
    from the command line (with a free port for the README's, and the ids it printed)."""
    block = next(
        b
        for b in re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
        if "portkey-runs serve --port" in b
    )
    serve_line, export_line, run_line = block.strip().splitlines()
    port = str(free_port())
    serve_args = shlex.split(serve_line.rstrip("& ").replace("8765", port))
    assert serve_args[:2] == ["portkey-runs", "serve"]
    server = subprocess.Popen(
        [sys.executable, "-m", "portkey_runs.cli", *serve_args[1:]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        assert banner.startswith(f"reference server at http://127.0.0.1:{port}/v1")
        thread_id, _, rest = server.stdout.readline().partition(":")
        run_id = rest.split(";")[1].split()[0]
        env = dict(item.split("=", 1) for item in shlex.split(export_line)[1:])
        env = {k: v.replace("8765", port) for k, v in env.items()}
        argv = shlex.split(
            run_line.replace("thread_abc123", thread_id).replace("run_abc123", run_id)
        )
        assert argv[:2] == ["portkey-runs", "run-tools"]
        result = subprocess.run(
            [sys.executable, "-m", "portkey_runs.cli", *argv[1:]],
            capture_output=True,
            text=True,
            env={**env, "PATH": os.environ.get("PATH", "")},
            timeout=60,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        assert "round 2: get_local_time(" in result.stdout
        assert "reply: Here is what the tools returned:" in result.stdout
        assert "after 2 round(s)" in result.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)
    assert server.returncode == 0
